"""Feeds within a request budget, freshness that does not flap, and what a poll says."""

import asyncio

from blotter.api import Page, RateLimited
from blotter.core.feeds import Backoff, FakeClock, Feed, FeedSet, Freshness


async def settle(n: int = 10) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def feeds(**requests_per_poll):
    made = FeedSet()
    spec = {"orders": (1.0, 1, 5.0), "quotes": (1.0, 2, 10.0), "trades": (2.0, 3, 15.0), "balances": (5.0, 4, 60.0)}
    for name, (interval, priority, longest) in spec.items():
        feed = made.add(Feed(name, lambda: None, lambda _: None, interval=interval, priority=priority,
                             max_interval=longest, clock=FakeClock()))
        feed.requests_per_poll = requests_per_poll.get(name, 1.0)
    return made


def per_minute(made: FeedSet) -> float:
    return sum(f.requests_per_poll * 60 / f.interval for f in made)


def test_nothing_is_paced_while_the_budget_holds_every_feed():
    made = feeds()
    assert not made.plan(200)  # 60 + 60 + 30 + 12 = 162 a minute fits
    assert [f.interval for f in made] == [1.0, 1.0, 2.0, 5.0]


def test_a_tight_budget_stretches_balances_and_trades_first_then_quotes_and_orders_last():
    made = feeds()
    assert made.plan(81)
    intervals = {f.name: f.interval for f in made}
    assert intervals["balances"] == 60.0 and intervals["trades"] == 15.0  # stretched to their longest
    assert intervals["orders"] == 1.0  # untouched while the others can give
    assert 1.0 < intervals["quotes"] <= 10.0
    assert per_minute(made) <= 81 + 1e-9
    status = made["quotes"].status()
    assert status.paced and status.configured == 1.0


def test_a_feed_that_costs_several_requests_a_poll_is_counted_so():
    made = feeds(orders=2.0)  # active orders paged in two requests
    made.plan(81)
    assert per_minute(made) <= 81 + 1e-9
    assert made["orders"].interval > 1.0  # even the orders feed gives once the others are at their longest


def test_when_the_budget_eases_the_intervals_come_back():
    made = feeds()
    made.plan(40)
    assert made["quotes"].interval > 1.0
    assert not made.plan(500)
    assert [f.interval for f in made] == [1.0, 1.0, 2.0, 5.0]


async def test_a_slow_server_is_not_a_stale_feed_and_freshness_does_not_flap():
    clock = FakeClock()
    answered = asyncio.Event()

    async def slow():
        await clock.sleep(2.5)  # every poll takes 2.5 s
        answered.set()
        return Page(items=[])

    feed = Feed("orders", slow, lambda _: None, interval=1.0, clock=clock)
    task = asyncio.create_task(feed.run())
    seen = []
    for _ in range(40):  # 20 s in half-second steps
        clock.advance(0.5)
        await settle()
        if feed.last_ok is not None:
            seen.append(feed.health())
    assert seen and set(seen) == {Freshness.FRESH}  # was FRESH and STALE in turn before
    task.cancel()


def test_stale_is_left_only_well_inside_the_fresh_bound():
    clock = FakeClock()
    feed = Feed("orders", lambda: None, lambda _: None, interval=1.0, clock=clock)
    feed.last_ok = clock.monotonic()
    clock.advance(3.5)
    assert feed.health() is Freshness.STALE
    feed.last_ok = clock.monotonic() - 2.5  # within three cycles, not within two: still stale
    assert feed.health() is Freshness.STALE
    feed.last_ok = clock.monotonic() - 1.0
    assert feed.health() is Freshness.FRESH


def test_a_429_waits_its_retry_after_not_an_ever_longer_back_off():
    policy = Backoff(base=1.0, cap=60.0)
    assert policy.delay(6, 1.0, retry_after=2.0, rate_limited=True) == 2.0
    assert policy.delay(6, 1.0, rate_limited=True) == 32.0  # no Retry-After: exponential, capped


async def test_a_page_notice_stays_on_the_feed_until_a_poll_without_one():
    clock = FakeClock()
    answers = [Page(items=[], notice="paging did not advance (tried cursor, then skip)"), Page(items=[])]
    feed = Feed("trades", lambda: _answer(answers), lambda _: None, interval=1.0, clock=clock)
    await feed.poll_once()
    assert feed.status().notice.startswith("paging did not advance")
    await feed.poll_once()
    assert feed.status().notice is None


async def _answer(answers):
    return answers.pop(0)


async def test_a_rate_limited_feed_backs_off_alone():
    clock = FakeClock()

    async def limited():
        raise RateLimited(429, "Too Many Requests", retry_after=3.0)

    async def fine():
        return Page(items=[])

    made = FeedSet()
    slow = made.add(Feed("trades", limited, lambda _: None, interval=1.0, clock=clock))
    fast = made.add(Feed("orders", fine, lambda _: None, interval=1.0, clock=clock))
    tasks = [asyncio.create_task(f.run()) for f in made]
    for _ in range(6):
        clock.advance(1.0)
        await settle()
    assert fast.successes >= 6 and fast.health() is Freshness.FRESH
    assert slow.polls == 2  # at 0 s and after its 3 s Retry-After
    for task in tasks:
        task.cancel()
