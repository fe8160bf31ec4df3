"""StreamSession against a small scripted WebSocket server on 127.0.0.1: each test plays the exchange.

Signatures are checked with HMAC computed here, independently of the client's helper.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from blotter.api import (
    Connected,
    Data,
    Disconnected,
    Gap,
    Refused,
    SnapshotDone,
    Stale,
    StreamSession,
    Subscribed,
    Unread,
    stream_signature,
    ws_url_from_base,
)
from blotter.api.stream_models import DepthMessage

SECRET = "s3cr3t-for-tests-only"
KEY = "0b5a2f7e-6c1d-4e8a-9f3b-2d7c1e4a5b6c"
ORG = "7d0f6c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6"
PUBLIC = ["INSTRUMENT", "EBBO", "DEPTH", "TRADE"]
SYMBOL = "BTC-PYUSD"
EXCHANGE_LOG = "tests.fake_exchange"


def expected_signature(timestamp: str, path: str = "/api/v1", secret: str = SECRET, key: str = KEY) -> str:
    payload = f"{timestamp}TRUEXWS{key}{path}".encode()
    return base64.b64encode(hmac.new(secret.encode(), payload, hashlib.sha256).digest()).decode()


def welcome() -> str:
    return json.dumps({"channel": "WEBSOCKET", "update": "WELCOME", "connections": "1", "message": "hi",
                       "version": "1.0.5", "datetime": "2026-01-01T00:00:00Z"})


# What a server sends back when the no-auth public subscription took (its status is UNAUTHENTICATED).
PUBLIC_SET = [{"channel": c, "item_names": [SYMBOL]} for c in PUBLIC]


def confirmation(status: str, subscriptions: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"channel": "WEBSOCKET", "update": "SNAPSHOT", "timestamp": "1", "status": status,
                       "subscriptions": subscriptions or []})


def depth(update: str, seqnum: int, bids=(), asks=(), symbol: str = SYMBOL) -> str:
    return json.dumps({"channel": "DEPTH", "update": update, "seqnum": str(seqnum), "data": {
        "symbol": symbol,
        "bids": [{"price": p, "qty": q} for p, q in bids],
        "asks": [{"price": p, "qty": q} for p, q in asks],
    }})


def trade(seqnum: int, match_id: str) -> str:
    return json.dumps({"channel": "TRADE", "update": "UPDATE", "seqnum": str(seqnum), "id": "7",
                       "data": {"match_id": match_id, "trade_price": "100.5", "trade_qty": "0.1", "liq_flag": "TAKER"}})


class Exchange:
    """A scripted server: `script(exchange, ws, index)` plays connection number `index`."""

    def __init__(self, script: Callable[[Exchange, ServerConnection, int], Awaitable[None]]) -> None:
        self.script = script
        self.connections: list[ServerConnection] = []
        self.requests: list[list[dict[str, Any]]] = []  # per connection
        self.paths: list[str] = []

    async def __aenter__(self) -> Exchange:
        # Its own logger: the server side logs the signed requests it receives, the client must not.
        self._server = await serve(self._handler, "127.0.0.1", 0, logger=logging.getLogger(EXCHANGE_LOG),
                                   close_timeout=0.2)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1"

    async def _handler(self, ws: ServerConnection) -> None:
        index = len(self.connections)
        self.connections.append(ws)
        self.requests.append([])
        self.paths.append(ws.request.path)
        await self.script(self, ws, index)

    async def request(self, ws: ServerConnection, index: int, timeout: float = 3.0) -> dict[str, Any]:
        body = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        self.requests[index].append(body)
        return body

    @property
    def all_requests(self) -> list[dict[str, Any]]:
        return [r for conn in self.requests for r in conn]


async def until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


def session(url: str, *, credentials: bool = True, **options: Any) -> StreamSession:
    defaults: dict[str, Any] = {"backoff_base": 0.02, "backoff_cap": 0.05, "welcome_timeout": 1.0,
                                "close_timeout": 0.2, "ping_interval": None, "jitter": lambda low, high: high}
    defaults.update(options)
    creds = {"organization_id": ORG, "key": KEY, "secret": SECRET} if credentials else {}
    return StreamSession(url, symbols=[SYMBOL], client_ids=["1001"], **creds, **defaults)


class Running:
    """Runs a session in a task and collects its events."""

    def __init__(self, stream: StreamSession) -> None:
        self.stream = stream
        self.events: list[Any] = []

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.stream.run(self.events.append))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task
        assert self.stream.status.state == "off"

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


async def hold(ws: ServerConnection) -> None:
    """Keep the connection open until the client goes."""
    try:
        async for _ in ws:
            pass
    except Exception:  # noqa: BLE001 - the client went away
        pass


def check_signed(request: dict[str, Any], now: float | None = None) -> None:
    assert request["organization_id"] == ORG and request["key"] == KEY
    assert request["signature"] == expected_signature(request["timestamp"])
    if now is not None:  # epoch seconds, within the 15 s window and never in the future
        assert now - 15 < int(request["timestamp"]) <= now


# --- signing and URLs ---------------------------------------------------------------------------


def test_signature_matches_a_fixed_vector_and_an_independent_hmac():
    # printf '%s' '1700000000TRUEXWS<key>/api/v1' | openssl dgst -sha256 -hmac <secret> -binary | base64
    assert stream_signature(SECRET, "1700000000", KEY, "/api/v1") == "u8fFAv+v+5CeHo6+70R3rIgv3y68xGRo5t4odvPYxkc="
    assert stream_signature(SECRET, "1741894773", KEY, "") == expected_signature("1741894773", path="")
    assert len(stream_signature("é", "1", "k", "/p")) == 44  # UTF-8 secret, padded standard Base64


@pytest.mark.parametrize(("base", "url"), [
    ("https://uat.truex.co/api/v1/", "wss://uat.truex.co/api/v1"),
    ("http://127.0.0.1:9742", "ws://127.0.0.1:9742/api/v1"),
    ("HTTPS://prod.truex.co", "wss://prod.truex.co/api/v1"),
])
def test_ws_url_from_base(base, url):
    assert ws_url_from_base(base) == url


def test_ws_url_from_base_refuses_what_is_not_http():
    with pytest.raises(ValueError, match="ftp://x"):
        ws_url_from_base("ftp://x")


# --- subscribing --------------------------------------------------------------------------------


async def test_signed_subscription_then_data_in_order():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        public = await ex.request(ws, index)
        dropcopy = await ex.request(ws, index)
        await ws.send(confirmation("AUTHENTICATED", [{"channel": c, "item_names": [SYMBOL]} for c in PUBLIC]))
        await ws.send(confirmation("AUTHENTICATED", [{"channel": "DROPCOPY", "item_names": ["1001"]}]))
        assert public and dropcopy
        await ws.send(depth("SNAPSHOT", 5, bids=[("100", "1")]))
        await ws.send(json.dumps({"channel": "DEPTH", "update": "SNAPSHOT_COMPLETE", "item": SYMBOL}))
        await ws.send(depth("UPDATE", 6, asks=[("101", "2")]))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url)) as run:
        await until(lambda: len(run.of(Data)) == 2)
        now = time.time()
        public, dropcopy = ex.requests[0]
        assert public["type"] == "SUBSCRIBE" and public["channels"] == PUBLIC and public["item_names"] == [SYMBOL]
        assert dropcopy["type"] == "SUBSCRIBE" and dropcopy["channels"] == ["DROPCOPY"]
        assert dropcopy["item_names"] == ["1001"]
        for request in (public, dropcopy):
            check_signed(request, now)
        assert ex.paths == ["/api/v1"]
        kinds = [type(e) for e in run.events]
        assert kinds == [Connected, Subscribed, Subscribed, Data, SnapshotDone, Data]
        assert run.events[0].reconnect is False and run.events[0].welcome.version == "1.0.5"
        assert all(e.authenticated for e in run.of(Subscribed))
        assert run.events[4] == SnapshotDone("DEPTH", SYMBOL)
        first, second = run.of(Data)
        assert isinstance(first.message, DepthMessage) and first.message.seqnum == 5
        assert str(second.message.data.asks[0].price) == "101"
        status = run.stream.status
        assert status.state == "live" and status.authenticated and status.reconnects == 0
        assert status.last_message_monotonic is not None


async def test_without_credentials_subscribes_no_auth_and_never_dropcopy():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ws.send(confirmation("UNAUTHENTICATED", [{"channel": c, "item_names": [SYMBOL]} for c in PUBLIC]))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url, credentials=False)) as run:
        await until(lambda: run.of(Subscribed))
        await asyncio.sleep(0.05)  # room for a second request, which must not come
        assert ex.all_requests == [{"type": "SUBSCRIBE_NO_AUTH", "item_names": [SYMBOL], "channels": PUBLIC,
                                    "timestamp": ex.requests[0][0]["timestamp"]}]
        assert abs(int(ex.requests[0][0]["timestamp"]) - time.time()) < 5
        assert run.of(Subscribed)[0].authenticated is False and not run.of(Refused)
        status = run.stream.status
        assert status.state == "live" and not status.authenticated and "1 Hz" in status.detail


async def test_refused_signature_falls_back_to_no_auth_and_keeps_dropcopy_refused():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        for _ in range(2):
            await ex.request(ws, index)
            await ws.send(confirmation("UNAUTHENTICATED"))
        fallback = await ex.request(ws, index)
        await ws.send(confirmation("UNAUTHENTICATED", [{"channel": c, "item_names": [SYMBOL]} for c in PUBLIC]))
        assert fallback["type"] == "SUBSCRIBE_NO_AUTH"
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url)) as run:
        await until(lambda: run.of(Subscribed))
        await asyncio.sleep(0.1)  # a tight retry loop would show here
        types = [r["type"] for r in ex.all_requests]
        assert types == ["SUBSCRIBE", "SUBSCRIBE", "SUBSCRIBE_NO_AUTH"]
        fallback = ex.all_requests[2]
        assert fallback["channels"] == PUBLIC and "signature" not in fallback and "key" not in fallback
        public, dropcopy = run.of(Refused)
        assert public.status == "UNAUTHENTICATED" and public.channels == tuple(PUBLIC)
        assert "TRUEX_API_KEY" in public.hint and "clock" in public.hint and "TRUEX_ORGANIZATION_ID" in public.hint
        assert dropcopy.channels == ("DROPCOPY",) and dropcopy.items == ("1001",)
        assert run.of(Subscribed)[0].authenticated is False
        status = run.stream.status
        assert status.state == "live" and not status.authenticated and "DROPCOPY refused" in status.detail
        assert len(ex.connections) == 1


async def test_unauthorized_dropcopy_names_the_client_and_public_stays_authenticated():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ex.request(ws, index)
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(confirmation("UNAUTHORIZED"))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url)) as run:
        await until(lambda: run.of(Refused))
        await asyncio.sleep(0.05)
        (refused,) = run.of(Refused)
        assert refused.status == "UNAUTHORIZED" and "client 1001" in refused.hint
        assert "DROPCOPY needs an authenticated subscription" in refused.hint
        assert len(ex.all_requests) == 2  # no fallback for DROPCOPY: it has none
        assert run.stream.status.authenticated and run.stream.status.state == "live"


async def test_everything_refused_is_state_refused():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ws.send(confirmation("INVALID"))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url, credentials=False)) as run:
        await until(lambda: run.of(Refused))
        assert run.stream.status.state == "refused"
        assert SYMBOL in run.of(Refused)[0].hint


# --- reconnecting -------------------------------------------------------------------------------


class SteppedClock:
    """Real monotonic time and sleeps; epoch seconds set by the test (to see fresh timestamps)."""

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def monotonic(self) -> float:
        return time.monotonic()

    def now_ns(self) -> int:
        return int(self.epoch * 1_000_000_000)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def test_reconnects_after_a_drop_with_fresh_signatures():
    clock = SteppedClock(1_800_000_000.5)

    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        for _ in range(2):
            await ex.request(ws, index)
            await ws.send(confirmation("AUTHENTICATED"))
        if index == 0:
            clock.epoch += 7  # the next connection signs later
            await ws.close()  # the exchange drops us
            return
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url, clock=clock, server_offset=lambda: 2.0)) as run:
        await until(lambda: len(run.of(Connected)) == 2 and len(run.of(Subscribed)) == 4)
        first, second = ex.requests
        assert [r["timestamp"] for r in first] == ["1800000001"] * 2  # clock + server offset, 1 s early
        assert [r["timestamp"] for r in second] == ["1800000008"] * 2
        for request in first + second:
            check_signed(request)
        assert first[0]["signature"] != second[0]["signature"]
        (down,) = run.of(Disconnected)
        assert "closed" in down.reason and down.retry_in == pytest.approx(0.02)
        assert [e.reconnect for e in run.of(Connected)] == [False, True]
        index = run.events.index(down)
        assert isinstance(run.events[index + 1], Connected)
        assert run.stream.status.reconnects == 1 and run.stream.status.state == "live"


async def test_backoff_grows_to_its_cap_while_the_server_is_unreachable():
    async with Exchange(lambda ex, ws, i: hold(ws)) as ex:
        url = ex.url
    # the server is gone: every attempt fails
    async with Running(session(url)) as run:
        await until(lambda: len(run.of(Disconnected)) >= 4)
        delays = [e.retry_in for e in run.of(Disconnected)][:4]
        assert delays == [0.02, 0.04, 0.05, 0.05]
        assert all("cannot connect" in e.reason for e in run.of(Disconnected))
        assert run.stream.status.state in ("down", "connecting") and not run.of(Connected)


async def test_no_welcome_still_subscribes_and_retry_refused_connects_again_at_once():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        if index == 1:
            await ws.send(welcome())
        await ex.request(ws, index)  # index 0: no WELCOME, the client subscribes anyway
        await ex.request(ws, index)
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(confirmation("UNAUTHORIZED" if index == 0 else "AUTHENTICATED"))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url, welcome_timeout=0.1)) as run:
        await until(lambda: run.of(Refused))
        assert run.of(Connected)[0].welcome.version is None  # an empty Welcome stands in
        run.stream.retry_refused()
        await until(lambda: len(run.of(Subscribed)) == 3)
        (down,) = run.of(Disconnected)
        assert down.retry_in == 0 and "retry" in down.reason
        assert [r["type"] for r in ex.requests[1]] == ["SUBSCRIBE", "SUBSCRIBE"]
        assert len(run.of(Refused)) == 1 and run.stream.status.authenticated


# --- sequence numbers ---------------------------------------------------------------------------


async def test_depth_gap_resnapshots_the_item_and_other_gaps_are_only_reported():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ex.request(ws, index)
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(depth("SNAPSHOT", 10, bids=[("100", "1")]))
        await ws.send(depth("UPDATE", 10, bids=[("100", "2")]))  # N again after a snapshot: fine
        await ws.send(depth("UPDATE", 11, bids=[("99", "1")]))
        await ws.send(depth("UPDATE", 13, bids=[("98", "1")]))  # 12 is missing
        unsubscribe = await ex.request(ws, index)
        subscribe = await ex.request(ws, index)
        assert unsubscribe and subscribe
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(depth("SNAPSHOT", 40, bids=[("100", "3")]))  # a new snapshot starts anew: no gap
        await ws.send(depth("UPDATE", 41, bids=[("100", "4")]))
        await ws.send(trade(1, "m1"))
        await ws.send(trade(5, "m2"))  # TRADE gap: reported, nothing resubscribed
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url)) as run:
        await until(lambda: len(run.of(Data)) == 8)
        await asyncio.sleep(0.05)
        assert run.of(Gap) == [Gap("DEPTH", SYMBOL, 12, 13), Gap("TRADE", SYMBOL, 2, 5)]
        unsubscribe, subscribe = ex.requests[0][2:4]
        assert unsubscribe["type"] == "UNSUBSCRIBE" and subscribe["type"] == "SUBSCRIBE"
        for request in (unsubscribe, subscribe):
            assert request["channels"] == ["DEPTH"] and request["item_names"] == [SYMBOL]
            check_signed(request)
        assert len(ex.requests[0]) == 4
        # the Gap comes before the message that showed it
        gap_at = run.events.index(Gap("DEPTH", SYMBOL, 12, 13))
        assert run.events[gap_at + 1].message.seqnum == 13


async def test_seqnums_counted_per_symbol_are_learnt_not_reported_as_gaps():
    # Authenticated (real time): a no-auth stream is coalesced and its jumps are no gaps.
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ex.request(ws, index)
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(confirmation("AUTHENTICATED"))
        await ws.send(depth("SNAPSHOT", 1, symbol="A"))
        await ws.send(depth("SNAPSHOT", 1, symbol="B"))
        await ws.send(depth("UPDATE", 2, symbol="A"))
        await ws.send(depth("UPDATE", 2, symbol="B"))
        await ws.send(depth("UPDATE", 3, symbol="A"))
        await ws.send(depth("UPDATE", 5, symbol="B"))  # B's 3 and 4 are missing
        await ex.request(ws, index)
        await ex.request(ws, index)
        await hold(ws)

    async with Exchange(script) as ex:
        stream = session(ex.url)
        stream.set_items(symbols=["A", "B"])
        async with Running(stream) as run:
            await until(lambda: len(run.of(Data)) == 6)
            assert run.of(Gap) == [Gap("DEPTH", "B", 3, 5)]
            await until(lambda: len(ex.requests[0]) == 4)
            resubscribe = ex.requests[0][2:]
            assert [r["type"] for r in resubscribe] == ["UNSUBSCRIBE", "SUBSCRIBE"]
            assert all(r["item_names"] == ["B"] and r["channels"] == ["DEPTH"] for r in resubscribe)


# --- what does not read -------------------------------------------------------------------------


async def test_unreadable_frames_are_reported_and_the_session_keeps_reading():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ws.send(confirmation("UNAUTHENTICATED"))
        await ws.send("{not json")
        await ws.send("[1, 2]")
        await ws.send(json.dumps({"channel": "NEWS", "update": "UPDATE", "seqnum": "1"}))
        await ws.send(depth("SNAPSHOT", 1, bids=[("abc", "1"), ("100", "x")]))
        await ws.send(json.dumps({"channel": "EBBO", "update": "UPDATE", "seqnum": "oops", "data": {"id": "7"}}))
        await ws.send(depth("UPDATE", 2, bids=[("100", "1")]))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url, credentials=False)) as run:
        await until(lambda: len(run.of(Data)) == 3)
        reasons = [e.unreadable.reason for e in run.of(Unread)]
        assert len(reasons) == 3 and reasons[0].startswith("not JSON") and "list" in reasons[1]
        assert run.of(Unread)[2].unreadable.channel == "NEWS"
        bad_depth, ebbo, good = (e.message for e in run.of(Data))
        assert [level.unreadable for level in bad_depth.data.bids] == [{"price": "abc"}, {"qty": "x"}]
        assert ebbo.seqnum is None and ebbo.unreadable == {"seqnum": "oops"}
        assert good.seqnum == 2 and not run.of(Gap)
        assert run.stream.status.state == "live" and not run.of(Disconnected)


# --- silence ------------------------------------------------------------------------------------


async def test_silence_is_stale_then_a_connection_that_does_not_answer_is_replaced():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ws.send(confirmation("UNAUTHENTICATED", PUBLIC_SET))
        if index == 0:
            ws.transport.pause_reading()  # a hung peer: no frames, no pongs
        await hold(ws)

    async with Exchange(script) as ex:
        stream = session(ex.url, credentials=False, silence_timeout=0.2)
        async with Running(stream) as run:
            await until(lambda: len(run.of(Connected)) == 2)
            kinds = [type(e) for e in run.events]
            assert kinds[:5] == [Connected, Subscribed, Stale, Disconnected, Connected]
            stale, down = run.of(Stale)[0], run.of(Disconnected)[0]
            assert stale.silent_for >= 0.2
            assert "no answer to a ping" in down.reason
            assert run.of(Connected)[1].reconnect is True


async def test_a_quiet_connection_that_answers_pings_is_kept(caplog):
    caplog.set_level(logging.INFO, logger="blotter.api._stream")

    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ws.send(confirmation("UNAUTHENTICATED", PUBLIC_SET))
        await asyncio.sleep(0.9)  # a quiet market; pings are still answered
        await ws.send(depth("SNAPSHOT", 1))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url, credentials=False, silence_timeout=0.2)) as run:
        await until(lambda: run.of(Stale))
        assert run.stream.status.state == "stale"
        await until(lambda: run.of(Data), timeout=2)
        assert not run.of(Disconnected) and len(ex.connections) == 1
        assert "answering pings" in caplog.text  # it was probed, and answered
        assert run.stream.status.state == "live"


# --- changing the subscription ------------------------------------------------------------------


async def test_set_items_subscribes_new_and_unsubscribes_removed_items_live():
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        while True:
            try:
                await ex.request(ws, index, timeout=5)
            except Exception:  # noqa: BLE001 - the client went away
                return
            await ws.send(confirmation("AUTHENTICATED"))

    async with Exchange(script) as ex, Running(session(ex.url)) as run:
        await until(lambda: len(run.of(Subscribed)) == 2)
        run.stream.set_items(symbols=["ETH-PYUSD", SYMBOL], client_ids=["1002"])
        await until(lambda: len(ex.requests[0]) == 5)
        changes = ex.requests[0][2:]
        assert [(r["type"], r["channels"], r["item_names"]) for r in changes] == [
            ("SUBSCRIBE", PUBLIC, ["ETH-PYUSD"]),
            ("UNSUBSCRIBE", ["DROPCOPY"], ["1001"]),
            ("SUBSCRIBE", ["DROPCOPY"], ["1002"]),
        ]
        for request in changes:
            check_signed(request)
        run.stream.set_items(symbols=["ETH-PYUSD"])
        await until(lambda: len(ex.requests[0]) == 6)
        assert ex.requests[0][5]["type"] == "UNSUBSCRIBE" and ex.requests[0][5]["item_names"] == [SYMBOL]
        assert run.stream.symbols == ("ETH-PYUSD",) and run.stream.client_ids == ("1002",)


# --- secrets ------------------------------------------------------------------------------------


async def test_secrets_never_appear_in_reprs_events_status_or_logs(caplog):
    caplog.set_level(logging.DEBUG)  # everything, websockets' own loggers included

    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ex.request(ws, index)
        await ws.send(confirmation("UNAUTHENTICATED"))
        await ws.send(confirmation("AUTHENTICATED"))
        await ex.request(ws, index)  # the no-auth fallback
        await ws.send(confirmation("UNAUTHENTICATED", PUBLIC_SET))
        if index == 0:
            await ws.close(reason="bye")
            return
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url)) as run:
        await until(lambda: len(run.of(Connected)) == 2 and len(run.of(Subscribed)) == 4)
        signatures = {r["signature"] for r in ex.all_requests if "signature" in r}
        assert signatures  # one per second: the requests here share their second
        client_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(EXCHANGE_LOG))
        shown = [repr(run.stream), str(run.stream.status), client_log, *map(repr, run.events)]
        shown += [str(getattr(event, "reason", "")) for event in run.events]
        for text in shown:
            assert SECRET not in text
            assert not any(signature in text for signature in signatures)
        assert "sending" in client_log  # the requests are logged, without their signature


async def test_a_no_auth_confirmation_listing_nothing_is_a_refusal_until_data_flows():
    """UNAUTHENTICATED is a no-auth request's success only when the set it sends back lists what was
    asked; an empty set means nothing is subscribed. Data that flows anyway makes the stream live."""
    async def script(ex: Exchange, ws: ServerConnection, index: int) -> None:
        await ws.send(welcome())
        await ex.request(ws, index)
        await ws.send(confirmation("UNAUTHENTICATED"))  # the whole set: empty
        await asyncio.sleep(0.2)
        await ws.send(trade(1, "m1"))
        await hold(ws)

    async with Exchange(script) as ex, Running(session(ex.url, credentials=False)) as run:
        await until(lambda: run.of(Refused))
        assert not run.of(Subscribed)
        await until(lambda: run.of(Data))
        assert run.stream.status.state == "live"
