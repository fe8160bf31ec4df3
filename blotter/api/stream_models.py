"""Pydantic models of the TrueX WebSocket wire format (truex-ws.md), shared by the stream client
and the simulator. Headless: no Textual, no I/O.

Every number on this wire is a string: amounts read as `Decimal`, `seqnum` as an int. Like the REST
models they are liberal: a field that does not parse is set aside in `unreadable`, unknown fields
are kept (`model_extra`), and a frame that is not a JSON object, or names no channel we can read,
becomes an `Unreadable` with the raw text and the reason, never an exception.
The DROPCOPY payload is not documented: its `data` stays raw here and `dropcopy.py` reads it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AliasChoices, ConfigDict, Field, ValidationError, field_validator

from .models import Count, MarketQuote, PriceLevel, WireModel, Amount, Instrument, TLiq, _ENUM_FIRST, raw_text

__all__ = [
    "Channel", "Confirmation", "DepthData", "DepthLevel", "DepthMessage", "DropCopyMessage",
    "EbboData", "EbboMessage", "InstrumentMessage", "RequestType", "SnapshotComplete", "StreamMessage",
    "StreamRequest", "Subscription", "SubscriptionStatus", "TradeMessage", "TradePrint", "Unreadable",
    "Update", "Welcome", "parse_message", "PUBLIC_CHANNELS", "DATA_CHANNELS", "EMPTY_DEPTH",
]


class Channel(StrEnum):
    WEBSOCKET = "WEBSOCKET"
    INSTRUMENT = "INSTRUMENT"
    EBBO = "EBBO"
    DEPTH = "DEPTH"
    TRADE = "TRADE"
    DROPCOPY = "DROPCOPY"


PUBLIC_CHANNELS = (Channel.INSTRUMENT, Channel.EBBO, Channel.DEPTH, Channel.TRADE)
DATA_CHANNELS = (*PUBLIC_CHANNELS, Channel.DROPCOPY)  # every channel but WEBSOCKET (control)


class Update(StrEnum):
    WELCOME = "WELCOME"
    SNAPSHOT = "SNAPSHOT"
    UPDATE = "UPDATE"
    SNAPSHOT_COMPLETE = "SNAPSHOT_COMPLETE"


class RequestType(StrEnum):
    SUBSCRIBE = "SUBSCRIBE"
    SUBSCRIBE_NO_AUTH = "SUBSCRIBE_NO_AUTH"
    UNSUBSCRIBE = "UNSUBSCRIBE"
    UNSUBSCRIBE_NO_AUTH = "UNSUBSCRIBE_NO_AUTH"


class SubscriptionStatus(StrEnum):
    INVALID = "INVALID"
    ERROR = "ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    AUTHENTICATED = "AUTHENTICATED"


TChannel = Annotated[Channel | str, _ENUM_FIRST]
TUpdate = Annotated[Update | str, _ENUM_FIRST]
TRequestType = Annotated[RequestType | str, _ENUM_FIRST]
TStatus = Annotated[SubscriptionStatus | str, _ENUM_FIRST]


# --- client -> server ---------------------------------------------------------------------------


class StreamRequest(WireModel):
    """A (un)subscribe request. The authenticated variants carry organization, key and signature;
    the `*_NO_AUTH` ones do not (`to_wire` leaves out what is None)."""

    type: TRequestType
    item_names: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    timestamp: str = ""  # epoch seconds, as a string
    organization_id: str | None = None
    key: str | None = None
    signature: str | None = None

    def __repr__(self) -> str:  # the signature is a credential for 15 s: keep it out of logs
        shown = "***" if self.signature else None
        return (f"StreamRequest(type={self.type!r}, channels={self.channels!r}, item_names={self.item_names!r}, "
                f"timestamp={self.timestamp!r}, signature={shown!r})")

    __str__ = __repr__


# --- server -> client ---------------------------------------------------------------------------


class StreamMessage(WireModel):
    """What every server message has. Fields we do not know are kept in `model_extra`."""

    model_config = ConfigDict(extra="allow")

    channel: TChannel | None = None
    update: TUpdate | None = None
    seqnum: Count = None


class Welcome(StreamMessage):
    connections: Count = None
    message: str | None = None
    version: str | None = None
    datetime: str | None = None  # format not documented: shown as sent


class Subscription(WireModel):
    channel: TChannel
    item_names: list[str] = Field(default_factory=list)


class Confirmation(StreamMessage):
    """Sent after every (un)subscribe: the status and the whole current subscription set."""

    timestamp: str | None = None  # server time, unit not documented
    status: TStatus | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)

    def items(self, channel: str) -> set[str]:
        return {item for sub in self.subscriptions if sub.channel == channel for item in sub.item_names}


class InstrumentMessage(StreamMessage):
    data: Instrument | None = None


class EbboData(MarketQuote):
    """The full top of book of one instrument; `id` is the instrument id, not the symbol (M). `status`
    (DISABLED | ENABLED, H) is MarketQuote's."""

    # Optional here: a quote keyed by `symbol` only (id M) still reads; the bridge finds its id.
    id: str | None = None  # type: ignore[assignment]


class EbboMessage(StreamMessage):
    data: EbboData | None = None


class DepthLevel(PriceLevel):
    """One price level. `qty` 0 in an UPDATE deletes the level. An older sample named the
    count `depth`."""

    order_count: Count = Field(default=None, validation_alias=AliasChoices("order_count", "depth"))


# A price level at the sentinel or zero price reads as price None (see PriceLevel): not a level.
EMPTY_DEPTH: tuple[DepthLevel, ...] = ()


class DepthData(WireModel):
    symbol: str | None = None
    id: str | None = None  # not documented; read when sent
    bids: list[DepthLevel] = Field(default_factory=list)
    asks: list[DepthLevel] = Field(default_factory=list)

    @field_validator("bids", "asks", mode="before")
    @classmethod
    def _array_levels(cls, value: Any) -> Any:
        # The level schema is M: `[price, qty]` or `[price, qty, order_count]` arrays are read too
        # (the common market-data shape, and unambiguous). Anything else that is not a level object
        # is set aside (`unreadable`) and counted by the book.
        if not isinstance(value, list):
            return value
        return [dict(zip(("price", "qty", "order_count"), level, strict=False))
                if isinstance(level, list) and 2 <= len(level) <= 3 else level for level in value]


class DepthMessage(StreamMessage):
    data: DepthData | None = None


class TradePrint(WireModel):
    """A market trade print: no side and no time on the wire."""

    id: str | None = None  # instrument id, when sent inside data
    symbol: str | None = None
    match_id: str | None = None
    trade_price: Amount = None
    trade_qty: Amount = None
    liq_flag: TLiq | None = None


class TradeMessage(StreamMessage):
    id: str | None = None  # instrument id (undocumented; TrueX's own code reads it here)
    data: TradePrint | None = None

    @property
    def instrument_id(self) -> str | None:
        return self.id or (self.data.id if self.data else None)


class DropCopyMessage(StreamMessage):
    """Order-state reports; the payload is a guess (L), so it stays raw for `dropcopy.py`."""

    data: Any = None
    text: str | None = None  # v1.0.4: a reject or cancel reason


class SnapshotComplete(StreamMessage):
    item: str | None = None  # the symbol or client id whose snapshot is complete


class Unreadable:
    """A frame we could not read: kept whole, with why, for the screen and the log."""

    __slots__ = ("raw", "reason", "channel", "update")

    def __init__(self, raw: str, reason: str, channel: str | None = None, update: str | None = None) -> None:
        self.raw = raw
        self.reason = reason
        self.channel = channel
        self.update = update

    def __repr__(self) -> str:
        return f"Unreadable(channel={self.channel!r}, update={self.update!r}, reason={self.reason!r}, raw={self.raw[:200]!r})"


_DATA_MODELS: dict[str, type[StreamMessage]] = {
    Channel.INSTRUMENT: InstrumentMessage,
    Channel.EBBO: EbboMessage,
    Channel.DEPTH: DepthMessage,
    Channel.TRADE: TradeMessage,
    Channel.DROPCOPY: DropCopyMessage,
}


_STATUSES = frozenset(str(status) for status in SubscriptionStatus)


def model_for(channel: Any, update: Any, status: Any = None) -> type[StreamMessage] | None:
    """The model of a message by its channel and update; None when we do not know the pair."""
    if update == Update.SNAPSHOT_COMPLETE:
        return SnapshotComplete
    if channel == Channel.WEBSOCKET:
        if update == Update.WELCOME:
            return Welcome
        # A confirmation is SNAPSHOT|UPDATE (H); one with a known status is read whatever its update
        # says, so a refusal is never dropped. Anything else (a keepalive, a notice) is not a
        # confirmation: taken as one it would answer a request it was not about.
        if update in (Update.SNAPSHOT, Update.UPDATE) or (isinstance(status, str) and status in _STATUSES):
            return Confirmation
        return None
    if update not in (Update.SNAPSHOT, Update.UPDATE):
        return None
    return _DATA_MODELS.get(channel)


def parse_message(frame: str | bytes) -> StreamMessage | Unreadable:
    """One server frame as its typed message, or an `Unreadable` saying why. Never raises."""
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    try:
        body = json.loads(text, parse_float=Decimal)  # a price sent as a JSON number keeps every digit
    except ValueError as error:
        return Unreadable(text, f"not JSON: {error}")
    if not isinstance(body, dict):
        return Unreadable(text, f"not a JSON object but {type(body).__name__}")
    channel, update = body.get("channel"), body.get("update")
    model = model_for(channel, update, body.get("status"))
    if model is None:
        return Unreadable(text, f"unknown channel {raw_text(channel)} / update {raw_text(update)}",
                          channel=channel if isinstance(channel, str) else None,
                          update=update if isinstance(update, str) else None)
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        return Unreadable(text, f"{where}: {first['msg']}", channel=str(channel), update=str(update))
