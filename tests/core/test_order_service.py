"""`OrderService` against a scripted client: what a modify sends, how answers re-keyed by the
exchange are matched, and how a cancel-all accounts for every order."""

from decimal import Decimal

import pytest

from blotter.api import BadRequest, NotFound, Page, RequestTimeout
from blotter.api.models import ModifyOrder, Order
from blotter.core.audit_trail import AuditLog
from blotter.core.order_actions import CancelAllReport, OrderService, Outcome, OutcomeKind, same_order


def order(status="ACTIVE", *, external_id="desk-1", ref=None, qty="0.0100", price="99000.0", order_id="7001"):
    return Order.model_validate({
        "id": order_id, "status": status, "external_id": external_id, "ref_external_id": ref,
        "order_info": {"client_id": "42", "instrument_id": "100", "side": "BUY", "type": "LIMIT", "qty": qty,
                       "price": price},
    })


class ScriptedClient:
    """Answers each call from a script; records what was sent."""

    def __init__(self, *, modify=None, cancel=None, status=None):
        self.sent: list = []
        self.modify_answer, self.cancel_answer, self.status_answer = modify, cancel, status

    @staticmethod
    def _answer(answer):
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def modify_order(self, request: ModifyOrder) -> Order:
        self.sent.append(request)
        return self._answer(self.modify_answer)

    async def cancel_order(self, ref_id, id_type="exchange") -> Order:
        self.sent.append(ref_id)
        return self._answer(self.cancel_answer)

    async def order_status(self, ref_id, id_type="exchange") -> Page:
        return Page(items=self._answer(self.status_answer))


async def no_sleep(_seconds):
    return None


def service(client, tmp_path):
    return OrderService(client, AuditLog(tmp_path / "audit.jsonl"), lookup_attempts=2, sleep=no_sleep)


async def test_modify_sends_both_fields_the_unchanged_one_at_its_current_value(tmp_path):
    client = ScriptedClient(modify=order("MODIFY_PENDING"))
    outcome = await service(client, tmp_path).modify(order(), new_price=Decimal("98500.0"))
    assert outcome.kind is OutcomeKind.ACCEPTED
    wire = client.sent[0].to_wire()
    assert wire == {"id": "7001", "info": {"client_id": "42", "new_qty": "0.0100", "new_price": "98500.0"}}


async def test_an_accepted_modify_re_keyed_by_the_exchange_says_so(tmp_path):
    client = ScriptedClient(modify=order("MODIFY_PENDING", external_id="desk-1b", ref="desk-1"))
    outcome = await service(client, tmp_path).modify(order(), new_qty=Decimal("0.0200"), new_external_id="desk-1b")
    assert client.sent[0].to_wire()["external_id"] == "desk-1b"
    assert outcome.ok and "(now desk-1b)" in outcome.message


@pytest.mark.parametrize(
    "found",
    [
        [order("ACTIVE", external_id="other", order_id="9"), order("ACTIVE", external_id="desk-1c", ref="desk-1",
                                                                    qty="0.0200", order_id="7001b")],
        [order("ACTIVE", qty="0.0200", external_id="desk-1c", ref="desk-1")],
    ],
    ids=["matched-by-ref-external-id", "matched-by-id"],
)
async def test_a_lost_modify_answer_is_reconciled_against_a_re_keyed_order(tmp_path, found):
    client = ScriptedClient(modify=RequestTimeout("read timed out"), status=found)
    outcome = await service(client, tmp_path).modify(order(), new_qty=Decimal("0.0200"))
    assert outcome.kind is OutcomeKind.RECONCILED
    assert outcome.order.external_id == "desk-1c" and "(now desk-1c)" in outcome.message


async def test_a_lost_modify_that_did_not_happen_is_absent(tmp_path):
    client = ScriptedClient(modify=RequestTimeout("read timed out"), status=[order("ACTIVE")])
    outcome = await service(client, tmp_path).modify(order(), new_price=Decimal("98500.0"))
    assert outcome.kind is OutcomeKind.ABSENT


async def test_a_lookup_that_finds_only_other_orders_does_not_match(tmp_path):
    client = ScriptedClient(modify=RequestTimeout("read timed out"),
                            status=[order("MODIFY_PENDING", external_id="someone-else", order_id="9")])
    outcome = await service(client, tmp_path).modify(order(), new_price=Decimal("98500.0"))
    assert outcome.kind is OutcomeKind.ABSENT  # not found as ours: never reported as done


def test_same_order_matches_on_id_external_id_or_ref_external_id():
    mine = order()
    assert same_order(order(order_id="x", external_id="desk-1"), mine)
    assert same_order(order(order_id="x", external_id="new", ref="desk-1"), mine)
    assert same_order(order(order_id="x", external_id="mine-2"), mine, "mine-2")
    assert not same_order(order(order_id="x", external_id="other"), mine)


@pytest.mark.parametrize("status", ["FILLED", "CANCELED"])
async def test_a_cancel_refused_because_the_order_had_ended_is_gone_not_failed(tmp_path, status):
    client = ScriptedClient(cancel=BadRequest(400, "Order not cancelable"), status=[order(status)])
    outcome = await service(client, tmp_path).cancel(order())
    assert outcome.kind is OutcomeKind.GONE and not outcome.ok
    assert f"already {status}" in outcome.message and outcome.order.status == status


async def test_a_cancel_refused_for_another_reason_stays_rejected(tmp_path):
    client = ScriptedClient(cancel=BadRequest(400, "Forbidden thing"), status=[order("ACTIVE")])
    outcome = await service(client, tmp_path).cancel(order())
    assert outcome.kind is OutcomeKind.REJECTED and "Forbidden thing" in outcome.message


async def test_a_cancel_of_an_order_the_exchange_no_longer_knows_is_gone(tmp_path):
    client = ScriptedClient(cancel=NotFound(404, "Order not found"), status=[])
    outcome = await service(client, tmp_path).cancel(order())
    assert outcome.kind is OutcomeKind.GONE


def test_cancel_all_report_accounts_for_every_order():
    orders = [order(external_id=f"desk-{i}", order_id=str(i)) for i in range(5)]
    results = [
        (orders[0], Outcome(OutcomeKind.ACCEPTED, "sent", order("CANCEL_PENDING"))),
        (orders[1], Outcome(OutcomeKind.RECONCILED, "is CANCELED", order("CANCELED"))),
        (orders[2], Outcome(OutcomeKind.GONE, "already FILLED", order("FILLED"))),
        (orders[3], Outcome(OutcomeKind.RECONCILED, "is FILLED", order("FILLED"))),  # filled before the cancel
        (orders[4], Outcome(OutcomeKind.REJECTED, "Cancel rejected: Forbidden")),
    ]
    report = CancelAllReport.of(results)
    assert (len(report.canceled), len(report.gone), len(report.failed), report.total) == (2, 2, 1, 5)
    assert report.lines() == [
        "2 of 5 canceled (1 awaiting the exchange) · 2 already filled or gone · 1 failed",
        "Already filled or gone:",
        "  desk-2: FILLED",
        "  desk-3: FILLED",
        "Failed:",
        "  desk-4: Cancel rejected: Forbidden",
    ]


def test_cancel_all_report_never_says_all_and_caps_long_lists():
    orders = [order(external_id=f"desk-{i}", order_id=str(i)) for i in range(11)]
    results = [(o, Outcome(OutcomeKind.REJECTED, "Cancel rejected: x")) for o in orders[:10]]
    results.append((orders[10], Outcome(OutcomeKind.ACCEPTED, "sent", order("CANCELED"))))
    lines = CancelAllReport.of(results).lines(limit=8)
    assert lines[0] == "1 of 11 canceled · 0 already filled or gone · 10 failed"
    assert lines[-1] == "  … and 2 more" and "all" not in lines[0]
