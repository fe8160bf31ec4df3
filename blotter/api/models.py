"""Pydantic models of the TrueX wire format, shared by the client and the simulator.

Amounts are `Decimal` parsed from the wire's strings and written back as plain decimal strings.
Ids are strings. Timestamps are nanosecond integers, parsed once here from 19-digit strings.

Liberal in what they accept, honest about it:
- an empty string or null amount reads as "not given" (None), never as zero;
- a field that does not parse never loses its row: the field reads as not given and its raw text
  is kept in `unreadable` (input key -> text) for the screen to show, marked;
- an unknown enum value is kept as a plain string;
- an empty book side (the i128 sentinels, a zero or negative price) reads as no price at all.
"""

# No `from __future__ import annotations` here: pydantic would evaluate every field's annotation
# from its string when each class is made, a third of this module's import on the way to the first
# data. Two validators name their own class ahead of time, so they quote it.

import hashlib
import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from ._defaults import NS_PER_DAY, NS_PER_SECOND  # noqa: F401 - re-exported: wire times are epoch nanoseconds

# --- scalar types -------------------------------------------------------------------------------


def _decimal_to_wire(value: Decimal) -> str:
    # format(..., "f") never uses exponent notation ("1E+2"), which the wire does not.
    return format(value, "f")


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


WireDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    PlainSerializer(_decimal_to_wire, return_type=str, when_used="json"),
]
NanoTime = Annotated[int, PlainSerializer(lambda v: str(v), return_type=str, when_used="json")]
# Optional wire values: "" and null both mean "not given".
Amount = Annotated[WireDecimal | None, BeforeValidator(_blank_is_none)]
Nanos = Annotated[NanoTime | None, BeforeValidator(_blank_is_none)]
Count = Annotated[int | None, BeforeValidator(_blank_is_none)]


_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_NUMBER = re.compile(r"\d+(\.\d+)?")


def _iso_ns(text: str) -> int | None:
    """ISO 8601 text (a space for the T; no zone reads as UTC) as epoch ns, every fraction digit kept."""
    found = _ISO_TIME.fullmatch(text)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC)
    except ValueError:
        return None
    offset = 0
    if zone and zone not in "Zz":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60) * (-1 if zone[0] == "-" else 1)
    nanos = int((fraction or "0")[:9].ljust(9, "0"))
    return (int(moment.timestamp()) - offset) * NS_PER_SECOND + nanos


def _epoch_ns(value: Any) -> Any:
    """An order's time in whatever form a server sends it (§6.4, L): epoch seconds, ms, µs or ns
    told apart by their digits, or ISO 8601 text. Anything else is left to fail (and be shown raw)."""
    value = _blank_is_none(value)
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            found = _iso_ns(text)
            return value if found is None else found
        value = Decimal(text)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        return value
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
        if not number.is_finite() or number < 0:
            return value
        digits = len(str(int(number)))
    except (InvalidOperation, ValueError):
        return value
    # 10 digits are seconds until 2286, 13 ms, 16 µs, 19 ns: each unit spans three digits.
    scale = 9 if digits <= 11 else 6 if digits <= 14 else 3 if digits <= 17 else 0
    return int(number.scaleb(scale))


# An order's time as any server may send it (only the order object: its time is undocumented).
EpochTime = Annotated[NanoTime | None, BeforeValidator(_epoch_ns)]

# An empty book side, as TrueX-written samples send it (i128 bounds scaled by 10^18).
BID_SENTINEL = Decimal("-170141183460469231731.687303715884105728")
ASK_SENTINEL = Decimal("170141183460469231731.687303715884105727")
IMPOSSIBLE_PRICE = Decimal("1e20")  # no instrument trades near 10^20: read as a sentinel


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"


class OrderStatus(StrEnum):
    INITIALIZED = "INITIALIZED"
    NEW_PENDING = "NEW_PENDING"
    REJECTED = "REJECTED"
    ACTIVE = "ACTIVE"
    FILLED = "FILLED"
    CANCEL_PENDING = "CANCEL_PENDING"
    CANCELED = "CANCELED"
    MODIFY_PENDING = "MODIFY_PENDING"


# An order is open unless it is one of these: a status we do not know may still change (§3).
DONE_STATUSES = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED)


class SelfTradePrevention(StrEnum):
    INVALID = "INVALID"
    NONE = "NONE"
    CANCEL_AGGRESSIVE = "CANCEL_AGGRESSIVE"
    CANCEL_BOTH = "CANCEL_BOTH"


class MsgType(StrEnum):
    REQUEST_NEW = "REQUEST_NEW"
    REQUEST_CANCEL = "REQUEST_CANCEL"
    REQUEST_MODIFY = "REQUEST_MODIFY"
    REPORT_CONFIRM = "REPORT_CONFIRM"
    REPORT_REJECT = "REPORT_REJECT"
    REPORT_TRADE = "REPORT_TRADE"
    REPORT_CANCELED = "REPORT_CANCELED"
    REPORT_MODIFIED = "REPORT_MODIFIED"


class LiquidityFlag(StrEnum):
    TAKER = "TAKER"
    MAKER = "MAKER"


class InstrumentStatus(StrEnum):
    DISABLED = "DISABLED"
    OPENING = "OPENING"
    ACTIVE = "ACTIVE"
    HALTED = "HALTED"


class ClientStatus(StrEnum):
    INITIIALIZED = "INITIIALIZED"  # sic: the wire spells it with a double I
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class ClientType(StrEnum):
    INSTITUTION = "INSTITUTION"
    INDIVIDUAL = "INDIVIDUAL"
    APPLICATION = "APPLICATION"


class TransferStatus(StrEnum):
    INITIALIZED = "INITIALIZED"
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"


class TransferType(StrEnum):
    DEPOSIT = "DEPOSIT"
    WITHDRAWL = "WITHDRAWL"  # sic


class IdType(StrEnum):
    CLIENT = "client"
    EXCHANGE = "exchange"


class ApiVersion(StrEnum):
    V2024_01_01 = "v2024_01_01"
    V2026_01_23 = "v2026_01_23"


# `Side | str` and friends: pydantic tries the enum first, then keeps an unknown value as text.
_ENUM_FIRST = Field(union_mode="left_to_right")


def _any_case(enum: type[StrEnum]) -> BeforeValidator:
    """Enum values are only M-confidence in their spelling (§3): "active" or " Buy" is the member;
    a value no member matches is kept exactly as sent."""
    members = {member.value.upper(): member for member in enum}

    def normalise(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, enum):
            return members.get(value.strip().upper(), value)
        return value

    return BeforeValidator(normalise)


TSide = Annotated[Side | str, _ENUM_FIRST, _any_case(Side)]
TOrderType = Annotated[OrderType | str, _ENUM_FIRST, _any_case(OrderType)]
TTif = Annotated[TimeInForce | str, _ENUM_FIRST, _any_case(TimeInForce)]
TOrderStatus = Annotated[OrderStatus | str, _ENUM_FIRST, _any_case(OrderStatus)]
TStp = Annotated[SelfTradePrevention | str, _ENUM_FIRST, _any_case(SelfTradePrevention)]
TMsgType = Annotated[MsgType | str, _ENUM_FIRST, _any_case(MsgType)]
TLiq = Annotated[LiquidityFlag | str, _ENUM_FIRST, _any_case(LiquidityFlag)]
TInstrumentStatus = Annotated[InstrumentStatus | str, _ENUM_FIRST, _any_case(InstrumentStatus)]
TClientStatus = Annotated[ClientStatus | str, _ENUM_FIRST, _any_case(ClientStatus)]
TClientType = Annotated[ClientType | str, _ENUM_FIRST, _any_case(ClientType)]
TTransferStatus = Annotated[TransferStatus | str, _ENUM_FIRST, _any_case(TransferStatus)]
TTransferType = Annotated[TransferType | str, _ENUM_FIRST, _any_case(TransferType)]


def raw_text(value: Any) -> str:
    """A wire value as the text it was sent as (JSON for anything but a string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)  # a JSON number read exactly: shown as sent, not quoted
    try:
        return json.dumps(value, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return repr(value)


class WireModel(BaseModel):
    """Liberal in what it accepts: unknown fields ignored, numeric ids coerced to strings, and a
    field that fails to parse set aside in `unreadable` rather than failing the whole record."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        use_enum_values=False,
        defer_build=True,  # each model's validator is built on first use: not before the first frame
    )

    # input key (or "key[index]" for an item of a list) -> the raw text that did not parse
    _unreadable: dict[str, str] = PrivateAttr(default_factory=dict)
    _all_unreadable: dict[str, str] | None = PrivateAttr(default=None)  # with nested records, once

    @model_validator(mode="wrap")
    @classmethod
    def _set_aside_what_does_not_parse(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as error:
            if not isinstance(data, dict):
                raise
            cleaned, unread = _without_failures(data, error)
            if not unread:
                raise
            model = handler(cleaned)  # raises again when a required field was the one that failed
            model._unreadable = {**model._unreadable, **unread}
            model._all_unreadable = None
            return model

    @property
    def unreadable(self) -> dict[str, str]:
        """What did not parse, here and in nested records: dotted path -> raw text. Computed once:
        wire models are not changed after they are read."""
        found = self._all_unreadable
        if found is None:
            found = dict(self._unreadable)
            for name in type(self).model_fields:
                value = getattr(self, name, None)
                if isinstance(value, WireModel):
                    for path, text in value.unreadable.items():
                        found[f"{name}.{path}"] = text
            self._all_unreadable = found
        return found

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _without_failures(data: dict[str, Any], error: ValidationError) -> tuple[dict[str, Any], dict[str, str]]:
    """`data` without the values that failed (a bad item of a list leaves only that item out),
    and what was set aside. Nested records set aside their own failures before we see them."""
    cleaned = dict(data)
    unread: dict[str, str] = {}
    bad_items: dict[str, set[int]] = {}
    for problem in error.errors():
        loc = problem["loc"]
        if not loc or not isinstance(loc[0], str) or loc[0] not in data:
            continue  # a missing field: nothing to set aside
        key = loc[0]
        if len(loc) > 1 and isinstance(loc[1], int) and isinstance(data[key], list):
            bad_items.setdefault(key, set()).add(loc[1])
            continue
        cleaned.pop(key, None)
        unread[key] = raw_text(data[key])
    for key, indices in bad_items.items():
        if key not in cleaned:
            continue
        cleaned[key] = [item for index, item in enumerate(data[key]) if index not in indices]
        for index in sorted(indices):
            unread[f"{key}[{index}]"] = raw_text(data[key][index])
    return cleaned, unread


# --- reference data -----------------------------------------------------------------------------


class AssetInfo(WireModel):
    name: str | None = None


class Asset(WireModel):
    id: str
    status: str | None = None
    info: AssetInfo | None = None
    fields: AssetInfo | None = None  # seen in production by one client
    name_: str | None = Field(default=None, alias="name")

    @property
    def name(self) -> str:
        for candidate in (self.info and self.info.name, self.fields and self.fields.name, self.name_):
            if candidate:
                return candidate
        return self.id


class InstrumentInfo(WireModel):
    symbol: str = ""
    reference_price: Amount = None
    base_asset_id: str | None = None
    quote_asset_id: str | None = None
    price_limit_window_secs: Count = None
    price_limit_percent: Amount = None
    price_bands_percent: Amount = None
    # Not documented (§6.7): served by our simulator's own mode, optional for the client.
    price_increment: Amount = None
    qty_increment: Amount = None


class InstrumentStats(WireModel):
    last_24hr_notional: Amount = None
    last_24hr_quantity: Amount = None
    last_24hr_volume: Amount = None  # an older name, read if sent


class Instrument(WireModel):
    id: str
    status: TInstrumentStatus | None = None
    info: InstrumentInfo = Field(default_factory=InstrumentInfo)
    stats: InstrumentStats | None = None

    @property
    def symbol(self) -> str:
        return self.info.symbol or self.id


# --- market data --------------------------------------------------------------------------------


def is_empty_side(price: Decimal | None) -> bool:
    """No price at all, zero, negative or a sentinel: nothing rests on that side of the book."""
    return price is None or price <= 0 or abs(price) >= IMPOSSIBLE_PRICE


class PriceLevel(WireModel):
    """One side of the top of book. An empty side (sentinel, zero or impossible price) reads as
    `price = qty = None`, with what was sent kept in `empty_as`."""

    price: Amount = None
    qty: Amount = None
    order_count: Count = None
    empty_as: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _empty_side(self) -> "PriceLevel":
        if is_empty_side(self.price):
            if self.price is not None:
                self.empty_as = format(self.price, "f")
            self.price = None
            self.qty = None  # a quantity at no price is not a level
        return self


class LastTrade(WireModel):
    price: Amount = None
    qty: Amount = None
    timestamp: Nanos = None

    @model_validator(mode="after")
    def _no_trade(self) -> "LastTrade":
        if self.price is not None and is_empty_side(self.price):
            self.price = None
            self.qty = None
        return self


class QuoteInfo(WireModel):
    last_trade: LastTrade | None = None
    best_bid: PriceLevel | None = None
    best_ask: PriceLevel | None = None
    last_update: Nanos = None


class MarketQuote(WireModel):
    id: str
    symbol: str | None = None
    info: QuoteInfo = Field(default_factory=QuoteInfo)
    status: str | None = None  # EBBO's DISABLED | ENABLED (H); REST quotes do not say


class QtyUnit(StrEnum):
    BASE = "BASE"
    QUOTE = "QUOTE"


class VwapQuoteRequest(WireModel):
    """v1.0.4: `side` and `qty_unit` are required (a v1.0.3 server reads only the first two)."""

    instrument_id: str
    qty: WireDecimal
    side: Side
    qty_unit: QtyUnit = QtyUnit.BASE


class VwapQuote(WireModel):
    """The answer in either shape: v1.0.4 `{qty, price, notional?, notional_residual?}` or v1.0.3
    `{quote, buy_amount}`."""

    qty: WireDecimal | None = None
    price: WireDecimal | None = None
    notional: WireDecimal | None = None
    notional_residual: WireDecimal | None = None
    quote: WireDecimal | None = None  # v1.0.3: the VWAP price
    buy_amount: WireDecimal | None = None  # v1.0.3: base quantity obtainable

    @property
    def average_price(self) -> Decimal | None:
        return self.price if self.price is not None else self.quote

    @property
    def base_qty(self) -> Decimal | None:
        return self.qty if self.qty is not None else self.buy_amount


# --- clients ------------------------------------------------------------------------------------


class ClientInfo(WireModel):
    organization_id: str | None = None
    mnemonic: str | None = None
    type: TClientType | None = None
    maker_fee_tier: Count = None
    taker_fee_tier: Count = None
    self_trade_prevention: TStp | None = None


class Client(WireModel):
    id: str
    status: TClientStatus | None = None
    info: ClientInfo = Field(default_factory=ClientInfo)


class ClientPatchInfo(WireModel):
    self_trade_prevention: TStp


class ClientPatch(WireModel):
    id: str
    info: ClientPatchInfo


# --- orders -------------------------------------------------------------------------------------


class OrderInfo(WireModel):
    client_id: str | None = None
    instrument_id: str | None = None
    side: TSide | None = None
    type: TOrderType | None = None
    qty: Amount = None
    price: Amount = None
    tif: TTif | None = None
    exec_inst_flags: list[str] | None = None
    flags: list[str] | None = None
    stp: TStp | None = None
    hold_fee_rate: Amount = None
    msg_id: str | None = None
    parent_id: str | None = None


class ModifyInfo(WireModel):
    client_id: str | None = None
    new_qty: Amount = None
    new_price: Amount = None
    new_type: TOrderType | None = None
    prev_modify: Any | None = None
    msg_id: str | None = None
    parent_id: str | None = None


def is_not_given(value: Decimal | None) -> bool:
    """An order's price or quantity sent as 0 or an i128 sentinel means "not given" (a MARKET
    order, or the field a modify left alone), never an amount (§6.3, ModifyInfo §2.2). Any other
    odd value (huge, negative) is what the exchange said: shown, not hidden."""
    return value is None or value == 0 or abs(abs(value) - ASK_SENTINEL) < 1


def _given(value: Decimal | None) -> Decimal | None:
    return None if is_not_given(value) else value


PLACEHOLDER_KEYS = ("ext:", "row:")  # `Order.key` of an order without a real exchange id


def _is_real_id(value: str | None) -> bool:
    """An id that names something: not missing, "" nor the placeholder "0" (an order's while
    pending, §3; a trade's match id when there is none)."""
    return bool(value and value.strip().strip("0"))


def _placeholder_key(order: "Order") -> str | None:
    """The key `order` had while its id was a placeholder (by external id), or None."""
    return PLACEHOLDER_KEYS[0] + order.external_id if order.external_id else None


def _no_id(value: Any) -> Any:
    return "" if value is None else value


class Order(WireModel):
    # The exchange id; "" or "0" while the order is INITIALIZED / NEW_PENDING (§3): see `key`.
    id: Annotated[str, BeforeValidator(_no_id)] = ""
    status: TOrderStatus | None = None
    order_info: OrderInfo = Field(default_factory=OrderInfo)
    modify_info: ModifyInfo | None = None
    external_id: str | None = None
    ref_external_id: str | None = None
    pending_qty: Amount = None
    leaves_qty: Amount = None
    # The wire spells it `exeuted_qty`; `executed_qty` is read as a fallback.
    executed_qty: Amount = Field(
        default=None,
        validation_alias=AliasChoices("exeuted_qty", "executed_qty"),
        serialization_alias="exeuted_qty",
    )
    executed_vwap: Amount = None  # "" or "0" before any fill
    # Not in the documented order object (§6.4): read when a server sends them.
    timestamp: EpochTime = None
    update_timestamp: EpochTime = None

    @property
    def is_open(self) -> bool:
        """Not done: an unknown status (or none) may still change, so the order stays shown."""
        return self.status not in DONE_STATUSES

    @property
    def has_id(self) -> bool:
        """Does it carry a real exchange id (not "", nor the placeholder "0")?"""
        return _is_real_id(self.id)

    @property
    def former_key(self) -> str | None:
        """The key it was shown under while its id was a placeholder (by external id), now that it
        has a real id: where the pending row, time or stream state is to be found. None else."""
        return _placeholder_key(self) if self.has_id else None

    @property
    def key(self) -> str:
        """A stable identity: the exchange id, else the client's external id, else a digest of
        what identifies the record (two pending orders both sent with id "0" stay two)."""
        if self.has_id:
            return self.id
        if self.external_id:
            return _placeholder_key(self)  # type: ignore[return-value]
        info = self.order_info
        parts = (self.id, self.unreadable.get("id"), self.ref_external_id, info.client_id, info.instrument_id,
                 info.side, info.type, info.qty, info.price, info.msg_id)
        return PLACEHOLDER_KEYS[1] + hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()

    @property
    def filled(self) -> Decimal:
        """The executed quantity, zero when the exchange gave none (for checks, not display)."""
        return self.executed_qty or Decimal(0)

    @property
    def average_price(self) -> Decimal | None:
        """The executed VWAP, None before any fill (the wire sends "" or "0" then)."""
        return self.executed_vwap if self.executed_vwap and self.filled else None

    @property
    def refs(self) -> tuple[str, ...]:
        """Every id the order is known by: a modify may re-key it (§6.6)."""
        own_id = self.id if self.has_id else None  # a placeholder "0" names no order
        return tuple(ref for ref in (own_id, self.external_id, self.ref_external_id) if ref)

    @property
    def price(self) -> Decimal | None:
        """The modified price, else the order's; None for a MARKET order (sent as 0 or a sentinel)."""
        new = _given(self.modify_info.new_price) if self.modify_info else None
        return new if new is not None else _given(self.order_info.price)

    @property
    def qty(self) -> Decimal | None:
        new = _given(self.modify_info.new_qty) if self.modify_info else None
        return new if new is not None else _given(self.order_info.qty)


class NewOrder(WireModel):
    external_id: str
    info: OrderInfo


class ModifyOrder(WireModel):
    id: str | None = None
    external_id: str | None = None
    info: ModifyInfo


class TradeAmounts:
    """Notional and fee, computed exactly from price, quantity and fee rate; shared by the wire
    model and the store's compact record (`core.trade_records`)."""

    __slots__ = ()
    trade_price: Decimal | None
    trade_qty: Decimal | None
    trade_fee_rate: Decimal | None

    @property
    def notional(self) -> Decimal | None:
        if self.trade_price is None or self.trade_qty is None:
            return None
        return self.trade_price * self.trade_qty

    @property
    def fee(self) -> Decimal | None:
        notional = self.notional
        if notional is None or self.trade_fee_rate is None:
            return None
        return notional * self.trade_fee_rate


def trade_key(match_id: str | None, order_id: str | None, side: object, timestamp: int | None, qty: object,
              price: object = None) -> str:
    """A trade is one side of one match (§6.5): both sides of a self-match share the match id.
    "" and "0" are no match id. Without one, the fields that tell two fills apart (two fills of one
    order in the same ns and size differ by price), numbers by value: the same trade from another
    source ("100" from REST, 100.0 from the stream) keeps one key."""
    side_text = getattr(side, "value", side)
    if _is_real_id(match_id):
        return f"{match_id}:{order_id}:{side_text}"
    return f"{order_id}:{side_text}:{timestamp}:{_by_value(qty)}:{_by_value(price)}"


def _by_value(number: object) -> object:
    return format(number.normalize(), "f") if isinstance(number, Decimal) and number.is_finite() else number


class Trade(TradeAmounts, WireModel):
    # Every field optional: a trade row is never lost because one field was missing or unreadable.
    client_id: str | None = None
    external_id: str | None = None
    instrument_id: str | None = None
    msg_type: TMsgType = MsgType.REPORT_TRADE
    timestamp: Nanos = None
    side: TSide | None = None
    order_id: str | None = None
    trade_price: Amount = None
    trade_qty: Amount = None
    trade_fee_rate: Amount = None
    liq_flag: TLiq | None = None
    match_id: str | None = None

    @property
    def key(self) -> str:
        """De-duplication key: (match id, order id, side), or a composite without a match id."""
        return trade_key(self.match_id, self.order_id, self.side, self.timestamp, self.trade_qty, self.trade_price)


class Activity(WireModel):
    client_id: str | None = None
    external_id: str | None = None
    instrument_id: str | None = None
    msg_type: TMsgType | None = None
    timestamp: Nanos = None
    side: TSide | None = None
    order_price: Amount = None
    order_qty: Amount = None


# --- balances and transfers ---------------------------------------------------------------------


class BalanceLine(WireModel):
    asset_id: str
    balance: Amount = None
    unsettled: Amount = None
    order_hold: Amount = None
    transfer_hold: Amount = None
    state: str | None = None

    @property
    def on_hold(self) -> Decimal | None:
        """Both holds; a hold not given counts as none, but None when neither was given."""
        if self.order_hold is None and self.transfer_hold is None:
            return None
        return (self.order_hold or Decimal(0)) + (self.transfer_hold or Decimal(0))

    @property
    def available(self) -> Decimal | None:
        if self.balance is None:
            return None
        return self.balance - (self.on_hold or Decimal(0))


class Balances(WireModel):
    id: str
    status: str | None = None
    unsettled_fees: Amount = None
    fees_hold: Amount = None
    balances: list[BalanceLine] = []  # copied for each instance (see config.Settings.theme_files)


class NewTransfer(WireModel):
    asset_id: str
    client_id: str
    amount: WireDecimal
    type: TTransferType


class Transfer(WireModel):
    id: str = Field(validation_alias=AliasChoices("id", "transfer_id"))
    status: TTransferStatus | None = None
    request: NewTransfer | None = None


# --- service ------------------------------------------------------------------------------------


class Health(WireModel):
    """`{status: healthy|degraded, timestamp, service}`; a degraded service answers it with 503."""

    status: str
    timestamp: str | None = None
    service: str | None = None

    @property
    def degraded(self) -> bool:
        return self.status.strip().lower() not in ("healthy", "ok", "")


class VersionInfo(WireModel):
    version: str
    status: str | None = None
    deprecation: str | None = None
    sunset: str | None = None


# --- envelope (v2026_01_23) ---------------------------------------------------------------------

class Pagination(WireModel):
    # v1.0.3 pages wrote `limit`, v1.0.4 `size`.
    size: Count = Field(default=None, validation_alias=AliasChoices("size", "limit"))
    next_cursor: str | None = None

    @field_validator("next_cursor")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class ProblemDetails(WireModel):
    type: str = "about:blank"
    title: str = ""
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    extensions: dict[str, Any] | None = None


DASHBOARD_MODELS = (Asset, Instrument, MarketQuote, Order, Trade, Activity, Balances, Health, Pagination, ProblemDetails)


def build_validators(models: tuple[type[WireModel], ...] = DASHBOARD_MODELS) -> None:
    """Build now the validators `defer_build` leaves for first use. The dashboard calls this off the
    event loop while its first frame is up, so that its first polls do not pay for it."""
    for model in models:
        model.model_rebuild()
