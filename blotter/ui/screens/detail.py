"""`enter`: one order in full, with its activity trail, refreshed while open. Every amount is shown
exactly as the exchange sent it: no rounding to a guessed number of places."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ...api import TrueXError
from ...api.models import NS_PER_DAY, NS_PER_SECOND, Activity, Order
from ...core.format import fmt_amount, fmt_time
from ...core.reference import Catalog


RefreshOrder = Callable[[str], Awaitable[Order | None]]  # exchange id -> the order now (None: not found)
LoadActivity = Callable[[str, int], Awaitable[Sequence[Activity]]]  # (exchange id, since ns) -> its events
Fills = Callable[[str], Sequence[Any]]  # exchange id -> its fills in the trades feed (Trade or TradeRecord)


def executed_text(order: Order) -> str:
    if not order.executed_qty:
        return "nothing executed"
    return f"{fmt_amount(order.executed_qty)} at avg {fmt_amount(order.executed_vwap)}"


class DetailScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss(None)", "Close", id="detail.close")]
    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > Vertical {
        width: 100%; max-width: 110; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    DetailScreen .heading { text-style: bold; color: $primary; }
    DetailScreen #fields { height: auto; max-height: 65%; }
    DetailScreen #trail-title { text-style: bold; }
    DetailScreen DataTable { height: 1fr; min-height: 3; }
    """

    def __init__(
        self,
        order: Order,
        catalog: Catalog,
        *,
        refresh_order: RefreshOrder,
        load_activity: LoadActivity,
        fills: Fills | None = None,
        refresh_seconds: float = 2.0,
    ) -> None:
        super().__init__()
        self.order = order
        self.catalog = catalog
        self.refresh_order = refresh_order
        self.load_activity = load_activity
        self.fills = fills
        self.refresh_seconds = refresh_seconds

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", classes="heading", id="heading", markup=False)
            with VerticalScroll(id="fields"):
                yield Static("", id="body", markup=False)
            yield Static("Activity", id="trail-title")
            yield DataTable(id="trail", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Time", "Message", "Side", "Price", "Qty")
        self.show_order(self.order)
        self.load()
        self.set_interval(self.refresh_seconds, self.load, name="detail-refresh")

    def show_order(self, order: Order) -> None:
        self.order = order
        info = order.order_info
        symbol = self.catalog.symbol(info.instrument_id)
        self.query_one("#heading", Static).update(
            f"{info.side} {symbol} · {order.status} · order {order.id}    (esc, enter or q closes)"
        )
        was = f"  (was {order.ref_external_id})" if order.ref_external_id else ""
        flags = ", ".join(info.exec_inst_flags or []) or "-"
        lines = [
            f"external id      {order.external_id or ''}{was}",
            f"client           {info.client_id or ''}",
            f"type / tif       {info.type or ''} / {info.tif or ''}    flags {flags}"
            f"    stp {info.stp or 'client setting'}",
            f"price            {fmt_amount(info.price) or 'market'}",
            f"quantity         {fmt_amount(info.qty)}    pending {fmt_amount(order.pending_qty)}"
            f"    leaves {fmt_amount(order.leaves_qty)}",
            f"executed         {executed_text(order)}",
            f"created          {fmt_time(order.timestamp, with_date=True) or '-'}"
            f"    updated {fmt_time(order.update_timestamp, with_date=True) or '-'}",
            f"msg / parent     {info.msg_id or '-'} / {info.parent_id or '-'}",
        ]
        modify = order.modify_info
        if modify is not None:
            lines.append(
                f"modified         price {fmt_amount(modify.new_price) or '-'} · quantity {fmt_amount(modify.new_qty) or '-'}"
                f" · type {modify.new_type or '-'} · msg id {modify.msg_id or '-'}"
            )
        lines.extend(self._fill_lines())
        self.query_one("#body", Static).update("\n".join(lines))

    def _fill_lines(self) -> list[str]:
        """Its fills from the trades feed (the last 24 h): the done order's story in amounts."""
        if self.fills is None:
            return []
        fills = self.fills(self.order.id)
        if not fills:
            return ["fills            none in the trades of the last 24 h"]
        lines = [f"fills ({len(fills)})"]
        for fill in fills:
            fee = fmt_amount(fill.fee) if fill.fee is not None else "unknown"
            lines.append(f"  {fmt_time(fill.timestamp, with_date=True) or '-'}  {fill.side or ''} "
                         f"{fmt_amount(fill.trade_qty)} at {fmt_amount(fill.trade_price)}  fee {fee}  "
                         f"{fill.liq_flag or ''}")
        return lines

    @work(exclusive=True, group="detail")
    async def load(self) -> None:
        try:
            current = await self.refresh_order(self.order.id)
            if current is not None:
                self.show_order(current)
            since = self.order.timestamp or time.time_ns() - NS_PER_DAY + NS_PER_SECOND
            trail = await self.load_activity(self.order.id, since)
        except TrueXError as error:
            self.query_one("#trail-title", Static).update(f"Activity (refresh failed: {error})")
            return
        table = self.query_one(DataTable)
        rows = sorted(trail, key=lambda a: a.timestamp)
        if table.row_count == len(rows):
            return  # nothing new: leave the table (and its cursor) alone
        table.clear()
        for activity in rows:
            table.add_row(fmt_time(activity.timestamp), str(activity.msg_type), str(activity.side),
                          fmt_amount(activity.order_price), fmt_amount(activity.order_qty))
        self.query_one("#trail-title", Static).update(f"Activity ({len(rows)})")
