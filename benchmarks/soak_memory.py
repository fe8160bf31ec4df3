"""Soak: 20 minutes (quick: 5) of real `blotter --demo` churn under a pseudo-terminal of 120x40.

The demo's flow places, fills and cancels orders all the time, and the app is left open all day,
so its memory may grow only by the data it is meant to keep (the last 24 h of trades, the resting
orders). The app runs exactly as `blotter --demo` (this module's `--child` mode calls the CLI's
`main(["--demo"])` in-process, so a sampler can read the app) after a minute's warm-up. Each
minute it records VmRSS, where it sits (pymalloc's arenas, malloc's heap) and the records the
panes hold, from inside the app's event loop; what a trade and an order cost is measured once, at
the end of those samples (`benchmarks/footprint.py`, `held`), and the data kept each minute is the
records held times that cost. `tracemalloc` runs only in the last quarter of the window, whose RSS samples are left
out of the fit (its records fragment malloc's heap); at the end the sites that grew most while it
ran are listed (file:line, and the nearest blotter frame that led there).

Reported: RSS growth beyond the data kept and beyond Rich's and Textual's bounded caches, in MB an
hour (least squares over the minutes), against "≤ 5 MB an hour". The data kept includes the quotes'
mid trails (15 minutes of mids, a window the soak starts inside) and each table's index of its rows'
cell widths. Those caches (`lru_cache`s with a bound, e.g. Rich's 16,384 splits of drawn text into
cells) fill for about the first hour of churn and then stay: what they hold each minute is their
entries times what one costs apart from its text, walked once, plus the text they hold that minute
(a full cache of cell lengths still grows while longer lines replace shorter); their bound is
printed. Also: the growth beyond the data alone, the growth of the data itself and its
cost per trade; whether every feed stayed
fresh (a stalled app would look flat); the top growth sites. `kill -USR2` on the child writes where
its tasks wait, for a soak that stalls.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import os
import signal
import sys
import sysconfig
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from .common import Figure, fmt
from .procs import PYTHON, PtyProcess, child_env, memory_kb

MINUTES, QUICK_MINUTES = 20, 5
WARM_UP_SECONDS = 60.0  # after the first data: caches fill, the trades display reaches its cap
CACHE_FILL_LIMIT_SECONDS = 300.0  # then at most this long more for the bounded cell-length cache to fill
TARGET_MB_PER_HOUR = 5.0
FRAMES = 12  # tracemalloc frames kept per allocation: enough to reach the blotter frame behind a site
# tracemalloc runs only in the last quarter: its record per live block sits in malloc's heap among
# the app's own and fragments it, so RSS is sampled without it.
TRACED_FROM = 0.75
SITES = 8  # growth sites reported
ROOT = Path(__file__).resolve().parents[1]
MODULE = __name__ if __name__ != "__main__" else "benchmarks.soak_memory"


# --- the parent: the bench figure ------------------------------------------------------------------


def run(quick: bool = False) -> list[Figure]:
    minutes = QUICK_MINUTES if quick else MINUTES
    with tempfile.TemporaryDirectory(prefix="blotter-soak-") as tmp:
        out = Path(tmp) / "samples.jsonl"
        argv = [PYTHON, "-m", MODULE, "--child", str(out), "--minutes", str(minutes), "--warm-up", str(WARM_UP_SECONDS)]
        env = child_env(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        started = time.monotonic()
        with PtyProcess(argv, env=env) as app:
            records = _wait_for_end(out, app, deadline=started + minutes * 60 + WARM_UP_SECONDS + CACHE_FILL_LIMIT_SECONDS + 300)
            app.quit()
        took = time.monotonic() - started
    return figures(records, took, quick)


def _wait_for_end(out: Path, app: PtyProcess, deadline: float) -> list[dict]:
    shown = 0
    while time.monotonic() < deadline:
        records = _read(out)
        for record in records[shown:]:
            if "minute" in record:
                print(f"  soak: minute {record['minute']:.1f}, RSS {record['rss_kb'] / 1024:.1f} MB, "
                      f"{record['trades']:,} trades, {record['orders']:,} orders", file=sys.stderr, flush=True)
        shown = len(records)
        if records and "sites" in records[-1]:
            return records
        if app.proc.poll() is not None:
            raise RuntimeError(f"the app left early (exit {app.proc.returncode})")
        time.sleep(2)
    raise TimeoutError("the soak did not finish in time")


def _read(path: Path) -> list[dict]:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.endswith("}")]


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (minute, value) points, per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return 60.0 * sxy / sxx if sxx else 0.0


def kept_bytes(samples: list[dict]) -> list[tuple[float, float]]:
    """(minute, MB of data kept) for each sample: records held times what one costs, measured by
    the one walk of the stores (a trade and an order each; the quotes and balances as they are)."""
    panes = next(s["panes"] for s in samples if "panes" in s)
    per = {name: size / count if count else 0.0 for name, (count, size) in panes.items()}
    fixed = sum(size for name, (_, size) in panes.items() if name not in ("trades", "orders"))
    return [(s["minute"], (s["trades"] * per["trades"] + s["orders"] * per["orders"] + fixed) / 2**20) for s in samples]


def cache_mb(samples: list[dict]) -> list[tuple[float, float]]:
    """(minute, MB held by Rich's and Textual's bounded caches) for each sample: per cache, its
    entries times what one cost apart from its text in the one walk (see `footprint.bounded_caches`),
    plus the text its entries hold that minute (a full cache still grows while longer text replaces
    shorter)."""
    at_walk = next(s for s in samples if "cache_bytes" in s)
    walked, walked_text = at_walk["cache_bytes"], at_walk["cache_text"]
    per = {name: (size - walked_text.get(name, 0)) / entries for name, (entries, size, _) in walked.items()}
    return [(s["minute"], sum(n * per.get(name, 0.0) + s["cache_text"].get(name, 0) * (name in per)
                              for name, n in s["caches"].items()) / 2**20) for s in samples]


def mid_trail_mb(samples: list[dict]) -> list[tuple[float, float]]:
    """(minute, MB of the quotes' mid trails): points kept times what one cost in the walk. Data kept
    too, bounded by its 15-minute window, which the soak's window starts inside."""
    at_walk = next(s for s in samples if "mid_bytes" in s)
    per = at_walk["mid_bytes"] / max(1, at_walk["mid_points"])
    return [(s["minute"], s["mid_points"] * per / 2**20) for s in samples]


def figures(records: list[dict], took: float, quick: bool) -> list[Figure]:
    samples = [r for r in records if "minute" in r]
    end = records[-1]
    untraced = [s for s in samples if not s["tracing"]]  # the first sample after tracemalloc starts is not one
    first, last = untraced[0], untraced[-1]
    rss = [(s["minute"], s["rss_kb"] / 1024) for s in untraced]
    trail = mid_trail_mb(untraced)
    kept = [(m, k + t) for (m, k), (_, t) in zip(kept_bytes(untraced), trail, strict=True)]
    beyond_data = slope_per_hour([(m, r - k) for (m, r), (_, k) in zip(rss, kept, strict=True)])
    cached = cache_mb(untraced)
    growth = slope_per_hour([(m, r - k - c) for (m, r), (_, k), (_, c) in zip(rss, kept, cached, strict=True)])
    # The caches that filled during the window, and what they hold once full (an entry's cost as
    # walked: one that shares a large object with the screen would count it, hence only these).
    walked = next(s["cache_bytes"] for s in samples if "cache_bytes" in s)
    filling = sorted(((name, first["caches"].get(name, 0), last["caches"].get(name, 0), bound, size / entries)
                      for name, (entries, size, bound) in walked.items()
                      if last["caches"].get(name, 0) > first["caches"].get(name, 0)),
                     key=lambda c: -(c[2] - c[1]) * c[4])
    full_mb = sum(per * bound for _, _, _, bound, per in filling) / 2**20
    most = "; ".join(f"{name.rsplit('.', 2)[-2]}.{name.rsplit('.', 1)[-1]} {was:,} → {now:,} of {bound:,}"
                     for name, was, now, bound, _ in filling[:2])
    trades = last["trades"] - first["trades"]
    window = last["minute"] - first["minute"]
    traced_minutes = samples[-1]["minute"] - end["traced_from"]
    panes = last["panes"]
    per_trade = panes["trades"][1] / max(1, panes["trades"][0])
    per_order = panes["orders"][1] / max(1, panes["orders"][0])
    # Paced feeds go stale for a moment when the budget is tight; one that stays stale has stopped.
    stopped = sorted(set.intersection(*(set(s.get("stale", ())) for s in samples[-3:])))
    stale = sum(1 for s in samples if s.get("stale"))
    result = [
        Figure(f"soak {window:.0f} min of real demo churn{' (quick)' if quick else ''}: RSS",
               f"{rss[0][1]:.1f} → {rss[-1][1]:.1f}", "MB",
               f"+{trades:,} trades, {first['orders']:,} → {last['orders']:,} resting orders; took {took:.0f} s"),
        Figure("  RSS growth per trade that arrived", fmt((rss[-1][1] - rss[0][1]) * 1024 / max(1, trades), 1), "KB",
               "all growth, the data kept included"),
        Figure("  data kept (records, rows, indexes, mid trails)", f"{kept[0][1]:.1f} → {kept[-1][1]:.1f}", "MB",
               f"{per_trade / 1024:,.1f} KB a trade, {per_order / 1024:,.1f} KB a resting order; mid trails "
               f"{trail[0][1]:.2f} → {trail[-1][1]:.2f} MB (their 15 min window filling)"),
        Figure("  RSS growth beyond the data kept", fmt(beyond_data, 1), "MB/h",
               "the bounded caches below filling included"),
        Figure("  Rich's and Textual's bounded caches", f"{cached[0][1]:.1f} → {cached[-1][1]:.1f}", "MB",
               f"{len(filling)} filling, {full_mb:.1f} MB when full; most: {most}"),
        Figure("  RSS growth beyond the data kept and those caches", fmt(growth, 1), "MB/h",
               f"≤ {TARGET_MB_PER_HOUR:g} MB/h", growth <= TARGET_MB_PER_HOUR),
        where(first, last),
        Figure("  Rich's cell-length cache (bounded) at the start", f"{first.get('cell_cache', 0):,}", "entries",
               "of 4,096: full before the window; the text of its entries is counted each minute"),
        Figure("  feeds stale over the last 3 samples", ", ".join(stopped) or "none", "",
               f"none (else the data stopped); {stale} of {len(samples)} samples had a stale feed", not stopped),
        Figure(f"  traced growth over the last {traced_minutes:.0f} min (tracemalloc)",
               fmt(end["traced_growth"] / 1024, 0), "KB",
               f"{end['traced_growth'] / 1024 / max(traced_minutes, 1):,.0f} KB a minute, data kept included"),
    ]
    for site in end["sites"][:SITES]:
        via = f" via {site['via']}" if site["via"] else ""
        result.append(Figure(f"    {site['site']}{via}"[:100], fmt(site["kb"], 0), "KB", f"{site['blocks']:+,} blocks"))
    return result


def where(first: dict, last: dict) -> Figure:
    """The RSS growth split by allocator (see `allocators`)."""
    def mb(key: str, scale: int = 1) -> str:
        return f"{(last.get(key, 0) - first.get(key, 0)) * scale / 2**20:+.1f}"

    arena = 2**20  # pymalloc's arena size since Python 3.10
    return Figure("  RSS growth by allocator", f"{(last['rss_kb'] - first['rss_kb']) / 1024:+.1f}", "MB",
                  f"pymalloc arenas {mb('pymalloc_arenas', arena)} (blocks in use {mb('pymalloc_used')}), "
                  f"malloc heap {mb('heap')} (free in it {mb('heap_free')})")


# --- the child: the app, and a sampler inside it ---------------------------------------------------


_PREFIXES = sorted({str(ROOT) + "/", sysconfig.get_paths()["purelib"] + "/", sysconfig.get_paths()["stdlib"] + "/"},
                   key=len, reverse=True)


def _short(filename: str) -> str:
    return next((filename[len(p):] for p in _PREFIXES if filename.startswith(p)), filename)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def allocators() -> dict[str, int]:
    """Where RSS sits: pymalloc's arenas and the bytes of live blocks in them (its own statistics,
    which it writes to fd 2), and glibc's heap with its free part. Growth that tracemalloc does not
    see shows up here as arenas or free heap (fragmentation) rather than blocks in use."""
    found: dict[str, int] = {}
    read, write = os.pipe()
    saved = os.dup(2)
    try:
        os.dup2(write, 2)
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(write)
    with os.fdopen(read) as text:
        for line in text:
            for key, name in (("# arenas allocated current", "pymalloc_arenas"),
                              ("# bytes in allocated blocks", "pymalloc_used")):
                if line.startswith(key):
                    found[name] = int(line.split("=")[1].replace(",", ""))
    try:
        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
        found.update(heap=info.arena + info.hblkhd, heap_free=info.fordblks)
    except (OSError, AttributeError):  # not glibc
        pass
    return found


def growth_sites(snapshot: tracemalloc.Snapshot, base: tracemalloc.Snapshot, limit: int = 25) -> list[dict]:
    """Allocations alive now that were not at `base`, by the line that made them and the nearest
    blotter frame that led there."""
    sites: dict[tuple[str, str], list[int]] = {}
    for stat in snapshot.compare_to(base, "traceback"):
        if stat.size_diff <= 0:
            continue
        frames = list(reversed(stat.traceback))  # a Traceback is oldest frame first
        site = f"{_short(frames[0].filename)}:{frames[0].lineno}"
        via = next((f"{_short(f.filename)}:{f.lineno}" for f in frames
                    if "/blotter/" in f.filename and "/benchmarks/" not in f.filename), "")
        entry = sites.setdefault((site, "" if via == site else via), [0, 0])
        entry[0] += stat.size_diff
        entry[1] += stat.count_diff
    ranked = sorted(sites.items(), key=lambda item: -item[1][0])[:limit]
    return [{"site": s, "via": v, "kb": size / 1024, "blocks": count} for (s, v), (size, count) in ranked]


def child(out: Path, minutes: float, warm_up: float, dump: Path | None = None) -> int:
    import blotter.ui.app as app_module
    from blotter.cli import main
    from rich.cells import cached_cell_len

    from benchmarks.footprint import bounded_caches, cache_bytes, cache_entries, cache_text_bytes, deep_size, held

    found: list = []
    init = app_module.BlotterApp.__init__

    def recording_init(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        found.append(self)

    app_module.BlotterApp.__init__ = recording_init  # however the CLI builds the app, the sampler gets it

    def write(record: dict) -> None:
        with out.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def sample(started: float, walk: bool = False) -> dict:
        # Runs in the app's event loop: the stores never change under it.
        app = found[0]
        gc.collect()
        stores = app.stores
        record = {
            "minute": (time.monotonic() - started) / 60, "rss_kb": memory_kb()["VmRSS"],
            "tracing": tracemalloc.is_tracing(),
            "traced_bytes": tracemalloc.get_traced_memory()[0],
            "trades": len(stores["trades"].items), "orders": len(stores["orders"].items),
            "workers": len(app.workers), "toasts": len(app._notifications), "tasks": len(asyncio.all_tasks()),
            # A feed that stopped would pass for flat memory: say which ones are not fresh.
            "stale": [status.name for status in app.feeds.statuses()
                      if str(status.health) != "fresh" and not status.paused],  # (done orders: polled only when shown)
            "catalog_version": app.catalog.version,  # moves when rows are all drawn again (wider decimals)
            "cell_cache": cached_cell_len.cache_info().currsize,
            "caches": cache_entries(caches),
            "cache_text": cache_text_bytes(caches),
            "mid_points": len(app.dashboard.mid_history),
            **allocators(),
        }
        if walk:  # once, after the RSS samples: the walk's own set is a large allocation (see footprint)
            # Kept per record outside the stores, so data kept too: the client's copy of the last
            # orders listing (raw rows beside their models) and the orders' times go with the
            # resting orders; the positions' ledgers (one entry per fill of the day) with the trades.
            # Each pane's table keeps its rows' cell widths (its index for column widths) too.
            record["panes"] = held(stores, also={
                "orders": [app.client._listings["orders"], app.dashboard.order_times, app.table("orders")._cells],
                "trades": [app.dashboard.positions, app.table("trades")._cells],
            })
            record["mid_bytes"] = deep_size(app.dashboard.mid_history)
            record["cache_bytes"] = cache_bytes(caches)
        return record

    def dump_tasks(signum, frame) -> None:
        # `kill -USR2 <pid>`: where every task waits, and the feeds' and the request budget's state.
        app = found[0]
        with open(f"{out}.tasks", "w") as f:
            for status in app.feeds.statuses():
                print(status, file=f)
            budget = app.client.budget
            if budget is not None:
                print("budget waiting", budget._waiting, "sent last minute", budget.sent_last_minute(), file=f)
            for task in asyncio.all_tasks():
                task.print_stack(file=f)

    signal.signal(signal.SIGUSR2, dump_tasks)

    caches: dict = {}

    def sampler() -> None:
        while not (found and found[0].ready and found[0].feeds["trades"].successes):
            time.sleep(0.5)
        app = found[0]
        caches.update(bounded_caches())
        time.sleep(warm_up)
        # Rich's cell-length cache is bounded (4096 strings) but fills over the first minutes of
        # churn, each new time and price one entry: growth that stops is not growth over a day.
        deadline = time.monotonic() + CACHE_FILL_LIMIT_SECONDS
        while cached_cell_len.cache_info().currsize < cached_cell_len.cache_info().maxsize and time.monotonic() < deadline:
            time.sleep(5)
        started = time.monotonic()
        trace_from = int(minutes * TRACED_FROM)
        base = None
        for minute in range(int(minutes) + 1):
            time.sleep(max(0.0, started + minute * 60 - time.monotonic()))
            write(app.call_from_thread(sample, started, minute == trace_from))
            if minute == trace_from:
                tracemalloc.start(FRAMES)
                base = app.call_from_thread(tracemalloc.take_snapshot)
                traced_at_start = tracemalloc.get_traced_memory()[0]
            if dump is not None and base is not None:  # for a closer look: Snapshot.load(...).compare_to(...)
                app.call_from_thread(tracemalloc.take_snapshot).dump(str(dump / f"minute-{minute}.snapshot"))
        snapshot = app.call_from_thread(tracemalloc.take_snapshot)
        write({"traced_growth": tracemalloc.get_traced_memory()[0] - traced_at_start, "traced_from": trace_from,
               "sites": growth_sites(snapshot, base)})

    threading.Thread(target=sampler, name="soak-sampler", daemon=True).start()
    return main(["--demo"])


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", type=Path, metavar="OUT", help="run the app and write samples to OUT")
    parser.add_argument("--minutes", type=float, default=MINUTES)
    parser.add_argument("--warm-up", type=float, default=WARM_UP_SECONDS, help="seconds")
    parser.add_argument("--dump", type=Path, metavar="DIR", help="with --child: tracemalloc snapshots every 5 minutes")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.minutes, args.warm_up, args.dump)
    from .common import print_table

    print_table(run(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
