"""Figure 2: CPU of the running blotter, busy (200 active orders, default polls) and idle.

Two blotters run side by side under ptys for the same window:
- "demo": `blotter --demo` with 200 orders (`demo_proc`); like `blotter --demo` it runs its
  simulator as a child process, measured apart (it ticks every 0.5 s and serves every poll).
- "app alone": the real `blotter` pointed at `blotter sim --seed-orders 200` in another process;
  its figure is the app only (the simulator's own CPU is shown apart).
Both simulators tick and run the demo flow (about one of the trader's orders placed or cancelled
each second, with a toast each), so prices, quotes and orders change every poll.
- "resting": the real `blotter` against `blotter sim --seed-orders 200 --no-demo-flow`: the market
  ticks and trades, resting orders fill when crossed, but nobody churns the trader's orders.
Idle = polling paused with "p": nothing is fetched, the status line still ages once a second.
All three poll (`TRUEX_STREAM=off`): these targets were set for the polling blotter; the streaming
one is measured beside it in figure 8 (`benchmarks/streaming.py`).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from .common import Figure, fmt, under
from .procs import BLOTTER, POLLING, PYTHON, PtyProcess, SimProcess, child_env, cpu_seconds

ORDERS = 200
TARGET = 2.0  # % of one core
ALONE_TARGET = 1.5  # the app alone with churn (the figure the shape-and-speed issue set)


def _active_orders(base_url: str) -> int:
    from blotter.demo import demo_credentials

    from blotter.api import TrueXClient

    async def count() -> int:
        async with TrueXClient(base_url, credentials=demo_credentials()) as client:
            return len((await client.active_orders()).items)

    try:
        return asyncio.run(count())
    except Exception:  # noqa: BLE001 - only a label
        return -1


def _measure(procs: dict[str, int], seconds: float) -> dict[str, float]:
    """% of one core each pid used over the same `seconds`."""
    before = {name: cpu_seconds(pid) for name, pid in procs.items()}
    started = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    return {name: (cpu_seconds(pid) - before[name]) / elapsed * 100 for name, pid in procs.items()}


def run(quick: bool = False) -> list[Figure]:
    busy_s, idle_s, warmup_s = (30.0, 15.0, 3.0) if quick else (60.0, 20.0, 5.0)
    url_file = Path(tempfile.mkdtemp(prefix="blotter-bench-")) / "demo-url"
    with (
        SimProcess([*BLOTTER, "sim", "--port", "0", "--seed-orders", str(ORDERS), "--exit-with-parent"]) as sim,
        PtyProcess([PYTHON, "-m", "benchmarks.demo_proc", "--orders", str(ORDERS),
                    "--url-file", str(url_file)], env=child_env(**POLLING)) as demo,
        PtyProcess(BLOTTER, env=sim.app_env(**POLLING)) as alone,
        SimProcess([*BLOTTER, "sim", "--port", "0", "--seed-orders", str(ORDERS), "--no-demo-flow",
                    "--exit-with-parent"]) as quiet,
        PtyProcess(BLOTTER, env=quiet.app_env(**POLLING)) as resting,
    ):
        for proc in (demo, alone, resting):
            proc.wait_for("BTC-PYUSD")
        time.sleep(warmup_s)  # past the start-up and the trades backfill
        demo_url, demo_sim = url_file.read_text().split()
        pids = {"demo": demo.pid, "demo_sim": int(demo_sim), "alone": alone.pid, "sim": sim.pid,
                "resting": resting.pid}
        busy = _measure(pids, busy_s)
        counts = (_active_orders(demo_url), _active_orders(sim.base_url),
                  _active_orders(quiet.base_url))
        for proc in (demo, alone, resting):
            proc.send("p")
        time.sleep(2)
        idle = _measure(pids, idle_s)
        for proc in (demo, alone, resting):
            proc.quit()
    window = f"{busy_s:.0f} s"
    return [
        under(f"CPU, blotter --demo, {counts[0]} orders, {window}", busy["demo"], "% core", TARGET),
        Figure(f"  CPU of the demo's simulator process, {window}", fmt(busy["demo_sim"]), "% core",
               "for reference"),
        under(f"CPU, app alone (sim in other process), {counts[1]} orders, {window}", busy["alone"], "% core",
              ALONE_TARGET),
        Figure(f"  CPU of that simulator process, {window}", fmt(busy["sim"]), "% core", "for reference"),
        under(f"CPU, app alone, {counts[2]} resting orders (no order churn), {window}", busy["resting"],
              "% core", TARGET),
        under(f"CPU idle (paused with p), blotter --demo, {idle_s:.0f} s", idle["demo"], "% core", TARGET),
        under(f"CPU idle (paused with p), app alone, {idle_s:.0f} s", idle["alone"], "% core", TARGET),
    ]
