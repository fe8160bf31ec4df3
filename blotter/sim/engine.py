"""The simulated exchange's matching and market engine. Headless: no HTTP here.

Everything random comes from one `random.Random(seed)` and every time from the injected clock, so
the same seed and the same sequence of calls give the same market. Amounts are `Decimal`.

`wire="real"` changes what the engine does, not how it is written on the wire (that is `dialect`):
- an instrument that is listed but not trading yet (`LISTED`, status OPENING, an empty book);
  orders and VWAP quotes on it are refused with 400 "Instrument not open";
- an order entering the book matches our clients' resting orders that it reaches before the
  synthetic top of book (price, then time priority). Two orders of one client then trade with
  each other under STP NONE: two trades, one match id, one BUY and one SELL (a self-match). Under
  any other STP the client's own resting orders are passed over (the cancel variants are not modelled);
- one in five seeded historical matches is such a pair, and the demo flow now and then crosses
  two of its own orders inside the spread.
In `sim` mode the engine draws exactly the same random numbers as it always has.

`Exchange.listeners` hear what happens, for the WebSocket endpoint (`streaming.py`): an
`OrderEvent` per order activity (the order as it is right then, the fill's trade, a reason), a
`TradePrint` per market print, and `MarketStepped` after each tick. They are called with the lock
held, from whatever thread called the engine, so they must only take note and return.
"""

from __future__ import annotations

import bisect
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from ..api.models import (
    NS_PER_DAY,
    Activity,
    Asset,
    AssetInfo,
    BalanceLine,
    Balances,
    Client,
    ClientInfo,
    Instrument,
    InstrumentInfo,
    InstrumentStats,
    LastTrade,
    MarketQuote,
    ModifyInfo,
    Order,
    OrderInfo,
    PriceLevel,
    QuoteInfo,
    Trade,
    Transfer,
    NewTransfer,
)
from .signing import DEMO_ORGANIZATION_ID

NS = 1_000_000_000
TAKER_FEE = Decimal("0.0005")
MAKER_FEE = Decimal("0.0002")
OPEN = ("NEW_PENDING", "ACTIVE", "CANCEL_PENDING", "MODIFY_PENDING")
WIRES = ("sim", "real")
SELF_MATCH_SHARE = 0.2  # real mode: the share of seeded historical matches that are self-matches
BOOK_LEVELS = 1000  # a VWAP walk gives up after this many synthetic levels
LEVEL_GROWTH = Decimal("1.5")  # each synthetic level one tick further holds 1.5 times the one before
VWAP_PLACES = Decimal("0.00000001")
DEPTH_LEVELS = 10  # synthetic levels per side in `depth()`


@dataclass(frozen=True)
class OrderEvent:
    """An order's activity (`msg_type` as in the activity feed), with the order as it is now."""

    msg_type: str
    order: Order
    trade: Trade | None = None  # REPORT_TRADE: the fill
    text: str | None = None  # a reject or cancel reason


@dataclass(frozen=True)
class TradePrint:
    """A trade on the market (ours or others'); `liq_flag` is the aggressor's, always TAKER."""

    instrument_id: str
    match_id: str
    price: Decimal
    qty: Decimal
    timestamp: int
    liq_flag: str = "TAKER"


@dataclass(frozen=True)
class MarketStepped:
    """A tick ended: prices and books moved."""

    steps: int


EngineEvent = OrderEvent | TradePrint | MarketStepped
Level = tuple[Decimal, Decimal, int]  # price, quantity, order count


class SimError(Exception):
    """A business error the HTTP layer turns into problem+json."""

    def __init__(self, status: int, title: str, detail: str | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail


@dataclass
class Spec:
    symbol: str
    base: str
    quote: str
    price_increment: Decimal
    qty_increment: Decimal
    reference_price: Decimal
    volatility: float  # per-step relative standard deviation


SPECS = (
    Spec("BTC-PYUSD", "BTC", "PYUSD", Decimal("0.5"), Decimal("0.0001"), Decimal("97000"), 0.0004),
    Spec("ETH-PYUSD", "ETH", "PYUSD", Decimal("0.01"), Decimal("0.001"), Decimal("3400"), 0.0006),
    Spec("SOL-PYUSD", "SOL", "PYUSD", Decimal("0.001"), Decimal("0.01"), Decimal("190"), 0.0008),
)
# Real mode: listed, not trading yet (an empty book, no last trade).
LISTED = (Spec("AVAX-PYUSD", "AVAX", "PYUSD", Decimal("0.001"), Decimal("0.01"), Decimal("35"), 0.0008),)
ASSETS = ("USD", "PYUSD", "BTC", "ETH", "SOL")
START_BALANCES = {"PYUSD": Decimal("10000000"), "BTC": Decimal("100"), "ETH": Decimal("1000"), "SOL": Decimal("20000")}


@dataclass
class Market:
    instrument: Instrument
    spec: Spec
    mid: Decimal
    spread_ticks: int = 2
    bid_qty: Decimal = Decimal(0)
    ask_qty: Decimal = Decimal(0)
    bid_count: int = 1
    ask_count: int = 1
    last_price: Decimal | None = None
    last_qty: Decimal | None = None
    last_ts: int | None = None
    last_update: int = 0
    prints: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)  # (ts, price, qty) for 24 h stats

    @property
    def tick(self) -> Decimal:
        return self.spec.price_increment

    @property
    def bid(self) -> Decimal:
        return self.mid - self.tick * (self.spread_ticks // 2 or 1)

    @property
    def ask(self) -> Decimal:
        return self.bid + self.tick * self.spread_ticks


@dataclass(frozen=True)
class VwapFill:
    """A VWAP quote (v1.0.4): `qty` base units at average `price`, costing `notional`; `residual`
    is the quote amount asked for that buys less than one lot (QUOTE requests only)."""

    qty: Decimal
    price: Decimal
    notional: Decimal
    residual: Decimal


@dataclass
class SimOrder:
    id: str
    external_id: str
    client_id: str
    instrument_id: str
    side: str
    type: str
    tif: str
    qty: Decimal
    price: Decimal | None
    exec_inst_flags: list[str]
    stp: str | None
    created: int
    parent_id: str = "0"
    status: str = "NEW_PENDING"
    executed: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    hold_asset: str = ""
    hold: Decimal = Decimal(0)
    updated: int = 0
    msg_id: str = "0"
    modify: ModifyInfo | None = None
    pending_modify: ModifyInfo | None = None
    ref_external_id: str | None = None

    @property
    def leaves(self) -> Decimal:
        return self.qty - self.executed

    def to_model(self) -> Order:
        live = self.status in OPEN
        pending = self.leaves if self.status == "NEW_PENDING" else Decimal(0)
        leaves = self.leaves if live and self.status != "NEW_PENDING" else Decimal(0)
        vwap = (self.notional / self.executed) if self.executed else Decimal(0)
        return Order(
            id=self.id,
            status=self.status,
            order_info=OrderInfo(
                client_id=self.client_id,
                instrument_id=self.instrument_id,
                side=self.side,
                type=self.type,
                qty=self._original_qty,
                price=self._original_price,
                tif=self.tif,
                exec_inst_flags=self.exec_inst_flags or None,
                stp=self.stp,
                msg_id=self.msg_id,
                parent_id=self.parent_id,
            ),
            modify_info=self.modify,
            external_id=self.external_id,
            ref_external_id=self.ref_external_id,
            pending_qty=pending,
            leaves_qty=leaves,
            executed_qty=self.executed,
            executed_vwap=vwap.quantize(Decimal("0.00000001")).normalize() if vwap else Decimal(0),
            timestamp=self.created,
            update_timestamp=self.updated or self.created,
        )

    # The order as first entered, kept so order_info stays what the client sent.
    _original_qty: Decimal = Decimal(0)
    _original_price: Decimal | None = None


@dataclass
class Account:
    client: Client
    balances: dict[str, Decimal]
    order_hold: dict[str, Decimal]
    transfer_hold: dict[str, Decimal]
    unsettled_fees: Decimal = Decimal(0)


class Exchange:
    """A seeded market with one or more clients. Thread-safe: every public method takes `lock`."""

    def __init__(
        self,
        seed: int = 7,
        clock: Callable[[], int] | None = None,
        *,
        user_id: str = "78932725357888855",
        organization_id: str = DEMO_ORGANIZATION_ID,
        demo_flow: bool = False,
        seed_orders: int = 0,
        seed_trades: int = 0,
        wire: str = "sim",
    ) -> None:
        if wire not in WIRES:
            raise ValueError(f"wire must be one of {', '.join(WIRES)}, not {wire!r}")
        self.wire = wire
        self.seed = seed
        self.clock = clock or time.time_ns
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.listeners: list[Callable[[EngineEvent], None]] = []
        self.user_id = user_id
        self.demo_flow = demo_flow
        self.steps = 0
        self._next_id = 78_900_000_000_000_000 + self.rng.randrange(10**12) * 1000
        self.assets: dict[str, Asset] = {}
        self.asset_ids: dict[str, str] = {}
        for name in ASSETS:
            asset_id = self._new_id()
            self.asset_ids[name] = asset_id
            self.assets[asset_id] = Asset(id=asset_id, status="ACTIVE", info=AssetInfo(name=name))
        self.markets: dict[str, Market] = {}
        for spec in SPECS:
            instrument = self._instrument(spec, "ACTIVE")
            market = Market(instrument, spec, spec.reference_price)
            self._refresh_book(market)
            self.markets[instrument.id] = market
        self.accounts: dict[str, Account] = {}
        for client_id, mnemonic in ((user_id, "DESK-1"), (self._new_id(), "DESK-1-SUB")):
            client = Client(
                id=client_id,
                status="ACTIVE",
                info=ClientInfo(organization_id=organization_id, mnemonic=mnemonic, type="INSTITUTION",
                                maker_fee_tier=1, taker_fee_tier=1, self_trade_prevention="NONE"),
            )
            balances = {self.asset_ids[name]: amount for name, amount in START_BALANCES.items()}
            self.accounts[client_id] = Account(client, balances, {}, {})
        self.listed: dict[str, Instrument] = {}  # listed but not trading: no market, no book
        if wire == "real":
            for spec in LISTED:
                self._list(spec)
        self._crosses = 0
        self._net: dict[str, Decimal] = {}  # instrument id -> our user's net filled quantity (BUY +, SELL -)
        self.orders: dict[str, SimOrder] = {}
        self.by_external: dict[tuple[str, str], str] = {}
        self.trades: list[Trade] = []  # ascending timestamp
        self._trade_ts: list[int] = []
        self.activity: list[Activity] = []
        self._activity_ts: list[int] = []
        self.transfers: dict[str, tuple[Transfer, int]] = {}
        self.requests: list[dict] = []  # the exchange's own record of processed order requests
        self._last_ts = 0
        if seed_orders:
            self.seed_orders(seed_orders)
        if seed_trades:
            self.seed_trades(seed_trades)

    # --- ids and time ---------------------------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += self.rng.randrange(1, 97)
        return str(self._next_id)

    def now(self) -> int:
        """The clock, made strictly increasing so that records keep their order."""
        ts = self.clock()
        if ts <= self._last_ts:
            ts = self._last_ts + 1
        self._last_ts = ts
        return ts

    # --- reference data -------------------------------------------------------------------------

    def _instrument(self, spec: Spec, status: str) -> Instrument:
        return Instrument(
            id=self._new_id(),
            status=status,
            info=InstrumentInfo(
                symbol=spec.symbol,
                reference_price=spec.reference_price,
                base_asset_id=self.asset_ids[spec.base],
                quote_asset_id=self.asset_ids[spec.quote],
                price_limit_window_secs=60,
                price_limit_percent=Decimal("10"),
                price_bands_percent=Decimal("5"),
                price_increment=spec.price_increment,
                qty_increment=spec.qty_increment,
            ),
        )

    def _list(self, spec: Spec) -> None:
        """An instrument (and its base asset) that is listed but does not trade yet."""
        if spec.base not in self.asset_ids:
            asset_id = self._new_id()
            self.asset_ids[spec.base] = asset_id
            self.assets[asset_id] = Asset(id=asset_id, status="ACTIVE", info=AssetInfo(name=spec.base))
        instrument = self._instrument(spec, "OPENING")
        self.listed[instrument.id] = instrument
        self._listed_at = self.clock()

    def instruments(self) -> list[Instrument]:
        with self.lock:
            result = []
            now = self.clock()
            for market in self.markets.values():
                recent = [(p, q) for ts, p, q in market.prints if ts >= now - NS_PER_DAY]
                stats = InstrumentStats(
                    last_24hr_notional=sum((p * q for p, q in recent), Decimal(0)).quantize(Decimal("0.01")),
                    last_24hr_volume=sum((q for _, q in recent), Decimal(0)),
                )
                result.append(market.instrument.model_copy(update={"stats": stats}))
            quiet = InstrumentStats(last_24hr_notional=Decimal("0.00"), last_24hr_volume=Decimal(0))
            result += [i.model_copy(update={"stats": quiet}) for i in self.listed.values()]
            return result

    def market(self, instrument_id: str) -> Market:
        """The trading market of an instrument; 400 for one that is unknown or not open."""
        market = self.markets.get(instrument_id)
        if market is None:
            self.check_instrument(instrument_id)
            listed = self.listed[instrument_id]
            raise SimError(400, "Instrument not open",
                           f"{listed.info.symbol} is {listed.status}: it does not trade yet")
        return market

    def check_instrument(self, instrument_id: str) -> None:
        """400 unless the instrument exists (trading or only listed)."""
        if instrument_id not in self.markets and instrument_id not in self.listed:
            raise SimError(400, "Unknown instrument", f"instrument_id {instrument_id} does not exist")

    def quotes(self) -> list[MarketQuote]:
        with self.lock:
            return [self._quote(m) for m in self.markets.values()] + [
                self._empty_quote(i) for i in self.listed.values()
            ]

    def _empty_quote(self, instrument: Instrument) -> MarketQuote:
        """Nothing rests and nothing has traded: no price on either side (`dialect` writes the wire's)."""
        empty = PriceLevel(qty=Decimal(0), order_count=0)
        return MarketQuote(
            id=instrument.id,
            symbol=instrument.info.symbol,
            info=QuoteInfo(best_bid=empty, best_ask=empty, last_update=self._listed_at),
        )

    def _quote(self, market: Market) -> MarketQuote:
        last = None
        if market.last_price is not None:
            last = LastTrade(price=market.last_price, qty=market.last_qty, timestamp=market.last_ts)
        return MarketQuote(
            id=market.instrument.id,
            symbol=market.spec.symbol,
            info=QuoteInfo(
                last_trade=last,
                best_bid=PriceLevel(price=market.bid, qty=market.bid_qty, order_count=market.bid_count),
                best_ask=PriceLevel(price=market.ask, qty=market.ask_qty, order_count=market.ask_count),
                last_update=market.last_update,
            ),
        )

    def vwap(self, instrument_id: str, notional: Decimal) -> tuple[Decimal, Decimal]:
        """Buying `notional` of quote asset walks five synthetic ask levels; returns (vwap, base qty)."""
        with self.lock:
            market = self.market(instrument_id)
            if notional <= 0:
                raise SimError(400, "Invalid qty", "qty must be greater than zero")
            remaining = notional
            bought = Decimal(0)
            level_price = market.ask
            level_qty = market.ask_qty
            for _ in range(1000):
                level_notional = level_price * level_qty
                take = min(remaining, level_notional)
                bought += take / level_price
                remaining -= take
                if remaining <= 0:
                    break
                level_price += market.tick
                level_qty = level_qty * Decimal("1.5")
            if remaining > 0:
                raise SimError(400, "Insufficient liquidity", "the book cannot fill this quantity")
            bought = bought.quantize(Decimal("0.00000001"), rounding=ROUND_DOWN)
            return (notional / bought).quantize(market.tick / 100), bought

    def _levels(self, market: Market, side: str) -> Iterator[tuple[Decimal, Decimal]]:
        """The synthetic book a taker on `side` walks: the top level, then each level one tick
        worse and `LEVEL_GROWTH` times deeper; a bid level at or below zero ends it."""
        if side == "BUY":
            price, qty, step = market.ask, market.ask_qty, market.tick
        else:
            price, qty, step = market.bid, market.bid_qty, -market.tick
        for _ in range(BOOK_LEVELS):
            if price <= 0:
                return
            yield price, qty
            price += step
            qty *= LEVEL_GROWTH

    def vwap_quote(self, instrument_id: str, qty: Decimal, side: str, qty_unit: str) -> VwapFill:
        """v1.0.4: take `qty` from the asks (BUY) or the bids (SELL). `qty` is base units (BASE) or
        a quote amount (QUOTE), which buys whole lots only; what is left over is the residual."""
        with self.lock:
            market = self.market(instrument_id)
            if qty <= 0:
                raise SimError(400, "Invalid qty", "qty must be greater than zero")
            take = self._take_base if qty_unit == "BASE" else self._take_quote
            base, notional = take(market, side, qty)
            residual = qty - notional if qty_unit == "QUOTE" else Decimal(0)
            if not base:  # less than one lot: quote the top of the book
                price = next(self._levels(market, side))[0]
            else:
                price = (notional / base).quantize(VWAP_PLACES, rounding=ROUND_HALF_EVEN)
            return VwapFill(qty=base, price=price, notional=notional, residual=residual)

    def depth(self, instrument_id: str, levels: int = DEPTH_LEVELS) -> tuple[list[Level], list[Level]]:
        """(bids, asks), best first, as (price, qty, order count): `levels` synthetic levels per side,
        merged with every resting order of our clients at its price, as a real book would show
        them however far from the touch. A listed instrument's book is empty."""
        with self.lock:
            market = self.markets.get(instrument_id)
            if market is None:
                self.check_instrument(instrument_id)
                return [], []
            books: dict[str, dict[Decimal, list]] = {"BUY": {}, "SELL": {}}
            lot = market.spec.qty_increment
            for book_side, taker, count in (("BUY", "SELL", market.bid_count), ("SELL", "BUY", market.ask_count)):
                for index, (price, qty) in enumerate(self._levels(market, taker)):
                    if index == levels:
                        break
                    # A count that varies with depth without drawing on the market's randomness.
                    orders = count if index == 0 else 1 + (count + 3 * index) % 9
                    books[book_side][price] = [qty.quantize(lot, rounding=ROUND_DOWN), orders]
            for order in self.orders.values():
                if (order.instrument_id != instrument_id or order.price is None or order.leaves <= 0
                        or order.status not in ("ACTIVE", "CANCEL_PENDING", "MODIFY_PENDING")):
                    continue
                level = books[order.side].setdefault(order.price, [Decimal(0), 0])
                level[0] += order.leaves
                level[1] += 1
            bids = sorted(((p, q, n) for p, (q, n) in books["BUY"].items()), reverse=True)
            asks = sorted((p, q, n) for p, (q, n) in books["SELL"].items())
            return bids, asks

    def _take_base(self, market: Market, side: str, wanted: Decimal) -> tuple[Decimal, Decimal]:
        remaining, notional = wanted, Decimal(0)
        for price, level_qty in self._levels(market, side):
            taken = min(remaining, level_qty)
            notional += price * taken
            remaining -= taken
            if not remaining:
                return wanted, notional
        raise SimError(400, "Insufficient liquidity", "the book cannot fill this quantity")

    def _take_quote(self, market: Market, side: str, amount: Decimal) -> tuple[Decimal, Decimal]:
        lot = market.spec.qty_increment
        base, notional = Decimal(0), Decimal(0)
        for price, level_qty in self._levels(market, side):
            if amount - notional >= price * level_qty:
                base += level_qty
                notional += price * level_qty
                continue
            lots = ((amount - notional) / price / lot).to_integral_value(rounding=ROUND_DOWN)
            base += lots * lot
            notional += price * lots * lot
            return base, notional
        raise SimError(400, "Insufficient liquidity", "the book cannot fill this amount")

    # --- clients and balances -------------------------------------------------------------------

    def account(self, client_id: str) -> Account:
        account = self.accounts.get(client_id)
        if account is None:
            raise SimError(403, "Forbidden", f"client {client_id} is not accessible with this key")
        return account

    def clients(self) -> list[Client]:
        with self.lock:
            return [a.client for a in self.accounts.values()]

    def patch_client(self, client_id: str, stp: str) -> Client:
        with self.lock:
            account = self.account(client_id)
            info = account.client.info.model_copy(update={"self_trade_prevention": stp})
            account.client = account.client.model_copy(update={"info": info})
            return account.client

    def balances(self) -> list[Balances]:
        with self.lock:
            result = []
            for client_id, account in self.accounts.items():
                lines = [
                    BalanceLine(
                        asset_id=asset_id,
                        balance=amount,
                        unsettled=Decimal(0),
                        order_hold=account.order_hold.get(asset_id, Decimal(0)),
                        transfer_hold=account.transfer_hold.get(asset_id, Decimal(0)),
                        state="ACTIVE",
                    )
                    for asset_id, amount in account.balances.items()
                ]
                fees_hold = sum(
                    (o.hold * TAKER_FEE / (1 + TAKER_FEE) for o in self.orders.values()
                     if o.client_id == client_id and o.status in OPEN and o.side == "BUY"),
                    Decimal(0),
                )
                result.append(
                    Balances(id=client_id, status="INVALID", unsettled_fees=account.unsettled_fees,
                             fees_hold=fees_hold.quantize(Decimal("0.01")), balances=lines)
                )
            return result

    def _available(self, account: Account, asset_id: str) -> Decimal:
        return (
            account.balances.get(asset_id, Decimal(0))
            - account.order_hold.get(asset_id, Decimal(0))
            - account.transfer_hold.get(asset_id, Decimal(0))
        )

    def _adjust(self, book: dict[str, Decimal], asset_id: str, delta: Decimal) -> None:
        book[asset_id] = book.get(asset_id, Decimal(0)) + delta

    # --- orders ---------------------------------------------------------------------------------

    def create_order(self, external_id: str, info: OrderInfo, parent_id: str = "0") -> Order:
        with self.lock:
            client_id = info.client_id or ""
            self.account(client_id)
            market = self.market(info.instrument_id or "")
            if (client_id, external_id) in self.by_external:
                raise SimError(400, "Duplicate external_id", f"external_id {external_id} is already in use")
            now = self.now()
            order = SimOrder(
                id=self._new_id(),
                external_id=external_id,
                client_id=client_id,
                instrument_id=market.instrument.id,
                side=str(info.side),
                type=str(info.type),
                tif=str(info.tif or "GTC"),
                qty=info.qty or Decimal(0),
                price=info.price if str(info.type) == "LIMIT" else None,
                exec_inst_flags=list(info.exec_inst_flags or []),
                stp=str(info.stp) if info.stp else None,
                created=now,
                parent_id=parent_id,
            )
            order._original_qty = order.qty
            order._original_price = order.price
            order.msg_id = self._new_id()
            self.orders[order.id] = order
            self.by_external[(client_id, external_id)] = order.id
            self.requests.append({"action": "create", "external_id": external_id, "order_id": order.id, "ts": now})
            self._activity(order, "REQUEST_NEW", now)
            return order.to_model()

    def find(self, ref_id: str, id_type: str = "exchange", client_ids: Iterable[str] | None = None) -> SimOrder:
        with self.lock:
            if id_type == "client":
                for client_id in client_ids or self.accounts:
                    order_id = self.by_external.get((client_id, ref_id))
                    if order_id:
                        return self.orders[order_id]
            elif ref_id in self.orders:
                return self.orders[ref_id]
            raise SimError(404, "Order not found", f"no order with {id_type} id {ref_id}")

    def cancel_order(self, ref_id: str, id_type: str = "exchange", client_ids: Iterable[str] | None = None) -> Order:
        with self.lock:
            order = self.find(ref_id, id_type, client_ids)
            if order.status not in ("ACTIVE", "NEW_PENDING", "MODIFY_PENDING"):
                raise SimError(400, "Order not cancelable", f"order {order.id} is {order.status}")
            now = self.now()
            order.status = "CANCEL_PENDING"
            order.updated = now
            self.requests.append({"action": "cancel", "external_id": order.external_id, "order_id": order.id, "ts": now})
            self._activity(order, "REQUEST_CANCEL", now)
            return order.to_model()

    def modify_order(
        self, ref_id: str, id_type: str, info: ModifyInfo, new_external_id: str | None = None
    ) -> Order:
        with self.lock:
            order = self.find(ref_id, id_type, [info.client_id] if info.client_id else None)
            if order.status != "ACTIVE":
                raise SimError(400, "Order not modifiable", f"order {order.id} is {order.status}")
            if info.new_qty is None and info.new_price is None and str(info.new_type or "INVALID") == "INVALID":
                raise SimError(400, "Nothing to modify", "give new_qty, new_price or new_type")
            if info.new_qty is not None and info.new_qty <= order.executed:
                raise SimError(400, "Invalid new_qty", "new_qty must exceed the executed quantity")
            market = self.markets[order.instrument_id]
            for value, increment, name in (
                (info.new_qty, market.spec.qty_increment, "new_qty"),
                (info.new_price, market.spec.price_increment, "new_price"),
            ):
                if value is not None and (value <= 0 or value % increment):
                    raise SimError(400, f"Invalid {name}", f"{name} must be a positive multiple of {increment}")
            now = self.now()
            order.status = "MODIFY_PENDING"
            order.updated = now
            order.pending_modify = info.model_copy(update={"prev_modify": None, "msg_id": self._new_id()})
            if new_external_id and new_external_id != order.external_id:
                order.ref_external_id = order.external_id
                order.external_id = new_external_id
                self.by_external[(order.client_id, new_external_id)] = order.id
            self.requests.append({"action": "modify", "external_id": order.external_id, "order_id": order.id, "ts": now})
            self._activity(order, "REQUEST_MODIFY", now)
            return order.to_model()

    def active_orders(self, client_ids: Iterable[str], order_id: str | None = None) -> list[Order]:
        with self.lock:
            wanted = set(client_ids)
            return [
                o.to_model() for o in self.orders.values()
                if o.status in OPEN and o.client_id in wanted and (order_id is None or o.id == order_id)
            ]

    def list_orders(self, client_ids: Iterable[str], columns: dict[str, set[str]]) -> list[Order]:
        """Orders placed in the last 24 h, newest first, filtered by column values."""
        with self.lock:
            wanted = set(client_ids)
            since = self.clock() - NS_PER_DAY
            result = []
            for order in reversed(list(self.orders.values())):
                if order.client_id not in wanted or order.created < since:
                    continue
                values = {"status": order.status, "instrument_id": order.instrument_id, "side": order.side,
                          "type": order.type, "id": order.id, "external_id": order.external_id}
                if all(values.get(name) in allowed for name, allowed in columns.items()):
                    result.append(order.to_model())
            return result

    # --- feeds ----------------------------------------------------------------------------------

    def trades_since(self, since: int, client_ids: set[str]) -> list[Trade]:
        """Trades at or after `since` within the last 24 h, newest first."""
        with self.lock:
            lower = max(since, self.clock() - NS_PER_DAY)
            start = bisect.bisect_left(self._trade_ts, lower)
            window = self.trades[start:]
            window.reverse()
            if set(self.accounts) - client_ids:
                window = [t for t in window if t.client_id in client_ids]
            return window

    def activity_since(self, since: int) -> list[Activity]:
        with self.lock:
            lower = max(since, self.clock() - NS_PER_DAY)
            start = bisect.bisect_left(self._activity_ts, lower)
            window = self.activity[start:]
            window.reverse()
            return window

    def _emit(self, event: EngineEvent) -> None:
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a listener's failure must not undo a trade
                logging.getLogger(__name__).exception("an engine listener failed")

    def _activity(self, order: SimOrder, msg_type: str, ts: int, *, trade: Trade | None = None,
                  text: str | None = None) -> None:
        price = order.price
        qty = order.qty
        if order.pending_modify is not None and msg_type in ("REQUEST_MODIFY", "REPORT_MODIFIED"):
            price = order.pending_modify.new_price or price
            qty = order.pending_modify.new_qty or qty
        self.activity.append(
            Activity(client_id=order.client_id, external_id=order.external_id, instrument_id=order.instrument_id,
                     msg_type=msg_type, timestamp=ts, side=order.side, order_price=price, order_qty=qty)
        )
        self._activity_ts.append(ts)
        if self.listeners:
            self._emit(OrderEvent(msg_type, order.to_model(), trade, text))

    # --- transfers ------------------------------------------------------------------------------

    def create_transfer(self, request: NewTransfer) -> Transfer:
        with self.lock:
            account = self.account(request.client_id)
            if request.asset_id not in self.assets:
                raise SimError(400, "Unknown asset", f"asset_id {request.asset_id} does not exist")
            if request.amount <= 0:
                raise SimError(400, "Invalid amount", "amount must be greater than zero")
            if str(request.type) == "WITHDRAWL":
                if self._available(account, request.asset_id) < request.amount:
                    raise SimError(400, "Insufficient balance", "not enough available to withdraw")
                self._adjust(account.transfer_hold, request.asset_id, request.amount)
            transfer = Transfer(id=self._new_id(), status="PENDING", request=request)
            self.transfers[transfer.id] = (transfer, self.now())
            return transfer

    def list_transfers(self, client_ids: set[str], active_only: bool = False) -> list[Transfer]:
        with self.lock:
            result = []
            for transfer, _ in self.transfers.values():
                if transfer.request and transfer.request.client_id not in client_ids:
                    continue
                if active_only and transfer.status not in ("INITIALIZED", "PENDING"):
                    continue
                result.append(transfer)
            return result

    # --- the tick -------------------------------------------------------------------------------

    def step(self) -> None:
        """One tick: pending requests settle, prices move, others trade, resting orders fill."""
        with self.lock:
            self.steps += 1
            self._settle_pending()
            for market in self.markets.values():
                self._move(market)
                self._others_trade(market)
            self._fill_resting()
            self._settle_transfers()
            if self.demo_flow:
                self._demo_flow()
            self._emit(MarketStepped(self.steps))

    def _settle_pending(self) -> None:
        for order in list(self.orders.values()):
            if order.status == "NEW_PENDING":
                self._confirm(order)
            elif order.status == "CANCEL_PENDING":
                self._finish(order, "CANCELED", "REPORT_CANCELED", "canceled on request")
            elif order.status == "MODIFY_PENDING":
                self._apply_modify(order)

    def _reject(self, order: SimOrder, reason: str) -> None:
        order.status = "REJECTED"
        order.updated = self.now()
        self._activity(order, "REPORT_REJECT", order.updated, text=reason)

    def _confirm(self, order: SimOrder) -> None:
        market = self.markets[order.instrument_id]
        spec = market.spec
        if market.instrument.status != "ACTIVE":
            return self._reject(order, "instrument not active")
        if order.qty % spec.qty_increment or (order.price is not None and order.price % spec.price_increment):
            return self._reject(order, "increment")
        crosses = order.price is None or (
            order.price >= market.ask if order.side == "BUY" else order.price <= market.bid
        )
        resting = self._reachable_resting(order, market) if self.wire == "real" else []
        if "ALO" in order.exec_inst_flags and (crosses or resting):
            return self._reject(order, "ALO would take liquidity")
        account = self.accounts[order.client_id]
        if order.side == "BUY":
            reference = order.price if order.price is not None else market.ask * Decimal("1.05")
            hold_asset, hold = self.asset_ids[spec.quote], (reference * order.qty * (1 + TAKER_FEE))
        else:
            hold_asset, hold = self.asset_ids[spec.base], order.qty
        if self._available(account, hold_asset) < hold:
            return self._reject(order, "insufficient balance")
        order.hold_asset, order.hold = hold_asset, hold
        self._adjust(account.order_hold, hold_asset, hold)
        order.status = "ACTIVE"
        order.updated = self.now()
        self._activity(order, "REPORT_CONFIRM", order.updated)
        for other in resting:
            if order.status != "ACTIVE":
                break
            self._match(order, other, min(order.leaves, other.leaves))
        if crosses and order.status == "ACTIVE":
            self._take(order, market)
        if order.status == "ACTIVE" and (order.type == "MARKET" or order.tif == "IOC"):
            kind = "MARKET" if order.type == "MARKET" else "IOC"
            self._finish(order, "CANCELED", "REPORT_CANCELED", f"{kind}: the unfilled quantity is canceled")

    def _take(self, order: SimOrder, market: Market) -> None:
        """Aggressive fill against the synthetic book, at most the top level's quantity."""
        if order.side == "BUY":
            price, available = market.ask, market.ask_qty
        else:
            price, available = market.bid, market.bid_qty
        if order.type == "MARKET":
            available = max(available, order.leaves)  # the synthetic book is deep enough for a market order
        qty = min(order.leaves, available)
        if qty > 0:
            self._fill(order, price, qty, "TAKER")

    def _stp(self, order: SimOrder) -> str:
        return str(order.stp or self.accounts[order.client_id].client.info.self_trade_prevention or "NONE")

    def _reachable_resting(self, order: SimOrder, market: Market) -> list[SimOrder]:
        """Our clients' resting orders that `order` trades with before the synthetic top of book,
        best price first, then oldest. Only those priced at least as well as that top qualify, so
        price priority holds against the synthetic book too."""
        buy = order.side == "BUY"
        top = market.ask if buy else market.bid

        def reachable(other: SimOrder) -> bool:
            if (other.instrument_id != order.instrument_id or other.side == order.side
                    or other.status != "ACTIVE" or other.price is None or other is order):
                return False
            if other.client_id == order.client_id and self._stp(order) != "NONE":
                return False
            if buy:
                return other.price <= top and (order.price is None or other.price <= order.price)
            return other.price >= top and (order.price is None or other.price >= order.price)

        found = [other for other in self.orders.values() if reachable(other)]
        found.sort(key=lambda other: (other.price if buy else -other.price, other.created))
        return found

    def _match(self, aggressor: SimOrder, resting: SimOrder, qty: Decimal) -> None:
        """One match between two of our orders at the resting price: both sides share its id and time."""
        assert resting.price is not None
        ts = self.now()
        match_id = str(self.rng.getrandbits(126))
        self._execute(resting, resting.price, qty, "MAKER", ts, match_id)
        self._execute(aggressor, resting.price, qty, "TAKER", ts, match_id)
        self._print(self.markets[aggressor.instrument_id], resting.price, qty, ts, match_id)

    def _fill(self, order: SimOrder, price: Decimal, qty: Decimal, liquidity: str) -> None:
        """A fill against the synthetic market (the other side is not one of our orders)."""
        ts = self.now()
        match_id = str(self.rng.getrandbits(126))
        self._execute(order, price, qty, liquidity, ts, match_id)
        self._print(self.markets[order.instrument_id], price, qty, ts, match_id)

    def _execute(self, order: SimOrder, price: Decimal, qty: Decimal, liquidity: str, ts: int, match_id: str) -> None:
        """One side of a match: balances, hold, the order's fill, the trade and activity records."""
        market = self.markets[order.instrument_id]
        spec = market.spec
        account = self.accounts[order.client_id]
        rate = TAKER_FEE if liquidity == "TAKER" else MAKER_FEE
        notional = price * qty
        fee = (notional * rate).quantize(Decimal("0.00000001"), rounding=ROUND_HALF_EVEN)
        base, quote = self.asset_ids[spec.base], self.asset_ids[spec.quote]
        release = order.hold * qty / order.leaves if order.leaves else order.hold
        if order.executed + qty == order.qty:
            release = order.hold  # the last fill releases whatever is left, no rounding residue
        order.hold -= release
        self._adjust(account.order_hold, order.hold_asset, -release)
        if order.side == "BUY":
            self._adjust(account.balances, quote, -(notional + fee))
            self._adjust(account.balances, base, qty)
        else:
            self._adjust(account.balances, base, -qty)
            self._adjust(account.balances, quote, notional - fee)
        if order.client_id == self.user_id:
            self._net[order.instrument_id] = self._net.get(order.instrument_id, Decimal(0)) + (
                qty if order.side == "BUY" else -qty)
        order.executed += qty
        order.notional += notional
        order.updated = ts
        trade = Trade(
            client_id=order.client_id, external_id=order.external_id, instrument_id=order.instrument_id,
            msg_type="REPORT_TRADE", timestamp=ts, side=order.side, order_id=order.id, trade_price=price,
            trade_qty=qty, trade_fee_rate=rate, liq_flag=liquidity, match_id=match_id,
        )
        self.trades.append(trade)
        self._trade_ts.append(ts)
        if order.executed == order.qty:
            order.status = "FILLED"
        self._activity(order, "REPORT_TRADE", ts, trade=trade)

    def _finish(self, order: SimOrder, status: str, report: str, text: str | None = None) -> None:
        account = self.accounts[order.client_id]
        if order.hold:
            self._adjust(account.order_hold, order.hold_asset, -order.hold)
            order.hold = Decimal(0)
        order.status = status
        order.updated = self.now()
        self._activity(order, report, order.updated, text=text)

    def _apply_modify(self, order: SimOrder) -> None:
        info = order.pending_modify
        order.pending_modify = None
        if info is None:
            order.status = "ACTIVE"
            return
        market = self.markets[order.instrument_id]
        account = self.accounts[order.client_id]
        if info.new_qty is not None:
            order.qty = info.new_qty
        if info.new_price is not None:
            order.price = info.new_price
        if str(info.new_type or "") == "MARKET":
            order.type, order.price = "MARKET", None
        # Re-hold for the new terms.
        self._adjust(account.order_hold, order.hold_asset, -order.hold)
        if order.side == "BUY":
            reference = order.price if order.price is not None else market.ask * Decimal("1.05")
            order.hold = reference * order.leaves * (1 + TAKER_FEE)
        else:
            order.hold = order.leaves
        self._adjust(account.order_hold, order.hold_asset, order.hold)
        info = info.model_copy(update={"prev_modify": order.modify.model_dump(mode="json") if order.modify else None})
        order.modify = info
        order.status = "ACTIVE"
        order.updated = self.now()
        order.pending_modify = info
        self._activity(order, "REPORT_MODIFIED", order.updated)
        order.pending_modify = None
        crosses = order.price is None or (order.price >= market.ask if order.side == "BUY" else order.price <= market.bid)
        if crosses:
            self._take(order, market)
            if order.status == "ACTIVE" and order.type == "MARKET":
                self._finish(order, "CANCELED", "REPORT_CANCELED", "MARKET: the unfilled quantity is canceled")

    def _refresh_book(self, market: Market) -> None:
        rng = self.rng
        qty_inc = market.spec.qty_increment
        scale = int(Decimal(5000) / market.mid / qty_inc) or 1  # a few thousand quote units per level
        market.spread_ticks = rng.randint(1, 4) * 2
        market.bid_qty = qty_inc * rng.randint(scale // 4 + 1, scale * 3)
        market.ask_qty = qty_inc * rng.randint(scale // 4 + 1, scale * 3)
        market.bid_count = rng.randint(1, 9)
        market.ask_count = rng.randint(1, 9)
        market.last_update = self.clock()

    def _move(self, market: Market) -> None:
        drift = Decimal(repr(self.rng.gauss(0, market.spec.volatility)))
        # Pull gently back to the reference so a long demo does not wander off.
        pull = (market.spec.reference_price - market.mid) / market.spec.reference_price * Decimal("0.01")
        mid = market.mid * (1 + drift + pull)
        market.mid = (mid / market.tick).quantize(Decimal(1)) * market.tick
        self._refresh_book(market)

    def _others_trade(self, market: Market) -> None:
        if self.rng.random() > 0.6:
            return
        buy = self.rng.random() < 0.5
        price = market.ask if buy else market.bid
        qty = market.spec.qty_increment * self.rng.randint(1, 200)
        self._print(market, price, qty, self.now())

    def _print(self, market: Market, price: Decimal, qty: Decimal, ts: int, match_id: str | None = None) -> None:
        market.last_price, market.last_qty, market.last_ts = price, qty, ts
        market.last_update = ts
        market.prints.append((ts, price, qty))
        if len(market.prints) > 20_000:
            del market.prints[:10_000]
        if self.listeners:
            # Others' trades draw no match id from the seeded generator: the time is unique.
            self._emit(TradePrint(market.instrument.id, match_id or str(ts), price, qty, ts))

    def _fill_resting(self) -> None:
        for order in list(self.orders.values()):
            if order.status != "ACTIVE" or order.price is None:
                continue
            market = self.markets[order.instrument_id]
            through = order.price >= market.ask if order.side == "BUY" else order.price <= market.bid
            if not through:
                continue
            # The market traded through the resting price: fill part (or all) as MAKER at our price.
            increments = int(order.leaves / market.spec.qty_increment)
            take = self.rng.randint(max(1, increments // 3), increments) if increments > 1 else increments
            qty = market.spec.qty_increment * take
            if qty > 0:
                self._fill(order, order.price, qty, "MAKER")

    def _settle_transfers(self) -> None:
        for transfer_id, (transfer, created) in list(self.transfers.items()):
            if transfer.status != "PENDING" or transfer.request is None:
                continue
            request = transfer.request
            account = self.accounts[request.client_id]
            if str(request.type) == "WITHDRAWL":
                self._adjust(account.transfer_hold, request.asset_id, -request.amount)
                self._adjust(account.balances, request.asset_id, -request.amount)
            else:
                self._adjust(account.balances, request.asset_id, request.amount)
            self.transfers[transfer_id] = (transfer.model_copy(update={"status": "COMPLETED"}), created)

    # --- seeding and demo flow ------------------------------------------------------------------

    def _resting_info(self, market: Market, client_id: str) -> OrderInfo:
        rng = self.rng
        side = "BUY" if rng.random() < 0.5 else "SELL"
        distance = Decimal(repr(rng.uniform(0.002, 0.03)))
        raw = market.mid * (1 - distance if side == "BUY" else 1 + distance)
        price = (raw / market.tick).quantize(Decimal(1)) * market.tick
        qty = market.spec.qty_increment * rng.randint(1, 50)
        return OrderInfo(client_id=client_id, instrument_id=market.instrument.id, side=side, type="LIMIT",
                         qty=qty, price=price, tif="GTC")

    def seed_orders(self, count: int, client_id: str | None = None) -> None:
        """Place `count` resting limit orders away from the market and confirm them at once."""
        with self.lock:
            client_id = client_id or self.user_id
            markets = list(self.markets.values())
            for index in range(count):
                market = markets[index % len(markets)]
                order = self.create_order(f"seed-{self.seed}-{index}", self._resting_info(market, client_id), "1")
                self._confirm(self.orders[order.id])

    def seed_trades(self, count: int, client_id: str | None = None) -> None:
        """`count` historical fills spread over the last 24 h (fast: 100,000 in a few seconds)."""
        with self.lock:
            client_id = client_id or self.user_id
            rng = self.rng
            now = self.clock()
            markets = list(self.markets.values())
            stamps = sorted(rng.randrange(now - NS_PER_DAY + 60 * NS, now - NS) for _ in range(count))
            new: list[Trade] = []
            index = 0
            while index < len(stamps):
                ts = stamps[index]
                market = markets[rng.randrange(len(markets))]
                spec = market.spec
                price = (spec.reference_price * Decimal(repr(rng.uniform(0.97, 1.03))) / spec.price_increment)
                price = price.quantize(Decimal(1)) * spec.price_increment
                maker = rng.random() < 0.6
                # A self-match takes two of the `count` fills (the next stamp is left unused).
                pair = self.wire == "real" and index + 1 < len(stamps) and rng.random() < SELF_MATCH_SHARE
                trade = Trade(
                    client_id=client_id, external_id=f"hist-{rng.getrandbits(40):x}",
                    instrument_id=market.instrument.id, msg_type="REPORT_TRADE", timestamp=ts,
                    side="BUY" if rng.random() < 0.5 else "SELL", order_id=self._new_id(), trade_price=price,
                    trade_qty=spec.qty_increment * rng.randint(1, 100),
                    trade_fee_rate=MAKER_FEE if maker else TAKER_FEE, liq_flag="MAKER" if maker else "TAKER",
                    match_id=str(rng.getrandbits(126)),
                )
                new.append(trade)
                if pair:
                    new.append(self._other_side(trade, f"hist-{rng.getrandbits(40):x}"))
                index += 2 if pair else 1
            merged = sorted(self.trades + new, key=lambda t: t.timestamp)
            self.trades = merged
            self._trade_ts = [t.timestamp for t in merged]

    def _other_side(self, trade: Trade, external_id: str) -> Trade:
        """The opposite side of `trade`'s match for the same client: another order, same match id."""
        maker = str(trade.liq_flag) != "MAKER"
        return trade.model_copy(update={
            "external_id": external_id, "side": "SELL" if str(trade.side) == "BUY" else "BUY",
            "order_id": self._new_id(), "liq_flag": "MAKER" if maker else "TAKER",
            "trade_fee_rate": MAKER_FEE if maker else TAKER_FEE,
        })

    def cross_own_orders(self, client_id: str | None = None) -> tuple[Order, Order]:
        """Two orders of one client that meet inside the spread (STP NONE): a resting limit one tick
        inside the touch, then an IOC on the other side at its price. Returns (maker, taker)."""
        with self.lock:
            client_id = client_id or self.user_id
            rng = self.rng
            market = list(self.markets.values())[rng.randrange(len(self.markets))]
            side = "BUY" if rng.random() < 0.5 else "SELL"
            # The spread is at least two ticks, so one tick inside the touch never reaches the other side.
            price = market.bid + market.tick if side == "BUY" else market.ask - market.tick
            qty = market.spec.qty_increment * rng.randint(1, 20)
            self._crosses += 1
            ids = []
            for suffix, order_side, tif in (("m", side, "GTC"), ("t", "SELL" if side == "BUY" else "BUY", "IOC")):
                info = OrderInfo(client_id=client_id, instrument_id=market.instrument.id, side=order_side,
                                 type="LIMIT", qty=qty, price=price, tif=tif, stp="NONE")
                created = self.create_order(f"self-{self._crosses}-{suffix}", info, parent_id="2")
                self._confirm(self.orders[created.id])
                ids.append(created.id)
            return self.orders[ids[0]].to_model(), self.orders[ids[1]].to_model()

    def _demo_flow(self) -> None:
        """Another application of the same client places and cancels orders now and then.

        Of the orders it places near the market, one on an instrument where the client holds a net
        position (from its fills since start) takes the other side instead, at the opposite touch
        (marketable, so it fills on the next tick): the client then trades both ways on every
        instrument, realizing P&L, while fills of its resting orders keep positions open. The
        random draws are the same as before; only that order's side and price differ."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.25:
            market = list(self.markets.values())[rng.randrange(len(self.markets))]
            info = self._resting_info(market, self.user_id)
            if rng.random() < 0.3:  # some close to the market, so they fill
                net = self._net.get(market.instrument.id, Decimal(0))
                if net:  # reduce the position: sell at the bid when long, buy at the ask when short
                    side = "SELL" if net > 0 else "BUY"
                    info = info.model_copy(update={"side": side, "price": market.bid if side == "SELL" else market.ask})
                else:
                    info = info.model_copy(update={"price": market.bid if info.side == "BUY" else market.ask})
            self.create_order(f"flow-{self.steps}-{rng.randrange(10**6)}", info, parent_id="2")
        elif roll < 0.35:
            live = [o for o in self.orders.values() if o.status == "ACTIVE" and o.parent_id == "2"]
            if live:
                self.cancel_order(live[rng.randrange(len(live))].id)
        elif roll < 0.40 and self.wire == "real":
            self.cross_own_orders()
