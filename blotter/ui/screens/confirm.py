"""A yes/no confirmation: used for cancel, cancel all and fat-finger guard breaches."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
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
        width: 72; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen .title { text-style: bold; color: $warning; margin-bottom: 1; }
    ConfirmScreen .body { margin-bottom: 1; }
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
            yield Static("\n".join(self.lines), classes="body", markup=False)
            with Horizontal():
                yield Button("Back (esc)", id="back")
                yield Button(self.confirm_label + " (y)", id="confirm", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()  # the safe choice has the focus

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")
