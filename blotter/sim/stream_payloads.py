"""The `data` of the simulator's WebSocket messages (truex-ws.md §4), built from the engine's records.

Every amount is a plain decimal string, every id and count a string. Guesses, all marked L or M in
the reference:
- EBBO: `best_bid`/`best_ask` as `{price, qty}`; an empty side is the i128 sentinel in the "real"
  wire mode and "0" in "sim" mode; no last trade is `{"price": "", "qty": ""}` (real, as the REST
  quotes say it) or "0"/"0" (sim). `status` ENABLED for a trading instrument, else DISABLED.
- DEPTH: ten synthetic levels a side plus our clients' resting orders (`Exchange.depth`); an UPDATE
  carries the changed levels with absolute `qty`, and `qty` "0" (with `order_count` "0") deletes.
- TRADE: `liq_flag` is the aggressor's (TAKER); the instrument id rides at the message level (`id`).
- DROPCOPY: one swappable builder per shape (`DROPCOPY_SCHEMAS`):
  "order": data = the REST Order object as the REST answers give it, plus `msg_type` (on UPDATEs),
  `trade` (the REST Trade object, on fills) and `text` (a reject or cancel reason);
  "flat": `order_info`'s fields lifted to the top of data beside the order's own, `executed_qty`
  spelled right, a fill as `last_qty`/`last_px`/`match_id`/`liq_flag`, and `text` beside `data`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..api.models import Instrument, MarketQuote, Order, PriceLevel, Trade
from .dialect import BID_SENTINEL, REAL, to_wire
from .engine import Level, TradePrint

ASK_SENTINEL = "170141183460469231731.687303715884105727"  # i128 maximum scaled by 10^18
Record = dict[str, Any]
Book = dict[str, dict[Decimal, tuple[str, str]]]  # "bids"/"asks" -> price -> (qty, order count)


def plain(value: Decimal) -> str:
    """A decimal string without exponent or trailing zeros, so one price is always one string."""
    return format(value.normalize(), "f") if value else "0"


def strings(value: Any) -> Any:
    """Every number on this wire is a string (§4): the REST records' few integers too."""
    if isinstance(value, dict):
        return {key: strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [strings(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def instrument_data(instrument: Instrument, wire: str) -> Record:
    return strings(to_wire(instrument, wire))


def _side(level: PriceLevel | None, sentinel: str, wire: str) -> Record:
    if level is None or level.price is None:
        return {"price": sentinel if wire == REAL else "0", "qty": "0"}
    return {"price": plain(level.price), "qty": plain(level.qty or Decimal(0))}


def ebbo_data(quote: MarketQuote, enabled: bool, wire: str) -> Record:
    info = quote.info
    last = info.last_trade
    if last is not None and last.price is not None:
        last_trade = {"price": plain(last.price), "qty": plain(last.qty or Decimal(0))}
    else:
        last_trade = {"price": "", "qty": ""} if wire == REAL else {"price": "0", "qty": "0"}
    return {
        "id": quote.id,
        "status": "ENABLED" if enabled else "DISABLED",
        "info": {
            "last_trade": last_trade,
            "best_bid": _side(info.best_bid, BID_SENTINEL, wire),
            "best_ask": _side(info.best_ask, ASK_SENTINEL, wire),
            "last_update": str(info.last_update or 0),
        },
    }


def depth_book(bids: list[Level], asks: list[Level]) -> Book:
    return {
        "bids": {price: (plain(qty), str(count)) for price, qty, count in bids},
        "asks": {price: (plain(qty), str(count)) for price, qty, count in asks},
    }


def _levels(side: dict[Decimal, tuple[str, str]], best_first_high: bool) -> list[Record]:
    return [{"price": plain(price), "qty": qty, "order_count": count}
            for price, (qty, count) in sorted(side.items(), reverse=best_first_high)]


def depth_data(symbol: str, book: Book) -> Record:
    """A SNAPSHOT's data: the whole book, bids high to low, asks low to high."""
    return {"symbol": symbol, "bids": _levels(book["bids"], True), "asks": _levels(book["asks"], False)}


def depth_changes(symbol: str, old: Book, new: Book) -> Record | None:
    """An UPDATE's data: levels new or changed (absolute qty) and levels gone (qty "0"); None if none."""
    changes: Book = {}
    for name in ("bids", "asks"):
        was, now = old[name], new[name]
        side = {price: level for price, level in now.items() if was.get(price) != level}
        side.update({price: ("0", "0") for price in was if price not in now})
        changes[name] = side
    if not changes["bids"] and not changes["asks"]:
        return None
    return depth_data(symbol, changes)


def trade_data(trade: TradePrint) -> Record:
    return {"match_id": trade.match_id, "trade_price": plain(trade.price), "trade_qty": plain(trade.qty),
            "liq_flag": trade.liq_flag}


# --- DROPCOPY -----------------------------------------------------------------------------------
# A schema takes (order, msg_type or None on a SNAPSHOT, the fill or None, reason or None, wire)
# and returns (data, fields beside data in the message).
DropCopySchema = Callable[..., tuple[Record, Record]]


def order_report(order: Order, msg_type: str | None, trade: Trade | None, text: str | None,
                 wire: str) -> tuple[Record, Record]:
    data = strings(to_wire(order, wire))
    if msg_type:
        data["msg_type"] = msg_type
    if trade is not None:
        data["trade"] = strings(to_wire(trade, wire))
    if text:
        data["text"] = text
    return data, {}


def flat_report(order: Order, msg_type: str | None, trade: Trade | None, text: str | None,
                wire: str) -> tuple[Record, Record]:
    record = strings(to_wire(order, wire))
    data = {**record.pop("order_info", {}), **record}  # the order's own id and status win
    if "exeuted_qty" in data:
        data["executed_qty"] = data.pop("exeuted_qty")
    if msg_type:
        data["msg_type"] = msg_type
    if trade is not None:
        fill = strings(to_wire(trade, wire))
        data.update(last_qty=fill.get("trade_qty"), last_px=fill.get("trade_price"),
                    match_id=fill.get("match_id"), liq_flag=fill.get("liq_flag"))
    return data, ({"text": text} if text else {})


DROPCOPY_SCHEMAS: dict[str, DropCopySchema] = {"order": order_report, "flat": flat_report}
