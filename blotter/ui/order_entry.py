"""Acting on orders (n, m, c, C, enter) and telling how orders ended.

A collaborator the app composes: it builds each dialog from what the dialog needs (reference data,
quotes, guards, the order service's calls), shows the exchange's answer at once (the local-orders
overlay), and reports outcomes through the notifications. It is given a small host (push a
screen, run a worker, toast) rather than the app itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import Any, Protocol

from textual.screen import Screen

from ..api import TrueXError
from ..api.models import Activity, Order, OrderStatus, Trade
from ..config import Settings
from ..core.dashboard import Dashboard
from ..core.format import fmt_amount
from ..core.local_orders import LocalOrders
from ..core.order_actions import CancelAllReport, OrderService, Outcome, OutcomeKind
from .notifications import Notifications

# The dialogs (and the ticket rules behind them) are imported when first opened, not on the way
# to the first data: a trader's first key costs them, the start does not.

__all__ = ["OrderEntry", "OrderHost"]

log = logging.getLogger(__name__)
OUTCOMES_PER_POLL = 10  # orders that left the active list looked up per poll (the rest: the events line skips)


class OrderHost(Protocol):
    def push_screen(self, screen: Screen, callback: Callable[[Any], None] | None = None) -> Any: ...

    async def push_screen_wait(self, screen: Screen) -> Any: ...

    def run_worker(self, work: Awaitable[Any], *, name: str = "", group: str = "default",
                   exit_on_error: bool = True) -> Any: ...

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None) -> None: ...


class OrderEntry:
    def __init__(
        self,
        host: OrderHost,
        client: Any,
        service: OrderService,
        dashboard: Dashboard,
        local: LocalOrders,
        notices: Notifications,
        settings: Settings,
        show_local: Callable[[Order], None],
    ) -> None:
        self.host = host
        self.client = client
        self.service = service
        self.dashboard = dashboard
        self.local = local
        self.notices = notices
        self.settings = settings
        self.show_local = show_local
        self._gone: asyncio.Queue[list[str]] | None = None

    @property
    def catalog(self):
        return self.dashboard.catalog

    # --- the dialogs ----------------------------------------------------------------------------

    def new_order(self, instrument_id: str | None, client_id: str | None, *, side: str = "BUY",
                  price: Decimal | None = None) -> None:
        if not self.catalog.instruments:
            self.host.notify("Instruments are not loaded yet", severity="warning")
            return
        from .screens.ticket import TicketScreen

        client = self.client
        ticket = TicketScreen(
            self.catalog, self.dashboard.latest_quotes, self.settings.guards, self.service.submit,
            client_id=client_id or "", instrument=self.catalog.symbol(instrument_id) if instrument_id else None,
            side=side, price=price,
            vwap_quote=lambda instrument_id, side, qty: client.vwap_quote(instrument_id, qty, side=side,
                                                                          qty_unit="BASE"),
        )
        self.host.push_screen(ticket, self.done)

    def modify(self, order: Order) -> None:
        if order.status != OrderStatus.ACTIVE:
            self.host.notify(f"Only an ACTIVE order can be modified; this one is {order.status}", severity="warning")
            return
        from .screens.modify import ModifyScreen

        instrument_id = order.order_info.instrument_id or ""
        dialog = ModifyScreen(order, self.catalog, lambda: self.dashboard.latest_quotes().get(instrument_id),
                              self.settings.guards, self.service.modify)
        self.host.push_screen(dialog, self.done)

    def detail(self, order: Order) -> None:
        from .screens.detail import DetailScreen

        client = self.client

        async def refresh_order(order_id: str) -> Order | None:
            found = await client.order_status(order_id)
            return next((o for o in found.items if o.id == order_id), None)

        async def load_activity(order_id: str, since: int) -> list[Activity]:
            return (await client.all_activity(since, order_ids=[order_id])).items

        self.host.push_screen(DetailScreen(order, self.catalog, refresh_order=refresh_order,
                                           load_activity=load_activity, fills=self.dashboard.fills_of))

    async def cancel(self, order: Order) -> None:
        """Ask, then cancel (call from a worker: the confirmation is awaited)."""
        if not order.is_open:
            self.host.notify(f"This order is {order.status}: nothing to cancel", severity="warning")
            return
        symbol = self.catalog.symbol(order.order_info.instrument_id)
        price = f"at {fmt_amount(order.price)}" if order.price is not None else "at MARKET"
        lines = [
            f"{order.order_info.side} {fmt_amount(order.leaves_qty or order.qty)} {symbol} {price}",
            f"order {order.id} · {order.external_id}",
        ]
        from .screens.confirm import ConfirmScreen

        if not await self.host.push_screen_wait(ConfirmScreen("Cancel this order?", lines, "Cancel order")):
            return
        self.done(await self.service.cancel(order))

    async def cancel_all(self, orders: list[Order], client_id: str | None, filter_text: str) -> None:
        """Ask, then cancel each open order in view; the report accounts for every one."""
        if not orders:
            self.host.notify("No open orders in the current view", severity="warning")
            return
        symbols = sorted({self.catalog.symbol(o.order_info.instrument_id) for o in orders})
        lines = [
            f"{len(orders)} open order(s) in {', '.join(symbols)}",
            f"client {client_id or '-'}" + (f" · filter: {filter_text!r}" if filter_text else ""),
        ]
        from .screens.confirm import ConfirmScreen

        if not await self.host.push_screen_wait(ConfirmScreen(f"Cancel {len(orders)} orders?", lines, "Cancel all")):
            return
        results = await self.service.cancel_all(orders)
        for _order, outcome in results:
            if outcome.ok and outcome.order is not None:
                self.show_local(outcome.order)
        report = CancelAllReport.of(results)
        severity = "error" if report.failed else "warning" if report.gone else "information"
        self.host.notify("\n".join(report.lines()), title="Cancel all", severity=severity,
                         timeout=15 if report.failed or report.gone else 6)

    def done(self, outcome: Outcome | None) -> None:
        """A dialog's result: show the exchange's answer at once and say what happened."""
        if outcome is None:
            return
        if outcome.order is not None and outcome.ok:
            self.show_local(outcome.order)
        severity = "information" if outcome.ok else "warning" if outcome.kind is OutcomeKind.GONE else "error"
        self.host.notify(outcome.message, severity=severity, timeout=6 if outcome.ok else 12)

    # --- how orders ended -----------------------------------------------------------------------

    def fill_line(self, trade: Trade) -> str:
        return (
            f"{trade.side} {fmt_amount(trade.trade_qty)} {self.catalog.symbol(trade.instrument_id)} "
            f"@ {fmt_amount(trade.trade_price)} ({trade.liq_flag}) · {trade.external_id or trade.order_id}"
        )

    def announce_fills(self, trades: Iterable[Trade]) -> None:
        trades = list(trades)
        lines = [self.fill_line(t) for t in trades]
        ours = [line for t, line in zip(trades, lines, strict=True) if self.local.is_ours(t.external_id, t.order_id)]
        self.notices.fills(lines, ours)

    def announce_gone(self, order_ids: list[str]) -> None:
        """Queue orders that left the active list for one long-lived worker that looks up how they
        ended (a worker per poll cost more than the lookups themselves)."""
        if self._gone is None:
            self._gone = asyncio.Queue()
            self.host.run_worker(self._tell_outcomes(self._gone), name="order-outcomes", group="order-gone",
                                 exit_on_error=False)
        self._gone.put_nowait(order_ids)

    async def _tell_outcomes(self, queue: asyncio.Queue[list[str]]) -> None:
        while True:
            order_ids = await queue.get()
            try:
                await self._tell(order_ids)
            except Exception:  # noqa: BLE001 - one bad answer must not stop the announcements; say so
                log.exception("telling how orders %s ended failed", order_ids[:OUTCOMES_PER_POLL])

    async def _tell(self, order_ids: list[str]) -> None:
        """Rejects always toast; cancels toast (batched) when the order was ours; fills were told
        by the trades feed."""
        canceled, ours = [], []
        stream = self.dashboard.stream
        streamed = stream.streamed_orders() if stream is not None else {}
        for order_id in order_ids[:OUTCOMES_PER_POLL]:
            final = streamed.get(order_id)
            if final is None or final.is_open:  # the drop copy did not say how it ended: ask
                try:
                    found = await self.client.order_status(order_id)
                except TrueXError as error:
                    log.info("how order %s ended is unknown: %s", order_id, error)
                    continue
                if not found.items:
                    continue
                final = found.items[0]
            label = f"{final.external_id} ({self.catalog.symbol(final.order_info.instrument_id)})"
            if final.status == OrderStatus.REJECTED:
                self.notices.rejected(label)
            elif final.status == OrderStatus.CANCELED:
                canceled.append(label)
                if self.local.is_ours(*final.refs):
                    ours.append(label)
        self.notices.canceled(canceled, ours)
