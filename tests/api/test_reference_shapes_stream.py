"""The stream session and wire models against shapes truex-ws.md allows (its M/L parts included):
confirmations matched to the request they answer, coalesced no-auth numbering, numbered markers,
per-item numbering, and JSON numbers read exactly.

The exchange is played in memory: a fake connection handed to `StreamSession(connect=...)`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from blotter.api import Data, Gap, Refused, SnapshotDone, StreamSession, Subscribed, Unread
from blotter.api._stream import _Sequencer
from blotter.api.dropcopy import read_dropcopy
from blotter.api.stream_models import Confirmation, DepthMessage, EbboMessage, Unreadable, parse_message

SYMBOL = "BTC-PYUSD"
PUBLIC = ["INSTRUMENT", "EBBO", "DEPTH", "TRADE"]
PUBLIC_SET = [{"channel": c, "item_names": [SYMBOL]} for c in PUBLIC]
CREDENTIALS = {"organization_id": "7d0f6c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
               "key": "0b5a2f7e-6c1d-4e8a-9f3b-2d7c1e4a5b6c", "secret": "s3cret"}
WELCOME = {"channel": "WEBSOCKET", "update": "WELCOME", "connections": "1", "version": "1.0.5"}


class FakeWS:
    """The exchange's side of one connection: frames queued by the test, requests recorded."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []

    def feed(self, *frames: dict[str, Any] | str) -> None:
        for frame in frames:
            self.inbox.put_nowait(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self) -> str:
        return await self.inbox.get()

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def close(self) -> None:
        pass


class _Connection:
    def __init__(self, ws: FakeWS) -> None:
        self.ws = ws

    async def __aenter__(self) -> FakeWS:
        return self.ws

    async def __aexit__(self, *exc: object) -> None:
        return None


async def play(frames: list[dict[str, Any]], *, signed: bool,
               then: Callable[[FakeWS], Awaitable[None]] | None = None) -> tuple[list[Any], FakeWS]:
    """Run a session against `frames` (then `then`), return its events and the connection."""
    ws = FakeWS()
    ws.feed(*frames)
    events: list[Any] = []
    stream = StreamSession("ws://x/api/v1", symbols=[SYMBOL], client_ids=["1001"], welcome_timeout=0.5,
                           silence_timeout=30, ping_interval=None, connect=lambda url, **o: _Connection(ws),
                           **(CREDENTIALS if signed else {}))
    task = asyncio.create_task(stream.run(events.append))
    await asyncio.sleep(0.05)
    if then is not None:
        await then(ws)
    await asyncio.sleep(0.05)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return events, ws


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def confirmation(status: str, subscriptions: list[dict[str, Any]], update: str = "SNAPSHOT") -> dict[str, Any]:
    return {"channel": "WEBSOCKET", "update": update, "timestamp": "1", "status": status,
            "subscriptions": subscriptions}


def depth(update: str, seqnum: int, qty: str = "1") -> dict[str, Any]:
    return {"channel": "DEPTH", "update": update, "seqnum": str(seqnum),
            "data": {"symbol": SYMBOL, "bids": [{"price": "100", "qty": qty}], "asks": []}}


def ebbo(seqnum: int) -> dict[str, Any]:
    return {"channel": "EBBO", "update": "UPDATE", "seqnum": str(seqnum), "data": {
        "id": "7", "status": "ENABLED",
        "info": {"best_bid": {"price": "100", "qty": "1"}, "best_ask": {"price": "101", "qty": "1"}}}}


# --- 1. confirmations answer the request they are about ---------------------------------------


async def test_an_update_copy_of_the_public_confirmation_does_not_answer_dropcopy():
    """§4: confirmations are SNAPSHOT|UPDATE (H), TrueX reads only SNAPSHOT (M). An UPDATE repeating
    the public subscription's answer is not DROPCOPY's: the UNAUTHORIZED after it is."""
    events, _ = await play([
        WELCOME,
        confirmation("AUTHENTICATED", PUBLIC_SET),
        confirmation("AUTHENTICATED", PUBLIC_SET, update="UPDATE"),
        confirmation("UNAUTHORIZED", PUBLIC_SET),
    ], signed=True)
    assert len(of(events, Subscribed)) == 1
    (refused,) = of(events, Refused)
    assert refused.status == "UNAUTHORIZED" and refused.channels == ("DROPCOPY",) and refused.items == ("1001",)


async def test_an_unknown_websocket_update_is_unread_and_answers_nothing():
    events, _ = await play([
        WELCOME,
        {"channel": "WEBSOCKET", "update": "HEARTBEAT"},  # not documented: not a confirmation
        confirmation("AUTHENTICATED", PUBLIC_SET),
        confirmation("UNAUTHORIZED", PUBLIC_SET),
    ], signed=True)
    (unread,) = of(events, Unread)
    assert unread.unreadable.channel == "WEBSOCKET" and unread.unreadable.update == "HEARTBEAT"
    assert [s.confirmation.status for s in of(events, Subscribed)] == ["AUTHENTICATED"]
    assert [r.channels for r in of(events, Refused)] == [("DROPCOPY",)]


async def test_a_confirmation_is_matched_by_the_set_it_lists():
    """A server that answers the second request with an UPDATE listing it (§4 allows UPDATE)."""
    both = [*PUBLIC_SET, {"channel": "DROPCOPY", "item_names": ["1001"]}]
    events, _ = await play([
        WELCOME,
        confirmation("AUTHENTICATED", PUBLIC_SET),
        confirmation("AUTHENTICATED", both, update="UPDATE"),
    ], signed=True)
    assert len(of(events, Subscribed)) == 2 and not of(events, Refused)


async def test_a_refusal_no_request_waited_for_is_still_reported():
    events, _ = await play([
        WELCOME,
        confirmation("AUTHENTICATED", PUBLIC_SET),
        confirmation("AUTHENTICATED", [*PUBLIC_SET, {"channel": "DROPCOPY", "item_names": ["1001"]}]),
        confirmation("UNAUTHORIZED", PUBLIC_SET),  # the server took DROPCOPY away: nothing was asked
    ], signed=True)
    (refused,) = of(events, Refused)
    assert refused.status == "UNAUTHORIZED" and refused.channels == ()


# --- 2. no-auth data is coalesced -------------------------------------------------------------


async def test_coalesced_no_auth_jumps_are_no_gaps_and_nothing_is_resubscribed():
    """§5: no-auth data is published about once a second (H), seqnum is the channel's current
    number (H): 100, 117, 131 is normal there."""
    events, ws = await play([
        WELCOME,
        confirmation("UNAUTHENTICATED", PUBLIC_SET),
        depth("SNAPSHOT", 100), ebbo(40),
        depth("UPDATE", 117, "2"), ebbo(52),
        depth("UPDATE", 131, "3"), ebbo(61),
    ], signed=False)
    assert len(of(events, Data)) == 6
    assert not of(events, Gap)
    assert [r["type"] for r in ws.sent] == ["SUBSCRIBE_NO_AUTH"]


async def test_authenticated_gaps_are_still_reported_and_resnapshotted():
    events, ws = await play([
        WELCOME,
        confirmation("AUTHENTICATED", PUBLIC_SET),
        confirmation("AUTHENTICATED", [*PUBLIC_SET, {"channel": "DROPCOPY", "item_names": ["1001"]}]),
        depth("SNAPSHOT", 1), depth("UPDATE", 2), depth("UPDATE", 5),
    ], signed=True)
    assert of(events, Gap) == [Gap("DEPTH", SYMBOL, 3, 5)]
    assert [(r["type"], r["channels"]) for r in ws.sent[2:]] == [("UNSUBSCRIBE", ["DEPTH"]), ("SUBSCRIBE", ["DEPTH"])]


# --- 3. a numbered SNAPSHOT_COMPLETE ------------------------------------------------------------


async def test_a_numbered_snapshot_complete_takes_its_number_no_resnapshot_loop():
    """§4: whether the marker carries seqnum is unknown (L): SNAPSHOT 1, marker 2, UPDATE 3."""
    done = {"channel": "DEPTH", "update": "SNAPSHOT_COMPLETE", "item": SYMBOL, "seqnum": "2"}
    events, ws = await play([
        WELCOME,
        confirmation("AUTHENTICATED", PUBLIC_SET),
        confirmation("AUTHENTICATED", [*PUBLIC_SET, {"channel": "DROPCOPY", "item_names": ["1001"]}]),
        depth("SNAPSHOT", 1), done, depth("UPDATE", 3, "2"), depth("UPDATE", 4, "3"),
    ], signed=True)
    assert of(events, SnapshotDone) == [SnapshotDone("DEPTH", SYMBOL)]
    assert not of(events, Gap)
    assert len(ws.sent) == 2  # the two subscriptions, no unsubscribe/subscribe again


# --- 10. TRADE numbered per item ----------------------------------------------------------------


def test_trade_numbered_per_item_is_learnt_not_a_gap():
    """§5: seqnum scope is undocumented (M). A 1, 2, 3 then B's first print 1: per item."""
    sequencer = _Sequencer()
    got = [sequencer.check("TRADE", item, n, False)
           for item, n in (("A", 1), ("A", 2), ("A", 3), ("B", 1), ("A", 4), ("B", 2))]
    assert got == [None] * 6
    assert sequencer.check("TRADE", "A", 6, False) == 5  # a real gap is still one


def test_one_counter_per_channel_still_finds_a_gap_at_a_new_item():
    sequencer = _Sequencer()
    got = [sequencer.check("TRADE", item, n, False) for item, n in (("A", 1), ("B", 2), ("A", 3), ("B", 6))]
    assert got == [None, None, None, 4]


# --- models: shapes the reference leaves open ------------------------------------------------------


def test_an_unknown_websocket_update_parses_as_unreadable_and_a_status_frame_as_a_confirmation():
    heartbeat = parse_message(json.dumps({"channel": "WEBSOCKET", "update": "HEARTBEAT"}))
    assert isinstance(heartbeat, Unreadable) and heartbeat.channel == "WEBSOCKET"
    refusal = parse_message(json.dumps({"channel": "WEBSOCKET", "status": "UNAUTHORIZED", "subscriptions": []}))
    assert isinstance(refusal, Confirmation) and refusal.status == "UNAUTHORIZED"


def test_an_ebbo_keyed_by_symbol_only_still_reads():
    message = parse_message(json.dumps({"channel": "EBBO", "update": "UPDATE", "seqnum": "1", "data": {
        "symbol": SYMBOL, "status": "DISABLED", "info": {"best_bid": {"price": "100", "qty": "1"}}}}))
    assert isinstance(message, EbboMessage) and message.data is not None
    assert message.data.id is None and message.data.symbol == SYMBOL and message.data.status == "DISABLED"


def test_depth_levels_as_arrays_are_read():
    message = parse_message(json.dumps({"channel": "DEPTH", "update": "SNAPSHOT", "seqnum": "1", "data": {
        "symbol": SYMBOL, "bids": [["100", "1", "2"], ["99", "3"]], "asks": [{"price": "101", "qty": "1"}]}}))
    assert isinstance(message, DepthMessage) and message.data is not None
    assert [(lv.price, lv.qty, lv.order_count) for lv in message.data.bids] == [
        (Decimal("100"), Decimal("1"), 2), (Decimal("99"), Decimal("3"), None)]
    assert not message.data.unreadable


# --- JSON numbers keep every digit --------------------------------------------------------------------


def test_a_price_sent_as_a_json_number_keeps_every_digit():
    frame = ('{"channel":"EBBO","update":"UPDATE","seqnum":"1","data":{"id":"7","status":"ENABLED","info":'
             '{"best_bid":{"price":12345.678901234567891,"qty":0.30000000000000004441}}}}')
    message = parse_message(frame)
    assert isinstance(message, EbboMessage) and message.data is not None
    bid = message.data.info.best_bid
    assert bid is not None
    assert bid.price == Decimal("12345.678901234567891") and bid.qty == Decimal("0.30000000000000004441")


def test_a_dropcopy_payload_as_json_text_keeps_every_digit():
    body = {"channel": "DROPCOPY", "update": "UPDATE", "seqnum": "1",
            "data": '{"id":"55","status":"ACTIVE","order_info":{"qty":0.1000000000000000055511,"price":100.10}}'}
    (report,) = read_dropcopy(parse_message(json.dumps(body)))
    assert report.order is not None
    assert report.order.order_info.qty == Decimal("0.1000000000000000055511")
    assert str(report.order.order_info.price) == "100.10"
