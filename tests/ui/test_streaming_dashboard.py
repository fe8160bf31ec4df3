"""The dashboard with the exchange's WebSocket stream, against the simulator over loopback: orders
from the drop copy while REST slows to its reconciliation cadence, `stream = off`, failing over to
polling when the socket drops and coming back, a refused subscription named on screen, the Book pane."""

from decimal import Decimal

import pytest
from ui_support import polled, wait_for

from blotter.api import RetryPolicy, TrueXClient
from blotter.api.models import NewOrder, OrderInfo
from blotter.config import Settings
from blotter.demo import demo_credentials
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer
from blotter.ui.app import create_app


@pytest.fixture
def server():
    exchange = Exchange(seed=5, demo_flow=False)
    exchange.seed_orders(6)
    exchange.seed_trades(20)
    with SimServer(exchange, auto_tick=False) as running:
        yield running


def make(server, tmp_path, **settings):
    credentials = demo_credentials()
    client = TrueXClient(server.base_url, credentials=credentials, retry=RetryPolicy(attempts=1))
    values = {"user_id": credentials.user_id, "organization_id": DEMO_CREDENTIALS.organization_id,
              "export_dir": str(tmp_path), **settings}
    return create_app(client, Settings(_env_file=None, **values), streaming=True, audit_path=tmp_path / "audit.jsonl",
                      preferences_path=tmp_path / "preferences.json")


async def place_resting(app, pilot, external_id: str):
    """A BUY far below the market, placed over REST; returns once the orders pane has it."""
    instrument = next(iter(app.catalog.instruments))
    placed = await app.client.create_order(NewOrder(external_id=external_id, info=OrderInfo(
        client_id=demo_credentials().user_id, instrument_id=instrument, side="BUY", type="LIMIT",
        qty=Decimal("0.001"), price=Decimal("1"), tif="GTC")))
    await wait_for(lambda: placed.id in app.stores["orders"].items, pilot, timeout=5)
    return placed


def status_line(app) -> str:
    return str(app.query_one("#status").render())


def header(app) -> str:
    return str(app.query_one("#header").render())


def streaming(app) -> bool:
    stream = app.dashboard.stream
    return stream is not None and stream.transport("orders") == "stream" and stream.transport("quotes") == "stream"


async def test_orders_come_from_the_drop_copy_while_rest_slows_down(server, tmp_path):
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        assert app.feeds["orders"].configured == 15.0 and app.feeds["balances"].configured == 30.0
        await pilot.pause(0.05)
        app.refresh_bars()
        assert "orders stream" in status_line(app) and "quotes stream" in status_line(app)
        polls = app.feeds["orders"].successes
        placed = await place_resting(app, pilot, "stream-1")
        assert app.feeds["orders"].successes == polls  # the row came from the stream, not a poll
        await app.client.cancel_order(placed.id)
        server.exchange.step()  # the exchange acts on the cancel
        await wait_for(lambda: placed.id not in app.stores["orders"].items, pilot, timeout=5)
        assert app.feeds["orders"].successes == polls


async def test_stream_off_polls_everything_at_the_normal_intervals(server, tmp_path):
    app = make(server, tmp_path, stream="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        assert app.stream is None and app.dashboard.stream is None
        assert app.feeds["orders"].configured == 1.0
        assert "stream" not in status_line(app) and "stream" not in header(app)
        await pilot.press("6")
        await pilot.pause()
        assert "the stream is off" in app.dashboard.subtitle("book")


async def test_a_dropped_socket_falls_back_to_polling_and_comes_back(server, tmp_path):
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        server.faults.update({"ws_drop": True})
        await wait_for(lambda: app.dashboard.stream.state == "down", pilot, timeout=10)
        app.refresh_bars()
        assert "stream DOWN" in header(app)
        assert app.feeds["orders"].configured == 1.0 and app.feeds["quotes"].configured == 1.0
        assert "orders poll" in status_line(app)
        server.faults.update({"ws_drop": False})
        await wait_for(lambda: streaming(app), pilot, timeout=20)
        assert app.feeds["orders"].configured == 15.0
        app.refresh_bars()
        assert "stream" not in header(app)
        assert app.dashboard.stream.reconnects >= 1


async def test_the_stream_starts_once_the_first_orders_are_on_screen(server, tmp_path):
    """Its imports take the event loop for a moment, and so does the collector's first pass after
    the start: not before the first orders are painted, even when `/clients` answers first."""
    server.faults.update({"latency_ms": 800, "paths": ["/orders/active"]})
    app = make(server, tmp_path)
    rows_when_started: list[int] = []
    start_stream = app.start_stream

    def recorded() -> None:
        rows_when_started.append(app.table("orders").row_count)
        start_stream()

    app.start_stream = recorded
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: app.clients_asked, pilot, timeout=5)
        assert not rows_when_started  # /clients has answered, the orders have not: no stream yet
        await wait_for(lambda: rows_when_started, pilot, timeout=5)
        assert rows_when_started[0] > 0


async def test_a_refused_subscription_is_named_and_orders_keep_polling(server, tmp_path):
    server.faults.update({"ws_refuse": "UNAUTHENTICATED"})
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        # The stream starts once the first orders are on screen: it may not be there yet when polled.
        await wait_for(lambda: polled(app) and app.dashboard.stream is not None and app.dashboard.stream.refused, pilot)
        app.refresh_bars()
        assert "refused" in header(app).lower()
        assert app.dashboard.stream.transport("orders") == "poll"
        assert app.feeds["orders"].configured == 1.0
        assert "TRUEX_ORGANIZATION_ID" in next(iter(app.dashboard.stream.refused.values()))


async def test_the_book_pane_shows_the_highlighted_instruments_ladder(server, tmp_path):
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        await pilot.press("3")  # the quotes: the first row's instrument
        quote = app.stores["quotes"].items[app.main.selected_key("quotes")].quote
        await pilot.press("6")
        book = app.stores["book"]
        await wait_for(lambda: "spread" in book.items and book.total > 3, pilot, timeout=5)
        assert app.dashboard.book_instrument == quote.id
        place = app.query_one("#book-place")
        assert place.display and not app.table("trades").display
        bids, asks = server.exchange.depth(quote.id)
        shown = [line for line in book.items.values() if line.side == "bid"]
        assert max(line.price for line in shown) == bids[0][0]  # the best bid is on screen, exactly
        assert app.catalog.symbol(quote.id) in app.dashboard.subtitle("book")
        await pilot.press("e")  # the ladder as shown, to CSV, exact
        (written,) = tmp_path.glob("blotter-book-*.csv")
        lines = written.read_text().splitlines()
        assert lines[0].startswith("symbol,side,price,qty,order_count,mine")
        assert any(f",bid,{bids[0][0]:f},{bids[0][1]:f}," in line for line in lines)
        await pilot.press("2")
        assert app.table("trades").display and not place.display


async def test_a_server_without_snapshot_complete_still_gives_a_live_book(server, tmp_path):
    server.faults.update({"ws_no_snapshot_complete": True})
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        await pilot.press("3", "6")
        symbol = app.catalog.symbol(app.dashboard.book_instrument)
        await wait_for(lambda: app.dashboard.stream.book(symbol) is not None, pilot, timeout=5)
        assert app.dashboard.stream.book(symbol).state in ("receiving snapshot", "live")
        for _ in range(3):  # the market moves: the first update ends the snapshot
            server.exchange.step()
        await wait_for(lambda: app.dashboard.stream.book(symbol).state == "live" and "spread" in app.stores["book"].items,
                       pilot, timeout=5)


async def test_a_fill_reaches_the_trades_pane_from_the_drop_copy(server, tmp_path):
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        assert app.feeds["trades"].configured == 30.0
        polls = app.feeds["trades"].successes
        exchange = server.exchange
        market = next(m for m in exchange.markets.values() if m.spec.symbol == "BTC-PYUSD")
        bought = exchange.create_order("takes-the-ask", OrderInfo(
            client_id=demo_credentials().user_id, instrument_id=market.instrument.id, side="BUY", type="LIMIT",
            qty=Decimal("0.001"), price=market.ask, tif="GTC"))
        exchange.step()  # confirmed, and it fills at the ask

        def fills() -> int:
            return sum(t.order_id == bought.id for t in app.trades.items.values())

        await wait_for(lambda: fills() == 1, pilot, timeout=5)
        assert app.feeds["trades"].successes == polls  # no trades poll brought it
        app.feeds["trades"].poke()  # the reconciling poll lists it again: still one row
        await wait_for(lambda: app.feeds["trades"].successes > polls, pilot, timeout=5)
        assert fills() == 1


async def test_a_cancels_answer_that_comes_after_the_drop_copys_canceled_does_not_bring_the_row_back(
        server, tmp_path):
    """Under load the drop copy's CANCELED can be read before the DELETE's answer (CANCEL_PENDING)
    is shown. Before, that answer put the row back, open, until the next reconciling poll (15 s)."""
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        polls = app.feeds["orders"].successes
        placed = await place_resting(app, pilot, "late-answer")
        outcome = await app.order_service.cancel(app.stores["orders"].items[placed.id])
        assert outcome.order.status == "CANCEL_PENDING"
        server.exchange.step()  # canceled; the drop copy says so before the answer is shown
        await wait_for(lambda: placed.id not in app.stores["orders"].items, pilot, timeout=5)
        app.order_entry.done(outcome)
        await pilot.pause()
        assert placed.id not in app.stores["orders"].items
        assert app.local_orders.is_ours(placed.id)  # still counted as acted on here
        assert app.feeds["orders"].successes == polls


async def test_a_cancel_alls_failures_stay_on_screen_when_the_other_cancels_are_toasted(server, tmp_path):
    """One toast at a time, but a graver one stays its time: before, the drop copy's CANCELED for the
    other orders replaced the cancel-all report, and with it the order that was not canceled."""
    from blotter.ui.screens.confirm import ConfirmScreen

    def toasts(title: str) -> list:
        return [n for n in app._notifications if n.title == title]

    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        stuck = await place_resting(app, pilot, "stuck-1")
        server.faults.update({"status": 503, "paths": [f"/orders/{stuck.id}"], "methods": ["DELETE"]})
        await pilot.press("1", "C")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.press("y")
        await wait_for(lambda: toasts("Cancel all"), pilot, timeout=10)
        report = toasts("Cancel all")[0]
        assert report.severity == "error" and "stuck-1" in str(report.message)
        server.exchange.step()  # the others are canceled: the drop copy says so, and they are toasted
        await wait_for(lambda: toasts("Canceled"), pilot, timeout=10)
        assert toasts("Cancel all") == [report]


async def test_a_poll_or_a_stream_frame_landing_as_the_app_closes_draws_nothing(server, tmp_path):
    """Seen once in CI: the stream's frame timer fired while the closing app removed its panes, and
    NoMatches('#quotes') was raised at exit. Quitting the real app would have ended in a traceback."""
    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        await pilot.press("6")  # the book shows: a frame draws it too
        link = app.stream
    assert not app.is_running and not app.main.query("LiveTable")  # closed: the panes are gone
    app.draw_poll("quotes", app.dashboard.take_quotes([], 0))  # raised NoMatches before
    link._quotes, link._book_due = [], True
    link._draw_frame()  # raised NoMatches before


async def test_frames_the_stream_cannot_read_are_counted_on_the_status_line(server, tmp_path):
    """Said once on the events line per kind of frame, and counted, with the latest reason, on the
    status line (once, not per feed); the feeds keep streaming."""
    from blotter.api import Unread
    from blotter.api.stream_models import parse_message

    app = make(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app) and streaming(app), pilot)
        for frame in ("[1, 2]", "[3]"):
            app.stream.on_event(Unread(parse_message(frame)))
        await wait_for(lambda: "2 frames" in status_line(app), pilot)  # the line's once-a-second tick
        line = status_line(app)
        assert line.count("stream: 2 frames unread (not a JSON object but list)") == 1, line
        assert "orders stream" in line
        assert "not read" in str(app.query_one("#events").render())
