"""`enter`: one order in full, with its activity trail, refreshed while open."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ...api import TrueXError
from ...api.models import NS_PER_SECOND, Order
from ...core.format import fmt_decimal, fmt_time

if TYPE_CHECKING:
    from ..app import BlotterApp

DAY_NS = 24 * 3600 * NS_PER_SECOND


class DetailScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss(None)", "Close", id="detail.close")]
    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > Vertical { width: 96; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    DetailScreen .heading { text-style: bold; color: $primary; }
    DetailScreen #fields { height: auto; max-height: 60%; }
    DetailScreen #trail-title { margin-top: 1; text-style: bold; }
    DetailScreen DataTable { height: 1fr; }
    """

    def __init__(self, order: Order, refresh_seconds: float = 2.0) -> None:
        super().__init__()
        self.order = order
        self.refresh_seconds = refresh_seconds

    @property
    def blotter(self) -> BlotterApp:
        return self.app  # type: ignore[return-value]

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
        self.load_activity()
        self.set_interval(self.refresh_seconds, self.load_activity, name="detail-refresh")

    def show_order(self, order: Order) -> None:
        self.order = order
        catalog = self.blotter.catalog
        info = order.order_info
        pp, qp = catalog.price_places(info.instrument_id), catalog.qty_places(info.instrument_id)
        symbol = catalog.symbol(info.instrument_id)
        self.query_one("#heading", Static).update(f"{info.side} {symbol} · {order.status} · order {order.id}")
        lines = [
            f"external id      {order.external_id or ''}" + (f"  (was {order.ref_external_id})" if order.ref_external_id else ""),
            f"client           {info.client_id or ''}",
            f"type / tif       {info.type or ''} / {info.tif or ''}    flags {', '.join(info.exec_inst_flags or []) or '-'}"
            f"    stp {info.stp or 'client setting'}",
            f"price            {fmt_decimal(info.price, pp)}",
            f"quantity         {fmt_decimal(info.qty, qp)}",
            f"pending          {fmt_decimal(order.pending_qty, qp)}",
            f"leaves           {fmt_decimal(order.leaves_qty, qp)}",
            f"executed         {fmt_decimal(order.executed_qty, qp)} at avg {fmt_decimal(order.executed_vwap, pp + 2)}",
            f"created          {fmt_time(order.timestamp, with_date=True)}",
            f"updated          {fmt_time(order.update_timestamp, with_date=True)}",
            f"msg / parent     {info.msg_id or '-'} / {info.parent_id or '-'}",
        ]
        modify = order.modify_info
        if modify is not None:
            lines += [
                "",
                "modified",
                f"  new price      {fmt_decimal(modify.new_price, pp) or '-'}",
                f"  new quantity   {fmt_decimal(modify.new_qty, qp) or '-'}",
                f"  new type       {modify.new_type or '-'}",
                f"  msg id         {modify.msg_id or '-'}",
            ]
        self.query_one("#body", Static).update("\n".join(lines))

    @work(exclusive=True, group="detail")
    async def load_activity(self) -> None:
        client = self.blotter.client
        try:
            status = await client.order_status(self.order.id)
            if status.items:
                self.show_order(status.items[0])
            since = self.order.timestamp or time.time_ns() - DAY_NS + NS_PER_SECOND
            trail = await client.all_activity(since, order_ids=[self.order.id])
        except TrueXError as error:
            self.query_one("#trail-title", Static).update(f"Activity (refresh failed: {error})")
            return
        catalog = self.blotter.catalog
        pp, qp = catalog.price_places(self.order.order_info.instrument_id), catalog.qty_places(
            self.order.order_info.instrument_id
        )
        table = self.query_one(DataTable)
        rows = sorted(trail.items, key=lambda a: a.timestamp)
        if table.row_count == len(rows):
            return  # nothing new: leave the table (and its cursor) alone
        table.clear()
        for activity in rows:
            table.add_row(fmt_time(activity.timestamp), str(activity.msg_type), str(activity.side),
                          fmt_decimal(activity.order_price, pp), fmt_decimal(activity.order_qty, qp))
        self.query_one("#trail-title", Static).update(f"Activity ({len(rows)})")
