"""The trader's picture, driven by keys: the positions pane (hand-checked P&L), trading from a quote,
price alerts that fire once and persist, maximize, and panes as tall as their rows."""

import json

from fakes import T0, Trade, make_order
from ui_support import polled, wait_for

from blotter.paths import state_dir
from blotter.ui.screens.alert import AlertDialog
from blotter.ui.screens.alerts import AlertsScreen
from blotter.ui.screens.ticket import TicketScreen

SIZE = (120, 40)
WIDE = (200, 50)


def fill(n: int, side: str, price: str, qty: str) -> Trade:
    return Trade.model_validate({
        "client_id": "42", "instrument_id": "10", "timestamp": str(T0 - (100 - n) * 1_000_000_000), "side": side,
        "order_id": str(7_000_000_000_000_000_000 + n), "trade_price": price, "trade_qty": qty,
        "trade_fee_rate": "0.0005", "liq_flag": "MAKER", "match_id": f"p{n}",
    })


def cells(app, pane: str, key: str) -> dict[str, str]:
    store = app.stores[pane]
    return {column.key: cell.text for column, cell in zip(store.columns, store.row(key), strict=True)}


async def repoll(app, pilot, clock, name, seconds=1.0):
    before = app.feeds[name].polls
    clock.advance(seconds)
    await wait_for(lambda: app.feeds[name].polls > before and not app.feeds[name].in_flight, pilot)
    await pilot.pause()


async def test_positions_pane_shows_hand_checked_pnl(make_app, fake_client):
    fake_client.trade_list = [fill(1, "BUY", "100000", "2"), fill(2, "SELL", "100100", "0.5")]
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("5")
        assert app.focused.id == "positions"
        assert app.table("positions").border_title == "5 Positions since 00:00 UTC"
        row = cells(app, "positions", "10")
        # bought 2 @ 100,000, sold 0.5 @ 100,100: realized (100,100 - 100,000) x 0.5 = 50; net 1.5 @ 100,000;
        # the quote: bid 100,000, ask 100,001, mid 100,000.5: unrealized 1.5 x 0.5 = 0.75;
        # fees 0.0005 x (200,000 + 50,050) = 125.025; total 50 + 0.75 - 125.025 = -74.275
        assert row["net"] == "+1.5000"
        assert (row["realized"], row["unrealized"], row["fees"], row["total"]) == (
            "+50.000", "+0.750", "125.025", "-74.275")
        assert (row["bought"], row["avg_buy"], row["sold"], row["avg_sell"]) == ("2.0000", "100,000.0", "0.5000",
                                                                                  "100,100.0")
        assert cells(app, "positions", "total:9")["total"] == "-74.275"
        drawn = app.table("positions").render_line(1).text  # what is on screen, whole
        assert "+1.5000" in drawn and "-74.275" in drawn


async def test_the_header_says_the_value_change_since_start(make_app, fake_client, fake_clock):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        assert "value 0 PYUSD since start" in str(app.query_one("#header").render())
        fake_client.bid_shift = 10  # every mid up 10 on 2.5 BTC, 40 ETH, 900 SOL held: 25 + 400 + 9,000
        await repoll(app, pilot, fake_clock, "quotes")
        assert "value +9,425 PYUSD since start" in str(app.query_one("#header").render())


async def test_quote_keys_open_a_ticket_at_the_ask_or_the_bid(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("3", "home")
        assert app.main.selected_key("quotes") == "10"  # BTC-PYUSD: bid 100,000, ask 100,001
        await pilot.press("right_square_bracket")
        await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
        form = app.screen.read_form()
        assert (form.instrument, form.side, form.price) == ("BTC-PYUSD", "BUY", "100001.0")  # the ask, as sent
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, TicketScreen), pilot)
        await pilot.press("left_square_bracket")
        await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
        form = app.screen.read_form()
        assert (form.instrument, form.side, form.price) == ("BTC-PYUSD", "SELL", "100000")


async def test_an_alert_fires_once_and_persists(make_app, fake_client, fake_clock, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # this test's own alerts.json
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("3", "home", "a")
        await wait_for(lambda: isinstance(app.screen, AlertDialog), pilot)
        await pilot.press(*"> 100001", "enter")
        await wait_for(lambda: not isinstance(app.screen, AlertDialog), pilot)
        [alert] = app.alert_book.alerts
        await repoll(app, pilot, fake_clock, "quotes")
        assert [a.id for a in app.alert_book.active] == [alert.id]  # mid 100,000.5: not above 100,001
        fake_client.bid_shift = 1  # mid 100,001.5: above
        await repoll(app, pilot, fake_clock, "quotes")
        assert not app.alert_book.active and len(app.alert_book.fired) == 1
        events = str(app.query_one("#events").render())
        assert "Alert" in events and "BTC-PYUSD" in events
        fired_at = app.alert_book.fired[0].fired_ns
        await repoll(app, pilot, fake_clock, "quotes")  # still above: it does not fire again
        assert len(app.alert_book.fired) == 1 and app.alert_book.fired[0].fired_ns == fired_at
        saved = json.loads((state_dir() / "alerts.json").read_text())
        assert len(saved["alerts"]) == 1
        await pilot.press("A")
        await wait_for(lambda: isinstance(app.screen, AlertsScreen), pilot)
        await pilot.press("r")  # re-armed: it fires again on the next poll that sees it above
        await wait_for(lambda: app.alert_book.active, pilot)
        await pilot.press("escape")
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        assert [a.id for a in again.alert_book.alerts] == [alert.id]  # kept across restarts


async def test_maximize_gives_the_positions_the_screen_and_restores(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("5", "z")
        await pilot.pause()
        shown = [name for name in ("orders", "trades", "quotes", "balances", "positions") if app.table(name).display]
        assert shown == ["positions"] and app.table("positions").size.height > 30
        assert app.query_one("#header").display and app.query_one("#status").display
        await pilot.press("z")
        await pilot.pause()
        assert app.table("orders").display and app.table("quotes").display


async def test_panes_take_the_height_their_rows_need(make_app, fake_client, fake_clock):
    fake_client.orders = fake_client.orders[:2]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause()
        assert app.table("orders").outer_size.height == 2 + 3  # two rows, the column header and the border
        assert app.table("trades").size.height > 20  # the trades get what the orders leave
        fake_client.orders = [make_order(i) for i in range(6)]
        await repoll(app, pilot, fake_clock, "orders")
        await pilot.pause()
        assert app.table("orders").outer_size.height == 6 + 3


async def test_h_shows_the_done_orders_with_filter_detail_and_export(make_app, fake_client, fake_clock, tmp_path):
    from blotter.ui.screens.detail import DetailScreen

    fake_client.trade_list = [*fake_client.trade_list, Trade.model_validate({
        "client_id": "42", "instrument_id": "12", "timestamp": str(T0 - 10_000_000_000), "side": "SELL",
        "order_id": fake_client.done[0].id, "trade_price": "150.07", "trade_qty": "1.5", "trade_fee_rate": "0.001",
        "liq_flag": "TAKER", "match_id": "done-fill"})]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        assert fake_client.calls.get("done", 0) == 0  # not asked while not shown
        assert app.dashboard.subtitle("done") == "loading the last 24 h…"  # never "0 rows" before the first answer
        await pilot.press("1", "h")
        await wait_for(lambda: app.stores["done"].total == 3, pilot)
        assert str(app.table("done").border_subtitle).startswith("3 rows")
        assert app.main.orders_view == "done" and app.focused.id == "done"
        assert not app.table("orders").display
        assert app.table("done").border_title.startswith("1 Done orders, last 24 h")
        statuses = {cells(app, "done", key)["status"] for key in app.stores["done"].view}
        assert statuses == {"FILLED", "CANCELED", "REJECTED"}
        await pilot.press("slash", *"FILLED", "enter")
        assert app.stores["done"].view == [fake_client.done[0].id]
        await pilot.press("enter")  # the detail of a done order, with its fill from the trades feed
        await wait_for(lambda: isinstance(app.screen, DetailScreen), pilot)
        body = str(app.screen.query_one("#body").render())
        assert "fills (1)" in body and "1.5 at 150.07" in body and "fee 0.225105" in body  # 1.5 x 150.07 x 0.001
        await pilot.press("escape")
        await pilot.press("c")  # nothing to cancel in a done order
        await pilot.pause()
        assert not isinstance(app.screen, DetailScreen)
        await pilot.press("h")  # back to the active orders; the done ones are no longer asked for
        await pilot.pause()
        assert app.main.orders_view == "orders" and app.table("orders").display and app.feeds["done"].paused


async def test_u_chooses_one_client_or_all_and_the_ticket_follows(make_app, fake_client):
    from textual.command import CommandPalette

    from blotter.api.models import Client

    fake_client.client_list = [Client.model_validate({"id": cid, "status": "ACTIVE", "info": {"mnemonic": m}})
                               for cid, m in (("42", "DESK"), ("77", "DESK-SUB"))]
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await wait_for(lambda: app.dashboard.several_clients, pilot)
        assert "client 42 DESK" in str(app.query_one("#header").render())
        assert "acts for 2 clients" in str(app.query_one("#events").render())  # said once, not a toast
        assert not app._notifications
        assert "client" not in app.table("orders").column_choice  # one client: no Client column
        await pilot.press("u")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), pilot)
        await pilot.press(*"All clients", "enter")
        await wait_for(lambda: app.dashboard.scope is None, pilot)
        assert "all 2 clients" in str(app.query_one("#header").render())
        choice = app.table("orders").column_choice
        assert choice[:3] == ("symbol", "side", "client")  # the Client column, beside what the row is
        assert "client" in app.table("trades").column_choice and "client" in app.table("positions").column_choice
        await pilot.press("u")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), pilot)
        await pilot.press(*"77", "enter")
        await wait_for(lambda: app.dashboard.scope == "77", pilot)
        assert app.stores["orders"].shown == 30  # the fake's orders name no client: shown for any
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, TicketScreen), pilot)
        assert app.screen.read_form().client_id == "77"  # the ticket's client follows the choice


async def test_o_chooses_the_focused_panes_columns_and_the_choice_outlives_a_theme_change_and_the_session(
        make_app, tmp_path):
    from blotter.core.preferences import load_preferences
    from blotter.ui.screens.columns import ColumnPicker

    prefs = tmp_path / "preferences.json"
    app = make_app(preferences_path=prefs)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("2", "o")
        await wait_for(lambda: isinstance(app.screen, ColumnPicker), pilot)
        picker = app.screen
        assert "client" not in [key for key, _, _ in picker.rows]  # the blotter's own column
        hidden = picker.rows[1][0]
        await pilot.press("down", "space", "enter")
        await wait_for(lambda: not isinstance(app.screen, ColumnPicker), pilot)
        chosen = app.table("trades").column_choice
        assert hidden not in chosen and len(chosen) == len(picker.rows) - 1
        orders = app.table("orders").column_choice  # only the focused pane changed:
        assert "client" not in orders and len(orders) == len(app.stores["orders"].columns) - 1
        await pilot.press("t")
        await pilot.pause()
        theme = app.theme
    saved = load_preferences(prefs)
    assert saved.columns_for("trades") == list(chosen) and saved.theme == theme  # neither save drops the other
    assert saved.columns_for("orders") is None

    again = make_app(preferences_path=prefs)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(again), pilot)
        assert again.table("trades").column_choice == chosen


async def test_keys_typed_together_act_on_the_pane_the_first_one_chose(make_app):
    """`4z` arriving in one read (fast typing, a slow link) maximizes balances, not the pane focused before."""
    from textual import events

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        assert app.focused.id == "orders"
        for key in ("4", "z"):  # queued before the first is handled
            app.post_message(events.Key(key, key))
        await pilot.pause()
        await pilot.pause()
        assert app.focused.id == "balances" and app.main.has_class("-maximized")
        assert app.table("balances").display and not app.table("orders").display
