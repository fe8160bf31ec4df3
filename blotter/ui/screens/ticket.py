"""The order ticket: a modal form that validates as the trader types and never loses what was typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static

from ...core.fat_finger import check_guards
from ...core.format import fmt_decimal
from ...core.order_actions import Outcome, OutcomeKind
from ...core.order_ticket import TicketInput, check_ticket, new_external_id, prefill_price
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from ..app import BlotterApp

STP_CHOICES = [("client setting", ""), ("NONE", "NONE"), ("CANCEL_AGGRESSIVE", "CANCEL_AGGRESSIVE"),
               ("CANCEL_BOTH", "CANCEL_BOTH")]
KEEP_OPEN = {
    OutcomeKind.REJECTED: "Rejected by the exchange",
    OutcomeKind.NOT_SENT: "Not sent (the exchange was not reached); you can submit again",
    OutcomeKind.ABSENT: "Not placed (checked with the exchange); submit again to retry with the same external id",
    OutcomeKind.UNKNOWN: "Outcome unknown: check the blotter. A resubmit keeps this external id, so it cannot "
                         "create a second order",
}


class TicketScreen(ModalScreen[Outcome | None]):
    """`n`: a new order. Dismisses with the `Outcome` once the exchange has the order."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="ticket.close"),
        Binding("ctrl+s", "submit", "Submit", id="ticket.submit"),
    ]
    DEFAULT_CSS = """
    TicketScreen { align: center middle; }
    TicketScreen > Vertical {
        width: 84; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    TicketScreen .heading { text-style: bold; color: $primary; height: 1; }
    TicketScreen Grid { grid-size: 4; grid-columns: 10 1fr 10 1fr; grid-rows: auto; height: auto; grid-gutter: 0 1; }
    TicketScreen .label { padding-top: 1; color: $text-muted; }
    TicketScreen Input, TicketScreen Select { width: 100%; }
    TicketScreen .error { color: $error; height: auto; }
    TicketScreen #figures { height: 1; margin-top: 1; }
    TicketScreen #result { height: auto; color: $warning; }
    TicketScreen Horizontal { height: auto; align-horizontal: right; }
    TicketScreen Button { margin-left: 2; }
    """

    def __init__(self, instrument: str | None = None, side: str = "BUY") -> None:
        super().__init__()
        self.initial_instrument = instrument
        self.initial_side = side
        self.sending = False

    @property
    def blotter(self) -> BlotterApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        app = self.blotter
        symbols = sorted(i.symbol for i in app.catalog.instruments.values())
        first = self.initial_instrument if self.initial_instrument in symbols else (symbols[0] if symbols else None)
        with Vertical():
            yield Static("New order", classes="heading")
            with Grid():
                yield Static("Instrument", classes="label")
                yield Select([(s, s) for s in symbols], value=first or Select.NULL, allow_blank=False, id="instrument")
                yield Static("Side", classes="label")
                yield Select([("BUY", "BUY"), ("SELL", "SELL")], value=self.initial_side, allow_blank=False, id="side")
                yield Static("Type", classes="label")
                yield Select([("LIMIT", "LIMIT"), ("MARKET", "MARKET")], value="LIMIT", allow_blank=False, id="type")
                yield Static("TIF", classes="label")
                yield Select([("GTC", "GTC"), ("IOC", "IOC")], value="GTC", allow_blank=False, id="tif")
                yield Static("Quantity", classes="label")
                yield Input(placeholder="base quantity", id="qty")
                yield Static("Price", classes="label")
                yield Input(placeholder="limit price", id="price")
                yield Static("STP", classes="label")
                yield Select(STP_CHOICES, value="", allow_blank=False, id="stp")
                yield Static("", classes="label")
                yield Checkbox("Post-only (ALO)", id="post_only")
                yield Static("Client", classes="label")
                yield Input(app.client_id or "", id="client_id")
                yield Static("Ext. id", classes="label")
                yield Input(new_external_id(), id="external_id")
            yield Static("", id="errors", classes="error", markup=False)
            yield Static("", id="figures", markup=False)
            yield Static("", id="result", markup=False)
            with Horizontal():
                yield Button("Close (esc)", id="close")
                yield Button("Submit (ctrl+s)", id="submit", variant="primary")

    def on_mount(self) -> None:
        self._prefill_price()
        self.query_one("#qty", Input).focus()
        self._refresh_figures()

    # --- reading and showing -------------------------------------------------------------------

    def read_form(self) -> TicketInput:
        def select(name: str) -> str:
            value = self.query_one(f"#{name}", Select).value
            return "" if value is Select.NULL else str(value)

        return TicketInput(
            instrument=select("instrument"),
            side=select("side"),
            type=select("type"),
            tif=select("tif"),
            qty=self.query_one("#qty", Input).value,
            price=self.query_one("#price", Input).value,
            post_only=self.query_one("#post_only", Checkbox).value,
            stp=select("stp"),
            client_id=self.query_one("#client_id", Input).value,
            external_id=self.query_one("#external_id", Input).value,
        )

    def _check(self):
        return check_ticket(self.read_form(), self.blotter.catalog, self.blotter.latest_quotes())

    def _prefill_price(self) -> None:
        form = self.read_form()
        instrument = self.blotter.catalog.by_symbol(form.instrument)
        price_box = self.query_one("#price", Input)
        price_box.disabled = form.type == "MARKET"
        if form.type == "MARKET":
            price_box.value = ""
            return
        if instrument is None:
            return
        price = prefill_price(self.blotter.latest_quotes().get(instrument.id), form.side)
        if price is not None:
            price_box.value = fmt_decimal(price, self.blotter.catalog.price_places(instrument.id), grouping=False)

    def _refresh_figures(self) -> None:
        check = self._check()
        instrument = self.blotter.catalog.by_symbol(self.read_form().instrument)
        parts = []
        if check.notional is not None and instrument is not None:
            quote_name = self.blotter.catalog.asset_name(instrument.info.quote_asset_id)
            parts.append(f"Notional {fmt_decimal(check.notional, 2)} {quote_name}")
        if check.mid is not None and instrument is not None:
            parts.append(f"mid {fmt_decimal(check.mid, self.blotter.catalog.price_places(instrument.id) + 1)}")
        if check.distance_pct is not None:
            where = "above" if check.distance_pct > 0 else "below"
            parts.append(f"{fmt_decimal(abs(check.distance_pct), 2)}% {where} mid")
        self.query_one("#figures", Static).update(" · ".join(parts))

    def show_errors(self, errors: dict[str, str]) -> None:
        for name in ("qty", "price", "client_id", "external_id"):
            self.query_one(f"#{name}", Input).set_class(name in errors, "-invalid")
        text = "\n".join(f"{name.replace('_', ' ')}: {message}" for name, message in errors.items())
        self.query_one("#errors", Static).update(text)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("instrument", "side", "type"):
            self._prefill_price()
        self._refresh_figures()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        self._refresh_figures()

    # --- submitting ----------------------------------------------------------------------------

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Input.Submitted)
    def _enter_in_field(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.sending:
            return  # pressed twice: the first submission is still on its way
        self.submit()

    @work(exclusive=True, group="ticket-submit")
    async def submit(self) -> None:
        check = self._check()
        self.show_errors(check.errors)
        result = self.query_one("#result", Static)
        if not check.ok or check.order is None:
            result.update("")
            return
        breaches = check_guards(
            self.blotter.settings.guards, qty=check.qty, notional=check.notional, distance_pct=check.distance_pct
        )
        hard = [b for b in breaches if b.hard]
        if hard:
            result.update("Refused: " + "; ".join(b.message for b in hard))
            return
        if breaches:
            lines = [b.message for b in breaches] + ["", "Send this order anyway?"]
            confirmed = await self.app.push_screen_wait(ConfirmScreen("Over a fat-finger limit", lines, "Send order"))
            if not confirmed:
                result.update("Not sent: over " + ", ".join(b.name for b in breaches))
                return
        self.sending = True
        self.query_one("#submit", Button).disabled = True
        result.update("Sending…")
        try:
            outcome = await self.blotter.order_service.submit(check.order)
        finally:
            self.sending = False
            self.query_one("#submit", Button).disabled = False
        if outcome.ok:
            self.dismiss(outcome)
            return
        result.update(f"{KEEP_OPEN[outcome.kind]}: {outcome.message}")

