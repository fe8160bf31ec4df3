"""The first frame: the dashboard's outline while the rest of the program loads.

Drawn from Textual alone (nothing here imports pydantic, the HTTP stack or the wire models), so the
trader sees the panes at once; the main screen, with the environment and the host from the settings,
covers it a moment later, before the first data arrives.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ..core.panes import PANES, TITLES

__all__ = ["LoadingScreen"]


class LoadingScreen(Screen):
    DEFAULT_CSS = """
    LoadingScreen > .header, LoadingScreen > .status { height: 1; background: $panel; }
    LoadingScreen .pane { border: round $panel-lighten-2; border-title-color: $text-muted; color: $text-muted; }
    LoadingScreen #outline-orders { height: 3fr; }
    LoadingScreen #outline-trades { height: 2fr; }
    LoadingScreen Horizontal { height: 7; }
    LoadingScreen #outline-quotes { width: 3fr; height: 100%; }
    LoadingScreen #outline-balances { width: 2fr; height: 100%; }
    LoadingScreen #outline-positions { width: 3fr; height: 100%; }
    """

    class Shown(Message):
        """The outline is on the terminal: the rest of the program may load (sent once)."""

    def __init__(self, environment: str = "") -> None:
        super().__init__(id="loading")
        self.environment = environment  # known this early only when given (DEMO)
        self._shown = False

    def on_screen_resume(self) -> None:
        # Textual has drawn the screen as it resumed. Waiting for the next refresh instead (as
        # `call_after_refresh` does) waited a frame interval more: the toasts' rack asks for one.
        if not self._shown:
            self._shown = True
            self.post_message(self.Shown())

    def compose(self) -> ComposeResult:
        header = Text()
        if self.environment:
            header.append(f" {self.environment} ", style="bold reverse")
            header.append("  ")
        header.append(" reading the settings and connecting…")
        yield Static(header, classes="header")
        yield from (self._outline(name) for name in PANES[:2])
        with Horizontal():
            yield from (self._outline(name) for name in PANES[2:5])  # the book shares the trades' place
        yield Static(" starting…", classes="status")

    @staticmethod
    def _outline(name: str) -> Static:
        pane = Static("", id=f"outline-{name}", classes="pane")
        pane.border_title = f"{PANES.index(name) + 1} {TITLES[name]}"
        return pane
