"""Modify an order: new price and/or new quantity, with the current values shown."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ...api.models import Order
from ...core.fat_finger import check_guards
from ...core.format import fmt_decimal
from ...core.order_actions import Outcome
from ...core.order_ticket import check_increment, mid_price, parse_amount
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from ..app import BlotterApp


class ModifyScreen(ModalScreen[Outcome | None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="modify.close"),
        Binding("ctrl+s", "submit", "Submit", id="modify.submit"),
    ]
    DEFAULT_CSS = """
    ModifyScreen { align: center middle; }
    ModifyScreen > Vertical { width: 72; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    ModifyScreen .heading { text-style: bold; color: $primary; }
    ModifyScreen Grid { grid-size: 3; grid-columns: 12 1fr 1fr; grid-rows: auto; height: auto; grid-gutter: 0 1; }
    ModifyScreen .label { padding-top: 1; color: $text-muted; }
    ModifyScreen .current { padding-top: 1; }
    ModifyScreen .error { color: $error; height: auto; }
    ModifyScreen #result { color: $warning; height: auto; }
    ModifyScreen Horizontal { height: auto; align-horizontal: right; }
    ModifyScreen Button { margin-left: 2; }
    """

    def __init__(self, order: Order) -> None:
        super().__init__()
        self.order = order
        self.sending = False

    @property
    def blotter(self) -> BlotterApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        catalog = self.blotter.catalog
        instrument_id = self.order.order_info.instrument_id
        pp, qp = catalog.price_places(instrument_id), catalog.qty_places(instrument_id)
        symbol = catalog.symbol(instrument_id)
        with Vertical():
            yield Static(
                f"Modify {self.order.order_info.side} {symbol}  ·  order {self.order.id}  ·  {self.order.external_id}",
                classes="heading", markup=False,
            )
            with Grid():
                yield Static("", classes="label")
                yield Static("Current", classes="label")
                yield Static("New (blank: unchanged)", classes="label")
                yield Static("Price", classes="label")
                yield Static(fmt_decimal(self.order.price, pp), classes="current")
                yield Input(placeholder=fmt_decimal(self.order.price, pp, grouping=False), id="new_price")
                yield Static("Quantity", classes="label")
                yield Static(f"{fmt_decimal(self.order.qty, qp)} (filled {fmt_decimal(self.order.executed_qty, qp)})",
                             classes="current")
                yield Input(placeholder=fmt_decimal(self.order.qty, qp, grouping=False), id="new_qty")
            yield Static("", id="errors", classes="error", markup=False)
            yield Static("", id="result", markup=False)
            with Horizontal():
                yield Button("Close (esc)", id="close")
                yield Button("Modify (ctrl+s)", id="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#new_price", Input).focus()

    def validate(self) -> tuple[dict[str, str], Decimal | None, Decimal | None]:
        catalog = self.blotter.catalog
        instrument_id = self.order.order_info.instrument_id
        symbol = catalog.symbol(instrument_id)
        errors: dict[str, str] = {}
        values: dict[str, Decimal | None] = {"new_price": None, "new_qty": None}
        increments = {"new_price": catalog.price_increment(instrument_id), "new_qty": catalog.qty_increment(instrument_id)}
        for name in values:
            text = self.query_one(f"#{name}", Input).value
            if not text.strip():
                continue
            try:
                value = parse_amount(text)
            except ValueError as exc:
                errors[name] = str(exc)
                continue
            problem = check_increment(value, increments[name], symbol)
            if problem:
                errors[name] = problem
            values[name] = value
        if values["new_qty"] is not None and values["new_qty"] <= self.order.executed_qty:
            errors["new_qty"] = "must be more than the quantity already filled"
        if not errors and values["new_price"] is None and values["new_qty"] is None:
            errors["new_price"] = "give a new price, a new quantity, or both"
        return errors, values["new_price"], values["new_qty"]

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def _submit(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if not self.sending:
            self.submit()

    @work(exclusive=True, group="modify-submit")
    async def submit(self) -> None:
        errors, new_price, new_qty = self.validate()
        self.query_one("#errors", Static).update(
            "\n".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items())
        )
        result = self.query_one("#result", Static)
        if errors:
            return
        price = new_price if new_price is not None else self.order.price
        qty = new_qty if new_qty is not None else self.order.qty
        mid = mid_price(self.blotter.latest_quotes().get(self.order.order_info.instrument_id or ""))
        distance = (price - mid) / mid * 100 if price is not None and mid else None
        notional = price * qty if price is not None and qty is not None else None
        breaches = check_guards(self.blotter.settings.guards, qty=qty, notional=notional, distance_pct=distance)
        if any(b.hard for b in breaches):
            result.update("Refused: " + "; ".join(b.message for b in breaches if b.hard))
            return
        if breaches:
            lines = [b.message for b in breaches] + ["", "Modify anyway?"]
            if not await self.app.push_screen_wait(ConfirmScreen("Over a fat-finger limit", lines, "Modify")):
                result.update("Not sent")
                return
        self.sending = True
        result.update("Sending…")
        try:
            outcome = await self.blotter.order_service.modify(self.order, new_qty=new_qty, new_price=new_price)
        finally:
            self.sending = False
        if outcome.ok:
            self.dismiss(outcome)
        else:
            result.update(outcome.message)
