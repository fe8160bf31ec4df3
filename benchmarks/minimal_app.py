"""The baseline for start-up time: the smallest Textual app that paints a line and quits on q.

Run as a script (not `-m`) so that it imports Textual only, not the blotter package.
"""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Minimal(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("MINIMAL-READY")


if __name__ == "__main__":
    Minimal().run()
