"""Pilot tests of order entry against the simulated exchange over loopback HTTP."""

from decimal import Decimal

import httpx
import pytest
from conftest import polled, wait_for
from pydantic import SecretStr

from blotter.api import Credentials, RetryPolicy, TrueXClient
from blotter.config import Guards, Settings
from blotter.core.feeds import FakeClock
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer
from blotter.ui.app import create_app
from blotter.ui.screens.confirm import ConfirmScreen
from blotter.ui.screens.detail import DetailScreen
from blotter.ui.screens.modify import ModifyScreen
from blotter.ui.screens.ticket import TicketScreen

SIZE = (120, 40)
FROZEN = 1_790_000_000_000_000_000
LOOSE = Guards(max_notional=None, hard_max_notional=None, max_distance_pct=None, hard_max_distance_pct=None)


@pytest.fixture
def sim():
    exchange = Exchange(seed=17, clock=lambda: FROZEN, seed_orders=6)
    with SimServer(exchange, auto_tick=False) as server:
        yield server


def requests(sim, action=None):
    record = httpx.get(sim.base_url + "/_sim/orders/requests").json()
    return [r for r in record if action is None or r["action"] == action]


@pytest.fixture
def make(sim, tmp_path):
    def factory(guards: Guards = LOOSE):
        credentials = Credentials(DEMO_CREDENTIALS.user_id, DEMO_CREDENTIALS.key, SecretStr(DEMO_CREDENTIALS.secret))
        client = TrueXClient(sim.base_url, credentials=credentials, retry=RetryPolicy(attempts=1))
        settings = Settings(_env_file=None, user_id=DEMO_CREDENTIALS.user_id, guards=guards)
        return create_app(client, settings, clock=FakeClock(), audit_path=tmp_path / "audit.jsonl")

    return factory


async def ready(app, pilot):
    await wait_for(lambda: polled(app), pilot)
    await pilot.pause()


async def open_ticket(app, pilot, qty="0.0010"):
    await pilot.press("n")
    await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
    await pilot.pause()
    app.screen.query_one("#instrument").value = "BTC-PYUSD"
    await pilot.pause()
    app.screen.query_one("#qty").value = qty
    await pilot.pause()
    return app.screen


async def test_valid_ticket_sends_once_and_shows_pending_at_once(make, sim, tmp_path):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        assert ticket.query_one("#price").value  # prefilled from the quote of the chosen side
        assert "Notional" in str(ticket.query_one("#figures").render())
        external_id = ticket.query_one("#external_id").value
        await pilot.press("ctrl+s", "ctrl+s")  # pressed twice
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
        await pilot.pause()
        shown = [o for o in app.stores["orders"].items.values() if o.external_id == external_id]
        assert len(shown) == 1 and shown[0].status == "NEW_PENDING"
    assert [r["external_id"] for r in requests(sim, "create")].count(external_id) == 1
    assert external_id in (tmp_path / "audit.jsonl").read_text()


async def test_rejected_form_keeps_what_was_typed(make, sim):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot, qty="12abc")
        ticket.query_one("#external_id").value = "Not Valid!"
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = str(ticket.query_one("#errors").render())
        assert "qty: not a number" in errors and "external id: must be a lowercase UUIDv4" in errors
        assert isinstance(app.screen, TicketScreen)
        assert ticket.query_one("#qty").value == "12abc"
        assert ticket.query_one("#external_id").value == "Not Valid!"
        ticket.query_one("#qty").value = "0.00001"
        ticket.query_one("#price").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = str(ticket.query_one("#errors").render())
        assert "at most 4 decimals for" in errors and "price is required for LIMIT orders" in errors
    assert requests(sim, "create") == [r for r in requests(sim, "create") if r["external_id"].startswith("seed")]


async def test_soft_guard_needs_confirmation_naming_the_limit(make, sim):
    guards = Guards(max_notional=Decimal("10"), hard_max_notional=None, max_distance_pct=None,
                    hard_max_distance_pct=None)
    app = make(guards)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        assert "max_notional" in str(app.screen.query_one(".body").render())
        await pilot.press("escape")  # declined: nothing is sent
        await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
        await pilot.pause()
        assert "Not sent" in str(ticket.query_one("#result").render())
        before = len(requests(sim, "create"))
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.press("y")
        await wait_for(lambda: not isinstance(app.screen, (TicketScreen, ConfirmScreen)), pilot)
    assert len(requests(sim, "create")) == before + 1


async def test_hard_guard_refuses(make, sim):
    guards = Guards(max_notional=None, hard_max_notional=Decimal("10"), max_distance_pct=None,
                    hard_max_distance_pct=None)
    app = make(guards)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        before = len(requests(sim, "create"))
        ticket = await open_ticket(app, pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: str(ticket.query_one("#result").render()), pilot)
        result = str(ticket.query_one("#result").render())
        assert result.startswith("Refused") and "hard_max_notional" in result
        assert isinstance(app.screen, TicketScreen)
    assert len(requests(sim, "create")) == before


async def test_modify_cancel_and_detail_on_the_selected_order(make, sim):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        order = app.selected_order
        assert order is not None
        await pilot.press("m")
        await wait_for(lambda: isinstance(app.screen, ModifyScreen), pilot)
        increment = app.catalog.price_increment(order.order_info.instrument_id)
        app.screen.query_one("#new_price").value = str(order.price - increment * 2)
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, ModifyScreen), pilot)
        assert [r["order_id"] for r in requests(sim, "modify")] == [order.id]

        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, DetailScreen), pilot)
        await wait_for(lambda: app.screen.query_one("DataTable").row_count >= 2, pilot)
        assert order.id in str(app.screen.query_one("#heading").render())
        await pilot.press("escape")

        sim.exchange.step()  # the modify settles: the order can be cancelled
        await pilot.press("c")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        assert order.external_id in str(app.screen.query_one(".body").render())
        await pilot.press("y")
        await wait_for(lambda: requests(sim, "cancel"), pilot)
    assert [r["order_id"] for r in requests(sim, "cancel")] == [order.id]


async def test_cancel_all_in_view_reports_each_failure(make, sim):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        orders = [o for o in app.stores["orders"].items.values() if o.is_open]
        gone = orders[0]
        sim.exchange.cancel_order(gone.id)  # cancelled elsewhere; the screen has not polled since
        sim.exchange.step()
        await pilot.press("C")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        body = str(app.screen.query_one(".body").render())
        assert f"{len(orders)} open order(s)" in body and "BTC-PYUSD" in body
        await pilot.press("y")
        await wait_for(lambda: any("failed" in str(n.message) for n in app._notifications), pilot)
        report = next(str(n.message) for n in app._notifications if "failed" in str(n.message))
        assert f"{len(orders) - 1} canceled, 1 failed" in report and gone.external_id in report
    assert len(requests(sim, "cancel")) == len(orders)  # one each: nothing retried blindly


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"qty": "abc"}, "qty: not a number"),
        ({"qty": "0"}, "qty: must be greater than zero"),
        ({"qty": "-1"}, "qty: must be greater than zero"),
        ({"qty": "0.00001"}, "at most 4 decimals for BTC-PYUSD"),
        ({"price": "97000.25"}, "price: "),  # BTC-PYUSD prices move in steps of 0.5
        ({"price": ""}, "price is required for LIMIT orders"),
        ({"external_id": "Not Valid!"}, "external id: must be a lowercase UUIDv4"),
    ],
    ids=["not-a-number", "zero", "negative", "too-many-decimals", "off-increment", "limit-without-price",
         "bad-external-id"],
)
async def test_each_validation_error_is_shown_inline_and_nothing_is_sent(make, sim, fields, expected):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        before = len(requests(sim, "create"))
        ticket = await open_ticket(app, pilot)
        for name, value in fields.items():
            ticket.query_one(f"#{name}").value = value
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert expected in str(ticket.query_one("#errors").render())
        assert isinstance(app.screen, TicketScreen)
        for name, value in fields.items():
            assert ticket.query_one(f"#{name}").value == value  # what the trader typed is kept
    assert len(requests(sim, "create")) == before


GUARD_CASES = {
    # name: (guard settings, ticket fields) — BTC-PYUSD trades near 97,000
    "max_notional": ({"max_notional": Decimal("10")}, {}),
    "max_qty": ({"max_qty": Decimal("0.0005")}, {}),
    "max_distance_pct": ({"max_distance_pct": Decimal("1")}, {"price": "90000"}),
}


@pytest.mark.parametrize("name", list(GUARD_CASES))
@pytest.mark.parametrize("hard", [False, True], ids=["soft-confirm", "hard-refuse"])
async def test_each_guard_confirms_or_refuses_naming_the_limit(make, sim, name, hard):
    limit, fields = GUARD_CASES[name]
    setting = f"hard_{name}" if hard else name
    guards = LOOSE.model_copy(update={setting: next(iter(limit.values()))})
    app = make(guards)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        before = len(requests(sim, "create"))
        ticket = await open_ticket(app, pilot)
        for field, value in fields.items():
            ticket.query_one(f"#{field}").value = value
        await pilot.pause()
        await pilot.press("ctrl+s")
        if hard:
            await wait_for(lambda: str(ticket.query_one("#result").render()), pilot)
            result = str(ticket.query_one("#result").render())
            assert result.startswith("Refused") and setting in result
            assert isinstance(app.screen, TicketScreen)
        else:
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
            assert setting in str(app.screen.query_one(".body").render())
            await pilot.press("y")
            await wait_for(lambda: not isinstance(app.screen, (TicketScreen, ConfirmScreen)), pilot)
    assert len(requests(sim, "create")) == before + (0 if hard else 1)


def toasts(app, title=None):
    return [n for n in app._notifications if title is None or n.title == title]


async def test_fill_toast_and_bell_for_a_new_trade_of_our_order(make, sim):
    app = make()
    app.settings.bell = True
    rings = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        ticket.query_one("#type").value = "MARKET"
        ticket.query_one("#price").value = ""
        await pilot.pause()
        external_id = ticket.query_one("#external_id").value
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
        sim.exchange.step()  # the market order fills
        before = app.feeds["trades"].successes
        app.clock.advance(2)  # the next trades poll
        await wait_for(lambda: app.feeds["trades"].successes > before, pilot)
        await wait_for(lambda: toasts(app, "Fill"), pilot)
        assert external_id in str(toasts(app, "Fill")[0].message) and "BTC-PYUSD" in str(toasts(app, "Fill")[0].message)
        assert "Fill:" in events_line(app) and external_id in events_line(app)
        assert rings == [1]


def events_line(app) -> str:
    return str(app.query_one("#events").render())


async def test_cancels_elsewhere_go_to_the_events_line_ours_toast_and_rejects_always_toast(make, sim):
    app = make()
    app.toast_batch_seconds = 2.0  # real seconds; 5 in the app
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        first, second, third = [o for o in app.stores["orders"].items.values() if o.is_open][:3]
        for order in (first, second):  # cancelled by another application of the same client
            sim.exchange.cancel_order(order.id)
        sim.exchange.step()
        app.clock.advance(1)
        await wait_for(lambda: "Canceled:" in events_line(app), pilot)
        assert first.external_id in events_line(app) or second.external_id in events_line(app)
        assert "(+1 more)" in events_line(app)
        await pilot.pause(0.1)
        assert not toasts(app, "Canceled") and not toasts(app, "2 orders canceled")  # not ours: no toast

        assert app.table("orders").select_key(third.id)
        await pilot.press("c")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        target = app.selected_order
        await pilot.press("y")
        await wait_for(lambda: requests(sim, "cancel") and requests(sim, "cancel")[-1]["order_id"] == target.id, pilot)
        sim.exchange.step()
        for _ in range(6):  # past the short grace that keeps our own pending copy on screen
            app.clock.advance(1)
            await pilot.pause(0.05)
        await wait_for(lambda: toasts(app, "Canceled"), pilot)  # ours: a toast
        assert target.external_id in str(toasts(app, "Canceled")[0].message)

        quote = app.latest_quotes()[app.catalog.by_symbol("BTC-PYUSD").id]
        ticket = await open_ticket(app, pilot)
        ticket.query_one("#side").value = "BUY"
        ticket.query_one("#price").value = str(quote.info.best_ask.price + 100)  # post-only that would cross
        ticket.query_one("#post_only").value = True
        await pilot.pause()
        external_id = ticket.query_one("#external_id").value
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
        sim.exchange.step()
        for _ in range(6):
            app.clock.advance(1)
            await pilot.pause(0.05)
        await wait_for(lambda: toasts(app, "Rejected"), pilot)
        assert external_id in str(toasts(app, "Rejected")[0].message)
        assert "Rejected:" in events_line(app) and external_id in events_line(app)
