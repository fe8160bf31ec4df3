"""The wire dialects the simulator speaks: how the engine's records are written on the wire.

`sim` is what the simulator has always sent. `real` is what the real exchange may send, every
variant documented or allowed by the reference (truex-api.md §4, §6):

- Order: no `timestamp` / `update_timestamp` (§6.4); `executed_vwap` "" before any fill;
  `order_info.price` "" on a MARKET order; `ref_external_id` "" when there is none.
- Market quote: `order_count` a string; an empty bid as the i128 sentinel with qty "0", an empty
  ask as price "0" and qty "0"; no last trade as `last_trade` {"price": "", "qty": ""} (§6.3).
- Instrument: no `price_increment` / `qty_increment` (§6.7); 24 h quantity as
  `last_24hr_quantity`, not `last_24hr_volume`.
- v2026_01_23 envelope: `meta` beside `data` and `pagination`, and `pagination.limit` (the v1.0.3
  pages' name) instead of `size`.

The functions work on the JSON-able dicts just before they are sent, so the engine keeps producing
the shared models and nothing here draws on the market's randomness.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ..api.models import Instrument, MarketQuote, Order
from .engine import WIRES

SIM = "sim"
REAL = "real"
BID_SENTINEL = "-170141183460469231731.687303715884105728"  # i128 minimum scaled by 10^18
EMPTY_ASK = "0"
Record = dict[str, Any]


def check_wire(wire: str) -> str:
    if wire not in WIRES:
        raise ValueError(f"wire must be one of {', '.join(WIRES)}, not {wire!r}")
    return wire


def _is_zero(text: Any) -> bool:
    try:
        return Decimal(str(text)) == 0
    except InvalidOperation:
        return False


def real_order(record: Record) -> Record:
    record = dict(record)
    record.pop("timestamp", None)
    record.pop("update_timestamp", None)
    if _is_zero(record.get("exeuted_qty", "0")):
        record["executed_vwap"] = ""
    info = dict(record.get("order_info") or {})
    if info.get("type") == "MARKET":
        info["price"] = ""
    record["order_info"] = info
    record["ref_external_id"] = record.get("ref_external_id") or ""
    return record


def _real_level(level: Record | None, empty_price: str) -> Record:
    level = level or {}
    if level.get("price") in (None, ""):
        price, qty = empty_price, "0"
    else:
        price, qty = level["price"], level.get("qty", "0")
    rest = {k: v for k, v in level.items() if k not in ("price", "qty", "order_count")}
    return {"price": price, "qty": qty, "order_count": str(level.get("order_count") or 0), **rest}


def real_quote(record: Record) -> Record:
    info = dict(record.get("info") or {})
    last_trade = info.get("last_trade") or {}
    if last_trade.get("price") in (None, ""):
        last_trade = {"price": "", "qty": ""}
    sides = {
        "last_trade": last_trade,
        "best_bid": _real_level(info.get("best_bid"), BID_SENTINEL),
        "best_ask": _real_level(info.get("best_ask"), EMPTY_ASK),
    }
    return {**record, "info": {**sides, **{k: v for k, v in info.items() if k not in sides}}}


def real_instrument(record: Record) -> Record:
    info = {k: v for k, v in (record.get("info") or {}).items() if k not in ("price_increment", "qty_increment")}
    record = {**record, "info": info}
    stats = record.get("stats")
    if stats is not None:
        stats = dict(stats)
        if "last_24hr_volume" in stats:
            stats["last_24hr_quantity"] = stats.pop("last_24hr_volume")
        record["stats"] = stats
    return record


REAL_RECORDS: dict[type, Callable[[Record], Record]] = {
    Order: real_order,
    MarketQuote: real_quote,
    Instrument: real_instrument,
}


def to_wire(value: Any, wire: str) -> Any:
    """Models (and lists of them) as the JSON-able values `wire` sends; anything else as is."""
    if isinstance(value, list):
        return [to_wire(item, wire) for item in value]
    if not hasattr(value, "to_wire"):
        return value
    record = value.to_wire()
    convert = REAL_RECORDS.get(type(value)) if wire == REAL else None
    return convert(record) if convert else record


def pagination(wire: str, size: int, next_cursor: str | None) -> Record:
    return {"limit" if wire == REAL else "size": size, "next_cursor": next_cursor}


class RequestIds:
    """`meta.request_id` values: UUIDs from their own seeded generator, so answers stay
    deterministic without touching the market's randomness."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"request-ids-{seed}")

    def next(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def envelope(wire: str, data: Any, page: Record | None, request_ids: RequestIds) -> Record:
    """The v2026_01_23 envelope; the real one carries `meta` beside `data` and `pagination`."""
    body: Record = {"data": data}
    if page is not None:
        body["pagination"] = page
    if wire == REAL:
        body["meta"] = {"request_id": request_ids.next()}
    return body


def health_body(status: str, server_seconds: float) -> Record:
    """§6.2: the same body whether healthy or degraded; the time is the server's, in UTC."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(server_seconds))
    return {"status": status, "timestamp": stamp, "service": "truex-gateway"}
