"""Order entry from the keyboard alone, at 80x24, against the simulated exchange over loopback HTTP.

Nothing here sets a widget's value: every field is reached with tab / shift+tab, lists are opened
with enter or space and chosen with arrows, the checkbox ticked with space. What the exchange
received is then read from the simulator itself.
"""

from decimal import Decimal

from test_order_entry import (  # noqa: F401 - make and sim are fixtures
    NARROW,
    make,
    ready,
    requests,
    sim,
    text,
    toasts,
    wait_for,
)

from blotter.ui.screens.confirm import ConfirmScreen
from blotter.ui.screens.detail import DetailScreen
from blotter.ui.screens.modify import ModifyScreen
from blotter.ui.screens.ticket import TicketScreen

READING_ORDER = ["instrument", "side", "type", "tif", "qty", "price", "stp", "post_only", "client_id",
                 "external_id", "close", "submit"]


async def keys(pilot, *pressed: str) -> None:
    """One key at a time, letting the app settle in between (a list opens and closes as it would)."""
    for key in pressed:
        await pilot.press(key)
        await pilot.pause()


async def open_ticket(app, pilot) -> TicketScreen:
    await keys(pilot, "n")
    await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
    await pilot.pause()
    return app.screen


async def open_modify(app, pilot) -> ModifyScreen:
    await keys(pilot, "m")
    await wait_for(lambda: isinstance(app.screen, ModifyScreen), pilot)
    return app.screen


def on_exchange(sim, external_id: str):
    found = [o for o in sim.exchange.orders.values() if o.external_id == external_id]
    assert len(found) == 1, found
    return found[0]


async def test_tab_and_shift_tab_visit_every_field_in_reading_order(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        await open_ticket(app, pilot)
        assert app.focused.id == "qty"  # the field a trader fills first, as the hint says
        assert "Focus starts in Quantity" in text(app.screen.query_one(".hint"))
        await keys(pilot, *["shift+tab"] * 4)
        assert app.focused.id == "instrument"
        seen = [app.focused.id]
        for _ in READING_ORDER[1:]:
            await keys(pilot, "tab")
            seen.append(app.focused.id)
        assert seen == READING_ORDER
        await keys(pilot, "tab")
        assert app.focused.id == "instrument"  # round again, never out of the dialog
        back = []
        for _ in range(3):
            await keys(pilot, "shift+tab")
            back.append(app.focused.id)
        assert back == ["submit", "close", "external_id"]


async def test_a_limit_ticket_filled_and_sent_with_keys_only(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        await keys(pilot, *"0.0020")  # Quantity has the focus
        await keys(pilot, *["shift+tab"] * 4, "enter", "home", "enter")  # instrument: the first, BTC-PYUSD
        assert ticket.query_one("#instrument").value == "BTC-PYUSD"
        await keys(pilot, "tab", "space", "down", "enter")  # side: SELL
        assert ticket.query_one("#side").value == "SELL"
        await keys(pilot, "tab", "tab", "tab")  # type LIMIT and TIF GTC stay; back in Quantity
        assert app.focused.id == "qty" and app.focused.value == "0.0020"
        await keys(pilot, "tab", *"99000.0")  # price: the prefilled ask is selected on arrival, typing replaces it
        await keys(pilot, "tab", "enter", "end", "enter")  # STP: CANCEL_BOTH
        await keys(pilot, "tab", "space")  # post-only ticked
        assert ticket.query_one("#post_only").value is True
        await keys(pilot, "tab", "tab", *"kb-limit-1")  # past Client to External id: replaces the UUID
        assert text(ticket.query_one("#errors")) == ""
        await keys(pilot, "ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
        placed = on_exchange(sim, "kb-limit-1")
        btc = app.catalog.by_symbol("BTC-PYUSD")
        assert (placed.instrument_id, placed.side, placed.type, placed.tif) == (btc.id, "SELL", "LIMIT", "GTC")
        assert (placed.qty, placed.price) == (Decimal("0.0020"), Decimal("99000.0"))
        assert (placed.exec_inst_flags, placed.stp, placed.client_id) == (["ALO"], "CANCEL_BOTH", app.client_id)
    assert [r["external_id"] for r in requests(sim, "create")].count("kb-limit-1") == 1


async def test_a_market_ticket_filled_and_sent_with_keys_only(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)
        await keys(pilot, *"0.0050", *["shift+tab"] * 4, "enter", "home", "enter")  # BTC-PYUSD
        await keys(pilot, "tab", "tab", "enter", "down", "enter")  # type: MARKET
        assert ticket.query_one("#type").value == "MARKET"
        await keys(pilot, "tab", "space", "down", "enter")  # TIF: IOC
        assert ticket.query_one("#tif").value == "IOC"
        await keys(pilot, "tab", "tab")
        assert app.focused.id == "stp"  # the disabled price is skipped
        await keys(pilot, "shift+tab")
        assert app.focused.id == "qty"
        await wait_for(lambda: "Expected avg price" in text(ticket.query_one("#expected")), pilot)
        assert text(ticket.query_one("#expected")).endswith("for 0.0050 BTC (VWAP)")
        external_id = ticket.query_one("#external_id").value
        await keys(pilot, "ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
        placed = on_exchange(sim, external_id)
        assert (placed.instrument_id, placed.side, placed.type, placed.tif) == (
            app.catalog.by_symbol("BTC-PYUSD").id, "BUY", "MARKET", "IOC")
        assert (placed.qty, placed.price, placed.exec_inst_flags) == (Decimal("0.0050"), None, [])


async def test_tab_inside_a_dialog_leaves_the_dashboard_as_it_was(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        await keys(pilot, "2")
        assert app.focused.id == "trades"
        ticket = await open_ticket(app, pilot)
        await keys(pilot, "tab", "tab", "tab", "shift+tab", "tab", "tab")
        assert app.focused.screen is ticket  # tab moved between the ticket's fields...
        assert app.screen_stack[0].focused.id == "trades"  # ...and nothing behind it
        await keys(pilot, "escape")
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
        assert app.focused.id == "trades"
        await keys(pilot, "slash", *"eth", "enter")
        assert app.stores["trades"].filter_text == "eth"  # / filtered the pane that had the focus
        assert app.stores["orders"].filter_text == ""


async def test_modify_with_keys_only_sends_both_fields(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        order = app.selected_order
        modify = await open_modify(app, pilot)
        assert app.focused.id == "qty" and app.focused.value == f"{order.qty:f}"  # opened with the current values
        assert modify.query_one("#price").value == f"{order.price:f}"
        new_price = order.price - app.catalog.price_increment(order.order_info.instrument_id) * 3
        await keys(pilot, "tab", *f"{new_price:f}")  # the price, selected on arrival, is typed over
        assert text(modify.query_one("#errors")) == ""
        await keys(pilot, "ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, ModifyScreen), pilot)
        sent = sim.exchange.orders[order.id].pending_modify
        assert (sent.new_qty, sent.new_price) == (order.qty, new_price)  # the unchanged quantity too
        assert [r["order_id"] for r in requests(sim, "modify")] == [order.id]


def burst(app, *keys: tuple[str, str | None]) -> None:
    """Keys posted together, as a slow SSH link delivers what was typed during a stall."""
    from textual import events

    for key, character in keys:
        app.post_message(events.Key(key, character))


async def test_keys_arriving_together_are_applied_in_the_order_typed(make, sim):
    # Textual runs an Input's backspace through the app's bindings, after the digits typed behind
    # it (Textual #6605): here the price came out empty, or as another number.
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        price = (await open_modify(app, pilot)).query_one("#price")
        await keys(pilot, "tab", "end")
        typed = price.value[:-2] + "75"
        burst(app, ("backspace", None), ("backspace", None), ("7", "7"), ("5", "5"))
        await pilot.pause()
        assert price.value == typed
        burst(app, *[("backspace", None)] * len(typed), *[(c if c != "." else "full_stop", c) for c in "190.5"])
        await pilot.pause()
        assert price.value == "190.5"
        burst(app, ("left", None), ("left", None), ("4", "4"))  # the arrows are bindings too
        await pilot.pause()
        assert price.value == "1904.5"


async def test_modify_says_so_when_nothing_would_change(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        modify = await open_modify(app, pilot)
        assert text(modify.query_one("#errors")) == ""  # not on opening
        await keys(pilot, "ctrl+s")
        assert text(modify.query_one("#errors")) == "Nothing to change: edit the quantity or the price"
        await keys(pilot, *"0")  # the quantity, selected on opening, becomes 0
        assert text(modify.query_one("#errors")) == "Quantity must be greater than zero"
    assert requests(sim, "modify") == []


async def test_cancel_with_c_then_y(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        order = app.selected_order
        await keys(pilot, "c")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        body = text(app.screen.query_one(".body"))
        assert f"{order.order_info.side} {order.leaves_qty:,f}" in body and order.external_id in body
        await keys(pilot, "y")
        await wait_for(lambda: requests(sim, "cancel"), pilot)
        await wait_for(lambda: toasts(app), pilot)
        assert f"Cancel of {order.external_id} sent: CANCEL_PENDING" in [str(n.message) for n in toasts(app)]
    assert [r["order_id"] for r in requests(sim, "cancel")] == [order.id]


async def test_cancel_all_with_shift_c_then_y_accounts_for_every_order(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        orders = app.dashboard.open_orders_in_view(app.client_id)
        await keys(pilot, "C")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await keys(pilot, "y")
        await wait_for(lambda: toasts(app, "Cancel all"), pilot)
        n = len(orders)
        assert str(toasts(app, "Cancel all")[0].message) == (
            f"{n} of {n} canceled ({n} awaiting the exchange) · 0 already filled or gone · 0 failed")
    assert sorted(r["order_id"] for r in requests(sim, "cancel")) == sorted(o.id for o in orders)


async def test_detail_with_enter_and_back_with_escape(make, sim):
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        order = app.selected_order
        await keys(pilot, "enter")
        await wait_for(lambda: isinstance(app.screen, DetailScreen), pilot)
        assert order.id in text(app.screen.query_one("#heading"))
        assert "executed         nothing executed" in text(app.screen.query_one("#body"))
        await keys(pilot, "escape")
        await wait_for(lambda: not isinstance(app.screen, DetailScreen), pilot)
        assert app.focused.id == "orders"


async def test_keys_that_arrive_together_fill_the_fields_they_were_typed_for(make, sim):
    """Over a slow link a trader's keys arrive in one read: the terminal driver hands them to the app
    together, before any is handled. The price typed after tab goes into the price, not the quantity."""
    from textual import events

    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await ready(app, pilot)
        ticket = await open_ticket(app, pilot)  # tab into the price selects what it holds: typing replaces it
        for key, character in [("0", "0"), ("full_stop", "."), ("5", "5"), ("tab", "\t"),
                               ("1", "1"), ("8", "8"), ("9", "9"), ("shift+tab", None)]:
            app.post_message(events.Key(key, character))  # as the driver does, all before any is handled
        await pilot.pause()
        await pilot.pause()
        assert ticket.query_one("#qty").value == "0.5"
        assert ticket.query_one("#price").value == "189"
        assert app.focused.id == "qty"
