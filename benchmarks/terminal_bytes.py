"""Figure 4: bytes the blotter writes to its terminal per second (120x40, and the demo at 200x60).

The real `blotter` runs under a pty against `simproc` with the market held still (no tick, no
demo flow, 25 orders, 300 trades). Two windows, bytes read from the pty master:
- idle: nothing changes on the exchange; the feeds keep polling; only the status line's ages move;
- one change/s: simproc moves the newest order's price (row 1 of the orders pane) by one
  increment every second, so exactly one cell changes per second (plus the status line).
The CPU of the app in both windows is reported too ("idle" here = polling, nothing changing).

Then `blotter --demo` itself, its market ticking and its demo flow churning the trader's orders
(about one placed or canceled a second, fills, quotes), at 120x40 and at 200x60 over 60 s (20 s
quick), and paused with `p` (nothing may be written: the status line says since when, it does not
tick).
The blotter polls (`TRUEX_STREAM=off`), as when these targets were set; figure 8 measures the stream.
"""

from __future__ import annotations

import time

from .common import Figure, fmt, under
from .procs import BLOTTER, POLLING, PtyProcess, child_env, cpu_seconds, simproc

TARGET = 2048  # B/s
DEMO_TARGETS = {(120, 40): 4096, (200, 60): 8192}  # B/s over the demo's churn


def _window(app: PtyProcess, seconds: float) -> tuple[float, float]:
    """(bytes/s, % of one core) over `seconds`."""
    bytes0, cpu0, started = app.bytes_written, cpu_seconds(app.pid), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    return (app.bytes_written - bytes0) / elapsed, (cpu_seconds(app.pid) - cpu0) / elapsed * 100


def run(quick: bool = False) -> list[Figure]:
    seconds, warmup = (12.0, 3.0) if quick else (20.0, 5.0)
    with simproc("--orders", "25", "--trades", "300") as sim, PtyProcess(BLOTTER, env=sim.app_env(**POLLING)) as app:
        app.wait_for("BTC-PYUSD")
        app.wait_for("showing")  # the trades backfill is on screen
        time.sleep(warmup)
        idle_bps, idle_cpu = _window(app, seconds)
        sim.send("wiggle on")
        time.sleep(2)
        busy_bps, busy_cpu = _window(app, seconds)
        app.quit()
    window = f"{seconds:.0f} s"
    figures = [
        under(f"terminal output, one changed cell/s, 120x40, {window}", busy_bps, "B/s", TARGET, 0),
        Figure(f"terminal output, idle (polling, nothing changes), {window}", fmt(idle_bps, 0), "B/s",
               "nothing to repaint"),
        Figure("  CPU, app alone, 25 orders, nothing changing", fmt(idle_cpu), "% core", "polling at defaults"),
        Figure("  CPU, app alone, 25 orders, one change/s", fmt(busy_cpu), "% core", ""),
    ]
    return figures + _demo_churn(quick)


def _demo_churn(quick: bool) -> list[Figure]:
    churn_s, paused_s = (20.0, 10.0) if quick else (60.0, 20.0)
    figures = []
    for size, target in DEMO_TARGETS.items():
        with PtyProcess([*BLOTTER, "--demo"], size=size, env=child_env(**POLLING)) as app:
            app.wait_for("showing", timeout=60)
            time.sleep(5)  # past the first paint and the backfill
            churn_bps, _ = _window(app, churn_s)
            label = f"{size[0]}x{size[1]}"
            figures.append(under(f"terminal output, blotter --demo churn, {label}, {churn_s:.0f} s", churn_bps,
                                 "B/s", target, 0))
            if size == (120, 40):
                app.send("p")
                time.sleep(4)  # past the "Polling paused" toast (3 s)
                paused_bps, _ = _window(app, paused_s)
                figures.append(Figure(f"terminal output, blotter --demo paused, {label}, {paused_s:.0f} s",
                                      fmt(paused_bps, 0), "B/s", "= 0 B/s", paused_bps == 0))
            app.quit()
    # The same churn as it streams (the default with an organization id, as the demo has one).
    with PtyProcess([*BLOTTER, "--demo"], size=(120, 40)) as app:
        app.wait_for("showing", timeout=60)
        time.sleep(5)
        stream_bps, _ = _window(app, churn_s)
        figures.append(Figure(f"  the same, streaming, 120x40, {churn_s:.0f} s", fmt(stream_bps, 0), "B/s",
                              "for comparison"))
        app.quit()
    return figures
