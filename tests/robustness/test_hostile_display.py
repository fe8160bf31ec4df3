"""Hostile rows and hostile error text in the running app: shown literally, counted, never a crash."""

from __future__ import annotations

import httpx
import pytest
from robustness_support import FROZEN, SIZE, make_app, ready, status_text, wait_for

from blotter.api import ServerError, TrueXClient
from blotter.api._client import Response
from blotter.api.models import Order
from blotter.core.feeds import FakeClock, Freshness
from blotter.sim import Exchange, SimServer

MARKUP_ID = "[bold red]x[/]"
LINK = "[link=https://evil.example]y[/]"
HOSTILE_ROWS = [
    {"id": "h1", "status": LINK, "external_id": MARKUP_ID, "order_info": {"side": "[blink]", "type": "\x1b[2J"},
     "timestamp": 10**30},
    {"id": "h2", "external_id": "[@click=app.quit]q[/]", "order_info": {"price": "1e30", "qty": "-5"}},
    {"id": None, "status": "ACTIVE"},  # no id (pending, §3): kept, keyed by what it has
    "not an order at all",  # cannot be shown or tracked, so it is counted
    {"leaves_qty": "not a number", "id": "h3"},  # kept: the one field shows its raw text, marked
]


@pytest.fixture
def sim():
    with SimServer(Exchange(seed=9, clock=lambda: FROZEN, seed_orders=2), auto_tick=False) as server:
        yield server


def hostile_page():
    response = Response(data=HOSTILE_ROWS, next_cursor=None, headers=httpx.Headers())
    return TrueXClient("http://127.0.0.1:9")._page(Order, response, "GET", "/api/v1/orders/active")


def screen_lines(table) -> list[str]:
    return ["".join(segment.text for segment in table.render_line(y)) for y in range(table.size.height)]


async def test_hostile_rows_render_literally_and_bad_rows_are_counted(sim):
    clock = FakeClock()
    app = make_app(sim.base_url, clock)

    async def active_orders(**_):
        return hostile_page()

    app.client.active_orders = active_orders  # the orders feed reads this when it is built
    async with app.run_test(size=(240, 40)) as pilot:  # wide enough for every orders column
        await ready(app, clock, pilot)
        await pilot.pause()
        keys = set(app.stores["orders"].items)
        assert keys - {"h1", "h2", "h3"} == {Order.model_validate(HOSTILE_ROWS[2]).key} and len(keys) == 4
        assert app.dashboard.bad_rows["orders"] == 1  # per poll: reported, not silently dropped
        assert "1 unreadable row not shown" in status_text(app)
        leaves = [c.key for c in app.stores["orders"].columns].index("leaves")
        assert app.stores["orders"].row("h3")[leaves][:2] == ("not a number?", "unreadable")
        table = app.table("orders")
        text = "\n".join(screen_lines(table))
        assert MARKUP_ID in text and "[@click=app.quit]q[" in text and "[link=https:/" in text  # cut to the column
        assert "\x1b" not in text and "\\x1b" in text  # shown, but never sent to the terminal raw
        assert not app._notifications  # a standing count, not a toast on every poll
        assert app.is_running


@pytest.mark.parametrize("title", ["[/bold] unbalanced", "[link=https://evil.example]log in again[/link]", "[@click=app.quit]x"])
async def test_markup_in_a_server_error_is_not_interpreted(sim, title):
    clock = FakeClock()
    app = make_app(sim.base_url, clock)

    async def failing_balances(**_):
        raise ServerError(500, title, detail="[red]detail[/red]", method="GET", path="/api/v1/balances")

    app.client.balances = failing_balances
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts shown, as in real use
        await wait_for(lambda: app.ready and app.feeds["balances"].errors >= 1, pilot)
        await wait_for(lambda: app.screen.query("Toast"), pilot, what="the toast")
        await pilot.pause()
        toasts = " ".join(str(toast.render()) for toast in app.screen.query("Toast"))
        assert title in toasts and "[red]detail[/red]" in toasts  # literal: nothing interpreted
        feed = app.feeds["balances"]
        assert feed.health() is Freshness.FAILING and feed.status().error_title == f"500 {title}"
        assert f"500 {title}" in status_text(app)  # the literal text, brackets included
        assert app.is_running


async def test_a_wrong_secret_says_what_to_check_in_a_toast_that_fits_and_one_toast_at_a_time(sim):
    from robustness_support import make_client

    from blotter.ui.screens.help import HelpScreen

    clock = FakeClock()
    app = make_app(sim.base_url, clock, client=make_client(sim.base_url, secret="not-the-secret"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(lambda: app.unauthorized is not None and app.feeds["balances"].errors >= 1, pilot)
        await pilot.pause()
        # orders, trades and balances fail at once: one toast, the one that says what to do
        assert [n.title for n in app._notifications] == ["Not signed in"]
        assert "Press ? for what to check" in next(iter(app._notifications)).message
        app.notify("one")
        app.notify("two")
        await pilot.pause()
        # news replaces news, one at a time; the graver "Not signed in" stays its time beside it
        assert [n.title or n.message for n in app._notifications] == ["Not signed in", "two"]
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), pilot)
        notice = str(app.screen.query_one("#notice").render())
        assert "TRUEX_API_SECRET" in notice and "TRUEX_API_KEY" in notice and "clock" in notice
        assert "not-the-secret" not in notice
