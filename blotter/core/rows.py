"""What each pane shows: its columns and how one source item becomes a row of display cells.

Headless. Every amount shows exactly what the exchange sent (digits grouped, zeros added to line a
column up, never rounded); a value that did not parse shows its raw text marked `?`; an empty
book side says so. Every id stays a string. Style tokens name semantics ('buy', 'sell', 'up',
'down', 'status-filled', 'unreadable', ...); the UI maps them to themed component classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

from ..api.models import (
    IMPOSSIBLE_PRICE,
    NS_PER_DAY,
    Balances,
    BalanceLine,
    MarketQuote,
    Order,
    OrderType,
    PriceLevel,
    Trade,
    is_not_given,
)
from .format import TimeFormat, fmt_amount, fmt_bps, fmt_derived, unreadable_text, wire_text
from .order_times import OrderTimes
from .reference import Catalog
from .store import TOTAL_PREFIX, Cell, Column, KeyedStore, Row, TotalsLastStore, TradeStore
from .trade_records import TradeCompactor, TradeRecord

R = "right"

# Priority: 0 is never dropped; when a pane is too narrow the highest numbers go first.
N, ID = "number", "id"

ORDER_COLUMNS = (
    Column("symbol", "Symbol", 6, kind=ID, priority=0, frozen=True),
    Column("side", "Side", 4, priority=0, frozen=True),
    Column("time", "Time", 4, priority=1),
    Column("type", "Type", 4, priority=4),
    Column("price", "Price", 5, R, kind=N, priority=0),
    Column("qty", "Qty", 3, R, kind=N, priority=0),
    Column("filled", "Filled", 6, R, kind=N, priority=2),
    Column("progress", "Fill", 4, priority=5),
    Column("leaves", "Leaves", 6, R, kind=N, priority=2),
    Column("avg", "Avg px", 6, R, kind=N, priority=3),
    Column("status", "Status", 6, priority=1),
    Column("tif", "TIF", 3, priority=5),
    Column("id", "Order id", 8, kind=ID, priority=6),
    Column("external_id", "External id", 11, priority=7, max_width=36),
    Column("client", "Client", 6, kind=ID, priority=3),  # shown (after Side) when the panes hold several clients
)

TRADE_COLUMNS = (
    Column("symbol", "Symbol", 6, kind=ID, priority=0, frozen=True),
    Column("side", "Side", 4, priority=0, frozen=True),
    Column("time", "Time", 4, priority=1),
    Column("price", "Price", 5, R, kind=N, priority=0),
    Column("qty", "Qty", 3, R, kind=N, priority=0),
    Column("notional", "Notional", 8, R, kind=N, priority=2),
    Column("fee", "Fee", 3, R, kind=N, priority=3),
    Column("liq", "Liq", 3, priority=4),
    Column("order_id", "Order id", 8, kind=ID, priority=6),
    Column("external_id", "External id", 11, priority=7, max_width=36),
    Column("client", "Client", 6, kind=ID, priority=3),
)

BALANCE_COLUMNS = (
    Column("asset", "Asset", 5, kind=ID, priority=0, frozen=True),
    Column("total", "Total", 5, R, kind=N, priority=0),
    Column("value", "Value", 5, R, kind=N, priority=1),  # at mid, in the quote asset (the total row names it)
    Column("available", "Available", 9, R, kind=N, priority=1),
    Column("hold", "On hold", 7, R, kind=N, priority=2),
    Column("unsettled", "Unsettled", 9, R, kind=N, priority=3),
)

QUOTE_COLUMNS = (
    Column("symbol", "Symbol", 6, kind=ID, priority=0, frozen=True),
    Column("bid_qty", "Bid qty", 7, R, kind=N, priority=3),
    Column("bid", "Bid", 3, R, kind=N, priority=0),
    Column("ask", "Ask", 3, R, kind=N, priority=0),
    Column("ask_qty", "Ask qty", 7, R, kind=N, priority=3),
    Column("spread", "Spread", 6, R, kind=N, priority=2),
    Column("bps", "Bps", 3, R, kind=N, priority=4),
    Column("last", "Last", 4, R, kind=N, priority=1),
    Column("last_qty", "Last qty", 8, R, kind=N, priority=4),
    Column("trail", "Mid 15m", 7, priority=5),  # a sparkline from the polls already made
)

ORDER_TIME = next(i for i, c in enumerate(ORDER_COLUMNS) if c.key == "time")
TRADE_TIME = next(i for i, c in enumerate(TRADE_COLUMNS) if c.key == "time")


@dataclass
class Display:
    """What rows need besides the record: reference data (names, alignment), the time format,
    and where orders' times come from. One per app, shared by every pane."""

    catalog: Catalog = field(default_factory=Catalog)
    times: TimeFormat = field(default_factory=TimeFormat)
    order_times: OrderTimes | None = None


_STATUS_STYLE = {
    "ACTIVE": "status-active",
    "FILLED": "status-filled",
    "CANCELED": "status-dead",
    "REJECTED": "status-rejected",
    "NEW_PENDING": "status-pending",
    "INITIALIZED": "status-pending",
    "CANCEL_PENDING": "status-pending",
    "MODIFY_PENDING": "status-pending",
}


def _text(value: object) -> str:
    return wire_text(value) or ""


def side_cell(side: object) -> Cell:
    text = _text(side)
    return Cell(text, {"BUY": "buy", "SELL": "sell"}.get(text, ""))


def progress_bar(filled: Decimal | None, qty: Decimal | None, width: int = 5) -> Cell:
    """A fill cue that reads without colour: '▰▰▱▱▱ 40%'."""
    if not qty or filled is None:
        return Cell("", "", Decimal(0))
    ratio = max(Decimal(0), min(Decimal(1), filled / qty))
    blocks = int(ratio * width)
    percent = int(ratio * 100)
    bar = "▰" * blocks + "▱" * (width - blocks)
    return Cell(f"{bar}{percent:>4}%", "progress-done" if ratio >= 1 else "progress", ratio)


def unreadable_cell(raw: str) -> Cell:
    """A value the exchange sent that did not parse: its raw text, marked, sorted last."""
    return Cell(unreadable_text(raw), "unreadable", None)


def amount_cell(value: Decimal | None, places: int, raw: str | None = None) -> Cell:
    if raw is not None:
        return unreadable_cell(raw)
    return Cell(fmt_amount(value, places), "", value)


def derived_cell(value: Decimal | None, places: int = 0) -> Cell:
    return Cell(fmt_derived(value, places), "", value)


def text_cell(value: object, raw: str | None = None) -> Cell:
    return unreadable_cell(raw) if raw is not None else Cell(_text(value))


# --- orders -------------------------------------------------------------------------------------


def order_fingerprint(order: Order) -> tuple:
    modify = order.modify_info
    return (
        order.status,
        order.update_timestamp,
        order.leaves_qty,
        order.executed_qty,
        order.executed_vwap,
        order.pending_qty,
        modify.new_price if modify else None,
        modify.new_qty if modify else None,
        order.order_info.price,
        order.order_info.qty,
        order.external_id,
        tuple(order.unreadable.items()),
    )


def _aligned(value: Decimal | None) -> Decimal | None:
    """A value to learn a column's decimals from: not one no instrument trades at (it would pad
    the column for the session)."""
    return None if value is None or abs(value) >= IMPOSSIBLE_PRICE else value


def _amount_raw(order: Order, unread: dict[str, str], name: str) -> str | None:
    """The text of the order's `name` ("price" or "qty") as sent when it did not read: the modify's,
    else the order's. None when a value read; a modified value that read wins over the order's
    (0 or a sentinel is "not given", see `Order.price`)."""
    if order.modify_info and not is_not_given(getattr(order.modify_info, f"new_{name}")):
        return None
    raw = unread.get(f"modify_info.new_{name}")
    if raw is not None or getattr(order, name) is not None:
        return raw
    return unread.get(f"order_info.{name}")


def order_price_cell(order: Order, places: int, raw: str | None) -> Cell:
    """The limit price; a MARKET order (its price sent as 0, a sentinel or not at all) says so."""
    if raw is None and order.price is None:
        new_type = order.modify_info.new_type if order.modify_info else None
        if OrderType.MARKET in (order.order_info.type, new_type):
            return Cell("market", "empty", None)
    return amount_cell(order.price, places, raw)


def order_time_cell(order: Order, display: Display) -> Cell:
    raw = order.unreadable.get("timestamp")
    if raw is not None:  # a time in no form we read: shown as sent, marked
        return unreadable_cell(raw)
    if display.order_times is None:
        return Cell(display.times(order.timestamp), "", order.timestamp or 0)
    when = display.order_times.time_of(order)
    return Cell(display.times(when.ns, estimated=not when.from_exchange), "" if when.from_exchange else "estimated",
                when.ns)


def order_row(order: Order, display: Display) -> Row:
    catalog = display.catalog
    info = order.order_info
    instrument = info.instrument_id
    unread = order.unreadable
    qty = order.qty
    pp = catalog.price_places(instrument, _aligned(order.price))
    ap = catalog.price_places(instrument, _aligned(order.average_price), column="avg")
    qp = catalog.qty_places(instrument, _aligned(qty), _aligned(order.executed_qty), _aligned(order.leaves_qty))
    status = _text(order.status)
    return (
        text_cell(catalog.symbol(instrument), unread.get("order_info.instrument_id")),
        side_cell(info.side) if "order_info.side" not in unread else unreadable_cell(unread["order_info.side"]),
        order_time_cell(order, display),
        text_cell(info.type, unread.get("order_info.type")),
        order_price_cell(order, pp, _amount_raw(order, unread, "price")),
        amount_cell(qty, qp, _amount_raw(order, unread, "qty")),
        amount_cell(order.executed_qty, qp, unread.get("exeuted_qty") or unread.get("executed_qty")),
        progress_bar(order.executed_qty, qty),
        amount_cell(order.leaves_qty, qp, unread.get("leaves_qty")),
        amount_cell(order.average_price, ap, unread.get("executed_vwap")),
        Cell(status, _STATUS_STYLE.get(status, "status-unknown")) if "status" not in unread
        else unreadable_cell(unread["status"]),
        text_cell(info.tif, unread.get("order_info.tif")),
        text_cell(order.id, unread.get("id")),
        text_cell(order.external_id, unread.get("external_id")),
        text_cell(info.client_id, unread.get("order_info.client_id")),
    )


def order_key(order: Order) -> str:
    return order.key  # the exchange id, else the external id while the id is a placeholder


def orders_store(display: Display | Catalog | None = None) -> KeyedStore[Order]:
    display = as_display(display)
    return KeyedStore(
        ORDER_COLUMNS,
        key=order_key,
        render=lambda o: order_row(o, display),
        fingerprint=order_fingerprint,
        sort_column=ORDER_TIME,
        sort_reverse=True,
    )


def as_display(value: Display | Catalog | None) -> Display:
    """A `Display` from a catalog (or nothing): tests and tools often only have reference data."""
    if isinstance(value, Display):
        return value
    return Display(catalog=value if value is not None else Catalog())


# --- trades -------------------------------------------------------------------------------------


def trade_row(trade: Trade | TradeRecord, display: Display | Catalog) -> Row:
    display = as_display(display)
    catalog = display.catalog
    instrument = trade.instrument_id
    unread = trade.unreadable
    pp = catalog.price_places(instrument, trade.trade_price)
    qp = catalog.qty_places(instrument, trade.trade_qty)
    liq = _text(trade.liq_flag)
    estimated = getattr(trade, "time_seen", False)
    return (
        text_cell(catalog.symbol(instrument), unread.get("instrument_id")),
        side_cell(trade.side) if "side" not in unread else unreadable_cell(unread["side"]),
        Cell(display.times(trade.timestamp, estimated=estimated), "estimated" if estimated else "", trade.timestamp),
        amount_cell(trade.trade_price, pp, unread.get("trade_price")),
        amount_cell(trade.trade_qty, qp, unread.get("trade_qty")),
        derived_cell(trade.notional),
        derived_cell(trade.fee) if "trade_fee_rate" not in unread else unreadable_cell(unread["trade_fee_rate"]),
        Cell(liq, "maker" if liq == "MAKER" else ""),
        Cell(trade.order_id or ""),
        text_cell(trade.external_id, unread.get("external_id")),
        text_cell(trade.client_id, unread.get("client_id")),
    )


def trade_search(trade: Trade | TradeRecord, catalog: Catalog) -> str:
    return " ".join(
        (
            catalog.symbol(trade.instrument_id),
            _text(trade.side),
            _text(trade.liq_flag),
            trade.order_id or "",
            trade.external_id or "",
            fmt_amount(trade.trade_price),
        )
    )


def trades_store(
    display: Display | Catalog | None = None, cap: int = 1000, window_ns: int | None = NS_PER_DAY  # the exchange reports 24 h
) -> TradeStore[Trade]:
    """Trades in, `TradeRecord`s kept (a compact copy of each `Trade`, same attributes, exact
    amounts); those older than `window_ns` below the newest seen are dropped. A trade without a
    readable time is placed at the moment it was first seen, marked as such."""
    display = as_display(display)
    return TradeStore(
        TRADE_COLUMNS,
        key=lambda t: t.key,
        render=lambda t: trade_row(t, display),
        timestamp=lambda t: t.timestamp,
        cap=cap,
        search=lambda t: trade_search(t, display.catalog),
        sort_column=TRADE_TIME,
        sort_reverse=True,
        compact=TradeCompactor(now_ns=display.times.now_ns),
        window_ns=window_ns,
    )


# --- balances -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    """One asset of one client. `value`: the balance at mid in `value_asset` (None: unknown, and
    `value_note` says why: no quote, an empty book side, no instrument)."""

    client_id: str
    line: BalanceLine
    many_clients: bool = False
    value: Decimal | None = None
    value_asset: str | None = None
    value_note: str = ""

    @property
    def key(self) -> str:
        return f"{self.client_id}:{self.line.asset_id}"


@dataclass(frozen=True)
class BalanceTotal:
    """The balances' total value in `asset`: the sum of the values known; `unknown` lists the assets
    left out (they could not be valued), so the total never pretends to be whole."""

    asset: str | None
    total: Decimal
    unknown: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{TOTAL_PREFIX}value"


def _value_cell(value: Decimal | None, note: str, places: int) -> Cell:
    if value is None:
        return Cell(note or "unknown", "unknown", None)
    return Cell(fmt_amount(value, places), "", value)


def balance_total_row(total: BalanceTotal, catalog: Catalog) -> Row:
    name = catalog.asset_name(total.asset) if total.asset else "?"
    value = fmt_amount(total.total, catalog.asset_places(total.asset, total.total, column="value"))
    if total.unknown:
        value += " + " + ", ".join(catalog.asset_name(a) for a in total.unknown) + " unknown"
    blank = Cell("", "", None)
    return (Cell(f"Total {name}", "", None), blank,
            Cell(value, "unknown" if total.unknown else "", total.total), blank, blank, blank)


def balance_row(row: BalanceRow | BalanceTotal, display: Display | Catalog) -> Row:
    catalog = as_display(display).catalog
    if isinstance(row, BalanceTotal):
        return balance_total_row(row, catalog)
    line = row.line
    unread = line.unreadable
    asset = line.asset_id
    name = catalog.asset_name(asset)
    if row.many_clients:
        name = f"{name} ({row.client_id})"
    holds_raw = unread.get("order_hold") or unread.get("transfer_hold")
    return (
        Cell(name),
        amount_cell(line.balance, catalog.asset_places(asset, line.balance, column="total"), unread.get("balance")),
        _value_cell(row.value, row.value_note, catalog.asset_places(row.value_asset, row.value, column="value")),
        amount_cell(line.available, catalog.asset_places(asset, line.available, column="available"),
                    unread.get("balance") or holds_raw),
        amount_cell(line.on_hold, catalog.asset_places(asset, line.on_hold, column="hold"), holds_raw),
        amount_cell(line.unsettled, catalog.asset_places(asset, line.unsettled, column="unsettled"),
                    unread.get("unsettled")),
    )


def balance_rows(entities: Iterable[Balances]) -> list[BalanceRow]:
    entities = list(entities)
    many = len({e.id for e in entities}) > 1
    return [BalanceRow(e.id, line, many) for e in entities for line in e.balances]


def fee_summary(entities: Iterable[Balances]) -> str:
    entities = list(entities)
    hold = sum((e.fees_hold or Decimal(0) for e in entities), Decimal(0))
    unsettled = sum((e.unsettled_fees or Decimal(0) for e in entities), Decimal(0))
    return f"fees hold {fmt_derived(hold, 2)} · unsettled fees {fmt_derived(unsettled, 2)}"


def balances_store(display: Display | Catalog | None = None) -> KeyedStore[BalanceRow | BalanceTotal]:
    """Fed with the balance rows, then the total row (`BalanceTotal`), which stays last."""
    display = as_display(display)
    return TotalsLastStore(
        BALANCE_COLUMNS,
        key=lambda r: r.key,
        render=lambda r: balance_row(r, display),
        fingerprint=lambda r: r if isinstance(r, BalanceTotal) else (
            r.line, r.many_clients, tuple(r.line.unreadable.items()), r.value, r.value_asset, r.value_note),
    )


# --- quotes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRow:
    """A quote with the direction each price moved since the previous poll ('up'/'down'/'')."""

    quote: MarketQuote
    bid_move: str = ""
    ask_move: str = ""
    last_move: str = ""
    trail: str = ""  # the mid over the last 15 minutes (core.mid_history)

    @property
    def key(self) -> str:
        return self.quote.id


def _move(new: Decimal | None, old: Decimal | None) -> str:
    if new is None or old is None or new == old:
        return ""
    return "up" if new > old else "down"


def _prices(quote: MarketQuote) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    info = quote.info
    return (
        info.best_bid.price if info.best_bid else None,
        info.best_ask.price if info.best_ask else None,
        info.last_trade.price if info.last_trade else None,
    )


class QuoteTracker:
    """Turns successive quote polls into `QuoteRow`s: a move is marked for one poll only."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]] = {}

    def rows(self, quotes: Iterable[MarketQuote]) -> list[QuoteRow]:
        result = []
        for quote in quotes:
            prices = _prices(quote)
            old = self._last.get(quote.id, (None, None, None))
            self._last[quote.id] = prices
            result.append(QuoteRow(quote, *(_move(n, o) for n, o in zip(prices, old, strict=True))))
        return result


_GLYPH = {"up": "▲", "down": "▼", "": " "}
EMPTY_SIDE = {"bid": "no bid", "ask": "no ask"}


def _price_cell(value: Decimal | None, places: int, move: str) -> Cell:
    if value is None:
        return Cell("", "", None)
    return Cell(f"{fmt_amount(value, places)}{_GLYPH[move]}", move, value)


def _side_cells(level: PriceLevel | None, side: str, pp: int, qp: int, move: str) -> tuple[Cell, Cell]:
    """(price, quantity) of one side; an empty side (no level, a sentinel or a zero price) says so."""
    if level is None or level.price is None:
        raw = level.unreadable.get("price") if level is not None else None
        if raw is not None:
            return unreadable_cell(raw), Cell("")
        return Cell(EMPTY_SIDE[side], "empty", None), Cell("")
    return _price_cell(level.price, pp, move), amount_cell(level.qty, qp, level.unreadable.get("qty"))


HALF = Decimal("0.5")
_WIDE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)  # a sum and a half of wire decimals never round in it


def mid_of(quote: MarketQuote) -> Decimal | None:
    """(best bid + best ask) / 2, exact; None when a side is empty (the wire model reads a sentinel,
    zero or negative price as no price)."""
    bid, ask, _ = _prices(quote)
    return _WIDE.multiply(_WIDE.add(bid, ask), HALF) if bid is not None and ask is not None else None


def quote_row(row: QuoteRow, display: Display | Catalog) -> Row:
    catalog = as_display(display).catalog
    quote = row.quote
    info = quote.info
    bid, ask, last = _prices(quote)
    last_qty = info.last_trade.qty if info.last_trade else None
    bid_qty = info.best_bid.qty if info.best_bid else None
    ask_qty = info.best_ask.qty if info.best_ask else None
    pp = catalog.price_places(quote.id, bid, ask, last, column="quote")
    qp = catalog.qty_places(quote.id, bid_qty, ask_qty, last_qty, column="quote-qty")
    spread = ask - bid if bid is not None and ask is not None else None
    mid = (ask + bid) / 2 if spread is not None else None
    bps = spread / mid * 10_000 if spread is not None and mid else None
    bid_price, bid_size = _side_cells(info.best_bid, "bid", pp, qp, row.bid_move)
    ask_price, ask_size = _side_cells(info.best_ask, "ask", pp, qp, row.ask_move)
    symbol = Cell(quote.symbol or catalog.symbol(quote.id))
    if quote.status is not None and str(quote.status) != "ENABLED":  # EBBO's DISABLED: no live market
        symbol = Cell(f"{symbol.text} {quote.status}", "status-dead", symbol.text)
    return (
        symbol,
        bid_size,
        bid_price,
        ask_price,
        ask_size,
        derived_cell(spread, pp),
        Cell(fmt_bps(bps), "", bps),
        _price_cell(last, pp, row.last_move),
        amount_cell(last_qty, qp),
        Cell(row.trail, "trail", None),
    )


def quotes_store(display: Display | Catalog | None = None) -> KeyedStore[QuoteRow]:
    display = as_display(display)
    return KeyedStore(
        QUOTE_COLUMNS,
        key=lambda r: r.key,
        render=lambda r: quote_row(r, display),
        fingerprint=lambda r: (r.quote, r.bid_move, r.ask_move, r.last_move, r.trail),
        sort_column=0,
    )
