"""The list of price alerts (the palette's "Alerts…"): ↑ ↓ select, `d` (or delete) removes the
selected alert, `r` re-arms a fired one, esc or q closes.

The screen never changes the `AlertBook`: it is given plain rows (`AlertRow`: id, one line of text,
armed or not; the text is the caller's, e.g. `AlertBook.summary`) and says what the trader asked
for by posting a message, `AlertsScreen.Remove` or `AlertsScreen.Rearm`, carrying the alert id and
the screen. The messages bubble to the app, which applies them to the book at once (and saves it)
and calls `refresh_rows` with the rows as they now are, so the trader sees the list change as they
press the key. The caller may also call `refresh_rows` when an alert fires while the list is open.
Until the next `refresh_rows`, pressing a key again on the same alert posts nothing more. It
dismisses with None.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

EMPTY = "No alerts. Press a on a quote to set one."
HINT = "↑ ↓ select · d removes · r re-arms a fired alert · esc closes"


class AlertRow(NamedTuple):
    """One line of the list; a plain `(alert_id, text, active)` tuple fits."""

    alert_id: str
    text: str
    active: bool  # armed (True) or fired (False)


class AlertsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close", id="alerts.close"),
        Binding("d,delete", "remove", "Remove alert", id="alerts.remove"),
        Binding("r", "rearm", "Re-arm alert", id="alerts.rearm"),
    ]
    DEFAULT_CSS = """
    AlertsScreen { align: center middle; }
    AlertsScreen > #dialog {
        width: 100%; max-width: 100; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AlertsScreen .heading { text-style: bold; color: $primary; height: auto; }
    AlertsScreen .hint { color: $text-muted; height: auto; }
    AlertsScreen #list { height: auto; max-height: 16; border: none; padding: 0; }
    AlertsScreen #empty { height: auto; margin: 1 0; }
    AlertsScreen #note { height: auto; color: $warning; }
    """

    class AlertAction(Message):
        """The trader asked to act on `alert_id`; apply it, then `dialog.refresh_rows(...)`."""

        def __init__(self, dialog: AlertsScreen, alert_id: str) -> None:
            super().__init__()
            self.dialog = dialog
            self.alert_id = alert_id

        @property
        def control(self) -> AlertsScreen:
            return self.dialog

    class Remove(AlertAction):
        """Remove the alert."""

    class Rearm(AlertAction):
        """Re-arm the fired alert."""

    def __init__(self, rows: Iterable[tuple[str, str, bool]]) -> None:
        super().__init__()
        self.rows = [AlertRow(*row) for row in rows]
        self._asked: set[str] = set()  # ids with a request out, until the next refresh_rows

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="heading", classes="heading", markup=False)
            yield Static(HINT, classes="hint", markup=False)
            yield OptionList(id="list", markup=False)
            yield Static(EMPTY, id="empty", markup=False)
            yield Static("", id="note", markup=False)

    def on_mount(self) -> None:
        self.refresh_rows(self.rows)
        self._say("")
        self.query_one(OptionList).focus()

    # --- what is shown -------------------------------------------------------------------------

    def refresh_rows(self, rows: Iterable[tuple[str, str, bool]]) -> None:
        """Show these rows; the selection stays on its alert, or at the same place if it went."""
        listing = self.query_one(OptionList)
        was = self.selected
        index = listing.highlighted or 0
        self.rows = [AlertRow(*row) for row in rows]
        self._asked.clear()
        listing.clear_options()
        listing.add_options(Option(self._prompt(row), id=row.alert_id) for row in self.rows)
        ids = [row.alert_id for row in self.rows]
        if ids:
            listing.highlighted = ids.index(was) if was in ids else min(index, len(ids) - 1)
        listing.display = bool(ids)
        self.query_one("#empty").display = not ids
        armed = sum(row.active for row in self.rows)
        counts = f" ({armed} armed, {len(ids) - armed} fired)" if ids else ""
        self.query_one("#heading", Static).update(f"Price alerts{counts}")

    @staticmethod
    def _prompt(row: AlertRow) -> Text:
        return Text(row.text) if row.active else Text(row.text, style="bold")

    @property
    def selected(self) -> str | None:
        """The highlighted alert's id; None when the list is empty."""
        listing = self.query_one(OptionList)
        if listing.highlighted is None or not listing.option_count:
            return None
        return listing.get_option_at_index(listing.highlighted).id

    def _row(self, alert_id: str | None) -> AlertRow | None:
        return next((row for row in self.rows if row.alert_id == alert_id), None)

    def _say(self, text: str) -> None:
        note = self.query_one("#note", Static)
        note.update(text)
        note.display = bool(text)

    # --- keys ----------------------------------------------------------------------------------

    def action_remove(self) -> None:
        row = self._row(self.selected)
        if row is None:
            self._say("Nothing to remove")
            return
        if row.alert_id in self._asked:
            return
        self._asked.add(row.alert_id)
        self._say("")
        self.post_message(self.Remove(self, row.alert_id))

    def action_rearm(self) -> None:
        row = self._row(self.selected)
        if row is None:
            self._say("Nothing to re-arm")
            return
        if row.active:
            self._say(f"{row.alert_id} is armed already: r re-arms an alert that has fired")
            return
        if row.alert_id in self._asked:
            return
        self._asked.add(row.alert_id)
        self._say("")
        self.post_message(self.Rearm(self, row.alert_id))
