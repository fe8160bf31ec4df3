"""One request budget for the whole process: every REST request is paced within it.

TrueX documents no rate limit; a gateway of the same company was seen answering
`x-ratelimit-limit/-remaining/-reset` at 100 requests a minute (reference §4, §6.12). So the budget
is what the server announces when it does, else `max_requests_per_minute`. Polling requests wait
for room, the most important feed first; order actions never wait behind polling: a reserve is
kept for them. Headless (no Textual); time and sleep are injected so tests need not wait.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["ORDER_ACTION", "RequestBudget", "RequestTag", "current_tag", "request_priority"]

ORDER_ACTION = 0  # never waits for polling
DEFAULT_PRIORITY = 1  # a request made outside any feed (start-up, a dialog): ahead of the feeds
WINDOW_SECONDS = 60.0

@dataclass
class RequestTag:
    """Who is asking: the priority its requests wait with, and how many it sent."""

    priority: int = DEFAULT_PRIORITY
    sent: int = 0


_tag: contextvars.ContextVar[RequestTag | None] = contextvars.ContextVar("request_tag", default=None)


@contextmanager
def request_priority(priority: int | RequestTag) -> Iterator[RequestTag]:
    """Requests made inside this block (in this task) wait with `priority` (lower goes first);
    the tag counts them (a feed learns how many requests one of its polls costs)."""
    tag = priority if isinstance(priority, RequestTag) else RequestTag(priority)
    token = _tag.set(tag)
    try:
        yield tag
    finally:
        _tag.reset(token)


def current_tag() -> RequestTag | None:
    return _tag.get()


def current_priority() -> int:
    tag = _tag.get()
    return DEFAULT_PRIORITY if tag is None else tag.priority


@dataclass(frozen=True)
class Announced:
    """What the server last said of its limit."""

    limit: int | None
    remaining: int | None
    reset_seconds: float | None


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


class RequestBudget:
    """A sliding one-minute window of the requests sent, shared by every request of the client.

    `acquire()` waits until a polling request fits within the budget less the reserve; with
    several waiting, the lowest priority number goes first. Order actions (`ORDER_ACTION`) are
    recorded but never wait. A server's `x-ratelimit-*` headers tighten the budget to what it
    announces, and a `remaining` at or below the reserve holds polling until its `reset`.
    """

    def __init__(
        self,
        per_minute: int = 90,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.configured = max(1, per_minute)
        self.announced: Announced | None = None
        self.rate_limited = 0  # 429s seen
        self.waits = 0  # polling requests that had to wait
        self._monotonic = monotonic
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._hold_until = 0.0
        self._waiting: list[tuple[int, int]] = []
        self._tickets = itertools.count()
        # One future per waiting request, resolved when something changed (a request left the
        # queue, a header came). Not a shared Event: a waiter that cleared it and had not yet
        # started waiting missed a set() and cleared by another, and every feed stopped for good.
        self._wakers: set[asyncio.Future[None]] = set()
        self._max_reset = 0.0

    # --- the budget -----------------------------------------------------------------------------

    @property
    def per_minute(self) -> int:
        """Requests a minute: what the server announces when it does, else the setting. A limit
        announced per window is read per minute unless resets show a longer window (a shorter
        window is not assumed from one small `reset`: that would overestimate the budget)."""
        announced = self.announced
        if announced is None or announced.limit is None:
            return self.configured
        window = max(WINDOW_SECONDS, self._max_reset)
        return max(1, int(announced.limit * WINDOW_SECONDS / window))

    @property
    def reserve(self) -> int:
        """Requests a minute kept free for order actions."""
        return max(2, self.per_minute // 10)

    @property
    def for_polling(self) -> int:
        return max(1, self.per_minute - self.reserve)

    def sent_last_minute(self) -> int:
        self._expire(self._monotonic())
        return len(self._sent)

    # --- what the server says -------------------------------------------------------------------

    def observe(self, headers: Mapping[str, str], status: int) -> None:
        """Read `x-ratelimit-*` from any answer; a 429 also counts."""
        limit = _number(headers, "x-ratelimit-limit")
        remaining = _number(headers, "x-ratelimit-remaining")
        reset = _number(headers, "x-ratelimit-reset")
        if status == 429:
            self.rate_limited += 1
        if limit is None and remaining is None and reset is None:
            return
        if reset is not None:
            self._max_reset = max(self._max_reset, reset)
        known = self.announced.limit if self.announced else None
        if limit is None and remaining is not None:
            # No limit header: the most ever left in a window, plus the request that read it.
            limit = max(known or 0, int(remaining) + 1)
        self.announced = Announced(
            int(limit) if limit is not None else known,
            int(remaining) if remaining is not None else None,
            reset,
        )
        if remaining is not None and reset is not None and remaining <= self._reserve_in_window():
            self._hold_until = max(self._hold_until, self._monotonic() + reset)
        self._wake_all()

    def _reserve_in_window(self) -> int:
        limit = self.announced.limit if self.announced and self.announced.limit else self.per_minute
        return max(1, limit // 10)

    # --- sending --------------------------------------------------------------------------------

    def record_order_action(self) -> None:
        self._sent.append(self._monotonic())

    async def acquire(self, priority: int | None = None) -> None:
        """Wait until a request of `priority` may go (an order action never waits)."""
        priority = current_priority() if priority is None else priority
        if priority <= ORDER_ACTION:
            self.record_order_action()
            return
        ticket = (priority, next(self._tickets))
        heapq.heappush(self._waiting, ticket)
        waited = False
        try:
            while True:
                now = self._monotonic()
                delay = self._delay(now)
                if self._waiting[0] == ticket and delay <= 0:
                    heapq.heappop(self._waiting)
                    self._sent.append(now)
                    self._wake_all()  # the next in line may go too
                    if waited:
                        self.waits += 1
                    return
                waited = True
                await self._wait(delay if self._waiting[0] == ticket else None)
        except BaseException:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._wake_all()
            raise

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - WINDOW_SECONDS:
            self._sent.popleft()

    def _delay(self, now: float) -> float:
        """Seconds until a polling request fits; 0 when it fits now."""
        self._expire(now)
        if now < self._hold_until:
            return self._hold_until - now
        if len(self._sent) < self.for_polling:
            return 0.0
        # The window is full: wait for enough of the oldest to leave it.
        excess = len(self._sent) - self.for_polling
        return max(0.0, self._sent[excess] + WINDOW_SECONDS - now)

    def _wake_all(self) -> None:
        for waker in self._wakers:
            if not waker.done():
                waker.set_result(None)
        self._wakers.clear()

    async def _wait(self, delay: float | None) -> None:
        """Until `delay` passes or something changes (a request left the queue, a header came)."""
        waker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._wakers.add(waker)  # before anything else runs: no change can slip past it
        sleeper = asyncio.ensure_future(self._sleep(delay)) if delay is not None else None
        try:
            await asyncio.wait([t for t in (waker, sleeper) if t is not None], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._wakers.discard(waker)
            for task in (waker, sleeper):
                if task is not None and not task.done():
                    task.cancel()

    # --- for the screen -------------------------------------------------------------------------

    def describe(self) -> str:
        source = "announced by the server" if self.announced and self.announced.limit else "max_requests_per_minute"
        return f"{self.per_minute}/min ({source}), {self.reserve} kept for order actions"
