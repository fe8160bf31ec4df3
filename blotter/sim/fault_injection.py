"""Fault injection for reliability tests: switchable at run time (attributes or `/_sim/faults`).

`paths` and `methods` scope every fault, the rate limit included; `/_sim/*` is never affected.
The rate limit (`rate_limit_per_minute`) is a gateway's fixed window: a window opens with the
first request after the last one closed and lasts `rate_limit_window_seconds`; every answer in
scope carries `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (whole seconds
until the window closes), and a request past the limit is answered 429 problem+json with
`Retry-After` (wrapped as `{"error": ...}` under v2026_01_23). Setting or clearing the limit
(`update`, `clear`, `PUT`/`DELETE /_sim/faults`) opens a new window.

The `ws_*` fields act on the WebSocket endpoint (`streaming.py`), checked within 50 ms of being set;
`paths` and `methods` do not scope them:
- `ws_drop`: every open socket is cut now (no close frame: the client sees 1006), and every new one
  right after its WELCOME, until cleared;
- `ws_skip_seqnum`: the next this-many DEPTH updates (on any connection) each skip one seqnum;
  counts down to 0 (`true` means 1);
- `ws_stall`: nothing more is sent while set (WebSocket pings are still answered); what would have
  been sent waits, up to 10,000 frames a socket, and goes out when cleared;
- `ws_refuse`: every subscribe is answered with this status (`true`: UNAUTHENTICATED) and changes
  nothing; unsubscribes are unaffected;
- `ws_no_snapshot_complete`: a pre-1.0.5 server: no SNAPSHOT_COMPLETE, WELCOME says version 1.0.4;
- `ws_reject_upgrade`: the handshake is refused (HTTP 403), a gateway that does not speak WebSocket;
- `ws_dropcopy_schema`: the DROPCOPY payload's shape, "order" (the default) or "flat";
- `ws_batch_seconds`: how often connections that never authenticated get their coalesced data.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from email.utils import formatdate
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

WS_STATUSES = ("INVALID", "ERROR", "UNAUTHORIZED", "UNAUTHENTICATED", "AUTHENTICATED")
DROPCOPY_SCHEMAS = ("order", "flat")  # the shapes `stream_payloads.DROPCOPY_SCHEMAS` builds


@dataclass
class FaultConfig:
    latency_ms: int = 0  # added to every answer
    error_rate: float = 0.0  # fraction of requests answered 500
    status: int | None = None  # answer every request with this status (e.g. 500, 503)
    rate_limit: int | None = None  # answer 429 with Retry-After: this many seconds
    rate_limit_per_minute: int | None = None  # requests allowed per window, with x-ratelimit-* headers
    rate_limit_window_seconds: float = 60.0  # the window's length (tests compress it)
    health: str | None = None  # GET /health says "healthy" or "degraded" (503); None: the wire mode's default
    drop_connection: bool = False  # start the answer, then reset the connection
    hang_seconds: float = 0.0  # wait this long before answering (provokes client timeouts)
    process_then_drop: bool = False  # act on the request, then reset the connection
    process_then_hang_seconds: float = 0.0  # act on the request, then wait before answering
    process_then_status: int | None = None  # act on the request, then answer this status (a gateway 502/504)
    malformed_json: bool = False  # 200 with a body that is not JSON
    wrong_shape: bool = False  # 200 with valid JSON of the wrong shape
    clock_skew_seconds: float = 0.0  # the server's clock runs this far from real time
    paths: list[str] | None = None  # only paths containing one of these (None: all)
    methods: list[str] | None = None  # only these methods (None: all)
    # WebSocket (see the module docstring)
    ws_drop: bool = False  # cut every socket now, and each new one after WELCOME
    ws_skip_seqnum: int = 0  # the next this-many DEPTH updates skip a seqnum (true: 1)
    ws_stall: bool = False  # send nothing more (frames wait) while set
    ws_refuse: bool | str = False  # answer subscribes with this status (true: UNAUTHENTICATED)
    ws_no_snapshot_complete: bool = False  # act as a pre-1.0.5 server
    ws_reject_upgrade: bool = False  # refuse the WebSocket handshake (HTTP 403)
    ws_dropcopy_schema: str = "order"  # DROPCOPY payload shape: order | flat
    ws_batch_seconds: float = 1.0  # unauthenticated connections' publishing interval

    def __post_init__(self) -> None:
        self.rate_epoch = 0  # bumped when the rate limit is set or cleared: a new window opens

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        for name, value in values.items():
            _check(name, value)
        for name, value in values.items():
            setattr(self, name, int(value) if name == "ws_skip_seqnum" else value)
        if any(name.startswith("rate_limit_") for name in values):
            self.rate_epoch += 1

    def clear(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)
        self.rate_epoch += 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def applies(self, method: str, path: str) -> bool:
        if path.startswith("/_sim"):
            return False
        if self.methods and method.upper() not in {m.upper() for m in self.methods}:
            return False
        return not self.paths or any(part in path for part in self.paths)


def _check(name: str, value: Any) -> None:
    """Refuse the values the new fields cannot work with (the older fields are taken as given)."""
    if name == "health" and value not in (None, "healthy", "degraded"):
        raise ValueError("health must be healthy, degraded or null")
    if name == "rate_limit_per_minute" and value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or value < 1
    ):
        raise ValueError("rate_limit_per_minute must be a whole number of at least 1, or null")
    if name == "rate_limit_window_seconds" and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
    ):
        raise ValueError("rate_limit_window_seconds must be a number greater than zero")
    if name in ("ws_drop", "ws_stall", "ws_no_snapshot_complete", "ws_reject_upgrade") and not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    if name == "ws_skip_seqnum" and (not isinstance(value, int) or value < 0):
        raise ValueError("ws_skip_seqnum must be a whole number of at least 0, or true/false")
    if name == "ws_refuse" and not isinstance(value, bool) and value not in WS_STATUSES:
        raise ValueError(f"ws_refuse must be true, false or one of {', '.join(WS_STATUSES)}")
    if name == "ws_dropcopy_schema" and value not in DROPCOPY_SCHEMAS:
        raise ValueError(f"ws_dropcopy_schema must be one of {', '.join(DROPCOPY_SCHEMAS)}")
    if name == "ws_batch_seconds" and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.01 <= value <= 60
    ):
        raise ValueError("ws_batch_seconds must be a number from 0.01 to 60")


class RateWindow:
    """Fixed-window request counting for `rate_limit_per_minute`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.terms: tuple[int, float, int] | None = None
        self.ends = 0.0
        self.used = 0

    def take(self, limit: int, seconds: float, epoch: int = 0) -> tuple[bool, int, int]:
        """Count one request: (allowed, remaining, whole seconds until the window closes).
        New terms (limit, length, or `epoch`: the limit set again) open a new window."""
        now = self.clock()
        if self.terms != (limit, seconds, epoch) or now >= self.ends:
            self.terms, self.ends, self.used = (limit, seconds, epoch), now + seconds, 0
        self.used += 1
        reset = max(1, math.ceil(self.ends - now))
        return self.used <= limit, max(0, limit - self.used), reset


def _version(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-truex-version":
            return value.decode("latin-1")
    return ""


class DroppedConnection(Exception):
    """Raised after a partial answer so that the server resets the connection."""


def _problem_body(status: int, title: str, path: str, detail: str | None = None, *, wrapped: bool = False) -> bytes:
    problem: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "instance": path}
    if detail:
        problem["detail"] = detail
    return json.dumps({"error": problem} if wrapped else problem).encode()


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _discard(message: Message) -> None:
    return None


class FaultMiddleware:
    """Pure ASGI middleware: it must control `send` to drop connections mid-answer."""

    def __init__(self, app: ASGIApp, faults: FaultConfig, seed: int = 0, clock_seconds=None) -> None:
        self.app = app
        self.faults = faults
        self.rng = random.Random(seed + 1)
        self.clock_seconds = clock_seconds
        self.window = RateWindow()

    async def _answer(self, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> None:
        headers = [
            (b"content-type", b"application/problem+json" if status >= 400 else b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"date", formatdate(self.clock_seconds(), usegmt=True).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.faults
        if scope["type"] != "http" or not faults.applies(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if faults.rate_limit_per_minute:
            limit = faults.rate_limit_per_minute
            allowed, remaining, reset = self.window.take(limit, faults.rate_limit_window_seconds, faults.rate_epoch)
            counts = [(b"x-ratelimit-limit", str(limit).encode()), (b"x-ratelimit-remaining", str(remaining).encode()),
                      (b"x-ratelimit-reset", str(reset).encode())]
            if not allowed:
                body = _problem_body(429, "Too Many Requests", path,
                                     f"more than {limit} requests in {faults.rate_limit_window_seconds:g} s",
                                     wrapped=_version(scope) == "v2026_01_23")
                await self._answer(send, 429, body, [*counts, (b"retry-after", str(reset).encode())])
                return
            send = _with_headers(send, counts)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.hang_seconds:
            await asyncio.sleep(faults.hang_seconds)
        if faults.status:
            await self._answer(send, faults.status, _problem_body(faults.status, "Injected fault", path))
            return
        if faults.rate_limit:
            await self._answer(
                send, 429, _problem_body(429, "Too Many Requests", path),
                [(b"retry-after", str(faults.rate_limit).encode())],
            )
            return
        if faults.error_rate and self.rng.random() < faults.error_rate:
            await self._answer(send, 500, _problem_body(500, "Internal Server Error", path))
            return
        if faults.drop_connection:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1000"), (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"data": [', "more_body": True})
            raise DroppedConnection("injected: connection dropped")
        if faults.malformed_json:
            await self._answer(send, 200, b'{"data": [{"id": "1", "status": ')
            return
        if faults.wrong_shape:
            await self._answer(send, 200, b'{"unexpected": true}')
            return
        if faults.process_then_status:
            await self.app(scope, receive, _discard)  # the exchange acts; the gateway loses the answer
            status = faults.process_then_status
            await self._answer(send, status, _problem_body(status, "Bad Gateway" if status == 502 else "Gateway Error", path))
            return
        if faults.process_then_drop or faults.process_then_hang_seconds:
            captured: list[Message] = []

            async def capture(message: Message) -> None:
                captured.append(message)

            await self.app(scope, receive, capture)  # the exchange really acts on it
            if faults.process_then_hang_seconds:
                await asyncio.sleep(faults.process_then_hang_seconds)
                for message in captured:
                    await send(message)
                return
            start = next(m for m in captured if m["type"] == "http.response.start")
            await send(start)
            body = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise DroppedConnection("injected: processed, then dropped")
        await self.app(scope, receive, send)
