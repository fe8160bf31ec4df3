"""An in-memory stand-in for `TrueXClient`: deterministic pages, switchable failures."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from blotter.api import Credentials, Notices, Page, ServerClock
from blotter.api.models import Asset, Balances, Client, Health, Instrument, MarketQuote, Order, Trade
from pydantic import SecretStr

T0 = 1_790_000_000_000_000_000
INSTRUMENTS = [
    ("10", "BTC-PYUSD", "0.5", "0.0001", "1", "100000"),
    ("11", "ETH-PYUSD", "0.05", "0.001", "2", "3500"),
    ("12", "SOL-PYUSD", "0.01", "0.01", "3", "150"),
]


def make_order(i: int, *, filled: str = "0", status: str = "ACTIVE", price: str | None = None) -> Order:
    iid, _, tick, _, _, ref = INSTRUMENTS[i % 3]
    qty = Decimal("1.5")
    return Order.model_validate(
        {
            "id": str(7_100_000_000_000_000_000 + i),
            "status": status,
            "external_id": f"ext-{i:04d}",
            "order_info": {
                "instrument_id": iid, "side": "BUY" if i % 2 else "SELL", "type": "LIMIT", "tif": "GTC",
                "price": price or str(Decimal(ref) + Decimal(tick) * i), "qty": str(qty),
            },
            "exeuted_qty": filled,
            "leaves_qty": str(qty - Decimal(filled)),
            "executed_vwap": "0" if filled == "0" else ref,
            "timestamp": str(T0 - (1000 - i) * 1_000_000_000),
            "update_timestamp": str(T0),
        }
    )


def make_trade(i: int) -> Trade:
    iid, _, _, _, _, ref = INSTRUMENTS[i % 3]
    return Trade.model_validate(
        {
            "client_id": "42", "instrument_id": iid, "timestamp": str(T0 - (5000 - i) * 1_000_000_000),
            "side": "SELL" if i % 3 else "BUY", "order_id": str(7_000_000_000_000_000_000 + i),
            "external_id": f"t-{i:05d}", "trade_price": ref, "trade_qty": "0.25", "trade_fee_rate": "0.0005",
            "liq_flag": "MAKER" if i % 2 else "TAKER", "match_id": f"m{i}",
        }
    )


class FakeClient:
    api_version = "v2026_01_23"
    enveloped = False

    def __init__(self, orders: int = 30, trades: int = 120) -> None:
        self.credentials = Credentials("42", "key", SecretStr("s3cret"))
        self.clock = ServerClock()
        self.clock.offset, self.clock.synced = 3.25, True
        self.notices = Notices()
        self.orders = [make_order(i) for i in range(orders)]
        self.trade_list = [make_trade(i) for i in range(trades)]
        self.bid_shift = Decimal(0)
        self.fail: dict[str, Exception] = {}
        self.hang: set[str] = set()
        self.calls: dict[str, int] = {}
        self.health_status = "healthy"
        self.activity: list = []
        self.client_list = [Client.model_validate({"id": "42", "status": "ACTIVE", "info": {"mnemonic": "DESK"}})]
        self.done = [make_order(500, filled="1.5", status="FILLED"), make_order(501, status="CANCELED"),
                     make_order(502, status="REJECTED")]

    async def _call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if name in self.hang:
            await asyncio.Event().wait()
        if name in self.fail:
            raise self.fail[name]

    async def sync_clock(self) -> float:
        return self.clock.offset

    async def health(self) -> Health:
        await self._call("health")
        return Health(status=self.health_status)

    async def all_activity(self, timestamp: int, **filters) -> Page:
        await self._call("activity")
        return Page(items=list(self.activity))

    async def instruments(self) -> Page:
        return Page(items=[
            Instrument.model_validate({"id": iid, "info": {"symbol": sym, "price_increment": tick,
                                        "qty_increment": lot, "base_asset_id": base, "quote_asset_id": "9"}})
            for iid, sym, tick, lot, base, _ in INSTRUMENTS
        ])

    async def assets(self) -> Page:
        names = {"1": "BTC", "2": "ETH", "3": "SOL", "9": "PYUSD"}
        return Page(items=[Asset.model_validate({"id": k, "name": v}) for k, v in names.items()])

    async def active_orders(self) -> Page:
        await self._call("orders")
        return Page(items=list(self.orders))

    async def clients(self) -> Page:
        await self._call("clients")
        return Page(items=list(self.client_list))

    async def done_orders(self) -> Page:
        await self._call("done")
        return Page(items=list(self.done))

    async def trades(self, timestamp: int, *, size=10, skip=None, cursor=None, client_ids=None) -> Page:
        await self._call("trades")
        rows = [t for t in self.trade_list if t.timestamp >= timestamp]
        start = skip or 0
        return Page(items=rows[start : start + size])

    async def iter_pages(self, fetch, *, page_size=100, **params):
        skip = 0
        while True:
            page = await fetch(size=page_size, skip=skip, **params)
            yield page
            if len(page) < page_size:
                return
            skip += len(page)

    async def order_status(self, ref_id: str, id_type: str = "exchange") -> Page:
        return Page(items=[])  # how an order ended is not modelled by the fake

    async def balances(self, *, client_id: str | None = None) -> Page:
        await self._call("balances")
        return Page(items=[Balances.model_validate({
            "id": "42", "fees_hold": "12.5", "unsettled_fees": "3.25",
            "balances": [
                {"asset_id": "1", "balance": "2.5", "order_hold": "0.5"},
                {"asset_id": "2", "balance": "40", "order_hold": "1", "transfer_hold": "2"},
                {"asset_id": "3", "balance": "900"},
                {"asset_id": "9", "balance": "1250000", "order_hold": "50000", "unsettled": "125.5"},
            ],
        })])

    async def quotes(self) -> Page:
        await self._call("quotes")
        items = []
        for iid, sym, tick, lot, _, ref in INSTRUMENTS:
            bid = Decimal(ref) + self.bid_shift
            items.append(MarketQuote.model_validate({"id": iid, "symbol": sym, "info": {
                "best_bid": {"price": str(bid), "qty": "1.2"},
                "best_ask": {"price": str(bid + Decimal(tick) * 2), "qty": "0.8"},
                "last_trade": {"price": ref, "qty": "0.1"}}}))
        return Page(items=items)

    async def aclose(self) -> None:
        pass
