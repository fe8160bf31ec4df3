"""The header (environment, client, API version, clock offset) and the feed status line."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...core.feeds import FeedStatus, Health

_HEALTH_GLYPH = {Health.WAITING: "○", Health.FRESH: "●", Health.STALE: "◐", Health.FAILING: "✖"}


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
    """One line: the environment badge (PROD on red), client, API version, clock offset."""

    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; color: $foreground; }
    """

    def show(
        self, environment: str, client_id: str, api_version: str, offset: float | None, notice: str = "",
        badge_style: str | None = None,
    ) -> None:
        text = Text()
        text.append(f" {environment} ", style=badge_style or "bold reverse")
        text.append(f"  client {client_id}", style="bold")
        text.append(f"  │ API {api_version}")
        # `Date` has one-second resolution: whole seconds are all the offset honestly says.
        text.append(f"  │ clock {'--' if offset is None else f'{round(offset):+d}s'}")
        if notice:
            text.append(f"  │ {notice}", style="bold")
        if text != getattr(self, "_last", None):
            self._last = text
            self.update(text, layout=False)  # fixed height: no relayout, only this line repaints


class StatusLine(Static):
    """Each feed's health and age, PAUSED when paused, and the bad-row count."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $foreground; }
    """

    def show(self, statuses: list[FeedStatus], *, paused: bool, bad_rows: int, styles: dict[str, str]) -> None:
        text = Text(" ")
        if paused:
            text.append(" PAUSED ", style=styles["paused"])
            text.append(" ")
        for status in statuses:
            style = {
                Health.FRESH: styles["fresh"],
                Health.STALE: styles["stale"],
                Health.FAILING: styles["failing"],
                Health.WAITING: styles["waiting"],
            }[status.health]
            # A fresh feed says "within its freshness bound" rather than a second-by-second age:
            # the line then stays the same while all is well, so an idle screen sends nothing.
            age = f"≤{fmt_age(status.fresh_within)}" if status.health is Health.FRESH else fmt_age(status.age)
            text.append(f"{_HEALTH_GLYPH[status.health]} {status.name} {age}", style=style)
            if status.health is Health.STALE:
                text.append(" stale", style=style)
            elif status.health is Health.FAILING:
                text.append(f" {status.error_title}", style=style)
            text.append("  ")
        if bad_rows:
            text.append(f"⚠ {bad_rows} bad row{'s' if bad_rows != 1 else ''}", style=styles["stale"])
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
