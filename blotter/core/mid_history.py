"""The mid trail: a small sparkline of each instrument's mid over the last 15 minutes, drawn from
the quote polls already made (no extra request). Headless (no Textual).

`MidHistory.observe(quotes, now_ns)` records (time, mid) per instrument on every poll; an empty
book side has no mid and records nothing (the trail carries the last mid across the gap). Only the
last `window_ns` are kept, and at most `max_points` per instrument, so a session left open all day
holds a bounded amount whatever the poll rate; an instrument that stops being quoted is forgotten
once its last point leaves the window.

`sparkline(instrument_id, width)` draws the window as `width` equal slices of time, oldest on the
left, the right edge being the latest poll:
- a slice shows the **last** mid recorded in it; a slice with no point repeats the slice before
  it; slices before the first point are spaces (a trail younger than 15 minutes starts part-way);
- the height is the mid's place between the lowest and highest mid in the whole window, in eight
  equal bands: band = floor((mid - low) * 8 / (high - low)), the top value in band 7, drawn
  `▁▂▃▄▅▆▇█` (so 100, 101, 102 draw ▁ ▅ █); a flat window draws the middle block `▄`;
- fewer than two points draw nothing ("").
All of it in exact arithmetic: integers for time slices, `Decimal` for heights (no float).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from decimal import Decimal, localcontext

from ..api.models import NS_PER_SECOND, MarketQuote
from .rows import mid_of

__all__ = ["BLOCKS", "MAX_POINTS", "WINDOW_NS", "MidHistory"]

WINDOW_NS = 15 * 60 * NS_PER_SECOND
MAX_POINTS = 2048  # per instrument: two polls a second for 15 minutes, with room to spare
BLOCKS = "▁▂▃▄▅▆▇█"
FLAT = BLOCKS[3]  # ▄: half height
_BANDS = len(BLOCKS)
_PRECISION = 80  # digits: subtraction of any two wire prices (< 10^20, down to 10^-18) stays exact


class _Trail:
    """One instrument's points, oldest first, as two parallel deques (no tuple per point); an
    unchanged mid reuses the previous `Decimal` object."""

    __slots__ = ("times", "mids")

    def __init__(self, cap: int) -> None:
        self.times: deque[int] = deque(maxlen=cap)
        self.mids: deque[Decimal] = deque(maxlen=cap)

    def add(self, ns: int, mid: Decimal) -> None:
        if self.mids and self.mids[-1] == mid:
            mid = self.mids[-1]
        self.times.append(ns)
        self.mids.append(mid)

    def drop_after(self, ns: int) -> None:
        while self.times and self.times[-1] > ns:
            self.times.pop()
            self.mids.pop()

    def prune(self, oldest_kept: int) -> None:
        while self.times and self.times[0] < oldest_kept:
            self.times.popleft()
            self.mids.popleft()


class MidHistory:
    def __init__(self, window_ns: int = WINDOW_NS, max_points: int = MAX_POINTS) -> None:
        if window_ns <= 0 or max_points < 2:
            raise ValueError("the window must be positive and hold at least two points")
        self.window_ns = window_ns
        self.max_points = max_points
        self._trails: dict[str, _Trail] = {}
        self._now: int | None = None  # the latest poll: the right edge of every sparkline
        self._drawn: dict[tuple[str, int], str] = {}  # drawn since the last poll

    def observe(self, quotes: Iterable[MarketQuote], now_ns: int) -> None:
        """Record this poll's mids (an empty side records nothing) and forget what is older than the
        window, for every instrument, quoted in this poll or not. When the wall clock has stepped
        back, the points now in the "future" are dropped: the trail stays in time order."""
        if self._now is not None and now_ns < self._now:
            for trail in self._trails.values():
                trail.drop_after(now_ns)
        for quote in quotes:
            mid = mid_of(quote)
            if mid is None:
                continue
            trail = self._trails.get(quote.id)
            if trail is None:
                trail = self._trails[quote.id] = _Trail(self.max_points)
            trail.add(now_ns, mid)
        self._now = now_ns
        oldest_kept = now_ns - self.window_ns + 1  # the window is (now - window, now]
        for instrument_id in list(self._trails):
            trail = self._trails[instrument_id]
            trail.prune(oldest_kept)
            if not trail.times:
                del self._trails[instrument_id]
        self._drawn.clear()

    def points(self, instrument_id: str) -> list[tuple[int, Decimal]]:
        """(time, mid) kept for one instrument, oldest first."""
        trail = self._trails.get(instrument_id)
        return list(zip(trail.times, trail.mids, strict=True)) if trail else []

    def __len__(self) -> int:
        """Points kept, all instruments together."""
        return sum(len(trail.times) for trail in self._trails.values())

    def sparkline(self, instrument_id: str, width: int = 8) -> str:
        """`width` block characters for the last 15 minutes of mids (see the module's notes), or ""
        with fewer than two points."""
        if width < 1:
            raise ValueError("width must be at least 1")
        trail = self._trails.get(instrument_id)
        if trail is None or len(trail.times) < 2 or self._now is None:
            return ""
        key = (instrument_id, width)
        text = self._drawn.get(key)
        if text is None:
            text = self._drawn[key] = _draw(trail, self._now - self.window_ns, self.window_ns, width)
        return text


def _slice_of(ns: int, start: int, window: int, width: int) -> int:
    """The slice (0..width-1) of a time in the window (start, start + window]: slice i covers
    (start + i*window/width, start + (i+1)*window/width], in integers."""
    return min(width - 1, max(0, ((ns - start) * width - 1) // window))


def _draw(trail: _Trail, start: int, window: int, width: int) -> str:
    last: list[Decimal | None] = [None] * width
    for ns, mid in zip(trail.times, trail.mids, strict=True):  # oldest first: the last one wins
        last[_slice_of(ns, start, window, width)] = mid
    low, high = min(trail.mids), max(trail.mids)
    cells = []
    shown: Decimal | None = None
    with localcontext() as context:
        context.prec = _PRECISION
        span = high - low
        for mid in last:
            if mid is not None:
                shown = mid
            if shown is None:
                cells.append(" ")
            elif not span:
                cells.append(FLAT)
            else:
                cells.append(BLOCKS[min(_BANDS - 1, int((shown - low) * _BANDS // span))])
    return "".join(cells)
