"""The exchange engine headless: lifecycle, fills, fees, holds, determinism."""

from decimal import Decimal

import pytest

from blotter.api.models import ModifyInfo, OrderInfo
from blotter.sim import Exchange, SimError
from blotter.sim.engine import MAKER_FEE, TAKER_FEE

FROZEN = 1_790_000_000_000_000_000


def frozen_exchange(seed=5, **kwargs) -> Exchange:
    return Exchange(seed=seed, clock=lambda: FROZEN, **kwargs)


def btc(exchange):
    return next(m for m in exchange.markets.values() if m.spec.symbol == "BTC-PYUSD")


def limit(exchange, side, price, qty="0.0100", **extra):
    market = btc(exchange)
    return OrderInfo(client_id=exchange.user_id, instrument_id=market.instrument.id, side=side, type="LIMIT",
                     qty=Decimal(qty), price=Decimal(price), **extra)


def pyusd_line(exchange):
    account = exchange.accounts[exchange.user_id]
    asset = exchange.asset_ids["PYUSD"]
    return account.balances[asset], account.order_hold.get(asset, Decimal(0))


def test_new_order_goes_pending_then_active_with_hold():
    exchange = frozen_exchange()
    price = btc(exchange).bid - 1000
    order = exchange.create_order("e1", limit(exchange, "BUY", price))
    assert order.status == "NEW_PENDING" and order.pending_qty == Decimal("0.0100") and order.leaves_qty == 0
    exchange.step()
    model = exchange.orders[order.id].to_model()
    assert model.status == "ACTIVE" and model.leaves_qty == Decimal("0.0100") and model.pending_qty == 0
    assert model.executed_vwap == 0
    _, hold = pyusd_line(exchange)
    assert hold == price * Decimal("0.0100") * (1 + TAKER_FEE)


def test_quantity_invariant_holds_through_partial_fills():
    exchange = frozen_exchange(seed=9)
    market = btc(exchange)
    order = exchange.create_order("e2", limit(exchange, "BUY", market.bid - 5, qty="0.5000"))
    exchange.step()
    for _ in range(400):
        model = exchange.orders[order.id].to_model()
        assert model.pending_qty + model.leaves_qty + model.executed_qty == Decimal("0.5000") or model.status == "FILLED"
        if model.status == "FILLED":
            break
        exchange.step()
    maker = [t for t in exchange.trades if t.order_id == order.id]
    assert maker, "the market moved through the order at least once in 400 steps"
    assert {str(t.liq_flag) for t in maker} == {"MAKER"} and {t.trade_fee_rate for t in maker} == {MAKER_FEE}
    assert all(t.trade_price == market.bid - 5 or t.trade_price <= market.bid + 10_000 for t in maker)


def test_market_order_fills_as_taker_and_settles_balances():
    exchange = frozen_exchange()
    market = btc(exchange)
    before_quote, _ = pyusd_line(exchange)
    before_base = exchange.accounts[exchange.user_id].balances[exchange.asset_ids["BTC"]]
    info = OrderInfo(client_id=exchange.user_id, instrument_id=market.instrument.id, side="BUY", type="MARKET",
                     qty=Decimal("0.0020"))
    order = exchange.create_order("m1", info)
    ask = market.ask
    exchange._settle_pending()
    model = exchange.orders[order.id].to_model()
    assert model.status == "FILLED" and model.executed_qty == Decimal("0.0020") and model.executed_vwap == ask
    trade = exchange.trades[-1]
    assert str(trade.liq_flag) == "TAKER" and trade.trade_fee_rate == TAKER_FEE
    after_quote, hold = pyusd_line(exchange)
    fee = (ask * Decimal("0.0020") * TAKER_FEE).quantize(Decimal("0.00000001"))
    assert after_quote == before_quote - ask * Decimal("0.0020") - fee
    assert exchange.accounts[exchange.user_id].balances[exchange.asset_ids["BTC"]] == before_base + Decimal("0.0020")
    assert hold == 0  # nothing left on hold once filled


def test_ioc_remainder_is_canceled_and_hold_released():
    exchange = frozen_exchange()
    market = btc(exchange)
    qty = market.ask_qty + Decimal("1")  # more than the top level holds
    order = exchange.create_order("i1", limit(exchange, "BUY", market.ask, qty=str(qty), tif="IOC"))
    exchange._settle_pending()
    model = exchange.orders[order.id].to_model()
    assert model.status == "CANCELED" and model.executed_qty == market.ask_qty
    assert pyusd_line(exchange)[1] == 0


def test_alo_that_would_cross_is_rejected():
    exchange = frozen_exchange()
    market = btc(exchange)
    order = exchange.create_order("a1", limit(exchange, "BUY", market.ask, exec_inst_flags=["ALO"]))
    exchange.step()
    assert exchange.orders[order.id].status == "REJECTED"


def test_insufficient_balance_and_bad_increment_are_rejected():
    exchange = frozen_exchange()
    market = btc(exchange)
    big = exchange.create_order("b1", limit(exchange, "BUY", market.bid - 100, qty="1000.0000"))
    odd = exchange.create_order("b2", limit(exchange, "BUY", market.bid - Decimal("100.25")))
    exchange.step()
    assert exchange.orders[big.id].status == "REJECTED"
    assert exchange.orders[odd.id].status == "REJECTED"
    kinds = [str(a.msg_type) for a in exchange.activity if a.external_id == "b1"]
    assert kinds == ["REQUEST_NEW", "REPORT_REJECT"]


def test_cancel_releases_hold_and_modify_applies():
    exchange = frozen_exchange()
    market = btc(exchange)
    order = exchange.create_order("c1", limit(exchange, "BUY", market.bid - 500))
    exchange._settle_pending()
    modified = exchange.modify_order(order.id, "exchange", ModifyInfo(client_id=exchange.user_id, new_qty=Decimal("0.0200")))
    assert modified.status == "MODIFY_PENDING"
    exchange._settle_pending()
    model = exchange.orders[order.id].to_model()
    assert model.status == "ACTIVE" and model.qty == Decimal("0.0200") and model.order_info.qty == Decimal("0.0100")
    assert model.modify_info.new_qty == Decimal("0.0200")
    canceled = exchange.cancel_order("c1", "client")
    assert canceled.status == "CANCEL_PENDING"
    exchange._settle_pending()
    assert exchange.orders[order.id].status == "CANCELED"
    assert pyusd_line(exchange)[1] == 0
    with pytest.raises(SimError) as caught:
        exchange.cancel_order(order.id)
    assert caught.value.status == 400


def test_duplicate_external_id_and_unknown_instrument():
    exchange = frozen_exchange()
    exchange.create_order("d1", limit(exchange, "SELL", btc(exchange).ask + 500))
    with pytest.raises(SimError, match="Duplicate"):
        exchange.create_order("d1", limit(exchange, "SELL", btc(exchange).ask + 500))
    info = limit(exchange, "SELL", "1").model_copy(update={"instrument_id": "1"})
    with pytest.raises(SimError, match="Unknown instrument"):
        exchange.create_order("d2", info)


def _fingerprint(exchange: Exchange):
    return [(q.id, q.info.best_bid.price, q.info.best_ask.price) for q in exchange.quotes()], len(exchange.trades)


def test_same_seed_same_market_and_different_seed_differs():
    runs = []
    for seed in (3, 3, 4):
        exchange = frozen_exchange(seed=seed, demo_flow=True, seed_orders=20)
        for _ in range(50):
            exchange.step()
        runs.append(_fingerprint(exchange))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_seeding_many_trades_is_ordered_and_within_24h():
    exchange = frozen_exchange(seed_trades=100_000)
    stamps = [t.timestamp for t in exchange.trades]
    assert len(stamps) == 100_000 and stamps == sorted(stamps)
    assert min(stamps) >= FROZEN - 24 * 3600 * 10**9
    window = exchange.trades_since(FROZEN - 3600 * 10**9, {exchange.user_id})
    assert window and all(t.timestamp >= FROZEN - 3600 * 10**9 for t in window)
    assert [t.timestamp for t in window[:5]] == sorted([t.timestamp for t in window[:5]], reverse=True)
