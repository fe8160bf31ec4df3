"""When each order was placed, as far as the blotter can know it.

The documented order object carries no time (reference §6.4). An order's time is therefore, in
this order of preference: the order's own `timestamp` when a server sends one; the first event of
its activity trail (`orders/activity`, asked once per new order, many orders per request); else
when the blotter first saw it, which the screen marks as an estimate. Never blank without reason.
Headless (no Textual).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..api.models import Activity, Order

__all__ = ["OrderTime", "OrderTimes"]

LOOKUP_ATTEMPTS = 3  # an order whose trail could not be read is asked again at most this often


@dataclass(frozen=True)
class OrderTime:
    ns: int
    from_exchange: bool  # False: when the blotter first saw the order (shown with a leading ~)


class OrderTimes:
    def __init__(self, now_ns: Callable[[], int]) -> None:
        self._now_ns = now_ns
        self._times: dict[str, OrderTime] = {}
        self._wanted: dict[str, Order] = {}  # order id -> order, waiting for an activity lookup
        self._attempts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._times)

    def time_of(self, order: Order) -> OrderTime:
        if order.timestamp is not None:
            return OrderTime(order.timestamp, True)
        key = order.key
        known = self._times.get(key)
        if known is None:
            # First seen while its id was a placeholder (keyed by external id): that moment stands.
            pending = self._times.get(former) if (former := order.former_key) else None
            known = self._times[key] = pending or OrderTime(self._now_ns(), False)
            if order.has_id and not known.from_exchange:
                self._wanted[key] = order  # the activity trail is asked for by exchange id
        return known

    def wanted(self, limit: int = 50) -> list[Order]:
        """Orders whose time is still an estimate and worth asking the exchange about."""
        return list(self._wanted.values())[:limit]

    def learn(self, orders: Iterable[Order], trail: Iterable[Activity]) -> list[str]:
        """Take the earliest activity of each order as its time; returns the ids that changed.
        Activity rows name the order by external id (and client), not by exchange id."""
        orders = list(orders)
        earliest: dict[str, int] = {}
        for event in trail:
            if event.external_id and event.timestamp is not None:
                known = earliest.get(event.external_id)
                if known is None or event.timestamp < known:
                    earliest[event.external_id] = event.timestamp
        changed = []
        for order in orders:
            key = order.key
            if key not in self._times:
                continue  # left the screen while its trail was asked for: nothing to keep
            found = [earliest[ref] for ref in (order.external_id, order.ref_external_id) if ref in earliest]
            if found:
                self._times[key] = OrderTime(min(found), True)
                self._wanted.pop(key, None)
                self._attempts.pop(key, None)
                changed.append(key)
            else:
                self.failed([order])
        return changed

    def failed(self, orders: Iterable[Order]) -> None:
        """A lookup that found nothing or failed: ask again later, a few times at most."""
        for order in orders:
            key = order.key
            if key not in self._wanted:
                continue  # forgotten (or given up on) meanwhile
            attempts = self._attempts[key] = self._attempts.get(key, 0) + 1
            if attempts >= LOOKUP_ATTEMPTS:
                self._wanted.pop(key, None)

    def forget(self, order_ids: Iterable[str]) -> None:
        """Orders no longer shown (by store key): their times need not be kept (a session runs all day)."""
        for order_id in order_ids:
            self._times.pop(order_id, None)
            self._wanted.pop(order_id, None)
            self._attempts.pop(order_id, None)
