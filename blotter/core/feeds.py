"""Polling feeds: one loop per feed, health, back-off, pause, pacing. Headless (no Textual).

A `Feed` awaits its fetch and only then sleeps its interval, so polls never overlap. On an error
it backs off (a 429's Retry-After is honoured for that feed alone), keeps its last data, and
recovers by itself on the next good poll. Its requests carry its priority to the client's request
budget; `FeedSet.plan` stretches the least important feeds' intervals so that all of them fit in
the budget. The UI runs `Feed.run()` in a Textual worker. Time comes from a `Clock`, so tests
drive it with `FakeClock` instead of waiting.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..api import RateLimited, RequestTag, request_priority
from ..api._clock import Clock, SystemClock
from ..api._defaults import NS_PER_DAY


class FakeClock:
    """A clock that only moves when told to: `advance(seconds)` wakes the sleepers that are due."""

    def __init__(self, monotonic: float = 1000.0, now_ns: int = 1_790_000_000_000_000_000) -> None:
        self._mono = monotonic
        self._epoch_ns = now_ns
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._ids = itertools.count()
        self.sleeps: list[float] = []  # every duration asked for, for assertions

    def monotonic(self) -> float:
        return self._mono

    def now_ns(self) -> int:
        return self._epoch_ns

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._ids), future))
        await future

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._epoch_ns += int(seconds * 1_000_000_000)
        while self._sleepers and self._sleepers[0][0] <= self._mono:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    @property
    def sleeping(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())


class Freshness(enum.StrEnum):
    WAITING = "waiting"  # no data yet
    FRESH = "fresh"
    STALE = "stale"  # last data older than STALE_AFTER intervals
    FAILING = "failing"  # the last poll failed


log = logging.getLogger(__name__)

STALE_AFTER = 3  # poll cycles (interval plus the time a poll takes) without data: stale
FRESH_AGAIN = 2  # a stale feed is fresh again only under this many cycles (no flapping at the edge)
MAX_PACED_SECONDS = 60.0  # pacing never stretches a feed further than this


@dataclass(frozen=True)
class Backoff:
    """Delay after the n-th consecutive error: base·2^(n-1), capped.

    A failure the server did not ask us to slow down for (5xx, timeouts, refused connections)
    backs off to at most `failure_intervals` poll intervals, so a cleared fault shows within two
    intervals; a rate limit (429) backs off exponentially up to `cap`, and its Retry-After wins
    when longer.
    """

    base: float = 1.0
    cap: float = 60.0
    max_retry_after: float = 300.0
    failure_intervals: float = 2.0

    def delay(
        self, errors: int, interval: float, retry_after: float | None = None, *, rate_limited: bool = False
    ) -> float:
        base = max(self.base, interval)
        if retry_after is not None:
            # The server said when to come back: that one feed waits that long, no more.
            return max(interval, min(retry_after, self.max_retry_after))
        cap = self.cap if rate_limited else min(self.cap, base * self.failure_intervals)
        return min(cap, base * 2 ** max(0, errors - 1))


@dataclass(frozen=True)
class FeedStatus:
    name: str
    health: Freshness
    age: float | None  # seconds since the last good poll
    error_title: str | None
    errors: int  # consecutive
    paused: bool
    interval: float = 1.0  # the one in force (paced, when the budget stretched it)
    configured: float = 1.0
    notice: str | None = None  # something the last poll said (e.g. paging did not advance)

    @property
    def paced(self) -> bool:
        return self.interval > self.configured


def error_title(error: BaseException) -> str:
    title = getattr(error, "title", None)
    status = getattr(error, "status", None)
    if title and status:
        return f"{status} {title}"
    return title or type(error).__name__


class Feed:
    """One polled endpoint. `fetch()` returns the data, `on_data(data)` consumes it."""

    def __init__(
        self,
        name: str,
        fetch: Callable[[], Awaitable[Any]],
        on_data: Callable[[Any], None],
        *,
        interval: float,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        priority: int = 1,
        max_interval: float = MAX_PACED_SECONDS,
    ) -> None:
        self.name = name
        self.fetch = fetch
        self.on_data = on_data
        self.on_error = on_error
        self.normal = interval  # the settings' interval
        self.configured = interval  # the normal one, or the slower cadence while another source feeds the pane
        self.interval = interval  # stretched by `FeedSet.plan` when the request budget is tight
        self.last_started: float | None = None  # when the poll now answered (or in flight) was sent
        self.priority = priority  # its requests' place in the budget's queue; pacing stretches high first
        self.max_interval = max(interval, max_interval)  # pacing stretches it no further
        self.requests_per_poll = 1.0  # measured
        self.poll_seconds = 0.0  # how long a poll takes, measured (a slow server is not a stale feed)
        self.notice: str | None = None
        self._stale = False
        self._held: Freshness | None = None  # the health shown while paused
        self.clock: Clock = clock or SystemClock()
        self.backoff = backoff or Backoff()
        self.last_ok: float | None = None
        self.last_error: BaseException | None = None
        self.errors = 0
        self.polls = 0  # attempts completed
        self.successes = 0
        self.in_flight = False
        self.next_delay: float = 0.0
        self.group: FeedSet | None = None  # set by `FeedSet.add`: the feeds that share a server
        self._running = asyncio.Event()
        self._running.set()
        self._wake = asyncio.Event()

    # --- control --------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        if not self.paused:
            self._held = self.health()  # paused by choice: the data does not go stale on screen
        self._running.clear()

    def resume(self) -> None:
        self._running.set()
        self._wake.set()  # poll now rather than finish the old sleep

    def set_cadence(self, seconds: float | None) -> None:
        """While the stream feeds this pane, poll only every `seconds` (REST reconciles); None: back
        to the normal interval, at once when that is sooner than the sleep under way."""
        target = self.normal if seconds is None else max(self.normal, seconds)
        if target == self.configured:
            return
        faster = target < self.configured
        self.configured = self.interval = target
        self.max_interval = max(self.max_interval, target)
        if faster and not self.errors:
            self.poke()

    def poke(self) -> None:
        """Poll as soon as the current sleep is interrupted."""
        self._wake.set()

    # --- the loop -------------------------------------------------------------------------------

    async def poll_once(self) -> bool:
        """One poll; returns True on success. Errors are recorded, never raised."""
        self.in_flight = True
        started = self.last_started = self.clock.monotonic()
        tag = RequestTag(self.priority)
        try:
            with request_priority(tag):
                data = await self.fetch()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a feed must survive any error and retry
            self._failed(exc)
            return False
        finally:
            self.in_flight = False
            self.polls += 1
            if tag.sent:
                self.requests_per_poll = 0.7 * self.requests_per_poll + 0.3 * tag.sent
        self.poll_seconds = 0.7 * self.poll_seconds + 0.3 * (self.clock.monotonic() - started)
        self.notice = getattr(data, "notice", None)
        recovered = self.errors > 0
        self.errors = 0
        self.last_error = None
        self.successes += 1
        self.last_ok = self.clock.monotonic()
        self.next_delay = self.interval
        if recovered and self.group is not None:
            self.group.peer_recovered(self)
        try:
            self.on_data(data)
        except Exception as exc:  # noqa: BLE001 - a consumer bug must not end the loop either
            self._failed(exc)
            return False
        return True

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        self.last_error = exc
        limited = isinstance(exc, RateLimited)
        retry_after = exc.retry_after if limited else None
        self.next_delay = self.backoff.delay(self.errors, self.interval, retry_after, rate_limited=limited)
        if self.on_error:
            try:
                self.on_error(exc)
            except Exception:  # noqa: BLE001 - the consumer's bug must not end the loop; say so
                log.exception("feed %s: on_error failed", self.name)

    async def run(self) -> None:
        """Poll forever: await the poll, then sleep (interval, or back-off after an error)."""
        while True:
            await self._running.wait()
            await self.poll_once()
            await self._sleep(self.next_delay)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                if not task.done():
                    task.cancel()

    # --- health ---------------------------------------------------------------------------------

    def age(self) -> float | None:
        if self.last_ok is None:
            return None
        return max(0.0, self.clock.monotonic() - self.last_ok)

    @property
    def cycle(self) -> float:
        """Seconds between two answers when all is well: the interval plus a poll's own time."""
        return self.interval + self.poll_seconds

    def health(self) -> Freshness:
        if self.paused and self._held is not None:
            return self._held
        if self.errors:
            return Freshness.FAILING
        age = self.age()
        if age is None:
            return Freshness.WAITING
        # Hysteresis: stale past three cycles, fresh again only under two.
        limit = FRESH_AGAIN if self._stale else STALE_AFTER
        self._stale = age > limit * self.cycle
        return Freshness.STALE if self._stale else Freshness.FRESH

    def status(self) -> FeedStatus:
        return FeedStatus(
            self.name,
            self.health(),
            self.age(),
            error_title(self.last_error) if self.last_error else None,
            self.errors,
            self.paused,
            self.interval,
            self.configured,
            self.notice,
        )


class FeedSet:
    """The app's feeds by name, paused and resumed together."""

    def __init__(self, feeds: Iterable[Feed] = ()) -> None:
        self.feeds: dict[str, Feed] = {f.name: f for f in feeds}

    def add(self, feed: Feed) -> Feed:
        self.feeds[feed.name] = feed
        feed.group = self
        return feed

    def peer_recovered(self, recovered: Feed) -> None:
        """A feed got through after failing: the server is back, so the feeds still backing off
        retry now instead of finishing a back-off that may be many intervals long. Only on the
        transition from failing to good, so a feed failing on its own keeps its back-off."""
        for feed in self.feeds.values():
            if feed is not recovered and feed.errors and not feed.paused and not feed.in_flight:
                feed.poke()

    def __getitem__(self, name: str) -> Feed:
        return self.feeds[name]

    def __iter__(self):
        return iter(self.feeds.values())

    def __len__(self) -> int:
        return len(self.feeds)

    def __contains__(self, name: object) -> bool:
        return name in self.feeds

    @property
    def paused(self) -> bool:
        return bool(self.feeds) and all(f.paused for f in self.feeds.values())

    def pause(self) -> None:
        for feed in self.feeds.values():
            feed.pause()

    def resume(self) -> None:
        for feed in self.feeds.values():
            feed.resume()

    def toggle(self) -> bool:
        """Pause or resume all; returns True when now paused."""
        if self.paused:
            self.resume()
        else:
            self.pause()
        return self.paused

    def statuses(self) -> list[FeedStatus]:
        return [f.status() for f in self.feeds.values()]

    def plan(self, per_minute: float) -> bool:
        """Stretch intervals so that every feed's requests fit in `per_minute`: the least important
        feed first (highest priority number), up to its `max_interval`, then the next. Returns
        True when any feed is paced. Each feed's cost is what one of its polls was measured to send."""
        # A feed paused on its own (the done orders, while not shown) asks nothing: it takes no share.
        feeds = sorted((f for f in self.feeds.values() if not f.paused or self.paused), key=lambda f: f.priority,
                       reverse=True)

        def demand(feed: Feed, interval: float) -> float:
            return feed.requests_per_poll * 60.0 / interval

        chosen = {feed.name: feed.configured for feed in feeds}
        total = sum(demand(f, chosen[f.name]) for f in feeds)
        for feed in feeds:
            if total <= per_minute:
                break
            others = total - demand(feed, chosen[feed.name])
            room = per_minute - others
            longest = feed.max_interval
            wanted = feed.requests_per_poll * 60.0 / room if room > 0 else longest
            chosen[feed.name] = min(longest, max(feed.configured, wanted))
            total = others + demand(feed, chosen[feed.name])
        for feed in feeds:
            stretched = chosen[feed.name] > feed.interval
            feed.interval = chosen[feed.name]
            if not stretched and feed.interval < feed.next_delay and not feed.errors:
                feed.poke()  # the budget eased: do not finish a long paced sleep
        return any(f.interval > f.configured for f in feeds)


class TradesFetcher:
    """Trades of the last 24 h: every page once at start, then only what is new.

    After the backfill each poll asks for trades at or after the newest timestamp seen; the
    overlap (same timestamp) is removed by the store's de-duplication by `Trade.key`.
    """

    def __init__(
        self,
        client: Any,
        clock: Clock,
        newest: Callable[[], int | None],
        *,
        window_ns: int = NS_PER_DAY,
        page_size: int = 100,
        compact: Callable[[Any], Any] | None = None,
    ) -> None:
        self.compact = compact
        self.client = client
        self.clock = clock
        self.newest = newest
        self.window_ns = window_ns
        self.page_size = page_size
        self.backfilled = False
        self.pages_fetched = 0

    def since(self) -> int:
        floor = self.clock.now_ns() - self.window_ns
        newest = self.newest() if self.backfilled else None
        if newest is None:
            return floor
        # A trade stamped in the far future (a bad row) must not stop us asking for new ones.
        return max(floor, min(newest, self.clock.now_ns()))

    async def __call__(self) -> Any:
        from ..api import Page

        since = self.since()
        total: Page = Page(items=[])
        async for page in self.client.iter_pages(self.client.trades, page_size=self.page_size, timestamp=since):
            self.pages_fetched += 1
            total.items.extend(page.items if self.compact is None else map(self.compact, page.items))
            total.bad_rows.extend(page.bad_rows)
            total.notice = page.notice or total.notice
        self.backfilled = True
        return total
