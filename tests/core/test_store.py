"""The keyed stores: polls become diffs of formatted cells; sort, filter, cap and de-duplication."""

from decimal import Decimal

from blotter.api.models import Asset, Balances, Instrument, MarketQuote, Order, Trade
from blotter.core.reference import Catalog
from blotter.core.rows import (
    QuoteTracker,
    balance_rows,
    balances_store,
    fee_summary,
    orders_store,
    progress_bar,
    quotes_store,
    trades_store,
)
from blotter.core.store import Cell, Column, KeyedStore

T0 = 1_790_000_000_000_000_000


def catalog() -> Catalog:
    return Catalog.build(
        [
            Instrument.model_validate(
                {
                    "id": "10",
                    "info": {
                        "symbol": "BTC-PYUSD",
                        "price_increment": "0.5",
                        "qty_increment": "0.0001",
                        "base_asset_id": "1",
                        "quote_asset_id": "2",
                    },
                }
            )
        ],
        [Asset.model_validate({"id": "1", "name": "BTC"}), Asset.model_validate({"id": "2", "name": "PYUSD"})],
    )


def order(i: int, *, price="100000.5", qty="0.5", filled="0", status="ACTIVE", ts=None) -> Order:
    return Order.model_validate(
        {
            "id": str(7_000_000_000_000_000_000 + i),
            "status": status,
            "external_id": f"ext-{i}",
            "order_info": {"instrument_id": "10", "side": "BUY" if i % 2 else "SELL", "type": "LIMIT",
                           "tif": "GTC", "price": price, "qty": qty},
            "exeuted_qty": filled,
            "leaves_qty": str(Decimal(qty) - Decimal(filled)),
            "timestamp": str(ts if ts is not None else T0 + i * 1_000_000),
            "update_timestamp": str(T0 + i),
        }
    )


def trade(i: int, ts: int | None = None, match: str | None = None) -> Trade:
    return Trade.model_validate(
        {
            "client_id": "42", "instrument_id": "10", "timestamp": str(ts if ts is not None else T0 + i),
            "side": "BUY", "order_id": f"o{i}", "trade_price": "100000", "trade_qty": "0.01",
            "trade_fee_rate": "0.001", "liq_flag": "MAKER" if i % 2 else "TAKER",
            "match_id": match if match is not None else f"m{i}",
        }
    )


def texts(store, key):
    return [c.text for c in store.row(key)]


def test_added_changed_removed_and_only_changed_cells():
    store = orders_store(catalog())
    diff = store.apply([order(1), order(2), order(3)])
    assert sorted(diff.added) == [order(i).id for i in (1, 2, 3)]
    assert not diff.changed and not diff.removed
    row = texts(store, order(1).id)
    assert row[0] == "BTC-PYUSD" and row[4] == "100,000.5" and row[5] == "0.5000"

    diff = store.apply([order(1, filled="0.2"), order(2)])
    assert diff.added == []
    assert diff.removed == [order(3).id]
    columns = [store.columns[i].key for i in diff.changed[order(1).id]]
    assert columns == ["filled", "progress", "leaves"]
    assert order(2).id not in diff.changed
    assert texts(store, order(1).id)[7] == "▰▰▱▱▱  40%"

    assert not store.apply([order(1, filled="0.2"), order(2)])  # same poll again: empty diff


def test_unchanged_rows_are_not_rendered_again():
    calls = []
    store = KeyedStore(
        [Column("v", "V", 4)], key=lambda x: x[0], render=lambda x: (calls.append(x) or (Cell(str(x[1])),)),
        fingerprint=lambda x: x[1],
    )
    store.apply([("a", 1), ("b", 2)])
    calls.clear()
    diff = store.apply([("a", 1), ("b", 3)])
    assert calls == [("b", 3)]
    assert diff.changed == {"b": (0,)}


def test_sort_by_column_and_reverse_and_missing_values_last():
    store = orders_store(catalog())
    store.apply([order(1, price="3"), order(2, price="1"), order(3, price="2"), order(4, price="10")])
    price = 4
    store.toggle_sort(price)
    assert [store.items[k].price for k in store.view] == [Decimal(1), Decimal(2), Decimal(3), Decimal(10)]
    store.toggle_sort(price)
    assert [store.items[k].price for k in store.view] == [Decimal(10), Decimal(3), Decimal(2), Decimal(1)]
    # a change in the sorted column moves the row; the diff says the view changed
    diff = store.apply([order(1, price="3"), order(2, price="11"), order(3, price="2"), order(4, price="10")])
    assert diff.view_changed and store.view[0] == order(2).id


def test_filter_matches_any_cell_text_case_insensitively():
    store = orders_store(catalog())
    store.apply([order(1), order(2), order(3, status="CANCEL_PENDING")])
    diff = store.set_filter("cancel")
    assert diff.view_changed and store.view == [order(3).id]
    assert store.status_text() == "1 of 3"
    store.set_filter("ext-2")
    assert store.view == [order(2).id]
    # new rows that match appear; others stay hidden
    store.apply([order(1), order(2), order(3), order(12)])
    assert set(store.view) == {order(2).id}
    store.set_filter("")
    assert len(store.view) == 4


def test_trades_deduplicated_by_key_and_newest_first():
    store = trades_store(catalog(), cap=1000)
    diff = store.upsert([trade(1), trade(2), trade(3)])
    assert len(diff.added) == 3
    diff = store.upsert([trade(3), trade(4)])  # overlap at the newest timestamp
    assert diff.added == [trade(4).key]
    assert store.total == 4
    assert store.view[0] == trade(4).key and store.view[-1] == trade(1).key
    assert store.newest_timestamp == T0 + 4
    # a trade without a match id is de-duplicated by its composite key
    loose = trade(9, match="")
    store.upsert([loose, trade(9, match="")])
    assert store.total == 5


def test_trades_display_cap_showing_n_of_m():
    store = trades_store(catalog(), cap=10)
    store.upsert([trade(i) for i in range(25)])
    assert store.shown == 10 and store.total == 25
    assert store.status_text() == "showing 10 of 25"
    assert store.view[0] == trade(24).key
    diff = store.upsert([trade(25)])
    assert diff.added == [trade(25).key] and diff.removed == [trade(15).key]
    store.set_filter("o2")  # o2, o20..o25
    assert store.status_text() == "showing 7 of 7"


def test_trades_out_of_order_backfill_sorted_by_time():
    store = trades_store(catalog())
    store.upsert([trade(5), trade(1), trade(3)])
    store.upsert([trade(2)])
    assert store.view == [trade(i).key for i in (5, 3, 2, 1)]


def test_trades_first_view_formats_only_the_cap():
    formatted = []
    store = trades_store(catalog(), cap=1000)
    render = store._render
    store._render = lambda t: formatted.append(t.key) or render(t)
    store.upsert([trade(i) for i in range(100_000)])
    assert store.shown == 1000
    assert len(store.rows) == 1000 and len(formatted) == 1000  # only the rows in view were formatted


def test_balances_rows_and_fee_summary():
    entity = Balances.model_validate(
        {"id": "42", "unsettled_fees": "1.5", "fees_hold": "2.25",
         "balances": [{"asset_id": "1", "balance": "2", "order_hold": "0.5", "transfer_hold": "0.25", "unsettled": "0.1"},
                      {"asset_id": "2", "balance": "100000", "order_hold": "100"}]}
    )
    store = balances_store(catalog())
    store.apply(balance_rows([entity]))
    btc = texts(store, "42:1")
    assert btc == ["BTC", "2.0000", "unknown", "1.2500", "0.7500", "0.1000"]  # not valued: no quotes given
    # no increment for PYUSD: shown as sent, aligned to the most decimals seen, never rounded
    assert [texts(store, "42:2")[i] for i in (0, 1, 3)] == ["PYUSD", "100,000", "99,900"]
    assert fee_summary([entity]) == "fees hold 2.25 · unsettled fees 1.50"


def quote(bid, ask, last="100"):
    return MarketQuote.model_validate(
        {"id": "10", "symbol": "BTC-PYUSD", "info": {
            "best_bid": {"price": bid, "qty": "1"}, "best_ask": {"price": ask, "qty": "2"},
            "last_trade": {"price": last, "qty": "0.1"}}}
    )


def test_quote_moves_marked_for_one_poll():
    tracker, store = QuoteTracker(), quotes_store(catalog())
    store.apply(tracker.rows([quote("100", "101")]))
    row = store.row("10")
    assert row[2] == Cell("100.0 ", "", Decimal("100"))
    assert row[5].text == "1.0" and row[6].text.endswith("bp")
    store.apply(tracker.rows([quote("100.5", "100.5", "99")]))
    row = store.row("10")
    assert (row[2].text, row[2].style) == ("100.5▲", "up")
    assert (row[3].text, row[3].style) == ("100.5▼", "down")
    assert row[7].style == "down"
    diff = store.apply(tracker.rows([quote("100.5", "100.5", "99")]))
    assert store.row("10")[2].style == "" and set(diff.changed["10"]) == {2, 3, 7}


def test_progress_bar_reads_without_colour():
    assert progress_bar(Decimal("1"), Decimal("1")).text == "▰▰▰▰▰ 100%"
    assert progress_bar(Decimal("0"), Decimal("3")).text == "▱▱▱▱▱   0%"
    assert progress_bar(Decimal("0"), None).text == ""


def test_apply_5000_orders_with_1_percent_changed_renders_only_the_changed_rows():
    rendered = []
    store = orders_store(catalog())
    render = store._render
    store._render = lambda o: rendered.append(o.id) or render(o)
    first = [order(i) for i in range(5000)]
    store.apply(first)
    second = [o if i % 100 else order(i, filled="0.1") for i, o in enumerate(first)]
    for attempt in range(3):
        rendered.clear()
        polled = [o.model_copy() for o in (second if attempt % 2 == 0 else first)]
        diff = store.apply(polled)
        assert len(diff.changed) == 50 and len(rendered) == 50  # the cost figure itself is in `make bench`
