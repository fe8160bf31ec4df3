"""Figure 5: resident memory after ingesting 100,000 trades, and the time to backfill them.

`simproc` holds 100,000 trades over the last 24 h (market still). Measured twice, each in a
fresh process so earlier figures do not pollute it:
- headless (`backfill`): TradesFetcher pages through all of them (100 a page, as the app does),
  the TradeStore ingests them, the first view is formatted; time and VmRSS of that process;
- the real app under a pty: spawn until the trades pane says "of 100,000", then its VmRSS.
"""

from __future__ import annotations

import json
import subprocess
import time

from .common import Figure, fmt, under
from .procs import BLOTTER, PYTHON, PtyProcess, child_env, memory_kb, simproc

TRADES = 100_000
TARGET_MB = 150


def run(quick: bool = False) -> list[Figure]:
    # One simulator each, run side by side: serving 1,000 pages is the slow part (the simulator's).
    args = ("--orders", "25", "--trades", str(TRADES))
    with simproc(*args, timeout=300) as sim_a, simproc(*args, timeout=300) as sim_b:
        backfill = subprocess.Popen(
            [PYTHON, "-m", "benchmarks.backfill", sim_a.base_url],
            stdout=subprocess.PIPE, text=True, env=child_env(),
        )
        # The simulator announces no rate limit: without this the default budget (90 a minute) paces
        # the 1,000 pages over 11 minutes, and the figure would time the pacing, not the app.
        env = {**sim_b.app_env(), "TRUEX_MAX_REQUESTS_PER_MINUTE": "100000"}
        with PtyProcess(BLOTTER, env=env) as app:
            shown = app.wait_for(f"of {TRADES:,}", timeout=600)
            time.sleep(1)
            app_mem = memory_kb(app.pid)
            app.quit()
        out, _ = backfill.communicate(timeout=600)
        headless = json.loads(out.strip().splitlines()[-1])
    return [
        Figure(f"backfill {headless['trades']:,} trades, headless: fetch {headless['pages']} pages",
               fmt(headless["fetch_s"]), "s", ""),
        Figure("  then store ingest + first view", fmt(headless["store_s"] * 1000, 0), "ms", ""),
        under("  RSS of that process after backfill", headless["rss_after_kb"] / 1024, "MB", TARGET_MB, 0),
        Figure("  RSS growth from the backfill", fmt((headless["rss_after_kb"] - headless["rss_before_kb"]) / 1024, 0),
               "MB", f"peak RSS {headless['hwm_kb'] / 1024:,.0f} MB"),
        Figure(f"app: spawn to {TRADES:,} trades on screen", fmt(shown), "s", "incl. start-up"),
        under(f"app: RSS with {TRADES:,} trades", app_mem["VmRSS"] / 1024, "MB", TARGET_MB, 0),
        Figure("  app peak RSS", fmt(app_mem["VmHWM"] / 1024, 0), "MB", ""),
    ]
