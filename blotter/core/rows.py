"""What each pane shows: its columns and how one source item becomes a row of display cells.

Headless. Every amount is a `Decimal` formatted with the instrument's precision from the
`Catalog`; every id stays a string. Style tokens name semantics ('buy', 'sell', 'up', 'down',
'status-filled', ...); the UI maps them to themed component classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..api.models import NS_PER_SECOND, Balances, BalanceLine, MarketQuote, Order, Trade
from .format import DEFAULT_PLACES, fmt_bps, fmt_decimal, fmt_time, wire_text
from .reference import Catalog
from .store import Cell, Column, KeyedStore, Row, TradeStore
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
)

BALANCE_COLUMNS = (
    Column("asset", "Asset", 5, kind=ID, priority=0, frozen=True),
    Column("total", "Total", 5, R, kind=N, priority=0),
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
)

ORDER_TIME = next(i for i, c in enumerate(ORDER_COLUMNS) if c.key == "time")
TRADE_TIME = next(i for i, c in enumerate(TRADE_COLUMNS) if c.key == "time")

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


def progress_bar(filled: Decimal, qty: Decimal | None, width: int = 5) -> Cell:
    """A fill cue that reads without colour: '▰▰▱▱▱ 40%'."""
    if not qty:
        return Cell("", "", Decimal(0))
    ratio = max(Decimal(0), min(Decimal(1), filled / qty))
    blocks = int(ratio * width)
    percent = int(ratio * 100)
    bar = "▰" * blocks + "▱" * (width - blocks)
    return Cell(f"{bar}{percent:>4}%", "progress-done" if ratio >= 1 else "progress", ratio)


def _amount(value: Decimal | None, places: int) -> Cell:
    return Cell(fmt_decimal(value, places), "", value)


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
    )


def order_row(order: Order, catalog: Catalog) -> Row:
    info = order.order_info
    instrument = info.instrument_id
    pp = catalog.price_places(instrument)
    qp = catalog.qty_places(instrument)
    qty = order.qty
    status = _text(order.status)
    return (
        Cell(catalog.symbol(instrument)),
        side_cell(info.side),
        Cell(fmt_time(order.timestamp), "", order.timestamp or 0),
        Cell(_text(info.type)),
        _amount(order.price, pp),
        _amount(qty, qp),
        _amount(order.executed_qty, qp),
        progress_bar(order.executed_qty, qty),
        _amount(order.leaves_qty, qp),
        _amount(order.executed_vwap or None, pp),
        Cell(status, _STATUS_STYLE.get(status, "status-unknown")),
        Cell(_text(info.tif)),
        Cell(order.id),
        Cell(order.external_id or ""),
    )


def orders_store(catalog: Catalog) -> KeyedStore[Order]:
    return KeyedStore(
        ORDER_COLUMNS,
        key=lambda o: o.id,
        render=lambda o: order_row(o, catalog),
        fingerprint=order_fingerprint,
        sort_column=ORDER_TIME,
        sort_reverse=True,
    )


# --- trades -------------------------------------------------------------------------------------


def trade_row(trade: Trade | TradeRecord, catalog: Catalog) -> Row:
    instrument = trade.instrument_id
    pp = catalog.price_places(instrument)
    qp = catalog.qty_places(instrument)
    cp = catalog.quote_places(instrument)
    liq = _text(trade.liq_flag)
    return (
        Cell(catalog.symbol(instrument)),
        side_cell(trade.side),
        Cell(fmt_time(trade.timestamp), "", trade.timestamp),
        _amount(trade.trade_price, pp),
        _amount(trade.trade_qty, qp),
        _amount(trade.notional, cp),
        _amount(trade.fee, cp),
        Cell(liq, "maker" if liq == "MAKER" else ""),
        Cell(trade.order_id),
        Cell(trade.external_id or ""),
    )


def trade_search(trade: Trade | TradeRecord, catalog: Catalog) -> str:
    return " ".join(
        (
            catalog.symbol(trade.instrument_id),
            _text(trade.side),
            _text(trade.liq_flag),
            trade.order_id,
            trade.external_id or "",
            fmt_decimal(trade.trade_price, catalog.price_places(trade.instrument_id)),
        )
    )


TRADES_WINDOW_NS = 24 * 3600 * NS_PER_SECOND  # the exchange reports the last 24 h of trades


def trades_store(catalog: Catalog, cap: int = 1000, window_ns: int | None = TRADES_WINDOW_NS) -> TradeStore[Trade]:
    """Trades in, `TradeRecord`s kept (a compact copy of each `Trade`, same attributes, exact
    amounts); those older than `window_ns` below the newest seen are dropped."""
    return TradeStore(
        TRADE_COLUMNS,
        key=lambda t: t.key,
        render=lambda t: trade_row(t, catalog),
        timestamp=lambda t: t.timestamp,
        cap=cap,
        search=lambda t: trade_search(t, catalog),
        sort_column=TRADE_TIME,
        sort_reverse=True,
        compact=TradeCompactor(),
        window_ns=window_ns,
    )


# --- balances -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    client_id: str
    line: BalanceLine
    many_clients: bool = False

    @property
    def key(self) -> str:
        return f"{self.client_id}:{self.line.asset_id}"


def asset_places(catalog: Catalog, asset_id: str) -> int:
    """Display places for an asset: its instruments' qty increment, else cents for a quote asset."""
    for instrument in catalog.instruments.values():
        if instrument.info.base_asset_id == asset_id:
            return catalog.qty_places(instrument.id)
    for instrument in catalog.instruments.values():
        if instrument.info.quote_asset_id == asset_id:
            return catalog.quote_places(instrument.id)
    return DEFAULT_PLACES


def balance_row(row: BalanceRow, catalog: Catalog) -> Row:
    line = row.line
    places = asset_places(catalog, line.asset_id)
    name = catalog.asset_name(line.asset_id)
    if row.many_clients:
        name = f"{name} ({row.client_id})"
    return (
        Cell(name),
        _amount(line.balance, places),
        _amount(line.available, places),
        _amount(line.on_hold, places),
        _amount(line.unsettled, places),
    )


def balance_rows(entities: Iterable[Balances]) -> list[BalanceRow]:
    entities = list(entities)
    many = len({e.id for e in entities}) > 1
    return [BalanceRow(e.id, line, many) for e in entities for line in e.balances]


def fee_summary(entities: Iterable[Balances], places: int = 2) -> str:
    entities = list(entities)
    hold = sum((e.fees_hold for e in entities), Decimal(0))
    unsettled = sum((e.unsettled_fees for e in entities), Decimal(0))
    return f"fees hold {fmt_decimal(hold, places)} · unsettled fees {fmt_decimal(unsettled, places)}"


def balances_store(catalog: Catalog) -> KeyedStore[BalanceRow]:
    return KeyedStore(
        BALANCE_COLUMNS,
        key=lambda r: r.key,
        render=lambda r: balance_row(r, catalog),
        fingerprint=lambda r: (r.line, r.many_clients),
    )


# --- quotes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRow:
    """A quote with the direction each price moved since the previous poll ('up'/'down'/'')."""

    quote: MarketQuote
    bid_move: str = ""
    ask_move: str = ""
    last_move: str = ""

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


def _price_cell(value: Decimal | None, places: int, move: str) -> Cell:
    if value is None:
        return Cell("", "", None)
    return Cell(f"{fmt_decimal(value, places)}{_GLYPH[move]}", move, value)


def quote_row(row: QuoteRow, catalog: Catalog) -> Row:
    quote = row.quote
    info = quote.info
    pp = catalog.price_places(quote.id)
    qp = catalog.qty_places(quote.id)
    bid, ask, last = _prices(quote)
    spread = ask - bid if bid is not None and ask is not None else None
    mid = (ask + bid) / 2 if spread is not None else None
    bps = spread / mid * 10_000 if spread is not None and mid else None
    return (
        Cell(quote.symbol or catalog.symbol(quote.id)),
        _amount(info.best_bid.qty if info.best_bid else None, qp),
        _price_cell(bid, pp, row.bid_move),
        _price_cell(ask, pp, row.ask_move),
        _amount(info.best_ask.qty if info.best_ask else None, qp),
        _amount(spread, pp),
        Cell(fmt_bps(bps), "", bps),
        _price_cell(last, pp, row.last_move),
        _amount(info.last_trade.qty if info.last_trade else None, qp),
    )


def quotes_store(catalog: Catalog) -> KeyedStore[QuoteRow]:
    return KeyedStore(
        QUOTE_COLUMNS,
        key=lambda r: r.key,
        render=lambda r: quote_row(r, catalog),
        fingerprint=lambda r: (r.quote, r.bid_move, r.ask_move, r.last_move),
        sort_column=0,
    )
