"""What the doctor concludes from answers: pure functions, no network, so each rule is testable alone."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ...api.models import (
    IMPOSSIBLE_PRICE,
    Asset,
    Balances,
    Instrument,
    MarketQuote,
    Order,
    OrderType,
    Trade,
    WireModel,
)

__all__ = [
    "Note",
    "Outcome",
    "Result",
    "asset_notes",
    "balance_notes",
    "clock_verdict",
    "instrument_notes",
    "order_notes",
    "paging_outcome",
    "quote_notes",
    "timestamp_meaning",
    "trade_notes",
]

# Clock: the exchange accepts a signature at most 15 s behind its clock and 1 s ahead (§1.1).
CLOCK_WARN_SECONDS = 5.0
SIGNING_PAST_SECONDS = 15.0
SIGNING_FUTURE_SECONDS = 1.0
DATE_RESOLUTION_SECONDS = 1.0  # `Date` tells whole seconds: closer than this cannot be measured
NTP_ACTION = (
    "Fix this machine's clock: turn on time synchronisation (NTP), e.g. `timedatectl set-ntp true` on "
    "Linux, or Date & Time settings > set automatically on macOS and Windows."
)


class Result(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"  # could not run because an earlier check failed


@dataclass
class Outcome:
    result: Result
    meaning: str
    action: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


# --- clock --------------------------------------------------------------------------------------


def describe_offset(offset: float) -> str:
    if abs(offset) < DATE_RESOLUTION_SECONDS:
        return "This machine's clock agrees with the server's to within the second its Date headers tell"
    direction = "behind" if offset > 0 else "ahead of"
    return f"This machine's clock is {abs(offset):.1f} s {direction} the server's"


def clock_verdict(offset: float) -> Outcome:
    """`offset` is the server's clock minus this machine's, in seconds (positive: we are behind)."""
    said = describe_offset(offset)
    facts = {"offset_seconds": round(offset, 3)}
    corrected = (
        " The blotter signs with the server's time (learnt from Date headers), so it still works, but the "
        "times it shows are off by as much, and any other tool signing with this clock is refused."
    )
    if offset > SIGNING_PAST_SECONDS:
        return Outcome(Result.FAIL, f"{said}: the exchange refuses a request signed more than "
                       f"{SIGNING_PAST_SECONDS:g} s behind its clock.{corrected}", NTP_ACTION, facts)
    if offset < -(SIGNING_FUTURE_SECONDS + DATE_RESOLUTION_SECONDS):
        return Outcome(Result.FAIL, f"{said}: the exchange refuses a request signed more than "
                       f"{SIGNING_FUTURE_SECONDS:g} s ahead of its clock.{corrected}", NTP_ACTION, facts)
    if offset < -SIGNING_FUTURE_SECONDS:
        return Outcome(Result.WARN, f"{said}: at the edge of the {SIGNING_FUTURE_SECONDS:g} s the exchange "
                       "accepts ahead of its clock (Date headers tell only whole seconds).", NTP_ACTION, facts)
    if abs(offset) > CLOCK_WARN_SECONDS:
        return Outcome(Result.WARN, f"{said}: inside the {SIGNING_PAST_SECONDS:g} s signing window, but "
                       "drifting towards it.", NTP_ACTION, facts)
    return Outcome(Result.OK, f"{said}: well inside the signing window ({SIGNING_PAST_SECONDS:g} s behind, "
                   f"{SIGNING_FUTURE_SECONDS:g} s ahead).", "", facts)


# --- paging -------------------------------------------------------------------------------------


def paging_outcome(first: Sequence[str], by_cursor: Sequence[str] | None, by_skip: Sequence[str] | None) -> str:
    """Which request parameter gets the next page, from the keys of the records of a full first
    page, of the page asked with its `next_cursor` as `cursor` (None when not asked) and of the page
    asked with `skip` = the first page's size. 'cursor' or 'skip' when that page holds only records
    not seen before; 'none' when both gave the first page again; else 'unknown' (too few records,
    or records that changed between the requests)."""

    def moved_on(page: Sequence[str] | None) -> bool:
        return bool(page) and not set(page) & set(first)

    if not first:
        return "unknown"
    if moved_on(by_cursor):
        return "cursor"
    if moved_on(by_skip):
        return "skip"
    cursor_stuck = by_cursor is None or list(by_cursor) == list(first)
    if cursor_stuck and by_skip is not None and list(by_skip) == list(first):
        return "none"
    return "unknown"


# --- the trades `timestamp` parameter -----------------------------------------------------------


def timestamp_meaning(
    everything: Sequence[tuple[str, int]], pivot: int, answered: Sequence[tuple[str, int]]
) -> str:
    """What `timestamp=pivot` did, from (key, ns) of the trades of a wide window (`everything`) and
    of the answer asked with `pivot` (a time strictly inside the wide window's range).

    'at_or_after' / 'after' (a lower bound, with or without the pivot's own trades),
    'at_or_before' / 'before' (an upper bound), 'ignored' (the same records again), or 'unclear'."""
    if [key for key, _ in answered] == [key for key, _ in everything]:
        return "ignored"
    if not answered:
        return "unclear"
    got = {key for key, _ in answered}
    older = {key for key, ts in everything if ts < pivot}
    newer = {key for key, ts in everything if ts > pivot}
    at_pivot = {key for key, ts in everything if ts == pivot}
    if all(ts >= pivot for _, ts in answered) and not older & got:
        return "at_or_after" if at_pivot <= got else "after" if not at_pivot & got else "unclear"
    if all(ts <= pivot for _, ts in answered) and not newer & got:
        return "at_or_before" if at_pivot <= got else "before" if not at_pivot & got else "unclear"
    return "unclear"


# --- fields the blotter reads -------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """One thing found in real records, with what the blotter does about it. `warn` False: worth
    saying, nothing to worry about."""

    text: str
    warn: bool = True


def _of(count: int, total: int, every: str = "all") -> str:
    return every if count == total and total > 1 else f"{count} of {total}"


def _missing(items: Sequence[WireModel], fields: dict[str, tuple[Callable[[Any], Any], str]]) -> list[Note]:
    """A note per field the blotter reads that is absent (None, or a blank id) in some records; a
    field that was sent but could not be read is reported by `_unreadable` instead."""
    notes = []
    for name, (read, effect) in fields.items():
        count = sum(1 for item in items if read(item) in (None, "") and not _unread_here(item, name))
        if count:
            notes.append(Note(f"no {name} in {_of(count, len(items), 'any')}: {effect}"))
    return notes


def _unread_here(item: WireModel, name: str) -> bool:
    unread = item.unreadable
    return name in unread or any(key.startswith(name + "[") for key in unread)


def _unreadable(items: Iterable[WireModel]) -> list[Note]:
    counts: Counter[str] = Counter()
    total = 0
    for item in items:
        total += 1
        counts.update(item.unreadable.keys())
    return [
        Note(f"unreadable {name} in {_of(count, total)}: shown as sent, marked ?")
        for name, count in sorted(counts.items())
    ]


def _bad_rows(count: int) -> list[Note]:
    return [Note(f"{count} record(s) could not be read at all: left out")] if count else []


def order_notes(orders: Sequence[Order], raw: Sequence[Any], bad_rows: int = 0) -> list[Note]:
    notes: list[Note] = []
    if not orders:
        return _bad_rows(bad_rows)
    no_time = sum(1 for order in orders if order.timestamp is None)
    if no_time:
        notes.append(Note(f"no time field in {_of(no_time, len(orders), 'any')}: times come from the activity trail "
                          "(one lookup per new order)"))
    blank_vwap = sum(1 for row in raw if isinstance(row, dict) and row.get("executed_vwap") == "")
    if blank_vwap:
        notes.append(Note(f"executed_vwap blank in {_of(blank_vwap, len(orders))} (no fill yet): the average "
                          "price shows empty"))
    notes += _missing(orders, {
        "status": (lambda o: o.status, "shown empty"),
        "order_info.instrument_id": (lambda o: o.order_info.instrument_id, "no symbol shown"),
        "order_info.side": (lambda o: o.order_info.side, "shown empty"),
        "order_info.type": (lambda o: o.order_info.type, "shown empty"),
        "order_info.qty": (lambda o: o.order_info.qty, "shown empty"),
        "leaves_qty": (lambda o: o.leaves_qty, "shown empty"),
        "exeuted_qty": (lambda o: o.executed_qty, "filled shows empty, counted as none"),
        "external_id": (lambda o: o.external_id, "shown empty; the order is matched by its exchange id"),
    })
    limits = [o for o in orders if o.order_info.type == OrderType.LIMIT]
    notes += _missing(limits, {"order_info.price": (lambda o: o.order_info.price, "limit price shows empty")})
    return notes + _unreadable(orders) + _bad_rows(bad_rows)


def trade_notes(trades: Sequence[Trade], bad_rows: int = 0) -> list[Note]:
    if not trades:
        return _bad_rows(bad_rows)
    notes = _missing(trades, {
        "timestamp": (lambda t: t.timestamp, "stamped when first seen, marked as estimated"),
        "match_id": (lambda t: t.match_id, "de-duplicated by order, side, time and quantity instead"),
        "instrument_id": (lambda t: t.instrument_id, "no symbol shown"),
        "side": (lambda t: t.side, "shown empty"),
        "order_id": (lambda t: t.order_id, "shown empty"),
        "trade_price": (lambda t: t.trade_price, "price and notional show empty"),
        "trade_qty": (lambda t: t.trade_qty, "quantity and notional show empty"),
        "trade_fee_rate": (lambda t: t.trade_fee_rate, "fee shows empty"),
        "liq_flag": (lambda t: t.liq_flag, "shown empty"),
    })
    sides: dict[str, set[str]] = defaultdict(set)
    for trade in trades:
        if trade.match_id and trade.side is not None:
            sides[trade.match_id].add(str(trade.side))
    pairs = sum(1 for seen in sides.values() if len(seen) == 2)
    if pairs:
        notes.append(Note(f"{pairs} self-match pair(s) share a match_id: both trades are kept (a trade is keyed "
                          "by match, order and side)", warn=False))
    return notes + _unreadable(trades) + _bad_rows(bad_rows)


def quote_notes(quotes: Sequence[MarketQuote], raw: Sequence[Any], bad_rows: int = 0) -> list[Note]:
    if not quotes:
        return _bad_rows(bad_rows)
    notes: list[Note] = []
    levels = [level for row in raw for level in _raw_levels(row)]
    if any(isinstance(level.get("order_count"), str) for level in levels):
        notes.append(Note('order_count sent as text (e.g. "10"): read as a number'))
    sentinels = zeros = 0
    for quote in quotes:
        for level in (quote.info.best_bid, quote.info.best_ask):
            if level is not None and level.empty_as is not None:
                if abs(Decimal(level.empty_as)) >= IMPOSSIBLE_PRICE:
                    sentinels += 1
                else:
                    zeros += 1
    if sentinels or zeros:
        notes.append(Note(f'empty book sides sent as the i128 sentinel ({sentinels}) or as "0" ({zeros}): '
                          "shown as empty, never as a price"))
    blank_last = sum(1 for row in raw if _raw_last_price(row) == "")
    if blank_last:
        notes.append(Note(f"no last trade sent as a blank price in {_of(blank_last, len(quotes))}: shown empty",
                          warn=False))
    notes += _missing(quotes, {
        "info.best_bid": (lambda q: q.info.best_bid, "bid shows empty"),
        "info.best_ask": (lambda q: q.info.best_ask, "ask shows empty"),
    })
    return notes + _unreadable(quotes) + _bad_rows(bad_rows)


def _raw_levels(row: Any) -> list[dict[str, Any]]:
    info = row.get("info") if isinstance(row, dict) else None
    if not isinstance(info, dict):
        return []
    return [info[side] for side in ("best_bid", "best_ask") if isinstance(info.get(side), dict)]


def _raw_last_price(row: Any) -> Any:
    info = row.get("info") if isinstance(row, dict) else None
    last = info.get("last_trade") if isinstance(info, dict) else None
    return last.get("price") if isinstance(last, dict) else None


def balance_notes(entities: Sequence[Balances], bad_rows: int = 0) -> list[Note]:
    lines = [line for entity in entities for line in entity.balances]
    if not lines:
        return _bad_rows(bad_rows)
    notes = _missing(lines, {
        "balance": (lambda line: line.balance, "total and available show empty"),
        "order_hold": (lambda line: line.order_hold, "counted as no hold"),
        "transfer_hold": (lambda line: line.transfer_hold, "counted as no hold"),
        "unsettled": (lambda line: line.unsettled, "shown empty"),
    })
    return notes + _unreadable([*entities, *lines]) + _bad_rows(bad_rows)


def instrument_notes(instruments: Sequence[Instrument], bad_rows: int = 0) -> list[Note]:
    if not instruments:
        return _bad_rows(bad_rows)
    notes = _missing(instruments, {
        "info.symbol": (lambda i: i.info.symbol, "shown by its id"),
        "info.base_asset_id": (lambda i: i.info.base_asset_id, "balances cannot be tied to it"),
        "info.quote_asset_id": (lambda i: i.info.quote_asset_id, "balances cannot be tied to it"),
    })
    return notes + _unreadable(instruments) + _bad_rows(bad_rows)


def asset_notes(assets: Sequence[Asset], bad_rows: int = 0) -> list[Note]:
    if not assets:
        return _bad_rows(bad_rows)
    notes: list[Note] = []
    nested = sum(1 for a in assets if a.fields is not None and a.fields.name and not (a.info and a.info.name))
    if nested:
        notes.append(Note(f"name under fields.name in {_of(nested, len(assets))} (as seen in production): read",
                          warn=False))
    nameless = sum(1 for a in assets if a.name == a.id)
    if nameless:
        notes.append(Note(f"no name in {_of(nameless, len(assets))}: shown by its id"))
    return notes + _unreadable(assets) + _bad_rows(bad_rows)
