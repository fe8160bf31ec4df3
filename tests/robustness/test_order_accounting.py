"""Every order accounted for: creates, modifies and cancels sent through `OrderService` while
faults are switched on and off, then compared with the simulator's own record of what it did.

For each submission the service's outcome must agree with the exchange:
  ACCEPTED / RECONCILED  -> the exchange acted on it exactly once;
  NOT_SENT / ABSENT / REJECTED -> the exchange did not act on it;
  UNKNOWN -> allowed either way (the trader is told to check), but the order is then found by a lookup.
No external id is ever created twice, and no order exists on the exchange that nobody submitted.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest
from robustness_support import credentials

from blotter.api import RetryPolicy, TrueXClient
from blotter.api.models import IdType, NewOrder, OrderInfo
from blotter.core.audit_trail import AuditLog
from blotter.core.order_actions import OrderService, OutcomeKind
from blotter.core.order_ticket import new_external_id
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

CHANGING = ["POST", "PATCH", "DELETE"]
HANG = 0.6  # server-side; the client gives up after READ
READ = 0.25

# Each round: one create, one modify and one cancel under the same fault.
SCHEDULE = [
    {},
    {"process_then_drop": True, "methods": CHANGING},  # acted on, answer lost
    {"process_then_hang_seconds": HANG, "methods": CHANGING},  # acted on, answer too late
    {"drop_connection": True, "methods": CHANGING},  # answer broken before acting
    {"status": 500, "methods": CHANGING},
    {"hang_seconds": HANG, "methods": CHANGING},  # client gave up before the server acted
    {"error_rate": 0.5},  # every request, lookups included
    {"process_then_drop": True},  # the lookups fail as well: outcome unknown
    {},
]

DONE = {OutcomeKind.ACCEPTED, OutcomeKind.RECONCILED}
NOT_DONE = {OutcomeKind.NOT_SENT, OutcomeKind.ABSENT, OutcomeKind.REJECTED}


@pytest.fixture
def sim():
    with SimServer(Exchange(seed=43, seed_orders=12), auto_tick=False) as server:
        yield server


def record(sim) -> list[dict]:
    return httpx.get(sim.base_url + "/_sim/orders/requests", timeout=5).json()


def quiet(sim, timeout: float = 10.0) -> None:
    """Wait until the server has finished every request (hung ones included)."""
    deadline = time.monotonic() + timeout
    while sim._server.server_state.tasks:
        assert time.monotonic() < deadline, "server still busy"
        time.sleep(0.01)


def new_order(sim, n: int) -> NewOrder:
    market = next(m for m in sim.exchange.markets.values() if m.spec.symbol == "BTC-PYUSD")
    return NewOrder(
        external_id=new_external_id(),
        info=OrderInfo(client_id=DEMO_CREDENTIALS.user_id, instrument_id=market.instrument.id, side="BUY",
                       type="LIMIT", qty=Decimal("0.0010") + Decimal("0.0001") * n,
                       price=market.bid - 1000 - n),
    )


async def test_every_order_is_accounted_for_under_faults(sim, tmp_path):
    timeout = httpx.Timeout(connect=1.0, read=READ, write=1.0, pool=1.0)
    audit_path = tmp_path / "audit.jsonl"
    creates: list[tuple[str, OutcomeKind]] = []
    changes: list[tuple[str, str, OutcomeKind]] = []  # (action, order id, outcome)
    # The faults are the order actions'; what rests on the exchange between rounds is read by a
    # client with the default timeout (the 0.25 s read timeout once failed such a read on a loaded machine).
    async with TrueXClient(sim.base_url, credentials=credentials(), timeout=timeout,
                           retry=RetryPolicy(attempts=1)) as client, \
            TrueXClient(sim.base_url, credentials=credentials()) as reader:
        service = OrderService(client, AuditLog(audit_path), lookup_attempts=3, lookup_delay=0.02)
        sim.exchange.step()
        # orders known to rest on the exchange, not yet modified or cancelled
        live: list = [o for o in (await reader.active_orders()).items if o.status == "ACTIVE"]
        assert len(live) >= 6
        for n, fault in enumerate(SCHEDULE):
            # --- under the fault ---
            sim.faults.clear()
            sim.faults.update(fault)
            order = new_order(sim, n)
            outcome = await service.submit(order)
            creates.append((order.external_id, outcome.kind))
            if len(live) >= 2:
                target = live.pop(0)
                outcome = await service.modify(target, new_price=target.price - 1)
                changes.append(("modify", target.id, outcome.kind))
                target = live.pop(0)
                outcome = await service.cancel(target)
                changes.append(("cancel", target.id, outcome.kind))
            # --- fault off: let the exchange settle and learn what rests there ---
            sim.faults.clear()
            quiet(sim)
            sim.exchange.step()
            touched = {order_id for _, order_id, _ in changes}
            active = await reader.active_orders()
            known = {o.id for o in live} | touched
            live.extend(o for o in active.items if o.id not in known and o.status == "ACTIVE")

        quiet(sim)
        requests = record(sim)
        exchange_creates = Counter(r["external_id"] for r in requests if r["action"] == "create")
        # Nothing created twice, nothing the service did not submit.
        assert all(count == 1 for count in exchange_creates.values()), exchange_creates
        submitted = {external_id for external_id, _ in creates}
        assert set(exchange_creates) - submitted == {r["external_id"] for r in requests
                                                     if r["action"] == "create" and r["external_id"].startswith("seed")}
        # Each create's reported outcome agrees with the exchange.
        unknown = 0
        for external_id, kind in creates:
            on_exchange = external_id in exchange_creates
            if kind in DONE:
                assert on_exchange, (external_id, kind)
            elif kind in NOT_DONE:
                assert not on_exchange, (external_id, kind)
            else:
                assert kind is OutcomeKind.UNKNOWN
                unknown += 1
                # Nothing is lost: a lookup once the fault is gone tells the truth either way.
                found = await client.order_status(external_id, IdType.CLIENT) if on_exchange else None
                assert found is None or [o.external_id for o in found.items] == [external_id]
        # Each modify / cancel agrees with the exchange too, and was acted on at most once.
        for action, order_id, kind in changes:
            count = sum(1 for r in requests if r["action"] == action and r["order_id"] == order_id)
            assert count <= 1
            if kind in DONE:
                assert count == 1, (action, order_id, kind)
            elif kind in NOT_DONE:
                assert count == 0, (action, order_id, kind)
    # The service sent each order-changing request once (the audit log has one entry per send).
    lines = [json.loads(line) for line in audit_path.read_text().splitlines()]
    sent = Counter(line["external_id"] for line in lines if line["action"] == "create")
    assert all(count == 1 for count in sent.values()) and set(sent) == submitted
    assert len(changes) >= 10
    kinds = {kind for _, kind in creates} | {kind for _, _, kind in changes}
    assert {OutcomeKind.ACCEPTED, OutcomeKind.RECONCILED, OutcomeKind.ABSENT} <= kinds  # the faults bit
    assert unknown <= len(creates)
