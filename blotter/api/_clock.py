"""The clock the feeds and the stream read: monotonic seconds, epoch nanoseconds, and sleep.

Here, below both, so the stream session (api) and the feeds (core) share one; tests pass
`core.feeds.FakeClock`, which has the same shape.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def now_ns(self) -> int: ...
    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now_ns(self) -> int:
        return time.time_ns()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
