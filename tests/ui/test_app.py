"""Pilot tests of the dashboard against an in-memory client and a fake clock."""

from ui_support import polled, wait_for
from fakes import make_order

from blotter.api import ServerError
from blotter.api.models import Order
from blotter.ui.app import BlotterApp
from blotter.ui.main_screen import MainScreen
from blotter.ui.run import apply_color_mode
from blotter.ui.screens.help import HelpScreen
from blotter.ui.widgets.live_table import LiveTable

SIZE = (120, 40)


async def repoll(app, pilot, clock, name, seconds=1.0):
    before = app.feeds[name].polls
    clock.advance(seconds)
    await wait_for(lambda: app.feeds[name].polls > before and not app.feeds[name].in_flight, pilot)
    await pilot.pause()


async def test_panes_fill_and_header_shows_environment(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause()
        assert app.table("orders").row_count == 30
        assert app.trades.total == 120
        assert app.table("quotes").row_count == 3
        assert app.table("balances").row_count == 5  # four assets and their total value
        header = str(app.query_one("#header").render())
        assert "UAT" in header and "client 42" in header and "clock +3s" in header
        assert "s3cret" not in header
        status = str(app.query_one("#status").render())
        # fresh feeds say nothing more, so the line does not change while all is well
        assert status.split() == ["●", "orders", "●", "trades", "●", "quotes", "●", "balances"]
        assert not app.table("balances").display  # at 120 columns it shares its place with the positions
        await pilot.press("4")
        await pilot.pause()
        assert app.table("balances").display and not app.table("positions").display
        assert str(app.query_one("#balances").border_subtitle).startswith("fees hold 12.50")
        assert isinstance(app.selected_order, Order)


async def test_focus_keys_and_tab(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for key, name in (("2", "trades"), ("3", "quotes"), ("4", "balances"), ("5", "positions"), ("1", "orders")):
            await pilot.press(key)
            assert app.focused.id == name
        await pilot.press("tab")
        assert app.focused.id == "trades"
        await pilot.press("tab", "tab", "tab", "tab")
        assert app.focused.id == "orders"
        await pilot.press("shift+tab")
        assert app.focused.id == "positions"  # panes cycle in their numbered, on-screen order


async def test_filter_typing_and_escape(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "slash")
        assert app.focused.id == "filter"
        await pilot.press(*"btc")
        orders = app.stores["orders"]
        assert orders.filter_text == "btc"
        assert len(orders.view) == 10 and all(orders.row(k)[0].text == "BTC-PYUSD" for k in orders.view)
        assert "filter: btc" in str(app.table("orders").border_subtitle)
        await pilot.press("enter")
        assert app.focused.id == "orders" and orders.filter_text == "btc"
        await pilot.press("escape")
        assert orders.filter_text == "" and len(orders.view) == 30
        assert "filter" not in str(app.table("orders").border_subtitle)
        # escape inside the filter box clears it too
        await pilot.press("2", "slash", *"maker")
        assert app.trades.matching == 60
        await pilot.press("escape")
        assert app.trades.filter_text == "" and app.focused.id == "trades"


async def test_sort_by_current_column_and_reverse(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "right", "right", "right", "right")  # to Price
        table = app.table("orders")
        assert table.cursor_column == 4
        await pilot.press("s")
        store = app.stores["orders"]
        prices = [store.items[k].price for k in store.view]
        assert prices == sorted(prices)
        await pilot.press("s")
        prices = [store.items[k].price for k in store.view]
        assert prices == sorted(prices, reverse=True)
        assert "Price▼" in table._header_strip().text


async def test_pause_is_visible_and_stops_polling(make_app, fake_clock, fake_client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("p")
        assert app.feeds.paused
        assert "PAUSED" in str(app.query_one("#status").render())
        calls = dict(fake_client.calls)
        for _ in range(3):
            fake_clock.advance(5)
            await pilot.pause(0.02)
        assert fake_client.calls == calls
        await pilot.press("p")
        await wait_for(lambda: fake_client.calls["orders"] > calls["orders"], pilot)
        assert "PAUSED" not in str(app.query_one("#status").render())


async def test_diff_keeps_the_selected_order(make_app, fake_clock, fake_client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        table = app.table("orders")
        await pilot.press("1", "down", "down", "down", "down", "down")
        selected = table.cursor_key
        assert app.selected_order.id == selected and table.cursor_row == 5
        orders = fake_client.orders
        # change two others, remove one above the cursor, add two newer (they sort above it)
        orders[3] = make_order(3, filled="0.5")
        orders[20] = make_order(20, status="CANCEL_PENDING")
        del orders[-2]
        orders.extend([make_order(500), make_order(501)])
        await repoll(app, pilot, fake_clock, "orders")
        assert table.cursor_key == selected
        assert app.selected_order.id == selected
        assert table.cursor_row == 6  # two added above, one removed above
        assert app.stores["orders"].row(make_order(3).id)[6].text == "0.5000"
        # the selected order itself changing keeps the cursor too
        index = next(i for i, o in enumerate(orders) if o.id == selected)
        orders[index] = make_order(int(selected[-3:]), filled="1")
        await repoll(app, pilot, fake_clock, "orders")
        assert table.cursor_key == selected and app.selected_order.executed_qty == 1


async def test_one_changed_row_repaints_one_line(make_app, fake_clock, fake_client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        table = app.table("orders")
        top_visible = table.visible_keys()[3]
        position = next(i for i, o in enumerate(fake_client.orders) if o.id == top_visible)
        fake_client.orders[position] = make_order(position, filled="0.25")
        before = table.repaints
        await repoll(app, pilot, fake_clock, "orders")
        assert table.repaints - before == 1


async def test_stale_and_failing_feeds_keep_their_data(make_app, fake_clock, fake_client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        fake_client.fail["quotes"] = ServerError(503, "Service Unavailable")
        fake_client.hang.add("balances")
        await repoll(app, pilot, fake_clock, "quotes")
        for _ in range(16):
            fake_clock.advance(1)
            await pilot.pause(0.01)
        app.refresh_bars()
        status = str(app.query_one("#status").render())
        assert "◐ balances 17s old" in status  # repoll advanced 1 s, then 16
        assert "quotes" in status and "503 Service Unavailable" in status
        assert app.table("quotes").row_count == 3 and app.table("balances").row_count == 5  # and the total
        # recovery by itself
        del fake_client.fail["quotes"]
        fake_clock.advance(60)
        await wait_for(lambda: app.feeds["quotes"].errors == 0, pilot)
        app.refresh_bars()
        assert "503" not in str(app.query_one("#status").render())


async def test_a_pane_never_says_0_rows_before_its_first_answer(make_app, fake_clock, fake_client):
    """A 401 (or a slow exchange) leaves the orders pane empty: "no answer yet", never "0 rows",
    which would read as no active orders. The first answer, even an empty one, gives the count."""
    fake_client.orders = []
    fake_client.fail["orders"] = ServerError(503, "Service Unavailable")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.feeds["orders"].errors >= 1 and app.feeds["trades"].successes >= 1, pilot)
        assert str(app.table("orders").border_subtitle) == "no answer yet"
        assert "0" not in str(app.table("orders").border_subtitle)
        assert str(app.table("trades").border_subtitle) != "no answer yet"  # it answered
        del fake_client.fail["orders"]
        fake_clock.advance(60)
        await wait_for(lambda: app.feeds["orders"].successes >= 1, pilot)
        await pilot.pause(0.05)
        assert str(app.table("orders").border_subtitle) == "0 rows"  # an answer with no orders in it


async def test_bad_rows_are_counted(make_app, fake_client):
    app = make_app()
    original = fake_client.active_orders

    async def with_bad_rows():
        page = await original()
        page.bad_rows.append(({"id": 1}, "1 invalid field(s): timestamp"))
        return page

    fake_client.active_orders = with_bad_rows
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await repoll(app, pilot, app.clock, "orders")
        await repoll(app, pilot, app.clock, "orders")
        app.refresh_bars()
        # a standing count of what the last poll could not read, not a toast on every poll
        assert "1 unreadable row not shown" in str(app.query_one("#status").render())
        assert not any("could not be read" in str(n.message) for n in app._notifications)


async def test_an_order_with_an_unreadable_field_stays_with_the_raw_text_marked(make_app, fake_client):
    raw = make_order(0).model_dump(mode="json", by_alias=True)
    raw["executed_vwap"] = ""  # nothing executed yet: "not given", not a failure
    raw["leaves_qty"] = "1.5 BTC"  # does not parse
    fake_client.orders[0] = Order.model_validate(raw)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause()
        store = app.stores["orders"]
        assert fake_client.orders[0].id in store.items and len(store.items) == 30  # the row stays
        row = store.row(fake_client.orders[0].id)
        leaves = [c.key for c in store.columns].index("leaves")
        avg = [c.key for c in store.columns].index("avg")
        assert (row[leaves].text, row[leaves].style) == ("1.5 BTC?", "unreadable")
        assert row[avg].text == ""
        assert "1 with unreadable values (?)" in str(app.table("orders").border_subtitle)
        app.refresh_bars()
        assert "1 row with unreadable values" in str(app.query_one("#status").render())
        assert not app._notifications  # told by the pane and the status line, never by a toast per poll


async def test_help_overlay_lists_every_binding(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(
            line for _, bindings in app.screen.sections for line in (b.description for b in bindings)
        )
        for description in ("Orders", "Filter", "Sort", "Pause", "Quit", "New order", "Column left"):
            assert description in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_offers_every_action(make_app):
    from blotter.ui.commands import BlotterCommands

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        provider = BlotterCommands(app.screen)
        names = [hit.display for hit in [h async for h in provider.discover()]]
        assert {"Orders", "Trades", "Filter", "Sort", "Pause", "Help", "Quit"} <= set(names)
        hits = [h async for h in provider.search("pause")]
        assert hits and hits[0].help == "key: p"
        await pilot.press("ctrl+p")
        assert app.screen.__class__.__name__ == "CommandPalette"


def test_colour_modes():
    env = {}
    apply_color_mode("mono", env)
    assert env == {"NO_COLOR": "1"}
    env = {}
    apply_color_mode("16", env)
    assert env["TEXTUAL_COLOR_SYSTEM"] == "standard"
    env = {}
    apply_color_mode("auto", env)
    assert env == {}


def test_app_class_declares_bindings_with_ids():
    ids = [b.id for b in BlotterApp.BINDINGS + MainScreen.BINDINGS]
    assert None not in ids and len(ids) == len(set(ids))
    assert all(b.id for b in LiveTable.BINDINGS)


async def test_filter_text_that_looks_like_markup_is_shown_literally(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "slash", "left_square_bracket", "slash")
        await pilot.pause()
        assert app.stores["orders"].filter_text == "[/"
        assert "filter: [/" in app.table("orders")._border_subtitle.plain
        app.query_one("#filter").value = "[bold red]x[/]"
        await pilot.pause()
        assert "filter: [bold red]x[/]" in app.table("orders")._border_subtitle.plain
        assert app.is_running


async def test_a_secret_pasted_with_a_space_at_an_end_is_said_on_screen_at_start(make_app):
    from blotter.config import PADDED_SECRET, Settings

    settings = Settings(_env_file=None, user_id="42", environment="UAT", api_secret="canary-7c1d\n")
    app = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        config = [n for n in app._notifications if n.title == "Config"]
        assert [str(n.message) for n in config] == [PADDED_SECRET] and config[0].severity == "warning"
        assert not any("canary-7c1d" in str(n.message) for n in app._notifications)


async def test_a_toast_replaces_the_others_but_not_a_graver_one(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)

        async def toast(title: str, severity: str) -> list[str]:
            app.notify(title, title=title, severity=severity)
            await pilot.pause()
            return [n.title for n in app._notifications]

        assert await toast("fill 1", "information") == ["fill 1"]
        assert await toast("fill 2", "information") == ["fill 2"]  # one at a time
        assert await toast("feed failing", "warning") == ["feed failing"]
        assert await toast("cancel-all failed", "error") == ["cancel-all failed"]
        assert await toast("fill 3", "information") == ["cancel-all failed", "fill 3"]  # the error stays its time
        assert await toast("another error", "error") == ["another error"]
