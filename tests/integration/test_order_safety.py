"""Never lose, never duplicate: the order service against the simulator with faults injected."""

import asyncio
import json
from decimal import Decimal

import httpx
import pytest

from blotter.api import RetryPolicy, TrueXClient
from blotter.api.models import NewOrder, OrderInfo, OrderStatus
from blotter.core.audit_trail import AuditLog
from blotter.core.order_actions import CancelAllReport, OrderService, OutcomeKind
from blotter.core.order_ticket import new_external_id
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer


@pytest.fixture
def sim():
    with SimServer(Exchange(seed=31), auto_tick=False) as server:
        yield server


@pytest.fixture
async def service(sim, credentials, tmp_path):
    timeout = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
    async with TrueXClient(sim.base_url, credentials=credentials, timeout=timeout,
                           retry=RetryPolicy(attempts=1)) as client:
        yield OrderService(client, AuditLog(tmp_path / "audit.jsonl"), lookup_attempts=3, lookup_delay=0.05)


def buy(sim, external_id=None, price_offset=-1000):
    market = next(m for m in sim.exchange.markets.values() if m.spec.symbol == "BTC-PYUSD")
    return NewOrder(
        external_id=external_id or new_external_id(),
        info=OrderInfo(client_id=DEMO_CREDENTIALS.user_id, instrument_id=market.instrument.id, side="BUY",
                       type="LIMIT", qty=Decimal("0.0010"), price=market.bid + price_offset),
    )


def creates(sim, external_id):
    record = httpx.get(sim.base_url + "/_sim/orders/requests").json()
    return [r for r in record if r["action"] == "create" and r["external_id"] == external_id]


async def test_accepted_order(service, sim):
    order = buy(sim)
    outcome = await service.submit(order)
    assert outcome.kind is OutcomeKind.ACCEPTED and outcome.order.status == OrderStatus.NEW_PENDING
    assert len(creates(sim, order.external_id)) == 1


@pytest.mark.parametrize(
    "fault",
    [{"process_then_drop": True}, {"process_then_hang_seconds": 2.0}, {"process_then_status": 502},
     {"process_then_status": 504}],
    ids=["dropped", "timed-out", "gateway-502", "gateway-504"],
)
async def test_create_lost_after_acceptance_is_reconciled_and_appears_once(service, sim, fault):
    sim.faults.update({**fault, "methods": ["POST"]})
    order = buy(sim)
    outcome = await service.submit(order)
    assert outcome.kind is OutcomeKind.RECONCILED
    assert outcome.order.external_id == order.external_id
    assert len(creates(sim, order.external_id)) == 1  # the exchange saw exactly one create
    sim.faults.clear()
    sim.exchange.step()
    active = await service.client.active_orders()
    assert [o.external_id for o in active].count(order.external_id) == 1


async def test_create_that_never_arrived_is_absent(service, sim):
    sim.faults.update({"hang_seconds": 2.0, "methods": ["POST"]})  # times out before the exchange acts
    order = buy(sim)
    outcome = await service.submit(order)
    assert outcome.kind is OutcomeKind.ABSENT
    assert creates(sim, order.external_id) == []


async def test_unknown_when_lookups_fail_too(service, sim):
    sim.faults.update({"process_then_drop": True})  # every request: the lookups fail as well
    outcome = await service.submit(buy(sim))
    assert outcome.kind is OutcomeKind.UNKNOWN and "check the blotter" in outcome.message


async def test_connect_error_is_not_sent(credentials, tmp_path):
    async with TrueXClient("http://127.0.0.1:9", credentials=credentials, retry=RetryPolicy(attempts=1)) as client:
        service = OrderService(client, AuditLog(tmp_path / "a.jsonl"))
        order = NewOrder(external_id="x1", info=OrderInfo(client_id="1", instrument_id="2", side="BUY",
                                                          type="MARKET", qty=Decimal(1)))
        outcome = await service.submit(order)
    assert outcome.kind is OutcomeKind.NOT_SENT


async def test_reject_carries_problem_details(service, sim):
    order = buy(sim, external_id="dup-one")
    assert (await service.submit(order)).ok
    again = await service.submit(order)
    assert again.kind is OutcomeKind.REJECTED and "Duplicate external_id" in again.message


async def test_submit_pressed_twice_sends_once(service, sim):
    sim.faults.update({"latency_ms": 200})
    order = buy(sim)
    first, second = await asyncio.gather(service.submit(order), service.submit(order))
    assert first is second and first.kind is OutcomeKind.ACCEPTED
    assert len(creates(sim, order.external_id)) == 1


async def test_modify_and_cancel_reconcile_after_lost_answers(service, sim):
    order = buy(sim)
    await service.submit(order)
    sim.exchange.step()
    live = (await service.client.order_status(order.external_id, id_type="client")).items[0]
    sim.faults.update({"process_then_drop": True, "methods": ["PATCH", "DELETE"]})
    modified = await service.modify(live, new_price=live.price - 10)
    assert modified.kind is OutcomeKind.RECONCILED and modified.order.status == OrderStatus.MODIFY_PENDING
    sim.exchange.step()
    live = (await service.client.order_status(live.id)).items[0]
    canceled = await service.cancel(live)
    assert canceled.kind is OutcomeKind.RECONCILED
    record = httpx.get(sim.base_url + "/_sim/orders/requests").json()
    assert [r["action"] for r in record if r["order_id"] == live.id] == ["create", "modify", "cancel"]


async def test_cancel_all_accounts_for_an_order_already_gone_apart_from_failures(service, sim):
    orders = []
    for _ in range(3):
        outcome = await service.submit(buy(sim))
        orders.append(outcome.order)
    sim.exchange.step()
    await service.cancel(orders[1])  # canceled already: cancelling it again is refused
    sim.exchange.step()
    results = await service.cancel_all(orders)
    kinds = [outcome.kind for _, outcome in results]
    # The exchange refuses the second cancel; a lookup shows there was nothing left to cancel.
    assert kinds == [OutcomeKind.ACCEPTED, OutcomeKind.GONE, OutcomeKind.ACCEPTED]
    assert "already CANCELED" in results[1][1].message and results[1][1].order.status == OrderStatus.CANCELED
    report = CancelAllReport.of(results)
    assert (len(report.canceled), len(report.gone), len(report.failed)) == (2, 1, 0)
    assert f"  {orders[1].external_id}: CANCELED" in report.lines()


async def test_a_cancel_refused_for_a_live_order_is_a_failure_with_the_reason(service, sim):
    outcome = await service.submit(buy(sim))
    sim.exchange.step()
    sim.faults.update({"status": 403, "methods": ["DELETE"]})
    results = await service.cancel_all([outcome.order])
    assert results[0][1].kind is OutcomeKind.REJECTED  # looked up: still ACTIVE, so not "gone"
    report = CancelAllReport.of(results)
    assert report.summary() == "0 of 1 canceled · 0 already filled or gone · 1 failed"
    assert report.lines()[-1].startswith(f"  {outcome.order.external_id}: Cancel rejected: Injected fault")


async def live_order(service, sim):
    order = buy(sim)
    await service.submit(order)
    sim.exchange.step()
    return (await service.client.order_status(order.external_id, id_type="client")).items[0]


async def test_modify_sends_the_unchanged_quantity_with_the_new_price(service, sim):
    live = await live_order(service, sim)
    outcome = await service.modify(live, new_price=live.price - 10)
    assert outcome.kind is OutcomeKind.ACCEPTED
    sent = sim.exchange.orders[live.id].pending_modify
    assert (sent.new_qty, sent.new_price) == (live.qty, live.price - 10)
    sim.exchange.step()
    after = (await service.client.order_status(live.id)).items[0]
    assert (after.qty, after.price, after.status) == (live.qty, live.price - 10, OrderStatus.ACTIVE)


async def test_a_modify_re_keyed_by_the_exchange_is_matched_on_either_id(service, sim):
    live = await live_order(service, sim)
    new_id = new_external_id()
    outcome = await service.modify(live, new_qty=Decimal("0.0020"), new_external_id=new_id)
    assert outcome.kind is OutcomeKind.ACCEPTED and outcome.order.external_id == new_id
    assert outcome.order.ref_external_id == live.external_id and f"(now {new_id})" in outcome.message


async def test_a_lost_modify_answer_is_reconciled_when_the_exchange_re_keyed_the_order(service, sim):
    live = await live_order(service, sim)
    new_id = new_external_id()
    sim.faults.update({"process_then_drop": True, "methods": ["PATCH"]})
    outcome = await service.modify(live, new_price=live.price - 20, new_external_id=new_id)
    assert outcome.kind is OutcomeKind.RECONCILED
    assert (outcome.order.external_id, outcome.order.ref_external_id) == (new_id, live.external_id)
    record = httpx.get(sim.base_url + "/_sim/orders/requests").json()
    assert [r["action"] for r in record if r["order_id"] == live.id] == ["create", "modify"]  # sent once


async def test_audit_log_records_every_step_without_secrets(service, sim, tmp_path):
    sim.faults.update({"process_then_drop": True, "methods": ["POST"]})
    order = buy(sim)
    await service.submit(order)
    text = (tmp_path / "audit.jsonl").read_text()
    assert DEMO_CREDENTIALS.secret not in text and "signature" not in text
    actions = [json.loads(line)["action"] for line in text.splitlines()]
    assert actions == ["create", "reconcile", "create_result"]
    result = json.loads(text.splitlines()[-1])
    assert result["outcome"] == "reconciled" and result["external_id"] == order.external_id
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o077 == 0


async def test_a_5xx_before_the_exchange_acted_is_reported_absent_with_the_servers_words(service, sim):
    sim.faults.update({"status": 503, "methods": ["POST"]})
    order = buy(sim)
    outcome = await service.submit(order)
    assert outcome.kind is OutcomeKind.ABSENT and not outcome.ok
    assert "503" in outcome.message
    assert creates(sim, order.external_id) == []
