"""Deterministic screens of the seeded demo, for `make screenshots` and the snapshot tests.

Everything that could differ between two runs is pinned: the simulated exchange is seeded and its
clock frozen (auto-tick off, so prices do not move), the app's clock is a `FakeClock` (feed ages
read 0s), and the ticket's fresh external id is replaced by a fixed one. A rerun writes the same
files byte for byte. Not shipped: the tests put `tools/` on `sys.path` to import it.

    python tools/screenshots.py screenshots/      # what `make screenshots` runs
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

SEED = 7
FROZEN_NS = 1_790_000_000_000_000_000  # 2026-09-21 14:13:20 UTC
SIZE = (120, 40)
FIXED_EXTERNAL_ID = "3f1c9a2e-7b4d-4e8a-9c6f-1d2e3f4a5b6c"
ORDERS = 25
TRADES = 300

Scene = Callable[[Any], Awaitable[None]]


def start_frozen_exchange(seed: int = SEED, *, orders: int = ORDERS, trades: int = TRADES, wire: str = "sim") -> Any:
    """A started `SimServer` whose market stands still: the same screen on every run. `wire="real"`
    sends what the real exchange may send (no order times, blank amounts, empty book sides...)."""
    from blotter.sim import Exchange, SimServer

    exchange = Exchange(seed=seed, clock=lambda: FROZEN_NS, seed_orders=orders, seed_trades=trades, wire=wire)
    _finish_three(exchange)
    server = SimServer(exchange, auto_tick=False)
    server.start()
    return server


def _finish_three(exchange: Any) -> None:
    """Orders of the day that are done, for the done view (`h`): one filled (a buy at the ask), one
    canceled, one rejected (a price off the tick). Settled at once; the market does not move."""
    from blotter.api.models import OrderInfo

    market = next(iter(exchange.markets.values()))
    tick, lot = market.tick, market.spec.qty_increment

    def order(external_id: str, side: str, price: Decimal, lots: int) -> Any:
        info = OrderInfo(client_id=exchange.user_id, instrument_id=market.instrument.id, side=side, type="LIMIT",
                         qty=lot * lots, price=price, tif="GTC")
        return exchange.create_order(external_id, info, "1")

    order("done-filled", "BUY", market.ask, 3)
    canceled = order("done-canceled", "SELL", market.ask + tick * 400, 2)
    order("done-rejected", "BUY", market.bid - tick / 5, 1)
    exchange._settle_pending()
    exchange.cancel_order(canceled.id)
    exchange._settle_pending()


def make_app(server: Any, *, theme: str = "desk-dark", state: Path | None = None, **settings: Any) -> Any:
    """The blotter against `server`, with a frozen clock and guards low enough to show a confirmation."""
    from blotter.api import RetryPolicy, TrueXClient
    from blotter.config import Guards, Settings
    from blotter.core.feeds import FakeClock
    from blotter.demo import demo_credentials
    from blotter.ui.app import create_app

    state = state or Path(tempfile.mkdtemp(prefix="blotter-shots-"))
    credentials = demo_credentials()
    client = TrueXClient(server.base_url, credentials=credentials, retry=RetryPolicy(attempts=1))
    values: dict[str, Any] = {
        "user_id": credentials.user_id,
        "theme": theme,
        "guards": Guards(max_notional=Decimal("1000")),
        "export_dir": str(state),
        **settings,
    }
    app = create_app(
        client, Settings(_env_file=None, **values), environment="DEMO", clock=FakeClock(now_ns=FROZEN_NS),
        audit_path=state / "audit.jsonl",
    )
    app.scene_exchange = server.exchange  # the book scene streams its depth and prints
    return app


async def _until(pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not reach the expected state")
        await pilot.pause(0.01)


async def loaded(pilot: Any) -> None:
    """Every feed has painted its first data and every order its time; no toasts left over."""
    app = pilot.app
    await _until(pilot, lambda: app.ready and all(feed.successes >= 1 for feed in app.feeds if not feed.paused)
                 and app.clients_asked)
    await _until(pilot, lambda: not app.dashboard.order_times.wanted(1))  # times from the activity trail, when needed
    # The offset is read from a real `Date` header (whole seconds) against this machine's clock: on
    # a loaded machine a late answer reads -1s. The picture must not depend on the machine's load.
    app.client.clock.offset = 0.0
    await pilot.pause()
    app.refresh_bars()
    await pilot.pause()


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


async def main_screen(pilot: Any) -> None:
    await loaded(pilot)
    await _settle(pilot)


async def _ticket(pilot: Any, **fields: str) -> Any:
    from textual.widgets import Input

    from blotter.ui.screens.ticket import TicketScreen

    app = pilot.app
    await loaded(pilot)
    await pilot.press("n")
    await _until(pilot, lambda: isinstance(app.screen, TicketScreen))
    await pilot.pause()
    ticket = app.screen
    ticket.query_one("#external_id", Input).value = FIXED_EXTERNAL_ID
    for name, value in fields.items():
        ticket.query_one(f"#{name}").value = value
        await pilot.pause()
    return ticket


async def ticket_empty(pilot: Any) -> None:
    await _ticket(pilot)
    await _settle(pilot)


async def ticket_filled(pilot: Any) -> None:
    await _ticket(pilot, instrument="BTC-PYUSD", qty="0.0050")
    await _settle(pilot)


async def ticket_errors(pilot: Any) -> None:
    await _ticket(pilot, instrument="BTC-PYUSD", qty="12abc", price="", external_id="Not-Valid!")
    await pilot.press("ctrl+s")
    await _settle(pilot)


async def guard_confirmation(pilot: Any) -> None:
    from blotter.ui.screens.confirm import ConfirmScreen

    await _ticket(pilot, instrument="BTC-PYUSD", qty="0.0500")  # notional over the 1,000 soft limit
    await pilot.press("ctrl+s")
    await _until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await _settle(pilot)


async def _press_for(pilot: Any, key: str, screen: type) -> None:
    """From the loaded main screen, press `key` and wait for `screen` to open."""
    await loaded(pilot)
    await pilot.press(key)
    await _until(pilot, lambda: isinstance(pilot.app.screen, screen))
    await _settle(pilot)


async def modify_order(pilot: Any) -> None:
    from blotter.ui.screens.modify import ModifyScreen

    await _press_for(pilot, "m", ModifyScreen)


async def cancel_confirmation(pilot: Any) -> None:
    from blotter.ui.screens.confirm import ConfirmScreen

    await _press_for(pilot, "c", ConfirmScreen)


async def cancel_all_confirmation(pilot: Any) -> None:
    from blotter.ui.screens.confirm import ConfirmScreen

    await _press_for(pilot, "C", ConfirmScreen)


async def order_detail(pilot: Any) -> None:
    from textual.widgets import DataTable

    from blotter.ui.screens.detail import DetailScreen

    app = pilot.app
    await loaded(pilot)
    await pilot.press("enter")
    await _until(pilot, lambda: isinstance(app.screen, DetailScreen))
    await _until(pilot, lambda: app.screen.query_one("#trail", DataTable).row_count >= 1)
    await _settle(pilot)


async def positions_pane(pilot: Any) -> None:
    """The positions pane, given the screen (`5`, `z`): every column."""
    await loaded(pilot)
    await pilot.press("5", "z")
    await _settle(pilot)


async def done_orders(pilot: Any) -> None:
    app = pilot.app
    await loaded(pilot)
    await pilot.press("1", "h")
    await _until(pilot, lambda: app.stores["done"].total >= 3)
    await _settle(pilot)


async def alert_fired(pilot: Any) -> None:
    """An alert on BTC-PYUSD's mid below 100,000: the market is already there, so it fires on the
    next quotes poll: the toast, and the events line."""
    from blotter.ui.screens.alert import AlertDialog

    app = pilot.app
    await loaded(pilot)
    await pilot.press("3", "home", "a")
    await _until(pilot, lambda: isinstance(app.screen, AlertDialog))
    await pilot.press(*"< 100000", "enter")
    await _until(pilot, lambda: not isinstance(app.screen, AlertDialog))
    polls = app.feeds["quotes"].successes
    app.clock.advance(1.0)
    await _until(pilot, lambda: app.feeds["quotes"].successes > polls and app.alert_book.fired)
    await pilot.pause()


async def quote_ticket(pilot: Any) -> None:
    """`]` on BTC-PYUSD's quote: a BUY ticket at the ask."""
    from textual.widgets import Input

    from blotter.ui.screens.ticket import TicketScreen

    app = pilot.app
    await loaded(pilot)
    await pilot.press("3", "home", "right_square_bracket")
    await _until(pilot, lambda: isinstance(app.screen, TicketScreen))
    await pilot.pause()
    app.screen.query_one("#external_id", Input).value = FIXED_EXTERNAL_ID
    await pilot.press(*"0.0010")
    await _settle(pilot)


async def column_picker(pilot: Any) -> None:
    """`o` on the trades pane, Time hidden and Price moved up."""
    from blotter.ui.screens.columns import ColumnPicker

    app = pilot.app
    await loaded(pilot)
    await pilot.press("2", "o")
    await _until(pilot, lambda: isinstance(app.screen, ColumnPicker))
    await pilot.press("down", "down", "space", "down", "K")
    await _settle(pilot)


async def all_clients(pilot: Any) -> None:
    """`u`, then "All clients": a Client column, balances per client, the header says so."""
    from textual.command import CommandPalette

    app = pilot.app
    await loaded(pilot)
    await pilot.press("u")
    await _until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*"all clients")
    await pilot.pause(0.3)  # the palette searches in a worker
    before = app.feeds["balances"].successes
    await pilot.press("enter")
    await _until(pilot, lambda: app.dashboard.scope is None and app.feeds["balances"].successes > before
                 and not app.feeds["balances"].in_flight)
    await pilot.pause()
    app.refresh_bars()
    await _settle(pilot)


def stream_from(app: Any) -> Any:
    """A stream the scene feeds by hand, with the frozen exchange's depth and prints: the same
    picture every time (a live socket would race the frozen clock)."""
    from blotter.api import Connected, Data, SnapshotDone, Subscribed
    from blotter.api.dropcopy import read_dropcopy
    from blotter.api.stream_models import Confirmation, DepthMessage, TradeMessage, Welcome
    from blotter.core.streaming import StreamBridge
    from blotter.ui.streaming import StreamLink

    dashboard = app.dashboard
    bridge = StreamBridge(monotonic=app.clock.monotonic, now_ns=app.clock.now_ns, symbol_of=app.catalog.symbol,
                          read_dropcopy=read_dropcopy)
    dashboard.stream = bridge
    link = app.stream = StreamLink(app, None, bridge)
    link.on_event(Connected(Welcome(), reconnect=False))
    channels = [{"channel": c, "item_names": ["BTC-PYUSD"]} for c in ("EBBO", "DEPTH", "TRADE")]
    channels.append({"channel": "DROPCOPY", "item_names": [app.home_client]})
    link.on_event(Subscribed(Confirmation.model_validate({"channel": "WEBSOCKET", "update": "SNAPSHOT",
                                                          "status": "AUTHENTICATED", "subscriptions": channels}),
                             authenticated=True))
    instrument = app.catalog.by_symbol("BTC-PYUSD")
    bids, asks = app.scene_exchange.depth(instrument.id)

    def levels(side):
        return [{"price": format(p, "f"), "qty": format(q, "f"), "order_count": str(n)} for p, q, n in side]

    link.on_event(Data(DepthMessage.model_validate({
        "channel": "DEPTH", "update": "SNAPSHOT", "seqnum": "1",
        "data": {"symbol": "BTC-PYUSD", "bids": levels(bids), "asks": levels(asks)}})))
    link.on_event(SnapshotDone("DEPTH", "BTC-PYUSD"))
    for number, (price, qty) in enumerate((("96,812.5", "0.0042"), ("96,813.0", "0.0150"), ("96,811.0", "0.0009"))):
        app.clock.advance(0.4)
        link.on_event(Data(TradeMessage.model_validate({
            "channel": "TRADE", "update": "UPDATE", "seqnum": str(2 + number), "id": instrument.id,
            "data": {"match_id": f"m-{number}", "trade_price": price.replace(",", ""), "trade_qty": qty,
                     "liq_flag": "TAKER"}})))
    return link


async def book_pane(pilot: Any) -> None:
    """`6` on BTC-PYUSD's quote: its depth ladder (the trader's resting orders marked in Mine),
    the spread, and the market tape; the status line says which feeds stream."""
    app = pilot.app
    await loaded(pilot)
    stream_from(app)
    await pilot.press("3")
    app.table("quotes").select_key(next(k for k in app.stores["quotes"].view
                                        if app.stores["quotes"].items[k].quote.symbol == "BTC-PYUSD"
                                        or app.catalog.symbol(app.stores["quotes"].items[k].quote.id) == "BTC-PYUSD"))
    await pilot.press("6", "z")
    await _until(pilot, lambda: app.stores["book"].total > 3 and app.stores["tape"].total == 3)
    app.refresh_bars()
    await _settle(pilot)


async def help_overlay(pilot: Any) -> None:
    await loaded(pilot)
    await pilot.press("question_mark")
    await _settle(pilot)


SCENES: dict[str, Scene] = {
    "main": main_screen,
    "ticket": ticket_empty,
    "ticket-filled": ticket_filled,
    "ticket-errors": ticket_errors,
    "guard-confirmation": guard_confirmation,
    "modify": modify_order,
    "cancel-confirmation": cancel_confirmation,
    "cancel-all-confirmation": cancel_all_confirmation,
    "order-detail": order_detail,
    "help": help_overlay,
    "positions": positions_pane,
    "done-orders": done_orders,
    "alert-fired": alert_fired,
    "quote-ticket": quote_ticket,
    "column-picker": column_picker,
    "all-clients": all_clients,
    "book": book_pane,
}


def shipped_themes() -> list[str]:
    from blotter.ui.themes import BUILTIN, packaged_theme_files, theme_from_file

    names = [theme.name for theme in BUILTIN]
    for path in packaged_theme_files():
        name = theme_from_file(path).name
        if name not in names:
            names.append(name)
    return names


async def render(server: Any, name: str, scene: Scene, folder: Path, *, theme: str = "desk-dark") -> Path:
    with tempfile.TemporaryDirectory(prefix="blotter-shots-") as state:
        app = make_app(server, theme=theme, state=Path(state))
        async with app.run_test(size=SIZE) as pilot:
            await scene(pilot)
            written = app.save_screenshot(filename=f"{name}.svg", path=str(folder))
    return Path(written)


async def render_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    server = start_frozen_exchange()
    written = []
    try:
        for name, scene in SCENES.items():
            written.append(await render(server, name, scene, folder))
        for theme in shipped_themes():
            written.append(await render(server, f"theme-{theme}", main_screen, folder, theme=theme))
    finally:
        server.stop()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/screenshots.py",
        description="Render deterministic SVG screenshots of the seeded demo (main screen, order ticket, "
        "guard and cancel-all confirmations, order detail, help, and the main screen in every shipped theme).",
    )
    parser.add_argument("folder", nargs="?", default="screenshots", help="where to write the SVG files")
    args = parser.parse_args(argv)
    for path in asyncio.run(render_all(Path(args.folder))):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
