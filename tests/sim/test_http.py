"""The simulator's HTTP surface with raw httpx and a signer written here, independent of the client."""

import base64
import hashlib
import hmac
import json
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

CREDS = DEMO_CREDENTIALS


@pytest.fixture(scope="module")
def server():
    with SimServer(Exchange(seed=21, seed_trades=30), auto_tick=False) as server:
        yield server


@pytest.fixture(autouse=True)
def clean_faults(server):
    server.faults.clear()
    yield
    server.faults.clear()


def signed(method, path, body=b"", *, ts=None, ts_offset=0, secret=CREDS.secret, key=CREDS.key, userid=CREDS.user_id,
           userid_header="x-truex-auth-userid", version=None):
    ts = str(int(time.time()) + ts_offset if ts is None else ts)
    mac = hmac.new(secret.encode(), ts.encode() + method.encode() + path.encode() + body, hashlib.sha256)
    headers = {
        "x-truex-auth-timestamp": ts,
        "x-truex-auth-token": key,
        "x-truex-auth-signature": base64.b64encode(mac.digest()).decode(),
    }
    if userid is not None:
        headers[userid_header] = userid
    if version:
        headers["X-Truex-Version"] = version
    return headers


def get(server, path, **kwargs):
    params = kwargs.pop("params", None)
    return httpx.get(server.base_url + path, headers=signed("GET", path, **kwargs), params=params, timeout=5)


def test_signed_request_accepted(server):
    response = get(server, "/api/v1/orders/active")
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize(
    "kwargs, title",
    [
        ({"secret": "wrong"}, "Invalid signature"),
        ({"key": "00000000-0000-4000-8000-000000000000"}, "Unknown API key"),
        ({"ts_offset": -20}, "Stale timestamp"),
        ({"ts_offset": 5}, "Timestamp in the future"),
        ({"userid": None}, "Missing authentication headers"),
        ({"userid": "1"}, "User mismatch"),
        ({"userid_header": "x-truex-auth-user-id"}, "Missing authentication headers"),
    ],
)
def test_auth_rejections_are_401_problem_json(server, kwargs, title):
    response = get(server, "/api/v1/balances", **kwargs)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == title and body["status"] == 401 and body["instance"] == "/api/v1/balances"
    assert CREDS.secret not in response.text


def test_replayed_request_outside_window_rejected(server):
    headers = signed("GET", "/api/v1/balances", ts_offset=-16)
    assert httpx.get(server.base_url + "/api/v1/balances", headers=headers).status_code == 401


def test_query_string_is_not_signed_and_body_is(server):
    ok = get(server, "/api/v1/orders/trade", params={"timestamp": "1" * 19, "size": "3"})
    assert ok.status_code == 200 and len(ok.json()) == 3
    body = json.dumps({"id": CREDS.user_id, "info": {"self_trade_prevention": "NONE"}}).encode()
    headers = signed("PATCH", "/api/v1/clients", body + b" ")  # signed bytes differ from those sent
    response = httpx.patch(server.base_url + "/api/v1/clients", headers=headers, content=body)
    assert response.status_code == 401


def test_clients_lookup_allows_missing_userid(server):
    response = get(server, "/api/v1/clients", userid=None)
    assert response.status_code == 200 and CREDS.user_id in {c["id"] for c in response.json()}


def test_lenient_userid_spelling():
    with SimServer(Exchange(seed=1), auto_tick=False, lenient_userid=True) as lenient:
        response = get(lenient, "/api/v1/balances", userid_header="x-truex-auth-user-id")
    assert response.status_code == 200


def test_versions_envelopes_and_deprecation_headers(server):
    old = get(server, "/api/v1/orders/trade", params={"timestamp": "1" * 19}, version="v2024_01_01")
    assert isinstance(old.json(), list) and old.headers["Sunset"] == "Wed, 05 Aug 2026 00:00:00 GMT"
    assert "Deprecation" in old.headers
    new = get(server, "/api/v1/orders/trade", params={"timestamp": "1" * 19}, version="v2026_01_23")
    body = new.json()
    assert set(body) == {"data", "pagination"} and body["pagination"]["size"] == 10
    assert body["pagination"]["next_cursor"] and "Sunset" not in new.headers
    error = get(server, "/api/v1/orders/trade", params={"timestamp": "12"}, version="v2026_01_23")
    assert error.status_code == 400 and error.json()["error"]["title"] == "Invalid timestamp"
    plain = get(server, "/api/v1/orders/trade", params={"timestamp": "12"})
    assert plain.json()["title"] == "Invalid timestamp"


def test_cursor_paging_walks_everything_once(server):
    seen, cursor = [], None
    while True:
        params = {"timestamp": "1" * 19, "size": "7"}
        if cursor:
            params["cursor"] = cursor
        body = get(server, "/api/v1/orders/trade", params=params, version="v2026_01_23").json()
        seen += [t["match_id"] for t in body["data"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 30 == len(set(seen))


@pytest.mark.parametrize(
    "params, title",
    [
        ({"timestamp": "1" * 19, "size": "0"}, "Invalid size"),
        ({"timestamp": "1" * 19, "size": "101"}, "Invalid size"),
        ({"timestamp": "1" * 19, "skip": "-1"}, "Invalid skip"),
        ({}, "Missing timestamp"),
        ({"timestamp": "17000000000"}, "Invalid timestamp"),
    ],
)
def test_query_validation(server, params, title):
    response = get(server, "/api/v1/orders/trade", params=params)
    assert response.status_code == 400 and response.json()["title"] == title


def post_order(server, body: dict, path="/api/v1/orders"):
    raw = json.dumps(body).encode()
    return httpx.post(server.base_url + path, headers=signed("POST", path, raw), content=raw, timeout=5)


def order_body(server, external_id, **info):
    instrument = next(iter(server.exchange.markets))
    base = {"client_id": CREDS.user_id, "instrument_id": instrument, "side": "BUY", "type": "LIMIT",
            "qty": "0.0010", "price": "1000"}
    base.update(info)
    return {"external_id": external_id, "info": {k: v for k, v in base.items() if v is not None}}


@pytest.mark.parametrize(
    "external_id, info, title",
    [
        ("UPPER-0b5a2f7e-6c1d-4e8a-9f3b", {}, "Invalid external_id"),
        ("has space", {}, "Invalid external_id"),
        ("ok-1", {"price": None}, "Missing price"),
        ("ok-2", {"qty": "abc"}, "Invalid qty"),
        ("ok-3", {"qty": "-1"}, "Invalid qty"),
        ("ok-4", {"side": "HOLD"}, "Invalid side"),
        ("ok-5", {"client_id": None}, "Missing client_id"),
        ("ok-6", {"instrument_id": "42"}, "Unknown instrument"),
    ],
)
def test_order_validation(server, external_id, info, title):
    response = post_order(server, order_body(server, external_id, **info))
    assert response.status_code == 400 and response.json()["title"] == title


def test_uuid_external_id_and_singular_and_cefi_paths(server):
    response = post_order(server, order_body(server, "0b5a2f7e-6c1d-4e8a-9f3b-2d7c1e4a5b6c"), "/v1/cefi/order")
    assert response.status_code == 200 and response.json()["status"] == "NEW_PENDING"
    assert get(server, "/api/v1/order/active").status_code == 200
    assert get(server, "/v1/cefi/instruments").status_code == 200


def test_unknown_route_is_problem_json(server):
    response = get(server, "/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["title"] == "Not Found"


def test_date_header_follows_the_skewed_clock(server):
    server.faults.clock_skew_seconds = 40
    response = httpx.get(server.base_url + "/api/v1/health")
    assert parsedate_to_datetime(response.headers["date"]).timestamp() - time.time() > 35
    assert get(server, "/api/v1/balances").status_code == 401  # our honest clock is now "stale"
    assert get(server, "/api/v1/balances", ts_offset=40).status_code == 200


def put_faults(server, **values):
    response = httpx.put(server.base_url + "/_sim/faults", json=values)
    assert response.status_code == 200
    return response.json()


def test_fault_endpoint_status_rate_limit_and_scoping(server):
    assert put_faults(server, status=503, paths=["/balances"])["status"] == 503
    assert get(server, "/api/v1/balances").status_code == 503
    assert get(server, "/api/v1/orders/active").status_code == 200  # scoped to balances only
    httpx.delete(server.base_url + "/_sim/faults")
    put_faults(server, rate_limit=7)
    limited = get(server, "/api/v1/balances")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"


def test_fault_malformed_wrong_shape_and_drop(server):
    put_faults(server, malformed_json=True)
    with pytest.raises(json.JSONDecodeError):
        get(server, "/api/v1/balances").json()
    put_faults(server, malformed_json=False, wrong_shape=True)
    assert get(server, "/api/v1/balances").json() == {"unexpected": True}
    put_faults(server, wrong_shape=False, drop_connection=True)
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "/api/v1/balances")


def test_fault_latency_and_hang(server):
    put_faults(server, hang_seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.base_url + "/api/v1/health", timeout=0.3)


def test_process_then_drop_creates_the_order_exactly_once(server):
    put_faults(server, process_then_drop=True, methods=["POST"])
    with pytest.raises(httpx.RemoteProtocolError):
        post_order(server, order_body(server, "ptd-1"))
    httpx.delete(server.base_url + "/_sim/faults")
    record = httpx.get(server.base_url + "/_sim/orders/requests").json()
    assert [r["external_id"] for r in record].count("ptd-1") == 1
    status = get(server, "/api/v1/orders/status/ptd-1", params={"id_type": "client"})
    assert status.status_code == 200 and status.json()[0]["external_id"] == "ptd-1"


def test_error_rate_is_a_fraction(server):
    put_faults(server, error_rate=0.5)
    codes = [httpx.get(server.base_url + "/api/v1/health").status_code for _ in range(40)]
    assert 5 <= codes.count(500) <= 35 and codes.count(200) >= 5


def test_restart_keeps_state():
    with SimServer(Exchange(seed=2, seed_orders=3), auto_tick=False) as server:
        port = server.port
        before = get(server, "/api/v1/orders/active").json()
        server.restart()
        assert server.port == port
        assert get(server, "/api/v1/orders/active").json() == before
