"""The order ticket and the fat-finger guards, headless."""

import re
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blotter.api.models import Instrument, MarketQuote
from blotter.config import Guards
from blotter.core.fat_finger import check_guards
from blotter.core.order_ticket import (
    TicketInput,
    check_ticket,
    new_external_id,
    parse_amount,
    prefill_price,
    valid_external_id,
)
from blotter.core.reference import Catalog

BTC = Instrument.model_validate(
    {"id": "100", "status": "ACTIVE",
     "info": {"symbol": "BTC-PYUSD", "price_increment": "0.5", "qty_increment": "0.0001"}}
)
QUOTE = MarketQuote.model_validate(
    {"id": "100", "symbol": "BTC-PYUSD",
     "info": {"best_bid": {"price": "99990", "qty": "1"}, "best_ask": {"price": "100010", "qty": "1"}}}
)
CATALOG = Catalog({"100": BTC}, {})
QUOTES = {"100": QUOTE}


def ticket(**changes) -> TicketInput:
    base = dict(instrument="BTC-PYUSD", side="BUY", type="LIMIT", tif="GTC", qty="0.0100", price="99990",
                client_id="42", external_id="desk-1")
    base.update(changes)
    return TicketInput(**base)


def test_valid_limit_ticket_builds_the_order_and_figures():
    check = check_ticket(ticket(post_only=True, stp="CANCEL_BOTH"), CATALOG, QUOTES)
    assert check.ok and check.errors == {}
    info = check.order.info
    assert (info.instrument_id, info.qty, info.price, info.exec_inst_flags) == ("100", Decimal("0.0100"),
                                                                                  Decimal("99990"), ["ALO"])
    assert check.notional == Decimal("999.9") and check.mid == Decimal("100000")
    assert check.distance_pct == Decimal("-0.01")


def test_market_ticket_uses_mid_for_notional_and_sends_no_price():
    check = check_ticket(ticket(type="MARKET", price=""), CATALOG, QUOTES)
    assert check.ok and check.order.info.price is None and check.notional == Decimal("1000.0000")
    assert check.expected_from == "mid" and check.distance_pct is None  # the mid is no distance from itself


def test_market_ticket_prices_its_notional_and_distance_at_the_vwap_when_known():
    check = check_ticket(ticket(type="MARKET", price=""), CATALOG, QUOTES, expected_price=Decimal("101000"))
    assert check.ok and check.order.info.price is None  # the estimate is never sent
    assert check.notional == Decimal("1010.0000") and check.expected_from == "VWAP"
    assert check.distance_pct == Decimal("1")
    assert check.terms.headline() == "BUY 0.0100 BTC-PYUSD at MARKET (expected 101,000, VWAP)"


# Messages are whole sentences in the trader's words, naming the field as the form labels it
# (they used to name the field id, "qty: not a number", and read "at most 1 decimals").
@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"qty": "abc"}, "qty", "Quantity is not a number"),
        ({"qty": "0"}, "qty", "Quantity must be greater than zero"),
        ({"qty": "-1"}, "qty", "Quantity must be greater than zero"),
        ({"qty": "1e5"}, "qty", "Quantity is not a number"),
        ({"qty": ""}, "qty", "Quantity is required"),
        ({"qty": "0.00001"}, "qty", "Quantity: at most 4 decimals for BTC-PYUSD"),
        ({"price": "100000.25"}, "price", "Price: at most 1 decimal for BTC-PYUSD"),
        ({"price": "100000.3"}, "price", "Price must be a multiple of 0.5 for BTC-PYUSD"),
        ({"price": ""}, "price", "Price is required for a LIMIT order"),
        ({"type": "MARKET"}, "price", "Price: a MARKET order takes no price (clear it, or choose LIMIT)"),
        ({"type": "MARKET", "price": "", "post_only": True}, "post_only", "Post-only (ALO) applies to LIMIT orders"),
        ({"external_id": "This Has Spaces"}, "external_id",
         "External id must be a lowercase UUIDv4, or up to 18 of A-Z a-z 0-9 - _ . ~"),
        ({"external_id": ""}, "external_id", "External id is required"),
        ({"instrument": "DOGE-PYUSD"}, "instrument", "Instrument DOGE-PYUSD is not listed"),
        ({"client_id": " "}, "client_id", "Client is required"),
    ],
)
def test_each_validation_error_is_specific(changes, field, message):
    check = check_ticket(ticket(**changes), CATALOG, QUOTES)
    assert check.order is None
    assert check.errors[field].startswith(message)
    assert list(check.errors) == [field]  # one message, for that field only


WHOLE_LOTS = Instrument.model_validate(
    {"id": "200", "info": {"symbol": "LOT-PYUSD", "price_increment": "0.25", "qty_increment": "1"}}
)


@pytest.mark.parametrize(
    "instrument, changes, field, message",
    [
        (BTC, {"price": "100000.25"}, "price", "Price: at most 1 decimal for BTC-PYUSD"),
        (WHOLE_LOTS, {"price": "100.125"}, "price", "Price: at most 2 decimals for LOT-PYUSD"),
        (WHOLE_LOTS, {"qty": "1.5"}, "qty", "Quantity must be a whole number for LOT-PYUSD"),
        (WHOLE_LOTS, {"price": "100.10"}, "price", "Price must be a multiple of 0.25 for LOT-PYUSD"),
    ],
    ids=["one-decimal", "two-decimals", "whole-number", "multiple"],
)
def test_decimal_counts_read_singular_and_plural(instrument, changes, field, message):
    catalog = Catalog({instrument.id: instrument}, {})
    fields = {"instrument": instrument.symbol, "qty": "2", "price": "100", **changes}
    check = check_ticket(ticket(**fields), catalog, {})
    assert check.errors == {field: message}


def test_errors_come_in_form_order_and_clear_when_fixed():
    typed = ticket(qty="abc", price="1.25", external_id="Not Valid!", client_id="")
    check = check_ticket(typed, CATALOG, QUOTES)
    assert list(check.errors) == ["qty", "price", "client_id", "external_id"]
    typed.qty = "0.0100"  # fixed: its message goes, the others stay
    assert list(check_ticket(typed, CATALOG, QUOTES).errors) == ["price", "client_id", "external_id"]
    typed.price, typed.client_id, typed.external_id = "99990", "42", "desk-1"
    fixed = check_ticket(typed, CATALOG, QUOTES)
    assert fixed.errors == {} and fixed.ok


def test_amount_parsing_accepts_grouping_only_in_thousands():
    assert parse_amount("1,250.5") == Decimal("1250.5")
    assert parse_amount(".5") == Decimal("0.5")
    for bad in ("1,25", "NaN", "Infinity", "1.2.3", "+1", " "):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_prefill_uses_the_chosen_side():
    assert prefill_price(QUOTE, "BUY") == Decimal("99990")
    assert prefill_price(QUOTE, "SELL") == Decimal("100010")


@given(st.uuids(version=4))
def test_every_lowercase_uuid4_is_valid_and_uppercase_is_not(value):
    assert valid_external_id(str(value))
    assert not valid_external_id(str(value).upper()) or str(value) == str(value).upper()


@given(st.text(alphabet=st.sampled_from("abcXYZ019-_.~"), min_size=1, max_size=18))
def test_short_unreserved_ids_are_valid(value):
    assert valid_external_id(value)


@given(st.text(min_size=19, max_size=40).filter(lambda s: not re.fullmatch(r"[0-9a-f-]{36}", s)))
def test_long_non_uuid_ids_are_invalid(value):
    assert not valid_external_id(value)


def test_new_external_id_is_a_valid_uuid4():
    value = new_external_id()
    assert valid_external_id(value) and uuid.UUID(value).version == 4


GUARDS = Guards(max_notional=Decimal("250000"), hard_max_notional=Decimal("1000000"), max_qty=Decimal("5"),
                hard_max_qty=None, max_distance_pct=Decimal("5"), hard_max_distance_pct=Decimal("20"))


def test_guards_soft_breach_names_the_limit():
    breaches = check_guards(GUARDS, qty=Decimal("3"), notional=Decimal("300000"), distance_pct=Decimal("-1"))
    assert [(b.name, b.hard) for b in breaches] == [("max_notional", False)]
    assert "max_notional" in breaches[0].message and "300,000.00" in breaches[0].message


def test_guards_hard_breach_comes_first_and_distance_is_absolute():
    breaches = check_guards(GUARDS, qty=Decimal("6"), notional=Decimal("2000000"), distance_pct=Decimal("-25"))
    assert [(b.name, b.hard) for b in breaches] == [
        ("hard_max_notional", True), ("hard_max_distance_pct", True), ("max_qty", False)
    ]


def test_no_breach_and_missing_values_are_not_guessed():
    assert check_guards(GUARDS, qty=Decimal("1"), notional=None, distance_pct=None) == []
