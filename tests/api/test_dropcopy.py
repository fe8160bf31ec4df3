"""read_dropcopy against every shape the guessed DROPCOPY payload may take (truex-ws.md §4, L)."""

from __future__ import annotations

import json
from decimal import Decimal

from blotter.api import DropCopyReport, read_dropcopy
from blotter.api.models import OrderStatus, Side
from blotter.api.stream_models import DropCopyMessage, parse_message

ORDER = {
    "id": "8842", "status": "ACTIVE", "external_id": "ext-1", "leaves_qty": "0.4", "exeuted_qty": "0.6",
    "executed_vwap": "100.25",
    "order_info": {"client_id": "1001", "instrument_id": "7", "side": "BUY", "type": "LIMIT", "qty": "1",
                   "price": "101"},
}


def message(**body) -> DropCopyMessage:
    parsed = parse_message(json.dumps({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "3", **body}))
    assert isinstance(parsed, DropCopyMessage)
    return parsed


def test_the_rest_order_at_the_top_of_data():
    (report,) = read_dropcopy(message(data={**ORDER, "msg_type": "REPORT_CONFIRM"}))
    assert report.order is not None and report.order.id == "8842" and report.order.status is OrderStatus.ACTIVE
    assert report.order.executed_qty == Decimal("0.6") and report.order.leaves_qty == Decimal("0.4")
    assert report.msg_type == "REPORT_CONFIRM" and report.trade is None and report.text is None
    assert json.loads(report.raw)["id"] == "8842"


def test_the_order_nested_with_a_trade_object_and_message_level_fields():
    data = {"order": ORDER, "trade": {"match_id": "m9", "trade_price": "100.5", "trade_qty": "0.2",
                                       "liq_flag": "MAKER", "trade_fee_rate": "0.001"}}
    (report,) = read_dropcopy(message(data=data, msg_type="REPORT_TRADE", text="partial fill"))
    assert report.order.id == "8842" and report.msg_type == "REPORT_TRADE" and report.text == "partial fill"
    trade = report.trade
    assert trade.match_id == "m9" and trade.trade_price == Decimal("100.5") and trade.trade_qty == Decimal("0.2")
    # what the fill does not say, its order does
    assert trade.order_id == "8842" and trade.client_id == "1001" and trade.side is Side.BUY
    assert trade.instrument_id == "7" and trade.external_id == "ext-1"
    assert trade.fee == Decimal("100.5") * Decimal("0.2") * Decimal("0.001")


def test_flat_fill_fields_in_either_naming():
    fix_style = {**ORDER, "msg_type": "REPORT_TRADE", "last_qty": "0.1", "last_px": "99.5", "match_id": "m1"}
    rest_style = {**ORDER, "trade_qty": "0.3", "trade_price": "99.75", "liq_flag": "TAKER"}
    first, second = read_dropcopy(message(data=[fix_style, rest_style]))
    assert (first.trade.trade_qty, first.trade.trade_price, first.trade.match_id) == (
        Decimal("0.1"), Decimal("99.5"), "m1")
    assert (second.trade.trade_qty, second.trade.trade_price) == (Decimal("0.3"), Decimal("99.75"))
    assert second.trade.liq_flag == "TAKER" and second.msg_type is None


def test_a_list_in_order_and_a_snapshot_of_open_orders():
    other = {**ORDER, "id": "8843"}
    reports = read_dropcopy(message(data=[ORDER, other]))
    assert [r.order.id for r in reports] == ["8842", "8843"]
    reports = read_dropcopy(message(data={"orders": [other, ORDER]}))
    assert [r.order.id for r in reports] == ["8843", "8842"]
    assert read_dropcopy(message(data=[])) == []


def test_a_record_without_a_readable_order_keeps_its_raw_text():
    no_id = {"status": "REJECTED", "external_id": "ext-2", "text": "insufficient balance"}
    reports = read_dropcopy(message(data=[no_id, "what is this", 42]))
    # No id yet (a pending order, §3): read as an order keyed by its external id.
    assert (reports[0].order.id, reports[0].order.key, reports[0].order.status) == ("", "ext:ext-2", "REJECTED")
    assert [r.order for r in reports[1:]] == [None, None]
    assert reports[0].text == "insufficient balance" and json.loads(reports[0].raw)["external_id"] == "ext-2"
    assert reports[1].raw == "what is this" and reports[2].raw == "42"


def test_bad_numbers_are_set_aside_not_fatal():
    data = {**ORDER, "leaves_qty": "lots", "trade_qty": "0.x", "trade_price": "100"}
    (report,) = read_dropcopy(message(data=data))
    assert report.order.id == "8842" and report.order.leaves_qty is None
    assert report.order.unreadable == {"leaves_qty": "lots"}
    assert report.trade.trade_qty is None and report.trade.unreadable == {"trade_qty": "0.x"}
    assert report.trade.trade_price == Decimal("100")


def test_text_at_either_level_the_record_s_own_first():
    (inner,) = read_dropcopy(message(data={**ORDER, "text": "cancelled by user"}, text="outer"))
    (outer,) = read_dropcopy(message(data=ORDER, text="post only would cross"))
    assert inner.text == "cancelled by user" and outer.text == "post only would cross"


def test_a_bare_notice_and_an_empty_message():
    (notice,) = read_dropcopy(message(text="rejected: unknown instrument", msg_type="REPORT_REJECT"))
    assert notice == DropCopyReport(None, "REPORT_REJECT", None, "rejected: unknown instrument", notice.raw)
    assert read_dropcopy(message()) == []


def test_data_sent_as_a_json_string_and_fields_at_the_message_level():
    (from_string,) = read_dropcopy(message(data=json.dumps(ORDER)))
    assert from_string.order.id == "8842"
    (top_level,) = read_dropcopy(message(**ORDER))  # no `data`: the message's own fields
    assert top_level.order.id == "8842" and top_level.order.order_info.client_id == "1001"
