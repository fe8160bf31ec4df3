"""Orders acted on from this blotter: shown at once, and remembered for the toasts. Headless.

The exchange's answer to a create, modify or cancel is shown as soon as it comes: a poll that
started before the order reached the exchange must not hide it again for a moment. The ids of the
orders acted on here decide which fills and cancels toast (the others go to the events line only);
a desk session acts on a few thousand orders a day, and the memory of them is bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from ..api.models import Order

__all__ = ["LocalOrders"]

GRACE_SECONDS = 5.0  # how long an answer stays on screen before a poll lists the order
REMEMBERED = 20_000  # ids of orders acted on here (several per order: id, external ids)


class LocalOrders:
    def __init__(self, monotonic: Callable[[], float], *, grace: float = GRACE_SECONDS,
                 remembered: int = REMEMBERED) -> None:
        self._monotonic = monotonic
        self.grace = grace
        self._remembered = remembered
        self._shown: dict[str, tuple[Order, float]] = {}
        self._ours: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._shown)

    def show(self, order: Order) -> None:
        """The exchange's answer for an order acted on here: shown until a poll lists it."""
        for ref in order.refs:
            self._ours[ref] = None
            self._ours.move_to_end(ref)
        while len(self._ours) > self._remembered:
            self._ours.popitem(last=False)
        self._shown[order.key] = (order, self._monotonic())

    def merge(self, polled: Iterable[Order]) -> list[Order]:
        """The polled orders, plus our open ones the poll does not list yet (within the grace)."""
        polled = list(polled)
        if not self._shown:  # nothing placed from here awaits its first poll: every poll but a few
            return polled
        now = self._monotonic()
        # Listed under any of its names: a create answered NEW_PENDING with id "0" is polled
        # back ACTIVE with its real id, same external id.
        seen = {o.key for o in polled} | {ref for o in polled for ref in o.refs}
        keep = []
        for key, (order, since) in list(self._shown.items()):
            if key in seen or not seen.isdisjoint(order.refs) or now - since > self.grace:
                del self._shown[key]
            elif order.is_open:
                keep.append(order)
        return polled + keep

    def is_ours(self, *refs: str | None) -> bool:
        """Was this order sent, modified or cancelled from this blotter in this session?"""
        return any(ref in self._ours for ref in refs if ref)
