"""What the panes show for shapes the reference allows but our simulator never sends
(truex-api.md §3, §6.3-§6.5): case of status and side, sentinel prices, trades without a match id,
orders without a real id, order times in other units. Each test is one gap an audit found."""

import time
from decimal import Decimal
from types import SimpleNamespace

from blotter.api.models import ASK_SENTINEL, Order, Trade
from blotter.config import Settings
from blotter.core.dashboard import Dashboard
from blotter.core.feeds import FakeClock
from blotter.core.format import TimeFormat
from blotter.core.local_orders import LocalOrders
from blotter.core.positions import PositionBook
from blotter.core.reference import Catalog
from blotter.core.rows import ORDER_COLUMNS, Display, order_row, orders_store, trades_store
from blotter.core.store import UNREADABLE

NOW = 1_795_745_578_812_345_678
COL = {column.key: index for index, column in enumerate(ORDER_COLUMNS)}


def order(**body) -> Order:
    base = {"id": "42", "status": "ACTIVE", "external_id": "x",
            "order_info": {"instrument_id": "9", "side": "BUY", "type": "LIMIT", "qty": "0.5", "price": "110865.5"}}
    return Order.model_validate({**base, **body})


def cell(o: Order, column: str, display: Display | None = None):
    return order_row(o, display or Display())[COL[column]]


def board() -> Dashboard:
    return Dashboard(Settings(_env_file=None), FakeClock(now_ns=NOW))


# --- 4. status and side in any case (§3, M) -----------------------------------------------------


def test_the_stream_saying_active_in_lower_case_keeps_the_order_shown():
    dashboard = board()
    dashboard.take_orders([order()], 0)
    poll = dashboard.take_order_states([order(status="active")])
    assert list(dashboard.stores["orders"].items) == ["42"] and poll.gone == []


def test_an_unknown_status_keeps_the_order_with_its_raw_status():
    dashboard = board()
    dashboard.take_orders([order()], 0)
    poll = dashboard.take_order_states([order(status="PARTIALLY_FILLED")])
    assert poll.gone == [] and cell(dashboard.stores["orders"].items["42"], "status").text == "PARTIALLY_FILLED"


def test_a_create_answered_new_pending_in_lower_case_stays_shown_until_polled():
    local = LocalOrders(time.monotonic)
    local.show(order(status="new_pending"))
    assert [o.key for o in local.merge([])] == ["42"]


def test_a_fill_with_side_in_lower_case_is_counted_in_the_position():
    fill = Trade.model_validate({"client_id": "1", "instrument_id": "9", "timestamp": str(NOW), "side": "buy",
                                 "order_id": "7", "trade_price": "100", "trade_qty": "2", "match_id": "m1"})
    book = PositionBook(Catalog())
    book.add([fill])
    (position,) = book.positions()
    assert position.unreadable_fills == 0 and position.net_qty == Decimal(2)


def test_a_fill_record_with_side_in_lower_case_is_counted_in_the_position():
    # What another source (a compact record, the drop copy) may hand over without the model's reading.
    fill = SimpleNamespace(client_id="1", instrument_id="9", timestamp=NOW, side="sell", order_id="7",
                           trade_price=Decimal(100), trade_qty=Decimal(2), trade_fee_rate=None, key="m1:7:sell",
                           liq_flag=None, external_id=None, match_id="m1", unreadable={})
    book = PositionBook(Catalog())
    book.add([fill])
    (position,) = book.positions()
    assert position.unreadable_fills == 0 and position.net_qty == Decimal(-2)


# --- 5. 0 and sentinels shown as no price (§6.3, ModifyInfo §2.2) --------------------------------


def test_a_market_order_priced_0_or_a_sentinel_says_market_and_does_not_widen_the_column():
    display = Display()
    store = orders_store(display)
    limit = order()
    market = order(id="43", order_info={"instrument_id": "9", "type": "MARKET", "side": "BUY", "qty": "0.5",
                                        "price": str(ASK_SENTINEL)})
    zero = order(id="44", order_info={"instrument_id": "9", "type": "MARKET", "side": "BUY", "qty": "0.5",
                                      "price": "0"})
    store.apply([limit, market, zero])
    store.rerender()
    assert [store.row(k)[COL["price"]].text for k in ("42", "43", "44")] == ["110,865.5", "market", "market"]
    assert display.catalog.seen_places[("price", "9")] == 1


def test_a_modify_that_sent_0_for_the_unchanged_field_shows_the_order_s_own():
    qty_only = order(modify_info={"new_qty": "2", "new_price": "0"})
    price_only = order(modify_info={"new_qty": "0", "new_price": "110866"})
    assert (cell(qty_only, "price").text, cell(qty_only, "qty").text) == ("110,865.5", "2")
    assert (cell(price_only, "price").text, cell(price_only, "qty").text) == ("110,866", "0.5")


# --- 6. trades without a match id (§6.5) --------------------------------------------------------


def test_distinct_fills_without_a_match_id_are_all_kept_and_a_repeat_is_not():
    def fill(**fields):
        base = {"client_id": "1", "instrument_id": "9", "timestamp": str(NOW), "side": "BUY", "order_id": "77",
                "trade_price": "100", "trade_qty": "1"}
        return Trade.model_validate({**base, **fields})

    polled = [fill(match_id="0"), fill(match_id="0", timestamp=str(NOW + 1), trade_qty="2"),
              fill(timestamp="", order_id="78", trade_price="101"), fill(timestamp="", order_id="78", trade_price="102"),
              fill(match_id="", side="SELL", trade_price="103"), fill(match_id=None, side="SELL", trade_price="104")]
    store = trades_store(Display())
    store.upsert(polled)
    assert len(store.items) == 6
    again = [Trade.model_validate(t.model_dump(mode="json")) for t in polled]
    assert store.upsert(again).added == [] and len(store.items) == 6


# --- 7. orders without a real id (§3 INITIALIZED / NEW_PENDING) ---------------------------------


def test_pending_orders_with_placeholder_or_missing_ids_each_get_a_row():
    rows = [order(id="0", status="NEW_PENDING", external_id="a1"), order(id="0", status="NEW_PENDING", external_id="a2"),
            order(id="", status="INITIALIZED", external_id="a3"), order(id="", status="INITIALIZED", external_id="a4"),
            order(id=None, status="INITIALIZED", external_id="a5"), order(id={"v": 7}, external_id="a6")]
    store = orders_store(Display())
    store.apply(rows)
    assert len(store.view) == 6
    assert {store.row(k)[COL["external_id"]].text for k in store.view} == {"a1", "a2", "a3", "a4", "a5", "a6"}
    odd = store.row("ext:a6")[COL["id"]]
    assert odd.style == UNREADABLE and odd.text.startswith('{"v":7}')


def test_a_pending_order_that_gets_its_id_is_not_announced_as_gone():
    dashboard = board()
    dashboard.take_orders([order(id="0", status="NEW_PENDING", external_id="a1")], 0)
    poll = dashboard.take_orders([order(id="79000000000000001", external_id="a1")], 0)
    assert list(dashboard.stores["orders"].items) == ["79000000000000001"] and poll.gone == []
    poll = dashboard.take_orders([], 0)
    assert poll.gone == ["79000000000000001"]


def test_a_create_answer_with_a_placeholder_id_gives_way_to_the_polled_order():
    local = LocalOrders(time.monotonic)
    local.show(order(id="0", status="NEW_PENDING", external_id="a1"))
    polled = [order(id="79000000000000001", external_id="a1")]
    assert [o.key for o in local.merge(polled)] == ["79000000000000001"]


# --- 8. an order's time in other units, or in none we read (§6.4, L) -----------------------------


def test_order_times_in_ms_and_iso_8601_are_shown_as_times():
    display = Display(times=TimeFormat(now_ns=lambda: 0))  # another day: times show their date
    assert cell(order(timestamp="1795745578812"), "time", display).text == "2026-11-27 02:12:58.812"
    assert cell(order(timestamp="2026-11-27T02:00:00Z"), "time", display).text == "2026-11-27 02:00:00.000"


def test_an_order_time_that_cannot_be_read_shows_its_text_marked():
    shown = cell(order(timestamp="next tuesday"), "time", board().display)
    assert shown.style == UNREADABLE and shown.text == "next tuesday?"


def test_an_unreadable_order_time_never_breaks_the_time_sort():
    store = orders_store(board().display)  # sorted by time, newest first
    store.apply([order(id="1", timestamp=str(NOW)), order(id="2", timestamp="next tuesday"),
                 order(id="3", timestamp=str(NOW + 1))])
    assert store.view == ["2", "3", "1"]  # text after the numbers ascending (as a missing time): first here


def test_a_pending_order_reported_again_under_its_real_id_is_one_row():
    """NEW_PENDING with the placeholder id "0" (§3), then ACTIVE with the exchange's id: the row keyed
    by external id while pending gives way to the real one, and is not announced as gone."""
    dashboard = board()
    dashboard.take_orders([], 0)
    dashboard.take_order_states([order(id="0", status="NEW_PENDING")])
    assert list(dashboard.stores["orders"].items) == ["ext:x"]
    poll = dashboard.take_order_states([order(id="42")])
    assert list(dashboard.stores["orders"].items) == ["42"] and poll.gone == []
