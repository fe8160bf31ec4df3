"""The help overlay: key table generated from the bindings, with the help text beside it."""

from __future__ import annotations

from importlib import resources

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

POSITIONS_METHOD = "<!-- positions method: core.positions.METHOD, inserted by the help screen -->"


def key_label(key: str) -> str:
    names = {"question_mark": "?", "slash": "/", "pageup": "PgUp", "pagedown": "PgDn", "escape": "esc",
             "right_square_bracket": "]", "left_square_bracket": "["}
    return ", ".join(names.get(part, part) for part in key.split(","))


def bindings_markdown(sections: list[tuple[str, list[Binding]]]) -> str:
    lines = []
    for title, bindings in sections:
        lines += [f"### {title}", "", "| Key | Action |", "|---|---|"]
        for binding in bindings:
            key = key_label(binding.key).replace("|", "\\|")
            lines.append(f"| `{key}` | {binding.description} |")
        lines.append("")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #notice { color: $error; margin: 1 0; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, sections: list[tuple[str, list[Binding]]], notice: str | None = None) -> None:
        """`notice`: what to check first (after a 401), shown above everything, as plain text."""
        super().__init__()
        self.sections = sections
        self.notice = notice

    def compose(self) -> ComposeResult:
        from ...core.positions import METHOD  # one wording of the method, for help and code alike

        text = resources.files("blotter.ui").joinpath("help.md").read_text(encoding="utf-8")
        text = text.replace(POSITIONS_METHOD, METHOD)
        with VerticalScroll() as scroll:
            scroll.border_title = "Help — esc closes"
            scroll.can_focus = True
            if self.notice:
                yield Static(self.notice, id="notice", markup=False)
            yield Markdown("# blotter\n\n" + bindings_markdown(self.sections) + "\n" + text)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
