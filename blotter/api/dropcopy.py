"""The DROPCOPY payload reader: one place to replace when the real schema is known.

Everything here is a guess (truex-ws.md §4, L): only `text` (v1.0.4) is documented. Read, in order:
- `data` as one record or a list of records (a JSON string holding either is decoded first; a record
  holding an `orders` list is read as that many records: a snapshot of open orders may look so);
  with no `data`, the message's own unknown fields are the record;
- the REST Order object (`id`, `status`, `order_info`, `external_id`, `leaves_qty`, `exeuted_qty`,
  `executed_vwap`, ...) at the top of the record, or nested under `order`;
- a REST-style `msg_type` (`REPORT_CONFIRM`/`_REJECT`/`_TRADE`/`_CANCELED`/`_MODIFIED`) in the
  record, in its nested order, or on the message;
- a fill as a nested `trade` (the REST Trade object) or as flat fields: `trade_qty`/`last_qty`,
  `trade_price`/`last_px`, `match_id`, `liq_flag`, `trade_fee_rate`;
- `text` in the record (preferred: it is the more specific) or on the message.

A record whose order does not read keeps its raw text and `order=None`: the app then reconciles
over REST. Nothing here raises on a payload.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from .models import Order, OrderInfo, Trade, raw_text
from .stream_models import DropCopyMessage

__all__ = ["DropCopyReport", "read_dropcopy"]

log = logging.getLogger(__name__)

# Flat fill fields, by what they mean: the first name present wins.
_FILL_PRICE = ("trade_price", "last_px", "last_price", "fill_price")
_FILL_QTY = ("trade_qty", "last_qty", "fill_qty")
_FILL_OTHER = ("match_id", "liq_flag", "trade_fee_rate")
_ORDER_MARKS = ("id", "order_info", "status", "external_id")


@dataclass(frozen=True)
class DropCopyReport:
    """One order-state report. `order` is None when the record held no readable order."""

    order: Order | None
    msg_type: str | None
    trade: Trade | None
    text: str | None
    raw: str
    # The order as the record names it (exchange id, else external id), even when `order` did not
    # read: a reject's text is said with the order it concerns.
    ref: str | None = None


def read_dropcopy(message: DropCopyMessage) -> list[DropCopyReport]:
    """The reports in one DROPCOPY message, in the order sent. Never raises."""
    extra = message.model_extra or {}
    message_type = _text(extra.get("msg_type"))
    records = _records(message.data if message.data is not None else (extra or None))
    if not records:
        if message.text or message_type:  # a bare notice (e.g. a reject reason) still says something
            return [DropCopyReport(None, message_type, None, message.text, raw_text(extra), _ref(extra))]
        return []
    reports = []
    for record in records:
        try:
            reports.append(_report(record, message_type, message.text))
        except Exception:  # noqa: BLE001 - a guessed schema must never stop the stream
            log.warning("dropcopy: a record could not be read; kept raw", exc_info=True)
            reports.append(DropCopyReport(None, message_type, None, message.text, raw_text(record),
                                          _ref(record) if isinstance(record, dict) else None))
    return reports


def _records(data: Any) -> list[Any]:
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data, parse_float=Decimal)  # a number keeps every digit
        except ValueError:
            return [data]
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    records: list[Any] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("orders"), list):
            records.extend(item["orders"])
        else:
            records.append(item)
    return records


def _report(record: Any, message_type: str | None, message_text: str | None) -> DropCopyReport:
    raw = raw_text(record)
    if not isinstance(record, dict):
        return DropCopyReport(None, message_type, None, message_text, raw)
    nested = record.get("order")
    order_body = nested if isinstance(nested, dict) else record
    order = _order(order_body)
    msg_type = _text(record.get("msg_type")) or _text(order_body.get("msg_type")) or message_type
    text = _text(record.get("text")) or _text(order_body.get("text")) or message_text
    trade = _trade(record, order_body, order)
    ref = (order.id if order is not None else None) or _ref(order_body) or _ref(record)
    return DropCopyReport(order, msg_type, trade, text, raw, ref)


def _ref(body: dict[str, Any]) -> str | None:
    for key in ("id", "order_id", "external_id", "ref_external_id"):
        if body.get(key) not in (None, ""):
            return _text(body[key])
    return None


# The order's terms, when a flat report carries them beside its id instead of under `order_info`.
_TERMS = tuple(OrderInfo.model_fields)


def _order(body: dict[str, Any]) -> Order | None:
    if not any(key in body for key in _ORDER_MARKS):
        return None
    if not isinstance(body.get("order_info"), dict) and any(key in body for key in _TERMS):
        body = {**body, "order_info": {key: body[key] for key in _TERMS if key in body}}
    try:
        return Order.model_validate(body)
    except ValidationError as error:  # e.g. no id: the app reconciles over REST
        log.info("dropcopy: no readable order in a report (%s)", error.errors()[0]["msg"])
        return None


def _trade(record: dict[str, Any], order_body: dict[str, Any], order: Order | None) -> Trade | None:
    nested = record.get("trade")
    if isinstance(nested, dict):
        body = dict(nested)
    else:
        source = record if _has_fill(record) else order_body if _has_fill(order_body) else None
        if source is None:
            return None
        body = {"trade_price": _first(source, _FILL_PRICE), "trade_qty": _first(source, _FILL_QTY)}
        body.update({key: source[key] for key in _FILL_OTHER if key in source})
        for key in ("timestamp", "transact_time"):
            if key in source:
                body.setdefault("timestamp", source[key])
    # What the fill does not say, its order does: the same defaults REST's /orders/trade rows carry.
    if order is not None:
        info = order.order_info
        defaults = {
            "order_id": order.id, "external_id": order.external_id, "client_id": info.client_id,
            "instrument_id": info.instrument_id, "side": info.side,
        }
        for key, value in defaults.items():
            if body.get(key) in (None, "") and value is not None:
                body[key] = value
    body = {key: value for key, value in body.items() if value is not None}
    try:
        return Trade.model_validate(body)
    except ValidationError:  # every Trade field is optional: only a wholly odd body lands here
        log.info("dropcopy: a fill could not be read")
        return None


def _has_fill(body: dict[str, Any]) -> bool:
    return any(key in body for key in _FILL_PRICE + _FILL_QTY)


def _first(body: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if body.get(name) not in (None, ""):
            return body[name]
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else raw_text(value)
