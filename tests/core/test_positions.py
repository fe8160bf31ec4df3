"""core.positions: average-cost positions and P&L from the trader's fills, worked by hand; the window;
balances valued at mid; the positions pane's rows. Every expected amount is worked in a comment."""

import os
import random
from decimal import Decimal

import pytest

from blotter.api import ConfigError
from blotter.api.models import NS_PER_DAY, NS_PER_SECOND, Asset, Balances, Instrument, MarketQuote, Trade
from blotter.config import load_settings
from blotter.core.positions import (
    METHOD,
    POSITION_COLUMNS,
    PositionBook,
    Position,
    ValueChange,
    balance_values,
    day_window,
    positions,
    positions_store,
    totals,
)
from blotter.core.reference import Catalog
from blotter.core.rows import QuoteTracker, balance_rows
from blotter.core.trade_records import TradeCompactor

D = Decimal
T0 = 1_790_000_000_000_000_000  # 2026-09-21 14:13:20 UTC
MINUTE = 60 * NS_PER_SECOND
HOUR = 60 * MINUTE
ME, OTHER = "78932725357888855", "11111111111111111"
BTC, ETH, USD, PYUSD = "1", "2", "8", "9"
BTC_PYUSD, ETH_PYUSD, BTC_USD = "10", "20", "40"


def instrument(id_, symbol, base, quote, price_increment=None, qty_increment=None):
    info = {"symbol": symbol, "base_asset_id": base, "quote_asset_id": quote}
    if price_increment:
        info |= {"price_increment": price_increment, "qty_increment": qty_increment}
    return Instrument.model_validate({"id": id_, "info": info})


def catalog() -> Catalog:
    return Catalog.build(
        [
            instrument(BTC_PYUSD, "BTC-PYUSD", BTC, PYUSD, "0.5", "0.0001"),
            instrument(ETH_PYUSD, "ETH-PYUSD", ETH, PYUSD),
            instrument(BTC_USD, "BTC-USD", BTC, USD),
        ],
        [Asset.model_validate({"id": a, "name": n}) for a, n in ((BTC, "BTC"), (ETH, "ETH"), (USD, "USD"),
                                                               (PYUSD, "PYUSD"), ("5", "SOL"))],
    )


_counter = iter(range(1, 1_000_000))


def fill(side, price, qty, *, instrument=BTC_PYUSD, rate="0", at=None, client=ME, liq="MAKER", **over) -> Trade:
    i = next(_counter)
    data = {
        "client_id": client, "instrument_id": instrument, "timestamp": str(T0 + i if at is None else at),
        "side": side, "order_id": str(7_000_000_000_000_000_000 + i), "trade_price": price, "trade_qty": qty,
        "trade_fee_rate": rate, "liq_flag": liq, "match_id": f"m{i}",
    }
    data.update(over)
    return Trade.model_validate(data)


def quote(instrument_id, bid, ask) -> MarketQuote:
    info = {}
    if bid is not None:
        info["best_bid"] = {"price": bid, "qty": "1"}
    if ask is not None:
        info["best_ask"] = {"price": ask, "qty": "1"}
    return MarketQuote.model_validate({"id": instrument_id, "info": info})


def one(trades, quotes=(), **kw) -> Position:
    found = positions(trades, quotes, catalog(), **kw)
    assert len(found) == 1
    return found[0]


# --- the method, by hand ------------------------------------------------------------------------


def test_the_method_is_stated_for_the_help_text():
    assert "Average cost" in METHOD and "unknown" in METHOD and "mid" in METHOD


def test_buys_only():
    trades = [fill("BUY", "100", "1", rate="0.001"), fill("BUY", "104", "3", rate="0.001")]
    p = one(trades, [quote(BTC_PYUSD, "105", "106")])
    # avg cost = (1 × 100 + 3 × 104) / 4 = 412 / 4 = 103; nothing sold, nothing realized
    assert (p.net_qty, p.avg_cost, p.realized) == (D("4"), D("103"), D("0"))
    # mid = (105 + 106) / 2 = 105.5; unrealized = 4 × (105.5 − 103) = 10
    assert (p.mid, p.unrealized) == (D("105.5"), D("10"))
    # fees = 0.001 × 100 + 0.001 × 312 = 0.1 + 0.312 = 0.412; total = 0 + 10 − 0.412 = 9.588
    assert (p.fees, p.fees_complete, p.total) == (D("0.412"), True, D("9.588"))
    assert (p.bought_qty, p.avg_buy, p.sold_qty, p.avg_sell) == (D("4"), D("103"), D("0"), None)
    assert (p.fills, p.notional, p.quote_asset_id, p.approximate) == (2, D("412"), PYUSD, frozenset())


def test_partial_close_of_a_long():
    trades = [fill("BUY", "100", "2"), fill("SELL", "110", "0.5")]
    p = one(trades, [quote(BTC_PYUSD, "119", "121")])
    # realized = (110 − 100) × 0.5 = 5; 1.5 left at the same average cost 100
    assert (p.realized, p.net_qty, p.avg_cost) == (D("5"), D("1.5"), D("100"))
    # mid = 120; unrealized = 1.5 × (120 − 100) = 30; total = 5 + 30 − 0 = 35
    assert (p.unrealized, p.total) == (D("30"), D("35"))
    # notional = 2 × 100 + 0.5 × 110 = 200 + 55 = 255
    assert (p.avg_sell, p.notional, p.fills) == (D("110"), D("255"), 2)


def test_full_close_is_flat_and_needs_no_quote():
    p = one([fill("BUY", "100", "2"), fill("SELL", "90", "2")])  # no quote at all
    # realized = (90 − 100) × 2 = −20; flat: no average cost, nothing open to value (0, known)
    assert (p.net_qty, p.avg_cost, p.realized, p.unrealized, p.total) == (D("0"), None, D("-20"), D("0"), D("-20"))
    assert p.mid is None


def test_flip_long_to_short_and_back():
    book = PositionBook(catalog())
    book.set_quotes([quote(BTC_PYUSD, "105.5", "106.5")])  # mid 106
    book.add([fill("BUY", "100", "1")])
    book.add([fill("SELL", "110", "3")])
    p = book.position(BTC_PYUSD)
    # the sell closes the long 1: realized (110 − 100) × 1 = 10; the other 2 open a short at 110
    assert (p.net_qty, p.avg_cost, p.realized) == (D("-2"), D("110"), D("10"))
    # unrealized of the short = −2 × (106 − 110) = 8
    assert p.unrealized == D("8")
    book.add([fill("BUY", "105", "5")])
    p = book.position(BTC_PYUSD)
    # the buy covers the short 2: realized (110 − 105) × 2 = 10, 20 in all; 3 open long at 105
    assert (p.net_qty, p.avg_cost, p.realized) == (D("3"), D("105"), D("20"))
    # unrealized = 3 × (106 − 105) = 3; total = 23
    assert (p.unrealized, p.total) == (D("3"), D("23"))
    # bought 6 for 100 + 525 = 625: avg buy 625 / 6 = 104.1666… (does not terminate: 18 decimals, marked)
    assert (p.bought_qty, p.avg_buy, p.sold_qty, p.avg_sell) == (D("6"), D("104.166666666666666667"), D("3"), D("110"))
    assert p.approximate == {"avg_buy"}


def test_short_opened_and_covered_at_a_loss():
    book = PositionBook(catalog())
    book.set_quotes([quote(BTC_PYUSD, "51", "53")])  # mid 52
    book.add([fill("SELL", "50", "2"), fill("BUY", "55", "1")])
    p = book.position(BTC_PYUSD)
    # short 2 at 50, 1 covered at 55: realized (50 − 55) × 1 = −5; short 1 left at 50
    # unrealized = −1 × (52 − 50) = −2; total = −5 − 2 = −7
    assert (p.net_qty, p.avg_cost, p.realized, p.unrealized, p.total) == (D("-1"), D("50"), D("-5"), D("-2"), D("-7"))
    book.add([fill("BUY", "56", "1")])
    p = book.position(BTC_PYUSD)
    # the last 1 covered at 56: (50 − 56) × 1 = −6; realized −11, flat
    assert (p.net_qty, p.realized, p.unrealized, p.total, p.avg_cost) == (D("0"), D("-11"), D("0"), D("-11"), None)


def test_a_division_that_does_not_end_is_rounded_once_and_never_accumulates():
    book = PositionBook(catalog())
    book.set_quotes([quote(BTC_PYUSD, "103", "104")])  # mid 103.5
    book.add([fill("BUY", "100", "1"), fill("BUY", "101", "2"), fill("SELL", "102", "1")])
    p = book.position(BTC_PYUSD)
    # avg cost = 302 / 3 = 100.666…: the sell releases 302 × 1/3 = 100.666666666666666667 (18 decimals,
    # half-even); realized = 102 − 100.666666666666666667 = 1.333333333333333333
    assert p.realized == D("1.333333333333333333")
    assert {"realized", "unrealized", "avg_cost"} <= p.approximate
    # realized + unrealized is exact regardless: cash −302 + 102 = −200, plus 2 × 103.5 = 207 → 7
    assert p.realized + p.unrealized == D("7") and p.total == D("7") and "total" not in p.approximate
    book.add([fill("SELL", "104", "2")])
    p = book.position(BTC_PYUSD)
    # flat: realized is the cash flow exactly, 102 + 208 − 302 = 8, with no trace of the rounding
    # (only the averages 302 / 3 and 310 / 3 stay rounded)
    assert (p.realized, p.net_qty, p.approximate) == (D("8"), D("0"), frozenset({"avg_buy", "avg_sell"}))


def test_amounts_stay_exact_beyond_the_default_28_digits():
    # 123456789.123456789 × 1.000000000000000001 has 37 significant digits: the default context would round
    p = one([fill("BUY", "123456789.123456789", "1.000000000000000001", rate="0.0001")],
            [quote(BTC_PYUSD, "123456790.123456789", "123456790.123456789")])
    assert p.notional == D("123456789.123456789123456789123456789")
    assert p.fees == D("12345.6789123456789123456789123456789")
    # unrealized = 1.000000000000000001 × (123456790.123456789 − 123456789.123456789) = 1.000000000000000001
    assert p.unrealized == D("1.000000000000000001")
    # total = 1.000000000000000001 − 12345.6789123456789123456789123456789, digit by digit (the default
    # context, 28 digits, would give −12344.67891234567891234467891 instead)
    assert p.total == D("-12344.6789123456789123446789123456789")


def test_several_instruments_and_two_quote_assets():
    trades = [
        fill("BUY", "100", "1", instrument=BTC_PYUSD, rate="0.01"),  # fee 1
        fill("SELL", "20", "5", instrument=ETH_PYUSD, rate="0.01"),  # fee 1
        fill("BUY", "98", "2", instrument=BTC_USD, rate="0.005"),  # fee 0.98
        fill("SELL", "99", "1", instrument=BTC_USD, rate="0.005"),  # fee 0.495
    ]
    quotes = [quote(BTC_PYUSD, "101", "103"), quote(ETH_PYUSD, "18", "19"), quote(BTC_USD, "100", "100")]
    found = positions(trades, quotes, catalog())
    # ordered by quote asset name (PYUSD before USD), then symbol
    assert [p.instrument_id for p in found] == [BTC_PYUSD, ETH_PYUSD, BTC_USD]
    btc, eth, btc_usd = found
    assert (btc.unrealized, btc.total) == (D("2"), D("1"))  # 1 × (102 − 100) − fee 1
    assert (eth.unrealized, eth.total) == (D("7.5"), D("6.5"))  # −5 × (18.5 − 20) − fee 1
    # BTC-USD: realized (99 − 98) × 1 = 1; 1 left at 98, mid 100: unrealized 2; fees 1.475; total 1.525
    assert (btc_usd.realized, btc_usd.unrealized, btc_usd.fees, btc_usd.total) == (
        D("1"), D("2"), D("1.475"), D("1.525"))
    pyusd, usd = totals(found)
    assert (pyusd.key, pyusd.quote_asset_id, pyusd.instruments, pyusd.fills) == ("total:9", PYUSD, 2, 2)
    # PYUSD: realized 0, unrealized 2 + 7.5 = 9.5, fees 2, total 7.5, notional 100 + 100 = 200
    assert (pyusd.realized, pyusd.unrealized, pyusd.fees, pyusd.total, pyusd.notional) == (
        D("0"), D("9.5"), D("2"), D("7.5"), D("200"))
    # USD: the one instrument's figures; notional 196 + 99 = 295
    assert (usd.key, usd.realized, usd.unrealized, usd.fees, usd.total, usd.notional, usd.fills) == (
        "total:8", D("1"), D("2"), D("1.475"), D("1.525"), D("295"), 2)


def test_fees_from_maker_and_taker_rates_and_a_fill_without_one():
    trades = [
        fill("BUY", "100", "2", rate="0.0002", liq="MAKER"),  # 200 × 0.0002 = 0.04
        fill("SELL", "110", "1", rate="0.0005", liq="TAKER"),  # 110 × 0.0005 = 0.055
    ]
    q = [quote(BTC_PYUSD, "110", "110")]
    p = one(trades, q)
    # realized 10, unrealized 1 × (110 − 100) = 10, fees 0.095: total 19.905
    assert (p.fees, p.fees_complete, p.total) == (D("0.095"), True, D("19.905"))
    p = one([*trades, fill("BUY", "110", "1", rate=None)], q)
    # the fee of the third fill is unknown: the fees known stay 0.095 and say they are incomplete;
    # the total cannot be known; realized and unrealized still are
    assert (p.fees, p.fees_complete, p.total) == (D("0.095"), False, None)
    assert (p.realized, p.unrealized) == (D("10"), D("10"))  # 2 long at (100 + 110)/2 = 105, mid 110
    (total,) = totals([p])
    assert (total.fees, total.fees_complete, total.total) == (D("0.095"), False, None)


def test_no_quote_yet_is_unknown_not_zero():
    book = PositionBook(catalog())
    book.add([fill("BUY", "100", "1")])
    p = book.position(BTC_PYUSD)
    assert (p.unrealized, p.total, p.mid) == (None, None, None)
    assert p.realized == D("0")
    (total,) = book.totals()
    assert (total.unrealized, total.total, total.unknown) == (None, None, (BTC_PYUSD,))
    assert book.set_quotes([quote(BTC_PYUSD, "101", "103")]) == {BTC_PYUSD}
    assert book.position(BTC_PYUSD).unrealized == D("2")
    assert book.set_quotes([quote(BTC_PYUSD, "101", "103")]) == set()  # unchanged mid: nothing to redo
    assert book.set_quotes([]) == {BTC_PYUSD}  # the quote went away: unknown again
    assert book.position(BTC_PYUSD).unrealized is None


@pytest.mark.parametrize("bid,ask", [("101", None), (None, "103"),
                                     ("-170141183460469231731.687303715884105728", "103"), ("0", "103")])
def test_an_empty_book_side_leaves_unrealized_unknown(bid, ask):
    p = one([fill("BUY", "100", "1")], [quote(BTC_PYUSD, bid, ask)])
    assert (p.unrealized, p.total, p.mid) == (None, None, None)


def test_out_of_order_and_incremental_give_the_same_result_as_all_at_once():
    trades = [fill(side, price, qty, rate="0.0003", at=T0 + 10 * i)
              for i, (side, price, qty) in enumerate([
                  ("BUY", "100", "1"), ("BUY", "101", "2"), ("SELL", "103", "1.5"), ("SELL", "99", "4"),
                  ("BUY", "98", "0.25"), ("BUY", "97.5", "3"), ("SELL", "100.5", "0.75"), ("BUY", "101", "1")])]
    quotes = [quote(BTC_PYUSD, "100", "100.5")]
    expected = positions(trades, quotes, catalog())
    for seed in range(5):
        shuffled = trades[:]
        random.Random(seed).shuffle(shuffled)
        assert positions(shuffled, quotes, catalog()) == expected
        book = PositionBook(catalog())
        book.set_quotes(quotes)
        for start in range(0, len(shuffled), 3):
            book.add(shuffled[start:start + 3])
        assert book.positions() == expected
    newest_first = PositionBook(catalog())
    newest_first.set_quotes(quotes)
    for trade in reversed(trades):  # each one older than everything applied: the instrument replays
        assert newest_first.add([trade]) == {BTC_PYUSD}
    assert newest_first.positions() == expected
    # a same-timestamp tie is ordered by key, whatever the order of arrival
    tie = [fill("BUY", "100", "1", at=T0, match_id="b"), fill("SELL", "90", "2", at=T0, match_id="a")]
    assert positions(tie, quotes, catalog()) == positions(tie[::-1], quotes, catalog())


def test_duplicates_are_ignored_and_records_count_like_models():
    trades = [fill("BUY", "100", "1"), fill("SELL", "105", "0.5")]
    book = PositionBook(catalog())
    assert book.add(trades) == {BTC_PYUSD}
    assert book.add(trades) == set()  # the same keys again
    compact = TradeCompactor()
    assert book.add([compact(t) for t in trades]) == set()  # the store's records share the keys
    assert book.position(BTC_PYUSD).fills == 2
    records = positions([compact(t) for t in trades], [quote(BTC_PYUSD, "110", "110")], catalog())
    assert records == positions(trades, [quote(BTC_PYUSD, "110", "110")], catalog())


def test_only_the_clients_own_fills_count():
    trades = [fill("BUY", "100", "1"), fill("BUY", "200", "5", client=OTHER), fill("BUY", "102", "1", client=None)]
    p = one(trades, client_ids=[ME])
    # the other client's fill is left out; a fill naming no client counts (as the orders pane counts an
    # order without one): 2 at (100 + 102) / 2 = 101
    assert (p.net_qty, p.avg_cost, p.fills) == (D("2"), D("101"), 2)
    assert one(trades).fills == 3  # no filter: every fill


def test_a_fill_that_cannot_be_read_is_counted_as_such_not_guessed():
    trades = [fill("BUY", "100", "1"), fill("BUY", "abc", "1"), fill("SIDEWAYS", "100", "1"), fill("BUY", "100", "0")]
    p = one(trades)
    assert (p.fills, p.unreadable_fills, p.net_qty) == (1, 3, D("1"))
    book = PositionBook(catalog())
    book.add([fill("BUY", "100", "1", instrument=None)])
    assert book.unattributed == 1 and book.positions() == []


# --- the window ---------------------------------------------------------------------------------


def test_the_window_starts_at_the_latest_day_start():
    at_1413 = T0  # 14:13:20 UTC
    w = day_window(at_1413, "08:00")
    assert w.start_ns == T0 - (6 * HOUR + 13 * MINUTE + 20 * NS_PER_SECOND)  # 08:00 today
    assert (w.title, w.note, w.incomplete) == ("since 08:00 UTC", None, False)
    w = day_window(at_1413, "22:30")  # not yet today: yesterday's
    assert w.start_ns == T0 + 8 * HOUR + 16 * MINUTE + 40 * NS_PER_SECOND - NS_PER_DAY
    assert w.title == "since 22:30 UTC yesterday"
    assert day_window(at_1413).title == "since 00:00 UTC"
    assert day_window(T0 - T0 % NS_PER_DAY, "00:00").start_ns == T0 - T0 % NS_PER_DAY  # exactly at midnight


def test_a_later_since_moves_the_start_and_an_earlier_one_does_not():
    w = day_window(T0, "08:00", since_ns=T0 - HOUR)
    assert w.start_ns == T0 - HOUR and w.title == "since 13:13:20 UTC" and w.note is None
    assert day_window(T0, "08:00", since_ns=T0 - 2 * NS_PER_DAY).start_ns == day_window(T0, "08:00").start_ns


def test_a_window_before_the_trades_known_says_so():
    # the trades cover only from 10:00 (e.g. a backfill that began there): the 08:00 day start is earlier
    known = T0 - 4 * HOUR - 13 * MINUTE - 20 * NS_PER_SECOND
    w = day_window(T0, "08:00", known_from_ns=known)
    assert (w.start_ns, w.incomplete, w.note) == (known, True, "fills before 10:00 UTC are not known")
    # the day start later than what is known: nothing more to say
    assert day_window(T0, "12:00", known_from_ns=known).note is None


def test_fills_before_the_window_are_not_counted():
    start = day_window(T0, "08:00").start_ns
    trades = [fill("BUY", "50", "10", at=start - 1), fill("BUY", "100", "1", at=start), fill("SELL", "110", "1", at=T0)]
    p = one(trades, since_ns=start)
    # only the buy at 08:00 and the sell: realized (110 − 100) × 1 = 10, flat
    assert (p.fills, p.realized, p.net_qty, p.since_ns) == (2, D("10"), D("0"), start)


def test_the_day_rolls_in_the_book():
    book = PositionBook(catalog())
    book.set_window(day_window(T0 - 2 * HOUR, "13:00"))  # 12:13: since 13:00 yesterday
    early, late = fill("BUY", "100", "1", at=T0 - 2 * HOUR), fill("BUY", "104", "1", at=T0)
    book.add([early, late])
    assert book.position(BTC_PYUSD).avg_cost == D("102")  # (100 + 104) / 2
    assert book.set_window(day_window(T0, "13:00")) == {BTC_PYUSD}  # 14:13: since 13:00 today
    assert book.window.title == "since 13:00 UTC"
    assert (book.position(BTC_PYUSD).fills, book.position(BTC_PYUSD).avg_cost) == (1, D("104"))
    book.set_since(T0 + 1)  # no fill left: the instrument leaves
    assert book.positions() == [] and book.rows() == []


# --- the setting --------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("TRUEX_", "BLOTTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "absent.toml"))
    return monkeypatch


def test_day_start_setting(clean_env, tmp_path):
    assert load_settings().day_start == "00:00"
    clean_env.setenv("TRUEX_DAY_START", "8:30")
    assert load_settings().day_start == "08:30"
    for bad in ("24:00", "12:60", "noon", "12"):
        clean_env.setenv("TRUEX_DAY_START", bad)
        with pytest.raises(ConfigError, match=r"day_start \(TRUEX_DAY_START\) must be HH:MM"):
            load_settings()
    clean_env.delenv("TRUEX_DAY_START")
    path = tmp_path / "c.toml"
    path.write_text('default_profile = "p"\n[profiles.p]\nday_start = 22:00:00\n')  # a TOML time, unquoted
    assert load_settings(config_path=path).day_start == "22:00"


def test_starter_config_mentions_day_start_commented():
    import tomllib

    from blotter.cli import STARTER_CONFIG

    assert '# day_start = "00:00"' in STARTER_CONFIG
    assert "day_start" not in tomllib.loads(STARTER_CONFIG)["profiles"]["uat"]


# --- balances at mid ----------------------------------------------------------------------------


def entity(lines, client=ME) -> Balances:
    return Balances.model_validate({"id": client, "balances": [
        {"asset_id": a, **({"balance": b} if b is not None else {})} for a, b in lines]})


def test_balances_valued_at_mid_with_the_unknown_listed():
    quotes = [quote(BTC_PYUSD, "100", "101"), quote(ETH_PYUSD, "20", None)]
    valuation = balance_values([entity([(BTC, "2"), (PYUSD, "1000.50"), (ETH, "3"), (USD, "0"), ("5", "7"),
                                        ("6", None)])], quotes, catalog())
    assert valuation.quote_asset_id == PYUSD  # most instruments are quoted in it
    by_asset = {v.asset_id: v for v in valuation.lines}
    assert (by_asset[BTC].value, by_asset[BTC].mid, by_asset[BTC].instrument_id) == (D("201"), D("100.5"), BTC_PYUSD)
    assert by_asset[PYUSD].value == D("1000.50")  # the quote asset itself: its balance
    assert (by_asset[ETH].value, by_asset[ETH].reason) == (None, "empty book side")
    assert by_asset[USD].value == D("0")  # nothing held is worth nothing at any price
    assert (by_asset["5"].value, by_asset["5"].reason) == (None, "no instrument")  # no SOL-PYUSD
    assert (by_asset["6"].value, by_asset["6"].reason) == (None, "no balance")
    # total of the known: 201 + 1000.50 + 0 = 1201.50, with ETH, SOL and the unreadable line listed
    assert (valuation.total, valuation.unknown, valuation.complete) == (D("1201.50"), (ETH, "5", "6"), False)
    assert valuation.value_of(f"{ME}:{BTC}").value == D("201")
    assert balance_values(balance_rows([entity([(BTC, "2")])]), [], catalog()).lines[0].reason == "no quote"
    # in USD instead: BTC-USD has no quote yet, the PYUSD balance has no USD instrument
    in_usd = balance_values([entity([(BTC, "2"), (PYUSD, "5"), (USD, "3")])], quotes, catalog(), USD)
    assert (in_usd.total, in_usd.unknown) == (D("3"), (BTC, PYUSD))


def test_the_change_of_the_total_since_start():
    change = ValueChange()
    lines = entity([(BTC, "2"), (PYUSD, "1000"), (ETH, "3")])
    first = change.update(balance_values([lines], [quote(BTC_PYUSD, "100", "101")], catalog()))
    assert (first.change, first.total, first.excluded) == (D("0"), D("1201"), (ETH,))
    assert first.text(catalog()) == "0 PYUSD since start (without ETH)"
    # BTC's mid moves 100.5 → 110.5: 2 × 10 = +20; ETH's quote arrives: valued from now on, not a change
    later = change.update(balance_values([lines], [quote(BTC_PYUSD, "110", "111"), quote(ETH_PYUSD, "20", "21")],
                                         catalog()))
    assert (later.change, later.total, later.excluded) == (D("20"), D("1221") + D("61.5"), ())
    assert later.text(catalog()) == "+20 PYUSD since start"
    # a withdrawal of 500 PYUSD is a change too
    after = change.update(balance_values([entity([(BTC, "2"), (PYUSD, "500"), (ETH, "3")])],
                                         [quote(BTC_PYUSD, "110", "111"), quote(ETH_PYUSD, "20", "21")], catalog()))
    assert after.change == D("-480")


# --- the pane -----------------------------------------------------------------------------------


def test_columns_are_declared_like_the_other_panes():
    assert [c.label for c in POSITION_COLUMNS] == [
        "Symbol", "Client", "Net qty", "Total", "Unrealized", "Realized", "Fees", "Avg cost", "Bought", "Avg buy",
        "Sold", "Avg sell", "Fills", "Notional"]  # what a narrow pane keeps first: the net and the P&L
    assert POSITION_COLUMNS[0].frozen and all(c.kind == "number" for c in POSITION_COLUMNS[2:])
    assert {c.label for c in POSITION_COLUMNS if c.priority == 0} == {
        "Symbol", "Net qty", "Realized", "Unrealized", "Total"}


def _one_client(store, key):
    """The row's cells but the Client column's (these positions are of one client: it is blank)."""
    cells = [cell for column, cell in zip(POSITION_COLUMNS, store.rows[key], strict=True) if column.key != "client"]
    assert store.rows[key][1].text == ""
    return cells


def texts(store, key):
    return [cell.text for cell in _one_client(store, key)]


def styles(store, key):
    return [cell.style for cell in _one_client(store, key)]


TOTAL = next(i for i, c in enumerate(POSITION_COLUMNS) if c.key == "total")


def test_store_rows_exact_text_unknown_cells_and_totals():
    cat = catalog()
    book = PositionBook(cat)
    book.add([
        fill("BUY", "100000", "0.5", rate="0.0004"),  # fee 20
        fill("SELL", "100100.5", "0.2", rate="0.0004"),  # 20020.1 × 0.0004 = 8.00804; realized 100.5 × 0.2 = 20.1
        fill("SELL", "2000", "3", instrument=ETH_PYUSD, rate=None),  # fee unknown; no quote: unknown
        fill("BUY", "30000", "1", instrument=BTC_USD, rate="0.001"),  # fee 30
    ])
    book.set_quotes([quote(BTC_PYUSD, "99000", "99001"), quote(BTC_USD, "29000", "29000")])
    store = positions_store(cat)
    diff = store.apply(book.rows())
    assert set(diff.added) == {BTC_PYUSD, ETH_PYUSD, BTC_USD, "total:9", "total:8"}
    # BTC-PYUSD: 0.3 left at 100000; mid 99000.5: unrealized 0.3 × −999.5 = −299.85; fees 20 + 8.00804 =
    # 28.00804; total 20.1 − 299.85 − 28.00804 = −307.75804; notional 50000 + 20020.1 = 70020.1.
    # Quantities align to the qty increment (4), prices to the price increment (1), the P&L column of PYUSD
    # to the most decimals it shows (5): zeros added, nothing rounded
    assert texts(store, BTC_PYUSD) == [
        "BTC-PYUSD", "+0.3000", "-307.75804", "-299.85000", "+20.10000", "28.00804", "100,000.0", "0.5000",
        "100,000.0", "0.2000", "100,100.5", "2", "70,020.1"]
    assert styles(store, BTC_PYUSD)[1:7] == ["buy", "down", "down", "up", "", ""]
    # ETH-PYUSD: short 3 at 2000, no quote, its one fee unknown
    assert texts(store, ETH_PYUSD) == [
        "ETH-PYUSD", "-3", "unknown", "unknown", "0.00000", "unknown", "2,000", "0", "", "3", "2,000", "1", "6,000.0"]
    assert styles(store, ETH_PYUSD)[1:7] == ["sell", "unknown", "unknown", "", "unknown", ""]
    # PYUSD total: realized 20.1, unrealized unknown (ETH's), fees 28.00804 + ETH's unknown, total unknown;
    # notional 70020.1 + 6000 = 76020.1
    assert texts(store, "total:9") == [
        "Total PYUSD", "", "unknown", "unknown", "+20.10000", "28.00804 + unknown", "", "", "", "", "", "3",
        "76,020.1"]
    # USD total: 1 at 30000, mid 29000: −1000 − fee 30 = −1030
    assert texts(store, "total:8") == [
        "Total USD", "", "-1,030", "-1,000", "0", "30", "", "", "", "", "", "1", "30,000"]
    # positions by quote asset then symbol, the totals last whatever the sort
    assert store.view == [BTC_PYUSD, ETH_PYUSD, BTC_USD, "total:9", "total:8"]
    store.set_sort(TOTAL, reverse=True)  # by total, highest first (the store puts unknown first then)
    assert store.view == [ETH_PYUSD, BTC_PYUSD, BTC_USD, "total:9", "total:8"]
    store.set_sort(TOTAL)
    assert store.view == [BTC_USD, BTC_PYUSD, ETH_PYUSD, "total:8", "total:9"]
    # a quote for ETH arrives: only the ETH row and the PYUSD total change
    book.set_quotes([quote(BTC_PYUSD, "99000", "99001"), quote(BTC_USD, "29000", "29000"),
                     quote(ETH_PYUSD, "1999", "2001")])
    diff = store.apply(book.rows())
    assert set(diff.changed) == {ETH_PYUSD, "total:9"} and not diff.added and not diff.removed
    assert texts(store, ETH_PYUSD)[3] == "0.00000"  # −3 × (2000 − 2000), aligned


def test_rounded_values_are_marked_and_shown_to_8_decimals():
    store = positions_store(catalog())
    book = PositionBook(catalog())
    book.add([fill("BUY", "100", "1"), fill("BUY", "101", "2"), fill("SELL", "102", "1")])
    book.set_quotes([quote(BTC_PYUSD, "103", "104")])
    store.apply(book.rows())
    row = texts(store, BTC_PYUSD)
    # avg cost 100.666666666666666666 → ≈100.66666667; realized 1.333333333333333333 → ≈+1.33333333;
    # unrealized 5.666666666666666667 → ≈+5.66666667; the total, 7, is exact
    assert [row[6], row[4], row[3]] == ["≈100.66666667", "≈+1.33333333", "≈+5.66666667"]  # avg, realized, unrealized
    assert row[2] == "+7.00000000"  # aligned with the column's 8 decimals, not rounded
    assert row[8] == "≈100.66666667"  # avg buy 302 / 3


def test_unreadable_fills_mark_the_row():
    store = positions_store(catalog())
    store.apply(positions([fill("BUY", "100", "1"), fill("BUY", "abc", "1")], [], catalog()))
    assert _one_client(store, BTC_PYUSD)[11] == ("1 +1?", "unreadable", 1)
    assert store.unreadable == {BTC_PYUSD}


def test_quote_rows_and_mappings_are_accepted_as_quotes():
    q = quote(BTC_PYUSD, "101", "103")
    trades = [fill("BUY", "100", "1")]
    expected = positions(trades, [q], catalog())
    assert positions(trades, QuoteTracker().rows([q]), catalog()) == expected
    assert positions(trades, {BTC_PYUSD: q}, catalog()) == expected


def test_a_labelled_book_names_its_client_and_keys_its_rows_by_it():
    book = PositionBook(catalog(), label=ME)
    book.add([fill("BUY", "100", "1")])
    store = positions_store(catalog())
    store.apply(book.rows())
    assert store.view == [f"{ME}:{BTC_PYUSD}", f"total:{ME}:{PYUSD}"]
    assert store.rows[f"{ME}:{BTC_PYUSD}"][1].text == ME
