"""`make bench`: measures speed and memory and prints a table of figures. Never part of `make test`.

Each measurement is a function returning rows of (figure, value, unit, target or comparison).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable

from pydantic import SecretStr

Row = tuple[str, str, str, str]


def _fmt(value: float, places: int = 2) -> str:
    return f"{value:,.{places}f}"


def bench_signing(iterations: int = 20_000) -> list[Row]:
    from blotter.api import signature

    body = b'{"external_id":"abc","info":{"client_id":"1","instrument_id":"2","qty":"0.01"}}'
    start = time.perf_counter()
    for i in range(iterations):
        signature("secret-value", str(1_800_000_000 + i), "POST", "/api/v1/orders", body)
    per_call_us = (time.perf_counter() - start) / iterations * 1e6
    return [("signing cost per request", _fmt(per_call_us), "µs", "")]


def bench_client_throughput(seconds: float = 5.0, concurrency: int = 8) -> list[Row]:
    from blotter.api import Credentials, TrueXClient
    from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

    credentials = Credentials(DEMO_CREDENTIALS.user_id, DEMO_CREDENTIALS.key, SecretStr(DEMO_CREDENTIALS.secret))
    rows: list[Row] = []
    with SimServer(Exchange(seed=3), auto_tick=False) as server:

        async def run(path: str, signed: bool) -> tuple[int, list[float]]:
            latencies: list[float] = []
            count = 0
            async with TrueXClient(server.base_url, credentials=credentials if signed else None) as client:
                deadline = time.perf_counter() + seconds

                async def worker() -> None:
                    nonlocal count
                    while time.perf_counter() < deadline:
                        started = time.perf_counter()
                        await client.request("GET", path)
                        latencies.append(time.perf_counter() - started)
                        count += 1

                await asyncio.gather(*(worker() for _ in range(concurrency)))
            return count, latencies

        for label, path, signed in (
            ("signed GET orders/active", "/orders/active", True),
            ("public GET markets/quote", "/markets/quote", False),
        ):
            count, latencies = asyncio.run(run(path, signed))
            rows.append((f"client throughput, {label}", _fmt(count / seconds, 0), "req/s", f"{concurrency} concurrent"))
            rows.append((f"  median latency, {label}", _fmt(statistics.median(latencies) * 1000), "ms", ""))
    return rows


BENCHES: dict[str, Callable[[], list[Row]]] = {
    "signing": bench_signing,
    "client": bench_client_throughput,
}


def print_table(rows: list[Row]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = ("figure", "value", "unit", "target / note")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print(f"{row[0].ljust(widths[0])}  {row[1].rjust(widths[1])}  {row[2].ljust(widths[2])}  {row[3]}")


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(BENCHES)
    rows: list[Row] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(BENCHES[name]())
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
