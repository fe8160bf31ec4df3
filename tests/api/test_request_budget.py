"""The request budget: polling is paced within it, most important first; order actions never wait."""

import asyncio
import random

import httpx
from pydantic import SecretStr

from blotter.api import Credentials, RetryPolicy, TrueXClient
from blotter.api._budget import ORDER_ACTION, RequestBudget, request_priority
from blotter.api.models import NewOrder, OrderInfo
from blotter.core.feeds import FakeClock


def budget(per_minute=10, clock=None):
    clock = clock or FakeClock()
    return RequestBudget(per_minute, monotonic=clock.monotonic, sleep=clock.sleep), clock


async def settle():
    for _ in range(30):  # each hand-over takes a few loop turns (a waiter wakes, then sleeps again)
        await asyncio.sleep(0)


async def test_polling_stops_at_the_budget_less_the_reserve_and_resumes_as_the_window_moves():
    paced, clock = budget(10)
    assert paced.reserve == 2 and paced.for_polling == 8
    for _ in range(8):
        await paced.acquire(1)
    waiting = asyncio.ensure_future(paced.acquire(1))
    await settle()
    assert not waiting.done()  # the ninth waits: two are kept for order actions
    clock.advance(59)
    await settle()
    assert not waiting.done()
    clock.advance(1.5)  # the first request has left the one-minute window
    await settle()
    assert waiting.done() and paced.waits == 1


async def test_order_actions_never_wait_behind_polling():
    paced, clock = budget(10)
    for _ in range(8):
        await paced.acquire(1)
    poll = asyncio.ensure_future(paced.acquire(1))
    await settle()
    await asyncio.wait_for(paced.acquire(ORDER_ACTION), 0.1)  # goes at once
    await asyncio.wait_for(paced.acquire(ORDER_ACTION), 0.1)
    assert not poll.done()
    poll.cancel()


async def test_the_most_important_waiting_request_goes_first():
    paced, clock = budget(10)
    for _ in range(8):
        await paced.acquire(1)
    order = []

    async def one(priority, name):
        await paced.acquire(priority)
        order.append(name)

    tasks = [asyncio.ensure_future(one(4, "balances")), asyncio.ensure_future(one(3, "trades")),
             asyncio.ensure_future(one(1, "orders"))]
    await settle()
    clock.advance(60.5)  # room for all three at once: they go in priority order
    await settle()
    assert order == ["orders", "trades", "balances"]
    await asyncio.gather(*tasks)


async def test_a_server_announcement_sets_the_budget_and_a_low_remaining_holds_polling_until_reset():
    paced, clock = budget(90)
    paced.observe(httpx.Headers({"x-ratelimit-limit": "100", "x-ratelimit-remaining": "50",
                                 "x-ratelimit-reset": "30"}), 200)
    assert paced.per_minute == 100  # what the server announces wins over the setting
    paced.observe(httpx.Headers({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "12"}), 200)
    waiting = asyncio.ensure_future(paced.acquire(2))
    await settle()
    assert not waiting.done()  # three left in the server's window: kept for order actions
    await asyncio.wait_for(paced.acquire(ORDER_ACTION), 0.1)
    clock.advance(12.5)
    await settle()
    assert waiting.done()


def test_a_limit_is_inferred_from_remaining_when_not_announced():
    paced, _ = budget(90)
    paced.observe(httpx.Headers({"x-ratelimit-remaining": "99", "x-ratelimit-reset": "60"}), 200)
    assert paced.per_minute == 100
    paced.observe(httpx.Headers({}), 429)
    assert paced.rate_limited == 1


async def test_the_client_paces_reads_and_lets_order_actions_through():
    clock = FakeClock()
    paced = RequestBudget(3, monotonic=clock.monotonic, sleep=clock.sleep)  # 1 for polling, 2 reserved
    sent = []

    def handler(request):
        sent.append((request.method, request.url.path))
        if request.method == "POST":
            return httpx.Response(200, json={"id": "1", "status": "NEW_PENDING"})
        return httpx.Response(200, json=[])

    client = TrueXClient("https://x.test", credentials=Credentials("1", "k", SecretStr("s")),
                         transport=httpx.MockTransport(handler), budget=paced, retry=RetryPolicy(attempts=1))
    async with client:
        with request_priority(2):
            await client.balances()
            second = asyncio.ensure_future(client.balances())
            await settle()
            assert not second.done()
        order = NewOrder(external_id="e-1", info=OrderInfo(client_id="1", instrument_id="2", side="BUY",
                                                           type="MARKET", qty="1"))
        await asyncio.wait_for(client.create_order(order), 1)  # an order action does not wait
        assert sent[-1] == ("POST", "/api/v1/orders")
        clock.advance(61)
        await asyncio.wait_for(second, 1)
    assert [m for m, _ in sent] == ["GET", "POST", "GET"]


async def test_feeds_asking_more_than_the_budget_all_day_never_stall():
    """The dashboard's feeds ask for more than the budget allows, all day: requests wait and hand
    over to one another thousands of times, and none may be lost on the way (a lost wake-up left
    every feed waiting for good: the screen froze on stale data while order actions still went)."""
    paced, clock = budget(20)
    start = clock.monotonic()
    granted: list[float] = []
    turns = random.Random(2)  # loop turns between clock moves: one fixed interleaving of many

    async def feed(priority: int, interval: float) -> None:
        while True:
            await paced.acquire(priority)
            granted.append(clock.monotonic())
            await asyncio.sleep(0)  # the request
            await clock.sleep(interval)

    feeds = [asyncio.ensure_future(feed(p, i)) for p, i in ((1, 1.0), (2, 1.0), (3, 2.0), (4, 5.0), (5, 30.0), (1, 1.3))]
    try:
        for _ in range(6000):
            for _ in range(turns.randrange(1, 6)):
                await asyncio.sleep(0)
            clock.advance(turns.choice((0.01, 0.1, 0.5, 1.0)))
        await settle()
    finally:
        for task in feeds:
            task.cancel()
    now = clock.monotonic()
    assert now - start > 30 * 60  # a simulated half hour and more
    last_minute = [t for t in granted if t > now - 60]
    assert len(last_minute) >= paced.for_polling - 1  # still served at the budget's pace at the end
