"""Plain httpx calls to a running simulator, signed with the simulator's own signing helper."""

import json
import time

import httpx

from blotter.sim import DEMO_CREDENTIALS
from blotter.sim.signing import expected_signature

CREDS = DEMO_CREDENTIALS
V2024 = "v2024_01_01"
V2026 = "v2026_01_23"
VERSIONS = (V2024, V2026)


def headers(method: str, path: str, body: bytes = b"", version: str | None = None) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = expected_signature(CREDS.secret, stamp.encode() + method.encode() + path.encode() + body)
    sent = {
        "x-truex-auth-userid": CREDS.user_id,
        "x-truex-auth-timestamp": stamp,
        "x-truex-auth-token": CREDS.key,
        "x-truex-auth-signature": signature,
    }
    if version:
        sent["X-Truex-Version"] = version
    return sent


def call(server, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
         version: str | None = None) -> httpx.Response:
    raw = json.dumps(body).encode() if body is not None else b""
    return httpx.request(method, server.base_url + path, headers=headers(method, path, raw, version),
                         content=raw or None, params=params, timeout=10)


def data(response: httpx.Response, version: str | None):
    """The answer's records: the envelope's `data` under v2026, the bare body before."""
    body = response.json()
    return body["data"] if version == V2026 else body


def put_faults(server, **values) -> dict:
    response = httpx.put(server.base_url + "/_sim/faults", json=values, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def step(server, n: int = 1) -> None:
    assert httpx.post(server.base_url + "/_sim/step", params={"n": n}, timeout=30).status_code == 200


ALL_TRADES = {"timestamp": "1" * 19, "size": "100"}
