"""Positions and P&L per instrument from the trader's fills in a window, and balances valued at mid.

Headless (no Textual). Works with `Trade` models and the trades store's `TradeRecord`s alike (same
attribute names). Fills are processed in (timestamp, key) order whatever order they arrive in.

The method, as the help text can say it (`METHOD`):

    Average cost. A buy into a long position (or a sell into a short one) moves the average cost
    to the quantity-weighted average of the position and the fill. A sell against a long position
    realizes (sell price - average cost) x quantity closed; a buy against a short position realizes
    (average cost - buy price) x quantity closed. A fill larger than the position closes it
    entirely (realizing on that part) and opens the opposite position at the fill's price for the
    rest. Unrealized P&L is net quantity x (mid - average cost), with mid = (best bid + best ask)/2
    of the latest quote: no quote or an empty book side leaves it unknown, never zero (a flat
    position has none: zero). Fees are fee rate x notional, in the quote asset; a fill without a
    fee rate makes the fee total incomplete. Total = realized + unrealized - fees, unknown when
    any part is. Only fills at or after the window's start count; earlier ones are not invented.

Arithmetic is `Decimal` and exact: sums and products are computed in a context that never
rounds (and traps if it would). The average-cost method needs one division, the cost basis a
partial close releases (basis × closed / position); that quotient is exact when it has at most
`PLACES` (18, the wire's resolution) decimals, else rounded half-even to 18 decimals. Nothing else
is ever rounded, and the rounding cannot accumulate: the basis is kept as realized − cash flow, so
a full close releases it whole (a round trip's realized P&L is exactly its cash flow) and
realized + unrealized always equals cash flow + net quantity × mid exactly; the total is exact.
Averages (basis / quantity, notional / quantity) are exact when they terminate, else given to 18
decimals. A value so rounded is named in the record's `approximate` set: the pane marks it with a
leading `≈` and shows it to `SHOWN_PLACES` (8) decimals; exports give all 18.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation
from fractions import Fraction
from typing import Any

from ..api.models import NS_PER_DAY, NS_PER_SECOND, Balances
from .format import fmt_amount, fmt_derived, wire_text
from .reference import Catalog
from .rows import BalanceRow, Display, as_display, balance_rows, mid_of
from .store import TOTAL_PREFIX, Cell, Column, Row
from .store import TotalsLastStore as PositionStore  # one row per instrument, one total per quote asset

__all__ = [
    "METHOD",
    "POSITION_COLUMNS",
    "TOTAL_PREFIX",
    "BalanceValuation",
    "BalanceValue",
    "Change",
    "Position",
    "PositionBook",
    "PositionsByClient",
    "PositionStore",
    "PositionTotal",
    "ValueChange",
    "Window",
    "balance_values",
    "day_window",
    "default_quote_asset",
    "positions",
    "positions_store",
    "totals",
]

METHOD = (
    "Average cost. A buy into a long position (or a sell into a short one) moves the average cost to the "
    "quantity-weighted average of the position and the fill. A sell against a long position realizes "
    "(sell price − average cost) × quantity closed; a buy against a short realizes (average cost − buy price) "
    "× quantity closed. A fill larger than the position closes it entirely, realizing on that part, and opens "
    "the opposite position at the fill's price for the rest. Unrealized = net quantity × (mid − average cost), "
    "mid = (best bid + best ask) / 2 of the latest quote; with no quote or an empty book side it is unknown. "
    "Fees = fee rate × notional, in the quote asset; a fill without a fee rate leaves the fees incomplete. "
    "Total = realized + unrealized − fees (unknown when a part is). Only the client's fills since the "
    "window's start count."
)

PLACES = 18  # decimals of a value whose exact expansion does not terminate (the wire's resolution)
SHOWN_PLACES = 8  # decimals the pane shows of such a value (marked ≈); exports give all PLACES
BUY, SELL = "BUY", "SELL"

# Sums and products of wire decimals are never rounded: a context as wide as Decimal allows, and a
# trap should anything be inexact after all. No division is ever done in it (1/3 would not end).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, Inexact])
_ZERO = Decimal(0)


def _add(a: Decimal, b: Decimal) -> Decimal:
    return _EXACT.add(a, b)


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return _EXACT.multiply(a, b)


def _to_decimal(value: Fraction) -> tuple[Decimal, bool]:
    """(the value as a Decimal, whether it had to be rounded): exact when its expansion terminates
    (denominator 2^a·5^b), else half-even to `PLACES` decimals."""
    numerator, denominator = value.numerator, value.denominator
    if denominator == 1:
        return Decimal(numerator), False
    twos = (denominator & -denominator).bit_length() - 1
    rest = denominator >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest == 1:
        places = max(twos, fives)
        return Decimal(numerator * (10**places // denominator)).scaleb(-places, _EXACT), False
    return Decimal(round(value * 10**PLACES)).scaleb(-PLACES, _EXACT), True


def _plain(value: Decimal | None) -> Decimal | None:
    """A computed amount without the trailing zeros arithmetic adds (the same value: 6.596000 ->
    6.596, never rounded; written with `format(x, "f")` it has no exponent)."""
    if value is None:
        return None
    return value.normalize(_EXACT) if value else _ZERO


def _quotient(dividend: Decimal, divisor: Decimal, *, cap: bool = False) -> tuple[Decimal, bool]:
    """(dividend / divisor, whether it was rounded): exact when the quotient terminates (with `cap`,
    when it has at most `PLACES` decimals), else rounded half-even to `PLACES` decimals."""
    exact = Fraction(dividend) / Fraction(divisor)
    number, rounded = _to_decimal(exact)
    if cap and not rounded and -number.as_tuple().exponent > PLACES:  # type: ignore[operator]
        number, rounded = Decimal(round(exact * 10**PLACES)).scaleb(-PLACES, _EXACT), True
    return number, rounded


def _quotes(quotes: Any) -> dict[str, Decimal | None]:
    """Instrument id -> mid (None: no two-sided book) from quotes, `QuoteRow`s or a mapping of them."""
    if quotes is None:
        return {}
    items = quotes.values() if isinstance(quotes, Mapping) else quotes
    mids: dict[str, Decimal | None] = {}
    for item in items:
        quote = getattr(item, "quote", item)
        mids[quote.id] = mid_of(quote)
    return mids


# --- the window ---------------------------------------------------------------------------------


def parse_day_start(text: str) -> int:
    """Minutes after 00:00 UTC of "HH:MM" (24-hour, 00:00 to 23:59)."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(hours) <= 2 and len(minutes) == 2):
        raise ValueError(f"day_start must be HH:MM (UTC, 24-hour), e.g. 00:00 or 22:00; got {text!r}")
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ValueError(f"day_start must be HH:MM between 00:00 and 23:59 (UTC); got {text!r}")
    return h * 60 + m


def day_start_ns(now_ns: int, day_start: str = "00:00") -> int:
    """The latest HH:MM UTC at or before `now_ns` (so never more than 24 h back)."""
    offset = parse_day_start(day_start) * 60 * NS_PER_SECOND
    midnight = now_ns - now_ns % NS_PER_DAY
    start = midnight + offset
    return start if start <= now_ns else start - NS_PER_DAY


def _clock(ns: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000)
    return moment.strftime("%H:%M" if ns % (60 * NS_PER_SECOND) == 0 else "%H:%M:%S")


@dataclass(frozen=True)
class Window:
    """Which fills count: those at or after `start_ns`, the later of what was asked for
    (`requested_ns`: the day start, or a later `--since`) and the earliest time the trades cover
    (`known_from_ns`: the API returns 24 h, so now − 24 h)."""

    start_ns: int
    requested_ns: int
    known_from_ns: int
    now_ns: int

    @property
    def title(self) -> str:
        """For the pane's title: "since 00:00 UTC", "since 22:00 UTC yesterday" when it began the day
        before, with seconds when the start is not on a minute (a `--since`)."""
        days = self.now_ns // NS_PER_DAY - self.start_ns // NS_PER_DAY
        if days <= 0:
            return f"since {_clock(self.start_ns)} UTC"
        if days == 1:
            return f"since {_clock(self.start_ns)} UTC yesterday"
        day = datetime.fromtimestamp(self.start_ns // NS_PER_SECOND, UTC)
        return f"since {day:%Y-%m-%d} {_clock(self.start_ns)} UTC"

    @property
    def incomplete(self) -> bool:
        """The window asked for begins before the trades known: earlier fills are missing."""
        return self.requested_ns < self.known_from_ns

    @property
    def note(self) -> str | None:
        """What the screen must say when fills are missing, else None."""
        if not self.incomplete:
            return None
        return f"fills before {_clock(self.start_ns)} UTC are not known"


def day_window(
    now_ns: int | None = None,
    day_start: str = "00:00",
    *,
    since_ns: int | None = None,
    known_from_ns: int | None = None,
) -> Window:
    """The positions window at `now_ns`: from the latest `day_start` (HH:MM UTC), or `since_ns` when
    that is later, but not before `known_from_ns` (default now − 24 h, what the API can return)."""
    now = time.time_ns() if now_ns is None else now_ns
    requested = day_start_ns(now, day_start)
    if since_ns is not None and since_ns > requested:
        requested = since_ns
    known = now - NS_PER_DAY if known_from_ns is None else known_from_ns
    return Window(max(requested, known), requested, known, now)


# --- one instrument -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """One instrument's position from the counted fills. Amounts in the quote asset; None means
    unknown (never zero by default). `approximate` names the values rounded to `PLACES` decimals
    because their exact expansion does not terminate."""

    instrument_id: str
    quote_asset_id: str | None
    net_qty: Decimal
    avg_cost: Decimal | None  # None when flat
    realized: Decimal
    unrealized: Decimal | None  # None: no quote or an empty side (zero when flat)
    mid: Decimal | None
    fees: Decimal  # the sum of the fees known
    fees_complete: bool  # False: some fill had no fee rate (`unknown_fees` of them)
    total: Decimal | None  # realized + unrealized - fees; None when a part is unknown
    bought_qty: Decimal
    avg_buy: Decimal | None
    sold_qty: Decimal
    avg_sell: Decimal | None
    fills: int  # fills counted
    notional: Decimal  # bought + sold notional
    bought_notional: Decimal = _ZERO
    sold_notional: Decimal = _ZERO
    unreadable_fills: int = 0  # fills of this instrument that could not be counted (no side, price or qty)
    unknown_fees: int = 0  # counted fills without a fee rate
    since_ns: int | None = None
    approximate: frozenset[str] = frozenset()
    client_id: str | None = None  # whose fills, when the pane shows several clients

    @property
    def key(self) -> str:
        return f"{self.client_id}:{self.instrument_id}" if self.client_id else self.instrument_id


@dataclass(frozen=True)
class PositionTotal:
    """The sums over the positions quoted in one asset."""

    quote_asset_id: str
    realized: Decimal
    unrealized: Decimal | None  # None when any position's is unknown (see `unknown`)
    fees: Decimal
    fees_complete: bool
    total: Decimal | None
    notional: Decimal
    fills: int
    instruments: int
    unknown: tuple[str, ...] = ()  # instrument ids whose unrealized P&L is unknown
    unreadable_fills: int = 0
    unknown_fees: int = 0
    since_ns: int | None = None
    approximate: frozenset[str] = frozenset()
    client_id: str | None = None

    @property
    def key(self) -> str:
        if self.client_id:
            return f"{TOTAL_PREFIX}{self.client_id}:{self.quote_asset_id}"
        return f"{TOTAL_PREFIX}{self.quote_asset_id}"


class _Ledger:
    """The fills of one instrument in (timestamp, key) order and the running state after them.

    State: the signed net quantity q, the realized P&L R and the cash flow C (sells' notional minus
    buys'), all exact. The cost basis of the open position is B = R − C (the average cost is B / q):
    a buy or sell that adds to the position moves C and q, so the average is the weighted one; a
    partial close realizes its price × quantity minus the basis it releases, B × closed / |q|, the
    one division, exact when it has at most `PLACES` decimals, else rounded half-even to them; a
    full close releases B whole, so a round trip's realized P&L is exactly its cash flow and
    realized + unrealized = C + q × mid is exact whatever was rounded."""

    __slots__ = ("fills", "qty", "realized", "cash", "bought_qty", "bought_notional", "sold_qty",
                 "sold_notional", "fees", "fees_unknown", "count", "unreadable", "last", "rounded")

    def __init__(self) -> None:
        self.fills: list[tuple[int, str, Any]] = []
        self.reset()

    def reset(self) -> None:
        self.qty = _ZERO  # signed: long > 0
        self.realized = self.cash = _ZERO
        self.bought_qty = self.bought_notional = self.sold_qty = self.sold_notional = self.fees = _ZERO
        self.fees_unknown = 0
        self.count = 0
        self.unreadable = 0
        self.last: tuple[int, str] | None = None
        self.rounded = False  # a released basis was rounded since the position was last flat

    @property
    def basis(self) -> Decimal:
        return _EXACT.subtract(self.realized, self.cash)

    def take(self, entries: list[tuple[int, str, Any]]) -> None:
        """Add fills (sorted); those older than one applied already replay the instrument."""
        if self.last is not None and entries[0][:2] < self.last:
            self.fills.extend(entries)
            self.fills.sort(key=lambda e: e[:2])
            self.replay()
            return
        self.fills.extend(entries)
        for entry in entries:
            self._apply(entry)

    def replay(self) -> None:
        self.reset()
        for entry in self.fills:
            self._apply(entry)

    def _apply(self, entry: tuple[int, str, Any]) -> None:
        self.last = entry[:2]
        trade = entry[2]
        side = (wire_text(trade.side) or "").strip().upper()  # the side's case is only M (§3)
        price, qty = trade.trade_price, trade.trade_qty
        if side not in (BUY, SELL) or price is None or qty is None or price <= 0 or qty <= 0 or entry[0] < 0:
            self.unreadable += 1
            return
        self.count += 1
        notional = _mul(price, qty)
        rate = trade.trade_fee_rate
        if rate is None:
            self.fees_unknown += 1
        else:
            self.fees = _add(self.fees, _mul(notional, rate))
        held = self.qty
        if side == BUY:
            self.bought_qty = _add(self.bought_qty, qty)
            self.bought_notional = _add(self.bought_notional, notional)
            signed = qty
        else:
            self.sold_qty = _add(self.sold_qty, qty)
            self.sold_notional = _add(self.sold_notional, notional)
            signed = -qty
        if held != 0 and (held > 0) != (signed > 0):  # reduces, closes or flips the position
            size = abs(held)
            closed = min(qty, size)
            basis = self.basis
            if closed == size:
                released = basis  # closed whole: the basis goes whole, exactly
            else:
                released, rounded = _quotient(_mul(basis, closed), size, cap=True)
                self.rounded = self.rounded or rounded
            proceeds = _mul(price, closed)  # what the closed part sold for (long) or cost (short)
            gain = _EXACT.subtract(proceeds, released) if held > 0 else _EXACT.subtract(
                _EXACT.minus(released), proceeds)
            self.realized = _add(self.realized, gain)
        self.cash = _EXACT.subtract(self.cash, notional) if side == BUY else _add(self.cash, notional)
        self.qty = _add(held, signed)
        if self.qty == 0:
            self.rounded = False  # flat: R is the cash flow exactly, whatever was rounded before

    def position(self, instrument_id: str, quote_asset_id: str | None, mid: Decimal | None,
                 since_ns: int | None) -> Position:
        rounded: set[str] = set()
        qty = self.qty
        basis = self.basis
        avg_cost = None
        if qty == 0:
            unrealized: Decimal | None = _ZERO  # nothing open: nothing to value
        else:
            avg_cost, inexact = _quotient(basis, qty, cap=self.rounded)
            if inexact or self.rounded:
                rounded.add("avg_cost")
            unrealized = None if mid is None else _EXACT.subtract(_mul(qty, mid), basis)
        if self.rounded:
            rounded.update(("realized", "unrealized"))
        total = None
        if unrealized is not None and not self.fees_unknown:
            total = _EXACT.subtract(_add(self.realized, unrealized), self.fees)  # = C + q × mid − fees: exact
        avg_buy = avg_sell = None
        if self.bought_qty:
            avg_buy, inexact = _quotient(self.bought_notional, self.bought_qty)
            if inexact:
                rounded.add("avg_buy")
        if self.sold_qty:
            avg_sell, inexact = _quotient(self.sold_notional, self.sold_qty)
            if inexact:
                rounded.add("avg_sell")
        return Position(
            instrument_id=instrument_id,
            quote_asset_id=quote_asset_id,
            net_qty=qty,
            avg_cost=_plain(avg_cost),
            realized=_plain(self.realized),
            unrealized=_plain(unrealized),
            mid=_plain(mid),
            fees=_plain(self.fees),
            fees_complete=not self.fees_unknown,
            total=_plain(total),
            bought_qty=self.bought_qty,
            avg_buy=_plain(avg_buy),
            sold_qty=self.sold_qty,
            avg_sell=_plain(avg_sell),
            fills=self.count,
            notional=_plain(_add(self.bought_notional, self.sold_notional)),
            bought_notional=_plain(self.bought_notional),
            sold_notional=_plain(self.sold_notional),
            unreadable_fills=self.unreadable,
            unknown_fees=self.fees_unknown,
            since_ns=since_ns,
            approximate=frozenset(rounded),
        )


# --- the book -----------------------------------------------------------------------------------


class PositionBook:
    """Positions kept up to date as fills and quotes arrive.

    `add(trades)` takes trades in any order and any number of times (de-duplicated by `key`) and
    recomputes only the instruments they touch: a fill newer than those applied is applied on top,
    an older one replays its instrument from its first fill. `set_quotes` changes only the
    instruments whose mid moved. Only fills of `client_ids` (None: all; a fill that names no client
    counts, as the orders pane counts an order without one) at or after `since_ns` count.
    Both return the instrument ids whose position changed."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        client_ids: Iterable[str] | None = None,
        since_ns: int | None = None,
        label: str | None = None,
    ) -> None:
        self.catalog = catalog if catalog is not None else Catalog()
        self.client_ids = frozenset(client_ids) if client_ids is not None else None
        self.label = label  # the client its rows name (and are keyed by), when a pane shows several
        self.since_ns = since_ns
        self.window: Window | None = None
        self.unattributed = 0  # counted fills with no instrument id (shown nowhere else: say it)
        self._ledgers: dict[str, _Ledger] = {}
        self._seen: set[str] = set()
        self._mids: dict[str, Decimal | None] = {}
        self._cache: dict[str, Position] = {}
        self._catalog_version = self.catalog.version

    # --- input ----------------------------------------------------------------------------------

    def counts(self, trade: Any) -> bool:
        """Whether `trade` is one of the client's fills in the window."""
        if self.client_ids is not None and trade.client_id is not None and trade.client_id not in self.client_ids:
            return False
        timestamp = trade.timestamp  # a fill without a time is kept, to be shown as one not counted
        return self.since_ns is None or timestamp is None or timestamp >= self.since_ns

    def add(self, trades: Iterable[Any]) -> set[str]:
        batches: dict[str, list[tuple[int, str, Any]]] = {}
        for trade in trades:
            key = trade.key
            if key in self._seen or not self.counts(trade):
                continue
            self._seen.add(key)
            instrument = trade.instrument_id
            if not instrument:
                self.unattributed += 1
                continue
            timestamp = trade.timestamp
            batches.setdefault(instrument, []).append((-1 if timestamp is None else timestamp, key, trade))
        for instrument, entries in batches.items():
            entries.sort(key=lambda e: e[:2])
            ledger = self._ledgers.get(instrument)
            if ledger is None:
                ledger = self._ledgers[instrument] = _Ledger()
            ledger.take(entries)
            self._cache.pop(instrument, None)
        return set(batches)

    def set_quotes(self, quotes: Any) -> set[str]:
        """The latest quotes (a full set: an instrument left out has no quote any more)."""
        mids = _quotes(quotes)
        changed = {i for i in self._ledgers if mids.get(i) != self._mids.get(i)}
        self._mids = mids
        for instrument in changed:
            self._cache.pop(instrument, None)
        return changed

    def set_since(self, since_ns: int | None) -> set[str]:
        """Move the window's start (the day rolled): fills before it leave. Fills before the old
        start were never kept: moving it earlier needs them added again."""
        if since_ns == self.since_ns:
            return set()
        self.since_ns = since_ns
        changed: set[str] = set()
        for instrument, ledger in list(self._ledgers.items()):
            kept = [e for e in ledger.fills if since_ns is None or e[0] == -1 or e[0] >= since_ns]
            if len(kept) != len(ledger.fills):
                for entry in ledger.fills:
                    if since_ns is not None and entry[0] != -1 and entry[0] < since_ns:
                        self._seen.discard(entry[1])
                ledger.fills = kept
                ledger.replay()
                if not kept:
                    del self._ledgers[instrument]
            changed.add(instrument)
        self._cache.clear()
        return changed

    def set_window(self, window: Window) -> set[str]:
        """`set_since(window.start_ns)`, keeping the window for the title and its note."""
        self.window = window
        return self.set_since(window.start_ns)

    # --- output ---------------------------------------------------------------------------------

    def _fresh(self) -> None:
        if self.catalog.version != self._catalog_version:  # quote assets may have become known
            self._catalog_version = self.catalog.version
            self._cache.clear()

    def position(self, instrument_id: str) -> Position | None:
        self._fresh()
        cached = self._cache.get(instrument_id)
        if cached is None:
            ledger = self._ledgers.get(instrument_id)
            if ledger is None:
                return None
            cached = ledger.position(
                instrument_id, _quote_asset(self.catalog, instrument_id), self._mids.get(instrument_id), self.since_ns
            )
            if self.label:
                cached = replace(cached, client_id=self.label)
            self._cache[instrument_id] = cached
        return cached

    def positions(self) -> list[Position]:
        """Every instrument with a fill in the window, by quote asset then symbol."""
        found = [self.position(i) for i in self._ledgers]
        return _ordered([p for p in found if p is not None], self.catalog)

    def totals(self) -> list[PositionTotal]:
        return self._labelled(totals(self.positions()))

    def rows(self) -> list[Position | PositionTotal]:
        """What `positions_store(...).apply` takes: the positions, then one total per quote asset."""
        found = self.positions()
        return [*found, *self._labelled(totals(found))]

    def _labelled(self, found: list[PositionTotal]) -> list[PositionTotal]:
        return [replace(t, client_id=self.label) for t in found] if self.label else found


class PositionsByClient:
    """The positions of each client the key trades for, one `PositionBook` each; a fill that names no
    client is the `default` client's. `scope` is the client the pane shows (None: every client, each
    row naming its client). The mutators return whether what the pane shows may have changed."""

    def __init__(self, catalog: Catalog, default: str | None = None) -> None:
        self.catalog = catalog
        self.default = default or ""
        self.scope: str | None = self.default
        self.window: Window | None = None
        self.books: dict[str, PositionBook] = {}
        self._quotes: Any = None

    @property
    def since_ns(self) -> int | None:
        return self.window.start_ns if self.window is not None else None

    def _book(self, client_id: str) -> PositionBook:
        book = self.books.get(client_id)
        if book is None:
            book = self.books[client_id] = PositionBook(self.catalog, label=client_id if self.scope is None else None)
            if self.window is not None:
                book.set_window(self.window)
            book.set_quotes(self._quotes)
        return book

    def _shown(self) -> list[PositionBook]:
        if self.scope is None:
            return [self.books[c] for c in sorted(self.books)]
        return [self._book(self.scope)]

    def add(self, trades: Iterable[Any]) -> bool:
        by_client: dict[str, list[Any]] = {}
        for trade in trades:
            by_client.setdefault(trade.client_id or self.default, []).append(trade)
        changed = False
        for client_id, fills in by_client.items():
            changed |= bool(self._book(client_id).add(fills)) and (self.scope in (None, client_id))
        return changed

    def set_quotes(self, quotes: Any) -> bool:
        self._quotes = quotes
        changed = {client_id: bool(book.set_quotes(quotes)) for client_id, book in self.books.items()}
        return any(changed.get(client_id, False) for client_id in ([self.scope] if self.scope is not None else changed))

    def set_window(self, window: Window) -> None:
        self.window = window
        for book in self.books.values():
            book.set_window(window)

    def set_scope(self, client_id: str | None) -> None:
        self.scope = client_id
        for name, book in self.books.items():
            book.label = name if client_id is None else None
            book._cache.clear()  # the rows name their client, or not

    def rows(self) -> list[Position | PositionTotal]:
        return [row for book in self._shown() for row in book.rows()]

    def positions(self) -> list[Position]:
        return [p for book in self._shown() for p in book.positions()]

    @property
    def unattributed(self) -> int:
        return sum(book.unattributed for book in self._shown())


def _quote_asset(catalog: Catalog, instrument_id: str) -> str | None:
    instrument = catalog.instruments.get(instrument_id)
    return instrument.info.quote_asset_id if instrument is not None else None


def _ordered(found: list[Position], catalog: Catalog) -> list[Position]:
    return sorted(found, key=lambda p: (catalog.asset_name(p.quote_asset_id or ""), catalog.symbol(p.instrument_id),
                                        p.instrument_id))


def positions(
    trades: Iterable[Any],
    quotes: Any = None,
    catalog: Catalog | None = None,
    since_ns: int | None = None,
    client_ids: Iterable[str] | None = None,
) -> list[Position]:
    """The positions of `client_ids`' fills at or after `since_ns`, valued at the quotes' mids."""
    book = PositionBook(catalog, client_ids=client_ids, since_ns=since_ns)
    book.add(trades)
    book.set_quotes(quotes)
    return book.positions()


def totals(found: Iterable[Position]) -> list[PositionTotal]:
    """One total per quote asset, in the order the assets first appear. A position whose quote asset
    is not known (an instrument not in the reference data) is in no total: it cannot be added up."""
    groups: dict[str, list[Position]] = {}
    for position in found:
        if position.quote_asset_id is not None:
            groups.setdefault(position.quote_asset_id, []).append(position)
    result = []
    for asset, members in groups.items():
        realized = fees = notional = _ZERO
        unrealized: Decimal | None = _ZERO
        for p in members:
            realized = _add(realized, p.realized)
            fees = _add(fees, p.fees)
            notional = _add(notional, p.notional)
            unrealized = None if unrealized is None or p.unrealized is None else _add(unrealized, p.unrealized)
        complete = all(p.fees_complete for p in members)
        total = None
        if unrealized is not None and complete:
            total = _EXACT.subtract(_add(realized, unrealized), fees)
        result.append(PositionTotal(
            quote_asset_id=asset,
            realized=_plain(realized),
            unrealized=_plain(unrealized),
            fees=_plain(fees),
            fees_complete=complete,
            total=_plain(total),
            notional=_plain(notional),
            fills=sum(p.fills for p in members),
            instruments=len(members),
            unknown=tuple(p.instrument_id for p in members if p.unrealized is None),
            unreadable_fills=sum(p.unreadable_fills for p in members),
            unknown_fees=sum(p.unknown_fees for p in members),
            since_ns=members[0].since_ns,
            approximate=frozenset(n for n in ("realized", "unrealized") if any(n in p.approximate for p in members)),
        ))
    return result


# --- balances at mid ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceValue:
    """One balance line's value in the quote asset: balance × mid of the instrument with that base
    and quote; the quote asset itself at its balance. `value` None: unknown, `reason` says why."""

    client_id: str
    asset_id: str
    balance: Decimal | None
    value: Decimal | None
    mid: Decimal | None = None
    instrument_id: str | None = None
    reason: str = ""

    @property
    def key(self) -> str:
        """The balances pane's row key (`BalanceRow.key`)."""
        return f"{self.client_id}:{self.asset_id}"


@dataclass(frozen=True)
class BalanceValuation:
    quote_asset_id: str | None
    lines: tuple[BalanceValue, ...]
    total: Decimal  # the sum of the values known
    unknown: tuple[str, ...]  # asset ids whose value is unknown: the total leaves them out, and says so

    @property
    def complete(self) -> bool:
        return not self.unknown

    def value_of(self, key: str) -> BalanceValue | None:
        """By the balances pane's row key."""
        return next((line for line in self.lines if line.key == key), None)


def default_quote_asset(catalog: Catalog) -> str | None:
    """The asset most instruments are quoted in (PYUSD on TrueX); ties go to the lowest id."""
    counts: dict[str, int] = {}
    for instrument in catalog.instruments.values():
        asset = instrument.info.quote_asset_id
        if asset:
            counts[asset] = counts.get(asset, 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda a: (-counts[a], a))


def balance_values(
    balances: Iterable[Balances | BalanceRow],
    quotes: Any = None,
    catalog: Catalog | None = None,
    quote_asset_id: str | None = None,
) -> BalanceValuation:
    """Each balance line valued at mid in `quote_asset_id` (default: the most common quote asset) and
    the total of the values known, with the assets that could not be valued listed."""
    catalog = catalog if catalog is not None else Catalog()
    quote_asset = quote_asset_id or default_quote_asset(catalog)
    mids = _quotes(quotes)
    by_base = {
        i.info.base_asset_id: i.id
        for i in sorted(catalog.instruments.values(), key=lambda i: i.id, reverse=True)
        if quote_asset is not None and i.info.quote_asset_id == quote_asset and i.info.base_asset_id
    }
    items = list(balances)
    rows = [r for item in items for r in (balance_rows([item]) if isinstance(item, Balances) else [item])]
    lines = []
    total = _ZERO
    unknown: list[str] = []
    for row in rows:
        line = row.line
        asset, balance = line.asset_id, line.balance
        value: Decimal | None = None
        mid: Decimal | None = None
        instrument = None
        reason = ""
        if balance is None:
            reason = "no balance"
        elif quote_asset is not None and asset == quote_asset:
            value = balance
        elif balance == 0:
            value = _ZERO  # nothing held: worth nothing at any price
        elif asset not in by_base:
            reason = "no instrument" if quote_asset is not None else "no quote asset"
        else:
            instrument = by_base[asset]
            exact_mid = mids.get(instrument)
            if exact_mid is None:
                reason = "no quote" if instrument not in mids else "empty book side"
            else:
                mid = exact_mid
                value = _mul(balance, mid)
        if value is None:
            if asset not in unknown:
                unknown.append(asset)
        else:
            total = _add(total, value)
        lines.append(BalanceValue(row.client_id, asset, balance, value, mid, instrument, reason))
    return BalanceValuation(quote_asset, tuple(lines), total, tuple(unknown))


@dataclass(frozen=True)
class Change:
    """The change of the balances' value since the blotter started."""

    change: Decimal | None  # None until some line has been valued
    total: Decimal
    quote_asset_id: str | None
    excluded: tuple[str, ...] = ()  # assets unknown now: in neither side of the change

    def text(self, catalog: Catalog | None = None) -> str:
        """For the header: "+1,234.5 PYUSD since start", with what is left out."""
        name = (catalog or Catalog()).asset_name(self.quote_asset_id)
        if self.change is None:
            return f"value change unknown ({name})" if name else "value change unknown"
        sign = "+" if self.change > 0 else ""
        text = f"{sign}{fmt_derived(self.change)} {name} since start".replace("  ", " ")
        if self.excluded:
            text += " (without " + ", ".join((catalog or Catalog()).asset_name(a) for a in self.excluded) + ")"
        return text


class ValueChange:
    """The change of the balances' total value since the blotter started, line by line: each line is
    compared with its value when first known (a quote that arrives a poll late does not count as a
    change); a line unknown now is left out of both sides and listed."""

    def __init__(self) -> None:
        self.quote_asset_id: str | None = None
        self._start: dict[str, Decimal] = {}

    def update(self, valuation: BalanceValuation) -> Change:
        if valuation.quote_asset_id != self.quote_asset_id:
            self.quote_asset_id = valuation.quote_asset_id
            self._start.clear()
        change = _ZERO
        known = False
        for line in valuation.lines:
            if line.value is None:
                continue
            known = True
            start = self._start.setdefault(line.key, line.value)
            change = _add(change, _EXACT.subtract(line.value, start))
        return Change(change if known else None, valuation.total, valuation.quote_asset_id, valuation.unknown)


# --- the pane -----------------------------------------------------------------------------------

R = "right"
N, ID = "number", "id"

POSITION_COLUMNS = (  # what a narrow pane keeps first: the net and the P&L
    Column("symbol", "Symbol", 6, kind=ID, priority=0, frozen=True),
    Column("client", "Client", 6, kind=ID, priority=2),  # shown when the pane holds several clients
    Column("net", "Net qty", 7, R, kind=N, priority=0),
    Column("total", "Total", 5, R, kind=N, priority=0),
    Column("unrealized", "Unrealized", 10, R, kind=N, priority=0),
    Column("realized", "Realized", 8, R, kind=N, priority=0),
    Column("fees", "Fees", 4, R, kind=N, priority=2),
    Column("avg_cost", "Avg cost", 8, R, kind=N, priority=1),
    Column("bought", "Bought", 6, R, kind=N, priority=3),
    Column("avg_buy", "Avg buy", 7, R, kind=N, priority=4),
    Column("sold", "Sold", 4, R, kind=N, priority=3),
    Column("avg_sell", "Avg sell", 8, R, kind=N, priority=4),
    Column("fills", "Fills", 5, R, kind=N, priority=2),
    Column("notional", "Notional", 8, R, kind=N, priority=3),
)
UNKNOWN = "unknown"  # text and style token of a value that cannot be known


def _unknown() -> Cell:
    return Cell(UNKNOWN, UNKNOWN, "")  # sorts as a missing value, never among the numbers


def _shown(value: Decimal, approximate: bool) -> Decimal:
    if not approximate:
        return value.normalize(_EXACT) if value else _ZERO
    return value.quantize(Decimal(1).scaleb(-SHOWN_PLACES), rounding=ROUND_HALF_EVEN).normalize(_EXACT)


def _signed(text: str, value: Decimal) -> str:
    return f"+{text}" if value > 0 else text


def _pnl_cell(value: Decimal | None, approximate: bool, places: int) -> Cell:
    """A P&L amount: sign always shown, 'up'/'down' by sign, '≈' when rounded, 'unknown' when unknown."""
    if value is None:
        return _unknown()
    shown = _shown(value, approximate)
    text = _signed(fmt_amount(shown, places), value)
    return Cell(("≈" if approximate else "") + text, "up" if value > 0 else "down" if value < 0 else "", value)


def _price_cell(value: Decimal | None, approximate: bool, places: int) -> Cell:
    if value is None:
        return Cell("", "", None)
    return Cell(("≈" if approximate else "") + fmt_amount(_shown(value, approximate), places), "", value)


def _fees_cell(item: Position | PositionTotal, places: int) -> Cell:
    """The fees known; "+ unknown" when some fill had no fee rate, "unknown" when none had one."""
    fees = item.fees
    if item.fees_complete:
        return Cell(fmt_amount(_shown(fees, False), places), "", fees)
    if item.unknown_fees >= item.fills:
        return _unknown()
    return Cell(f"{fmt_amount(_shown(fees, False), places)} + {UNKNOWN}", UNKNOWN, fees)


def _fills_cell(fills: int, unreadable: int) -> Cell:
    if unreadable:
        return Cell(f"{fills} +{unreadable}?", "unreadable", fills)
    return Cell(str(fills), "", fills)


def _sort_text(catalog: Catalog, quote_asset_id: str | None, name: str, last: bool) -> str:
    return f"{catalog.asset_name(quote_asset_id or '')}\t{'1' if last else '0'}{name}"


def position_row(item: Position | PositionTotal, display: Display | Catalog) -> Row:
    catalog = as_display(display).catalog
    if isinstance(item, PositionTotal):
        name = f"Total {catalog.asset_name(item.quote_asset_id)}"
        return _in_column_order(symbol=Cell(name, "", _sort_text(catalog, item.quote_asset_id, name, True)),
                                **_money_cells(item, catalog))
    p = item
    instrument = p.instrument_id
    approx = p.approximate
    qp = catalog.qty_places(instrument, p.net_qty, p.bought_qty, p.sold_qty, column="position-qty")
    pp = catalog.price_places(instrument, column="position-price")
    symbol = catalog.symbol(instrument)
    return _in_column_order(
        symbol=Cell(symbol, "", _sort_text(catalog, p.quote_asset_id, symbol, False)),
        net=Cell(_signed(fmt_amount(p.net_qty, qp), p.net_qty), "buy" if p.net_qty > 0 else "sell" if p.net_qty < 0
                 else "", p.net_qty),
        avg_cost=_price_cell(p.avg_cost, "avg_cost" in approx, pp),
        bought=Cell(fmt_amount(p.bought_qty, qp), "", p.bought_qty),
        avg_buy=_price_cell(p.avg_buy, "avg_buy" in approx, pp),
        sold=Cell(fmt_amount(p.sold_qty, qp), "", p.sold_qty),
        avg_sell=_price_cell(p.avg_sell, "avg_sell" in approx, pp),
        **_money_cells(p, catalog),
    )


def _money_cells(item: Position | PositionTotal, catalog: Catalog) -> dict[str, Cell]:
    """What a position and a total row both show: the client, the P&L, fees, fills and notional,
    each aligned in the quote asset."""
    approx = item.approximate
    quote = item.quote_asset_id
    pnl = catalog.asset_places(quote, *(_shown(v, n in approx) for n, v in (
        ("realized", item.realized), ("unrealized", item.unrealized), ("total", item.total)) if v is not None),
        column="position-pnl")
    fee_places = catalog.asset_places(quote, _shown(item.fees, False), column="position-fees")
    notional_places = catalog.asset_places(quote, _shown(item.notional, False), column="position-notional")
    return {
        "client": Cell(item.client_id or ""),
        "realized": _pnl_cell(item.realized, "realized" in approx, pnl),
        "unrealized": _pnl_cell(item.unrealized, "unrealized" in approx, pnl),
        "fees": _fees_cell(item, fee_places),
        "total": _pnl_cell(item.total, "total" in approx, pnl),
        "fills": _fills_cell(item.fills, item.unreadable_fills),
        "notional": Cell(fmt_amount(_shown(item.notional, False), notional_places), "", item.notional),
    }


def _in_column_order(**cells: Cell) -> Row:
    blank = Cell("", "", None)
    return tuple(cells.get(column.key, blank) for column in POSITION_COLUMNS)


def positions_store(display: Display | Catalog | None = None) -> PositionStore:
    """Fed with `store.apply(book.rows())` after each `PositionBook` change (a snapshot: an
    instrument whose fills all left the window leaves the pane)."""
    display = as_display(display)
    return PositionStore(
        POSITION_COLUMNS,
        key=lambda item: item.key,
        render=lambda item: position_row(item, display),
        sort_column=0,
    )
