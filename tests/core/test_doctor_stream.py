"""core.doctor's WebSocket checks (WELCOME, a no-auth subscription, a signed one) against a tiny
fake stream server on loopback (`websockets.asyncio.server.serve`), with REST faked by httpx."""

import base64
import hashlib
import hmac
import json
import logging
import os
import socket
import time
from email.utils import formatdate
from http import HTTPStatus

import httpx
import pytest
from websockets.asyncio.server import serve

from blotter.config import Settings
from blotter.core.doctor import Result, render_table, run_doctor
from blotter.core.doctor._stream_checks import STREAM_CHECKS, check_stream_no_auth, check_stream_signed

USER, OTHER = "78932725357888855", "78932725357888999"
KEY, SECRET = "6f1d2c3b-4a59-4e7f-8a1b-9c0d1e2f3a4b", "s3cr3t-xyz"
ORG = "5b1f6f0e-2a3c-4d5e-8f90-a1b2c3d4e5f6"
BASE = "https://truex.test"
STREAM_IDS = ["stream_welcome", "stream_no_auth", "stream_signed"]
WELCOME = {"channel": "WEBSOCKET", "update": "WELCOME", "connections": "2", "message": "Welcome",
           "version": "1.0.5", "datetime": "2026-01-15T14:30:00.000Z"}
EBBO = {"channel": "EBBO", "update": "SNAPSHOT", "seqnum": "1", "data": {
    "id": "10", "status": "ENABLED", "info": {"best_bid": {"price": "100", "qty": "2"},
                                               "best_ask": {"price": "101", "qty": "1"}}}}


@pytest.fixture(autouse=True)
def no_truex_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("TRUEX_") or name in ("BLOTTER_PROFILE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                                                 "all_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)


def expected_signature(secret: str, timestamp: str, key: str, path: str) -> str:
    """Written here again on purpose: the check must sign as the reference says, not as the client thinks."""
    digest = hmac.new(secret.encode(), f"{timestamp}TRUEXWS{key}{path}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class FakeStream:
    """A TrueX stream: WELCOME, a confirmation per request, an EBBO snapshot per accepted EBBO
    subscription. Every attribute is one behaviour a test can change."""

    def __init__(self) -> None:
        self.reject: int | None = None  # answer the handshake with this HTTP status
        self.first: dict | None = WELCOME  # the first frame (None: say nothing first)
        self.no_auth_status = "UNAUTHENTICATED"
        self.signed_status: str | None = None  # None: verify the signature
        self.confirm = True
        self.ebbo = True
        self.clients = {USER}
        self.requests: list[dict] = []
        self.url = ""

    def process_request(self, connection, request):
        if self.reject is not None:
            return connection.respond(HTTPStatus(self.reject), "no WebSocket here\n")
        return None

    def verify(self, request: dict, path: str) -> str:
        stamp = request.get("timestamp", "")
        now = time.time()
        fresh = stamp.isdigit() and now - 15 <= int(stamp) <= now
        good = request.get("signature") == expected_signature(SECRET, stamp, KEY, path)
        if not (fresh and good and request.get("key") == KEY and request.get("organization_id") == ORG):
            return "UNAUTHENTICATED"
        if "DROPCOPY" in request["channels"] and not set(request["item_names"]) <= self.clients:
            return "UNAUTHORIZED"
        return "AUTHENTICATED"

    async def handler(self, ws) -> None:
        if self.first is not None:
            await ws.send(json.dumps(self.first))
        subscribed: dict[str, list[str]] = {}
        async for text in ws:
            request = json.loads(text)
            self.requests.append(request)
            if not self.confirm:
                continue
            if request["type"] == "SUBSCRIBE":
                status = self.signed_status or self.verify(request, ws.request.path)
                accepted = status == "AUTHENTICATED"
            else:
                status = self.no_auth_status
                accepted = status in ("UNAUTHENTICATED", "AUTHENTICATED")
            if accepted:
                for channel in request["channels"]:
                    subscribed.setdefault(channel, []).extend(request["item_names"])
            await ws.send(json.dumps({"channel": "WEBSOCKET", "update": "SNAPSHOT", "timestamp": str(time.time_ns()),
                                      "status": status, "subscriptions": [
                                          {"channel": c, "item_names": items} for c, items in subscribed.items()]}))
            if accepted and "EBBO" in request["channels"] and self.ebbo:
                await ws.send(json.dumps(EBBO))


@pytest.fixture
async def stream():
    fake = FakeStream()
    async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.process_request) as server:
        port = server.sockets[0].getsockname()[1]
        fake.url = f"ws://127.0.0.1:{port}/api/v1"
        yield fake


INSTRUMENTS = [
    {"id": "9", "status": "DISABLED", "info": {"symbol": "ETH-PYUSD"}},
    {"id": "10", "status": "ACTIVE", "info": {"symbol": "BTC-PYUSD"}},
]


def rest(request: httpx.Request) -> httpx.Response:
    headers = {"Date": formatdate(time.time(), usegmt=True)}
    if request.url.path == "/api/v1/instruments":
        return httpx.Response(200, json={"data": INSTRUMENTS, "pagination": {"size": 100, "next_cursor": None}},
                              headers=headers)
    return httpx.Response(404, json={"error": {"title": "Not Found", "status": 404}}, headers=headers)


def settings(**values) -> Settings:
    return Settings(**{"base_url": BASE, "user_id": USER, "api_key": KEY, "api_secret": SECRET,
                       "organization_id": ORG, **values})


async def doctor(fake: FakeStream, *, timeout: float = 8.0, **values):
    values.setdefault("ws_url", fake.url)
    return await run_doctor(settings(**values), transport=httpx.MockTransport(rest), timeout=timeout,
                            checks=STREAM_CHECKS)


def rows(report) -> dict:
    assert [r.id for r in report.results] == STREAM_IDS
    return {r.id: r for r in report.results}


def everything(report) -> str:
    return render_table(report, 100) + report.to_json()


# --- all well -----------------------------------------------------------------------------------


async def test_a_working_stream_passes_all_three(stream):
    started = time.monotonic()
    report = await doctor(stream)
    assert time.monotonic() - started < 3  # loopback: no waiting for anything
    found = rows(report)
    assert {key: row.result for key, row in found.items()} == dict.fromkeys(STREAM_IDS, Result.OK)
    welcome = found["stream_welcome"]
    assert welcome.facts | {"seconds": 0} == {"url": stream.url, "proxy": None, "version": "1.0.5", "connections": 2,
                                              "datetime": "2026-01-15T14:30:00.000Z", "seconds": 0}
    assert stream.url in welcome.meaning and "(TRUEX_WS_URL)" in welcome.meaning
    assert "version 1.0.5, 2 connections open from this address" in welcome.meaning
    public = found["stream_no_auth"]
    assert "SUBSCRIBE_NO_AUTH for BTC-PYUSD" in public.meaning  # the first ACTIVE instrument
    assert "confirmed with status UNAUTHENTICATED, listing EBBO BTC-PYUSD" in public.meaning
    assert "an EBBO SNAPSHOT came" in public.meaning
    assert (public.facts["status"], public.facts["ebbo"]) == ("UNAUTHENTICATED", "SNAPSHOT")
    signed = found["stream_signed"]
    assert signed.meaning.startswith(f"The signed SUBSCRIBE for DROPCOPY, client {USER}, was confirmed AUTHENTICATED")
    assert signed.facts["status"] == "AUTHENTICATED" and signed.facts["subscriptions"] == {"DROPCOPY": [USER]}
    no_auth, dropcopy = stream.requests
    assert no_auth["type"] == "SUBSCRIBE_NO_AUTH" and "EBBO" in no_auth["channels"]
    assert no_auth["item_names"] == ["BTC-PYUSD"]
    assert not {"key", "signature", "organization_id"} & set(no_auth)
    assert dropcopy["type"] == "SUBSCRIBE" and dropcopy["channels"] == ["DROPCOPY"] and dropcopy["item_names"] == [USER]
    assert dropcopy["organization_id"] == ORG and dropcopy["key"] == KEY
    assert SECRET not in everything(report) and dropcopy["signature"] not in everything(report)


async def test_the_client_id_setting_is_the_one_subscribed(stream):
    stream.clients = {USER, OTHER}
    report = await doctor(stream, client_id=OTHER)
    assert rows(report)["stream_signed"].result is Result.OK
    assert stream.requests[-1]["item_names"] == [OTHER]


async def test_the_stream_url_is_derived_from_the_rest_base_url():
    """Unset ws_url: the REST host over ws at /api/v1; here nothing listens, so it is a FAIL naming it."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    report = await run_doctor(settings(base_url=f"http://127.0.0.1:{port}/api/v1"), timeout=4)
    assert [r.id for r in report.results][-3:] == STREAM_IDS  # no transport: the stream checks run too
    welcome = next(r for r in report.results if r.id == "stream_welcome")
    assert welcome.result is Result.FAIL and welcome.facts["url"] == f"ws://127.0.0.1:{port}/api/v1"
    assert "(from base_url; TRUEX_WS_URL not set): cannot connect" in welcome.meaning
    assert "TRUEX_WS_URL" in welcome.action
    skipped = [r for r in report.results if r.id in STREAM_IDS[1:]]
    assert [r.meaning for r in skipped] == ["Skipped: the stream could not be opened (see Stream welcome)."] * 2


async def test_with_a_fake_rest_transport_and_no_checks_named_the_stream_is_left_out():
    report = await run_doctor(settings(), transport=httpx.MockTransport(rest), timeout=2)
    assert not {r.id for r in report.results} & set(STREAM_IDS)


# --- WELCOME ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, said", [(404, "HTTP 404 (Not Found): no WebSocket is served at that path"),
                                          (403, "HTTP 403 (Forbidden)"), (426, "HTTP 426")])
async def test_a_refused_handshake_fails_and_says_what_to_check(stream, status, said):
    stream.reject = status
    found = rows(await doctor(stream))
    welcome = found["stream_welcome"]
    assert welcome.result is Result.FAIL and said in welcome.meaning
    assert "refused the WebSocket handshake" in welcome.meaning and welcome.facts["http_status"] == status
    for hint in ("TRUEX_WS_URL", "/api/v1", "/wssuat", "/wssproduction", "proxy", "HTTPS_PROXY"):
        assert hint in welcome.action
    for check in STREAM_IDS[1:]:
        assert found[check].result is Result.SKIP
    assert stream.requests == []


async def test_no_welcome_in_time_fails_but_the_subscriptions_are_still_tried(stream):
    stream.first = None
    started = time.monotonic()
    found = rows(await doctor(stream, timeout=2))  # each step 0.5 s
    assert time.monotonic() - started < 4
    welcome = found["stream_welcome"]
    assert welcome.result is Result.FAIL
    assert "the WebSocket opened, but no WELCOME came within 0.5 s" in welcome.meaning
    assert "TRUEX_WS_URL" in welcome.action and "/wssproduction" in welcome.action
    assert found["stream_no_auth"].result is Result.OK and found["stream_signed"].result is Result.OK


async def test_a_first_message_that_is_not_a_welcome_is_a_warning(stream):
    stream.first = {"channel": "WEBSOCKET", "update": "SNAPSHOT", "status": "AUTHENTICATED", "subscriptions": []}
    welcome = rows(await doctor(stream))["stream_welcome"]
    assert welcome.result is Result.WARN and "first message was not a WELCOME" in welcome.meaning
    assert "channel WEBSOCKET, update SNAPSHOT" in welcome.meaning


async def test_a_welcome_without_its_fields_is_still_a_welcome(stream):
    stream.first = {"channel": "WEBSOCKET", "update": "WELCOME"}
    welcome = rows(await doctor(stream))["stream_welcome"]
    assert welcome.result is Result.OK and "no version, no connection count" in welcome.meaning


async def test_stream_off_skips_all_three(stream):
    found = rows(await doctor(stream, stream="off"))
    for row in found.values():
        assert row.result is Result.SKIP
        assert row.meaning == "Skipped: the stream is off (stream = off, TRUEX_STREAM): the dashboard polls over " \
                              "REST only."
    assert stream.requests == []


# --- the no-auth subscription -------------------------------------------------------------------


async def test_an_authenticated_answer_to_a_no_auth_subscription_is_reported_as_sent(stream):
    stream.no_auth_status = "AUTHENTICATED"
    public = rows(await doctor(stream))["stream_no_auth"]
    assert public.result is Result.OK and "confirmed with status AUTHENTICATED" in public.meaning


@pytest.mark.parametrize("status", ["INVALID", "ERROR", "UNAUTHORIZED"])
async def test_a_refused_no_auth_subscription_fails_naming_the_status(stream, status):
    stream.no_auth_status = status
    public = rows(await doctor(stream))["stream_no_auth"]
    assert public.result is Result.FAIL and f"was answered {status}" in public.meaning
    assert public.facts["status"] == status and "REST" in public.action


async def test_no_ebbo_data_after_the_confirmation_is_a_warning(stream):
    stream.ebbo = False
    public = rows(await doctor(stream, timeout=2))["stream_no_auth"]
    assert public.result is Result.WARN and "but no EBBO message within 0.5 s" in public.meaning
    assert "confirmed with status UNAUTHENTICATED, listing EBBO BTC-PYUSD" in public.meaning


async def test_no_confirmation_fails(stream):
    stream.confirm = False
    found = rows(await doctor(stream, timeout=2))
    assert found["stream_no_auth"].result is Result.FAIL
    assert "no confirmation within 0.5 s" in found["stream_no_auth"].meaning
    assert found["stream_signed"].result is Result.FAIL
    assert "no confirmation within 0.5 s" in found["stream_signed"].meaning


async def test_no_instruments_over_rest_skips_the_no_auth_subscription(stream):
    def broken(request):
        return httpx.Response(404, json={"error": {"title": "Not Found", "status": 404}})

    report = await run_doctor(settings(ws_url=stream.url), transport=httpx.MockTransport(broken), timeout=4,
                              checks=(("stream_no_auth", "Stream no-auth", check_stream_no_auth),))
    (public,) = report.results
    assert public.result is Result.SKIP and public.meaning.startswith("Skipped: no symbol to subscribe to")


# --- the signed subscription --------------------------------------------------------------------


async def test_without_an_organization_id_the_signed_check_is_skipped(stream):
    found = rows(await doctor(stream, organization_id=None))
    signed = found["stream_signed"]
    assert signed.result is Result.SKIP
    assert "set TRUEX_ORGANIZATION_ID to stream orders (DROPCOPY) and real-time data" in signed.meaning
    assert [r["type"] for r in stream.requests] == ["SUBSCRIBE_NO_AUTH"]


async def test_a_wrong_secret_fails_names_the_status_and_what_to_check_and_never_the_secret(stream, caplog):
    caplog.set_level(logging.DEBUG)
    report = await doctor(stream, api_secret="wrong-secret-zzz")
    signed = rows(report)["stream_signed"]
    assert signed.result is Result.FAIL
    assert "was answered UNAUTHENTICATED, not AUTHENTICATED" in signed.meaning
    for hint in ("TRUEX_ORGANIZATION_ID", ORG, "TRUEX_API_KEY", KEY, "TRUEX_API_SECRET",
                 "must not be in the future and at most 15 s old"):
        assert hint in signed.action
    sent = stream.requests[-1]["signature"]
    for text in (everything(report), caplog.text):
        assert "wrong-secret-zzz" not in text and SECRET not in text and sent not in text
    # The session's own warnings became this row, not stderr noise.
    assert not [r for r in caplog.records if r.name.startswith("blotter.api._stream") and r.levelno >= logging.WARNING]


async def test_a_foreign_client_id_is_unauthorized(stream):
    signed = rows(await doctor(stream, client_id=OTHER))["stream_signed"]
    assert signed.result is Result.FAIL and "was answered UNAUTHORIZED" in signed.meaning
    assert signed.action.startswith(f"The key may not see client {OTHER}.")


@pytest.mark.parametrize("status", ["INVALID", "ERROR"])
async def test_any_other_status_fails_too(stream, status):
    stream.signed_status = status
    signed = rows(await doctor(stream))["stream_signed"]
    assert signed.result is Result.FAIL and f"was answered {status}" in signed.meaning
    assert "TRUEX_ORGANIZATION_ID" in signed.action


async def test_a_confirmation_without_a_status_is_not_authenticated(stream):
    stream.signed_status = ""
    stream.verify = lambda request, path: None  # confirms with "status": null
    report = await run_doctor(settings(ws_url=stream.url), transport=httpx.MockTransport(rest), timeout=4,
                              checks=(("stream_signed", "Stream signed", check_stream_signed),))
    (signed,) = report.results
    assert signed.result is Result.FAIL and "no status, not AUTHENTICATED" in signed.meaning


async def test_a_signed_check_that_would_hang_ends_in_time(stream):
    stream.confirm = False
    started = time.monotonic()
    report = await run_doctor(settings(ws_url=stream.url), transport=httpx.MockTransport(rest), timeout=1,
                              checks=(("stream_signed", "Stream signed", check_stream_signed),))
    assert time.monotonic() - started < 2
    (signed,) = report.results
    assert signed.result is Result.FAIL and "no confirmation within 0.25 s" in signed.meaning
