"""Modify an order: its quantity and price, opened with the current values to edit in place.
Both are sent (the unchanged one at its current value)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Protocol

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Input, Static

from ...api.models import MarketQuote, Order
from ...config import Guards
from ...core.order_actions import Outcome
from ...core.format import fmt_amount
from ...core.order_ticket import LABELS, ModifyCheck, check_modify
from ...core.reference import Catalog
from ..widgets.in_order_input import InOrderInput
from .order_form import FormCheck, OrderForm

HINT = "Focus starts in Quantity; edit in place. tab / shift+tab: next / previous; ctrl+s sends; esc closes."


class SendModify(Protocol):
    """`OrderService.modify` fits."""

    def __call__(self, order: Order, *, new_qty: Decimal | None, new_price: Decimal | None) -> Awaitable[Outcome]: ...


class ModifyScreen(OrderForm):
    """`m`: dismisses with the `Outcome` once the exchange has taken the modify."""

    FIELDS = ("qty", "price")
    CONFIRM_LABEL = "Modify"
    QUESTION = "Modify anyway?"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="modify.close"),
        Binding("ctrl+s", "submit", "Submit", id="modify.submit"),
    ]
    DEFAULT_CSS = """
    ModifyScreen > #dialog { max-width: 80; }
    ModifyScreen #form { grid-size: 2; grid-columns: 12 1fr; }
    """

    def __init__(
        self,
        order: Order,
        catalog: Catalog,
        quote: Callable[[], MarketQuote | None],
        guards: Guards,
        send: SendModify,
    ) -> None:
        super().__init__(guards)
        self.order = order
        self.catalog = catalog
        self.quote = quote
        self.send_modify = send

    def compose(self) -> ComposeResult:
        order, info = self.order, self.order.order_info
        symbol = self.catalog.symbol(info.instrument_id)
        now = f"{fmt_amount(order.qty)} at {fmt_amount(order.price) if order.price is not None else 'MARKET'}"
        filled = f"filled {fmt_amount(order.executed_qty)}" if order.executed_qty else "nothing filled"
        with Vertical(id="dialog"):
            yield Static(f"Modify {info.side} {symbol}: now {now}, {filled}", classes="heading", markup=False)
            yield Static(f"order {order.id} · ext {order.external_id or '-'} · {order.status}", classes="hint",
                         markup=False)
            yield Static(HINT, classes="hint")
            with Grid(id="form"):
                yield Static(LABELS["qty"], id="label-qty", classes="label")
                yield InOrderInput(fmt_amount(order.qty, grouping=False), placeholder="new quantity", id="qty")
                yield Static(LABELS["price"], id="label-price", classes="label")
                yield InOrderInput(fmt_amount(order.price, grouping=False), placeholder="new price", id="price",
                            disabled=order.price is None)
            yield Static("", id="errors", markup=False)
            yield Static("", id="figures", markup=False)
            yield Static("", id="result", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close (esc)", id="close")
                yield Button("Modify (ctrl+s)", id="submit", variant="primary")

    def prepare(self) -> None:
        self.query_one("#qty", Input).focus()

    def check(self) -> ModifyCheck:
        return check_modify(self.order, self.query_one("#qty", Input).value, self.query_one("#price", Input).value,
                            self.catalog, self.quote())

    async def send(self, check: FormCheck) -> Outcome:
        assert isinstance(check, ModifyCheck)
        return await self.send_modify(self.order, new_qty=check.qty, new_price=check.price)
