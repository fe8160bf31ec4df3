"""StreamBridge, DepthBook and the status line against shapes truex-ws.md allows (its M/L parts
included): what is read is shown, what is not is counted and said, never dropped silently."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from blotter.api import Connected, Data, Gap, SnapshotDone, Subscribed, Unread
from blotter.api.dropcopy import read_dropcopy
from blotter.api.models import Instrument, MarketQuote, Order
from blotter.api.stream_models import Confirmation, Welcome, parse_message
from blotter.core.reference import Catalog
from blotter.core.rows import QuoteRow, quote_row
from blotter.core.streaming import StreamBridge

SYMBOL = "BTC-PYUSD"


class Clock:
    now = 100.0

    def monotonic(self) -> float:
        return self.now


def catalog() -> Catalog:
    found = Catalog()
    found.instruments = {"7": Instrument.model_validate({"id": "7", "info": {"symbol": SYMBOL}})}
    return found


def bridge(symbol_of: Any = None) -> StreamBridge:
    known = catalog()
    b = StreamBridge(monotonic=Clock().monotonic, now_ns=lambda: 1_790_000_000_000_000_000,
                     symbol_of=symbol_of or known.symbol, read_dropcopy=read_dropcopy,
                     id_of=lambda symbol: getattr(known.by_symbol(symbol), "id", None))
    b.handle(Connected(Welcome(), reconnect=False))
    confirmation = Confirmation.model_validate({
        "channel": "WEBSOCKET", "update": "SNAPSHOT", "status": "AUTHENTICATED",
        "subscriptions": [{"channel": c, "item_names": [SYMBOL]} for c in ("EBBO", "DEPTH", "DROPCOPY")]})
    b.handle(Subscribed(confirmation, True))
    return b


def data(body: dict[str, Any]) -> Data:
    return Data(parse_message(json.dumps(body)))


def depth(update: str, bids: Any, asks: Any = ()) -> Data:
    return data({"channel": "DEPTH", "update": update, "seqnum": "1",
                 "data": {"symbol": SYMBOL, "bids": bids, "asks": list(asks)}})


def ebbo(last_update: str = "5", **fields: Any) -> Data:
    return data({"channel": "EBBO", "update": "UPDATE", "seqnum": "1", "data": {
        **fields, "info": {"best_bid": {"price": "100", "qty": "1"}, "best_ask": {"price": "101", "qty": "1"},
                           "last_update": last_update}}})


# --- 2. gaps: only what the channel feeds ------------------------------------------------------------


def test_an_ebbo_gap_pokes_only_the_quotes():
    assert bridge().handle(Gap("EBBO", SYMBOL, 41, 52)).poke == {"quotes"}


# --- 4. SNAPSHOT_COMPLETE matched by item ------------------------------------------------------------


def test_snapshot_complete_on_another_channel_or_none_completes_the_book():
    """§4: the marker's channel is "presumably the data channel" (M)."""
    for channel in ("WEBSOCKET", ""):
        b = bridge()
        b.handle(depth("SNAPSHOT", [{"price": "100", "qty": "1"}], [{"price": "101", "qty": "1"}]))
        assert b.handle(SnapshotDone(channel, SYMBOL)).book
        book = b.books[SYMBOL]
        assert book.snapshotted and book.state == "live" and book.best_bid.price == Decimal("100")


def test_another_data_channels_marker_leaves_the_depth_snapshot_pending():
    b = bridge()
    b.handle(depth("SNAPSHOT", [{"price": "100", "qty": "1"}]))
    b.handle(SnapshotDone("EBBO", SYMBOL))
    assert b.books[SYMBOL].receiving_snapshot


# --- 5. depth levels that do not read are counted ------------------------------------------------------


def test_a_side_sent_as_a_map_is_counted_unreadable_not_shown_as_empty():
    b = bridge()
    b.handle(depth("SNAPSHOT", {"100": "1", "99": "3"}, [{"price": "101", "qty": "1"}]))
    b.handle(SnapshotDone("DEPTH", SYMBOL))
    book = b.books[SYMBOL]
    assert book.unreadable == 2  # the Book pane's subtitle says "2 levels unreadable"
    assert book.best_bid is None and book.best_ask.price == Decimal("101")


def test_an_item_that_is_no_level_is_counted_and_arrays_are_read():
    b = bridge()
    b.handle(depth("SNAPSHOT", [["100", "1", "2"], "junk", 7]))
    b.handle(SnapshotDone("DEPTH", SYMBOL))
    book = b.books[SYMBOL]
    assert [(lv.price, lv.qty, lv.order_count) for lv in book.ladder()[0]] == [(Decimal("100"), Decimal("1"), 2)]
    assert book.unreadable == 2


# --- 6. EBBO keyed by symbol ---------------------------------------------------------------------------


def test_an_ebbo_keyed_by_symbol_is_keyed_by_the_catalogs_id():
    b = bridge()
    outcome = b.handle(ebbo(symbol=SYMBOL, status="ENABLED"))
    assert outcome.quotes is not None and [q.id for q in outcome.quotes] == ["7"]
    assert b.quotes["7"].symbol == SYMBOL and b.unread == 0


def test_an_ebbo_for_an_unknown_symbol_is_said_not_dropped():
    b = bridge()
    outcome = b.handle(ebbo(symbol="NOPE-USD", status="ENABLED"))
    assert outcome.quotes is None and outcome.poke == {"quotes"}
    assert b.unread == 1 and "NOPE-USD" in (outcome.event or "")
    assert "NOPE-USD" in b.unread_note()


# --- 7. EBBO status ----------------------------------------------------------------------------------------


def test_a_disabled_instruments_quote_carries_its_status_to_the_row_and_past_rest():
    b = bridge()
    outcome = b.handle(ebbo(id="7", status="DISABLED"))
    (quote,) = outcome.quotes
    assert quote.status == "DISABLED"
    symbol_cell = quote_row(QuoteRow(quote), catalog())[0]
    assert symbol_cell.text == f"{SYMBOL} DISABLED" and symbol_cell.style == "status-dead"
    # REST's quotes do not say the status: the last EBBO's stays
    polled = MarketQuote.model_validate({"id": "7", "info": {"last_update": "9"}})
    (merged,) = b.merge_quotes([polled])
    assert merged.status == "DISABLED"
    enabled = quote_row(QuoteRow(b.handle(ebbo("11", id="7", status="ENABLED")).quotes[0]), catalog())[0]
    assert enabled.text == SYMBOL


# --- 8. DROPCOPY text -----------------------------------------------------------------------------------------


def test_dropcopy_text_is_said_with_the_order_it_concerns():
    b = bridge()
    outcome = b.handle(data({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "1",
                             "text": "self-trade prevention", "data": {
                                 "id": "55", "status": "CANCELED", "msg_type": "REPORT_CANCELED",
                                 "order_info": {"client_id": "1001", "instrument_id": "7", "side": "BUY",
                                                "qty": "1", "price": "100"}}}))
    assert outcome.event == "order 55 canceled: self-trade prevention"


def test_a_rejects_text_is_said_even_when_its_order_does_not_read():
    b = bridge()
    outcome = b.handle(data({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "2", "data": {
        "text": "insufficient balance", "msg_type": "REPORT_REJECT", "external_id": "x-1"}}))
    assert outcome.event == "order x-1 rejected: insufficient balance"


# --- 9. frames not read are said: a count on the status line, the events line once per kind ---------------


def unread(raw: str) -> Unread:
    return Unread(parse_message(raw))


def test_unread_frames_are_counted_on_the_status_line_and_told_once_per_kind():
    b = bridge()
    first = b.handle(unread("[1, 2]"))
    second = b.handle(unread("[3]"))
    assert first.event and "not read" in first.event and second.event is None  # once per kind
    assert b.unread == 2
    note = b.unread_note()
    assert note.startswith("stream: 2 frames unread") and "list" in note
    assert b.transport("quotes") == "stream"
    keepalive = b.handle(unread('{"channel":"WEBSOCKET","update":"HEARTBEAT"}'))
    assert keepalive.poke == set() and keepalive.event and "ignored" in keepalive.event
    assert b.unread == 2 and "list" in b.unread_note()  # told once, not counted as a fault
    assert b.handle(unread('{"channel":"WEBSOCKET","update":"HEARTBEAT"}')).event is None


def test_a_pending_state_gives_way_to_the_real_id_from_the_stream_or_rest():
    """A drop copy of an order still without its id (pending, §3) is kept by external id; once the
    stream or a REST answer names it by its real id, that state is the order's only one."""
    pending = {"id": "0", "external_id": "x-9", "status": "NEW_PENDING", "order_info": {
        "client_id": "1001", "instrument_id": "7", "side": "BUY", "qty": "1", "price": "100"}}
    b = bridge()
    b.handle(data({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "1", "data": pending}))
    assert list(b.streamed_orders()) == ["ext:x-9"]
    b.handle(data({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "2",
                   "data": {**pending, "id": "77", "status": "ACTIVE"}}))
    assert list(b.streamed_orders()) == ["77"]

    b = bridge()
    b.handle(data({"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "1", "data": pending}))
    polled = Order.model_validate({**pending, "id": "77", "status": "ACTIVE"})
    assert [o.key for o in b.merge_orders([polled], sent_at=0.0)] == ["77"]
