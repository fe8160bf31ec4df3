"""One doctor run's state: its clients (one per API version, all behind the read-only transport),
the request budget that paces them, and what earlier checks established for later ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from ...api import (
    Credentials,
    Forbidden,
    NotFound,
    RateLimited,
    RequestBudget,
    ResponseFormatError,
    RetryPolicy,
    ServerClock,
    ServerError,
    TransportError,
    TrueXClient,
    TrueXError,
    Unauthorized,
)
from ...api._client import split_base_url
from ...api.models import NS_PER_DAY, NS_PER_SECOND
from ...config import Settings, expected_api_prefix, unauthorized_help
from ._guard import OrderRequestRefused, ReadOnlyTransport, Seen
from ._verdicts import Outcome, Result

T = TypeVar("T")

CHECK_TIMEOUT = 15.0
# The doctor's own pace: far below the 100 a minute one gateway was seen to allow (§6.12), so it
# never trips such a limit itself (it sends about 25 requests).
DOCTOR_PER_MINUTE = 60
WIDE_PAGE = 100  # the most a list endpoint gives in one page


class Skipped(Exception):
    """A check that cannot run because an earlier one failed; the message says which."""


class Probe:
    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = CHECK_TIMEOUT,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.base_url, self.prefix = split_base_url(settings.base_url, settings.api_prefix)
        self.timeout = timeout
        self.log: list[Seen] = []
        self.clock = ServerClock()
        self.budget = RequestBudget(min(settings.max_requests_per_minute, DOCTOR_PER_MINUTE))
        self._network = transport  # None: the real network
        self._clients: dict[str, TrueXClient] = {}
        self._cache: dict[str, tuple[Any, TrueXError | None]] = {}
        # What earlier checks established.
        self.reachable: bool | None = None
        self.connect_error: BaseException | None = None
        self.health_answer: tuple[int, Any] | None = None  # (HTTP status, decoded body)
        self.signed: bool | None = None
        self.signed_read: Callable[[TrueXClient], Awaitable[Any]] | None = None
        self.answering: dict[str, bool] = {}  # API version -> answered a signed read
        self.refused_versions: dict[str, str] = {}  # API version -> the refusal, when a read was refused
        self.held = False  # the rate limit stopped the run
        self.stream_url: str | None = None  # the WebSocket address the stream checks use
        self.stream_open: bool | None = None  # the WebSocket handshake succeeded (None: not tried)
        self.learnt: dict[str, Any] = {}  # fields of the findings file

    # --- clients --------------------------------------------------------------------------------

    def client(self, version: str | None = None) -> TrueXClient:
        """The client for `version` (default: the configured one); they share clock and budget."""
        version = version or self.settings.api_version
        if version not in self._clients:
            guard = ReadOnlyTransport(self.base_url, self.prefix, inner=self._network, log=self.log)
            self._clients[version] = TrueXClient(
                self.base_url,
                api_prefix=self.prefix,
                credentials=self.credentials,
                api_version=version,
                retry=RetryPolicy(attempts=1),  # report what happened, do not hide it behind retries
                transport=guard,
                clock=self.clock,
                budget=self.budget,
            )
        return self._clients[version]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    def now_ns(self) -> int:
        """The server's time, as far as its `Date` headers tell."""
        return time.time_ns() + round(self.clock.offset * NS_PER_SECOND)

    def last_seen(self) -> Seen | None:
        return self.log[-1] if self.log else None

    # --- what later checks need -----------------------------------------------------------------

    def require_reachable(self, *, sends: bool = True) -> None:
        """`sends`: the check makes requests of its own (so a reached rate limit stops it too)."""
        if self.held and sends:
            raise Skipped("the rate limit was reached earlier in this run")
        if self.reachable is False:
            raise Skipped("not reachable")
        if self.reachable is None:
            raise Skipped("reachability was not established")

    def require_signed(self) -> None:
        self.require_reachable()
        if self.signed is False:
            raise Skipped("signing failed")
        if self.signed is None:
            raise Skipped("signing was not confirmed")

    async def cached(self, name: str, fetch: Callable[[], Awaitable[T]]) -> T:
        """Fetch once per run: several checks read the same records, and each request counts."""
        if name not in self._cache:
            try:
                self._cache[name] = (await fetch(), None)
            except TrueXError as error:
                self._cache[name] = (None, error)
        value, error = self._cache[name]
        if error is not None:
            raise error
        return value

    async def instruments(self) -> Any:
        return await self.cached("instruments", lambda: self.client().instruments())

    async def quotes(self) -> Any:
        return await self.cached("quotes", lambda: self.client().quotes())

    async def recent_trades(self) -> Any:
        """The first page (up to 100) of the trades of the last 24 h."""
        return await self.cached(
            "trades", lambda: self.client().trades(self.now_ns() - NS_PER_DAY, size=WIDE_PAGE)
        )

    # --- running one check ----------------------------------------------------------------------

    async def run(self, check: Callable[[Probe], Awaitable[Outcome]]) -> Outcome:
        """One check within its time limit; whatever goes wrong becomes its row, never a crash."""
        try:
            return await asyncio.wait_for(check(self), self.timeout)
        except Skipped as skipped:
            return Outcome(Result.SKIP, f"Skipped: {skipped}.")
        except TimeoutError:
            if self._held_by_rate_limit():
                self.held = True
                return Outcome(
                    Result.WARN,
                    f"Held back for {self.timeout:g} s to stay within the rate limit ({self._left()}): not checked.",
                    "Run blotter doctor again in a minute, with nothing else using this key.",
                )
            return Outcome(
                Result.FAIL,
                f"No answer within {self.timeout:g} s.",
                "Check the network path to the exchange (VPN) and run again; --timeout gives each check longer.",
            )
        except RateLimited as error:
            self.held = True
            wait = f"; Retry-After {error.retry_after:g} s" if error.retry_after is not None else ""
            return Outcome(
                Result.WARN,
                f"Rate limited ({error.status} {error.title}{wait}): not checked.",
                "Run blotter doctor again in a minute, with nothing else using this key.",
            )
        except OrderRequestRefused as error:
            return Outcome(Result.FAIL, f"Internal error: {error}; it was stopped before it was sent.",
                           "Report this to the blotter's maintainers.")
        except TrueXError as error:
            return failure(error, self.settings)
        except Exception as error:  # noqa: BLE001 - one broken check must not stop the others
            return Outcome(Result.FAIL, f"The check itself failed: {type(error).__name__}: {error}.",
                           "Report this to the blotter's maintainers.")

    def _held_by_rate_limit(self) -> bool:
        announced = self.budget.announced
        low = announced is not None and announced.remaining is not None and announced.remaining <= self.budget.reserve
        return low or self.budget.rate_limited > 0 or self.budget.sent_last_minute() >= self.budget.for_polling

    def _left(self) -> str:
        announced = self.budget.announced
        if announced is None or announced.remaining is None:
            return f"{self.budget.sent_last_minute()} requests sent in the last minute"
        reset = f", reset in {announced.reset_seconds:g} s" if announced.reset_seconds is not None else ""
        return f"x-ratelimit-remaining {announced.remaining}{reset}"


def failure(error: TrueXError, settings: Settings) -> Outcome:
    """An error that ended a check: what it means and what to do."""
    if isinstance(error, Unauthorized):
        return Outcome(Result.FAIL, f"Refused: {error}.", unauthorized_help(settings))
    if isinstance(error, Forbidden):
        return Outcome(Result.FAIL, f"Forbidden: {error}.", "Ask TrueX to allow this read for your key.")
    if isinstance(error, NotFound):
        return Outcome(Result.FAIL, f"Not found: {error}.", prefix_hint(settings))
    if isinstance(error, ServerError):
        return Outcome(Result.FAIL, f"The exchange failed to answer: {error}.",
                       "Try again later; ask TrueX if it persists.")
    if isinstance(error, TransportError):
        return Outcome(Result.FAIL, f"{error}.", "Check the network path to the exchange (VPN) and run again.")
    if isinstance(error, ResponseFormatError):
        return Outcome(Result.FAIL, f"{error}: the blotter cannot read this answer.",
                       "Send the output of `blotter call GET <that path>` to the blotter's maintainers.")
    return Outcome(Result.FAIL, f"{error}.")


def prefix_hint(settings: Settings) -> str:
    """What to check when paths are not found: the prefix, against the one the host is known to serve."""
    expected = expected_api_prefix(settings.base_url)
    now = settings.api_prefix or "empty"
    if expected and expected != settings.api_prefix:
        return f"Set api_prefix (TRUEX_API_PREFIX, now {now}) to {expected}: that is what this host serves."
    return (f"Check api_prefix (TRUEX_API_PREFIX, now {now}): /api/v1 on prod.truex.co and the uat hosts, "
            "/v1/cefi on api.truex.co and api.uat.truex.co.")
