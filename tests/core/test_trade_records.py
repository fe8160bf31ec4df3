"""Compact trade records in the trades store: exact money, shared strings, the same attributes as
`Trade` for every consumer, a linear ingest of newest-first pages, and the 24 h window."""

import csv
import io
import json
import sys
import bisect
from decimal import Decimal

import pytest

from blotter.api.models import NS_PER_SECOND, Asset, Instrument, LiquidityFlag, Side, Trade
from blotter.core.export import export_text, in_time_order, since_filter, view_items
from blotter.core.reference import Catalog
from blotter.api.models import NS_PER_DAY
from blotter.core.rows import trade_row, trade_search, trades_store
from blotter.core.trade_records import TradeCompactor, TradeRecord

T0 = 1_790_000_000_123_456_789
HOUR = 3600 * NS_PER_SECOND
CATALOG = Catalog.build(
    [Instrument.model_validate({"id": "10", "info": {"symbol": "BTC-PYUSD", "price_increment": "0.5",
                                                     "qty_increment": "0.0001", "base_asset_id": "1",
                                                     "quote_asset_id": "9"}})],
    [Asset.model_validate({"id": "1", "name": "BTC"}), Asset.model_validate({"id": "9", "name": "PYUSD"})],
)
# Exact strings that a float, a context rounding or a normalisation would change.
AMOUNTS = [
    ("100000.123456789012", "0.00000001", "0.0005"),
    ("1E+5", "1.000000000000000000000000000001", "0.00100"),
    ("123456789012345678901234567890.5", "0.10", "-0"),
    ("0.1", "3", "0"),
]


def trade(i: int, *, ts: int | None = None, **over) -> Trade:
    data = {
        "client_id": "78932725357888855", "instrument_id": "10", "timestamp": str(T0 + i if ts is None else ts),
        "side": "BUY" if i % 2 else "SELL", "order_id": str(7_000_000_000_000_000_000 + i), "external_id": f"t-{i}",
        "trade_price": "100000.123456789012", "trade_qty": "0.00000001", "trade_fee_rate": "0.0005",
        "liq_flag": "MAKER" if i % 3 else "TAKER", "match_id": f"9{i:018d}",
    }
    data.update(over)
    return Trade.model_validate(data)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- the record -----------------------------------------------------------------------------------


CONSUMED = ("key", "timestamp", "client_id", "instrument_id", "side", "liq_flag", "order_id", "external_id",
            "match_id", "trade_price", "trade_qty", "trade_fee_rate", "notional", "fee")


@pytest.mark.parametrize("price, qty, rate", AMOUNTS)
def test_record_has_every_attribute_consumers_read_with_the_models_values(price, qty, rate):
    model = trade(4, trade_price=price, trade_qty=qty, trade_fee_rate=rate)
    record = TradeCompactor()(model)
    assert isinstance(record, TradeRecord) and not hasattr(record, "__dict__")
    for name in CONSUMED:
        mine, theirs = getattr(record, name), getattr(model, name)
        assert mine == theirs, name
        if isinstance(theirs, Decimal):  # same digits and exponent, not only the same value
            assert type(mine) is Decimal and str(mine) == str(theirs) and mine.as_tuple() == theirs.as_tuple(), name
    assert (str(record.trade_price), str(record.trade_qty), str(record.trade_fee_rate)) == tuple(
        str(Decimal(x)) for x in (price, qty, rate)
    )
    # what the pane shows and searches is the same for the record as for the model
    assert trade_row(record, CATALOG) == trade_row(model, CATALOG)
    assert trade_search(record, CATALOG) == trade_search(model, CATALOG)


def test_missing_values_and_composite_key():
    model = trade(5, match_id=None, external_id=None, liq_flag=None, trade_price=None, trade_fee_rate=None)
    record = TradeCompactor()(model)
    assert record.key == model.key == f"{model.order_id}:BUY:{model.timestamp}:0.00000001:None"
    assert record.match_id is None and record.external_id is None and record.liq_flag is None
    assert record.trade_price is None and record.notional is None and record.fee is None
    assert record.trade_qty == Decimal("0.00000001")


def test_interning_shares_strings_without_changing_values():
    compact = TradeCompactor()
    models = [trade(i) for i in range(1, 7)]
    records = [compact(m) for m in models]
    for name in ("client_id", "instrument_id", "side", "liq_flag"):
        for model, record in zip(models, records, strict=True):
            value = getattr(record, name)
            assert type(value) is str and value == getattr(model, name)
            assert value is sys.intern(value)
    assert records[0].side is records[2].side == "BUY" and records[1].side is records[3].side == "SELL"
    assert records[0].client_id is records[5].client_id
    assert str(records[0].side) == "BUY" and f"{records[1].liq_flag}" == "MAKER"  # the wire text, not "Side.BUY"
    assert records[0].side == Side.BUY and records[1].liq_flag == LiquidityFlag.MAKER
    # equal amounts are one object; differently written equal amounts stay distinct
    assert records[0].trade_price is records[1].trade_price
    one, one_00 = compact(trade(8, trade_qty="1.0")), compact(trade(9, trade_qty="1.00"))
    assert one.trade_qty == one_00.trade_qty and str(one.trade_qty) == "1.0" and str(one_00.trade_qty) == "1.00"
    negative_zero = compact(trade(10, trade_fee_rate="-0"))
    assert str(negative_zero.trade_fee_rate) == "-0" and str(compact(trade(11, trade_fee_rate="0")).trade_fee_rate) == "0"


def test_record_keeps_no_object_of_the_model():
    """A kept model object would keep the allocator's block of the model's memory resident."""
    model = trade(12)
    record = TradeCompactor()(model)
    theirs = {id(v) for v in vars(model).values()}
    for name in TradeRecord.__slots__:
        value = getattr(record, name)
        if value is not None and not (isinstance(value, str) and (len(value) < 2 or value is sys.intern(value))):
            assert id(value) not in theirs, name


def test_caches_are_bounded():
    compact = TradeCompactor(max_entries=4)
    for i in range(20):
        record = compact(trade(i, trade_price=f"{i}.5", client_id=f"c{i}"))
        assert record.trade_price == Decimal(f"{i}.5") and record.client_id == f"c{i}"
    assert len(compact._amounts) <= 4 and len(compact._texts) <= 4


def test_compacting_twice_is_a_no_op():
    compact = TradeCompactor()
    record = compact(trade(1))
    assert compact(record) is record


# --- the store ------------------------------------------------------------------------------------


@pytest.mark.parametrize("price, qty, rate", AMOUNTS)
def test_exact_money_round_trips_through_store_and_export(price, qty, rate):
    models = [trade(i, trade_price=price, trade_qty=qty, trade_fee_rate=rate) for i in range(3)]
    store = trades_store(CATALOG)
    store.upsert(models)
    kept = view_items(store)
    assert all(type(t) is TradeRecord for t in kept)
    newest_first = list(reversed(models))
    assert export_text("trades", kept, "csv", CATALOG) == export_text("trades", newest_first, "csv", CATALOG)
    assert export_text("trades", kept, "json", CATALOG) == export_text("trades", newest_first, "json", CATALOG)
    row = read_csv(export_text("trades", kept, "csv", CATALOG))[0]
    assert Decimal(row["trade_price"]) == Decimal(price) and Decimal(row["trade_qty"]) == Decimal(qty)
    assert Decimal(row["trade_fee_rate"]) == Decimal(rate)
    record = json.loads(export_text("trades", kept, "json", CATALOG))[0]
    assert record["match_id"] == models[2].match_id and record["time_ns"] == str(models[2].timestamp)


def test_exact_wire_strings_in_the_export():
    store = trades_store(CATALOG)
    store.upsert([trade(1)])
    row = read_csv(export_text("trades", view_items(store), "csv", CATALOG))[0]
    assert row["trade_price"] == "100000.123456789012" and row["trade_qty"] == "0.00000001"
    assert row["notional"] == "0.00100000123456789012" and row["fee"] == "0.000000500000617283945060"
    assert row["trade_fee_rate"] == "0.0005" and row["client_id"] == "78932725357888855"
    assert row["side"] == "BUY" and row["liq_flag"] == "MAKER" and row["symbol"] == "BTC-PYUSD"


def test_cli_helpers_accept_records():
    records = [TradeCompactor()(trade(i)) for i in (3, 1, 2)]
    assert [t.timestamp for t in in_time_order("trades", since_filter("trades", records, T0 + 2))] == [T0 + 2, T0 + 3]


def test_store_keeps_records_and_keys_match_the_models():
    store = trades_store(CATALOG)
    models = [trade(i) for i in range(5)]
    store.upsert(models)
    assert set(store.items) == {m.key for m in models}  # the app tells new fills by `Trade.key`
    assert all(type(r) is TradeRecord and r.key == k for k, r in store.items.items())
    assert store.newest_timestamp == T0 + 4
    # a fetcher may hand over records it compacted page by page
    more = [store.compact(trade(i)) for i in range(5, 8)]
    assert all(type(r) is TradeRecord for r in more)
    diff = store.upsert(more)
    assert diff.added == [m.key for m in more] and all(store.items[r.key] is r for r in more)


def test_newest_first_batch_is_ordered_and_ingested_in_linear_time():
    store = trades_store(CATALOG, cap=50)
    n = 100_000
    models = [trade(i, ts=T0 + i * 800_000) for i in range(n)]
    newest_first = models[::-1]
    insorts = []
    real_insort = bisect.insort
    bisect.insort = lambda *a, **k: insorts.append(1) or real_insort(*a, **k)
    try:
        diff = store.upsert(newest_first)
    finally:
        bisect.insort = real_insort
    assert store._order == [m.key for m in models]  # ascending (timestamp, key)
    assert store.view == [m.key for m in newest_first[:50]]
    assert diff.added == store.view or set(diff.added) == set(store.view)
    assert store.status_text() == f"showing 50 of {n:,}"
    assert not insorts  # one sort of the batch, not an insort per trade (quadratic in n)
    # then small polls, out of order and overlapping, stay sorted
    store.upsert([trade(n + 1, ts=T0 + 5), trade(n + 2, ts=T0 + n * 800_000), models[7]])
    keys = store._order
    stamps = [(store.items[k].timestamp, k) for k in keys]
    assert stamps == sorted(stamps) and len(keys) == n + 2
    assert store.view[0] == trade(n + 2).key


def test_equal_timestamps_are_ordered_by_key_in_small_and_large_batches():
    for count in (5, 200):
        store = trades_store(CATALOG)
        models = [trade(i, ts=T0) for i in range(count)]
        store.upsert(models[::-1])
        assert store._order == sorted(m.key for m in models)


def test_interleaved_large_batch_merges_into_the_order():
    store = trades_store(CATALOG, cap=10)
    store.upsert([trade(i, ts=T0 + 2 * i) for i in range(100)])
    store.upsert([trade(1000 + i, ts=T0 + 2 * i + 1) for i in range(100)][::-1])
    stamps = [store.items[k].timestamp for k in store._order]
    assert stamps == list(range(T0, T0 + 200))
    assert store.view == [store._order[-1 - i] for i in range(10)]


# --- the 24 h window --------------------------------------------------------------------------------


def test_trades_older_than_the_window_below_the_newest_are_dropped():
    store = trades_store(CATALOG, cap=3)
    assert store.window_ns == NS_PER_DAY == 24 * HOUR
    day1 = [trade(i, ts=T0 + i * HOUR) for i in range(10)]  # T0 .. T0+9h
    store.upsert(day1)
    assert len(store) == 10 and store.status_text() == "showing 3 of 10"
    store.set_filter("BTC")
    store.row(day1[0].key)  # formatted and searched: both caches hold it
    assert day1[0].key in store.rows and day1[0].key in store._search_cache
    store.set_filter("")
    # 26 h later: everything before T0+2h is older than newest - 24 h
    later = trade(100, ts=T0 + 26 * HOUR)
    diff = store.upsert([later])
    assert set(store.items) == {t.key for t in day1[2:]} | {later.key}
    assert store._order == [t.key for t in day1[2:]] + [later.key]
    assert day1[0].key not in store.rows and day1[0].key not in store._search_cache
    assert store.status_text() == "showing 3 of 9" and store.matching == len(store) == store.total == 9
    assert diff.added == [later.key] and diff.removed == [day1[7].key]  # fell off the cap
    assert store.expired == 2 and store.newest_timestamp == T0 + 26 * HOUR
    # the boundary is kept: exactly 24 h below the newest
    assert day1[2].timestamp == store.newest_timestamp - 24 * HOUR and day1[2].key in store.items
    # a filter counts only what is held
    store.set_filter("SELL")
    assert store.status_text() == f"showing 3 of {sum(1 for t in store.items.values() if t.side == 'SELL')}"


def test_expired_rows_in_view_are_removed_and_late_old_trades_not_kept():
    store = trades_store(CATALOG, cap=100)
    old = [trade(i, ts=T0 + i) for i in range(3)]
    store.upsert(old)
    new = trade(50, ts=T0 + 30 * HOUR)
    stale = trade(51, ts=T0 + 5)  # arrives late and is already outside the window
    diff = store.upsert([new, stale])
    assert set(diff.removed) == {t.key for t in old}
    assert diff.added == [new.key]
    assert store.view == [new.key] and list(store.items) == [new.key]
    assert store.status_text() == "showing 1 of 1"


def test_window_can_be_disabled():
    store = trades_store(CATALOG, window_ns=None)
    store.upsert([trade(0, ts=T0), trade(1, ts=T0 + 100 * HOUR)])
    assert len(store) == 2 and store.expired == 0
