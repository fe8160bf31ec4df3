"""Fault injection for reliability tests: switchable at run time (attributes or `/_sim/faults`)."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import asdict, dataclass, fields
from email.utils import formatdate
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class FaultConfig:
    latency_ms: int = 0  # added to every answer
    error_rate: float = 0.0  # fraction of requests answered 500
    status: int | None = None  # answer every request with this status (e.g. 500, 503)
    rate_limit: int | None = None  # answer 429 with Retry-After: this many seconds
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

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        for name, value in values.items():
            setattr(self, name, value)

    def clear(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def applies(self, method: str, path: str) -> bool:
        if path.startswith("/_sim"):
            return False
        if self.methods and method.upper() not in {m.upper() for m in self.methods}:
            return False
        return not self.paths or any(part in path for part in self.paths)


class DroppedConnection(Exception):
    """Raised after a partial answer so that the server resets the connection."""


def _problem_body(status: int, title: str, path: str) -> bytes:
    return json.dumps({"type": "about:blank", "title": title, "status": status, "instance": path}).encode()


async def _discard(message: Message) -> None:
    return None


class FaultMiddleware:
    """Pure ASGI middleware: it must control `send` to drop connections mid-answer."""

    def __init__(self, app: ASGIApp, faults: FaultConfig, seed: int = 0, clock_seconds=None) -> None:
        self.app = app
        self.faults = faults
        self.rng = random.Random(seed + 1)
        self.clock_seconds = clock_seconds

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
