"""The client against the simulated exchange over real loopback HTTP, every endpoint, both versions."""

import time
import uuid
from decimal import Decimal

import pytest

from blotter.api import BadRequest, NotFound, TrueXClient, Unauthorized
from blotter.api.models import (
    ClientPatch,
    ClientPatchInfo,
    IdType,
    ModifyInfo,
    ModifyOrder,
    NewOrder,
    NewTransfer,
    OrderInfo,
    OrderStatus,
    Side,
)

DAY_NS = 24 * 3600 * 1_000_000_000


def step(sim, n=1):
    for _ in range(n):
        sim.exchange.step()


async def btc(client):
    instruments = await client.instruments(symbol="BTC-PYUSD")
    return next(i for i in instruments if i.symbol == "BTC-PYUSD")


async def test_service_and_reference_data(client):
    health = await client.health()
    assert health.status == "healthy" and not health.degraded
    versions = {v.version for v in await client.versions()}
    assert {"v2024_01_01", "v2026_01_23"} <= versions
    assets = {a.name for a in await client.assets()}
    assert {"BTC", "ETH", "SOL", "PYUSD"} <= assets
    symbols = {i.symbol for i in await client.instruments()}
    assert {"BTC-PYUSD", "ETH-PYUSD", "SOL-PYUSD"} <= symbols
    instrument = await btc(client)
    assert instrument.info.price_increment == Decimal("0.5")
    assert (await client.assets(id=instrument.info.base_asset_id)).items[0].name == "BTC"


async def test_market_quotes_and_vwap(client):
    instrument = await btc(client)
    quotes = await client.quotes(instrument_id=instrument.id)
    quote = quotes.items[0]
    assert quote.info.best_bid.price < quote.info.best_ask.price
    # v1.0.4: spend 10,000 of the quote asset buying: whole lots only, within one lot's price
    vwap = await client.vwap_quote(instrument.id, Decimal("10000"), side="BUY", qty_unit="QUOTE")
    assert vwap.average_price >= quote.info.best_ask.price and vwap.base_qty > 0
    assert Decimal("0") <= Decimal("10000") - vwap.average_price * vwap.base_qty < vwap.average_price * Decimal("0.0001") + 1
    sell = await client.vwap_quote(instrument.id, Decimal("0.05"), side="SELL", qty_unit="BASE")
    assert sell.base_qty == Decimal("0.05") and sell.average_price <= quote.info.best_bid.price


async def test_clients_get_and_patch(client, credentials):
    clients = await client.clients()
    mine = next(c for c in clients if c.id == credentials.user_id)
    patched = await client.patch_client(ClientPatch(id=mine.id, info=ClientPatchInfo(self_trade_prevention="CANCEL_BOTH")))
    assert str(patched.info.self_trade_prevention) == "CANCEL_BOTH"
    await client.patch_client(ClientPatch(id=mine.id, info=ClientPatchInfo(self_trade_prevention="NONE")))


async def test_order_lifecycle_create_status_modify_cancel(client, sim, credentials):
    instrument = await btc(client)
    quote = (await client.quotes(instrument_id=instrument.id)).items[0]
    price = (quote.info.best_bid.price * Decimal("0.9")).quantize(Decimal("1"))  # far below: rests
    external_id = str(uuid.uuid4())
    created = await client.create_order(
        NewOrder(
            external_id=external_id,
            info=OrderInfo(
                client_id=credentials.user_id, instrument_id=instrument.id, side="BUY", type="LIMIT",
                qty=Decimal("0.0100"), price=price, tif="GTC",
            ),
        )
    )
    assert created.status == OrderStatus.NEW_PENDING and created.external_id == external_id
    assert created.order_info.price == price and isinstance(created.id, str) and created.id.isdigit()
    step(sim)
    by_client_id = (await client.order_status(external_id, IdType.CLIENT)).items[0]
    assert by_client_id.id == created.id and by_client_id.status == OrderStatus.ACTIVE
    active_ids = {o.id for o in await client.active_orders()}
    assert created.id in active_ids
    assert (await client.active_orders(id=created.id)).items[0].leaves_qty == Decimal("0.0100")

    modified = await client.modify_order(
        ModifyOrder(id=created.id, info=ModifyInfo(client_id=credentials.user_id, new_price=price - 1))
    )
    assert modified.status == OrderStatus.MODIFY_PENDING
    step(sim)
    after = (await client.order_status(created.id)).items[0]
    assert after.status == OrderStatus.ACTIVE and after.price == price - 1

    canceled = await client.cancel_order(external_id, IdType.CLIENT)
    assert canceled.status == OrderStatus.CANCEL_PENDING
    step(sim)
    assert (await client.order_status(created.id)).items[0].status == OrderStatus.CANCELED
    assert created.id not in {o.id for o in await client.active_orders()}
    listed = await client.list_orders(
        query={"columns": [{"name": "status", "filter": [{"$in": ["CANCELED"]}]}]}, size=100
    )
    assert created.id in {o.id for o in listed}
    activity = await client.all_activity(time.time_ns() - DAY_NS, order_ids=[created.id])
    kinds = {str(a.msg_type) for a in activity}
    assert {"REQUEST_NEW", "REPORT_CONFIRM", "REQUEST_CANCEL", "REPORT_CANCELED"} <= kinds


async def test_cancel_by_exchange_id_and_market_order_fills(client, sim, credentials):
    instrument = await btc(client)
    before = {t.key for t in await client.all_trades(time.time_ns() - DAY_NS)}
    external_id = "mkt-" + uuid.uuid4().hex[:10]
    order = await client.create_order(
        NewOrder(
            external_id=external_id,
            info=OrderInfo(client_id=credentials.user_id, instrument_id=instrument.id, side=Side.BUY,
                           type="MARKET", qty=Decimal("0.0010")),
        )
    )
    step(sim, 2)
    status = (await client.order_status(order.id)).items[0]
    assert status.status == OrderStatus.FILLED and status.executed_qty == Decimal("0.0010")
    new_trades = [t for t in await client.all_trades(time.time_ns() - DAY_NS) if t.key not in before]
    assert new_trades and all(t.order_id == order.id for t in new_trades)
    assert {str(t.liq_flag) for t in new_trades} == {"TAKER"}
    assert sum(t.trade_qty for t in new_trades) == Decimal("0.0010")
    with pytest.raises((BadRequest, NotFound)):
        await client.cancel_order(order.id)  # already filled: nothing to cancel


async def test_trades_walk_all_pages_without_duplicates(client):
    trades = await client.all_trades(time.time_ns() - DAY_NS)
    keys = [t.key for t in trades]
    assert len(keys) >= 250 and len(keys) == len(set(keys))
    stamps = [t.timestamp for t in trades]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    single = await client.trades(time.time_ns() - DAY_NS, size=7)
    assert len(single) == 7


async def test_balances_and_transfers(client, sim, credentials):
    entities = await client.balances(client_id=credentials.user_id)
    lines = {line.asset_id: line for entity in entities for line in entity.balances}
    assert lines and all(isinstance(line.balance, Decimal) for line in lines.values())
    pyusd = next(a for a in await client.assets(name="PYUSD"))
    transfer = await client.create_transfer(
        NewTransfer(asset_id=pyusd.id, client_id=credentials.user_id, amount=Decimal("100.25"), type="DEPOSIT")
    )
    assert transfer.id
    assert transfer.id in {t.id for t in await client.active_transfers()}
    step(sim)
    assert transfer.id in {t.id for t in await client.transfers()}
    after = await client.balances(asset_id=pyusd.id)
    line = next(line for entity in after for line in entity.balances if line.asset_id == pyusd.id)
    assert line.balance == lines[pyusd.id].balance + Decimal("100.25")


async def test_validation_errors_are_readable(client, credentials):
    with pytest.raises(BadRequest) as caught:
        await client.trades(time.time_ns(), size=101)
    assert caught.value.status == 400 and caught.value.title
    with pytest.raises(BadRequest) as caught:
        await client.request("GET", "/orders/trade", params={"timestamp": "123"})
    assert "timestamp" in (caught.value.detail or caught.value.title).lower()
    with pytest.raises(NotFound):
        await client.order_status("99999999999999999")
    bad = NewOrder(
        external_id="THIS-ID-IS-WAY-TOO-LONG-FOR-THE-API",
        info=OrderInfo(client_id=credentials.user_id, instrument_id="1", side="BUY", type="MARKET", qty=1),
    )
    with pytest.raises(BadRequest) as caught:
        await client.create_order(bad)
    assert "external_id" in str(caught.value)


async def test_duplicate_external_id_is_refused(client, credentials):
    instrument = await btc(client)
    order = NewOrder(
        external_id="dup-" + uuid.uuid4().hex[:8],
        info=OrderInfo(client_id=credentials.user_id, instrument_id=instrument.id, side="SELL", type="LIMIT",
                       qty=Decimal("0.001"), price=Decimal("500000")),
    )
    await client.create_order(order)
    with pytest.raises(BadRequest) as caught:
        await client.create_order(order)
    assert "duplicate" in str(caught.value).lower()


async def test_wrong_secret_is_401_with_problem_details(sim, credentials, api_version):
    from pydantic import SecretStr

    from blotter.api import Credentials

    wrong = Credentials(credentials.user_id, credentials.key_id, SecretStr("not-the-secret"))
    async with TrueXClient(sim.base_url, credentials=wrong, api_version=api_version) as client:
        with pytest.raises(Unauthorized) as caught:
            await client.active_orders()
    assert caught.value.status == 401 and "not-the-secret" not in str(caught.value)


async def test_v1_cefi_prefix_works(sim, credentials, api_version):
    async with TrueXClient(sim.base_url, api_prefix="/v1/cefi", credentials=credentials,
                           api_version=api_version) as client:
        assert isinstance((await client.active_orders()).items, list)
        assert (await client.health()).status == "healthy"


async def test_deprecation_headers_only_for_old_version(client):
    await client.health()
    if client.api_version == "v2024_01_01":
        assert client.notices.sunset and "2026" in client.notices.sunset
    else:
        assert client.notices.sunset is None
