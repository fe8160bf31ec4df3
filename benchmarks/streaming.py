"""Figure 8: the WebSocket stream against REST polling, in one run.

The real `blotter` runs under a pty (120x40) against `benchmarks.stream_sim`, a simulator in its
own process serving REST and the WebSocket API on one port, which counts requests and stream
frames. Each figure is taken twice with the same environment, `TRUEX_ORGANIZATION_ID` and
`TRUEX_WS_URL` set: streaming (`stream` at its default, auto) and polling (`TRUEX_STREAM=off`).
A streaming figure whose app's status line did not last say `orders stream` is labelled so.

1. Fill latency: the simulator (market ticking, no demo flow) places one resting BUY order of the
   trader's client every ~0.5 s and fills part of it about a quarter of a second later (jittered,
   so the fills keep no one phase against the 1 s polls). An engine listener in the simulator
   takes `time.time_ns()` at each fill, inside the engine's call. The bench timestamps every read
   from the pty as it arrives (`time.time_ns()`, the same clock). "Drawn": the first output,
   escape sequences removed, holding that order's row with the fill on it: its price, its
   quantity 0.5000 and its Filled cell 0.0137 side by side (each order has its own price, so the
   row is that order's, and it cannot be on screen before the fill). Also reported: the fill's row
   in the trades pane (price, then the fill's quantity), which the streaming app fetches over REST
   when the drop copy reports the fill. Every REST request waits for room in the app's request
   budget (90 a minute by default): polling paces its trades feed into it, so that pane lags by
   seconds and shows only its newest rows (fills pushed past them before the next trades poll are
   never drawn), and at two fills a second the streaming app's fetches on fills wait for it too.
   Those figures cover the fills that were drawn by the end: 30 s after the last fill (20 s
   quick), or for polling 2 s after its first trades poll after the last fill.
   p99 is by nearest rank: with under 100 fills it is the slowest one.
2. CPU of the app alone (its own process; the simulator is another), with 200 resting orders,
   the market ticking and the demo flow churning the trader's orders, as `cpu.py`'s "app alone";
   both apps, each with its own simulator, side by side over the same window. Also for reference:
   the same in a quiet market (`blotter sim`'s 10 orders, ticking, no demo flow).
3. REST requests per minute at default settings in those same windows, counted by the simulator
   (every HTTP request but its `/_sim/*` test routes; the WebSocket connection apart), with what
   they asked for. The target holds in each market.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import re
import time
import urllib.request

from . import cpu
from .common import Figure, fmt, median
from .procs import _ESCAPES, BLOTTER, PYTHON, PtyProcess, SimProcess

LATENCY_TARGET = (50.0, 150.0)  # ms: median, p99 (streaming, loopback)
CPU_TARGET = 1.0  # % of one core, streaming, app alone
REST_RATIO = 5.0  # polling / streaming requests per minute, at least
STREAM_MARKER = "orders stream"  # the status line of an app whose orders come from the drop copy


class TimedPty(PtyProcess):
    """A `PtyProcess` that also notes when each read arrived: `reads` holds (end offset, time_ns)."""

    def __init__(self, *args, **kwargs) -> None:
        self.reads: list[tuple[int, int]] = []
        super().__init__(*args, **kwargs)

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            at = time.time_ns()
            with self.cond:
                if chunk:
                    self.data += chunk
                    self.reads.append((len(self.data), at))
                self.cond.notify_all()
            if not chunk:
                return

    def arrival_ns(self, offset: int) -> int:
        """When the byte at `offset` was read."""
        index = bisect.bisect_right(self.reads, offset, key=lambda r: r[0])
        return self.reads[index][1]


def _sim(*args: str) -> SimProcess:
    return SimProcess([PYTHON, "-m", "benchmarks.stream_sim", *args])


def _env(sim: SimProcess, stream: bool) -> dict[str, str]:
    from blotter.sim import DEMO_CREDENTIALS

    env = sim.app_env()
    env.update(TRUEX_ORGANIZATION_ID=DEMO_CREDENTIALS.organization_id,
               TRUEX_WS_URL=sim.base_url.replace("http://", "ws://", 1) + "/api/v1")
    if not stream:
        env["TRUEX_STREAM"] = "off"
    return env


def _get(sim: SimProcess, path: str) -> dict:
    with urllib.request.urlopen(sim.base_url + path, timeout=10) as answer:
        return json.load(answer)


def _start(app: PtyProcess, stream: bool) -> None:
    app.wait_for("BTC-PYUSD", timeout=60)
    if stream:
        app.wait_for(STREAM_MARKER, timeout=30)


def _last_transport(app: PtyProcess) -> str:
    """What the status line said last about the orders feed ("stream", "poll", ...), or ""."""
    found = re.findall(rb"orders (stream|poll|on fills)", _ESCAPES.sub(b"", bytes(app.data)))
    return found[-1].decode() if found else ""


def p99(values: list[float]) -> float:
    """Nearest rank: the ceil(0.99 n)-th smallest (the largest when n < 100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


# --- 1. fill latency ----------------------------------------------------------------------------


def _screen(data: bytes) -> tuple[bytes, list[int], list[int]]:
    """The output without escape sequences, and where each of its pieces began in the raw output:
    (text, piece starts in text, the same pieces' starts in `data`)."""
    pieces, text_starts, raw_starts = [], [], []
    length = position = 0
    for match in _ESCAPES.finditer(data):
        if match.start() > position:
            pieces.append(data[position:match.start()])
            text_starts.append(length)
            raw_starts.append(position)
            length += match.start() - position
        position = match.end()
    if position < len(data):
        pieces.append(data[position:])
        text_starts.append(length)
        raw_starts.append(position)
    return b"".join(pieces), text_starts, raw_starts


def _raw_offset(index: int, text_starts: list[int], raw_starts: list[int]) -> int:
    piece = bisect.bisect_right(text_starts, index) - 1
    return raw_starts[piece] + index - text_starts[piece]


def _number(value: str) -> bytes:
    """A decimal as the screen may write it: thousands separators, any trailing zeros."""
    whole, _, places = value.partition(".")
    grouped = f"{int(whole):,}".replace(",", r"\,")
    places = places.rstrip("0")
    return (grouped + (r"\." + places + "0*" if places else r"(?:\.0*)?")).encode()


def _drawn(app: TimedPty, fills: list[dict], order_qty: str) -> dict[str, list[float | None]]:
    """Per fill, ms from the fill to the output that first showed it, per marker (None: never seen
    or seen before the fill, which would mean the marker was not that fill's)."""
    with app.cond:  # the output and the times of its reads as one consistent snapshot
        data = bytes(app.data)
    text, text_starts, raw_starts = _screen(data)
    result: dict[str, list[float | None]] = {"order": [], "trade": []}
    for fill in fills:
        price = _number(fill["price"])
        markers = {
            # Price, Qty, Filled: the order's row once this fill is on it.
            "order": price + rb"\s+" + _number(order_qty) + rb"\s+" + _number(fill["executed"]) + rb"\s",
            # Price, Qty of the trades pane's row.
            "trade": price + rb"\s+" + _number(fill["qty"]) + rb"\s",
        }
        for name, pattern in markers.items():
            found = re.search(rb"(?<![\d,.])" + pattern, text)
            latency = None
            if found:
                at = app.arrival_ns(_raw_offset(found.end() - 1, text_starts, raw_starts))
                if at >= fill["at_ns"]:
                    latency = (at - fill["at_ns"]) / 1e6
            result[name].append(latency)
    return result


def _trades_asked(sim: SimProcess) -> int:
    return sum(n for path, n in _get(sim, "/_sim/bench/requests")["by_path"].items() if path.endswith("/orders/trade"))


def _latency(stream: bool, fills: int, tail: float) -> tuple[dict[str, list[float | None]], str]:
    from .stream_sim import ORDER_QTY

    with (
        _sim("--no-flow", "--fills", str(fills), "--period", "0.5") as sim,
        TimedPty(BLOTTER, env=_env(sim, stream)) as app,
    ):
        _start(app, stream)
        time.sleep(3)  # past the start-up and the trades backfill
        sim.send("go")
        deadline = time.monotonic() + fills * 1.5 + 30
        while not _get(sim, "/_sim/bench/fills")["done"] and time.monotonic() < deadline:
            time.sleep(0.5)
        made = _get(sim, "/_sim/bench/fills")["fills"]
        # Until every fill is on screen both ways, or (polling) the trades were asked for again after
        # the last fill: polling paces its trades feed into the request budget, so it lags by many
        # seconds, and the trades pane shows only its newest rows, so a fill more than a pane's
        # height older than the next trades poll is never on screen.
        asked = _trades_asked(sim)
        deadline = time.monotonic() + tail
        caught_up = None
        while time.monotonic() < deadline:
            drawn = _drawn(app, made, str(ORDER_QTY))
            if all(v is not None for values in drawn.values() for v in values):
                break
            if caught_up is None and not stream and _trades_asked(sim) > asked:
                caught_up = time.monotonic() + 2  # its answer drawn, and the orders' next poll
            if caught_up is not None and time.monotonic() > caught_up and None not in drawn["order"]:
                break
            time.sleep(0.5)
        drawn = _drawn(app, made, str(ORDER_QTY))
        transport = _last_transport(app)
        app.quit()
    return drawn, transport


def _latency_figures(mode: str, drawn: dict[str, list[float | None]], target: bool) -> list[Figure]:
    figures = []
    for marker, what in (("order", "order row's Filled cell"), ("trade", "trades pane row")):
        seen = [v for v in drawn[marker] if v is not None]
        missed = len(drawn[marker]) - len(seen)
        if not seen:
            figures.append(Figure(f"fill latency, {mode}: {what} never seen ({missed} fills)", "-", "ms", "", False))
            continue
        note = f" drawn ({missed} not drawn by the end)" if missed else ""
        name = f"fill latency, {mode}, sim fill -> {what} drawn"
        rank = "max" if len(seen) < 100 else "p99"
        if marker == "order" and target:
            med_limit, p99_limit = LATENCY_TARGET
            figures += [
                Figure(f"{name}, median of {len(seen)}{note}", fmt(median(seen), 1), "ms", f"<= {med_limit:g} ms",
                       median(seen) <= med_limit and not missed),
                Figure(f"  p99 ({rank} of {len(seen)})", fmt(p99(seen), 1), "ms", f"<= {p99_limit:g} ms",
                       p99(seen) <= p99_limit),
            ]
        else:
            figures += [
                Figure(f"{name}, median of {len(seen)}{note}", fmt(median(seen), 1), "ms", "for comparison"),
                Figure(f"  p99 ({rank} of {len(seen)})", fmt(p99(seen), 1), "ms", ""),
            ]
    return figures


# --- 2 and 3. CPU and REST requests -------------------------------------------------------------


def _delta(after: dict, before: dict) -> dict:
    return {key: n - before.get(key, 0) for key, n in after.items() if n - before.get(key, 0)}


def _load(seconds: float, *sim_args: str) -> dict:
    """Both apps side by side over one window, each against its own simulator started with `sim_args`."""
    with _sim(*sim_args) as stream_sim, _sim(*sim_args) as poll_sim, \
            PtyProcess(BLOTTER, env=_env(stream_sim, True)) as stream_app, \
            PtyProcess(BLOTTER, env=_env(poll_sim, False)) as poll_app:
        sims = {"stream": stream_sim, "poll": poll_sim}
        _start(stream_app, True)
        _start(poll_app, False)
        time.sleep(5)  # past the start-up and the trades backfill
        before = {name: _get(sim, "/_sim/bench/requests") for name, sim in sims.items()}
        started = time.perf_counter()
        used = cpu._measure({"stream": stream_app.pid, "poll": poll_app.pid, "stream_sim": stream_sim.pid,
                             "poll_sim": poll_sim.pid}, seconds)
        elapsed = time.perf_counter() - started
        after = {name: _get(sim, "/_sim/bench/requests") for name, sim in sims.items()}
        transport = _last_transport(stream_app)
        counts = {name: cpu._active_orders(sim.base_url) for name, sim in sims.items()}
        stream_app.quit()
        poll_app.quit()
    return {
        "cpu": used, "elapsed": elapsed, "transport": transport, "counts": counts,
        "per_minute": {name: (after[name]["total"] - before[name]["total"]) * 60 / elapsed for name in sims},
        "paths": {name: _delta(after[name]["by_path"], before[name]["by_path"]) for name in sims},
        "frames": _delta(after["stream"]["frames"], before["stream"]["frames"]),
        "fills": {name: after[name]["fills"] - before[name]["fills"] for name in sims},
    }


def _by_feed(paths: dict[str, int]) -> str:
    """Requests by what they ask: "trades 23, balances 20, order status 16, ..."."""
    names = {"orders/trade": "trades", "orders/active": "orders", "markets/quote": "quotes", "balances": "balances"}
    grouped: dict[str, int] = {}
    for path, n in paths.items():
        short = path.split(" ", 1)[-1].removeprefix("/api/v1/")
        name = "order status" if short.startswith("orders/status/") else names.get(short, short)
        grouped[name] = grouped.get(name, 0) + n
    return ", ".join(f"{name} {n}" for name, n in sorted(grouped.items(), key=lambda i: -i[1]))


def _rest_figures(load: dict, scenario: str, window: str) -> list[Figure]:
    rates, paths = load["per_minute"], load["paths"]
    live = "" if load["transport"] == "stream" else f" [status line: orders {load['transport'] or '?'}]"
    ratio = rates["poll"] / rates["stream"] if rates["stream"] else math.inf
    return [
        Figure(f"REST requests/min, streaming{live}, {scenario}, {window}", fmt(rates["stream"], 1), "req/min", ""),
        Figure(f"  of which: {_by_feed(paths['stream'])}", "", "", ""),
        Figure(f"REST requests/min, polling, {scenario}, {window}", fmt(rates["poll"], 1), "req/min", ""),
        Figure(f"  of which: {_by_feed(paths['poll'])}", "", "", ""),
        Figure(f"REST requests, polling / streaming, {scenario}", fmt(ratio, 1), "x", f">= {REST_RATIO:g}x",
               ratio >= REST_RATIO),
    ]


def run(quick: bool = False) -> list[Figure]:
    fills, seconds, tail = (12, 20.0, 20.0) if quick else (40, 60.0, 30.0)
    window = f"{seconds:.0f} s"
    figures: list[Figure] = []
    streamed, stream_transport = _latency(True, fills, tail)
    polled, _ = _latency(False, fills, tail)
    live = "" if stream_transport == "stream" else f" [status line: orders {stream_transport or '?'}]"
    figures += _latency_figures("streaming" + live, streamed, target=True)
    figures += _latency_figures("polling", polled, target=False)

    # As cpu.py's "app alone": 200 resting orders, the market ticking, the demo flow churning.
    churn = _load(seconds, "--orders", str(cpu.ORDERS))
    used, counts = churn["cpu"], churn["counts"]
    live = "" if churn["transport"] == "stream" else f" [status line: orders {churn['transport'] or '?'}]"
    frames = churn["frames"]
    per_second = sum(frames.values()) / churn["elapsed"]
    scenario = f"{counts['stream']} orders + churn ({churn['fills']['stream']}/{churn['fills']['poll']} fills)"
    figures += [
        Figure(f"CPU, app alone, streaming{live}, {counts['stream']} orders + churn, {window}", fmt(used["stream"]),
               "% core", f"<= {CPU_TARGET:g} % core", used["stream"] <= CPU_TARGET),
        Figure(f"  stream frames received: {per_second:.0f}/s ("
               + ", ".join(f"{c} {n}" for c, n in sorted(frames.items(), key=lambda i: -i[1])) + ")", "", "", ""),
        Figure(f"CPU, app alone, polling, {counts['poll']} orders + churn, {window}", fmt(used["poll"]), "% core",
               "for comparison"),
        Figure("  CPU of their simulator processes (streaming / polling)",
               f"{fmt(used['stream_sim'])} / {fmt(used['poll_sim'])}", "% core", "for reference"),
    ]
    figures += _rest_figures(churn, scenario, window)

    # A quiet market: 10 resting orders (blotter sim's default), ticking, no demo flow; the few
    # fills are the market trading through a resting order.
    quiet = _load(seconds, "--no-flow")
    used = quiet["cpu"]
    scenario = f"quiet market ({quiet['fills']['stream']}/{quiet['fills']['poll']} fills)"
    figures += [
        Figure(f"CPU, app alone, streaming / polling, {quiet['counts']['stream']} orders, no churn, {window}",
               f"{fmt(used['stream'])} / {fmt(used['poll'])}", "% core", "for reference"),
    ]
    figures += _rest_figures(quiet, scenario, window)
    return figures
