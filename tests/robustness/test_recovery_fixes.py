"""Unit tests of two fixes the fault suite led to.

1. A feed that got through after an outage pokes the feeds of its set that are still backing off,
   so that after a long outage (back-off grown to many intervals) the whole screen recovers as soon
   as one feed sees the server again, not one back-off cap later.
2. Concurrent requests signed with a wrong clock estimate are all re-signed after their 401, not
   only the one that first noticed the server's Date (the others used to fail with 401).
"""

from __future__ import annotations

import asyncio

import pytest
from robustness_support import credentials

from blotter.api import RetryPolicy, ServerError, TrueXClient
from blotter.core.feeds import Backoff, FakeClock, Feed, FeedSet, Freshness
from blotter.sim import Exchange, SimServer


async def settle(n: int = 8) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


class Switch:
    def __init__(self) -> None:
        self.failing = True
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        if self.failing:
            raise ServerError(503, "Service Unavailable")
        return self.calls


async def test_one_feed_recovering_pokes_the_others_out_of_their_backoff():
    clock = FakeClock()
    server = Switch()
    feeds = FeedSet()
    fast = feeds.add(Feed("orders", server, lambda _: None, interval=1.0, clock=clock,
                          backoff=Backoff(base=1.0, cap=60.0, failure_intervals=60.0)))
    slow = feeds.add(Feed("balances", server, lambda _: None, interval=1.0, clock=clock,
                          backoff=Backoff(base=1.0, cap=60.0, failure_intervals=60.0)))
    tasks = [asyncio.create_task(f.run()) for f in feeds]
    try:
        await settle()
        slow.errors = 6  # slow has been failing longer: its back-off is far longer than fast's
        for _ in range(4):
            clock.advance(fast.next_delay)
            await settle()
        assert fast.health() is Freshness.FAILING and slow.health() is Freshness.FAILING
        server.failing = False
        clock.advance(fast.next_delay)  # fast retries first and gets through
        await settle()
        assert fast.health() is Freshness.FRESH
        assert slow.health() is Freshness.FRESH and slow.errors == 0  # poked: it did not wait out its back-off
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_feed_failing_on_its_own_keeps_its_backoff():
    clock = FakeClock()
    good = Switch()
    good.failing = False
    bad = Switch()
    feeds = FeedSet()
    ok = feeds.add(Feed("quotes", good, lambda _: None, interval=1.0, clock=clock))
    broken = feeds.add(Feed("balances", bad, lambda _: None, interval=1.0, clock=clock,
                            backoff=Backoff(base=1.0, cap=8.0, failure_intervals=8.0)))
    tasks = [asyncio.create_task(f.run()) for f in feeds]
    try:
        await settle()
        for _ in range(8):
            clock.advance(1.0)
            await settle()
        # quotes succeed every second; they are not a recovery, so balances are not poked
        assert ok.successes == 9
        assert bad.calls == 4  # t=0, 1, 3, 7: back-off 1, 2, 4 (next at 15)
        assert broken.errors == 4 and broken.health() is Freshness.FAILING
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.parametrize("skew", [20.0, -20.0])
async def test_concurrent_requests_all_resign_after_a_clock_jump(skew):
    with SimServer(Exchange(seed=3), auto_tick=False) as sim:
        sim.faults.update({"clock_skew_seconds": skew})
        async with TrueXClient(sim.base_url, credentials=credentials(), retry=RetryPolicy(attempts=1)) as client:
            results = await asyncio.gather(*(client.balances() for _ in range(6)), return_exceptions=True)
    assert all(not isinstance(r, BaseException) for r in results), results
