"""StreamBridge: which feeds stream, how REST and the stream are merged, what each event asks of the app."""

from decimal import Decimal

from blotter.api import Connected, Data, Disconnected, Gap, Refused, SnapshotDone, Stale, Subscribed, Unread
from blotter.api.dropcopy import read_dropcopy
from blotter.api.models import MarketQuote, Order
from blotter.api.stream_models import Confirmation, Welcome, parse_message
from blotter.core.book_rows import book_lines, own_resting
from blotter.core.streaming import RECONCILE_SECONDS, StreamBridge


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def bridge(clock: Clock | None = None) -> StreamBridge:
    clock = clock or Clock()
    return StreamBridge(monotonic=clock.monotonic, now_ns=lambda: 1_790_000_000_000_000_000,
                        symbol_of=lambda i: {"1": "BTC-PYUSD"}.get(i or "", ""), read_dropcopy=read_dropcopy)


def subscribed(*channels: str, authenticated: bool = True) -> Subscribed:
    confirmation = Confirmation.model_validate({
        "channel": "WEBSOCKET", "update": "SNAPSHOT", "status": "AUTHENTICATED" if authenticated else "UNAUTHENTICATED",
        "subscriptions": [{"channel": c, "item_names": ["BTC-PYUSD"]} for c in channels]})
    return Subscribed(confirmation, authenticated)


def live(b: StreamBridge, *channels: str, authenticated: bool = True) -> None:
    b.handle(Connected(Welcome(), reconnect=False))
    b.handle(subscribed(*channels, authenticated=authenticated))


def ebbo(bid: str, ask: str, last_update: int) -> Data:
    return Data(parse_message(
        '{"channel":"EBBO","update":"UPDATE","seqnum":"5","data":{"id":"1","status":"ENABLED","info":'
        f'{{"best_bid":{{"price":"{bid}","qty":"1"}},"best_ask":{{"price":"{ask}","qty":"2"}},'
        f'"last_update":"{last_update}"}}}}}}'))


def order(order_id: str, status: str = "ACTIVE", filled: str = "0", leaves: str = "1", price: str = "100") -> Order:
    return Order.model_validate({"id": order_id, "status": status, "exeuted_qty": filled, "leaves_qty": leaves,
                                 "order_info": {"instrument_id": "1", "side": "BUY", "qty": "1", "price": price}})


def dropcopy(o: Order, msg_type: str = "REPORT_CONFIRM") -> Data:
    import json

    return Data(parse_message(json.dumps({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "9",
                                          "data": {**o.to_wire(), "msg_type": msg_type}})))


def test_feeds_stream_only_while_live_and_their_channel_is_confirmed():
    b = bridge()
    assert b.cadences() == {name: None for name in RECONCILE_SECONDS}
    live(b, "EBBO", "DEPTH", "DROPCOPY")
    assert b.transport("quotes") == "stream" and b.transport("orders") == "stream"
    assert b.transport("trades") == "on fills" and b.transport("balances") == "on fills"
    assert b.cadences() == RECONCILE_SECONDS  # REST slows to its reconciliation cadence
    outcome = b.handle(Disconnected("connection lost", 2.0))
    assert outcome.cadence and set(outcome.poke) == set(RECONCILE_SECONDS)
    assert all(b.transport(name) == "poll" for name in RECONCILE_SECONDS)
    assert b.summary().startswith("stream DOWN")


def test_public_only_stream_leaves_orders_polling():
    b = bridge()
    live(b, "EBBO", "DEPTH", authenticated=False)
    assert b.transport("quotes") == "stream"
    assert b.transport("orders") == "poll" and b.cadences()["orders"] is None
    assert "public" in b.summary()


def test_stale_stream_polls_again_and_data_brings_it_back():
    b = bridge()
    live(b, "EBBO")
    outcome = b.handle(Stale(6.0))
    assert b.transport("quotes") == "poll" and outcome.cadence and "quotes" in outcome.poke
    b.handle(ebbo("99", "101", 10))
    assert b.transport("quotes") == "stream"


def test_a_refusal_is_named_with_what_to_check():
    b = bridge()
    b.handle(Connected(Welcome(), reconnect=False))
    outcome = b.handle(Refused("UNAUTHENTICATED", ("DROPCOPY",), ("42",), "check TRUEX_ORGANIZATION_ID"))
    assert "TRUEX_ORGANIZATION_ID" in outcome.event and "UNAUTHENTICATED" in outcome.event
    assert b.state == "refused" and b.transport("orders") == "poll"


def test_reconnect_gap_and_unread_frames_make_rest_reconcile_now():
    b = bridge()
    live(b, "EBBO", "DROPCOPY")
    assert set(b.handle(Connected(Welcome(), reconnect=True)).poke) == set(RECONCILE_SECONDS)
    assert set(b.handle(Gap("DROPCOPY", None, 5, 7)).poke) == set(RECONCILE_SECONDS)
    unread = b.handle(Unread(parse_message('{"channel":"DROPCOPY","update":"NEWTHING"}')))
    assert unread.poke == {"orders", "trades", "balances"} and b.unread == 1


def test_ebbo_quotes_merge_with_rest_by_time_rest_winning_ties():
    b = bridge()
    live(b, "EBBO")
    outcome = b.handle(ebbo("99", "101", 20))
    assert outcome.quotes[0].info.best_bid.price == Decimal("99")
    older = MarketQuote.model_validate({"id": "1", "info": {"best_bid": {"price": "98", "qty": "1"},
                                                             "last_update": "10"}})
    assert b.merge_quotes([older])[0].info.best_bid.price == Decimal("99")  # the stream's is newer
    newer = MarketQuote.model_validate({"id": "1", "info": {"best_bid": {"price": "97", "qty": "1"},
                                                             "last_update": "30"}})
    assert b.merge_quotes([newer])[0].info.best_bid.price == Decimal("97")
    assert b.handle(ebbo("96", "101", 25)).quotes is None  # older than what is shown: not drawn


def test_ebbo_sentinel_side_reads_as_no_price():
    b = bridge()
    live(b, "EBBO")
    outcome = b.handle(ebbo("-170141183460469231731.687303715884105728", "101", 20))
    assert outcome.quotes[0].info.best_bid.price is None


def test_a_streamed_order_newer_than_the_rest_answer_stays():
    clock = Clock()
    b = bridge(clock)
    live(b, "DROPCOPY")
    sent_at = clock.now
    clock.now += 0.5
    outcome = b.handle(dropcopy(order("A")))  # reported after the poll was sent
    assert outcome.orders
    assert [o.id for o in b.merge_orders([], sent_at)] == ["A"]  # never hidden by the older answer
    clock.now += 1
    assert [o.id for o in b.merge_orders([order("A")], clock.now)] == ["A"]  # REST now lists it
    assert b.differences == 0


def test_rest_wins_over_an_older_stream_state_and_the_difference_is_counted():
    clock = Clock()
    b = bridge(clock)
    live(b, "DROPCOPY")
    b.handle(dropcopy(order("A", leaves="1")))
    clock.now += 1
    shown = b.merge_orders([order("A", filled="0.4", leaves="0.6")], clock.now)
    assert shown[0].leaves_qty == Decimal("0.6") and b.differences == 1


def test_a_streamed_cancel_removes_the_order_and_a_fill_asks_for_trades():
    clock = Clock()
    b = bridge(clock)
    live(b, "DROPCOPY")
    sent_at = clock.now
    clock.now += 0.1
    b.handle(dropcopy(order("A", status="CANCELED", leaves="0"), "REPORT_CANCELED"))
    assert b.merge_orders([order("A")], sent_at) == []  # the poll was older than the cancel
    fill = b.handle(dropcopy(order("B", filled="1", leaves="0", status="FILLED"), "REPORT_TRADE"))
    assert {"trades", "balances"} <= fill.poke


T0 = 1_790_000_000_000_000_000  # ns


def updated(o: Order, ns: int | None) -> Order:
    return o.model_copy(update={"update_timestamp": None if ns is None else T0 + ns})


def test_an_actions_answer_gives_way_to_a_later_state_the_stream_already_reported():
    b = bridge()
    live(b, "DROPCOPY")
    answer = updated(order("A", status="CANCEL_PENDING"), 1_000)
    assert b.later_state(answer) is None  # the stream said nothing of A
    b.handle(dropcopy(updated(order("A", status="CANCELED", leaves="0"), 2_000), "REPORT_CANCELED"))
    assert b.later_state(answer).status == "CANCELED"
    assert b.later_state(updated(answer, None)).status == "CANCELED"  # done is final, whatever the times
    b.handle(dropcopy(updated(order("B", price="101"), 3_000)))
    modify = updated(order("B", status="MODIFY_PENDING"), 2_500)
    assert b.later_state(modify).order_info.price == Decimal("101")  # updated after the answer
    assert b.later_state(updated(modify, 3_500)) is None  # the answer is the later one
    assert b.later_state(updated(modify, None)) is None  # no time to compare: the answer stands
    assert b.later_state(updated(order("B", status="CANCELED", leaves="0"), 1)) is None  # done answers stand


def test_unreadable_drop_copy_keeps_nothing_and_reconciles():
    b = bridge()
    live(b, "DROPCOPY")
    outcome = b.handle(Data(parse_message('{"channel":"DROPCOPY","update":"UPDATE","data":{"nonsense":1}}')))
    assert not outcome.orders and "orders" in outcome.poke and b.streamed_orders() == {}


def test_depth_book_gap_marks_it_stale_until_the_next_snapshot():
    b = bridge()
    live(b, "DEPTH")
    snapshot = ('{"channel":"DEPTH","update":"SNAPSHOT","seqnum":"1","data":{"symbol":"BTC-PYUSD",'
                '"bids":[{"price":"99","qty":"1","order_count":"2"}],"asks":[{"price":"101","qty":"3"}]}}')
    b.handle(Data(parse_message(snapshot)))
    assert b.handle(SnapshotDone("DEPTH", "BTC-PYUSD")).book
    book = b.book("BTC-PYUSD")
    assert book.state == "live" and book.spread == Decimal("2")
    b.handle(Gap("DEPTH", "BTC-PYUSD", 3, 5))
    assert book.stale
    b.handle(Data(parse_message(snapshot)))
    b.handle(SnapshotDone("DEPTH", "BTC-PYUSD"))
    assert not book.stale


def test_ladder_lines_mark_the_traders_resting_quantity():
    b = bridge()
    live(b, "DEPTH")
    b.handle(Data(parse_message(
        '{"channel":"DEPTH","update":"SNAPSHOT","seqnum":"1","data":{"symbol":"BTC-PYUSD",'
        '"bids":[{"price":"100","qty":"5"},{"price":"99.5","qty":"1"}],"asks":[{"price":"101.25","qty":"3"}]}}')))
    b.handle(SnapshotDone("DEPTH", "BTC-PYUSD"))
    bids, asks = b.book("BTC-PYUSD").ladder()
    mine = own_resting([order("A", leaves="0.75", price="100"), order("B", leaves="0.25", price="100")], "1")
    lines = book_lines("1", bids, asks, mine)
    assert [line.side for line in lines] == ["ask", "spread", "bid", "bid"]
    assert lines[1].price == Decimal("1.25")
    assert lines[2].mine == Decimal("1.00") and lines[3].mine is None


def test_tape_takes_trade_prints_once_with_the_symbol_from_the_id():
    b = bridge()
    live(b, "TRADE")
    frame = ('{"channel":"TRADE","update":"UPDATE","seqnum":"3","id":"1","data":{"match_id":"m1",'
             '"trade_price":"100.5","trade_qty":"0.2","liq_flag":"TAKER"}}')
    assert b.handle(Data(parse_message(frame))).book
    assert not b.handle(Data(parse_message(frame))).book  # the same match again: not twice
    (entry,) = b.tape.latest()
    assert entry.symbol == "BTC-PYUSD" and entry.price == Decimal("100.5")


def test_ebbo_zero_side_and_unparsable_numbers_are_shown_as_sent():
    b = bridge()
    live(b, "EBBO")
    zero = b.handle(ebbo("0", "101", 20)).quotes[0]
    assert zero.info.best_bid.price is None and zero.info.best_bid.empty_as == "0"
    bad = b.handle(ebbo("99", "1O1", 21)).quotes[0]  # a letter O: kept as text, the row stays
    assert bad.info.best_ask.price is None and bad.info.best_ask.unreadable == {"price": "1O1"}
    assert bad.info.best_bid.price == Decimal("99")


def test_public_channels_stream_after_the_signed_subscribe_is_refused():
    b = bridge()
    b.handle(Connected(Welcome(), reconnect=False))
    b.handle(Refused("UNAUTHENTICATED", ("EBBO", "DEPTH", "DROPCOPY"), ("BTC-PYUSD",), "check the organization"))
    assert b.state == "refused" and "org id" in b.summary()
    b.handle(subscribed("EBBO", "DEPTH", authenticated=False))  # the session's no-auth fallback
    assert b.state == "live" and b.transport("quotes") == "stream" and b.transport("orders") == "poll"
    assert b.summary() == "DROPCOPY refused: check org id, key, secret, clock"


def test_a_keyable_fill_is_shown_from_the_drop_copy_and_balances_are_asked_at_most_every_15_s():
    import json

    clock = Clock()
    b = bridge(clock)
    live(b, "DROPCOPY")

    def fill_report(order_id: str, match_id: str | None) -> Data:
        o = order(order_id, status="FILLED", filled="1", leaves="0")
        trade = {"match_id": match_id, "order_id": order_id, "side": "BUY", "trade_price": "100", "trade_qty": "1",
                 "instrument_id": "1", "timestamp": "1790000000000000001"}
        body = {**o.to_wire(), "msg_type": "REPORT_TRADE", "trade": {k: v for k, v in trade.items() if v}}
        return Data(parse_message(json.dumps({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "2", "data": body})))

    first = b.handle(fill_report("A", "m1"))
    assert [t.key for t in first.trades] == ["m1:A:BUY"] and first.poke == {"balances"}
    clock.now += 5
    second = b.handle(fill_report("B", "m2"))
    assert second.trades and second.poke == set()  # balances were asked 5 s ago
    clock.now += 11
    unkeyed = b.handle(fill_report("C", None))  # no match id: REST keys it, so REST brings it
    assert unkeyed.trades == [] and unkeyed.poke == {"trades", "balances"}
