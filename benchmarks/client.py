"""Figure 6: signing cost, and client throughput against the simulator on loopback.

The simulator runs in its own process (`simproc`, market still) so it does not share this
process's interpreter lock with the client. Signed GET /orders/active (25 orders), one request
at a time and 8 in flight over one `TrueXClient`.
"""

from __future__ import annotations

import asyncio
import time

from .common import Figure, fmt, median
from .procs import simproc

BODY = b'{"external_id":"abc","info":{"client_id":"1","instrument_id":"2","qty":"0.01"}}'


def signing_us(iterations: int = 20_000) -> float:
    from blotter.api import signature

    start = time.perf_counter()
    for i in range(iterations):
        signature("secret-value", str(1_800_000_000 + i), "POST", "/api/v1/orders", BODY)
    return (time.perf_counter() - start) / iterations * 1e6


async def throughput(base_url: str, seconds: float, concurrency: int) -> tuple[float, float]:
    """(requests/s, median latency in s)."""
    from blotter.api import TrueXClient
    from blotter.demo import demo_credentials

    latencies: list[float] = []
    async with TrueXClient(base_url, credentials=demo_credentials()) as client:
        await client.request("GET", "/orders/active")  # connect and warm up
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await client.request("GET", "/orders/active")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, median(latencies)


def run(quick: bool = False) -> list[Figure]:
    seconds = 2.0 if quick else 4.0
    figures = [Figure("signing cost per request (HMAC-SHA256)", fmt(signing_us()), "µs", "")]
    with simproc("--orders", "25") as sim:
        for concurrency in (1, 8):
            rate, latency = asyncio.run(throughput(sim.base_url, seconds, concurrency))
            label = "sequential" if concurrency == 1 else f"{concurrency} concurrent"
            figures.append(Figure(f"client: signed GET orders/active, {label}", fmt(rate, 0), "req/s",
                                  f"median latency {latency * 1000:.1f} ms"))
    return figures
