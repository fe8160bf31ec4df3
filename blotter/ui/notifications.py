"""What the trader is told of order events: the events line for every one, toasts for some.

Every fill, cancel and reject, whoever caused it, goes to the events line (one line above the status
line). Toasts pop for rejects, and for fills and cancels of orders acted on from this blotter; the
first after a quiet spell at once, the rest of a burst in one toast: each toast relayouts the
screen, and a stream of them would bury the panes. Testable alone: it is given the callables it
uses, never the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from ..core.format import TimeFormat

__all__ = ["Notifications", "Toaster"]

BATCH_SECONDS = 5.0  # fills (or cancels) seen within this window share one toast
TOAST_LINES = 3
TITLES = {"fill": ("Fill", "{n} fills"), "cancel": ("Canceled", "{n} orders canceled")}


class Toaster(Protocol):
    """What notifications need of the host: a toast, a timer, the bell."""

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None) -> None: ...

    def set_timer(self, delay: float, callback: Callable[[], None], *, name: str | None = None) -> object: ...

    def bell(self) -> None: ...


class Notifications:
    def __init__(self, host: Toaster, show_event: Callable[[str], None], times: TimeFormat, *,
                 bell: bool = False, batch_seconds: float = BATCH_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.host = host
        self.show_event = show_event
        self.times = times
        self.bell = bell
        self.batch_seconds = batch_seconds
        self._monotonic = monotonic  # real time: toasts are seen in real time, whatever the data's clock
        self._pending: dict[str, list[str]] = {}
        self._due: set[str] = set()
        self._last: dict[str, float] = {}

    def event(self, kind: str, lines: list[str]) -> None:
        """The events line: the newest order event (one line, no relayout)."""
        more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""  # before the detail: never cut off
        self.show_event(f" {self.times(self.times.now_ns())}  {kind}{more}: {lines[0]}")

    def fills(self, lines: list[str], ours: list[str]) -> None:
        """Every fill on the events line; fills of orders acted on here also toast (those of orders
        another application placed for the same client would toast all day)."""
        if not lines:
            return
        self.event("Fill", lines)
        if ours:
            self.batched("fill", ours)
        if self.bell:
            self.host.bell()

    def rejected(self, label: str) -> None:
        self.event("Rejected", [label])
        self.host.notify(f"Order {label} was rejected", title="Rejected", severity="error", timeout=10)

    def canceled(self, labels: list[str], ours: list[str]) -> None:
        if labels:
            self.event("Canceled", labels)
        if ours:
            self.batched("cancel", ours)

    def batched(self, kind: str, lines: list[str]) -> None:
        """The first toast after a quiet spell at once; what follows within `batch_seconds` waits
        and shares one toast."""
        self._pending.setdefault(kind, []).extend(lines)
        if kind in self._due:
            return
        wait = self._last.get(kind, float("-inf")) + self.batch_seconds - self._monotonic()
        if wait > 0:
            self._due.add(kind)
            self.host.set_timer(wait, lambda: self._flush(kind), name=f"{kind}-toast")
        else:
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        lines = self._pending.pop(kind, [])
        self._due.discard(kind)
        self._last[kind] = self._monotonic()
        if not lines:
            return
        one, many = TITLES[kind]
        if kind == "cancel" and len(lines) == 1:
            self.host.notify(f"Order {lines[0]} canceled", title=one, timeout=5)
            return
        shown = lines[:TOAST_LINES] + ([f"… and {len(lines) - TOAST_LINES} more"] if len(lines) > TOAST_LINES else [])
        self.host.notify("\n".join(shown), title=one if len(lines) == 1 else many.format(n=len(lines)), timeout=6)
