"""What the ticket and the modify form share: a message per field as the trader types, one
submission at a time, and the one guard-confirmation flow (a soft limit asks, a hard limit refuses,
both restating the order). A form never reaches into the app: it is given what it needs."""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual import events, on, work
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Select, Static

from ...config import Guards
from ...core.fat_finger import check_terms, restate
from ...core.order_actions import Outcome
from ...core.order_ticket import CHANGE, OrderTerms
from .confirm import ConfirmScreen

# Below this the form drops field borders and padding so it shows whole (80x24 over SSH).
ROOMY = (100, 34)


class FormCheck(Protocol):
    """`TicketCheck` and `ModifyCheck` both read like this."""

    errors: dict[str, str]
    terms: OrderTerms | None

    @property
    def ok(self) -> bool: ...


class OrderForm(ModalScreen[Outcome | None]):
    """Dismisses with the `Outcome` once the exchange has taken it; stays open (keeping what was
    typed) on anything else."""

    FIELDS: ClassVar[tuple[str, ...]] = ()  # the form's field ids, in reading order
    CONFIRM_LABEL: ClassVar[str] = "Send order"
    QUESTION: ClassVar[str] = "Send this order anyway?"

    # Each form binds escape to "dismiss(None)" and ctrl+s to "submit" under its own binding ids
    # ("ticket.submit", "modify.submit"), which a trader's keymap may name.
    # Tab moves the focus before the keys typed after it are handed on: keys that arrive together
    # (typed fast over a slow link) are each given to the field focused when they arrive, so with
    # the screen's ordinary tab the price typed after it went into the quantity ("0.5", tab,
    # "95000" read 0.595000). A priority binding runs as the key is read.
    BINDINGS = [
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True, id="form.next"),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True, id="form.previous"),
    ]
    DEFAULT_CSS = """
    OrderForm { align: center middle; }
    OrderForm > #dialog {
        width: 100%; max-width: 100; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    OrderForm .heading { text-style: bold; color: $primary; height: auto; }
    OrderForm .hint { color: $text-muted; height: auto; }
    OrderForm #form { grid-size: 4; grid-columns: 12 1fr 12 1fr; grid-rows: auto; height: auto; grid-gutter: 0 1; }
    OrderForm .label { padding-top: 1; color: $text-muted; width: 100%; }
    OrderForm .label.-current { color: $text; text-style: bold reverse; }
    OrderForm Input, OrderForm Select { width: 100%; }
    OrderForm #errors { color: $error; height: auto; }
    OrderForm #figures, OrderForm #expected { height: auto; }
    OrderForm #result { height: auto; color: $warning; }
    OrderForm #buttons { height: auto; align-horizontal: right; }
    OrderForm Button { margin-left: 2; }
    OrderForm.-compact .label { padding-top: 0; }
    OrderForm.-compact Input:focus, OrderForm.-compact Checkbox:focus,
    OrderForm.-compact Select:focus > SelectCurrent { background: $accent 40%; }
    """

    def __init__(self, guards: Guards) -> None:
        super().__init__()
        self.guards = guards
        self.sending = False
        self.submitted = False  # after the first submit every message shows, empty fields too
        self._guard_verdict = False  # #result shows a guard's verdict on the values submitted
        self.touched: set[str] = set()
        self._opened: dict[str, object] = {}  # each field's value as the form opened

    # --- for the ticket and the modify form ------------------------------------------------------

    def check(self) -> FormCheck:
        raise NotImplementedError

    async def send(self, check: FormCheck) -> Outcome:
        raise NotImplementedError

    def show_figures(self, check: FormCheck) -> None:
        self.query_one("#figures", Static).update(check.terms.figures() if check.terms else "")

    def failed(self, outcome: Outcome) -> str:
        return outcome.message

    def prepare(self) -> None:
        """Fill in and focus, once mounted; what the fields then hold is 'as opened'."""

    # --- layout ----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._fit(self.app.size.width, self.app.size.height)
        self.prepare()
        self._opened = {name: self._value(name) for name in self.FIELDS}
        self.refresh_form()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        compact = width < ROOMY[0] or height < ROOMY[1]
        self.set_class(compact, "-compact")
        for widget in self.query("Input, Select, Checkbox, Button"):
            widget.compact = compact  # type: ignore[attr-defined]

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The focused field's label stands out: compact fields have no border to light up."""
        for label in self.query(".label"):
            label.set_class(label.id == f"label-{event.widget.id}", "-current")

    # --- messages as the trader types -----------------------------------------------------------

    def refresh_form(self) -> FormCheck:
        check = self.check()
        shown = {
            name: message for name, message in check.errors.items()
            if self.submitted or name in self.touched or (name == CHANGE and self.touched)
        }
        for name in self.FIELDS:
            self.query_one(f"#{name}").set_class(name in shown, "-invalid")
        errors = self.query_one("#errors", Static)
        errors.update("\n".join(shown.values()))
        errors.display = bool(shown)
        self.show_figures(check)
        return check

    def _value(self, name: str) -> object:
        return self.query_one(f"#{name}").value  # type: ignore[attr-defined]

    def _edited(self, widget: Widget) -> None:
        # Textual also reports the values a form opens with as changes: those are not edits.
        name = widget.id
        if name in self.FIELDS and name in self._opened and self._value(name) != self._opened[name]:
            self.touched.add(name)
        if self._guard_verdict:  # a refusal or "not sent" judged the values as they were
            self._guard_verdict = False
            self.query_one("#result", Static).update("")
        self.refresh_form()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        self._edited(event.input)

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._edited(event.checkbox)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        self._edited(event.select)

    # --- submitting ------------------------------------------------------------------------------

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def _submit_pressed(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.sending:
            return  # pressed twice: the first submission is still on its way
        self.submit()

    @work(exclusive=True, group="order-form-submit")
    async def submit(self) -> None:
        self.submitted = True
        check = self.refresh_form()
        result = self.query_one("#result", Static)
        if not check.ok or check.terms is None:
            result.update("")
            return
        terms = check.terms
        breaches = check_terms(self.guards, terms)
        hard = [b for b in breaches if b.hard]
        if hard:
            result.update("\n".join(["Refused: over a hard limit", *restate(terms, hard)]))
            self._guard_verdict = True
            return
        if breaches:
            lines = [*restate(terms, breaches), "", self.QUESTION]
            confirmed = await self.app.push_screen_wait(
                ConfirmScreen("Over a fat-finger limit", lines, self.CONFIRM_LABEL)
            )
            if not confirmed:
                result.update("Not sent: over " + ", ".join(b.name for b in breaches))
                self._guard_verdict = True
                return
        self.sending = True
        button = self.query_one("#submit", Button)
        button.disabled = True
        result.update("Sending…")
        try:
            outcome = await self.send(check)
        finally:
            self.sending = False
            button.disabled = False
        if outcome.ok:
            self.dismiss(outcome)
            return
        result.update(self.failed(outcome))
