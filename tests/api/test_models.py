"""Property tests of the wire models: decimals exact, ids strings, enums tolerant, hostile input safe."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blotter.api.models import (
    Asset,
    Balances,
    MarketQuote,
    Order,
    OrderStatus,
    Side,
    Trade,
)

decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"), max_value=Decimal("1e12"))
wire_strings = decimals.map(lambda d: format(d, "f"))


@given(qty=wire_strings, price=wire_strings, executed=wire_strings)
def test_order_amounts_round_trip_exactly(qty, price, executed):
    raw = {"id": "79", "status": "ACTIVE", "order_info": {"qty": qty, "price": price}, "exeuted_qty": executed}
    order = Order.model_validate(raw)
    assert order.order_info.qty == Decimal(qty)
    assert order.executed_qty == Decimal(executed)
    wire = order.to_wire()
    assert Decimal(wire["order_info"]["price"]) == Decimal(price)
    assert "E" not in wire["order_info"]["price"] and "e" not in wire["order_info"]["price"]
    assert "exeuted_qty" in wire and "executed_qty" not in wire


def test_executed_qty_spelling_fallback():
    assert Order.model_validate({"id": "1", "executed_qty": "0.5"}).executed_qty == Decimal("0.5")
    assert Order.model_validate({"id": "1", "exeuted_qty": "0.25", "executed_qty": "9"}).executed_qty == Decimal("0.25")


def test_amounts_are_never_floats():
    order = Order.model_validate({"id": 79000000000000001, "order_info": {"price": "0.1", "qty": 0.3}})
    assert isinstance(order.order_info.price, Decimal) and order.order_info.price == Decimal("0.1")
    assert order.id == "79000000000000001"  # a numeric id is kept as text, digit for digit


@given(st.text(min_size=1, max_size=40))
def test_unknown_enum_values_are_kept_as_text(value):
    order = Order.model_validate({"id": "1", "status": value, "order_info": {"side": value}})
    if value in OrderStatus.__members__.values():
        assert isinstance(order.status, OrderStatus)
    else:
        assert order.status == value
    assert str(order.order_info.side) == value or order.order_info.side == Side(value)


def test_known_enums_parse_to_enums():
    order = Order.model_validate({"id": "1", "status": "CANCEL_PENDING", "order_info": {"side": "SELL"}})
    assert order.status is OrderStatus.CANCEL_PENDING and order.is_open
    assert order.order_info.side is Side.SELL


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", "12abc", "1.2.3", "[1]"])
def test_a_non_number_keeps_its_row_and_its_raw_text(bad):
    order = Order.model_validate({"id": "1", "status": "ACTIVE", "leaves_qty": bad, "order_info": {"qty": "2"}})
    assert order.leaves_qty is None  # never read as a number, never as zero
    assert order.unreadable == {"leaves_qty": bad}
    assert order.qty == Decimal("2") and order.status == OrderStatus.ACTIVE  # the rest of the row stays


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_blank_amounts_are_not_given_not_zero_and_not_unreadable(blank):
    order = Order.model_validate({"id": "1", "executed_vwap": blank, "exeuted_qty": blank})
    assert order.executed_vwap is None and order.executed_qty is None and order.average_price is None
    assert order.unreadable == {}


hostile_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=5000)


@given(name=hostile_text, symbol=hostile_text, extra=hostile_text)
def test_hostile_strings_do_not_crash_models(name, symbol, extra):
    asset = Asset.model_validate({"id": "1", "info": {"name": name}, extra[:20] or "x": extra})
    assert asset.name in (name, "1")
    quote = MarketQuote.model_validate({"id": "2", "symbol": symbol, "info": {}})
    assert quote.symbol == symbol


def test_asset_name_fallbacks():
    assert Asset.model_validate({"id": "1", "info": {"name": "BTC"}}).name == "BTC"
    assert Asset.model_validate({"id": "1", "fields": {"name": "ETH"}}).name == "ETH"
    assert Asset.model_validate({"id": "1", "name": "SOL"}).name == "SOL"
    assert Asset.model_validate({"id": "1"}).name == "1"


@given(balance=decimals, order_hold=decimals, transfer_hold=decimals)
def test_available_is_balance_less_holds(balance, order_hold, transfer_hold):
    entity = Balances.model_validate(
        {
            "id": "1",
            "status": "INVALID",
            "balances": [
                {"asset_id": "9", "balance": str(balance), "order_hold": str(order_hold),
                 "transfer_hold": str(transfer_hold)}
            ],
        }
    )
    line = entity.balances[0]
    assert line.available == balance - (order_hold + transfer_hold)
    assert line.on_hold == order_hold + transfer_hold


def test_trade_notional_fee_and_key():
    trade = Trade.model_validate(
        {"client_id": "1", "instrument_id": "2", "timestamp": "1770919994854735762", "side": "BUY",
         "order_id": "3", "trade_price": "111480.5", "trade_qty": "0.06089", "trade_fee_rate": "0.0005",
         "liq_flag": "TAKER", "match_id": "147670564223998146302870408890920992792"}
    )
    assert trade.timestamp == 1770919994854735762
    assert trade.notional == Decimal("111480.5") * Decimal("0.06089")
    assert trade.fee == trade.notional * Decimal("0.0005")
    assert trade.key == "147670564223998146302870408890920992792:3:BUY"  # one side of the match
    assert trade.to_wire()["timestamp"] == "1770919994854735762"
