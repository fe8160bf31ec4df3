"""core.export: exact values, order, the CSV injection guard and the JSON shape."""

import csv
import io
import json

import pytest

from blotter.api.models import Asset, Balances, Instrument, MarketQuote, Order, Trade
from blotter.core.export import (
    build_table,
    export_text,
    guard_text,
    in_time_order,
    iso_ns,
    parse_since,
    since_filter,
    view_items,
)
from blotter.core.positions import PositionBook, positions_store
from blotter.core.reference import Catalog
from blotter.core.rows import QuoteTracker, balance_rows, orders_store, quotes_store, trades_store

T0 = 1_790_000_000_123_456_789
CATALOG = Catalog.build(
    [Instrument.model_validate({"id": "10", "info": {"symbol": "BTC-PYUSD", "price_increment": "0.5",
                                                     "qty_increment": "0.0001", "base_asset_id": "1",
                                                     "quote_asset_id": "9"}})],
    [Asset.model_validate({"id": "1", "name": "BTC"}), Asset.model_validate({"id": "9", "name": "PYUSD"})],
)


def trade(i: int, **over) -> Trade:
    data = {
        "client_id": "78932725357888855", "instrument_id": "10", "timestamp": str(T0 + i),
        "side": "BUY", "order_id": str(7_000_000_000_000_000_000 + i), "external_id": f"t-{i}",
        "trade_price": "100000.123456789012", "trade_qty": "0.00000001", "trade_fee_rate": "0.0005",
        "liq_flag": "MAKER", "match_id": f"9{i:018d}",
    }
    data.update(over)
    return Trade.model_validate(data)


def order(i: int, **over) -> Order:
    data = {
        "id": str(7_100_000_000_000_000_000 + i), "status": "ACTIVE", "external_id": f"ext-{i}",
        "order_info": {"client_id": "42", "instrument_id": "10", "side": "SELL", "type": "LIMIT", "tif": "GTC",
                       "price": "100000.50000000", "qty": "1.23456789"},
        "exeuted_qty": "0.1", "leaves_qty": "1.13456789", "executed_vwap": "100000.5",
        "timestamp": str(T0 - i), "update_timestamp": str(T0),
    }
    data.update(over)
    return Order.model_validate(data)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_trade_values_are_exact_strings_at_wire_precision():
    rows = read_csv(export_text("trades", [trade(1)], "csv", CATALOG))
    row = rows[0]
    assert row["trade_price"] == "100000.123456789012"
    assert row["trade_qty"] == "0.00000001"
    assert row["notional"] == "0.00100000123456789012"  # exact product, not display-rounded
    assert row["fee"] == "0.000000500000617283945060"  # exact, and never '5.0E-7' exponent notation
    assert row["trade_fee_rate"] == "0.0005"
    assert row["match_id"] == "9000000000000000001" and row["order_id"] == "7000000000000000001"
    assert row["client_id"] == "78932725357888855"
    assert row["time_ns"] == str(T0 + 1)
    assert row["time"] == "2026-09-21T14:13:20.123456790Z"
    assert row["symbol"] == "BTC-PYUSD" and row["side"] == "BUY" and row["liq_flag"] == "MAKER"


def test_decimals_never_use_exponent_or_floats():
    t = trade(2, trade_price="1E+5", trade_qty="1.000000000000000000000000000001")
    row = read_csv(export_text("trades", [t]))[0]
    assert row["trade_price"] == "100000"
    assert row["trade_qty"] == "1.000000000000000000000000000001"
    assert row["notional"] == "100000.0000000000000000000000001"  # 31 digits: beyond the default 28


def test_headers_are_plain_names_in_a_fixed_order():
    text = export_text("orders", [order(1)])
    header = text.splitlines()[0].split(",")
    assert header[:5] == ["created_ns", "created", "updated_ns", "updated", "id"]
    assert {"price", "qty", "executed_qty", "leaves_qty", "status", "symbol"} <= set(header)
    assert text.endswith("\r\n")


def test_orders_use_the_modified_price_and_keep_trailing_zeros():
    modified = order(1, modify_info={"new_price": "99999.5", "new_qty": "2.000"})
    row = read_csv(export_text("orders", [order(2), modified], catalog=CATALOG))
    assert row[0]["price"] == "100000.50000000" and row[0]["qty"] == "1.23456789"
    assert row[1]["price"] == "99999.5" and row[1]["qty"] == "2.000"
    assert row[0]["executed_qty"] == "0.1" and row[0]["pending_qty"] == ""  # not given is not zero


def test_missing_values_are_empty_in_csv_and_null_in_json():
    t = trade(3, external_id=None, trade_fee_rate=None, liq_flag=None)
    row = read_csv(export_text("trades", [t]))[0]
    assert row["external_id"] == "" and row["fee"] == "" and row["trade_fee_rate"] == ""
    assert row["symbol"] == ""  # no catalog: the instrument id is still there
    record = json.loads(export_text("trades", [t], "json"))[0]
    assert record["external_id"] is None and record["fee"] is None and record["liq_flag"] is None


@pytest.mark.parametrize("bad", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_injection_is_neutralised_in_text_cells(bad):
    t = trade(4, external_id=bad)
    row = read_csv(export_text("trades", [t]))[0]
    assert row["external_id"] == "'" + bad
    assert json.loads(export_text("trades", [t], "json"))[0]["external_id"] == bad  # JSON keeps data as is


def test_negative_numbers_are_not_mangled():
    assert guard_text("-1.5") == "'-1.5"  # a text cell is guarded ...
    line = balance_rows([Balances.model_validate({
        "id": "42", "balances": [{"asset_id": "9", "balance": "-12.5", "order_hold": "3", "unsettled": "-0.01"}],
    })])
    row = read_csv(export_text("balances", line, catalog=CATALOG))[0]
    assert row["balance"] == "-12.5" and row["unsettled"] == "-0.01"  # ... a numeric column never
    assert row["available"] == "-15.5" and row["on_hold"] == "3"
    assert row["asset"] == "PYUSD" and row["asset_id"] == "9" and row["client_id"] == "42"


def test_balances_accept_entities_and_rows_alike():
    entities = [Balances.model_validate({"id": "42", "balances": [
        {"asset_id": "1", "balance": "2.50000000", "order_hold": "0.5", "transfer_hold": "0.25"},
        {"asset_id": "9", "balance": "1250000"},
    ]})]
    assert export_text("balances", entities) == export_text("balances", balance_rows(entities))
    rows = read_csv(export_text("balances", entities))
    assert [r["asset_id"] for r in rows] == ["1", "9"]
    assert rows[0]["balance"] == "2.50000000" and rows[0]["available"] == "1.75000000"


def test_json_shape_is_an_array_of_flat_objects_with_string_values():
    records = json.loads(export_text("trades", [trade(5), trade(6)], "json", CATALOG))
    assert isinstance(records, list) and len(records) == 2
    header = export_text("trades", [trade(5)]).splitlines()[0].split(",")
    assert list(records[0]) == header
    first = records[0]
    assert first["time_ns"] == str(T0 + 5) and first["time"].endswith("Z")
    assert first["trade_price"] == "100000.123456789012"
    assert all(value is None or isinstance(value, str) for r in records for value in r.values())


def test_empty_export_is_a_header_or_an_empty_array():
    assert export_text("orders", []).count("\r\n") == 1
    assert json.loads(export_text("orders", [], "json")) == []


def test_iso_ns_is_exact():
    assert iso_ns(0) == "1970-01-01T00:00:00.000000000Z"
    assert iso_ns(1_790_000_000_999_999_999) == "2026-09-21T14:13:20.999999999Z"


def test_unknown_kind_or_format_is_refused():
    with pytest.raises(ValueError):
        build_table("fills", [])
    with pytest.raises(ValueError):
        export_text("trades", [], "xlsx")


def test_view_items_follow_filter_and_sort():
    store = orders_store(CATALOG)
    store.apply([order(i, external_id=f"{'keep' if i % 2 else 'drop'}-{i}",
                       order_info={"instrument_id": "10", "side": "BUY", "qty": "1", "price": str(100 + i)})
                 for i in range(6)])
    store.set_filter("keep")
    store.set_sort(4, reverse=False)  # price ascending
    assert [o.external_id for o in view_items(store)] == ["keep-1", "keep-3", "keep-5"]
    store.set_sort(4, reverse=True)
    rows = read_csv(export_text("orders", view_items(store)))
    assert [r["external_id"] for r in rows] == ["keep-5", "keep-3", "keep-1"]
    assert [r["price"] for r in rows] == ["105", "103", "101"]


def test_trade_store_view_is_exported_as_shown():
    store = trades_store(CATALOG, cap=3)
    store.upsert([trade(i) for i in range(10)])
    assert [t.timestamp for t in view_items(store)] == [T0 + 9, T0 + 8, T0 + 7]


def test_quotes_export_the_models_behind_the_rows():
    quote = MarketQuote.model_validate({"id": "10", "symbol": "BTC-PYUSD", "info": {
        "best_bid": {"price": "100000.5", "qty": "1.2"}, "best_ask": {"price": "100001.5", "qty": "0.8"},
        "last_trade": {"price": "100001", "qty": "0.1", "timestamp": str(T0)}, "last_update": str(T0)}})
    store = quotes_store(CATALOG)
    store.apply(QuoteTracker().rows([quote]))
    row = read_csv(export_text("quotes", view_items(store)))[0]
    assert row["bid"] == "100000.5" and row["ask"] == "100001.5" and row["spread"] == "1.0"
    assert row["last_trade_time_ns"] == str(T0) and row["symbol"] == "BTC-PYUSD"


def test_since_filter_and_time_order():
    trades = [trade(3), trade(1), trade(2)]
    assert [t.timestamp for t in in_time_order("trades", since_filter("trades", trades, T0 + 2))] == [T0 + 2, T0 + 3]
    orders = [order(1), order(5), order(3, timestamp=None)]
    assert [o.id[-1] for o in in_time_order("orders", since_filter("orders", orders, T0 - 4))] == ["1"]
    assert len(since_filter("orders", orders, None)) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1790000000000000000", 1_790_000_000_000_000_000),
        ("24h", T0 - 24 * 3600 * 10**9),
        ("1h30m", T0 - 5400 * 10**9),
        ("90s", T0 - 90 * 10**9),
        ("2d", T0 - 2 * 86400 * 10**9),
        ("2026-09-21T14:13:20Z", 1_790_000_000_000_000_000),
        ("2026-09-21T14:13:20.123456789Z", 1_790_000_000_123_456_789),
        ("2026-09-21T16:13:20.5+02:00", 1_790_000_000_500_000_000),
        ("2026-09-21T14:13:20", 1_790_000_000_000_000_000),  # no zone: UTC
        ("2026-09-21", 1_789_948_800_000_000_000),
    ],
)
def test_parse_since(text, expected):
    assert parse_since(text, T0) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "24x", "-5h"])
def test_parse_since_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_since(text, T0)


# --- positions ----------------------------------------------------------------------------------

def _position_book() -> PositionBook:
    """BTC-PYUSD: buy 0.5 @ 100000 (fee 0.0004 × 50000 = 20), sell 0.2 @ 100100.5 (fee 0.0004 × 20020.1 =
    8.00804; realized 100.5 × 0.2 = 20.1); a buy of 0.1 @ 100001 without a fee rate. Mid 99000.5."""
    book = PositionBook(CATALOG, client_ids=["78932725357888855"], since_ns=T0)
    book.add([
        trade(1, trade_price="100000", trade_qty="0.5", trade_fee_rate="0.0004"),
        trade(2, side="SELL", trade_price="100100.5", trade_qty="0.2", trade_fee_rate="0.0004"),
        trade(3, trade_price="100001", trade_qty="0.1", trade_fee_rate=None),
        trade(4, client_id="someone-else", trade_price="1", trade_qty="100"),  # not ours
        trade(-1, trade_price="1", trade_qty="100"),  # before the window
    ])
    book.set_quotes([MarketQuote.model_validate({"id": "10", "info": {
        "best_bid": {"price": "99000", "qty": "1"}, "best_ask": {"price": "99001", "qty": "1"}}})])
    return book


def test_positions_csv_is_exact_with_the_total_row():
    rows = read_csv(export_text("positions", _position_book().rows(), "csv", CATALOG))
    assert [r["row"] for r in rows] == ["position", "total"]
    position, total = rows
    assert position["window_start_ns"] == str(T0) and position["window_start"] == iso_ns(T0)
    assert (position["instrument_id"], position["symbol"], position["quote_asset_id"], position["quote_asset"]) == (
        "10", "BTC-PYUSD", "9", "PYUSD")
    # net 0.5 − 0.2 + 0.1 = 0.4; basis 50000 − 20000 (released at cost) + 10000.1 = 40000.1: avg 100000.25
    assert (position["net_qty"], position["avg_cost"], position["mid"]) == ("0.4", "100000.25", "99000.5")
    # unrealized 0.4 × 99000.5 − 40000.1 = 39600.2 − 40000.1 = −399.9
    assert (position["realized_pnl"], position["unrealized_pnl"]) == ("20.1", "-399.9")
    # fees known 20 + 8.00804; the third fill's is unknown, so the total is unknown (empty, not zero)
    assert (position["fees"], position["fees_complete"], position["fills_without_fee_rate"]) == (
        "28.00804", "false", "1")
    assert position["total_pnl"] == ""
    # bought 0.6 for 50000 + 10000.1: avg 60000.1 / 0.6 = 100000.1666… (18 decimals, named in `rounded`)
    assert (position["bought_qty"], position["avg_buy_price"]) == ("0.6", "100000.166666666666666667")
    assert (position["sold_qty"], position["avg_sell_price"]) == ("0.2", "100100.5")
    assert (position["fills"], position["notional"], position["unreadable_fills"]) == ("3", "80020.2", "0")
    assert position["rounded"] == "avg_buy_price"
    assert (total["instrument_id"], total["symbol"], total["net_qty"], total["quote_asset"]) == ("", "", "", "PYUSD")
    assert (total["realized_pnl"], total["unrealized_pnl"], total["fees"], total["total_pnl"]) == (
        "20.1", "-399.9", "28.00804", "")
    assert (total["fills"], total["notional"], total["fees_complete"]) == ("3", "80020.2", "false")


def test_positions_json_matches_the_csv_with_nulls_for_unknown():
    book = _position_book()
    records = json.loads(export_text("positions", book.rows(), "json", CATALOG))
    header = export_text("positions", book.rows(), "csv", CATALOG).splitlines()[0].split(",")
    assert [list(r) for r in records] == [header, header]
    position, total = records
    assert position["total_pnl"] is None and total["avg_cost"] is None and total["instrument_id"] is None
    assert position["unrealized_pnl"] == "-399.9" and position["window_start_ns"] == str(T0)
    assert all(value is None or isinstance(value, str) for r in records for value in r.values())
    # the pane's view exports the same objects
    store = positions_store(CATALOG)
    store.apply(book.rows())
    assert export_text("positions", view_items(store), "json", CATALOG) == export_text(
        "positions", book.rows(), "json", CATALOG)


def test_positions_values_never_use_exponent_notation():
    book = PositionBook(CATALOG)
    book.add([trade(1, trade_price="1E+5", trade_qty="1E-8", trade_fee_rate="0"),
              trade(2, side="SELL", trade_price="100001", trade_qty="0.00000001", trade_fee_rate="0")])
    row = read_csv(export_text("positions", book.rows()))[0]
    # realized (100001 − 100000) × 0.00000001 = 0.00000001, flat (1E-8 − 0.00000001 is written 0.00000000);
    # notional 100000 × 0.00000001 + 100001 × 0.00000001 = 0.001 + 0.00100001 = 0.00200001
    assert (row["realized_pnl"], row["net_qty"], row["notional"]) == ("0.00000001", "0.00000000", "0.00200001")
    assert row["avg_buy_price"] == "100000" and row["bought_qty"] == "0.00000001"
    assert row["unrealized_pnl"] == "0" and row["total_pnl"] == "0.00000001" and row["mid"] == ""
