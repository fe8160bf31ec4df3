"""Soak: many polls ("simulated minutes" on the FakeClock) against a busy simulator, headless.

The simulator runs in its own process (`blotter sim`), so tracemalloc measures only the app's
memory. After a warm-up, a long run must not grow the asyncio tasks, the Textual timers and
workers, the rows shown beyond the display caps, or the traced memory (beyond a small tolerance).
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import subprocess
import sys
import time
import tracemalloc

import httpx
import pytest
import rich.cells
from robustness_support import SIZE, make_app, pane_feeds, ready

from blotter.core.feeds import FakeClock, Freshness

TRADES_CAP = 40
WARM_UP = 10
FILL = 40
RUN = 40  # x4 feeds: 160 polls measured


@pytest.fixture
def sim_process():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUEX_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "blotter", "sim", "--port", "0", "--seed", "77", "--seed-orders", "8",
         "--seed-trades", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        match = re.search(r"serving (http://127\.0\.0\.1:\d+)", process.stdout.readline())
        assert match, "the simulator did not say where it serves"
        base_url = match.group(1)
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(base_url + "/api/v1/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the simulator did not answer"
                time.sleep(0.02)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def timers(app) -> int:
    nodes = [app, *app.screen_stack, *app.screen.walk_children()]
    return sum(len(node._timers) for node in nodes)


def clear_bounded_caches() -> None:
    """Rich's cell-width caches are LRU-bounded (4096 entries each) and fill with every new price
    string; they are emptied before each measurement so that only real growth is counted."""
    for name in dir(rich.cells):
        cached = getattr(rich.cells, name)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


def measure(app) -> dict[str, int]:
    clear_bounded_caches()
    gc.collect()
    return {
        "tasks": len(asyncio.all_tasks()),
        "timers": timers(app),
        "workers": len(app.workers),
        "memory": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0,
    }


async def test_long_run_does_not_grow(sim_process):
    clock = FakeClock(now_ns=time.time_ns())  # the simulator's market runs on real time
    app = make_app(sim_process, clock)
    app.stores["trades"].cap = TRADES_CAP
    market = httpx.Client(base_url=sim_process, timeout=5)

    async def rounds(n: int) -> None:
        for _ in range(n):
            market.post("/_sim/step", params={"n": 2})  # orders fill, trades arrive, quotes move
            clock.advance(1.0)
            deadline = time.monotonic() + 10
            await asyncio.sleep(0)
            while any(f.in_flight for f in app.feeds) or clock.sleeping < sum(1 for f in app.feeds if not f.paused):
                assert time.monotonic() < deadline, "feeds did not settle"
                await asyncio.sleep(0.002)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, clock, pilot)
            await rounds(WARM_UP)
            tracemalloc.start()
            try:
                await rounds(FILL)  # Textual's line and strip caches (LRU-bounded) fill up here
                before = measure(app)
                polls_before = sum(f.successes for f in pane_feeds(app))
                trades_before = len(app.trades.items)
                await rounds(RUN)
                after = measure(app)
            finally:
                tracemalloc.stop()
            assert sum(f.successes for f in pane_feeds(app)) - polls_before == RUN * len(pane_feeds(app))
            assert all(f.health() is Freshness.FRESH for f in app.feeds if not f.paused)  # (done: not shown)
            # small tolerance: a fill toast's worker or timer may be alive at the moment of measuring
            assert after["tasks"] <= before["tasks"] + 2, (before, after)
            assert after["timers"] <= before["timers"] + 2, (before, after)
            assert after["workers"] <= before["workers"] + 2, (before, after)
            # the trades pane shows at most its cap (the store keeps the session's trades for filtering)
            new_trades = len(app.trades.items) - trades_before
            assert len(app.trades.view) <= TRADES_CAP < len(app.trades.items)
            assert app.table("trades").row_count <= TRADES_CAP
            assert len(app.stores["orders"].items) < 200 and len(app.local_orders) < 50
            # What the run allocated and still holds: rows turn over, nothing else may pile up.
            # Allowance: the trades kept for the session (model and row, ~5 KB each) plus slack.
            growth = after["memory"] - before["memory"]
            assert growth < 800_000 + 5_000 * new_trades, (growth, new_trades)  # a leak of ~3 KB a poll fails
    finally:
        market.close()
