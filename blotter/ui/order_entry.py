"""The blotter's order actions (n, m, c, C, enter) and the toasts that report what happened.

Kept apart from `app.py` so the dashboard stays about watching; this module is about acting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from ..api import TrueXError
from ..api.models import Activity, MarketQuote, Order, OrderStatus, Trade
from ..config import state_dir
from ..core.audit_trail import AuditLog
from ..core.format import fmt_amount
from ..core.order_actions import CancelAllReport, OrderService, Outcome, OutcomeKind
from .screens.confirm import ConfirmScreen
from .screens.detail import DetailScreen
from .screens.modify import ModifyScreen
from .screens.ticket import TicketScreen
from .widgets.bars import EventLine

if TYPE_CHECKING:
    from .app import BlotterApp

LOCAL_GRACE_SECONDS = 5.0  # how long an order we just sent is kept on screen before a poll lists it
TOAST_BATCH_SECONDS = 5.0  # fills (or cancels) seen within this window share one toast
TOAST_LINES = 3
TOAST_TITLES = {"fill": ("Fill", "{n} fills"), "cancel": ("Canceled", "{n} orders canceled")}


class OrderEntry:
    """Mixed into `BlotterApp`."""

    audit_path: Path | None = None
    toast_batch_seconds = TOAST_BATCH_SECONDS
    _gone_queue: asyncio.Queue[list[str]] | None = None

    def notify(self, message: str, *, title: str = "", severity: str = "information",  # type: ignore[override]
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts are plain text: they carry server strings (problem details, ids) that must never
        be read as markup ('[/x]' would crash the render, '[@click=...]' would run an action)."""
        # One toast at a time: a stack of them climbs over the panes. The events line keeps the record.
        self.clear_notifications()  # type: ignore[attr-defined]
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)  # type: ignore[misc]

    @cached_property
    def order_service(self: BlotterApp) -> OrderService:  # type: ignore[misc]
        return OrderService(self.client, AuditLog(self.audit_path or state_dir() / "audit.jsonl"))

    def latest_quotes(self: BlotterApp) -> dict[str, MarketQuote]:  # type: ignore[misc]
        return {row.quote.id: row.quote for row in self.stores["quotes"].items.values()}

    def visible_open_orders(self: BlotterApp) -> list[Order]:  # type: ignore[misc]
        """The open orders in the orders pane as the trader sees it: filtered, for this client."""
        store = self.stores["orders"]
        client_id = self.client_id
        return [
            order for key in store.view
            if (order := store.items[key]).is_open and order.status != OrderStatus.CANCEL_PENDING
            and (client_id is None or order.order_info.client_id in (None, client_id))
        ]

    # --- actions --------------------------------------------------------------------------------

    def _order_to_act_on(self: BlotterApp, key: str) -> Order | None:  # type: ignore[misc]
        """The selected order, only when it is on screen; a selection scrolled out of view is
        first brought back and the trader asked to press the key again."""
        order = self.selected_order
        if order is None:
            if self.reveal_selected_order():
                self.notify(f"The selected order was off screen; it is shown now. Press {key} again to act on it.",
                            severity="warning", timeout=5)
            else:
                self.notify("No order selected: choose one in the orders pane (1, then ↑ ↓)", severity="warning")
        return order

    def action_new_order(self: BlotterApp) -> None:  # type: ignore[misc]
        if not self.catalog.instruments:
            self.notify("Instruments are not loaded yet", severity="warning")
            return
        instrument_id = self.focused_instrument()  # the focused pane's selected quote, order or trade
        symbol = self.catalog.symbol(instrument_id) if instrument_id else None
        client = self.client
        ticket = TicketScreen(
            self.catalog, self.latest_quotes, self.settings.guards, self.order_service.submit,
            client_id=self.client_id or "", instrument=symbol,
            vwap_quote=lambda instrument_id, side, qty: client.vwap_quote(instrument_id, qty, side=side,
                                                                          qty_unit="BASE"),
        )
        self.push_screen(ticket, self._order_done)

    def action_modify_order(self: BlotterApp) -> None:  # type: ignore[misc]
        order = self._order_to_act_on("m")
        if order is None:
            return
        if order.status != OrderStatus.ACTIVE:
            self.notify(f"Only an ACTIVE order can be modified; this one is {order.status}", severity="warning")
            return
        instrument_id = order.order_info.instrument_id or ""
        modify = ModifyScreen(order, self.catalog, lambda: self.latest_quotes().get(instrument_id),
                              self.settings.guards, self.order_service.modify)
        self.push_screen(modify, self._order_done)

    def action_order_detail(self: BlotterApp) -> None:  # type: ignore[misc]
        order = self._order_to_act_on("enter")
        if order is None:
            return
        client = self.client

        async def refresh_order(order_id: str) -> Order | None:
            found = await client.order_status(order_id)
            return next((o for o in found.items if o.id == order_id), None)

        async def load_activity(order_id: str, since: int) -> list[Activity]:
            return (await client.all_activity(since, order_ids=[order_id])).items

        self.push_screen(DetailScreen(order, self.catalog, refresh_order=refresh_order, load_activity=load_activity))

    @work(exclusive=True, group="order-cancel", exit_on_error=False)
    async def action_cancel_order(self: BlotterApp) -> None:  # type: ignore[misc]
        order = self._order_to_act_on("c")
        if order is None:
            return
        if not order.is_open:
            self.notify(f"This order is {order.status}: nothing to cancel", severity="warning")
            return
        symbol = self.catalog.symbol(order.order_info.instrument_id)
        price = f"at {fmt_amount(order.price)}" if order.price is not None else "at MARKET"
        lines = [
            f"{order.order_info.side} {fmt_amount(order.leaves_qty or order.qty)} {symbol} {price}",
            f"order {order.id} · {order.external_id}",
        ]
        if not await self.push_screen_wait(ConfirmScreen("Cancel this order?", lines, "Cancel order")):
            return
        self._order_done(await self.order_service.cancel(order))

    @work(exclusive=True, group="order-cancel", exit_on_error=False)
    async def action_cancel_all(self: BlotterApp) -> None:  # type: ignore[misc]
        orders = self.visible_open_orders()
        if not orders:
            self.notify("No open orders in the current view", severity="warning")
            return
        symbols = sorted({self.catalog.symbol(o.order_info.instrument_id) for o in orders})
        store = self.stores["orders"]
        lines = [
            f"{len(orders)} open order(s) in {', '.join(symbols)}",
            f"client {self.client_id or '-'}" + (f" · filter: {store.filter_text!r}" if store.filter_text else ""),
        ]
        if not await self.push_screen_wait(ConfirmScreen(f"Cancel {len(orders)} orders?", lines, "Cancel all")):
            return
        results = await self.order_service.cancel_all(orders)
        for _order, outcome in results:
            if outcome.ok and outcome.order is not None:
                self._show_local(outcome.order)
        report = CancelAllReport.of(results)
        severity = "error" if report.failed else "warning" if report.gone else "information"
        self.notify("\n".join(report.lines()), title="Cancel all", severity=severity,
                    timeout=15 if report.failed or report.gone else 6)

    # --- results and toasts ---------------------------------------------------------------------

    def _order_done(self: BlotterApp, outcome: Outcome | None) -> None:  # type: ignore[misc]
        if outcome is None:
            return
        if outcome.order is not None and outcome.ok:
            self._show_local(outcome.order)
        severity = "information" if outcome.ok else "warning" if outcome.kind is OutcomeKind.GONE else "error"
        self.notify(outcome.message, severity=severity, timeout=6 if outcome.ok else 12)

    def _show_local(self: BlotterApp, order: Order) -> None:  # type: ignore[misc]
        """Show the exchange's answer at once; the next poll reconciles it."""
        self._ours.update(ref for ref in (order.id, order.external_id) if ref)
        self._local_orders[order.id] = (order, self.clock.monotonic())
        self._apply("orders", self.stores["orders"].upsert([order]))

    def merge_local(self: BlotterApp, polled: list[Order]) -> list[Order]:  # type: ignore[misc]
        """A poll that started before our order reached the exchange must not hide it."""
        now = self.clock.monotonic()
        seen = {o.id for o in polled}
        keep = []
        for order_id, (order, since) in list(self._local_orders.items()):
            if order_id in seen or now - since > LOCAL_GRACE_SECONDS:
                del self._local_orders[order_id]
            elif order.is_open:
                keep.append(order)
        return polled + keep

    def _fill_line(self: BlotterApp, trade: Trade) -> str:  # type: ignore[misc]
        return (
            f"{trade.side} {fmt_amount(trade.trade_qty)} {self.catalog.symbol(trade.instrument_id)} "
            f"@ {fmt_amount(trade.trade_price)} ({trade.liq_flag}) · {trade.external_id or trade.order_id}"
        )

    def _event(self: BlotterApp, kind: str, lines: list[str]) -> None:  # type: ignore[misc]
        """The events line: the newest order event, whoever caused it (one line, no relayout)."""
        more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""  # before the detail: never cut off
        when = self.row_display.times(self.clock.now_ns())
        self.query_one(EventLine).show(f" {when}  {kind}{more}: {lines[0]}")

    def is_ours(self: BlotterApp, *refs: str | None) -> bool:  # type: ignore[misc]
        """Was this order sent, modified or cancelled from this blotter in this session?"""
        return any(ref in self._ours for ref in refs if ref)

    def announce_fills(self: BlotterApp, trades: Iterable[Trade]) -> None:  # type: ignore[misc]
        """Every fill goes to the events line; fills of orders sent from this blotter also toast.
        (Fills of orders another application placed for the same client would toast all day.)"""
        trades = list(trades)
        if not trades:
            return
        lines = [self._fill_line(t) for t in trades]
        self._event("Fill", lines)
        mine = [line for t, line in zip(trades, lines, strict=True) if self.is_ours(t.external_id, t.order_id)]
        if mine:
            self._batched_toast("fill", mine)
        if self.settings.bell:
            self.bell()

    def announce_gone(self: BlotterApp, order_ids: list[str]) -> None:  # type: ignore[misc]
        """Queue orders that left the active list for `order_outcomes`, one long-lived worker:
        a worker per poll cost more than the lookups themselves (its state messages)."""
        if self._gone_queue is None:
            self._gone_queue = asyncio.Queue()
            self.run_worker(self.order_outcomes(self._gone_queue), name="order-outcomes", group="order-gone",
                            exit_on_error=False)
        self._gone_queue.put_nowait(order_ids)

    async def order_outcomes(self: BlotterApp, queue: asyncio.Queue[list[str]]) -> None:  # type: ignore[misc]
        while True:
            order_ids = await queue.get()
            try:
                await self._tell_outcomes(order_ids)
            except Exception:  # noqa: BLE001 - one bad answer must not stop the announcements
                pass

    async def _tell_outcomes(self: BlotterApp, order_ids: list[str]) -> None:  # type: ignore[misc]
        """How the orders ended, on the events line. Rejects always toast; cancels toast
        (batched) when the order was ours. Fills were told by the trades feed."""
        canceled, mine = [], []
        for order_id in order_ids[:10]:
            try:
                found = await self.client.order_status(order_id)
            except TrueXError:
                continue
            if not found.items:
                continue
            final = found.items[0]
            symbol = self.catalog.symbol(final.order_info.instrument_id)
            label = f"{final.external_id} ({symbol})"
            if final.status == OrderStatus.REJECTED:
                self._event("Rejected", [label])
                self.notify(f"Order {label} was rejected", title="Rejected", severity="error", timeout=10)
            elif final.status == OrderStatus.CANCELED:
                canceled.append(label)
                if self.is_ours(final.external_id, final.id):
                    mine.append(label)
        if canceled:
            self._event("Canceled", canceled)
        if mine:
            self._batched_toast("cancel", mine)

    def _batched_toast(self: BlotterApp, kind: str, lines: list[str]) -> None:  # type: ignore[misc]
        """Fills and cancels: the first after a quiet spell toasts at once; what follows within
        `toast_batch_seconds` waits and shares one toast. Each toast costs a relayout of the
        screen, and a burst of them hides the panes."""
        pending = self._toast_pending.setdefault(kind, [])
        pending.extend(lines)
        if kind in self._toast_due:
            return
        wait = self._toast_last.get(kind, float("-inf")) + self.toast_batch_seconds - time.monotonic()
        if wait > 0:
            self._toast_due.add(kind)
            self.set_timer(wait, lambda: self._flush_toast(kind), name=f"{kind}-toast")
        else:
            self._flush_toast(kind)

    def _flush_toast(self: BlotterApp, kind: str) -> None:  # type: ignore[misc]
        lines = self._toast_pending.pop(kind, [])
        self._toast_due.discard(kind)
        self._toast_last[kind] = time.monotonic()
        if not lines:
            return
        shown = lines[:TOAST_LINES] + ([f"… and {len(lines) - TOAST_LINES} more"] if len(lines) > TOAST_LINES else [])
        one, many = TOAST_TITLES[kind]
        if kind == "cancel" and len(lines) == 1:
            self.notify(f"Order {lines[0]} canceled", title=one, timeout=5)
            return
        self.notify("\n".join(shown), title=one if len(lines) == 1 else many.format(n=len(lines)), timeout=6)
