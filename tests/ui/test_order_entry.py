"""Pilot tests of order entry against the simulated exchange over loopback HTTP; the dialogs'
own behaviour (VWAP, detail) also on a bare host app, which shows they need nothing of BlotterApp."""

import asyncio
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr
from textual.app import App
from textual.containers import ScrollableContainer
from textual.widgets import Button

from blotter.api import BadRequest, Credentials, RetryPolicy, TrueXClient
from blotter.api.models import Activity, Asset, Instrument, MarketQuote, Order, VwapQuote
from blotter.config import Guards, Settings
from blotter.core.feeds import FakeClock
from blotter.core.order_actions import Outcome, OutcomeKind
from blotter.core.reference import Catalog
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer
from blotter.ui.app import create_app
from blotter.ui.screens.confirm import ConfirmScreen
from blotter.ui.screens.detail import DetailScreen
from blotter.ui.screens.modify import ModifyScreen
from blotter.ui.screens.ticket import TicketScreen
from ui_support import polled, wait_for

SIZE = (120, 40)
NARROW = (80, 24)
FROZEN = 1_790_000_000_000_000_000
LOOSE = Guards(max_notional=None, hard_max_notional=None, max_distance_pct=None, hard_max_distance_pct=None)


def text(widget) -> str:
    return str(widget.render())


@pytest.fixture
def sim():
    exchange = Exchange(seed=17, clock=lambda: FROZEN, seed_orders=6)
    with SimServer(exchange, auto_tick=False) as server:
        yield server


def toasts(app, title=None):
    return [n for n in app._notifications if title is None or n.title == title]


def requests(sim, action=None):
    record = httpx.get(sim.base_url + "/_sim/orders/requests").json()
    return [r for r in record if action is None or r["action"] == action]


@pytest.fixture
def make(sim, tmp_path):
    def factory(guards: Guards = LOOSE, settings_overrides: dict | None = None):
        credentials = Credentials(DEMO_CREDENTIALS.user_id, DEMO_CREDENTIALS.key, SecretStr(DEMO_CREDENTIALS.secret))
        client = TrueXClient(sim.base_url, credentials=credentials, retry=RetryPolicy(attempts=1))
        settings = Settings(_env_file=None, user_id=DEMO_CREDENTIALS.user_id, guards=guards,
                            **(settings_overrides or {}))
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
        assert "Quantity is not a number" in errors and "External id must be a lowercase UUIDv4" in errors
        assert isinstance(app.screen, TicketScreen)
        assert ticket.query_one("#qty").value == "12abc"
        assert ticket.query_one("#external_id").value == "Not Valid!"
        ticket.query_one("#qty").value = "0.00001"
        ticket.query_one("#price").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = str(ticket.query_one("#errors").render())
        assert "Quantity: at most 4 decimals for BTC-PYUSD" in errors
        assert "Price is required for a LIMIT order" in errors
        assert "not a number" not in errors  # the first submit's message went when the quantity changed
    assert requests(sim, "create") == [r for r in requests(sim, "create") if r["external_id"].startswith("seed")]


async def test_soft_guard_needs_confirmation_naming_the_limit(make, sim):
    guards = Guards(max_notional=Decimal("10"), hard_max_notional=None, max_distance_pct=None,
                    hard_max_distance_pct=None)
    app = make(guards)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        ticket.query_one("#price").value = "97000.5"
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        body = str(app.screen.query_one(".body").render())
        assert "BUY 0.0010 BTC-PYUSD at 97,000.5" in body  # side, quantity, symbol, price
        assert "Notional 97.0005 PYUSD" in body  # exactly: 0.0010 x 97,000.5
        assert "• Notional 97.0005 exceeds the limit max_notional = 10" in body
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
        assert f"BUY 0.0010 BTC-PYUSD at {Decimal(ticket.query_one('#price').value):,f}" in result
        assert "Notional " in result and " PYUSD" in result
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("backspace")  # an edit: the verdict was on the values submitted, not these
        assert str(ticket.query_one("#result").render()) == ""
        assert ticket.query_one("#qty").value == "0.001"  # what was typed is kept
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
        new_price = order.price - increment * 2
        app.screen.query_one("#price").value = str(new_price)
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, ModifyScreen), pilot)
        assert [r["order_id"] for r in requests(sim, "modify")] == [order.id]
        sent = sim.exchange.orders[order.id].pending_modify
        assert (sent.new_qty, sent.new_price) == (order.qty, new_price)  # both: the quantity unchanged

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


async def test_cancel_all_in_view_accounts_for_every_order(make, sim):
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
        await wait_for(lambda: toasts(app, "Cancel all"), pilot)
        report = str(toasts(app, "Cancel all")[0].message)
        # Canceled elsewhere is "already gone", not a failure, and it is named.
        n = len(orders)
        assert report.startswith(f"{n - 1} of {n} canceled ({n - 1} awaiting the exchange) · 1 already filled or gone"
                                 " · 0 failed")
        assert f"{gone.external_id}: CANCELED" in report and "all" not in report.splitlines()[0]
    assert len(requests(sim, "cancel")) == len(orders)  # one each: nothing retried blindly


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"qty": "abc"}, "Quantity is not a number"),
        ({"qty": "0"}, "Quantity must be greater than zero"),
        ({"qty": "-1"}, "Quantity must be greater than zero"),
        ({"qty": "0.00001"}, "Quantity: at most 4 decimals for BTC-PYUSD"),
        ({"price": "97000.25"}, "Price: at most 1 decimal for BTC-PYUSD"),  # BTC-PYUSD prices move in steps of 0.5
        ({"price": ""}, "Price is required for a LIMIT order"),
        ({"external_id": "Not Valid!"},
         "External id must be a lowercase UUIDv4, or up to 18 of A-Z a-z 0-9 - _ . ~"),
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


async def test_fill_toast_and_bell_for_a_new_trade_of_our_order(make, sim):
    app = make(settings_overrides={"bell": True})
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
    app.notices.batch_seconds = 2.0  # real seconds; 5 in the app
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        first, second, third = [o for o in app.stores["orders"].items.values() if o.is_open][:3]
        for order in (first, second):  # cancelled by another application of the same client
            sim.exchange.cancel_order(order.id)
        sim.exchange.step()
        app.clock.advance(1)
        await wait_for(lambda: "Canceled" in events_line(app), pilot)
        assert first.external_id in events_line(app) or second.external_id in events_line(app)
        assert "Canceled (+1 more):" in events_line(app)  # the count before the detail: never cut off
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

        quote = app.dashboard.latest_quotes()[app.catalog.by_symbol("BTC-PYUSD").id]
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


# --- messages as you type ---------------------------------------------------------------------


async def test_messages_follow_the_typing_and_an_untouched_empty_field_waits_for_submit(make, sim):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot, qty="")
        errors = ticket.query_one("#errors")
        assert text(errors) == "" and not errors.display  # the empty quantity is not flagged before a submit
        ticket.query_one("#qty").focus()
        await pilot.press("0")
        assert text(errors) == "Quantity must be greater than zero"  # live, no submit
        await pilot.press(".", "0", "0", "0", "0", "1")
        assert text(errors) == "Quantity: at most 4 decimals for BTC-PYUSD"
        await pilot.press("backspace")
        assert text(errors) == "Quantity must be greater than zero"  # 0.0000
        await pilot.press("backspace", "5")
        assert text(errors) == "" and not errors.display  # 0.0005: fixed, the message goes
        assert "Notional" in text(ticket.query_one("#figures"))


async def test_after_a_rejected_submit_the_messages_keep_up_with_the_typing(make, sim):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot, qty="0")
        ticket.query_one("#client_id").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = ticket.query_one("#errors")
        assert text(errors) == "Quantity must be greater than zero\nClient is required"
        ticket.query_one("#qty").value = "0.0010"
        await pilot.pause()
        assert text(errors) == "Client is required"  # no stale "greater than zero" beside a valid quantity
        ticket.query_one("#qty").value = ""
        await pilot.pause()
        assert text(errors) == "Quantity is required\nClient is required"  # after a submit, empty fields count
        assert ticket.query_one("#qty").has_class("-invalid") and not ticket.query_one("#price").has_class("-invalid")
        assert isinstance(app.screen, TicketScreen)


async def test_market_keeps_the_typed_limit_price_aside_and_brings_it_back(make, sim):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        ticket.query_one("#price").value = "95000.5"
        ticket.query_one("#post_only").value = True
        await pilot.pause()
        ticket.query_one("#type").value = "MARKET"
        await pilot.pause()
        price = ticket.query_one("#price")
        assert price.disabled and price.value == "" and not ticket.query_one("#post_only").value
        assert text(ticket.query_one("#errors")) == ""
        ticket.query_one("#side").value = "SELL"  # would re-prefill an untyped price
        ticket.query_one("#type").value = "LIMIT"
        await pilot.pause()
        assert not price.disabled and price.value == "95000.5" and ticket.query_one("#post_only").value


# --- VWAP for MARKET tickets, on a bare host app (the ticket needs nothing of BlotterApp) --------

BTC = Instrument.model_validate(
    {"id": "100", "info": {"symbol": "BTC-PYUSD", "price_increment": "0.5", "qty_increment": "0.0001",
                           "base_asset_id": "1", "quote_asset_id": "9"}}
)
CATALOG = Catalog({"100": BTC}, {"1": Asset(id="1", name="BTC"), "9": Asset(id="9", name="PYUSD")})
QUOTES = {"100": MarketQuote.model_validate(
    {"id": "100", "info": {"best_bid": {"price": "99990", "qty": "1"}, "best_ask": {"price": "100010", "qty": "1"}}}
)}


class Host(App):
    """Shows one dialog, records what it dismissed with."""

    def __init__(self, dialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


class GatedVwap:
    """A VWAP source that answers only when the test says so; records every request."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Decimal]] = []
        self.gates: list[asyncio.Future] = []

    async def __call__(self, instrument_id: str, side: str, qty: Decimal) -> VwapQuote:
        self.calls.append((instrument_id, side, qty))
        gate = asyncio.get_running_loop().create_future()
        self.gates.append(gate)
        return await gate

    def answer(self, index: int, price: str | None = None, error: Exception | None = None) -> None:
        if error is not None:
            self.gates[index].set_exception(error)
        else:
            self.gates[index].set_result(VwapQuote.model_validate({"qty": "1", "price": price}))


def market_ticket(vwap=None, guards=LOOSE, sent=None, delay=0.2):
    async def submit(order):
        sent.append(order)
        return Outcome(OutcomeKind.ACCEPTED, "sent")

    ticket = TicketScreen(CATALOG, lambda: QUOTES, guards, submit, client_id="42", instrument="BTC-PYUSD",
                          vwap_quote=vwap, vwap_delay=delay)
    return ticket


async def choose_market(host, pilot):
    await pilot.pause()
    ticket = host.screen
    ticket.query_one("#type").value = "MARKET"
    await pilot.pause()
    return ticket


async def test_vwap_is_asked_once_typing_stops_and_shown_for_the_size():
    vwap = GatedVwap()
    host = Host(market_ticket(vwap, delay=0.6))  # long enough that a busy test machine cannot fake a pause
    async with host.run_test(size=SIZE) as pilot:
        ticket = await choose_market(host, pilot)
        expected = ticket.query_one("#expected")
        assert text(expected) == "Expected price: type a valid quantity"
        await pilot.press(*"0.0050")  # focus starts in Quantity
        await pilot.pause(0.1)
        assert vwap.calls == []  # not on every keystroke
        assert text(expected) == "Expected price: asking the exchange…"
        await wait_for(lambda: vwap.calls, pilot)
        assert vwap.calls == [("100", "BUY", Decimal("0.0050"))]
        vwap.answer(0, "100012.25")
        await wait_for(lambda: "Expected avg" in text(expected), pilot)
        assert text(expected) == "Expected avg price 100,012.25 for 0.0050 BTC (VWAP)"
        # The notional is worked out at the VWAP, not the mid (100,000).
        assert text(ticket.query_one("#figures")).startswith("Notional 500.06125 PYUSD at VWAP")


async def test_one_vwap_request_in_flight_and_a_stale_answer_is_ignored():
    vwap = GatedVwap()
    host = Host(market_ticket(vwap))
    async with host.run_test(size=SIZE) as pilot:
        ticket = await choose_market(host, pilot)
        expected = ticket.query_one("#expected")
        await pilot.press(*"0.0050")
        await wait_for(lambda: len(vwap.calls) == 1, pilot)
        await pilot.press("backspace", "6")  # 0.0056 while the first request is out
        await pilot.pause(0.5)
        assert len(vwap.calls) == 1  # still one in flight
        vwap.answer(0, "90000")  # the answer for 0.0050: stale
        await wait_for(lambda: len(vwap.calls) == 2, pilot)
        assert vwap.calls[1] == ("100", "BUY", Decimal("0.0056"))
        assert "90,000" not in text(expected) and "90,000" not in text(ticket.query_one("#figures"))
        vwap.answer(1, "100020")
        await wait_for(lambda: "Expected avg" in text(expected), pilot)
        assert text(expected) == "Expected avg price 100,020 for 0.0056 BTC (VWAP)"


async def test_no_vwap_says_why_and_falls_back_to_the_mid():
    vwap = GatedVwap()
    host = Host(market_ticket(vwap))
    async with host.run_test(size=SIZE) as pilot:
        ticket = await choose_market(host, pilot)
        await pilot.press(*"0.0050")
        await wait_for(lambda: vwap.calls, pilot)
        vwap.answer(0, error=BadRequest(400, "Insufficient liquidity"))
        await wait_for(lambda: "no VWAP" in text(ticket.query_one("#expected")), pilot)
        assert text(ticket.query_one("#expected")) == "no VWAP: Insufficient liquidity (the notional uses the mid)"
        assert text(ticket.query_one("#figures")).startswith("Notional 500.00 PYUSD at mid")


async def test_a_market_order_is_guarded_at_its_vwap_and_sent_without_a_price():
    vwap, sent = GatedVwap(), []
    guards = LOOSE.model_copy(update={"max_notional": Decimal("550")})  # at mid 500 passes; at the VWAP 600 does not
    host = Host(market_ticket(vwap, guards, sent))
    async with host.run_test(size=SIZE) as pilot:
        await choose_market(host, pilot)
        await pilot.press(*"0.0050")
        await wait_for(lambda: vwap.calls, pilot)
        vwap.answer(0, "120000")
        await wait_for(lambda: "Expected avg" in text(host.screen.query_one("#expected")), pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(host.screen, ConfirmScreen), pilot)
        body = text(host.screen.query_one(".body"))
        assert "BUY 0.0050 BTC-PYUSD at MARKET (expected 120,000, VWAP)" in body
        assert "• Notional 600.00 exceeds the limit max_notional = 550" in body
        await pilot.press("y")
        await wait_for(lambda: host.results, pilot)
    assert host.results[0].ok and len(sent) == 1
    assert (sent[0].info.type, sent[0].info.price, sent[0].info.qty) == ("MARKET", None, Decimal("0.0050"))


# --- detail --------------------------------------------------------------------------------------


def wire_order(**changes) -> Order:
    fields = {
        "id": "7001", "status": "ACTIVE", "external_id": "desk-7",
        "order_info": {"client_id": "42", "instrument_id": "100", "side": "BUY", "type": "LIMIT", "qty": "0.01000",
                       "price": "97000.50"},
        "exeuted_qty": "0", "executed_vwap": "0", "timestamp": str(FROZEN),
    }
    fields.update(changes)
    return Order.model_validate(fields)


async def test_detail_says_nothing_executed_and_shows_amounts_as_sent():
    filled = wire_order(exeuted_qty="0.00500", executed_vwap="96981.55", leaves_qty="0.00500")
    asked: list = []
    release = asyncio.Event()

    async def refresh_order(order_id):
        asked.append(("order", order_id))
        await release.wait()
        return filled

    async def load_activity(order_id, since):
        asked.append(("activity", order_id, since))
        return [Activity.model_validate({"client_id": "42", "instrument_id": "100", "msg_type": "REPORT_TRADE",
                                         "timestamp": str(FROZEN), "side": "BUY", "order_price": "97000.50",
                                         "order_qty": "0.00500"})]

    host = Host(DetailScreen(wire_order(), CATALOG, refresh_order=refresh_order, load_activity=load_activity,
                             refresh_seconds=60))
    async with host.run_test(size=SIZE) as pilot:
        await pilot.pause()
        detail = host.screen
        body = text(detail.query_one("#body"))
        assert "executed         nothing executed" in body and "0.0000" not in body
        assert "price            97,000.50" in body and "quantity         0.01000" in body  # as sent
        release.set()  # the refresh answers: part filled
        await wait_for(lambda: detail.query_one("#trail").row_count == 1, pilot)
        body = text(detail.query_one("#body"))
        assert "executed         0.00500 at avg 96,981.55" in body
        assert detail.query_one("#trail").get_row_at(0)[3:] == ["97,000.50", "0.00500"]
        await pilot.press("escape")
        await wait_for(lambda: host.results == [None], pilot)
    assert asked == [("order", "7001"), ("activity", "7001", FROZEN)]


# --- fits 80x24, uses the room at 120x40 -----------------------------------------------------------


def shown(widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if hasattr(node, "display"))


def assert_shows_whole(screen) -> None:
    """Every widget of the dialog lies inside its frame, the frame inside the screen, nothing needs
    scrolling to be seen, and the buttons show."""
    frame = screen.children[0]
    assert screen.region.contains_region(frame.region), (frame.region, screen.size)
    for widget in frame.query("*"):
        if shown(widget):
            assert frame.region.contains_region(widget.region), (widget, widget.region, frame.region)
    for container in [frame, *frame.query(ScrollableContainer)]:
        if shown(container) and container.id != "trail":  # the activity table scrolls its rows
            assert container.max_scroll_y == 0, container
    for button in frame.query(Button):
        assert button.region.height >= 1 and button.region.width >= len(str(button.label)), button


async def test_every_dialog_shows_whole_at_80x24(make, sim):
    guards = LOOSE.model_copy(update={"max_notional": Decimal("10"), "max_qty": Decimal("0.0001")})
    app = make(guards)
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot, qty="12abc")
        ticket.query_one("#external_id").value = "Not Valid!"
        ticket.query_one("#client_id").value = ""
        ticket.query_one("#price").value = "1.25"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert len(text(ticket.query_one("#errors")).splitlines()) == 4  # the longest the form gets
        assert_shows_whole(ticket)
        assert ticket.has_class("-compact") and ticket.query_one("#qty").region.height == 1

        ticket.query_one("#qty").value = "0.0010"
        ticket.query_one("#price").value = "97000.5"
        ticket.query_one("#client_id").value = "42"
        ticket.query_one("#external_id").value = "fits-1"
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.pause()
        assert_shows_whole(app.screen)  # the guard's question, two limits restated
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
        ticket.query_one("#type").value = "MARKET"
        await wait_for(lambda: "Expected avg price" in text(ticket.query_one("#expected")), pilot)
        assert_shows_whole(ticket)
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)

        for key, screen in (("m", ModifyScreen), ("enter", DetailScreen), ("C", ConfirmScreen), ("c", ConfirmScreen)):
            await pilot.press(key)
            await wait_for(lambda screen=screen: isinstance(app.screen, screen), pilot)
            await pilot.pause()
            if screen is DetailScreen:
                await wait_for(lambda: app.screen.query_one("#trail").row_count >= 1, pilot)
            assert_shows_whole(app.screen)
            await pilot.press("escape")
            await wait_for(lambda screen=screen: not isinstance(app.screen, screen), pilot)


async def test_the_ticket_uses_the_room_at_120x40(make, sim):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        assert_shows_whole(ticket)
        assert not ticket.has_class("-compact")
        assert ticket.query_one("#qty").region.height == 3  # bordered fields when there is room
        assert ticket.children[0].region.width > 80
        external_id = ticket.query_one("#external_id")
        assert external_id.region.width - 4 >= len(external_id.value)  # the whole UUID shows
        await pilot.resize_terminal(*NARROW)  # the terminal shrinks under an open ticket
        await pilot.pause()
        assert ticket.has_class("-compact") and ticket.query_one("#qty").region.height == 1
        assert_shows_whole(ticket)
