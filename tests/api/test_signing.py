"""Signing checked against HMAC vectors computed independently here, not with the client's helper."""

import base64
import hashlib
import hmac
import json

import httpx
import pytest
from pydantic import SecretStr

from blotter.api import Credentials, TrueXClient, signature
from blotter.api.models import NewOrder, OrderInfo

SECRET = "s3cr3t-for-tests-only"
CREDS = Credentials(user_id="78932725357888855", key_id="0b5a2f7e-6c1d-4e8a-9f3b-2d7c1e4a5b6c", secret=SecretStr(SECRET))


def expected(secret: str, payload: str | bytes) -> str:
    data = payload.encode() if isinstance(payload, str) else payload
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def test_signature_matches_fixed_vectors_from_openssl():
    # Computed with: printf '%s' PAYLOAD | openssl dgst -sha256 -hmac secret -binary | base64
    assert signature("secret", "1700000000", "get", "/api/v1/orders/active", b"") == (
        "M0ZarfL5RZ23MgqGWZlV8rVszubJH0+BOkl7z6C3WxY="
    )
    body = b'{"external_id":"x1","info":{"qty":"0.1"}}'
    assert signature("secret", "1700000000", "POST", "/api/v1/orders", body) == (
        "x2k6bANFJ9HzO1x6E1ND5GR4ecON4NlBOg/Dq042Gfw="
    )


def test_secret_is_used_as_utf8_bytes_not_decoded():
    secret = "c2VjcmV0"  # looks like base64; must not be decoded first
    assert signature(secret, "1", "POST", "/p", b"{}") == expected(secret, "1POST/p{}")
    assert signature(secret, "1", "POST", "/p", b"{}") != expected("secret", "1POST/p{}")


def _capturing_client(captured: list[httpx.Request], **kwargs) -> TrueXClient:
    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json={"data": []})

    return TrueXClient("https://prod.truex.co", credentials=CREDS, transport=httpx.MockTransport(handler), **kwargs)


async def test_get_signs_path_with_prefix_and_without_query():
    captured: list[httpx.Request] = []
    async with _capturing_client(captured) as client:
        await client.trades(1741523275598727336, size=5)
    request = captured[0]
    assert request.url.query  # the query was sent...
    ts = request.headers["x-truex-auth-timestamp"]
    assert ts.isdigit()
    # ...but not signed
    assert request.headers["x-truex-auth-signature"] == expected(SECRET, f"{ts}GET/api/v1/orders/trade")
    assert request.headers["x-truex-auth-userid"] == CREDS.user_id
    assert request.headers["x-truex-auth-token"] == CREDS.key_id
    assert request.headers["X-Truex-Version"] == "v2026_01_23"


async def test_post_signs_the_exact_body_bytes_sent():
    captured: list[httpx.Request] = []
    order = NewOrder(
        external_id="abc-1",
        info=OrderInfo(client_id="1", instrument_id="2", side="BUY", type="LIMIT", qty="0.0010", price="97000.5"),
    )
    async with _capturing_client(captured) as client:
        try:
            await client.create_order(order)
        except Exception:
            pass  # the fake server's answer is not an order; only the request matters here
    request = captured[0]
    body = request.content
    assert json.loads(body)["info"]["qty"] == "0.0010"  # decimals travel as strings, precision kept
    ts = request.headers["x-truex-auth-timestamp"]
    assert request.headers["x-truex-auth-signature"] == expected(SECRET, f"{ts}POST/api/v1/orders".encode() + body)


async def test_v1_cefi_prefix_is_signed_as_requested():
    captured: list[httpx.Request] = []
    async with _capturing_client(captured, api_prefix="/v1/cefi") as client:
        await client.balances()
    request = captured[0]
    assert request.url.path == "/v1/cefi/balances"
    ts = request.headers["x-truex-auth-timestamp"]
    assert request.headers["x-truex-auth-signature"] == expected(SECRET, f"{ts}GET/v1/cefi/balances")


async def test_no_credentials_sends_no_auth_headers():
    captured: list[httpx.Request] = []

    def handler(request):
        captured.append(request)
        return httpx.Response(200, json={"status": "ok"})

    async with TrueXClient("https://prod.truex.co", transport=httpx.MockTransport(handler)) as client:
        await client.health()
    assert not any(h.startswith("x-truex-auth") for h in captured[0].headers)


@pytest.mark.parametrize("path", ["/orders/active", "/api/v1/orders/active", "orders/active"])
def test_path_joins_prefix_once(path):
    client = TrueXClient("https://prod.truex.co")
    assert client.path(path) == "/api/v1/orders/active"


def test_secret_does_not_leak_through_repr():
    assert SECRET not in repr(CREDS)
    client = TrueXClient("https://prod.truex.co", credentials=CREDS)
    assert SECRET not in repr(client._http.auth)
