"""Actions reach only rows the trader can see; `n` takes its instrument from the focused pane."""

from textual.widgets import Select
from ui_support import polled, wait_for

from blotter.ui.screens.confirm import ConfirmScreen
from blotter.ui.screens.detail import DetailScreen
from blotter.ui.screens.modify import ModifyScreen
from blotter.ui.screens.ticket import TicketScreen

SMALL = (80, 24)


async def test_an_action_on_a_selection_scrolled_out_of_view_first_shows_it(make_app, fake_client):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "down", "down")
        table = app.table("orders")
        chosen = table.cursor_key
        table.scroll_to(y=table.row_count, animate=False, immediate=True)  # e.g. the mouse wheel
        await pilot.pause()
        assert table.selected_key() is None and app.selected_order is None
        for key, screen in (("c", ConfirmScreen), ("m", ModifyScreen), ("enter", DetailScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, screen), key  # nothing acted on a row nobody could see
            assert table.selected_key() == chosen  # ...the row is on screen again instead
            assert any(f"Press {key} again" in str(n.message) for n in app._notifications)
            table.scroll_to(y=table.row_count, animate=False, immediate=True)
            await pilot.pause()
        table.reveal_selection()
        await pilot.press("c")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        assert chosen in " ".join(app.screen.lines)  # the confirmation names the order that was shown


async def test_n_takes_the_instrument_of_the_focused_panes_selected_row(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        for pane, moves in (("3", ("down",)), ("2", ("down", "down")), ("1", ("down",))):
            await pilot.press(pane, *moves)
            name = app.main.pane
            store = app.stores[name]
            key = app.table(name).selected_key()
            expected = store.row(key)[0].text  # the Symbol cell of the row the trader sees highlighted
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
            assert app.screen.query_one("#instrument", Select).value == expected, name
            await pilot.press("escape")
            await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
