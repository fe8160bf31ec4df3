"""Compact trade records: what the trades store keeps per trade instead of the pydantic model.

A validated `Trade` costs ~1.6 KB (its per-instance `__pydantic_fields_set__` set and `__dict__`,
un-shared id strings and three Decimals); a session holds 100,000 of them. A `TradeRecord` is a
`__slots__` object with the attributes the trades pane, its search, its sort and its export read
(the same names as the model's), holding:

- the repeated strings (client, instrument, side, liquidity flag) interned, so one object each;
- the timestamp as the model's int;
- the amounts as exact Decimals, equal values with the same representation shared through a
  bounded cache (a price or a quantity recurs across trades; never a float, never re-rounded);
- fresh copies of what it keeps, so none of the model's objects outlives the model (a survivor
  would keep the allocator's whole block of the model's memory resident).

`notional` and `fee` are computed exactly as `Trade`'s properties compute them; `key` is the
model's `key` ((match id, order id, side), else a composite), kept. A trade with no readable time
is stamped when first seen and flagged `time_seen`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..api.models import TradeAmounts
from .format import wire_text

__all__ = ["TradeCompactor", "TradeRecord"]


def _copied(text: str | None) -> str | None:
    """A new str equal to `text` (a unique id: not worth interning, not to be shared with the model)."""
    if text is None or len(text) < 2:
        return text  # nothing to share: "" and one-character latin-1 strings are singletons anyway
    return text[:1] + text[1:]


class TradeRecord(TradeAmounts):
    """One trade as the store keeps it. Read-only by convention; values equal the model's."""

    __slots__ = (
        "key",
        "timestamp",
        "client_id",
        "instrument_id",
        "side",
        "liq_flag",
        "order_id",
        "external_id",
        "match_id",
        "trade_price",
        "trade_qty",
        "trade_fee_rate",
        "unreadable",
        "time_seen",
    )

    key: str
    timestamp: int
    client_id: str
    instrument_id: str
    side: str
    liq_flag: str | None
    order_id: str
    external_id: str | None
    match_id: str | None
    trade_price: Decimal | None
    trade_qty: Decimal | None
    trade_fee_rate: Decimal | None
    unreadable: dict[str, str]  # what did not parse (shared empty dict when all did)
    time_seen: bool  # no readable time came: `timestamp` is when the blotter first saw it

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TradeRecord):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__) and all(
            str(getattr(self, name)) == str(getattr(other, name)) for name in _AMOUNTS
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"TradeRecord({fields})"


_AMOUNTS = ("trade_price", "trade_qty", "trade_fee_rate")
_NOTHING: dict[str, str] = {}


class TradeCompactor:
    """Turns `Trade` models (or anything with their attributes) into `TradeRecord`s.

    Repeated strings (client, instrument, side, liquidity flag) become one interned plain `str`
    each (an enum member becomes its wire string). Equal amounts are shared through a cache keyed
    by the decimal string, so `1.0` and `1.00` (equal, but written differently) stay distinct.
    Both caches are cleared when they reach `max_entries` (hostile or endless distinct values)."""

    def __init__(self, max_entries: int = 50_000, now_ns: Callable[[], int] = time.time_ns) -> None:
        self.max_entries = max_entries
        self.now_ns = now_ns
        self._amounts: dict[str, Decimal] = {}
        self._texts: dict[str, str] = {}

    def text(self, value: Any) -> str | None:
        if value is None:
            return None
        shared = self._texts.get(value)
        if shared is None:
            if len(self._texts) >= self.max_entries:
                self._texts.clear()
            shared = self._texts[value] = sys.intern(wire_text(value))  # type: ignore[arg-type]
        return shared

    def amount(self, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        text = str(value)
        shared = self._amounts.get(text)
        if shared is None:
            if len(self._amounts) >= self.max_entries:
                self._amounts.clear()
            # copy_sign is exact (no context rounding) and returns a new object with the same
            # sign, coefficient and exponent: "-0", "1E+2" and 40-digit values survive unchanged.
            shared = self._amounts[text] = value.copy_sign(value) if isinstance(value, Decimal) else Decimal(text)
        return shared

    def __call__(self, trade: Any) -> TradeRecord:
        if type(trade) is TradeRecord:
            return trade  # already compact (a fetcher compacted its pages)
        text = self.text
        amount = self.amount
        record = TradeRecord.__new__(TradeRecord)
        match_id = _copied(trade.match_id)
        record.match_id = match_id
        seen = trade.timestamp is None
        record.time_seen = seen
        record.timestamp = self.now_ns() if seen else int(trade.timestamp) + 0  # + 0: not the model's int
        unread = trade._unreadable  # a trade has no nested records: its own set-aside values are all
        record.unreadable = dict(unread) if unread else _NOTHING
        record.client_id = text(trade.client_id)  # type: ignore[assignment]
        record.instrument_id = text(trade.instrument_id)  # type: ignore[assignment]
        record.side = text(trade.side)  # type: ignore[assignment]
        record.liq_flag = text(trade.liq_flag)
        record.order_id = _copied(trade.order_id)  # type: ignore[assignment]
        record.external_id = _copied(trade.external_id)
        record.trade_price = amount(trade.trade_price)
        record.trade_qty = amount(trade.trade_qty)
        record.trade_fee_rate = amount(trade.trade_fee_rate)
        record.key = trade.key  # (match id, order id, side): both sides of a self-match are kept
        return record
