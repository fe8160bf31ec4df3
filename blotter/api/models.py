"""Pydantic models of the TrueX wire format, shared by the client and the simulator.

Amounts are `Decimal` parsed from the wire's strings and written back as plain decimal strings.
Ids are strings. Timestamps are nanosecond integers, parsed once here from 19-digit strings.
Enums are tolerant: an unknown value is kept as a plain string so the row still shows.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer, field_validator

# --- scalar types -------------------------------------------------------------------------------


def _decimal_to_wire(value: Decimal) -> str:
    # format(..., "f") never uses exponent notation ("1E+2"), which the wire does not.
    return format(value, "f")


WireDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    PlainSerializer(_decimal_to_wire, return_type=str, when_used="json"),
]
NanoTime = Annotated[int, PlainSerializer(lambda v: str(v), return_type=str, when_used="json")]

NS_PER_SECOND = 1_000_000_000


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


OPEN_STATUSES = frozenset(
    {
        OrderStatus.INITIALIZED,
        OrderStatus.NEW_PENDING,
        OrderStatus.ACTIVE,
        OrderStatus.CANCEL_PENDING,
        OrderStatus.MODIFY_PENDING,
    }
)


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
TSide = Annotated[Side | str, _ENUM_FIRST]
TOrderType = Annotated[OrderType | str, _ENUM_FIRST]
TTif = Annotated[TimeInForce | str, _ENUM_FIRST]
TOrderStatus = Annotated[OrderStatus | str, _ENUM_FIRST]
TStp = Annotated[SelfTradePrevention | str, _ENUM_FIRST]
TMsgType = Annotated[MsgType | str, _ENUM_FIRST]
TLiq = Annotated[LiquidityFlag | str, _ENUM_FIRST]
TInstrumentStatus = Annotated[InstrumentStatus | str, _ENUM_FIRST]
TClientStatus = Annotated[ClientStatus | str, _ENUM_FIRST]
TClientType = Annotated[ClientType | str, _ENUM_FIRST]
TTransferStatus = Annotated[TransferStatus | str, _ENUM_FIRST]
TTransferType = Annotated[TransferType | str, _ENUM_FIRST]


class WireModel(BaseModel):
    """Liberal in what it accepts: unknown fields ignored, numeric ids coerced to strings."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        use_enum_values=False,
    )

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


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
    reference_price: WireDecimal | None = None
    base_asset_id: str | None = None
    quote_asset_id: str | None = None
    price_limit_window_secs: int | None = None
    price_limit_percent: WireDecimal | None = None
    price_bands_percent: WireDecimal | None = None
    # Not seen in REST; served by the simulator, optional for the client.
    price_increment: WireDecimal | None = None
    qty_increment: WireDecimal | None = None


class InstrumentStats(WireModel):
    last_24hr_notional: WireDecimal | None = None
    last_24hr_volume: WireDecimal | None = None


class Instrument(WireModel):
    id: str
    status: TInstrumentStatus | None = None
    info: InstrumentInfo = Field(default_factory=InstrumentInfo)
    stats: InstrumentStats | None = None

    @property
    def symbol(self) -> str:
        return self.info.symbol or self.id


# --- market data --------------------------------------------------------------------------------


class PriceLevel(WireModel):
    price: WireDecimal | None = None
    qty: WireDecimal | None = None
    order_count: int | None = None


class LastTrade(WireModel):
    price: WireDecimal | None = None
    qty: WireDecimal | None = None
    timestamp: NanoTime | None = None


class QuoteInfo(WireModel):
    last_trade: LastTrade | None = None
    best_bid: PriceLevel | None = None
    best_ask: PriceLevel | None = None
    last_update: NanoTime | None = None


class MarketQuote(WireModel):
    id: str
    symbol: str | None = None
    info: QuoteInfo = Field(default_factory=QuoteInfo)


class VwapQuoteRequest(WireModel):
    instrument_id: str
    qty: WireDecimal


class VwapQuote(WireModel):
    quote: WireDecimal | None = None
    buy_amount: WireDecimal | None = None


# --- clients ------------------------------------------------------------------------------------


class ClientInfo(WireModel):
    organization_id: str | None = None
    mnemonic: str | None = None
    type: TClientType | None = None
    maker_fee_tier: int | None = None
    taker_fee_tier: int | None = None
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
    qty: WireDecimal | None = None
    price: WireDecimal | None = None
    tif: TTif | None = None
    exec_inst_flags: list[str] | None = None
    flags: list[str] | None = None
    stp: TStp | None = None
    hold_fee_rate: WireDecimal | None = None
    msg_id: str | None = None
    parent_id: str | None = None


class ModifyInfo(WireModel):
    client_id: str | None = None
    new_qty: WireDecimal | None = None
    new_price: WireDecimal | None = None
    new_type: TOrderType | None = None
    prev_modify: Any | None = None
    msg_id: str | None = None
    parent_id: str | None = None


class Order(WireModel):
    id: str
    status: TOrderStatus | None = None
    order_info: OrderInfo = Field(default_factory=OrderInfo)
    modify_info: ModifyInfo | None = None
    external_id: str | None = None
    ref_external_id: str | None = None
    pending_qty: WireDecimal = Decimal(0)
    leaves_qty: WireDecimal = Decimal(0)
    # The wire spells it `exeuted_qty`; `executed_qty` is read as a fallback.
    executed_qty: WireDecimal = Field(
        default=Decimal(0),
        validation_alias=AliasChoices("exeuted_qty", "executed_qty"),
        serialization_alias="exeuted_qty",
    )
    executed_vwap: WireDecimal = Decimal(0)
    timestamp: NanoTime | None = None
    update_timestamp: NanoTime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def price(self) -> Decimal | None:
        if self.modify_info and self.modify_info.new_price is not None:
            return self.modify_info.new_price
        return self.order_info.price

    @property
    def qty(self) -> Decimal | None:
        if self.modify_info and self.modify_info.new_qty is not None:
            return self.modify_info.new_qty
        return self.order_info.qty


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


class Trade(TradeAmounts, WireModel):
    client_id: str
    external_id: str | None = None
    instrument_id: str
    msg_type: TMsgType = MsgType.REPORT_TRADE
    timestamp: NanoTime
    side: TSide
    order_id: str
    trade_price: WireDecimal | None = None
    trade_qty: WireDecimal | None = None
    trade_fee_rate: WireDecimal | None = None
    liq_flag: TLiq | None = None
    match_id: str | None = None


    @property
    def key(self) -> str:
        """De-duplication key: the match id, or a composite when the exchange leaves it out."""
        return self.match_id or f"{self.order_id}:{self.timestamp}:{self.trade_qty}"


class Activity(WireModel):
    client_id: str
    external_id: str | None = None
    instrument_id: str
    msg_type: TMsgType
    timestamp: NanoTime
    side: TSide
    order_price: WireDecimal | None = None
    order_qty: WireDecimal | None = None


# --- balances and transfers ---------------------------------------------------------------------


class BalanceLine(WireModel):
    asset_id: str
    balance: WireDecimal = Decimal(0)
    unsettled: WireDecimal = Decimal(0)
    order_hold: WireDecimal = Decimal(0)
    transfer_hold: WireDecimal = Decimal(0)
    state: str | None = None

    @property
    def on_hold(self) -> Decimal:
        return self.order_hold + self.transfer_hold

    @property
    def available(self) -> Decimal:
        return self.balance - self.on_hold


class Balances(WireModel):
    id: str
    status: str | None = None
    unsettled_fees: WireDecimal = Decimal(0)
    fees_hold: WireDecimal = Decimal(0)
    balances: list[BalanceLine] = Field(default_factory=list)


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
    status: str


class VersionInfo(WireModel):
    version: str
    status: str | None = None
    deprecation: str | None = None
    sunset: str | None = None


# --- envelope (v2026_01_23) ---------------------------------------------------------------------

T = TypeVar("T")


class Pagination(WireModel):
    # v1.0.3 pages wrote `limit`, v1.0.4 `size`.
    size: int | None = Field(default=None, validation_alias=AliasChoices("size", "limit"))
    next_cursor: str | None = None

    @field_validator("next_cursor")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class Envelope(WireModel, Generic[T]):
    data: T
    pagination: Pagination | None = None


class ProblemDetails(WireModel):
    type: str = "about:blank"
    title: str = ""
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    extensions: dict[str, Any] | None = None
