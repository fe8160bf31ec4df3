"""The dashboard against an exchange that allows 100 requests a minute (x-ratelimit-* headers):
the request budget paces the feeds, the orders pane stays fresh, 429s are rare, and an order
action is never held up by polling. Three minutes of fake time, no real waiting."""

import asyncio

import httpx
import pytest
from ui_support import polled, wait_for

from blotter.api import RequestBudget, RetryPolicy, TrueXClient
from blotter.config import Settings
from blotter.core.feeds import FakeClock, Freshness
from blotter.demo import demo_credentials
from blotter.sim import Exchange, FaultConfig
from blotter.sim.asgi import exchange_app
from blotter.sim.fault_injection import RateWindow
from blotter.ui.app import create_app


@pytest.fixture
def limited():
    clock = FakeClock()
    exchange = Exchange(seed=3, seed_orders=20, seed_trades=50)
    server = exchange_app(exchange, faults=FaultConfig(rate_limit_per_minute=100))
    server.window = RateWindow(clock=clock.monotonic)  # the exchange's minute is the fake one too
    budget = RequestBudget(90, monotonic=clock.monotonic, sleep=clock.sleep)
    client = TrueXClient("http://exchange.test", credentials=demo_credentials(), budget=budget,
                         transport=httpx.ASGITransport(app=server), retry=RetryPolicy(attempts=1))
    app = create_app(client, Settings(_env_file=None, user_id=demo_credentials().user_id), clock=clock)
    return app, clock, budget, exchange


async def test_a_100_a_minute_exchange_keeps_the_orders_pane_fresh(limited):
    app, clock, budget, _ = limited
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        orders_health = []
        for _ in range(360):  # three minutes in half seconds
            clock.advance(0.5)
            for _ in range(5):
                await asyncio.sleep(0)
            await pilot.pause(0.001)
            orders_health.append(app.feeds["orders"].health())
            app.refresh_bars()
        assert budget.announced is not None and budget.announced.limit == 100  # read from the headers
        assert budget.per_minute == 100
        assert budget.rate_limited <= 2  # 429s are rare
        stale = [i for i, health in enumerate(orders_health) if health is Freshness.STALE]
        assert not stale and orders_health.count(Freshness.FAILING) <= 2, (stale, budget.rate_limited)
        assert app.feeds["balances"].interval > app.feeds["balances"].configured  # stretched first
        assert app.feeds["orders"].interval == app.feeds["orders"].configured  # orders last
        assert "paced to 100/min" in str(app.query_one("#status").render())
