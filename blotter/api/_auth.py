"""HMAC request signing as an `httpx.Auth` flow, and the server clock it signs with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Generator
from email.utils import parsedate_to_datetime

import httpx

from ._credentials import Credentials

HEADER_USERID = "x-truex-auth-userid"
HEADER_TIMESTAMP = "x-truex-auth-timestamp"
HEADER_TOKEN = "x-truex-auth-token"
HEADER_SIGNATURE = "x-truex-auth-signature"


def signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Base64(HMAC-SHA256(secret, timestamp + METHOD + path + body)); path excludes the query."""
    payload = timestamp.encode() + method.upper().encode() + path.encode() + body
    digest = hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class ServerClock:
    """Estimates the server's clock from `Date` headers, so a skewed local clock still signs valid.

    `Date` has one-second resolution: a sample is taken as the middle of that second. The estimate
    moves only when a sample disagrees by more than `tolerance` seconds, so it does not jitter.
    """

    def __init__(self, local: Callable[[], float] = time.time, tolerance: float = 1.5) -> None:
        self._local = local
        self._tolerance = tolerance
        self._lock = threading.Lock()
        self.offset: float = 0.0
        self.synced = False

    def now(self) -> float:
        return self._local() + self.offset

    @property
    def tolerance(self) -> float:
        return self._tolerance

    def observe(self, date_header: str | None) -> bool:
        """Feed a response's `Date`. Returns True when the estimate changed materially."""
        if not date_header:
            return False
        try:
            server = parsedate_to_datetime(date_header).timestamp() + 0.5
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        sample = server - self._local()
        with self._lock:
            moved = abs(sample - self.offset) > self._tolerance
            if moved or not self.synced:
                self.offset = sample
                self.synced = True
            return moved


class TrueXAuth(httpx.Auth):
    """Signs every request and keeps the server clock estimate fresh.

    On a 401 whose `Date` shows the clock estimate was wrong, the request is signed again with the
    corrected time and sent once more: the server rejected it before acting on it.
    """

    requires_request_body = True

    def __init__(self, credentials: Credentials | None, clock: ServerClock, api_version: str | None) -> None:
        self.credentials = credentials
        self.clock = clock
        self.api_version = api_version

    def _sign(self, request: httpx.Request) -> None:
        if self.api_version:
            request.headers["X-Truex-Version"] = self.api_version
        if self.credentials is None:
            return
        timestamp = str(int(self.clock.now()))
        request.headers[HEADER_USERID] = self.credentials.user_id
        request.headers[HEADER_TIMESTAMP] = timestamp
        request.headers[HEADER_TOKEN] = self.credentials.key_id
        request.headers[HEADER_SIGNATURE] = signature(
            self.credentials.secret.get_secret_value(),
            timestamp,
            request.method,
            request.url.path,
            request.content,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        signed_offset = self.clock.offset
        self._sign(request)
        response = yield request
        moved = self.clock.observe(response.headers.get("date"))
        # `moved` is seen by only one of several concurrent requests; the others signed with the same
        # wrong estimate, so also re-sign when the estimate now differs from the one signed with.
        stale = abs(self.clock.offset - signed_offset) > self.clock.tolerance
        if response.status_code == 401 and (moved or stale) and self.credentials is not None:
            self._sign(request)
            response = yield request
            self.clock.observe(response.headers.get("date"))

    def __repr__(self) -> str:
        return f"TrueXAuth(credentials={self.credentials!r})"
