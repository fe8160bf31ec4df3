"""Feeds with a fake clock: no overlap, interval, back-off, Retry-After, health, pause, recovery."""

import asyncio
import subprocess
import sys

import pytest

from blotter.api import Page, RateLimited, ServerError
from blotter.core.feeds import Backoff, FakeClock, Feed, FeedSet, Freshness, TradesFetcher


async def settle(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


class Fetcher:
    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.calls = 0
        self.active = 0
        self.max_active = 0
        self.fail_with: BaseException | None = None
        self.gate: asyncio.Event | None = None

    async def __call__(self):
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.fail_with is not None:
                raise self.fail_with
            return self.calls
        finally:
            self.active -= 1


@pytest.fixture
def clock():
    return FakeClock()


def make_feed(clock, fetch, interval=1.0, **kw):
    got = []
    feed = Feed("orders", fetch, got.append, interval=interval, clock=clock, **kw)
    return feed, got


async def test_polls_every_interval_after_the_poll_completes(clock):
    fetch = Fetcher(clock)
    feed, got = make_feed(clock, fetch, interval=2.0)
    task = asyncio.create_task(feed.run())
    await settle()
    assert got == [1] and clock.sleeps == [2.0]
    clock.advance(1.9)
    await settle()
    assert fetch.calls == 1
    clock.advance(0.1)
    await settle()
    assert got == [1, 2]
    task.cancel()


async def test_a_slow_poll_never_overlaps_the_next(clock):
    fetch = Fetcher(clock)
    fetch.gate = asyncio.Event()
    feed, got = make_feed(clock, fetch, interval=1.0)
    task = asyncio.create_task(feed.run())
    await settle()
    assert feed.in_flight
    clock.advance(10)  # much longer than the interval: still one call in flight
    await settle()
    assert fetch.calls == 1 and fetch.max_active == 1 and clock.sleeps == []
    fetch.gate.set()
    await settle()
    assert got == [1] and clock.sleeps == [1.0]
    task.cancel()


async def test_backoff_grows_and_caps_then_recovers(clock):
    fetch = Fetcher(clock)
    fetch.fail_with = ServerError(503, "Service Unavailable")
    feed, got = make_feed(clock, fetch, interval=1.0, backoff=Backoff(base=1.0, cap=8.0))
    task = asyncio.create_task(feed.run())
    for _ in range(6):
        await settle()
        clock.advance(clock.sleeps[-1])
    await settle()
    assert clock.sleeps[:6] == [1.0, 2.0, 2.0, 2.0, 2.0, 2.0]  # a failure: at most two intervals apart
    assert feed.health() is Freshness.FAILING
    assert feed.status().error_title == "503 Service Unavailable"
    fetch.fail_with = None
    clock.advance(clock.sleeps[-1])
    await settle()
    assert feed.health() is Freshness.FRESH and feed.errors == 0
    assert clock.sleeps[-1] == 1.0
    assert got  # data flowed again
    task.cancel()


async def test_retry_after_is_honoured(clock):
    fetch = Fetcher(clock)
    fetch.fail_with = RateLimited(429, "Too Many Requests", retry_after=30.0)
    feed, _ = make_feed(clock, fetch, interval=1.0)
    task = asyncio.create_task(feed.run())
    await settle()
    assert clock.sleeps == [30.0]
    clock.advance(29)
    await settle()
    assert fetch.calls == 1
    clock.advance(1)
    await settle()
    assert fetch.calls == 2
    task.cancel()


def test_backoff_policy():
    policy = Backoff(base=1.0, cap=60.0, max_retry_after=120.0)
    # a rate limit backs off exponentially; a plain failure keeps retrying every two intervals
    assert [policy.delay(n, 1.0, rate_limited=True) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert [policy.delay(n, 1.0) for n in range(1, 6)] == [1, 2, 2, 2, 2]
    assert [policy.delay(n, 5.0) for n in range(1, 4)] == [5, 10, 10]
    assert policy.delay(1, 5.0) == 5.0  # never faster than the interval
    assert policy.delay(1, 1.0, retry_after=0.5) == 1.0
    assert policy.delay(1, 1.0, retry_after=999) == 120.0


async def test_stale_then_failing_keeps_last_data(clock):
    fetch = Fetcher(clock)
    fetch.gate = asyncio.Event()
    fetch.gate.set()
    feed, got = make_feed(clock, fetch, interval=1.0)
    assert feed.health() is Freshness.WAITING
    task = asyncio.create_task(feed.run())
    await settle()
    assert feed.health() is Freshness.FRESH and feed.age() == 0
    fetch.gate.clear()  # the next poll hangs
    clock.advance(1)
    await settle()
    clock.advance(2)
    assert feed.health() is Freshness.FRESH  # exactly three intervals old
    clock.advance(0.5)
    assert feed.health() is Freshness.STALE and feed.age() == 3.5
    fetch.fail_with = ServerError(500, "Internal Server Error")
    fetch.gate.set()
    await settle()
    assert feed.health() is Freshness.FAILING and got == [1]
    task.cancel()


async def test_pause_and_resume(clock):
    fetch = Fetcher(clock)
    feed, got = make_feed(clock, fetch, interval=1.0)
    feeds = FeedSet([feed])
    task = asyncio.create_task(feed.run())
    await settle()
    assert feeds.toggle() is True and feed.paused
    for _ in range(5):
        clock.advance(1)
        await settle()
    assert fetch.calls == 1 or fetch.calls == 2  # at most the poll already due when paused
    calls = fetch.calls
    clock.advance(10)
    await settle()
    assert fetch.calls == calls
    assert feeds.toggle() is False
    await settle()
    assert fetch.calls == calls + 1  # resuming polls at once
    task.cancel()


async def test_errors_never_escape_the_loop(clock):
    fetch = Fetcher(clock)
    fetch.fail_with = ValueError("boom")
    errors = []
    feed, _ = make_feed(clock, fetch, on_error=errors.append)
    task = asyncio.create_task(feed.run())
    await settle()
    assert not task.done() and feed.status().error_title == "ValueError" and len(errors) == 1
    task.cancel()


class FakeTradesClient:
    def __init__(self):
        self.calls = []

    async def trades(self, timestamp, *, size=10, skip=None, cursor=None):
        self.calls.append((timestamp, skip))
        start = skip or 0
        items = [i for i in range(start, min(start + size, 250))] if len(self.calls) <= 3 else []
        return Page(items=items)

    async def iter_pages(self, fetch, *, page_size=100, **params):
        skip = 0
        while True:
            page = await fetch(size=page_size, skip=skip, **params)
            yield page
            if len(page) < page_size:
                return
            skip += len(page)


async def test_trades_backfill_all_pages_then_only_new(clock):
    client = FakeTradesClient()
    newest = {"ts": None}
    fetcher = TradesFetcher(client, clock, lambda: newest["ts"])
    page = await fetcher()
    day_ago = clock.now_ns() - 24 * 3600 * 1_000_000_000
    assert [c[0] for c in client.calls] == [day_ago] * 3
    assert len(page.items) == 250 and fetcher.pages_fetched == 3
    newest["ts"] = clock.now_ns() - 5
    await fetcher()
    assert client.calls[-1][0] == clock.now_ns() - 5


def test_headless_layers_never_import_textual():
    code = (
        "import sys, pkgutil, importlib, blotter.api, blotter.core, blotter.sim\n"
        # Every module of each package: api and sim load their names on first use (PEP 562).
        "for package in (blotter.api, blotter.core, blotter.sim):\n"
        " for m in pkgutil.walk_packages(package.__path__, package.__name__ + '.'): importlib.import_module(m.name)\n"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_after_a_long_outage_a_cleared_fault_shows_within_two_intervals(clock):
    fetch = Fetcher(clock)
    fetch.fail_with = ServerError(503, "Service Unavailable")
    feed, got = make_feed(clock, fetch, interval=1.0)  # the app's default back-off policy
    task = asyncio.create_task(feed.run())
    for _ in range(30):  # half a minute of outage
        await settle()
        clock.advance(clock.sleeps[-1])
    await settle()
    assert feed.errors >= 15 and feed.health() is Freshness.FAILING
    fetch.fail_with = None
    clock.advance(2.0)
    await settle()
    assert feed.health() is Freshness.FRESH
    task.cancel()
