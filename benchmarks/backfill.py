"""Headless trades backfill in a fresh process: `python -m benchmarks.backfill URL`.

The app's path without Textual: `TradesFetcher` walks every page of the last 24 h, the
`TradeStore` ingests them, and the first view (the newest `cap` rows) is formatted. Prints one
JSON line: seconds per phase, trades held, and VmRSS before and after (kB).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def backfill(base_url: str) -> dict:
    from benchmarks.procs import memory_kb
    from blotter.api import Credentials, TrueXClient
    from blotter.core.feeds import SystemClock, TradesFetcher
    from blotter.core.reference import Catalog
    from blotter.core.rows import trades_store
    from blotter.sim import DEMO_CREDENTIALS
    from pydantic import SecretStr

    credentials = Credentials(DEMO_CREDENTIALS.user_id, DEMO_CREDENTIALS.key, SecretStr(DEMO_CREDENTIALS.secret))
    async with TrueXClient(base_url, credentials=credentials) as client:
        await client.sync_clock()
        catalog = Catalog.build((await client.instruments()).items, (await client.assets()).items)
        store = trades_store(catalog)
        fetch = TradesFetcher(client, SystemClock(), lambda: store.newest_timestamp, compact=store.compact)
        before = memory_kb()
        started = time.perf_counter()
        page = await fetch()
        fetched = time.perf_counter()
        store.upsert(page.items)
        for key in store.view:  # the first paint formats only the rows in view
            store.row(key)
        done = time.perf_counter()
        del page
        after = memory_kb()
    return {
        "fetch_s": fetched - started, "store_s": done - fetched, "total_s": done - started,
        "trades": len(store), "pages": fetch.pages_fetched, "rss_before_kb": before["VmRSS"],
        "rss_after_kb": after["VmRSS"], "hwm_kb": after["VmHWM"],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(backfill(sys.argv[1]))))
