"""The simulator refuses what a real exchange must refuse: tampered requests, stale or future
timestamps, malformed timestamps and unknown keys, and never echoes the secret. Signed here with a
signer written in this file, independent of the client's and the simulator's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time

import httpx
import pytest

from blotter.sim import AcceptedKey, Exchange, SimServer

SECRET = "sim-auth-secret-7Q"
CREDS = AcceptedKey(user_id="78932725357888855", key="0b8f3d6e-1c2a-4f5b-9d7e-3a4b5c6d7e8f", secret=SECRET)


@pytest.fixture(scope="module")
def server():
    with SimServer(Exchange(seed=2, user_id=CREDS.user_id), credentials=CREDS, auto_tick=False) as server:
        yield server


def headers(method: str, path: str, body: bytes = b"", *, ts: str | None = None, secret: str = SECRET,
            key: str = CREDS.key) -> dict[str, str]:
    ts = str(int(time.time())) if ts is None else ts
    mac = hmac.new(secret.encode(), ts.encode() + method.encode() + path.encode() + body, hashlib.sha256)
    return {
        "x-truex-auth-userid": CREDS.user_id,
        "x-truex-auth-timestamp": ts,
        "x-truex-auth-token": key,
        "x-truex-auth-signature": base64.b64encode(mac.digest()).decode(),
    }


def send(server, method, path, body=b"", sign=None, **kwargs):
    signed = headers(*(sign or (method, path, body)), **kwargs)
    return httpx.request(method, server.base_url + path, headers=signed, content=body or None, timeout=5)


def title(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert SECRET not in response.text
    return response.json()["title"]


def test_a_correct_request_passes(server):
    assert send(server, "GET", "/api/v1/balances").status_code == 200


@pytest.mark.parametrize("offset, expected", [(2, "Timestamp in the future"), (60, "Timestamp in the future"),
                                              (-16, "Stale timestamp"), (-3600, "Stale timestamp")])
def test_timestamps_outside_the_window_are_refused(server, offset, expected):
    # Whole seconds rounded away from now, so that the stamp is at least `offset` out when sent: a
    # stamp of int(now) + 2 made late in a second was only just over 1 s ahead, under load less.
    now = time.time()
    ts = str((math.ceil(now) if offset > 0 else math.floor(now)) + offset)
    assert title(send(server, "GET", "/api/v1/balances", ts=ts)) == expected


@pytest.mark.parametrize("ts", ["abc", "-5", "1.5", "", "1e9", "0x10"])
def test_malformed_timestamps_are_refused(server, ts):
    assert title(send(server, "GET", "/api/v1/balances", ts=ts)) in {"Invalid timestamp",
                                                                       "Missing authentication headers"}


def test_non_ascii_digits_in_the_timestamp_are_refused_not_a_crash(server):
    signed = headers("GET", "/api/v1/balances")
    signed = {k: v.encode() for k, v in signed.items()}
    signed["x-truex-auth-timestamp"] = "\u00b2".encode("latin-1")  # '²': str.isdigit() is True, int() fails
    response = httpx.get(server.base_url + "/api/v1/balances", headers=signed, timeout=5)
    assert title(response) == "Invalid timestamp"


def test_unknown_key_is_refused_even_with_a_valid_signature_for_it(server):
    other = "11111111-2222-4333-8444-555555555555"
    assert title(send(server, "GET", "/api/v1/balances", key=other)) == "Unknown API key"


def test_tampered_body_path_and_method_are_refused(server):
    market = next(iter(server.exchange.markets.values()))
    order = {"external_id": "tamper-1", "info": {"client_id": CREDS.user_id, "instrument_id": market.instrument.id,
                                                 "side": "BUY", "type": "LIMIT", "qty": "0.001", "price": "1"}}
    signed_body = json.dumps(order).encode()
    sent_body = json.dumps({**order, "info": {**order["info"], "qty": "1000"}}).encode()
    assert title(send(server, "POST", "/api/v1/orders", sent_body, sign=("POST", "/api/v1/orders", signed_body))) \
        == "Invalid signature"
    assert title(send(server, "GET", "/api/v1/orders/active", sign=("GET", "/api/v1/balances", b""))) \
        == "Invalid signature"
    assert title(send(server, "DELETE", "/api/v1/orders/1", sign=("GET", "/api/v1/orders/1", b""))) \
        == "Invalid signature"
    assert not [r for r in server.exchange.requests if r["external_id"] == "tamper-1"]  # nothing was acted on


def test_wrong_secret_and_a_truncated_signature_are_refused(server):
    assert title(send(server, "GET", "/api/v1/balances", secret=SECRET + "x")) == "Invalid signature"
    signed = headers("GET", "/api/v1/balances")
    signed["x-truex-auth-signature"] = signed["x-truex-auth-signature"][:-4]
    response = httpx.get(server.base_url + "/api/v1/balances", headers=signed, timeout=5)
    assert title(response) == "Invalid signature"


def test_the_demo_secret_does_not_open_a_server_with_its_own_secret(server):
    from blotter.sim import DEMO_CREDENTIALS

    assert title(send(server, "GET", "/api/v1/balances", secret=DEMO_CREDENTIALS.secret)) == "Invalid signature"
