"""Create, modify and cancel orders without ever losing or duplicating one. Headless.

An order-changing request is sent once. When its outcome is unknown (a timeout, or the connection
broke mid-answer) it is never sent again blindly: the order is looked up (a safe GET) and the real
outcome reported. Every step goes to the audit log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ..api import ApiError, NotFound, ServerError, TransportError, TrueXClient, TrueXError
from ..api.models import DONE_STATUSES, IdType, ModifyInfo, ModifyOrder, NewOrder, Order, OrderStatus
from .audit_trail import AuditLog


class OutcomeKind(StrEnum):
    ACCEPTED = "accepted"  # the exchange answered and took it
    REJECTED = "rejected"  # the exchange answered no (problem details in `message`)
    NOT_SENT = "not_sent"  # it never reached the exchange: safe to try again
    RECONCILED = "reconciled"  # no answer, but the lookup shows the exchange acted on it
    ABSENT = "absent"  # no answer, and the lookup shows the exchange did not act on it
    UNKNOWN = "unknown"  # no answer and no lookup succeeded: check the blotter
    GONE = "gone"  # refused because the order had already ended (filled, canceled): nothing to act on


@dataclass
class Outcome:
    kind: OutcomeKind
    message: str
    order: Order | None = None
    error: TrueXError | None = None

    @property
    def ok(self) -> bool:
        return self.kind in (OutcomeKind.ACCEPTED, OutcomeKind.RECONCILED)


# A cancel refused for one of these had nothing left to cancel.
NOTHING_TO_CANCEL = (*DONE_STATUSES, OrderStatus.CANCEL_PENDING)


def same_order(candidate: Order, order: Order, new_external_id: str | None = None) -> bool:
    """Is `candidate` (an answer or a lookup) `order`? The exchange may re-key an order on modify:
    a new `external_id`, the old one in `ref_external_id`. Either id matches."""
    refs = {ref for ref in (order.external_id, new_external_id) if ref}
    return candidate.id == order.id or candidate.external_id in refs or candidate.ref_external_id in refs


def _pick(found: Iterable[Order], order: Order, new_external_id: str | None = None) -> Order:
    current = next((o for o in found if same_order(o, order, new_external_id)), None)
    if current is None:
        raise NotFound(404, "Order not found", method="GET", path="orders/status")
    return current


def _error_fields(error: TrueXError) -> dict:
    fields = {"error_type": type(error).__name__, "error": str(error)}
    if isinstance(error, ApiError):
        fields.update(status=error.status, title=error.title, detail=error.detail)
    return fields


class OrderService:
    def __init__(
        self,
        client: TrueXClient,
        audit: AuditLog,
        *,
        lookup_attempts: int = 4,
        lookup_delay: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.audit = audit
        self.lookup_attempts = lookup_attempts
        self.lookup_delay = lookup_delay
        self._sleep = sleep
        self._in_flight: dict[str, asyncio.Task[Outcome]] = {}

    # --- create ---------------------------------------------------------------------------------

    async def submit(self, order: NewOrder) -> Outcome:
        """Send `order` once. A second call with the same external id while the first is in
        flight waits for the first and returns its outcome: a key pressed twice sends once."""
        return await self._once(f"create:{order.external_id}", lambda: self._submit(order))

    async def _once(self, key: str, start: Callable[[], Awaitable[Outcome]]) -> Outcome:
        """Run one action per key at a time; a repeat while it runs shares its outcome."""
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(start())
            self._in_flight[key] = task
            task.add_done_callback(lambda _t: self._in_flight.pop(key, None))
        return await asyncio.shield(task)

    async def _submit(self, order: NewOrder) -> Outcome:
        self.audit.write("create", external_id=order.external_id, request=order)
        try:
            placed = await self.client.create_order(order)
        except TrueXError as error:
            outcome = await self._after_failure(error, lambda: self._find_created(order.external_id), "create")
        else:
            outcome = Outcome(OutcomeKind.ACCEPTED, f"Order {placed.external_id} sent: {placed.status}", placed)
        self._record("create", outcome, external_id=order.external_id)
        return outcome

    async def _find_created(self, external_id: str) -> Outcome:
        found = await self.client.order_status(external_id, IdType.CLIENT)
        order = next((o for o in found.items if o.external_id == external_id), found.items[0] if found.items else None)
        if order is None:
            raise NotFound(404, "Order not found", method="GET", path="orders/status")
        return Outcome(OutcomeKind.RECONCILED, f"Order {external_id} was placed: {order.status}", order)

    # --- modify and cancel ----------------------------------------------------------------------

    async def modify(
        self, order: Order, *, new_qty: Decimal | None = None, new_price: Decimal | None = None,
        client_id: str | None = None, new_external_id: str | None = None,
    ) -> Outcome:
        """Send both the new quantity and the new price, the unchanged one at its current value:
        TrueX's own sample does, and it is safe whichever way the exchange reads a missing field.
        `new_external_id` re-keys the order (the exchange keeps the old one in `ref_external_id`)."""
        request = ModifyOrder(
            id=order.id,
            external_id=new_external_id,
            info=ModifyInfo(
                client_id=client_id or order.order_info.client_id,
                new_qty=new_qty if new_qty is not None else order.qty,
                new_price=new_price if new_price is not None else order.price,
            ),
        )
        return await self._once(f"modify:{order.id}", lambda: self._modify(order, request))

    async def _modify(self, order: Order, request: ModifyOrder) -> Outcome:
        self.audit.write("modify", order_id=order.id, external_id=order.external_id, request=request)
        new_external_id = request.external_id

        async def lookup() -> Outcome:
            current = _pick((await self.client.order_status(order.id)).items, order, new_external_id)
            info = request.info
            applied = (
                current.status == OrderStatus.MODIFY_PENDING
                or (new_external_id is not None and current.external_id == new_external_id)
                or (current.qty == info.new_qty and current.price == info.new_price)
            )
            if applied:
                message = f"Modify of {order.external_id} went through{_rekeyed(current, order)}"
                return Outcome(OutcomeKind.RECONCILED, message, current)
            return Outcome(OutcomeKind.ABSENT, f"Modify of {order.external_id} did not happen", current)

        try:
            changed = await self.client.modify_order(request)
        except TrueXError as error:
            outcome = await self._after_failure(error, lookup, "modify")
        else:
            message = f"Modify of {order.external_id} sent: {changed.status}{_rekeyed(changed, order)}"
            outcome = Outcome(OutcomeKind.ACCEPTED, message, changed)
        self._record("modify", outcome, order_id=order.id, external_id=order.external_id,
                     new_external_id=outcome.order.external_id if outcome.order else None)
        return outcome

    async def cancel(self, order: Order) -> Outcome:
        return await self._once(f"cancel:{order.id}", lambda: self._cancel(order))

    async def _cancel(self, order: Order) -> Outcome:
        self.audit.write("cancel", order_id=order.id, external_id=order.external_id)

        async def lookup() -> Outcome:
            current = _pick((await self.client.order_status(order.id)).items, order)
            if current.status in (OrderStatus.CANCEL_PENDING, OrderStatus.CANCELED, OrderStatus.FILLED):
                return Outcome(OutcomeKind.RECONCILED, f"Order {order.external_id} is {current.status}", current)
            return Outcome(OutcomeKind.ABSENT, f"Cancel of {order.external_id} did not happen", current)

        try:
            canceled = await self.client.cancel_order(order.id)
        except TrueXError as error:
            outcome = await self._after_failure(error, lookup, "cancel")
            if outcome.kind is OutcomeKind.REJECTED:
                outcome = await self._already_ended(order, outcome)
        else:
            outcome = Outcome(OutcomeKind.ACCEPTED, f"Cancel of {canceled.external_id} sent: {canceled.status}", canceled)
        self._record("cancel", outcome, order_id=order.id, external_id=order.external_id)
        return outcome

    async def _already_ended(self, order: Order, refused: Outcome) -> Outcome:
        """A refused cancel: was the order already over (filled, canceled elsewhere)? One safe GET
        tells a trader's "nothing left to cancel" from a real failure."""
        try:
            current = _pick((await self.client.order_status(order.id)).items, order)
        except NotFound:
            return Outcome(OutcomeKind.GONE, f"Order {order.external_id} is no longer known to the exchange",
                           error=refused.error)
        except TrueXError:
            return refused
        if current.status not in NOTHING_TO_CANCEL:
            return refused
        return Outcome(OutcomeKind.GONE, f"Order {order.external_id} was already {current.status}: nothing to cancel",
                       current, refused.error)

    async def cancel_all(self, orders: Iterable[Order], concurrency: int = 4) -> list[tuple[Order, Outcome]]:
        """Cancel each order; one failure never stops the others, and each is reported."""
        orders = list(orders)
        gate = asyncio.Semaphore(concurrency)

        async def one(order: Order) -> Outcome:
            async with gate:
                return await self.cancel(order)

        outcomes = await asyncio.gather(*(one(o) for o in orders))
        results = list(zip(orders, outcomes, strict=True))
        report = CancelAllReport.of(results)
        self.audit.write("cancel_all", count=len(orders), canceled=len(report.canceled), gone=len(report.gone),
                         failed=len(report.failed), order_ids=[o.id for o in orders])
        return results

    # --- shared ---------------------------------------------------------------------------------

    async def _after_failure(
        self, error: TrueXError, lookup: Callable[[], Awaitable[Outcome]], action: str
    ) -> Outcome:
        # A 5xx may come from a gateway after the exchange acted (502, 504): look, like a timeout.
        if isinstance(error, ApiError) and not isinstance(error, ServerError):
            text = error.title + (f": {error.detail}" if error.detail else "")
            return Outcome(OutcomeKind.REJECTED, f"{action.capitalize()} rejected: {text}", error=error)
        if isinstance(error, TransportError) and not error.outcome_unknown:
            return Outcome(OutcomeKind.NOT_SENT, f"{action.capitalize()} not sent: {error}", error=error)
        # The exchange may have acted: find out, never resend.
        self.audit.write("reconcile", about=action, **_error_fields(error))
        said = f" (the server answered {error.status} {error.title})" if isinstance(error, ServerError) else ""
        last: TrueXError = error
        for attempt in range(self.lookup_attempts):
            if attempt:
                await self._sleep(self.lookup_delay * 2 ** (attempt - 1))
            try:
                outcome = await lookup()
            except NotFound:
                if attempt == self.lookup_attempts - 1:
                    return Outcome(
                        OutcomeKind.ABSENT, f"{action.capitalize()} did not reach the exchange{said}", error=error
                    )
                continue
            except TrueXError as lookup_error:
                last = lookup_error
                continue
            outcome.error = error
            if outcome.kind is OutcomeKind.ABSENT:
                outcome.message += said
            return outcome
        return Outcome(
            OutcomeKind.UNKNOWN,
            f"{action.capitalize()} outcome unknown ({last}); check the blotter before acting again",
            error=error,
        )

    def _record(self, action: str, outcome: Outcome, **fields: object) -> None:
        extra = _error_fields(outcome.error) if outcome.error else {}
        self.audit.write(
            f"{action}_result", outcome=outcome.kind.value, message=outcome.message,
            response=outcome.order, **fields, **extra,
        )


def _rekeyed(answer: Order, order: Order) -> str:
    if answer.external_id and order.external_id and answer.external_id != order.external_id:
        return f" (now {answer.external_id})"
    return ""


@dataclass
class CancelAllReport:
    """Every order of a cancel-all accounted for: canceled, already over, or failed (with why)."""

    canceled: list[tuple[Order, Outcome]] = field(default_factory=list)
    gone: list[tuple[Order, Outcome]] = field(default_factory=list)
    failed: list[tuple[Order, Outcome]] = field(default_factory=list)

    @classmethod
    def of(cls, results: Iterable[tuple[Order, Outcome]]) -> CancelAllReport:
        report = cls()
        for order, outcome in results:
            filled = outcome.ok and outcome.order is not None and outcome.order.status == OrderStatus.FILLED
            if outcome.kind is OutcomeKind.GONE or filled:
                report.gone.append((order, outcome))
            else:
                (report.canceled if outcome.ok else report.failed).append((order, outcome))
        return report

    @property
    def total(self) -> int:
        return len(self.canceled) + len(self.gone) + len(self.failed)

    @property
    def pending(self) -> int:
        """Canceled, but the exchange has yet to confirm: a fill can still come first."""
        return sum(1 for _, o in self.canceled if o.order is None or o.order.status != OrderStatus.CANCELED)

    def summary(self) -> str:
        pending = f" ({self.pending} awaiting the exchange)" if self.pending else ""
        return (f"{len(self.canceled)} of {self.total} canceled{pending} · {len(self.gone)} already filled or gone"
                f" · {len(self.failed)} failed")

    def lines(self, limit: int = 8) -> list[str]:
        lines = [self.summary()]
        for title, entries, why in (
            ("Already filled or gone", self.gone, lambda o: str(o.order.status) if o.order else "not found"),
            ("Failed", self.failed, lambda o: o.message),
        ):
            if not entries:
                continue
            lines.append(f"{title}:")
            lines += [f"  {order.external_id or order.id}: {why(outcome)}" for order, outcome in entries[:limit]]
            if len(entries) > limit:
                lines.append(f"  … and {len(entries) - limit} more")
        return lines
