"""`a` on a quote: set a price alert on that instrument. The trader types the rule ("> 97000",
"below 3400.5 last"); a line under it says, as they type, what the alert will do or what is wrong.
enter sets it, esc closes. The dialog is given everything it shows (symbol, the mid and last trade
now, the alerts already set there) and dismisses with the parsed `AlertSpec` (None: closed); the
caller adds it to its `AlertBook`. A rule that does not parse keeps what was typed and says why."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ...core.alerts import AlertInputError, AlertSpec, Direction, Reference, parse_alert
from ...core.format import fmt_amount, fmt_derived
from ..widgets.in_order_input import InOrderInput

HINT = ("Type > or < (above / below) and a level; add last to watch the last trade.\n"
        "e.g. > 97000 · below 3,400.5 last · enter sets · esc closes")
NO_PRICE = {Reference.MID: "no mid", Reference.LAST: "no last trade"}


def price_text(reference: Reference, price: Decimal | None) -> str:
    """Exactly: the mid is worked out (bid + ask) / 2, so shown without arithmetic's trailing zeros;
    the last trade as the exchange sent it. Words, never 0, when there is none."""
    if price is None:
        return NO_PRICE[reference]
    return fmt_derived(price) if reference is Reference.MID else fmt_amount(price)


def now_text(mid: Decimal | None, last: Decimal | None) -> str:
    """'Now: mid 96,999.5 · last 97,001.50', or 'Now: no mid · no last trade'."""
    parts = [NO_PRICE[reference] if price is None else f"{reference} {price_text(reference, price)}"
             for reference, price in ((Reference.MID, mid), (Reference.LAST, last))]
    return "Now: " + " · ".join(parts)


def preview(name: str, spec: AlertSpec, price: Decimal | None) -> str:
    """'Alert when BTC-PYUSD mid goes above 97,000 (now 96,999.5)'; says so when the price is
    already at or beyond the level (such an alert fires on the next poll)."""
    line = f"Alert when {name} {spec.reference} goes {spec.direction} {fmt_derived(spec.level)}"
    if price is None:
        return f"{line} ({NO_PRICE[spec.reference]} now)"
    now = price_text(spec.reference, price)
    beyond = price >= spec.level if spec.direction is Direction.ABOVE else price <= spec.level
    if beyond:
        where = "at" if price == spec.level else f"already {spec.direction}"
        return f"{line} (now {now}: {where} it, so it fires on the next poll)"
    return f"{line} (now {now})"


class AlertDialog(ModalScreen[AlertSpec | None]):
    """Dismisses with the `AlertSpec` typed, or None when closed."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="alert.close")]
    DEFAULT_CSS = """
    AlertDialog { align: center middle; }
    AlertDialog > #dialog {
        width: 100%; max-width: 84; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AlertDialog .heading { text-style: bold; color: $primary; height: auto; }
    AlertDialog #prices { height: auto; }
    AlertDialog .hint { color: $text-muted; height: auto; }
    AlertDialog #rule { width: 100%; }
    AlertDialog #preview { height: auto; }
    AlertDialog #preview.-empty { color: $text-muted; }
    AlertDialog #preview.-error { color: $error; }
    AlertDialog #existing { height: auto; max-height: 8; }
    AlertDialog #existing-title { color: $text-muted; margin-top: 1; }
    AlertDialog #buttons { height: auto; align-horizontal: right; }
    AlertDialog Button { margin-left: 2; }
    """

    def __init__(
        self,
        symbol: str,
        instrument_id: str,
        mid: Decimal | None,
        last: Decimal | None,
        *,
        existing: Sequence[str] = (),
        text: str = "",
    ) -> None:
        super().__init__()
        self.symbol = symbol
        self.instrument_id = instrument_id
        self.prices = {Reference.MID: mid, Reference.LAST: last}
        self.existing = list(existing)
        self.prefill = text
        self.submitted = False  # after enter, an empty rule is an error, not a hint

    @property
    def name_shown(self) -> str:
        return self.symbol or self.instrument_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Price alert on {self.name_shown}", classes="heading", markup=False)
            yield Static(now_text(self.prices[Reference.MID], self.prices[Reference.LAST]), id="prices",
                         markup=False)
            yield Static(HINT, classes="hint", markup=False)
            yield InOrderInput(self.prefill, placeholder="> 97000", id="rule", select_on_focus=False)
            yield Static("", id="preview", markup=False)
            if self.existing:
                yield Static(f"Already set on {self.name_shown}:", id="existing-title", markup=False)
                with VerticalScroll(id="existing"):
                    yield Static("\n".join(self.existing), id="existing-list", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close (esc)", id="close", compact=True)
                yield Button("Set alert (enter)", id="set", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#rule", Input).focus()
        self.refresh_preview()

    # --- as the trader types -------------------------------------------------------------------

    def check(self) -> AlertSpec | AlertInputError:
        try:
            return parse_alert(self.query_one("#rule", Input).value)
        except AlertInputError as error:
            return error

    def refresh_preview(self) -> AlertSpec | None:
        """Shows what the rule will do, or why it cannot; the spec when it is good."""
        result = self.check()
        shown = self.query_one("#preview", Static)
        empty = not self.query_one("#rule", Input).value.strip() and not self.submitted
        if isinstance(result, AlertSpec):
            shown.update(preview(self.name_shown, result, self.prices[result.reference]))
        elif empty:
            shown.update("Type a direction and a level")
        else:
            shown.update(str(result))
        bad = isinstance(result, AlertInputError)
        shown.set_class(bad and not empty, "-error")
        shown.set_class(empty, "-empty")
        self.query_one("#rule", Input).set_class(bad and not empty, "-invalid")
        return result if isinstance(result, AlertSpec) else None

    @on(Input.Changed, "#rule")
    def _changed(self) -> None:
        self.refresh_preview()

    # --- setting ---------------------------------------------------------------------------------

    @on(Input.Submitted, "#rule")
    @on(Button.Pressed, "#set")
    def _set_pressed(self) -> None:
        self.action_set()

    def action_set(self) -> None:
        """enter: dismiss with the spec; a bad rule stays, with its error shown."""
        self.submitted = True
        spec = self.refresh_preview()
        if spec is None:
            self.query_one("#rule", Input).focus()
            return
        self.dismiss(spec)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
