"""The header (environment, client, API version, clock offset) and the feed status line."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...core.feeds import FeedStatus, Freshness

_HEALTH_GLYPH = {Freshness.WAITING: "○", Freshness.FRESH: "●", Freshness.STALE: "◐", Freshness.FAILING: "✖"}


def fmt_age(age: float | None) -> str:
    if age is None:
        return "--"
    seconds = int(age)
    if seconds < 100:
        return f"{seconds}s"
    if seconds < 6000:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


class HeaderBar(Static):
    """One line: the environment badge (PROD on red), client, notices, the balances' value change,
    API version, clock offset, zone. What does not fit is left out whole, least important first
    (a number cut short reads as another number)."""

    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; color: $foreground; }
    """

    def show(
        self, environment: str, client: str, api_version: str, offset: float | None, notice: str = "",
        badge_style: str | None = None, *, zone: str = "UTC", value: str = "",
    ) -> None:
        """`client`: whom the panes show, e.g. "client 42" or "all 3 clients"."""
        # (text, style, rank): rank 0 always shows; higher ranks are left out first.
        parts = [(f" {environment} ", badge_style or "bold reverse", 0), (f"  {client}", "bold", 0)]
        if notice:
            parts.append((f"  │ {notice}", "bold reverse", 0))
        if value:
            parts.append((f"  │ value {value}", "", 1))
        parts.append((f"  │ API {api_version}", "", 3))
        # `Date` has one-second resolution: whole seconds are all the offset honestly says.
        parts.append((f"  │ clock {'--' if offset is None else f'{round(offset):+d}s'}", "", 2))
        parts.append((f"  │ times {zone}", "", 4))
        self._parts = parts
        self._draw()

    def on_resize(self) -> None:
        if getattr(self, "_parts", None):
            self._draw()

    def _draw(self) -> None:
        parts = self._parts
        width = self.size.width
        if width:
            for rank in sorted({r for _, _, r in parts if r}, reverse=True):
                if sum(len(t) for t, _, _ in parts) <= width:
                    break
                parts = [p for p in parts if p[2] != rank]
        text = Text()
        for part, style, _ in parts:
            text.append(part, style=style)
        if text != getattr(self, "_last", None):
            self._last = text
            self.update(text, layout=False)  # fixed height: no relayout, only this line repaints


SHOWN_FEEDS = ("orders", "trades", "quotes", "balances")  # health shows in the header instead


class StatusLine(Static):
    """Each feed's health, PAUSED when paused, the pace when the request budget is tight, and
    standing counts of what could not be read (never a toast per poll)."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $foreground; }
    """

    def show(
        self, statuses: list[FeedStatus], *, paused_since: str | None, bad_rows: int, styles: dict[str, str],
        unreadable: int = 0, pace: str | None = None, unauthorized: bool = False,
        transports: dict[str, str] | None = None, stream_note: str = "",
    ) -> None:
        """`transports`: per feed "stream" or "poll" (said after its name)."""
        text = Text(" ")
        if paused_since is not None:
            # Paused, nothing ticks: the line says since when and then stays the same.
            text.append(f" PAUSED since {paused_since} ", style=styles["paused"])
            text.append("  ")
        for status in statuses:
            if status.name not in SHOWN_FEEDS:
                continue
            style = {
                Freshness.FRESH: styles["fresh"],
                Freshness.STALE: styles["stale"],
                Freshness.FAILING: styles["failing"],
                Freshness.WAITING: styles["waiting"],
            }[status.health]
            text.append(f"{_HEALTH_GLYPH[status.health]} {status.name}", style=style)
            if transports and status.name in transports:
                text.append(f" {transports[status.name]}", style=styles["waiting"])
            # Fresh says nothing more (so an idle line never changes); stale and failing say how
            # old the data on screen is, in one wording.
            if paused_since is None and status.health in (Freshness.STALE, Freshness.FAILING):
                text.append(" no data" if status.age is None else f" {fmt_age(status.age)} old", style=style)
                if status.health is Freshness.FAILING:
                    text.append(f": {status.error_title}", style=style)
            if status.notice:
                text.append(f" ⚠ {status.notice}", style=styles["stale"])
            text.append("  ")
        if pace:
            text.append(f"⏱ {pace}  ", style=styles["stale"])
        if stream_note:  # the stream's standing notice (frames it could not read)
            text.append(f"⚠ {stream_note}  ", style=styles["stale"])
        if unauthorized:
            text.append("⚠ 401: check key, secret, prefix, clock  ", style=styles["failing"])
        if unreadable:
            text.append(f"⚠ {unreadable} row{'s' if unreadable != 1 else ''} with unreadable values (?)  ",
                        style=styles["stale"])
        if bad_rows:
            text.append(f"⚠ {bad_rows} unreadable row{'s' if bad_rows != 1 else ''} not shown", style=styles["stale"])
        if text != getattr(self, "_last", None):
            self._last = text
            self.update(text, layout=False)  # fixed height: no relayout, only this line repaints


class EventLine(Static):
    """The newest order event (fill, cancel, reject), from this blotter or any other application."""

    DEFAULT_CSS = """
    EventLine { height: 1; background: $surface; color: $secondary; }
    """

    def show(self, text: str) -> None:
        self.update(Text(text), layout=False)  # Text: a server string is never read as markup
