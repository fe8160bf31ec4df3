"""Figure 4: bytes the blotter writes to its terminal per second in steady state (120x40).

The real `blotter` runs under a pty against `simproc` with the market held still (no tick, no
demo flow, 25 orders, 300 trades). Two windows, bytes read from the pty master:
- idle: nothing changes on the exchange; the feeds keep polling; only the status line's ages move;
- one change/s: simproc moves the newest order's price (row 1 of the orders pane) by one
  increment every second, so exactly one cell changes per second (plus the status line).
The CPU of the app in both windows is reported too ("idle" here = polling, nothing changing).
"""

from __future__ import annotations

import time

from .common import Figure, fmt, under
from .procs import BLOTTER, PtyProcess, cpu_seconds, simproc

TARGET = 2048  # B/s


def _window(app: PtyProcess, seconds: float) -> tuple[float, float]:
    """(bytes/s, % of one core) over `seconds`."""
    bytes0, cpu0, started = app.bytes_written, cpu_seconds(app.pid), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    return (app.bytes_written - bytes0) / elapsed, (cpu_seconds(app.pid) - cpu0) / elapsed * 100


def run(quick: bool = False) -> list[Figure]:
    seconds, warmup = (12.0, 3.0) if quick else (20.0, 5.0)
    with simproc("--orders", "25", "--trades", "300") as sim, PtyProcess(BLOTTER, env=sim.app_env()) as app:
        app.wait_for("BTC-PYUSD")
        app.wait_for("showing")  # the trades backfill is on screen
        time.sleep(warmup)
        idle_bps, idle_cpu = _window(app, seconds)
        sim.send("wiggle on")
        time.sleep(2)
        busy_bps, busy_cpu = _window(app, seconds)
        app.quit()
    window = f"{seconds:.0f} s"
    return [
        under(f"terminal output, one changed cell/s, 120x40, {window}", busy_bps, "B/s", TARGET, 0),
        Figure(f"terminal output, idle (polling, nothing changes), {window}", fmt(idle_bps, 0), "B/s",
               "nothing to repaint"),
        Figure("  CPU, app alone, 25 orders, nothing changing", fmt(idle_cpu), "% core", "polling at defaults"),
        Figure("  CPU, app alone, 25 orders, one change/s", fmt(busy_cpu), "% core", ""),
    ]
