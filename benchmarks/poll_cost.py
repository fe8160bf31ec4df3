"""Figure 3: the cost of applying one orders poll in which 1% of the active orders changed.

Orders come from the simulator's own model (`Exchange.seed_orders`), cloned to the wanted count.
Each repeat applies the full snapshot with 1% of the orders at a price one increment away from
the previous snapshot (so exactly that 1% is re-rendered). Timed: the headless store alone, then
the app's whole handler `app._on_data("orders", page)` (store apply + `LiveTable.apply_diff`) inside a
headless 120x40 Textual app, then the compositor's repaint of the changed lines that follows.
"""

from __future__ import annotations

import asyncio
import time

from .common import Figure, fmt, median, under

TARGET_MS = 10.0
SIZES = (500, 5_000)


def make_orders(count: int):
    """(catalog, base snapshot, snapshot with 1% changed)."""
    from blotter.core.reference import Catalog
    from blotter.sim import Exchange

    exchange = Exchange(seed=5)
    exchange.seed_orders(50)
    templates = exchange.active_orders([exchange.user_id])
    catalog = Catalog.build(exchange.instruments(), exchange.assets.values())
    base = []
    for index in range(count):
        template = templates[index % len(templates)]
        base.append(template.model_copy(update={
            "id": str(79_000_000_000_000_000 + index), "external_id": f"bench-{index}",
            "timestamp": template.timestamp + index, "update_timestamp": template.timestamp + index,
        }))
    changed = list(base)
    for index in range(0, count, 100):  # 1%, spread over the book
        order = base[index]
        increment = catalog.price_increment(order.order_info.instrument_id)
        info = order.order_info.model_copy(update={"price": order.order_info.price + increment})
        changed[index] = order.model_copy(update={"order_info": info, "update_timestamp": order.update_timestamp + 1})
    return catalog, base, changed


def time_store(count: int, repeats: int) -> float:
    from blotter.core.rows import orders_store

    catalog, base, changed = make_orders(count)
    store = orders_store(catalog)
    store.apply(base)
    times = []
    for i in range(repeats):
        snapshot = changed if i % 2 == 0 else base
        started = time.perf_counter()
        diff = store.apply(snapshot)
        times.append(time.perf_counter() - started)
        assert len(diff.changed) == count // 100 and not diff.view_changed
    return median(times)


async def time_app(count: int, repeats: int) -> tuple[float, float]:
    """Median seconds of `app._on_data("orders", page)`, and of the repaint that follows (less the time
    `pilot.pause()` takes when nothing changed)."""
    from blotter.api import Page, TrueXClient
    from blotter.demo import demo_credentials
    from blotter.ui.app import create_app

    catalog, base, changed = make_orders(count)
    client = TrueXClient("http://127.0.0.1:9", credentials=demo_credentials())  # never called
    app = create_app(client, catalog=catalog, start_feeds=False)
    apply_times, paint_times = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        app.build_feeds()  # `_on_data` reads the feed's counters; the feeds are never started
        app._on_data("orders", Page(items=base))
        await pilot.pause()
        idle_pauses = []
        for _ in range(repeats):
            started = time.perf_counter()
            await pilot.pause()
            idle_pauses.append(time.perf_counter() - started)
        for i in range(repeats):
            page = Page(items=changed if i % 2 == 0 else base)
            started = time.perf_counter()
            app._on_data("orders", page)
            applied = time.perf_counter()
            await pilot.pause()
            painted = time.perf_counter()
            apply_times.append(applied - started)
            paint_times.append(painted - applied)
    return median(apply_times), max(0.0, median(paint_times) - median(idle_pauses))


def run(quick: bool = False) -> list[Figure]:
    repeats = 11 if quick else 31
    figures = []
    for count in SIZES:
        store_s = time_store(count, repeats)
        apply_s, paint_s = asyncio.run(time_app(count, repeats))
        label = f"{count:,} orders, 1% changed"
        figures += [
            Figure(f"poll cost, {label}: store apply", fmt(store_s * 1000), "ms", f"median of {repeats}"),
            under(f"poll cost, {label}: app._on_data orders (store + table)", apply_s * 1000, "ms", TARGET_MS)
            if count == max(SIZES) else
            Figure(f"poll cost, {label}: app._on_data orders (store + table)", fmt(apply_s * 1000), "ms", ""),
            Figure("  then repaint of the changed lines (headless)", fmt(paint_s * 1000), "ms", "pause() less idle pause()"),
        ]
    return figures
