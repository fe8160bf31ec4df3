"""Shared helpers for the robustness suites: the app headless against the simulator over loopback.

Feeds sleep on a `FakeClock`, so "time" only moves when a test advances it; the HTTP requests are
real (loopback), so every wait is a poll for a condition with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from pydantic import SecretStr

from blotter.api import Credentials, RetryPolicy, TrueXClient
from blotter.config import PollIntervals, Settings
from blotter.core.feeds import FakeClock
from blotter.sim import DEMO_CREDENTIALS
from blotter.ui.app import PANES, create_app

SIZE = (120, 40)
FROZEN = 1_790_000_000_000_000_000  # the FakeClock's epoch: the sim's trades fall in its 24 h window
INTERVAL = 1.0  # every feed polls at the same interval so that one advance moves all of them


def credentials(secret: str = DEMO_CREDENTIALS.secret, creds=DEMO_CREDENTIALS) -> Credentials:
    return Credentials(creds.user_id, creds.key, SecretStr(secret))


def short_timeout(read: float = 0.4) -> httpx.Timeout:
    return httpx.Timeout(connect=1.0, read=read, write=1.0, pool=1.0)


def make_client(base_url: str, *, secret: str = DEMO_CREDENTIALS.secret, creds=DEMO_CREDENTIALS,
                read_timeout: float = 0.4) -> TrueXClient:
    # One attempt: the client's own retries sleep in real time; the feeds' back-off is what is tested.
    return TrueXClient(base_url, credentials=credentials(secret, creds), retry=RetryPolicy(attempts=1),
                       timeout=short_timeout(read_timeout))


def make_app(base_url: str, clock: FakeClock, *, interval: float = INTERVAL, creds=DEMO_CREDENTIALS, **kwargs):
    client = kwargs.pop("client", None) or make_client(base_url, creds=creds)
    poll = PollIntervals(orders=interval, quotes=interval, trades=interval, balances=interval)
    settings = Settings(_env_file=None, user_id=creds.user_id, poll=poll, environment="TEST")
    return create_app(client, settings, clock=clock, **kwargs)


async def wait_for(predicate, pilot, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in time")
        await pilot.pause(0.01)


POLLED_FEEDS = ("orders", "trades", "quotes", "balances")  # not health (it may fail on purpose here), not done


def polled(app) -> bool:
    """Every pane fed by a feed has data."""
    return app.ready and all(name in app.feeds and app.feeds[name].successes >= 1 for name in POLLED_FEEDS)


def pane_feeds(app) -> list:
    """The feeds of the panes they fill (the health feed polls every 30 s and is checked on its own)."""
    return [app.feeds[name] for name in POLLED_FEEDS]


def settled(app, clock: FakeClock) -> bool:
    """Every feed has finished its poll and sleeps again (on the fake clock)."""
    return all(not f.in_flight for f in app.feeds) and clock.sleeping >= sum(1 for f in app.feeds if not f.paused)


async def ready(app, clock, pilot) -> None:
    await wait_for(lambda: polled(app) and settled(app, clock), pilot, what="first poll of every feed")
    await pilot.pause()


async def advance(app, clock: FakeClock, pilot, seconds: float, timeout: float = 10.0) -> None:
    """Move fake time, then wait (real time, with a deadline) until the polls it started are done."""
    clock.advance(seconds)
    deadline = time.monotonic() + timeout
    await asyncio.sleep(0)
    while not settled(app, clock):
        if time.monotonic() > deadline:
            raise AssertionError("feeds settled not met in time")
        await asyncio.sleep(0.002)
    await asyncio.sleep(0)  # let the app handle what the polls posted


def status_text(app) -> str:
    from blotter.ui.widgets.bars import StatusLine

    app.refresh_bars()
    return str(app.query_one(StatusLine).render())


def snapshot(app) -> dict[str, set[str]]:
    return {name: set(app.stores[name].items) for name in PANES}
