"""The column picker: which of a pane's columns are shown, and in which order. Keyboard first:
↑/↓ (k/j) move the cursor, space shows or hides, shift+↑/↓ (K/J) move the column, r resets, enter
applies, esc cancels. It is given the columns and returns the keys shown, in order (None: cancelled);
it never reaches into the app. At least one column stays shown."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static

from ...core.store import Column

__all__ = ["ColumnPicker", "picker_columns"]

HINT = "space show/hide · shift+↑↓ or K/J move · r reset"


def picker_columns(columns: Sequence[Column], choice: Sequence[str]) -> list[tuple[str, str, bool]]:
    """What the picker opens with: the chosen columns in their order, shown, then the others in
    the pane's order, hidden. `choice` is e.g. a LiveTable's `column_choice`."""
    labels = {column.key: column.label for column in columns}
    chosen = [key for key in dict.fromkeys(choice) if key in labels]
    rest = [column.key for column in columns if column.key not in chosen]
    return [(key, labels[key], True) for key in chosen] + [(key, labels[key], False) for key in rest]


class ColumnList(OptionList, inherit_bindings=False):
    """The columns, one a line. Enter is left to the dialog (it applies); a click toggles."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]


class ColumnPicker(ModalScreen[list[str] | None]):
    """Dismisses with the keys of the columns shown, in order, or None (esc)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="columns.cancel"),
        Binding("enter", "apply", "Apply", id="columns.apply"),
        Binding("space", "toggle", "Show/hide", id="columns.toggle"),
        Binding("shift+up,K", "move(-1)", "Move up", id="columns.move_up"),
        Binding("shift+down,J", "move(1)", "Move down", id="columns.move_down"),
        Binding("r", "reset", "Reset", id="columns.reset"),
    ]
    DEFAULT_CSS = """
    ColumnPicker { align: center middle; }
    ColumnPicker > Vertical {
        width: 100%; max-width: 64; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ColumnPicker .title { text-style: bold; color: $primary; }
    ColumnPicker .hint { color: $text-muted; }
    ColumnPicker ColumnList { height: auto; max-height: 70vh; border: none; padding: 0; }
    ColumnPicker ColumnList:focus { border: none; }
    ColumnPicker #message { color: $warning; height: auto; }
    ColumnPicker Horizontal { height: auto; align-horizontal: right; }
    ColumnPicker Button { margin-left: 2; }
    """

    def __init__(self, title: str, columns: Sequence[tuple[str, str, bool]], default: Sequence[str]) -> None:
        """`columns`: (key, title, shown) for every column of the pane, in the current order;
        `default`: the pane's keys in its own order (what `r` restores, all shown)."""
        super().__init__()
        self.title_text = title
        self.rows: list[tuple[str, str, bool]] = [(key, label, bool(shown)) for key, label, shown in columns]
        labels = {key: label for key, label, _ in self.rows}
        self.default = [key for key in dict.fromkeys(default) if key in labels]

    # --- what it shows ----------------------------------------------------------------------------

    @property
    def shown_keys(self) -> list[str]:
        """The result, were the trader to apply now."""
        return [key for key, _, shown in self.rows if shown]

    @staticmethod
    def _prompt(row: tuple[str, str, bool]) -> Content:
        _, label, shown = row
        return Content(f"[{'x' if shown else ' '}] {label}")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Columns · {self.title_text}", classes="title", markup=False)
            yield Static(HINT, classes="hint", markup=False)
            yield ColumnList(*(self._prompt(row) for row in self.rows), id="columns")
            yield Static("", id="message", markup=False)
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel", compact=True)
                yield Button("Reset (r)", id="reset", compact=True)
                yield Button("Apply (enter)", id="apply", variant="primary", compact=True)

    def on_mount(self) -> None:
        columns = self.query_one(ColumnList)
        columns.highlighted = 0 if self.rows else None
        columns.focus()

    @property
    def cursor(self) -> int | None:
        """The index of the column under the cursor."""
        return self.query_one(ColumnList).highlighted

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)

    def _redraw(self, *indices: int) -> None:
        columns = self.query_one(ColumnList)
        for index in indices:
            columns.replace_option_prompt_at_index(index, self._prompt(self.rows[index]))

    # --- actions ----------------------------------------------------------------------------------

    def action_toggle(self) -> None:
        index = self.cursor
        if index is None:
            return
        key, label, shown = self.rows[index]
        if shown and len(self.shown_keys) == 1:
            self._say("At least one column stays shown.")
            self.app.bell()
            return
        self.rows[index] = (key, label, not shown)
        self._say("")
        self._redraw(index)

    def action_move(self, step: int) -> None:
        index = self.cursor
        if index is None:
            return
        other = index + step
        if not 0 <= other < len(self.rows):
            return
        self.rows[index], self.rows[other] = self.rows[other], self.rows[index]
        self._say("")
        self._redraw(index, other)
        self.query_one(ColumnList).highlighted = other  # the cursor stays on the column moved

    def action_reset(self) -> None:
        """Every column shown, in the pane's order; the cursor stays on its column."""
        index = self.cursor
        current = self.rows[index][0] if index is not None else None
        labels = {key: label for key, label, _ in self.rows}
        rest = [key for key in labels if key not in self.default]  # (none, when given every key)
        self.rows = [(key, labels[key], True) for key in [*self.default, *rest]]
        self._say("")
        self._redraw(*range(len(self.rows)))
        if current is not None:
            self.query_one(ColumnList).highlighted = [key for key, _, _ in self.rows].index(current)

    def action_apply(self) -> None:
        keys = self.shown_keys
        if keys:  # (never empty: the last shown column cannot be hidden)
            self.dismiss(keys)

    # --- the mouse and the buttons ------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#columns")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        elif event.button.id == "reset":
            self.action_reset()
        else:
            self.dismiss(None)
