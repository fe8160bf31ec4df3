"""Order times: an order without a time gets the first event of its activity trail; what is kept
per order goes with the order, even when the lookup answers after it left the active list."""

from blotter.api.models import Activity, Order
from blotter.core.order_times import LOOKUP_ATTEMPTS, OrderTimes

SEEN_NS = 1_790_000_000_000_000_000


def order(n: int) -> Order:
    return Order.model_validate({
        "id": str(n), "status": "ACTIVE", "external_id": f"ext-{n}",
        "order_info": {"instrument_id": "1", "side": "BUY", "type": "LIMIT", "tif": "GTC", "price": "1", "qty": "1"},
    })


def event(o: Order, ns: int) -> Activity:
    return Activity.model_validate({"external_id": o.external_id, "timestamp": str(ns)})


def test_an_order_without_a_time_is_estimated_then_takes_its_first_event():
    times = OrderTimes(lambda: SEEN_NS)
    o = order(1)
    assert times.time_of(o).from_exchange is False and times.wanted() == [o]
    assert times.learn([o], [event(o, SEEN_NS - 7), event(o, SEEN_NS - 3)]) == [o.id]
    assert times.time_of(o).ns == SEEN_NS - 7 and times.time_of(o).from_exchange
    assert times.wanted() == []


def test_an_order_whose_trail_is_never_found_is_asked_a_few_times_only():
    times = OrderTimes(lambda: SEEN_NS)
    o = order(1)
    times.time_of(o)
    for _ in range(LOOKUP_ATTEMPTS):
        assert times.wanted() == [o]
        times.learn([o], [])
    assert times.wanted() == [] and times.time_of(o).from_exchange is False


def test_a_lookup_answered_after_the_orders_left_keeps_nothing_of_them():
    """Orders come and go all day; a lookup in flight when they leave must not bring them back."""
    times = OrderTimes(lambda: SEEN_NS)
    orders = [order(n) for n in range(1000)]
    for o in orders:
        times.time_of(o)
    asked = times.wanted(1000)
    times.forget(o.key for o in orders)  # they left the active list (by store key) while their trails were asked
    assert times.learn(asked, [event(o, SEEN_NS - 1) for o in asked[::2]]) == []
    times.failed(asked)
    assert len(times) == 0 and times.wanted() == []
    assert not times._attempts  # nothing left behind for the orders that went
