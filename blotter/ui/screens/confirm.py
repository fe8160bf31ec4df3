"""A yes/no confirmation: used for cancel, cancel all and fat-finger guard breaches. Its words
come from the caller, so it shows whole at 80x24 whatever they say (the body scrolls)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Back", id="confirm.back"),
        Binding("y", "dismiss(True)", "Yes", show=False, id="confirm.yes"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 100%; max-width: 84; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen .title { text-style: bold; color: $warning; }
    ConfirmScreen VerticalScroll { height: auto; max-height: 70vh; }
    ConfirmScreen .body { margin: 1 0; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, title: str, lines: list[str], confirm_label: str = "Confirm", *, danger: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.confirm_label = confirm_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="title", markup=False)
            with VerticalScroll():
                yield Static("\n".join(self.lines), classes="body", markup=False)
            with Horizontal():
                yield Button("Back (esc)", id="back", compact=True)
                yield Button(self.confirm_label + " (y)", id="confirm", variant="error" if self.danger else "primary",
                             compact=True)

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()  # the safe choice has the focus

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")
