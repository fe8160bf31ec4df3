"""core.doctor: each check's verdict from fake answers (httpx.MockTransport), the read-only guard,
the findings file and the table."""

import asyncio
import json
import os
import ssl
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import formatdate

import httpx
import pytest
from pydantic import SecretStr

from blotter.api import Credentials, TrueXClient
from blotter.api.models import (
    Asset,
    Balances,
    ClientPatch,
    MarketQuote,
    ModifyOrder,
    NewOrder,
    NewTransfer,
    Order,
    Trade,
)
from blotter.config import Settings
from blotter.core.doctor import (
    Findings,
    OrderRequestRefused,
    ReadOnlyTransport,
    Result,
    load_findings,
    render_table,
    run_doctor,
    save_findings,
)
from blotter.core.doctor._verdicts import (
    Outcome,
    asset_notes,
    balance_notes,
    clock_verdict,
    order_notes,
    paging_outcome,
    quote_notes,
    timestamp_meaning,
    trade_notes,
)

USER, OTHER = "78932725357888855", "78932725357888999"
KEY, SECRET = "6f1d2c3b-4a59-4e7f-8a1b-9c0d1e2f3a4b", "s3cr3t-xyz"
V2024, V2026 = "v2024_01_01", "v2026_01_23"
BASE = "https://truex.test"
SECOND = 1_000_000_000
SENTINEL = "-170141183460469231731.687303715884105728"


@pytest.fixture(autouse=True)
def no_truex_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("TRUEX_") or name in ("BLOTTER_PROFILE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)


def settings(**values) -> Settings:
    return Settings(**{"base_url": BASE, "user_id": USER, "api_key": KEY, "api_secret": SECRET, **values})


def trade(i: int, now_ns: int, **changes) -> dict:
    row = {"client_id": USER, "external_id": f"e{i}", "instrument_id": "10", "msg_type": "REPORT_TRADE",
           "timestamp": str(now_ns - (i + 1) * 60 * SECOND), "side": "BUY", "order_id": f"o{i}",
           "trade_price": "100.5", "trade_qty": "0.01", "trade_fee_rate": "0.001", "liq_flag": "MAKER",
           "match_id": f"m{i}"}
    return {**row, **changes}


def order(i: int, **changes) -> dict:
    row = {"id": str(900 + i), "status": "ACTIVE", "external_id": f"x{i}", "timestamp": str(1_790_000_000 * SECOND + i),
           "order_info": {"client_id": USER, "instrument_id": "10", "side": "BUY", "type": "LIMIT", "qty": "1",
                          "price": "100", "tif": "GTC"},
           "pending_qty": "0", "leaves_qty": "1", "exeuted_qty": "0", "executed_vwap": "0"}
    return {**row, **changes}


def level(price: str, qty: str = "2", count=3) -> dict:
    return {"price": price, "qty": qty, "order_count": count}


class Fake:
    """A TrueX that answers the doctor's reads; every attribute is one behaviour a test can change."""

    def __init__(self) -> None:
        now = time.time_ns()
        self.date_offset = 0.0
        self.health = (200, {"status": "healthy", "timestamp": "2026-01-15 14:30:00", "service": "gw"})
        self.clients = [{"id": USER, "status": "ACTIVE", "info": {"mnemonic": "DESK"}}]
        self.unauthorized = False
        self.refused_versions: set[str] = set()
        self.deprecated = {V2024}
        self.trades = [trade(i, now) for i in range(7)]  # newest first
        self.timestamp = "lower"  # lower, upper or ignored
        self.cursor = "works"  # works, ignored or absent
        self.skip_works = True
        self.orders = [order(i) for i in range(4)]
        self.instruments = [{"id": "10", "status": "ACTIVE", "info": {
            "symbol": "BTC-PYUSD", "base_asset_id": "1", "quote_asset_id": "2", "price_increment": "0.5",
            "qty_increment": "0.0001"}}]
        self.quotes = [{"id": "10", "symbol": "BTC-PYUSD", "info": {
            "best_bid": level("100"), "best_ask": level("101"), "last_trade": {"price": "100.5", "qty": "1"}}}]
        self.assets = [{"id": "1", "status": "ACTIVE", "info": {"name": "BTC"}},
                       {"id": "2", "status": "ACTIVE", "info": {"name": "PYUSD"}}]
        self.balances = [{"id": USER, "status": "INVALID", "balances": [
            {"asset_id": "1", "balance": "2", "unsettled": "0", "order_hold": "0", "transfer_hold": "0"}]}]
        self.vwap = (200, {"qty": "2", "price": "101", "notional": "202", "notional_residual": "0"})
        self.rate_limit: int | None = None
        self.overrides: dict[str, tuple[int, object]] = {}  # path -> (status, body)
        self.hang: set[str] = set()
        self.calls: list[tuple[str, str, dict]] = []

    def headers(self, version: str) -> dict[str, str]:
        headers = {"Date": formatdate(time.time() + self.date_offset, usegmt=True)}
        if version in self.deprecated:
            headers |= {"Deprecation": "Fri, 23 Jan 2026 00:00:00 GMT", "Sunset": "Wed, 05 Aug 2026 00:00:00 GMT"}
        if self.rate_limit is not None:
            used = len(self.calls)
            headers |= {"x-ratelimit-limit": str(self.rate_limit),
                        "x-ratelimit-remaining": str(max(0, self.rate_limit - used)), "x-ratelimit-reset": "30"}
        return headers

    def answer(self, status: int, body, version: str, page: dict | None = None) -> httpx.Response:
        if version == V2026 and body is not None:
            if status >= 400 and isinstance(body, dict) and "title" in body:
                body = {"error": body}
            elif status < 400 or isinstance(body, dict):
                body = {"data": body, **({"pagination": page} if page is not None else {})}
        return httpx.Response(status, json=body, headers=self.headers(version))

    def problem(self, status: int, title: str, version: str) -> httpx.Response:
        return self.answer(status, {"type": "about:blank", "title": title, "status": status}, version)

    def paged(self, items: list, params, version: str) -> httpx.Response:
        size = int(params.get("size", 10))
        offset = int(params.get("skip", 0)) if self.skip_works else 0
        if "cursor" in params and self.cursor == "works":
            offset = int(params["cursor"])
        more = offset + size < len(items)
        cursor = str(offset + size) if more and self.cursor != "absent" else None
        return self.answer(200, items[offset: offset + size], version, {"size": size, "next_cursor": cursor})

    def trades_at(self, since: int) -> list:
        keep = {"lower": lambda ts: ts >= since, "upper": lambda ts: ts <= since, "ignored": lambda ts: True}
        return [t for t in self.trades if keep[self.timestamp](int(t["timestamp"]))]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v1")
        version = request.headers.get("x-truex-version", V2024)
        params = request.url.params
        self.calls.append((request.method, request.url.path, dict(params)))
        if path in self.hang:
            await asyncio.sleep(30)
        if self.rate_limit is not None and len(self.calls) > self.rate_limit:
            return self.problem(429, "Too Many Requests", version)
        if version in self.refused_versions:
            return self.problem(400, "Unsupported API version", version)
        if path in self.overrides:
            return self.answer(*self.overrides[path], version)
        if path == "/health":
            return self.answer(*self.health, version)
        public = {"/instruments": self.instruments, "/assets": self.assets}
        if path in public:
            return self.answer(200, public[path], version, {"size": 100, "next_cursor": None})
        if path == "/markets/quote":
            if request.method == "POST":
                return self.answer(*self.vwap, version)
            return self.answer(200, self.quotes, version)
        if self.unauthorized:
            return self.problem(401, "Invalid signature", version)
        if path == "/clients":
            return self.answer(200, self.clients, version)
        if path == "/balances":
            return self.answer(200, self.balances, version)
        if path == "/orders/active":
            return self.answer(200, self.orders, version, {"size": 100, "next_cursor": None})
        if path == "/orders/list":
            return self.paged(self.orders, params, version)
        if path == "/orders/trade":
            return self.paged(self.trades_at(int(params["timestamp"])), params, version)
        return self.problem(404, "Not Found", version)


@pytest.fixture
def fake() -> Fake:
    return Fake()


async def doctor(fake: Fake, **values):
    timeout = values.pop("timeout", 5.0)
    return await run_doctor(settings(**values), transport=httpx.MockTransport(fake), timeout=timeout)


def row(report, check_id: str):
    return next(r for r in report.results if r.id == check_id)


# --- the read-only guard ------------------------------------------------------------------------


def recording_inner():
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        return httpx.Response(200, json={})

    return seen, httpx.MockTransport(answer)


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/orders"), ("PATCH", "/api/v1/orders"), ("DELETE", "/api/v1/orders/901"),
    ("POST", "/api/v1/order"), ("PATCH", "/api/v1/clients"), ("POST", "/api/v1/transfers"),
    ("PUT", "/api/v1/orders"), ("POST", "/api/v1/markets/quote/x"), ("POST", "/v1/cefi/markets/quote"),
    ("DELETE", "/api/v1/markets/quote"),
])
async def test_guard_refuses_every_changing_request_before_it_leaves(method, path):
    seen, inner = recording_inner()
    async with httpx.AsyncClient(transport=ReadOnlyTransport(BASE, "/api/v1", inner=inner), base_url=BASE) as http:
        with pytest.raises(OrderRequestRefused, match=f"refused {method} {path}"):
            await http.request(method, path, json={})
    assert seen == []


async def test_guard_lets_reads_and_the_vwap_quote_through():
    seen, inner = recording_inner()
    async with httpx.AsyncClient(transport=ReadOnlyTransport(BASE, "/api/v1", inner=inner), base_url=BASE) as http:
        for method, path in (("GET", "/api/v1/orders/active"), ("POST", "/api/v1/markets/quote"),
                             ("POST", "/api/v1/market/quote"), ("HEAD", "/api/v1/health")):
            assert (await http.request(method, path)).status_code == 200
    assert seen == [("GET", "/api/v1/orders/active"), ("POST", "/api/v1/markets/quote"),
                    ("POST", "/api/v1/market/quote"), ("HEAD", "/api/v1/health")]


async def test_guard_stops_the_clients_order_methods():
    seen, inner = recording_inner()
    credentials = Credentials(user_id=USER, key_id=KEY, secret=SecretStr(SECRET))
    transport = ReadOnlyTransport(BASE, "/api/v1", inner=inner)
    info = {"client_id": USER, "instrument_id": "10", "side": "BUY", "type": "LIMIT", "qty": "1", "price": "1"}
    async with TrueXClient(BASE, credentials=credentials, transport=transport) as client:
        attempts = [
            client.create_order(NewOrder.model_validate({"external_id": "a1", "info": info})),
            client.modify_order(ModifyOrder.model_validate({"id": "901", "info": {"client_id": USER, "new_qty": "2"}})),
            client.cancel_order("901"),
            client.patch_client(ClientPatch.model_validate({"id": USER, "info": {"self_trade_prevention": "NONE"}})),
            client.create_transfer(NewTransfer(asset_id="1", client_id=USER, amount=Decimal(1), type="DEPOSIT")),
        ]
        for attempt in attempts:
            with pytest.raises(OrderRequestRefused):
                await attempt
    assert seen == []


async def test_a_whole_run_sends_only_reads_and_one_vwap_quote(fake):
    await doctor(fake)
    writes = [(method, path) for method, path, _ in fake.calls if method != "GET"]
    assert writes == [("POST", "/api/v1/markets/quote")]
    assert len(fake.calls) < 30


# --- a clean account ----------------------------------------------------------------------------


async def test_everything_as_documented_is_all_ok_and_learnt(fake):
    report = await doctor(fake)
    assert {r.id: r.result for r in report.results} == {r.id: Result.OK for r in report.results}
    assert [r.id for r in report.results] == ["reachability", "tls", "clock", "signing", "api_versions", "health",
                                              "paging", "trades_timestamp", "fields", "increments", "vwap_quote",
                                              "rate_limit"]
    assert report.exit_code == 0
    found = report.findings
    assert (found.paging, found.orders_have_time, found.instruments_have_increments) == ("cursor", True, True)
    assert (found.trades_timestamp, found.health, found.vwap_shape) == ("at_or_after", "healthy", "v1.0.4")
    assert found.base_url == BASE and found.api_prefix == "/api/v1" and found.rate_limit is None
    assert found.budget_per_minute == 90 and abs(found.clock_offset_seconds) < 2


# --- 1-2. reachability and TLS ------------------------------------------------------------------


async def test_unreachable_fails_and_every_check_that_needs_the_server_says_skipped():
    def refuse(request):
        raise httpx.ConnectError("[Errno 111] Connection refused")

    report = await run_doctor(settings(), transport=httpx.MockTransport(refuse), timeout=5)
    reach = row(report, "reachability")
    assert reach.result is Result.FAIL and "Connection refused" in reach.meaning
    assert "VPN" in reach.action and "base_url" in reach.action
    for check in ("clock", "signing", "paging", "fields", "vwap_quote"):
        assert row(report, check).result is Result.SKIP
        assert row(report, check).meaning == "Skipped: not reachable."
    assert row(report, "rate_limit").result is Result.OK  # it reports, it needs no answer
    assert report.exit_code == 1


async def test_a_certificate_failure_is_a_plain_tls_fail():
    def untrusted(request):
        raise httpx.ConnectError("handshake failed") from ssl.SSLCertVerificationError(
            1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate")

    report = await run_doctor(settings(), transport=httpx.MockTransport(untrusted), timeout=5)
    tls = row(report, "tls")
    assert tls.result is Result.FAIL
    assert "could not be verified" in tls.meaning and "self-signed certificate" in tls.meaning
    assert "always on" in tls.meaning and "SSL_CERT_FILE" in tls.action
    assert "TLS handshake failed" in row(report, "reachability").meaning


async def test_plain_http_warns_unless_on_loopback(fake):
    remote = row(await doctor(fake, base_url="http://uat1.truex.co:9742"), "tls")
    assert remote.result is Result.WARN and "unencrypted" in remote.meaning and "https://" in remote.action
    local = row(await doctor(fake, base_url="http://127.0.0.1:8765"), "tls")
    assert local.result is Result.OK and "unencrypted" in local.meaning


async def test_a_prefix_pasted_with_the_url_is_noted(fake):
    reach = row(await doctor(fake, base_url=BASE + "/api/v1/"), "reachability")
    assert reach.result is Result.OK
    assert "removed the API prefix /api/v1" in reach.meaning and reach.facts["api_prefix"] == "/api/v1"


async def test_a_prefix_the_host_does_not_serve_warns(fake):
    reach = row(await doctor(fake, base_url="https://prod.truex.co", api_prefix="/v1/cefi"), "reachability")
    assert reach.result is Result.WARN and "serves the API under /api/v1" in reach.meaning
    assert "Set api_prefix" in reach.action


async def test_a_proxy_from_the_environment_is_named_without_its_password(fake, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://desk:pa55word@proxy.corp:3128")
    report = await doctor(fake)
    reach = row(report, "reachability")
    assert "through the proxy proxy.corp:3128 answered" in reach.meaning and reach.facts["proxy"] == "proxy.corp:3128"
    assert "pa55word" not in report.to_json() + render_table(report)


# --- 3. clock -----------------------------------------------------------------------------------


@pytest.mark.parametrize("offset, result", [
    (0.0, Result.OK), (4.9, Result.OK), (-0.9, Result.OK), (-4.0, Result.FAIL), (5.5, Result.WARN),
    (14.9, Result.WARN), (15.5, Result.FAIL), (-1.5, Result.WARN), (-2.5, Result.FAIL), (-6.0, Result.FAIL),
])
def test_clock_thresholds(offset, result):
    verdict = clock_verdict(offset)
    assert verdict.result is result
    assert ("NTP" in verdict.action) == (result is not Result.OK)


def test_clock_says_which_way_it_is_off():
    assert "20.0 s behind" in clock_verdict(20.0).meaning and "15 s behind" in clock_verdict(20.0).meaning
    assert "3.0 s ahead of" in clock_verdict(-3.0).meaning and "1 s ahead" in clock_verdict(-3.0).meaning


async def test_a_server_clock_far_ahead_fails_the_clock_but_signing_still_works(fake):
    fake.date_offset = 30.0
    report = await doctor(fake)
    clock = row(report, "clock")
    assert clock.result is Result.FAIL and "behind" in clock.meaning and "NTP" in clock.action
    assert 28 < clock.facts["offset_seconds"] < 32 and 28 < report.findings.clock_offset_seconds < 32
    assert row(report, "signing").result is Result.OK


# --- 4-5. signing and API versions --------------------------------------------------------------


async def test_a_refused_signature_fails_with_the_401_help_and_skips_what_needs_it(fake):
    fake.unauthorized = True
    report = await doctor(fake)
    signing = row(report, "signing")
    assert signing.result is Result.FAIL and "401 Invalid signature" in signing.meaning
    assert "TRUEX_API_SECRET" in signing.action and KEY in signing.action
    for check in ("api_versions", "paging", "trades_timestamp"):
        assert row(report, check).meaning == "Skipped: signing failed."
    assert row(report, "vwap_quote").result is Result.OK  # public: still checked
    assert "signing failed" in row(report, "fields").meaning
    assert report.exit_code == 1
    for text in (report.to_json(), render_table(report)):
        assert SECRET not in text


async def test_a_user_id_the_key_cannot_act_for_fails(fake):
    fake.clients = [{"id": OTHER, "status": "ACTIVE", "info": {"mnemonic": "ELSE"}}]
    signing = row(await doctor(fake), "signing")
    assert signing.result is Result.FAIL and f"user_id (TRUEX_USER_ID) {USER} is not among" in signing.meaning
    assert signing.action == f"Set user_id to {OTHER}."


async def test_a_default_client_the_key_cannot_act_for_fails(fake):
    signing = row(await doctor(fake, client_id=OTHER), "signing")
    assert signing.result is Result.FAIL and "client_id (TRUEX_CLIENT_ID)" in signing.meaning


async def test_without_the_clients_list_balances_prove_signing(fake):
    fake.overrides["/clients"] = (403, {"type": "about:blank", "title": "Forbidden", "status": 403})
    report = await doctor(fake)
    signing = row(report, "signing")
    assert signing.result is Result.WARN and "GET /api/v1/balances was accepted" in signing.meaning
    assert row(report, "api_versions").result is Result.OK  # read with balances in each version


async def test_a_deprecated_configured_version_warns_and_names_the_newer(fake):
    versions = row(await doctor(fake, api_version=V2024), "api_versions")
    assert versions.result is Result.WARN
    assert "v2024_01_01 (configured): answers, deprecated" in versions.meaning and "Sunset:" in versions.meaning
    assert versions.action.startswith(f'Set api_version = "{V2026}"')
    assert versions.facts["versions"][V2026] == {"answers": True, "error": None, "deprecation": None,
                                                 "sunset": None}


async def test_a_version_the_exchange_refuses_fails_and_names_one_that_answers(fake):
    fake.refused_versions = {"v2025_01_01"}
    report = await doctor(fake, api_version="v2025_01_01")
    signing = row(report, "signing")
    assert signing.result is Result.OK and "accepted in v2026_01_23" in signing.meaning
    versions = row(report, "api_versions")
    assert versions.result is Result.FAIL
    assert "v2025_01_01 (configured): refused (400 Unsupported API version)" in versions.meaning
    assert versions.action == "Set api_version (TRUEX_API_VERSION) to v2026_01_23."
    assert report.findings.versions_answering == [V2024, V2026]


async def test_the_other_version_refused_is_reported_not_failed(fake):
    fake.refused_versions = {V2024}
    report = await doctor(fake)
    versions = row(report, "api_versions")
    assert versions.result is Result.OK and "v2024_01_01: refused (400 Unsupported API version)" in versions.meaning
    assert report.findings.versions_answering == [V2026]


# --- 6. health ----------------------------------------------------------------------------------


async def test_degraded_health_is_a_warning_with_its_shape(fake):
    fake.health = (503, {"status": "degraded", "timestamp": "2026-01-15 14:30:00", "service": "gw"})
    report = await doctor(fake)
    health = row(report, "health")
    assert health.result is Result.WARN and health.meaning.startswith("degraded (HTTP 503")
    assert health.facts["shape"] == ["service", "status", "timestamp"] and report.findings.health == "degraded"
    assert row(report, "reachability").result is Result.OK


async def test_a_503_without_a_health_body_fails(fake):
    fake.health = (503, {"type": "about:blank", "title": "Service Unavailable", "status": 503})
    assert row(await doctor(fake), "health").result is Result.FAIL


async def test_no_health_endpoint_warns(fake):
    fake.health = (404, {"type": "about:blank", "title": "Not Found", "status": 404})
    health = row(await doctor(fake), "health")
    assert health.result is Result.WARN and "No health endpoint" in health.meaning


# --- 7. paging ----------------------------------------------------------------------------------


@pytest.mark.parametrize("first, by_cursor, by_skip, expected", [
    (["a", "b"], ["c", "d"], ["c", "d"], "cursor"),
    (["a", "b"], ["a", "b"], ["c", "d"], "skip"),
    (["a", "b"], None, ["c"], "skip"),
    (["a", "b"], ["a", "b"], ["a", "b"], "none"),
    (["a", "b"], None, ["a", "b"], "none"),
    (["a", "b"], None, [], "unknown"),
    (["a", "b"], ["a", "b"], [], "unknown"),
    (["a", "b"], ["b", "c"], ["b", "c"], "unknown"),  # records moved between the requests
    ([], None, [], "unknown"),
])
def test_paging_outcome(first, by_cursor, by_skip, expected):
    assert paging_outcome(first, by_cursor, by_skip) == expected


@pytest.mark.parametrize("cursor, result, paging, said", [
    ("works", Result.OK, "cursor", "advances with the cursor"),
    ("ignored", Result.WARN, "skip", "ignores the `cursor` parameter"),
    ("absent", Result.WARN, "skip", "no next_cursor"),
])
async def test_paging_finds_the_parameter_that_works(fake, cursor, result, paging, said):
    fake.cursor = cursor
    report = await doctor(fake)
    check = row(report, "paging")
    assert check.result is result and said in check.meaning and report.findings.paging == paging
    pages = [params for _, path, params in fake.calls if path.endswith("/orders/trade") and params["size"] == "2"]
    assert len(pages) == (3 if cursor != "absent" else 2)  # small pages, each asked once


async def test_paging_that_never_advances_warns_and_learns_nothing(fake):
    fake.cursor, fake.skip_works = "ignored", False
    report = await doctor(fake)
    assert "Neither the cursor nor skip advances" in row(report, "paging").meaning
    assert report.findings.paging is None


async def test_paging_with_too_few_records_says_so(fake):
    fake.trades, fake.orders = fake.trades[:2], fake.orders[:1]
    report = await doctor(fake)
    check = row(report, "paging")
    assert check.result is Result.WARN and check.meaning.startswith("Not enough records to tell")
    assert "2 in trades" in check.meaning and "1 in orders/list" in check.meaning
    assert report.findings.paging is None


async def test_paging_falls_back_to_orders_when_trades_are_few(fake):
    fake.trades = fake.trades[:1]
    check = row(await doctor(fake), "paging")
    assert check.result is Result.OK and "orders/list" in check.meaning


async def test_configured_v2024_still_learns_the_v2026_paging(fake):
    fake.cursor = "ignored"
    report = await doctor(fake, api_version=V2024)
    assert report.findings.paging == "skip"
    assert "configured v2024_01_01 always pages with skip" in row(report, "paging").meaning


# --- 8. what the trades timestamp means ---------------------------------------------------------

ROWS = [("a", 50), ("b", 40), ("c", 30), ("d", 30), ("e", 20), ("f", 10)]


@pytest.mark.parametrize("answered, meaning", [
    ([("a", 50), ("b", 40), ("c", 30), ("d", 30)], "at_or_after"),
    ([("a", 50), ("b", 40)], "after"),
    ([("c", 30), ("d", 30), ("e", 20), ("f", 10), ("g", 5)], "at_or_before"),
    ([("e", 20), ("f", 10)], "before"),
    (ROWS, "ignored"),
    ([], "unclear"),
    ([("a", 50), ("e", 20)], "unclear"),
    ([("a", 50), ("c", 30)], "unclear"),  # half of the pivot's own trades
])
def test_timestamp_meaning(answered, meaning):
    assert timestamp_meaning(ROWS, 30, answered) == meaning


@pytest.mark.parametrize("mode, result, meaning", [
    ("lower", Result.OK, "at_or_after"),
    ("upper", Result.FAIL, "at_or_before"),
    ("ignored", Result.WARN, "ignored"),
])
async def test_trades_timestamp_through_the_api(fake, mode, result, meaning):
    fake.timestamp = mode
    report = await doctor(fake)
    check = row(report, "trades_timestamp")
    assert check.result is result and check.facts["meaning"] == meaning
    assert report.findings.trades_timestamp == meaning and report.findings.trades_newest_first is True
    assert "newest first" in check.meaning
    assert report.exit_code == (1 if result is Result.FAIL else 0)


async def test_trades_timestamp_with_too_few_trades(fake):
    fake.trades = fake.trades[:2]
    report = await doctor(fake)
    check = row(report, "trades_timestamp")
    assert check.result is Result.WARN and check.meaning.startswith("Too few trades to tell (2 with a time")
    assert report.findings.trades_timestamp is None


# --- 9. fields the blotter reads ----------------------------------------------------------------


def texts(notes, warn=True):
    return [note.text for note in notes if note.warn == warn]


def test_order_notes_real_wire():
    raw = [order(i, executed_vwap="", ref_external_id="") for i in range(3)]
    for row_ in raw:
        del row_["timestamp"]
    raw[0]["leaves_qty"] = "1.2.3"
    del raw[1]["external_id"]
    found = texts(order_notes([Order.model_validate(r) for r in raw], raw))
    assert found == [
        "no time field in any: times come from the activity trail (one lookup per new order)",
        "executed_vwap blank in all (no fill yet): the average price shows empty",
        "no external_id in 1 of 3: shown empty; the order is matched by its exchange id",
        "unreadable leaves_qty in 1 of 3: shown as sent, marked ?",
    ]


def test_order_notes_documented_orders_say_nothing():
    raw = [order(i) for i in range(2)]
    assert order_notes([Order.model_validate(r) for r in raw], raw) == []


def test_trade_notes_self_matches_are_fine_and_missing_fields_are_not():
    now = time.time_ns()
    rows = [trade(0, now), trade(0, now, side="SELL", order_id="o9", liq_flag="TAKER"), trade(1, now, match_id="")]
    notes = trade_notes([Trade.model_validate(r) for r in rows])
    assert texts(notes) == ["no match_id in 1 of 3: de-duplicated by order, side, time and quantity instead"]
    assert texts(notes, warn=False) == ["1 self-match pair(s) share a match_id: both trades are kept (a trade is "
                                        "keyed by match, order and side)"]


def test_quote_notes_sentinels_zeros_and_text_counts():
    raw = [{"id": "10", "info": {"best_bid": level("100", count="4"), "best_ask": level("101", count="2")}},
           {"id": "11", "info": {"best_bid": level(SENTINEL, "0", "0"), "best_ask": level("0", "0", "0"),
                                 "last_trade": {"price": "", "qty": ""}}}]
    notes = quote_notes([MarketQuote.model_validate(r) for r in raw], raw)
    assert texts(notes) == ['order_count sent as text (e.g. "10"): read as a number',
                            'empty book sides sent as the i128 sentinel (1) or as "0" (1): shown as empty, never '
                            "as a price"]
    assert texts(notes, warn=False) == ["no last trade sent as a blank price in 1 of 2: shown empty"]


def test_balance_and_asset_notes():
    entity = Balances.model_validate({"id": USER, "balances": [{"asset_id": "1", "balance": "5", "order_hold": "1"}]})
    assert texts(balance_notes([entity])) == ["no transfer_hold in 1 of 1: counted as no hold",
                                              "no unsettled in 1 of 1: shown empty"]
    assets = [Asset.model_validate({"id": "1", "fields": {"name": "BTC"}}), Asset.model_validate({"id": "2"})]
    notes = asset_notes(assets)
    assert texts(notes) == ["no name in 1 of 2: shown by its id"]
    assert texts(notes, warn=False) == ["name under fields.name in 1 of 2 (as seen in production): read"]


async def test_fields_in_real_records_warn_with_what_the_blotter_does(fake):
    for row_ in fake.orders:
        del row_["timestamp"]
    fake.quotes[0]["info"]["best_bid"] = level(SENTINEL, "0", "0")
    report = await doctor(fake)
    fields = row(report, "fields")
    assert fields.result is Result.WARN
    assert "orders (4 read): no time field in any: times come from the activity trail" in fields.meaning
    assert "i128 sentinel (1)" in fields.meaning and fields.action.startswith("Nothing to change")
    assert "trades, balances, instruments, assets: every field the blotter reads is there." in fields.meaning
    assert report.findings.orders_have_time is False


async def test_a_list_that_cannot_be_read_is_a_note_not_a_crash(fake):
    fake.overrides["/assets"] = (500, {"type": "about:blank", "title": "Internal Server Error", "status": 500})
    fields = row(await doctor(fake), "fields")
    assert fields.result is Result.WARN and "assets (0 read): could not be read (500 Internal" in fields.meaning


# --- 10. increments -----------------------------------------------------------------------------


async def test_instruments_without_increments_warn(fake):
    fake.instruments.append({"id": "11", "status": "ACTIVE", "info": {"symbol": "ETH-PYUSD"}})
    report = await doctor(fake)
    check = row(report, "increments")
    assert check.result is Result.WARN and "1 of 2 instruments" in check.meaning and "ETH-PYUSD" in check.meaning
    assert "cannot check increments" in check.meaning
    assert report.findings.instruments_have_increments is False


async def test_no_instrument_with_increments(fake):
    del fake.instruments[0]["info"]["price_increment"]
    check = row(await doctor(fake), "increments")
    assert check.result is Result.WARN and check.meaning.startswith("No instrument carries price_increment")


# --- 11. VWAP quote -----------------------------------------------------------------------------


async def test_vwap_quote_in_the_older_shape_warns(fake):
    fake.vwap = (200, {"quote": "101", "buy_amount": "2"})
    report = await doctor(fake)
    check = row(report, "vwap_quote")
    assert check.result is Result.WARN and "v1.0.3 shape {buy_amount, quote}" in check.meaning
    assert report.findings.vwap_shape == "v1.0.3"


async def test_vwap_quote_sends_the_v104_request(fake):
    sent = []
    original = fake.__call__

    async def spy(request):
        if request.method == "POST":
            sent.append(json.loads(request.content))
        return await original(request)

    report = await run_doctor(settings(), transport=httpx.MockTransport(spy), timeout=5)
    assert sent == [{"instrument_id": "10", "qty": "2", "side": "BUY", "qty_unit": "BASE"}]
    assert "BUY 2 BTC-PYUSD averages 101" in row(report, "vwap_quote").meaning


async def test_a_refused_vwap_request_warns(fake):
    fake.vwap = (400, {"type": "about:blank", "title": "Missing qty_unit", "status": 400})
    check = row(await doctor(fake), "vwap_quote")
    assert check.result is Result.WARN and "400 Missing qty_unit" in check.meaning


# --- 12. rate limit -----------------------------------------------------------------------------


async def test_announced_rate_limit_is_reported_with_the_dashboards_budget(fake):
    fake.rate_limit = 100
    report = await doctor(fake)
    check = row(report, "rate_limit")
    assert check.result is Result.OK and "x-ratelimit-limit 100" in check.meaning
    assert "100/min (announced by the server)" in check.meaning
    assert report.findings.rate_limit.limit == 100 and report.findings.budget_per_minute == 100
    assert check.facts["answered_429"] == 0


async def test_a_tight_announced_limit_holds_the_doctor_back_before_any_429(fake):
    fake.rate_limit = 6
    report = await doctor(fake, timeout=0.5)
    assert len(fake.calls) <= 6  # it never went past the limit itself
    check = row(report, "rate_limit")
    assert check.result is Result.WARN and check.facts["answered_429"] == 0
    assert check.meaning.startswith("The doctor held back to stay within the limit")
    held = [r for r in report.results if r.meaning.startswith("Held back for 0.5 s to stay within the rate limit")]
    assert len(held) == 1 and held[0].result is Result.WARN
    assert row(report, "vwap_quote").meaning == "Skipped: the rate limit was reached earlier in this run."
    assert row(report, "health").result is Result.OK  # checks that need no request of their own still report


async def test_a_429_is_reported_not_a_crash(fake):
    fake.overrides["/orders/trade"] = (429, {"type": "about:blank", "title": "Too Many Requests", "status": 429})
    report = await doctor(fake)
    assert row(report, "paging").meaning == "Rate limited (429 Too Many Requests): not checked."
    assert row(report, "trades_timestamp").meaning == "Skipped: the rate limit was reached earlier in this run."
    check = row(report, "rate_limit")
    assert check.result is Result.WARN and check.meaning.startswith("1 request(s) were answered 429")
    assert "max_requests_per_minute" in check.action and report.exit_code == 0


# --- time limits and broken checks --------------------------------------------------------------


async def test_a_check_that_hangs_times_out_and_the_others_still_run(fake):
    fake.hang = {"/instruments"}
    report = await doctor(fake, timeout=0.5)
    assert row(report, "fields").meaning == "No answer within 0.5 s."
    assert row(report, "increments").result is Result.FAIL
    assert row(report, "vwap_quote").result is Result.OK


async def test_a_check_that_crashes_is_its_own_row():
    async def broken(probe):
        raise ValueError("boom")

    async def fine(probe):
        return Outcome(Result.OK, "fine")

    report = await run_doctor(settings(), transport=httpx.MockTransport(Fake()), timeout=1,
                              checks=(("broken", "Broken", broken), ("fine", "Fine", fine)))
    assert row(report, "broken").result is Result.FAIL and "ValueError: boom" in row(report, "broken").meaning
    assert row(report, "fine").result is Result.OK


# --- the findings file --------------------------------------------------------------------------


def findings(**values) -> Findings:
    return Findings(**{"checked_at": datetime.now(UTC), "base_url": BASE, "api_prefix": "/api/v1",
                       "api_version": V2026, "paging": "skip", **values})


def test_findings_round_trip_private_and_atomic(tmp_path):
    path = tmp_path / "state" / "doctor.json"
    saved = findings(orders_have_time=False)
    assert save_findings(saved, path=path) == path
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["doctor.json"]  # no temp file left behind
    assert load_findings(settings(), path=path) == saved


def test_findings_of_another_host_or_too_old_are_ignored(tmp_path):
    path = tmp_path / "doctor.json"
    save_findings(findings(base_url="https://uat.truex.test"), path=path)
    save_findings(findings(checked_at=datetime.now(UTC) - timedelta(days=8)), path=path)
    assert load_findings(settings(), path=path) is None
    assert load_findings(settings(base_url="https://uat.truex.test"), path=path).base_url == "https://uat.truex.test"
    assert load_findings(settings(api_prefix="/v1/cefi"), path=path) is None


def test_a_new_run_replaces_the_old_for_the_same_host(tmp_path):
    path = tmp_path / "doctor.json"
    save_findings(findings(paging="skip"), path=path)
    save_findings(findings(paging="cursor"), path=path)
    assert load_findings(settings(), path=path).paging == "cursor"
    assert len(json.loads(path.read_text())["findings"]) == 1


def test_an_unreadable_findings_file_is_no_findings(tmp_path):
    path = tmp_path / "doctor.json"
    path.write_text("{not json")
    assert load_findings(settings(), path=path) is None


# --- the table ----------------------------------------------------------------------------------


async def test_table_fits_80_columns_and_shows_every_row(fake):
    fake.unauthorized = True  # the longest "what to do" there is
    report = await doctor(fake)
    table = render_table(report, 80)
    lines = table.splitlines()
    assert max(map(len, lines)) <= 80
    for number, result in enumerate(report.results, 1):
        assert any(line.startswith(f"{number:>2}  {result.check:<16}  {result.result.value}") for line in lines)
    assert "To do: The exchange refused the request's" in table
    assert "       - TRUEX_API_SECRET (or secret_command)" in table  # the help's bullets, under "To do:"
    assert lines[-1] == "order-changing." and lines[-2].startswith("12 checks: ")
