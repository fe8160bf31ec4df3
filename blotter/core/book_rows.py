"""The Book pane's rows: one instrument's depth ladder (asks above, the spread, bids below) with the
trader's own resting quantity at each price, and the market tape beside it. Headless.

Amounts are shown exactly as the stream sent them, aligned like every other pane (never rounded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .format import fmt_bps
from .rows import ID, N, R, Display, amount_cell, as_display, derived_cell, side_cell, text_cell
from .store import Cell, Column, KeyedStore, Row

__all__ = ["BOOK_COLUMNS", "BOOK_LEVELS", "TAPE_COLUMNS", "BookLine", "TapeLine", "book_lines", "book_store",
           "own_resting", "tape_store"]

BOOK_LEVELS = 10  # a side

BOOK_COLUMNS = (
    Column("side", "Side", 4, priority=0, frozen=True),
    Column("price", "Price", 5, R, kind=N, priority=0),
    Column("qty", "Qty", 3, R, kind=N, priority=0),
    Column("orders", "Orders", 6, R, kind=N, priority=2),
    Column("mine", "Mine", 4, R, kind=N, priority=1),  # the trader's own resting quantity at that price
)

TAPE_COLUMNS = (  # the print first; its time (when it arrived) after, the first to go when narrow
    Column("symbol", "Symbol", 6, kind=ID, priority=0),
    Column("price", "Price", 5, R, kind=N, priority=0),
    Column("qty", "Qty", 3, R, kind=N, priority=0),
    Column("time", "Time", 4, priority=2),
    Column("liq", "Liq", 3, priority=3),
)


@dataclass(frozen=True)
class BookLine:
    """One line of the ladder. `rank` orders the lines top to bottom (asks worst first, so the
    best ask sits just above the spread; then bids best first)."""

    key: str
    side: str  # "ask", "bid" or "spread"
    instrument_id: str | None
    price: Decimal | None
    qty: Decimal | None
    orders: int | None
    mine: Decimal | None
    rank: int
    note: str = ""  # the spread line's words when there is no spread (an empty side, no snapshot yet)


@dataclass(frozen=True)
class TapeLine:
    key: str
    instrument_id: str | None
    symbol: str
    price: Decimal | None
    qty: Decimal | None
    liq: str | None
    received_ns: int
    rank: int  # minus its arrival time: newest first, and a line keeps its rank


def own_resting(orders: Iterable[object], instrument_id: str | None) -> dict[tuple[str, Decimal], Decimal]:
    """(side, price) -> the quantity the trader's open orders of the instrument still rest there."""
    mine: dict[tuple[str, Decimal], Decimal] = {}
    for order in orders:
        info = getattr(order, "order_info", None)
        if info is None or info.instrument_id != instrument_id or not getattr(order, "is_open", False):
            continue
        price, leaves = order.price, order.leaves_qty  # type: ignore[attr-defined]
        if price is None or leaves is None or leaves <= 0:
            continue
        side = "bid" if str(getattr(info.side, "value", info.side)) == "BUY" else "ask"
        mine[(side, price)] = mine.get((side, price), Decimal(0)) + leaves
    return mine


def book_lines(instrument_id: str | None, bids: list, asks: list, mine: Mapping[tuple[str, Decimal], Decimal],
               note: str = "") -> list[BookLine]:
    """The ladder's lines from levels best first (each with `price`, `qty`, `order_count`)."""
    lines: list[BookLine] = []
    rank = 0
    for level in reversed(asks[:BOOK_LEVELS]):
        lines.append(BookLine(f"ask:{level.price}", "ask", instrument_id, level.price, level.qty,
                              level.order_count, mine.get(("ask", level.price)), rank))
        rank += 1
    best_bid = bids[0].price if bids else None
    best_ask = asks[0].price if asks else None
    spread = best_ask - best_bid if best_bid is not None and best_ask is not None else None
    if spread is None and not note:
        note = "no bid" if best_bid is None and best_ask is not None else "no ask" if best_ask is None and bids else ""
    lines.append(BookLine("spread", "spread", instrument_id, spread, None, None, None, rank, note))
    rank += 1
    for level in bids[:BOOK_LEVELS]:
        lines.append(BookLine(f"bid:{level.price}", "bid", instrument_id, level.price, level.qty,
                              level.order_count, mine.get(("bid", level.price)), rank))
        rank += 1
    return lines


def book_row(line: BookLine, display: Display) -> Row:
    catalog = display.catalog
    if line.side == "spread":
        if line.price is None:
            return (Cell("", "dim"), Cell(line.note, "empty"), Cell(""), Cell(""), Cell(""))
        pp = catalog.price_places(line.instrument_id, line.price, column="book")
        return (Cell("", "dim"), derived_cell(line.price, pp), Cell("spread", "dim"), Cell(""), Cell(""))
    pp = catalog.price_places(line.instrument_id, line.price, column="book")
    qp = catalog.qty_places(line.instrument_id, line.qty, line.mine, column="book-qty")
    side = side_cell("SELL" if line.side == "ask" else "BUY")
    side = Cell("ask" if line.side == "ask" else "bid", side.style)
    orders = Cell("" if line.orders is None else f"{line.orders:,}", "", line.orders)
    mine = amount_cell(line.mine, qp) if line.mine is not None else Cell("")
    if line.mine is not None:
        mine = Cell(mine.text, "mine", mine.sort)
    return (side, amount_cell(line.price, pp), amount_cell(line.qty, qp), orders, mine)


class _RankedStore(KeyedStore):
    """Lines in their own order (the ladder's, the tape's newest first), whatever the sort."""

    def _compute_view(self) -> list:
        keys = list(self._filtered(self.items))
        if self.sort_column is not None:
            return self._sorted(keys)
        return sorted(keys, key=lambda k: self.items[k].rank)


def book_store(display: Display | None = None) -> KeyedStore[BookLine]:
    shown = as_display(display)
    return _RankedStore(BOOK_COLUMNS, key=lambda line: line.key, render=lambda line: book_row(line, shown))


def tape_row(line: TapeLine, display: Display) -> Row:
    catalog = display.catalog
    pp = catalog.price_places(line.instrument_id, line.price, column="tape")
    qp = catalog.qty_places(line.instrument_id, line.qty, column="tape-qty")
    return (text_cell(line.symbol), amount_cell(line.price, pp), amount_cell(line.qty, qp),
            Cell(display.times(line.received_ns), "", line.received_ns), text_cell(line.liq or ""))


def tape_store(display: Display | None = None) -> KeyedStore[TapeLine]:
    shown = as_display(display)
    return _RankedStore(TAPE_COLUMNS, key=lambda line: line.key, render=lambda line: tape_row(line, shown),
                        fingerprint=lambda line: (line.price, line.qty, line.liq))


def spread_bps(line: BookLine, mid: Decimal | None) -> str:
    """The spread in basis points of the mid, for the pane's subtitle."""
    if line.price is None or not mid:
        return ""
    return fmt_bps(line.price / mid * 10_000)
