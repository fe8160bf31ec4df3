"""DepthBook and Tape, fed with parsed stream messages."""

from __future__ import annotations

import json
from decimal import Decimal

from blotter.api.stream_models import DepthMessage, TradeMessage, parse_message
from blotter.core.book import DepthBook, Level, Tape

SYMBOL = "BTC-PYUSD"
BID_SENTINEL = "-170141183460469231731.687303715884105728"
ASK_SENTINEL = "170141183460469231731.687303715884105727"


def depth(update: str, seqnum: int, bids=(), asks=(), symbol: str = SYMBOL) -> DepthMessage:
    parsed = parse_message(json.dumps({"channel": "DEPTH", "update": update, "seqnum": str(seqnum), "data": {
        "symbol": symbol,
        "bids": [{"price": p, "qty": q, "order_count": "2"} for p, q in bids],
        "asks": [{"price": p, "qty": q} for p, q in asks],
    }}))
    assert isinstance(parsed, DepthMessage)
    return parsed


def trade(match_id: str | None, price: str = "100", qty: str = "1") -> TradeMessage:
    data = {"trade_price": price, "trade_qty": qty, "liq_flag": "TAKER"}
    if match_id is not None:
        data["match_id"] = match_id
    parsed = parse_message(json.dumps({"channel": "TRADE", "update": "UPDATE", "seqnum": "1", "id": "7",
                                       "data": data}))
    assert isinstance(parsed, TradeMessage)
    return parsed


def prices(levels: list[Level]) -> list[str]:
    return [str(level.price) for level in levels]


def test_a_snapshot_spanning_messages_shows_only_when_complete():
    book = DepthBook(SYMBOL)
    assert book.state == "waiting for snapshot"
    assert book.apply(depth("SNAPSHOT", 1, bids=[("100", "1")], asks=[("101", "1")])) is False
    assert book.apply(depth("SNAPSHOT", 2, bids=[("99", "2")], asks=[("102", "2")])) is False
    assert book.ladder() == ([], []) and book.state == "receiving snapshot"
    assert book.snapshot_done() is True
    bids, asks = book.ladder()
    assert prices(bids) == ["100", "99"] and prices(asks) == ["101", "102"]
    assert bids[0] == Level(Decimal("100"), Decimal("1"), 2)
    assert book.state == "live" and book.seqnum == 2
    assert book.snapshot_done() is False  # a marker with no snapshot before it changes nothing


def test_a_new_snapshot_replaces_the_book():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[("100", "1"), ("99", "1")]))
    book.snapshot_done()
    book.apply(depth("SNAPSHOT", 5, bids=[("98", "3")]))
    assert prices(book.ladder()[0]) == ["100", "99"]  # the old book shows until the new one is whole
    book.snapshot_done()
    assert prices(book.ladder()[0]) == ["98"]


def test_without_snapshot_complete_the_first_update_ends_the_snapshot():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[("100", "1")], asks=[("101", "1")]))
    assert book.apply(depth("UPDATE", 2, bids=[("100", "5")])) is True
    bids, asks = book.ladder()
    assert bids == [Level(Decimal("100"), Decimal("5"), 2)] and prices(asks) == ["101"]
    assert book.state == "live"


def test_updates_are_absolute_and_qty_zero_deletes():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[("100", "1"), ("99", "1")], asks=[("101", "1")]))
    book.snapshot_done()
    assert book.apply(depth("UPDATE", 2, bids=[("100", "0"), ("98.5", "4")], asks=[("101", "2.5")])) is True
    bids, asks = book.ladder()
    assert prices(bids) == ["99", "98.5"] and asks[0].qty == Decimal("2.5")
    assert book.apply(depth("UPDATE", 3, bids=[("97", "0")])) is False  # deleting what is not there
    assert book.apply(depth("UPDATE", 4, bids=[("99", "1")])) is False  # the same level again


def test_sentinel_and_zero_prices_are_empty_sides_not_levels():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[(BID_SENTINEL, "0"), ("0", "5"), ("100", "1")],
                     asks=[(ASK_SENTINEL, "0")]))
    book.snapshot_done()
    bids, asks = book.ladder()
    assert prices(bids) == ["100"] and asks == []
    assert book.unreadable == 0 and book.spread is None and book.mid is None


def test_unreadable_levels_are_set_aside_and_counted():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[("abc", "1"), ("100", "x"), ("99", "-1"), ("98", "1")]))
    book.snapshot_done()
    assert prices(book.ladder()[0]) == ["98"]
    assert book.unreadable == 3 and [level.unreadable for level in book.set_aside][:2] == [
        {"price": "abc"}, {"qty": "x"}]


def test_a_gap_is_stale_until_the_next_snapshot_completes():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[("100", "1")]))
    book.snapshot_done()
    book.reset(seqnum=7)
    assert book.stale and book.state == "stale: gap at seqnum 7, waiting for a new snapshot"
    assert prices(book.ladder()[0]) == ["100"]  # still shown, marked stale
    book.apply(depth("UPDATE", 8, bids=[("99", "1")]))
    assert book.stale
    book.apply(depth("SNAPSHOT", 20, bids=[("101", "1")]))
    assert book.stale  # not until the snapshot is whole
    book.snapshot_done()
    assert not book.stale and book.state == "live" and prices(book.ladder()[0]) == ["101"]


def test_a_gap_drops_a_half_received_snapshot():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[("100", "1")]))
    book.reset()
    assert book.snapshot_done() is False and book.ladder() == ([], [])


def test_ladder_best_first_bounded_spread_and_mid():
    book = DepthBook(SYMBOL)
    book.apply(depth("SNAPSHOT", 1, bids=[(str(90 + i), "1") for i in range(8)],
                     asks=[(str(110 - i), "1") for i in range(8)]))
    book.snapshot_done()
    bids, asks = book.ladder(3)
    assert prices(bids) == ["97", "96", "95"] and prices(asks) == ["103", "104", "105"]
    assert book.spread == Decimal("6") and book.mid == Decimal("100")
    assert isinstance(book.mid, Decimal)


def test_depth_for_another_symbol_is_ignored():
    book = DepthBook(SYMBOL)
    assert book.apply(depth("UPDATE", 1, bids=[("1", "1")], symbol="ETH-PYUSD")) is False
    assert book.ladder() == ([], [])


def test_updates_before_any_snapshot_show_as_partial():
    book = DepthBook(SYMBOL)
    assert book.apply(depth("UPDATE", 1, bids=[("100", "1")])) is True
    assert book.state == "waiting for snapshot (partial)"


def test_tape_is_newest_first_bounded_and_dedupes_match_ids():
    tape = Tape(maxlen=3)
    assert tape.add(trade("m1", price="100.5"), received_ns=1, symbol=SYMBOL) is not None
    assert tape.add(trade("m1"), received_ns=2) is None  # the same match again
    for n in range(2, 5):
        tape.add(trade(f"m{n}"), received_ns=n)
    assert [p.match_id for p in tape] == ["m4", "m3", "m2"] and len(tape) == 3
    newest = tape.latest(1)[0]
    assert newest.price == Decimal("100") and newest.qty == Decimal("1") and newest.liq_flag == "TAKER"
    # m1 left the tape, so it is no longer remembered: a late repeat shows again rather than grow memory
    assert tape.add(trade("m1"), received_ns=9) is not None and len(tape) == 3


def test_tape_keeps_prints_without_match_id_and_unreadable_numbers():
    tape = Tape()
    tape.add(trade(None), received_ns=1)
    tape.add(trade(None), received_ns=2)
    bad = tape.add(trade("m5", price="x"), received_ns=3, symbol=SYMBOL)
    assert len(tape) == 3 and bad.price is None and bad.symbol == SYMBOL and bad.received_ns == 3
