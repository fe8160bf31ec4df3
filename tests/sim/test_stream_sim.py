"""The simulator's WebSocket stream API (truex-ws.md §6) with the `websockets` client and a signer
written here: welcome, confirmations and their statuses, snapshots, seqnums, real-time and batched
data, DROPCOPY, and every `ws_*` fault switch."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from blotter.api.stream_models import Unreadable, parse_message
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

from sim_calls import call, put_faults, step

CREDS = DEMO_CREDENTIALS
BID_SENTINEL = "-170141183460469231731.687303715884105728"
ASK_SENTINEL = "170141183460469231731.687303715884105727"
QUIET = 0.25  # how long "nothing arrives" is watched


@pytest.fixture(scope="module")
def server():
    with SimServer(Exchange(seed=41, seed_orders=4), auto_tick=False) as server:
        yield server


@pytest.fixture(autouse=True)
def clean_faults(server):
    server.faults.clear()
    yield
    server.faults.clear()


def signature(stamp: str, path: str = "/api/v1", key: str = CREDS.key, secret: str = CREDS.secret) -> str:
    mac = hmac.new(secret.encode(), (stamp + "TRUEXWS" + key + path).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def request(kind: str, channels: list[str], items: list[str], *, offset: int = 0, path: str = "/api/v1",
            key: str = CREDS.key, secret: str = CREDS.secret, org: str | None = CREDS.organization_id) -> dict:
    stamp = str(int(time.time()) + offset)
    body = {"type": kind, "item_names": items, "channels": channels, "timestamp": stamp}
    if not kind.endswith("NO_AUTH"):
        body.update(key=key, signature=signature(stamp, path, key, secret))
        if org is not None:
            body["organization_id"] = org
    return body


async def recv(ws, timeout: float = 2.0) -> dict:
    frame = await asyncio.wait_for(ws.recv(), timeout)
    assert not isinstance(parse_message(frame), Unreadable), frame  # the client's models read it
    return json.loads(frame)


async def gather(ws, seconds: float) -> list[dict]:
    """Everything that arrives within `seconds`."""
    found, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            found.append(await recv(ws, left))
        except TimeoutError:
            break
    return found


async def collect(ws, last, timeout: float = 3.0) -> list[dict]:
    """Messages up to and including the first for which `last(message)` is true."""
    found, deadline = [], time.monotonic() + timeout
    while True:
        found.append(await recv(ws, max(0.01, deadline - time.monotonic())))
        if last(found[-1]):
            return found


def is_update(channel: str):
    return lambda message: message["channel"] == channel and message["update"] == "UPDATE"


async def until(ws, channel: str, update: str, timeout: float = 2.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = await recv(ws, max(0.01, deadline - time.monotonic()))
        if message["channel"] == channel and message["update"] == update:
            return message


@asynccontextmanager
async def stream(server, path: str = "/api/v1"):
    async with connect(f"ws://{server.host}:{server.port}{path}", open_timeout=5, close_timeout=1) as ws:
        welcome = await recv(ws)
        assert welcome["update"] == "WELCOME"
        yield ws


async def subscribe(ws, body: dict) -> dict:
    await ws.send(json.dumps(body))
    return await until(ws, "WEBSOCKET", "SNAPSHOT")


async def snapshots(ws, count: int) -> list[dict]:
    """`count` items' snapshots up to each one's SNAPSHOT_COMPLETE: [(item, [snapshot messages])]."""
    result, current = [], []
    while len(result) < count:
        message = await recv(ws)
        if message["update"] == "SNAPSHOT_COMPLETE":
            result.append((message["channel"], message["item"], current))
            current = []
        else:
            assert message["update"] == "SNAPSHOT", message
            current.append(message)
    return result


def market_id(server, symbol: str = "BTC-PYUSD") -> str:
    return next(i for i, m in server.exchange.markets.items() if m.spec.symbol == symbol)


def new_order(server, external_id: str, **info) -> dict:
    values = {"client_id": CREDS.user_id, "instrument_id": market_id(server), "side": "BUY", "type": "LIMIT",
              "qty": "0.0010", "price": "50000", **info}
    response = call(server, "POST", "/api/v1/orders", body={"external_id": external_id, "info": values})
    assert response.status_code == 200, response.text
    return response.json()


def apply_depth(book: dict, data: dict) -> None:
    for side in ("bids", "asks"):
        for level in data[side]:
            price = Decimal(level["price"])
            if Decimal(level["qty"]) == 0:
                book[side].pop(price, None)
            else:
                book[side][price] = Decimal(level["qty"])


# --- connect and subscribe ----------------------------------------------------------------------


async def test_welcome_says_version_time_and_connections_from_this_address(server):
    async with connect(server.ws_url) as first, connect(server.ws_url) as second:
        one, two = await recv(first), await recv(second)
    assert one["channel"] == "WEBSOCKET" and one["version"] == "1.0.5" and one["message"]
    assert int(two["connections"]) == int(one["connections"]) + 1 and isinstance(two["connections"], str)
    stamp = datetime.fromisoformat(one["datetime"])
    assert stamp.utcoffset().total_seconds() == 0 and abs(stamp.timestamp() - time.time()) < 5


async def test_signed_subscribe_snapshots_each_item_then_marks_it_complete(server):
    async with stream(server) as ws:
        body = request("SUBSCRIBE", ["EBBO", "DEPTH", "INSTRUMENT", "TRADE"], ["BTC-PYUSD", "ETH-PYUSD"])
        confirmation = await subscribe(ws, body)
        assert confirmation["status"] == "AUTHENTICATED" and int(confirmation["timestamp"]) > 10**18
        assert confirmation["subscriptions"] == [
            {"channel": c, "item_names": ["BTC-PYUSD", "ETH-PYUSD"]} for c in ("EBBO", "DEPTH", "INSTRUMENT", "TRADE")]
        done = await snapshots(ws, 8)
    assert [(c, i) for c, i, _ in done] == [(c, s) for c in ("EBBO", "DEPTH", "INSTRUMENT", "TRADE")
                                            for s in ("BTC-PYUSD", "ETH-PYUSD")]
    by_item = {(c, i): messages for c, i, messages in done}
    btc = by_item[("EBBO", "BTC-PYUSD")][0]
    assert btc["data"]["id"] == market_id(server) and btc["data"]["status"] == "ENABLED"
    assert set(btc["data"]["info"]) == {"last_trade", "best_bid", "best_ask", "last_update"}
    assert Decimal(btc["data"]["info"]["best_bid"]["price"]) < Decimal(btc["data"]["info"]["best_ask"]["price"])
    depth = by_item[("DEPTH", "ETH-PYUSD")][0]["data"]
    prices = [Decimal(level["price"]) for level in depth["bids"]]
    assert depth["symbol"] == "ETH-PYUSD" and len(prices) >= 10 and prices == sorted(prices, reverse=True)
    assert all(isinstance(v, str) for level in depth["asks"] for v in level.values())
    assert by_item[("INSTRUMENT", "BTC-PYUSD")][0]["data"]["info"]["symbol"] == "BTC-PYUSD"
    assert by_item[("TRADE", "BTC-PYUSD")] == []  # no trade snapshot: only the marker
    # One counter per channel, strings, +1 per data message.
    assert [m["seqnum"] for m in by_item[("EBBO", "BTC-PYUSD")] + by_item[("EBBO", "ETH-PYUSD")]] == ["1", "2"]


async def test_authenticated_data_is_real_time_and_seqnums_continue(server):
    async with stream(server) as ws:
        await subscribe(ws, request("SUBSCRIBE", ["EBBO", "DEPTH", "TRADE"], ["BTC-PYUSD"]))
        done = await snapshots(ws, 3)
        book = {"bids": {}, "asks": {}}
        apply_depth(book, done[1][2][0]["data"])
        seqnums = {"EBBO": 1, "DEPTH": 1}
        for _ in range(3):
            started = time.monotonic()
            await asyncio.to_thread(server.exchange.step)  # from another thread, as a test or a script would
            updates = await collect(ws, is_update("DEPTH"))  # the last of a tick's messages
            assert time.monotonic() - started < 2
            for message in updates:
                assert message["update"] == "UPDATE"
                if message["channel"] in seqnums:
                    seqnums[message["channel"]] += 1
                    assert message["seqnum"] == str(seqnums[message["channel"]])
                if message["channel"] == "DEPTH":
                    apply_depth(book, message["data"])
                if message["channel"] == "TRADE":
                    assert message["id"] == market_id(server) and message["data"]["liq_flag"] == "TAKER"
        bids, asks = server.exchange.depth(market_id(server))
    # Updates (absolute qty, "0" deletes) applied to the snapshot give the book as it is now.
    assert book["bids"] == {p: q for p, q, _ in bids} and book["asks"] == {p: q for p, q, _ in asks}
    assert seqnums["EBBO"] == 4


async def test_resting_orders_appear_in_depth_and_a_cancel_deletes_their_level(server):
    async with stream(server) as ws:
        await subscribe(ws, request("SUBSCRIBE", ["DEPTH"], ["SOL-PYUSD"]))
        await snapshots(ws, 1)
        order = new_order(server, "ws-depth-1", instrument_id=market_id(server, "SOL-PYUSD"), price="101.123",
                          qty="2.50")
        step(server)
        update = await until(ws, "DEPTH", "UPDATE")
        levels = [level for level in update["data"]["bids"] if level["price"] == "101.123"]
        assert levels == [{"price": "101.123", "qty": "2.5", "order_count": "1"}]
        call(server, "DELETE", f"/api/v1/orders/{order['id']}")
        step(server)
        update = await until(ws, "DEPTH", "UPDATE")
        levels = [level for level in update["data"]["bids"] if level["price"] == "101.123"]
        assert levels == [{"price": "101.123", "qty": "0", "order_count": "0"}]


async def test_no_auth_data_comes_coalesced_once_a_second(server):
    async with stream(server) as ws:
        confirmation = await subscribe(ws, request("SUBSCRIBE_NO_AUTH", ["EBBO", "TRADE"], ["BTC-PYUSD"]))
        assert confirmation["status"] == "UNAUTHENTICATED"
        assert confirmation["subscriptions"] == [{"channel": "EBBO", "item_names": ["BTC-PYUSD"]},
                                                 {"channel": "TRADE", "item_names": ["BTC-PYUSD"]}]
        await snapshots(ws, 2)
        arrivals = []

        async def ticker():
            for _ in range(22):  # 2.2 s of ticks every 0.1 s
                server.exchange.step()
                await asyncio.sleep(0.1)

        task = asyncio.create_task(ticker())
        while not task.done() or len(arrivals) < 2:
            try:
                arrivals.append((time.monotonic(), await recv(ws, 1.5)))
            except TimeoutError:
                break
        await task
    ebbo = [m for _, m in arrivals if m["channel"] == "EBBO"]
    assert 1 <= len(ebbo) <= 3  # not one per tick (22): the latest state once a second
    assert [int(m["seqnum"]) for m in ebbo] == list(range(2, 2 + len(ebbo)))
    trades = [m for _, m in arrivals if m["channel"] == "TRADE"]
    assert len(trades) > len(ebbo)  # a batch carries every print of its second
    times = [t for t, _ in arrivals]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(gap < 0.2 or gap > 0.7 for gap in gaps) and any(gap > 0.7 for gap in gaps)  # bursts, 1 s apart


@pytest.mark.parametrize("change", [
    {"secret": "not-the-secret"}, {"offset": -30}, {"offset": 5}, {"key": "00000000-0000-4000-8000-000000000000"},
    {"org": "00000000-0000-4000-8000-000000000001"}, {"path": "/v1/cefi"},
], ids=["signature", "stale", "future", "key", "organization", "path"])
async def test_bad_credentials_are_unauthenticated_and_subscribe_nothing(server, change):
    async with stream(server) as ws:
        confirmation = await subscribe(ws, request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD"], **change))
        assert confirmation["status"] == "UNAUTHENTICATED" and confirmation["subscriptions"] == []
        step(server)
        assert await gather(ws, QUIET) == []
        # The socket stays open and usable.
        assert (await subscribe(ws, request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD"])))["status"] == "AUTHENTICATED"


async def test_organization_is_optional_and_other_paths_sign_their_own(server):
    async with stream(server, "/v1/cefi") as ws:
        body = request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD"], org=None, path="/v1/cefi")
        assert (await subscribe(ws, body))["status"] == "AUTHENTICATED"


async def test_dropcopy_needs_a_signature_and_our_own_client(server):
    async with stream(server) as ws:
        answer = await subscribe(ws, request("SUBSCRIBE_NO_AUTH", ["DROPCOPY"], [CREDS.user_id]))
        assert answer["status"] == "UNAUTHORIZED" and answer["subscriptions"] == []
        answer = await subscribe(ws, request("SUBSCRIBE", ["DROPCOPY"], ["12345678901234567"]))
        assert answer["status"] == "UNAUTHORIZED" and answer["subscriptions"] == []
        answer = await subscribe(ws, request("SUBSCRIBE", ["DROPCOPY"], [CREDS.user_id]))
        assert answer["status"] == "AUTHENTICATED"


@pytest.mark.parametrize("frame", [
    "{not json", "[1, 2]",
    {"type": "SUBSCRIBE_NO_AUTH", "channels": ["EBBO"], "timestamp": "1"},
    {"type": "SUBSCRIBE_NO_AUTH", "item_names": ["BTC-PYUSD"], "timestamp": "1"},
    {"type": "SUBSCRIBE_NO_AUTH", "item_names": ["BTC-PYUSD"], "channels": ["EBBO"]},
    {"type": "SUBSCRIBE_NO_AUTH", "item_names": ["BTC-PYUSD"], "channels": ["EBBO"], "timestamp": 1741894773},
    {"type": "SUBSCRIBE_NO_AUTH", "item_names": ["BTC-PYUSD"], "channels": ["QUOTES"], "timestamp": "1"},
    {"type": "SUBSCRIBE_NO_AUTH", "item_names": ["DOGE-PYUSD"], "channels": ["EBBO"], "timestamp": "1"},
    {"type": "LISTEN", "item_names": ["BTC-PYUSD"], "channels": ["EBBO"], "timestamp": "1"},
    b"\x00binary",
], ids=["not-json", "not-object", "no-items", "no-channels", "no-timestamp", "number-timestamp",
        "unknown-channel", "unknown-symbol", "unknown-type", "binary"])
async def test_malformed_requests_are_invalid(server, frame):
    async with stream(server) as ws:
        await ws.send(json.dumps(frame) if isinstance(frame, dict) else frame)
        answer = await until(ws, "WEBSOCKET", "SNAPSHOT")
    assert answer["status"] == "INVALID" and answer["subscriptions"] == []


async def test_unsubscribe_leaves_the_rest_and_stops_its_updates(server):
    async with stream(server) as ws:
        await subscribe(ws, request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD", "ETH-PYUSD"]))
        await snapshots(ws, 2)
        answer = await subscribe(ws, request("UNSUBSCRIBE", ["EBBO"], ["BTC-PYUSD"]))
        assert answer["status"] == "AUTHENTICATED"
        assert answer["subscriptions"] == [{"channel": "EBBO", "item_names": ["ETH-PYUSD"]}]
        step(server)
        updates = [await until(ws, "EBBO", "UPDATE"), *await gather(ws, QUIET)]
        assert {m["data"]["id"] for m in updates} == {market_id(server, "ETH-PYUSD")}
        answer = await subscribe(ws, request("UNSUBSCRIBE_NO_AUTH", ["EBBO"], ["ETH-PYUSD"]))
        assert answer["status"] == "AUTHENTICATED" and answer["subscriptions"] == []  # the connection did sign


# --- DROPCOPY -----------------------------------------------------------------------------------


async def test_dropcopy_snapshots_open_orders_then_reports_each_event(server):
    new_order(server, "ws-dc-0")
    step(server)
    async with stream(server) as ws:
        await subscribe(ws, request("SUBSCRIBE", ["DROPCOPY"], [CREDS.user_id]))
        [(channel, item, snapshot)] = await snapshots(ws, 1)
        open_ids = {o["id"] for o in call(server, "GET", "/api/v1/orders/active").json()}
        assert (channel, item) == ("DROPCOPY", CREDS.user_id)
        assert {m["data"]["id"] for m in snapshot} == open_ids and open_ids
        assert all("msg_type" not in m["data"] for m in snapshot)

        created = new_order(server, "ws-dc-1")
        report = await until(ws, "DROPCOPY", "UPDATE")
        assert report["data"]["id"] == created["id"] and report["data"]["msg_type"] == "REQUEST_NEW"
        assert report["data"]["status"] == "NEW_PENDING" and report["data"]["order_info"]["price"] == "50000"
        step(server)
        confirm = await until(ws, "DROPCOPY", "UPDATE")
        assert confirm["data"]["msg_type"] == "REPORT_CONFIRM" and int(confirm["seqnum"]) == int(report["seqnum"]) + 1

        # A marketable IOC fills at once on the next tick, and its rest is canceled with a reason.
        taker = new_order(server, "ws-dc-2", price="200000", qty="1", tif="IOC")  # more than the top level
        # Up to the taker's own REQUEST_NEW: on a loaded machine another report may come first.
        await collect(ws, lambda m: m["channel"] == "DROPCOPY" and m.get("data", {}).get("id") == taker["id"])
        started = time.monotonic()
        step(server)
        messages = await collect(ws, lambda m: m.get("data", {}).get("msg_type") == "REPORT_CANCELED")
        reports = [m["data"] for m in messages if m["channel"] == "DROPCOPY"]
        assert time.monotonic() - started < 2
    mine = [r for r in reports if r["id"] == taker["id"]]
    assert [r["msg_type"] for r in mine] == ["REPORT_CONFIRM", "REPORT_TRADE", "REPORT_CANCELED"]
    fill = mine[1]
    assert fill["trade"]["order_id"] == taker["id"] and Decimal(fill["trade"]["trade_qty"]) > 0
    assert fill["exeuted_qty"] == fill["trade"]["trade_qty"] and fill["trade"]["liq_flag"] == "TAKER"
    assert mine[2]["status"] == "CANCELED" and "IOC" in mine[2]["text"]


async def test_flat_dropcopy_schema_lifts_the_order_and_names_fills_last(server):
    put_faults(server, ws_dropcopy_schema="flat")
    new_order(server, "ws-flat-0")
    step(server)
    async with stream(server) as ws:
        await subscribe(ws, request("SUBSCRIBE", ["DROPCOPY"], [CREDS.user_id]))
        [(_, _, snapshot)] = await snapshots(ws, 1)
        assert snapshot and all("order_info" not in m["data"] and "client_id" in m["data"] for m in snapshot)
        taker = new_order(server, "ws-flat-1", side="SELL", price="1000", qty="0.0020")
        step(server)
        reports = await collect(ws, lambda m: m.get("data", {}).get("msg_type") == "REPORT_TRADE")
    fill = reports[-1]["data"]
    assert fill["id"] == taker["id"]
    assert fill["side"] == "SELL" and Decimal(fill["last_qty"]) == Decimal("0.002") and Decimal(fill["last_px"]) > 1000
    assert fill["executed_qty"] == "0.0020" and "trade" not in fill and "exeuted_qty" not in fill


# --- wire modes ---------------------------------------------------------------------------------


async def test_real_mode_shows_an_empty_side_as_the_sentinels_and_sim_mode_as_zero():
    with SimServer(Exchange(seed=5, wire="real"), auto_tick=False) as real, \
            SimServer(Exchange(seed=5), auto_tick=False) as sim:
        listed = next(iter(real.exchange.listed.values())).info.symbol
        async with stream(real) as ws:
            await subscribe(ws, request("SUBSCRIBE_NO_AUTH", ["EBBO", "DEPTH"], [listed]))
            [(_, _, [ebbo]), (_, _, [depth])] = await snapshots(ws, 2)
        async with stream(sim) as ws:
            await subscribe(ws, request("SUBSCRIBE_NO_AUTH", ["EBBO"], ["BTC-PYUSD"]))
            [(_, _, [fresh])] = await snapshots(ws, 1)
    info = ebbo["data"]["info"]
    assert ebbo["data"]["status"] == "DISABLED"
    assert info["best_bid"] == {"price": BID_SENTINEL, "qty": "0"}
    assert info["best_ask"] == {"price": ASK_SENTINEL, "qty": "0"}
    assert depth["data"] == {"symbol": listed, "bids": [], "asks": []}
    assert fresh["data"]["info"]["last_trade"] == {"price": "0", "qty": "0"}  # nothing has traded yet


# --- faults -------------------------------------------------------------------------------------


async def test_ws_drop_cuts_open_sockets_and_each_new_one_after_welcome(server):
    async with stream(server) as ws:
        put_faults(server, ws_drop=True)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 2)
    assert closed.value.rcvd is None  # no close frame: cut, as a network would
    async with connect(server.ws_url) as ws:
        assert (await recv(ws))["update"] == "WELCOME"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 2)
    put_faults(server, ws_drop=False)
    async with stream(server) as ws:
        assert (await subscribe(ws, request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD"])))["status"] == "AUTHENTICATED"


async def test_ws_skip_seqnum_leaves_one_gap_in_depth_then_clears(server):
    async with stream(server) as ws:
        await subscribe(ws, request("SUBSCRIBE", ["DEPTH"], ["BTC-PYUSD"]))
        await snapshots(ws, 1)
        assert put_faults(server, ws_skip_seqnum=True)["ws_skip_seqnum"] == 1
        step(server)
        first = await until(ws, "DEPTH", "UPDATE")
        step(server)
        second = await until(ws, "DEPTH", "UPDATE")
    assert first["seqnum"] == "3" and second["seqnum"] == "4"  # 2 was skipped
    assert server.faults.ws_skip_seqnum == 0


async def test_ws_stall_keeps_the_socket_and_pings_but_sends_nothing_until_cleared(server):
    async with stream(server) as ws:
        await subscribe(ws, request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD"]))
        await snapshots(ws, 1)
        put_faults(server, ws_stall=True)
        await asyncio.sleep(0.1)
        step(server)
        assert await gather(ws, QUIET) == []
        await asyncio.wait_for(await ws.ping(), 2)  # the protocol still answers
        put_faults(server, ws_stall=False)
        held = await until(ws, "EBBO", "UPDATE")
    assert held["seqnum"] == "2"


@pytest.mark.parametrize("refuse, status", [(True, "UNAUTHENTICATED"), ("ERROR", "ERROR")])
async def test_ws_refuse_answers_every_subscribe_with_its_status(server, refuse, status):
    put_faults(server, ws_refuse=refuse)
    async with stream(server) as ws:
        answer = await subscribe(ws, request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD"]))
        assert answer["status"] == status and answer["subscriptions"] == []
        assert await gather(ws, QUIET) == []


async def test_ws_no_snapshot_complete_acts_as_a_pre_105_server(server):
    put_faults(server, ws_no_snapshot_complete=True)
    async with connect(server.ws_url) as ws:
        assert (await recv(ws))["version"] == "1.0.4"
        await subscribe(ws, request("SUBSCRIBE", ["EBBO"], ["BTC-PYUSD", "ETH-PYUSD"]))
        messages = await gather(ws, QUIET)
    assert [m["update"] for m in messages] == ["SNAPSHOT", "SNAPSHOT"]


async def test_ws_reject_upgrade_refuses_the_handshake(server):
    put_faults(server, ws_reject_upgrade=True)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.ws_url, open_timeout=3):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("values", [
    {"ws_drop": "yes"}, {"ws_skip_seqnum": -1}, {"ws_refuse": "MAYBE"}, {"ws_dropcopy_schema": "fix"},
    {"ws_batch_seconds": 0},
])
def test_ws_faults_are_checked(server, values):
    response = httpx.put(server.base_url + "/_sim/faults", json=values, timeout=5)
    assert response.status_code == 400 and next(iter(values)) in response.json()["detail"]


async def test_stop_closes_open_sockets_promptly():
    server = SimServer(Exchange(seed=6), auto_tick=True, tick_interval=0.05).start()
    async with connect(server.ws_url) as ws:
        await recv(ws)
        await subscribe(ws, request("SUBSCRIBE", ["EBBO", "DEPTH"], ["BTC-PYUSD"]))
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 3
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012  # "service restart"
