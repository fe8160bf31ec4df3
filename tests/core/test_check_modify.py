"""The modify form, headless (`check_modify`), and the restatement a guard shows for any order."""

from decimal import Decimal

import pytest

from blotter.api.models import Asset, Instrument, MarketQuote, Order
from blotter.config import Guards
from blotter.core.fat_finger import check_terms, restate
from blotter.core.format import fmt_amount, fmt_derived
from blotter.core.order_ticket import TicketInput, check_modify, check_ticket
from blotter.core.reference import Catalog

BTC = Instrument.model_validate(
    {"id": "100", "info": {"symbol": "BTC-PYUSD", "price_increment": "0.5", "qty_increment": "0.0001",
                           "base_asset_id": "1", "quote_asset_id": "9"}}
)
CATALOG = Catalog({"100": BTC}, {"1": Asset(id="1", name="BTC"), "9": Asset(id="9", name="PYUSD")})
QUOTE = MarketQuote.model_validate(
    {"id": "100", "info": {"best_bid": {"price": "99990", "qty": "1"}, "best_ask": {"price": "100010", "qty": "1"}}}
)


def resting(qty="0.0100", price="99000.0", filled="0") -> Order:
    return Order.model_validate({
        "id": "7001", "status": "ACTIVE", "external_id": "desk-7",
        "order_info": {"client_id": "42", "instrument_id": "100", "side": "BUY", "type": "LIMIT", "qty": qty,
                       "price": price},
        "exeuted_qty": filled,
    })


def test_a_new_price_alone_is_valid_and_keeps_the_quantity():
    check = check_modify(resting(), "0.0100", "99500.0", CATALOG, QUOTE)
    assert check.ok and check.errors == {}
    assert (check.qty, check.price) == (Decimal("0.0100"), Decimal("99500.0"))  # both, to be sent both
    assert check.notional == Decimal("995.00000") and check.mid == Decimal("100000")
    assert check.distance_pct == Decimal("-0.5")


def test_the_current_values_as_opened_change_nothing():
    check = check_modify(resting(), "0.0100", "99000.0", CATALOG, QUOTE)
    assert not check.ok and check.errors == {"change": "Nothing to change: edit the quantity or the price"}
    assert check_modify(resting(), "0.01", "99000", CATALOG, QUOTE).errors.keys() == {"change"}  # same numbers


@pytest.mark.parametrize(
    "qty, price, field, message",
    [
        ("", "99000.0", "qty", "Quantity is required"),
        ("abc", "99000.0", "qty", "Quantity is not a number"),
        ("0", "99000.0", "qty", "Quantity must be greater than zero"),
        ("0.00005", "99000.0", "qty", "Quantity: at most 4 decimals for BTC-PYUSD"),
        ("0.0030", "99000.0", "qty", "Quantity must be more than the 0.0030 already filled"),
        ("0.0100", "", "price", "Price is required"),
        ("0.0100", "99000.25", "price", "Price: at most 1 decimal for BTC-PYUSD"),
        ("0.0100", "99000.3", "price", "Price must be a multiple of 0.5 for BTC-PYUSD"),
    ],
)
def test_each_modify_error_is_specific(qty, price, field, message):
    check = check_modify(resting(filled="0.0030"), qty, price, CATALOG, QUOTE)
    assert not check.ok
    assert list(check.errors) == [field] and check.errors[field].startswith(message)


def test_modify_errors_clear_when_fixed():
    order = resting()
    assert list(check_modify(order, "x", "1.25", CATALOG, QUOTE).errors) == ["qty", "price"]
    assert list(check_modify(order, "0.0200", "1.25", CATALOG, QUOTE).errors) == ["price"]
    assert check_modify(order, "0.0200", "1.5", CATALOG, QUOTE).ok


def test_modify_restates_the_order_with_its_current_terms():
    check = check_modify(resting(), "0.0200", "99,500.0", CATALOG, QUOTE)
    assert check.terms.headline() == "BUY 0.0200 BTC-PYUSD at 99,500.0 (now 0.0100 at 99,000.0)"
    assert check.terms.figures() == "Notional 1,990.00 PYUSD · mid 100,000 · 0.50% below mid"


def test_modify_and_ticket_share_the_guards():
    guards = Guards(max_notional=Decimal("1000"), hard_max_notional=None, max_distance_pct=None,
                    hard_max_distance_pct=None)
    modify = check_modify(resting(), "0.0200", "99500.0", CATALOG, QUOTE)
    ticket = check_ticket(TicketInput(instrument="BTC-PYUSD", qty="0.0200", price="99500.0", client_id="42",
                                      external_id="desk-8"), CATALOG, {"100": QUOTE})
    assert [b.name for b in check_terms(guards, modify.terms)] == ["max_notional"]
    assert [b.name for b in check_terms(guards, ticket.terms)] == ["max_notional"]


def test_restatement_names_side_quantity_symbol_price_notional_and_each_limit():
    guards = Guards(max_notional=Decimal("100"), hard_max_notional=None, max_qty=Decimal("0.001"),
                    max_distance_pct=None, hard_max_distance_pct=None)
    check = check_ticket(TicketInput(instrument="BTC-PYUSD", side="SELL", qty="0.0050", price="100010",
                                     client_id="42", external_id="desk-9"), CATALOG, {"100": QUOTE})
    lines = restate(check.terms, check_terms(guards, check.terms))
    assert lines == [
        "SELL 0.0050 BTC-PYUSD at 100,010",
        "Notional 500.05 PYUSD · mid 100,000 · 0.01% above mid",
        "• Notional 500.05 exceeds the limit max_notional = 100",
        "• Quantity 0.0050 exceeds the limit max_qty = 0.001",
    ]


def test_a_market_order_is_restated_with_its_expected_price_or_the_lack_of_one():
    market = TicketInput(instrument="BTC-PYUSD", type="MARKET", qty="0.0050", client_id="42", external_id="desk-10")
    with_vwap = check_ticket(market, CATALOG, {"100": QUOTE}, expected_price=Decimal("100012.5"))
    assert with_vwap.terms.headline() == "BUY 0.0050 BTC-PYUSD at MARKET (expected 100,012.5, VWAP)"
    assert with_vwap.terms.figures().startswith("Notional 500.0625 PYUSD at VWAP")
    at_mid = check_ticket(market, CATALOG, {"100": QUOTE})
    assert at_mid.terms.headline() == "BUY 0.0050 BTC-PYUSD at MARKET (expected 100,000, mid)"
    blind = check_ticket(market, CATALOG, {})
    assert blind.terms.headline() == "BUY 0.0050 BTC-PYUSD at MARKET (no expected price)"
    assert blind.notional is None


@pytest.mark.parametrize(
    "value, min_places, shown",
    [
        ("0.0050", None, "0.0050"),  # as the exchange sent it: trailing zeros kept
        ("97000.25", None, "97,000.25"),
        ("0.00000001", None, "0.00000001"),
        ("1E+3", None, "1,000"),  # never exponent notation
        ("485.00000", 2, "485.00"),  # a computed notional: zeros beyond cents dropped, value unchanged
        ("484.905", 2, "484.905"),  # ...but never a digit that matters
        ("97", 2, "97.00"),
    ],
)
def test_exact_never_rounds(value, min_places, shown):
    shown_now = fmt_amount(Decimal(value)) if min_places is None else fmt_derived(Decimal(value), min_places)
    assert shown_now == shown
    assert Decimal(shown.replace(",", "")) == Decimal(value)
