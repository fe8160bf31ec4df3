"""The doctor's transport: it refuses every request that could change anything, and notes what
each answer said (status, `Date`, rate-limit and deprecation headers, TLS version).

The refusal happens below the client, on the request httpx is about to send, so no code path of
the client (retries, re-signing after a 401) can get an order-changing request past it.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass, field

import httpx

from ...api import ConfigError

__all__ = ["OrderRequestRefused", "ReadOnlyTransport", "Seen", "proxy_for"]

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POST markets/quote asks for a VWAP quote: it changes nothing (the singular path is its old name).
QUOTE_PATHS = ("/markets/quote", "/market/quote")
KEPT_HEADERS = (
    "date",
    "deprecation",
    "sunset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
)


class OrderRequestRefused(RuntimeError):
    """The doctor tried to send a request that could change orders, balances or settings."""


@dataclass(frozen=True)
class Seen:
    """One request as it went out and what came back (never a request header: they carry the signature)."""

    method: str
    path: str
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    tls_version: str | None = None
    error: BaseException | None = None


def proxy_for(url: httpx.URL) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY, ALL_PROXY, NO_PROXY...), as the
    dashboard's own httpx client would use it, or None."""
    if url.host and urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(url.scheme) or proxies.get("all")


def _network_transport(base_url: str) -> httpx.AsyncBaseTransport:
    """The transport the dashboard's client would get: TLS verification on, the environment's proxy."""
    proxy = proxy_for(httpx.URL(base_url))
    try:
        return httpx.AsyncHTTPTransport(verify=True, proxy=proxy)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"the proxy set in the environment cannot be used: {type(exc).__name__}") from None


def _tls_version(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        ssl_object = stream.get_extra_info("ssl_object")
        return ssl_object.version() if ssl_object is not None else None
    except Exception:  # noqa: BLE001 - a detail for the report, never a reason to fail
        return None


class ReadOnlyTransport(httpx.AsyncBaseTransport):
    """Sends GET, HEAD, OPTIONS and `POST {prefix}/markets/quote`; raises `OrderRequestRefused` on
    anything else before it reaches the network. Every exchange is appended to `log`."""

    def __init__(
        self,
        base_url: str,
        prefix: str,
        *,
        inner: httpx.AsyncBaseTransport | None = None,
        log: list[Seen] | None = None,
    ) -> None:
        self.inner = inner or _network_transport(base_url)
        self.allowed_posts = frozenset(prefix + path for path in QUOTE_PATHS)
        self.log: list[Seen] = log if log is not None else []

    def allows(self, method: str, path: str) -> bool:
        method = method.upper()
        return method in READ_METHODS or (method == "POST" and path in self.allowed_posts)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method.upper(), request.url.path
        if not self.allows(method, path):
            raise OrderRequestRefused(f"blotter doctor is read-only: refused {method} {path}")
        start = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:
            self.log.append(Seen(method, path, None, seconds=time.perf_counter() - start, error=exc))
            raise
        headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        self.log.append(
            Seen(method, path, response.status_code, headers, time.perf_counter() - start, _tls_version(response))
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
