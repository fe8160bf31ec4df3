"""Soak over simulated hours: two hours on a fake clock with every feed polling every 5 s, against an
in-memory exchange whose quotes move, orders fill and trades arrive at every poll. Tasks, timers, workers,
toasts and rows on screen must stay flat; memory may grow only by the trades kept (all trades of
the session are kept by design; the display is capped).
"""

import asyncio
import gc
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

from fakes import FakeClient, make_order, make_trade  # noqa: E402

from blotter.config import Settings  # noqa: E402
from blotter.core.feeds import FakeClock, Freshness  # noqa: E402
from blotter.ui.app import create_app  # noqa: E402

HOURS = 2
STEP = 5.0  # seconds between polls of every feed
ROUNDS = int(HOURS * 3600 / STEP)
WARM_UP = 240  # rounds: more trades than the display cap
CAP = 200


def snapshot(app) -> dict[str, int]:
    gc.collect()
    nodes = [app, *app.screen_stack, *app.screen.walk_children()]
    return {
        "tasks": len(asyncio.all_tasks()),
        "timers": sum(len(node._timers) for node in nodes),
        "workers": len(app.workers),
        "toasts": len(app._notifications),
        "orders_shown": app.table("orders").row_count,
        "trades_shown": app.table("trades").row_count,
        "memory": tracemalloc.get_traced_memory()[0],
    }


async def test_two_simulated_hours_of_polling_stay_flat():
    client = FakeClient(orders=50, trades=0)
    clock = FakeClock()
    settings = Settings(_env_file=None, user_id="42", trades_display_cap=CAP,
                        poll={"orders": STEP, "quotes": STEP, "trades": STEP, "balances": STEP})
    app = create_app(client, settings, clock=clock)
    trade_no = 0

    def one_step() -> None:
        nonlocal trade_no
        client.bid_shift += Decimal("0.5") if trade_no % 3 else Decimal("-0.5")
        i = trade_no % len(client.orders)  # one order fills a little more each second
        client.orders[i] = make_order(i, filled="0.5", status="ACTIVE")
        trade = make_trade(trade_no).model_copy(update={"timestamp": clock.now_ns(), "match_id": f"s{trade_no}"})
        client.trade_list.append(trade)
        trade_no += 1
        clock.advance(STEP)

    async def run(rounds: int, pilot) -> None:
        for n in range(rounds):
            one_step()
            await asyncio.sleep(0)
            while clock.sleeping < sum(1 for f in app.feeds if not f.paused) or any(feed.in_flight for feed in app.feeds):
                await asyncio.sleep(0)  # every feed has polled and gone back to sleep
            if n % 12 == 0:
                await pilot.pause()  # the screen catches up once a simulated minute

    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.ready and all(feed.successes for feed in app.feeds if not feed.paused)):
            await pilot.pause(0.01)
        await run(WARM_UP, pilot)  # warm-up: caches fill, the trades display reaches its cap
        await pilot.pause()
        tracemalloc.start()
        try:
            before = snapshot(app)
            trades_before = len(app.trades.items)
            await run(ROUNDS - WARM_UP, pilot)
            await pilot.pause()
            after = snapshot(app)
        finally:
            tracemalloc.stop()
        polls = app.feeds["orders"].successes
        assert polls >= ROUNDS  # it really polled at every step
        assert all(feed.health() is Freshness.FRESH for feed in app.feeds if not feed.paused)
        for name in ("tasks", "timers", "workers", "orders_shown"):
            assert after[name] <= before[name] + 2, (name, before[name], after[name])
        assert after["trades_shown"] == before["trades_shown"] == CAP
        assert after["toasts"] <= 10  # toasts expire or batch; they never pile up
        kept = len(app.trades.items) - trades_before
        assert after["memory"] - before["memory"] < 2_000_000 + 3_000 * kept, (after["memory"] - before["memory"], kept)
