"""The dashboard app: it composes the parts and wires one poll from the feed to the screen.

- `Dashboard` (core, headless): reference data, the panes' stores, the feeds; a poll in, a diff out.
- `MainScreen`: draws the panes, the header, the events and status lines, the footer.
- `OrderEntry`: the order dialogs and how orders ended; `LocalOrders`: the exchange's answers shown
  at once; `Notifications`: the events line and toasts; `Exporter`: `e` and `S` files.
The app runs the feeds in Textual workers, hands each poll to the dashboard and the diff to the
screen, and dispatches the keys.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterable
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.color import Color
from textual.css.query import NoMatches
from textual.screen import Screen

# Only what the first frame needs is imported here; the settings (pydantic), the HTTP stack, the wire
# models, the main screen and the order dialogs load while the first frame is on screen (see `_load`).
from ..api._defaults import NS_PER_DAY, NS_PER_SECOND
from ..api._errors import ConfigError, TrueXError, Unauthorized
from ..core.feeds import Backoff, Clock, FeedSet, SystemClock
from ..core.panes import PANES
from ..core.preferences import Preferences, load_preferences, save_preferences
from ..paths import state_dir
from .loading import LoadingScreen
from .terminal import guard_the_exit, install_signal_handlers, terminal_hung_up
from .themes import BUILTIN, VARIABLE_DEFAULTS, packaged_theme_files, theme_from_file

if TYPE_CHECKING:
    from ..api import TrueXClient
    from ..core.alerts import AlertSpec, Fired
    from .screens.alerts import AlertsScreen
    from ..api.models import Order
    from ..config import Settings
    from ..core.dashboard import Poll
    from ..core.reference import Catalog
    from ..core.store import KeyedStore, TradeStore
    from ..core.order_actions import OrderService
    from .exporting import Exporter, Told
    from .main_screen import MainScreen
    from .order_entry import OrderEntry
    from .widgets.live_table import LiveTable


def _commands() -> type:
    from .commands import BlotterCommands  # the palette's fuzzy matcher: loaded when first opened

    return BlotterCommands


__all__ = ["PANES", "BlotterApp", "create_app"]

log = logging.getLogger(__name__)

ORDER_TIME_PRIORITY = 5  # activity lookups for order times wait behind every feed
STARTED_AT_LATEST = 10.0  # seconds after the first frame: `on_started` is called by then, whatever the start did
# The stream's public channels: INSTRUMENT is left out (the REST reference names the instruments,
# and its 24 h stats, sent with every print, are not on screen).
STREAM_CHANNELS = ("EBBO", "DEPTH", "TRADE")
# The feeds are planned to this share of the polling budget: start-up reads (clock, reference data,
# clients) and order-time lookups also count in the exchange's minute, and a window filled to the
# last request holds the orders poll until the oldest one ages out.
POLLING_SHARE = 0.9
# The footer shows `? Help` first, then these, as many as the width holds (all are in help and the palette).
FOOTER_RANKING = (
    "app.help", "order.new", "order.cancel", "order.modify", "pane.filter", "app.quit", "order.details",
    "quotes.buy", "quotes.sell", "order.cancel_all", "orders.done", "quotes.alert", "feeds.pause", "pane.sort", "pane.export", "pane.maximize", "app.theme",
    "app.screenshot", "pane.orders", "pane.trades", "pane.quotes", "pane.balances", "pane.positions",
)


SEVERITY_RANK = {"information": 0, "warning": 1, "error": 2}  # which toast may replace which


class BlotterApp(App[int]):
    CSS_PATH = "blotter.tcss"
    TITLE = "blotter"
    COMMANDS = {_commands}  # instead of Textual's system commands (see commands.py)
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("e", "export", "Export", id="pane.export"),
        Binding("p", "toggle_pause", "Pause", id="feeds.pause"),
        Binding("t", "next_theme", "Next theme", show=False, id="app.theme"),
        Binding("S", "save_screenshot", "Save screenshot", show=False, id="app.screenshot"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="app.palette"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("n", "new_order", "New order", id="order.new"),
        Binding("m", "modify_order", "Modify", show=False, id="order.modify"),
        Binding("c", "cancel_order", "Cancel", show=False, id="order.cancel"),
        Binding("C", "cancel_all", "Cancel all in view", show=False, id="order.cancel_all"),
        Binding("enter", "order_detail", "Order detail", show=False, id="order.details"),
        Binding("h", "toggle_done", "Done orders", show=False, id="orders.done"),
        # Mirror the quote row: the bid on the left, the ask on the right.
        Binding("right_square_bracket", "trade_quote('BUY')", "Buy at ask", id="quotes.buy"),
        Binding("left_square_bracket", "trade_quote('SELL')", "Sell at bid", id="quotes.sell"),
        Binding("a", "set_alert", "Set price alert", show=False, id="quotes.alert"),
        Binding("A", "show_alerts", "Price alerts…", show=False, id="alerts.list"),
        Binding("u", "choose_client", "Choose client…", show=False, id="clients.choose"),
        Binding("o", "choose_columns", "Columns…", show=False, id="pane.columns"),
    ]

    def __init__(
        self,
        client: TrueXClient | None = None,
        settings: Settings | None = None,
        *,
        connect: Callable[[], tuple[Settings, TrueXClient]] | None = None,
        catalog: Catalog | None = None,
        environment: str | None = None,
        theme: str | None = None,
        clock: Clock | None = None,
        start_feeds: bool = True,
        backoff: Backoff | None = None,
        handle_signals: bool = False,
        audit_path: Path | None = None,
        preferences_path: Path | None = None,
        streaming: bool = False,
        on_started: Callable[[], None] | None = None,
    ) -> None:
        """With a `client`, the app is whole at once (tests). With `connect` instead, it draws its
        first frame, then reads the settings and makes the client (`connect` returns both) and
        everything that needs pydantic or the HTTP stack. `theme` (the --theme flag) beats the
        theme remembered from the last session. `streaming`: use the exchange's WebSocket stream as
        the settings say (`stream`, default auto); tests opt in. `on_started` is called once, when
        the reference data, the first polls and the stream are under way (at the latest
        `STARTED_AT_LATEST` seconds after the first frame, however the start goes)."""
        super().__init__()
        if client is None and connect is None:
            raise TypeError("give a client or a way to connect")
        self.client = client
        self.environment = (environment or "").upper()  # the settings' label, once read, when not given
        self.clock: Clock = clock or SystemClock()
        self.handle_signals = handle_signals
        self.start_feeds = start_feeds
        self.streaming = streaming
        self.stream: Any = None  # the StreamLink, once the stream is started
        self.startup_error: BaseException | None = None  # why `connect` failed; the app then exits
        self._given_environment = environment
        self._flag_theme = theme
        self._connect = connect
        self._catalog = catalog
        self._catalog_given = catalog is not None
        self._audit_path = audit_path
        self._backoff = backoff or Backoff()
        self._main: MainScreen | None = None
        self.feeds = FeedSet()
        self.ready = False  # the catalog is loaded and the feeds are running
        self.clients_asked = False  # `/clients` has answered (or failed) once
        self.unauthorized: str | None = None  # what to check, after a 401
        self.startup_warnings: list[str] = []  # e.g. a config file others can read; shown once mounted
        self._paused_at: int | None = None
        self._times_wanted = asyncio.Event()
        self._reference_in = asyncio.Event()  # the instruments and assets are loaded
        self._orders_answered = asyncio.Event()  # the first orders poll is drawn, or failed
        self._drawn_once: set[str] = set()  # feeds whose first data is on screen
        self._on_started = on_started
        self._leaving = False
        self.preferences_path = preferences_path
        self.preferences = load_preferences(preferences_path) if preferences_path else Preferences()
        self.desk_themes: list[str] = []  # ours (shipped and the trader's files), cycled by `t`
        self.theme_errors: list[str] = []
        self._register_themes(packaged_theme_files())
        self._choose_theme(self.preferences.theme)  # the first frame's guess; settings decide in `_configure`
        if client is not None:
            if settings is None:
                from ..config import Settings

                settings = Settings()
            self._configure(settings)
            self._assemble(client)

    def _configure(self, settings: Settings) -> None:
        """What the settings decide: the environment's label, the trader's theme files, the theme."""
        self.settings = settings
        self.environment = (self._given_environment or settings.environment_label).upper()
        self._register_themes(Path(p).expanduser() for p in settings.theme_files)
        self._choose_theme(self._flag_theme, self.preferences.theme_for(settings.theme), settings.theme)


    def _assemble(self, client: TrueXClient) -> None:
        """Make the parts the app composes (they need the client, the models and the dialogs). The
        order path and the export are made when first used (`order_entry`, `exporter`): their
        modules are not on the way to the first data."""
        from ..core.alerts import ALERTS_FILE, load_alerts
        from ..core.dashboard import Dashboard
        from ..core.local_orders import LocalOrders
        from .main_screen import MainScreen
        from .notifications import Notifications

        self.client = client
        self.alerts_path = state_dir() / ALERTS_FILE
        self.dashboard = Dashboard(self.settings, self.clock, catalog=self._catalog, client_id=self.home_client)
        self.local_orders = LocalOrders(self.clock.monotonic)
        self.notices = Notifications(self, self._show_event, self.dashboard.display.times, bell=self.settings.bell)
        loaded = load_alerts(self.alerts_path, self.dashboard.display.times.zone)
        self.alert_book = loaded.book
        if loaded.problem:
            self.startup_warnings.append(loaded.problem)
        self._main = MainScreen(self.dashboard.stores, self.dashboard.subtitle, FOOTER_RANKING, self.dashboard.title,
                                on_book=self._book_from, on_book_resize=self._book_resized)

    @cached_property
    def order_service(self) -> OrderService:
        from ..core.audit_trail import AuditLog
        from ..core.order_actions import OrderService

        return OrderService(self.client, AuditLog(self._audit_path or state_dir() / "audit.jsonl"))

    @cached_property
    def order_entry(self) -> OrderEntry:
        from .order_entry import OrderEntry

        return OrderEntry(self, self.client, self.order_service, self.dashboard, self.local_orders, self.notices,
                          self.settings, self._show_local)

    @cached_property
    def exporter(self) -> Exporter:
        from .exporting import Exporter

        return Exporter(self.settings.resolve_export_dir, self.clock.now_ns)

    # --- the parts, for the dialogs, the commands and the tests ---------------------------------

    @property
    def catalog(self) -> Catalog:
        return self.dashboard.catalog

    @property
    def stores(self) -> dict[str, KeyedStore]:
        return self.dashboard.stores

    @property
    def trades(self) -> TradeStore:
        return self.dashboard.trades

    @property
    def main(self) -> MainScreen:
        assert self._main is not None, "the app is not assembled yet"
        return self._main

    def table(self, name: str) -> LiveTable:
        return self.main.table(name)

    @property
    def selected_order(self) -> Order | None:
        """The order highlighted in the orders pane, only while its row is on screen: an action
        never reaches a row the trader cannot see."""
        view = self.main.orders_view
        return self.dashboard.order(self.main.selected_key(view), view)

    @property
    def home_client(self) -> str | None:
        """The trader's own client: the setting, else the key's user id."""
        client_id = self.settings.client_id or self.settings.user_id
        if client_id is None and self.client is not None and self.client.credentials is not None:
            client_id = self.client.credentials.user_id
        return client_id

    @property
    def client_id(self) -> str | None:
        """The client the panes show and new orders are for (`u` chooses, when the key can act for
        several); None: every client (new orders are then the trader's own)."""
        if self._main is None:
            return self.home_client
        return self.dashboard.scope

    def command_bindings(self) -> list[Binding]:
        """Every action, for the palette and the help overlay (one source: the bindings)."""
        from .main_screen import MainScreen

        bindings = [*MainScreen.BINDINGS, *self.BINDINGS]
        return [b for b in bindings if isinstance(b, Binding) and b.id != "app.palette"]

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def notify(self, message: str, *, title: str = "", severity: str = "information",  # type: ignore[override]
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts are plain text: they carry server strings (problem details, ids) that must never
        be read as markup. One at a time, but for a graver one still up: a stack of them climbs
        over the panes, and the events line keeps the record."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _on_notify(self, event) -> None:
        # `notify` only posts a message: clearing there would miss the toasts posted in the same
        # tick (three feeds failing at once showed three). The newest replaces the others here,
        # except those of a graver severity, which stay their time: a cancel-all's failures were
        # replaced by the "canceled" toast of its other orders a moment later.
        rank = SEVERITY_RANK.get(event.notification.severity, 0)
        for shown in list(self._notifications):
            if SEVERITY_RANK.get(shown.severity, 0) <= rank:
                del self._notifications[shown]
        super()._on_notify(event)

    def _tell(self, told: Told) -> None:
        self.notify(told.message, title=told.title, severity=told.severity, timeout=told.timeout)

    # --- start --------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        if self._main is not None:
            return self._main
        return LoadingScreen(self.environment)

    def on_mount(self) -> None:
        if self._on_started is not None:
            self.set_timer(STARTED_AT_LATEST, self._started, name="started-at-latest")
        if self.handle_signals:
            install_signal_handlers(self._leave)
            self.set_interval(1.0, self._exit_if_terminal_gone, name="terminal-watch")
        if self._main is not None:
            self._begin()

    def on_loading_screen_shown(self) -> None:
        self._load()  # the first frame is on screen: load the rest

    @work(thread=True, exit_on_error=False, name="load")
    def _load(self) -> None:
        """Read the settings, import the heavy parts and make the client beside the first frame."""
        assert self._connect is not None
        try:
            from . import main_screen  # noqa: F401 - imported here, off the event loop
            from ..api.models import build_validators
            from ..core import dashboard  # noqa: F401

            build_validators()
            settings, client = self._connect()
        except Exception as error:  # bad settings, or the demo exchange did not start: said once the screen is gone
            self.startup_error = error
            self.call_from_thread(self.exit, return_code=2 if isinstance(error, ConfigError) else 1)
            return
        self.call_from_thread(self._loaded, settings, client)

    def _loaded(self, settings: Settings, client: TrueXClient) -> None:
        self._configure(settings)
        self._assemble(client)
        self.push_screen(self.main)  # over the outline (switching away from the base screen is not allowed)
        self._begin()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until the dashboard is on screen only help and quit do anything."""
        if self._main is None and action not in ("quit", "help"):
            return False
        return True

    def _begin(self) -> None:
        if self.settings.bindings:
            self.set_keymap(self.settings.bindings)
        for warning in [*self.startup_warnings, *self.settings.notes]:
            self.notify(warning, title="Config", severity="warning", timeout=15)
        for error in self.theme_errors:
            self.notify(f"Theme file not loaded: {error}", severity="warning")
        if self.settings.theme not in self.available_themes:
            self.notify(f"Unknown theme {self.settings.theme!r}; using {self.theme}", severity="warning")
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.call_after_refresh(self.apply_columns)  # the saved choices, before the first data
        self.refresh_bars()
        self.set_interval(1.0, self.refresh_bars, name="status-tick")
        self.run_worker(self._startup(), name="startup", group="startup", exit_on_error=False)

    async def _startup(self) -> None:
        try:
            await self._start()
        finally:
            self._started()

    def _started(self) -> None:
        callback, self._on_started = self._on_started, None
        if callback is not None:
            callback()

    async def _start(self) -> None:
        if self.start_feeds:
            # The first polls go out with the reference requests, not one round trip after them;
            # each poll's answer waits for the reference (a row needs its symbol and increments).
            self.start_polling()
        attempt = 0
        while not self._catalog_given:
            try:
                # One round trip, not two: every answer carries a Date, and a request signed with a
                # skewed clock is signed again once the Date is read (TrueXAuth), so the reference
                # need not wait for the clock.
                _, instruments, assets = await asyncio.gather(
                    self.client.sync_clock(), self.client.instruments(), self.client.assets())
            except TrueXError as error:
                attempt += 1
                delay = self._backoff.delay(attempt, 1.0, getattr(error, "retry_after", None))
                self._note_unauthorized(error)
                self.notify(f"Cannot load reference data: {error}. Retrying in {delay:.0f}s", severity="error")
                await self.clock.sleep(delay)
                continue
            self.dashboard.take_reference(instruments.items, assets.items,
                                          len(instruments.bad_rows) + len(assets.bad_rows))
            break
        self._reference_in.set()
        self.refresh_bars()
        await self._learn_clients()  # after the first polls are asked for: not one more round trip before data
        self.apply_columns()
        if self.start_feeds:
            # Knowing the clients whose orders the drop copy is to follow, and once the first orders
            # are on screen: importing the WebSocket stack takes the event loop for a moment, and so
            # does the collector's first pass once the start is over (`_started`). When `/clients`
            # answered before the orders were painted, the two held them off the screen ~60 ms.
            await self._orders_answered.wait()
            await self.main.wait_for_refresh()
            self.start_stream()

    async def _learn_clients(self) -> None:
        """Which clients the key can act for (`/clients`); with several, `u` chooses."""
        try:
            listed = await self.client.clients()
        except TrueXError as error:  # not fatal: the blotter shows the trader's own client
            log.info("clients not listed: %s", error)
            return
        finally:
            self.clients_asked = True
        self.dashboard.clients = listed.items
        if self.dashboard.several_clients:
            # The events line, not a toast: toasts come one at a time, and this one would replace a
            # feed's failure. The header keeps saying whom the panes show.
            scope = self.dashboard.scope
            mnemonic = next((c.info.mnemonic for c in listed.items if c.id == scope and c.info), None)
            shown = mnemonic or f"client {scope}"  # short: the line is whole at 80 columns
            self._show_event(f"This key acts for {len(listed.items)} clients; showing {shown}. "
                             "u: another, or all")
        self.refresh_bars()

    def action_choose_client(self) -> None:
        if not self.dashboard.several_clients:
            self.notify(f"This key acts for one client: {self.client_id or self.home_client or '-'}", timeout=4)
            return
        from textual.command import CommandPalette

        from .commands import ClientChoices

        self.push_screen(CommandPalette(providers=[ClientChoices], placeholder="Show which client…"))

    def choose_client(self, client_id: str | None) -> None:
        """The panes show this client (None: all); new orders are for it; balances are asked anew."""
        for pane, diff in self.dashboard.set_scope(client_id).items():
            self.main.apply(pane, diff)
        self.apply_columns()
        if "balances" in self.feeds:
            self.feeds["balances"].poke()
        self.refresh_bars()
        self.notify(f"Showing {self.dashboard.client_label()}", timeout=3)

    def pane_columns(self, name: str) -> list[str]:
        """The columns pane `name` shows: the trader's saved choice (default: all), without the
        Client column, which the blotter adds itself, after Side, only while all clients are shown."""
        keys = self.preferences.columns_for(name) or [c.key for c in self.stores[name].columns]
        keys = [key for key in keys if key != "client"]
        if self.dashboard.scope is None and any(c.key == "client" for c in self.stores[name].columns):
            keys.insert(keys.index("side") + 1 if "side" in keys else min(1, len(keys)), "client")
        return keys

    def apply_columns(self) -> None:
        """Every pane's columns (see `pane_columns`)."""
        for name in (*PANES, "done"):
            try:
                self.table(name).set_column_choice(self.pane_columns(name))
            except NoMatches:  # not composed yet: `_startup` applies them again
                return

    def action_choose_columns(self) -> None:
        """`o`: the column picker for the pane the trader is on; the choice is saved per pane."""
        from .screens.columns import ColumnPicker, picker_columns

        name = self.main.pane
        store = self.stores[name]
        columns = [column for column in store.columns if column.key != "client"]
        shown = [key for key in self.table(name).column_choice if key != "client"]
        picker = ColumnPicker(self.main.pane_title(name), picker_columns(columns, shown),
                              [column.key for column in columns])

        def chosen(keys: list[str] | None) -> None:
            if keys is None:
                return
            default = keys == [column.key for column in columns]
            self.preferences = self.preferences.with_columns(name, None if default else keys)
            self.apply_columns()
            self._save_preferences("column choice")

        self.push_screen(picker, chosen)

    def build_feeds(self) -> FeedSet:
        self.feeds = self.dashboard.build_feeds(self.client, lambda: self.client_id, self._on_data,
                                                self._on_feed_error, self._backoff)
        for feed in self.feeds:
            feed.fetch = self._after_reference(feed.fetch)
        return self.feeds

    def _after_reference(self, fetch: Callable[[], Any]) -> Callable[[], Any]:
        async def fetched() -> Any:
            data = await fetch()
            await self._reference_in.wait()  # at once, once the reference data is in
            return data

        return fetched

    def start_polling(self) -> None:
        if not len(self.feeds):
            self.build_feeds()
        self._hold_done()
        for feed in self.feeds:
            self.run_worker(feed.run(), name=f"feed:{feed.name}", group="feeds", exit_on_error=False)
        self.run_worker(self._look_up_order_times(), name="order-times", group="order-times", exit_on_error=False)
        self.ready = True

    def start_stream(self) -> None:
        """The WebSocket stream beside the polls (see `core.streaming`): unless `stream = off`."""
        if not self.streaming or self.settings.stream == "off" or self.stream is not None:
            return
        from ..api import StreamSession, ws_url_from_base
        from ..api.dropcopy import read_dropcopy
        from ..core.streaming import StreamBridge
        from .streaming import StreamLink

        credentials = self.client.credentials
        # The REST client's host (the demo's simulator serves both on one port), unless ws_url says.
        url = self.settings.ws_url or ws_url_from_base(self.client.base_url)
        bridge = StreamBridge(monotonic=self.clock.monotonic, now_ns=self.clock.now_ns,
                              symbol_of=self.catalog.symbol, read_dropcopy=read_dropcopy,
                              id_of=lambda symbol: getattr(self.catalog.by_symbol(symbol), "id", None))
        symbols = sorted(i.symbol for i in self.catalog.instruments.values() if i.symbol)
        book = self.dashboard.book_instrument if self.main.middle_choice == "book" else None
        # Quotes for every instrument; depth and prints only for the book's, while it shows (`6`):
        # each frame costs CPU, and a trader watching the orders needs neither.
        session = StreamSession(
            url, symbols=symbols, channels=STREAM_CHANNELS,
            book_symbols=[self.catalog.symbol(book)] if book else [],
            client_ids=[c.id for c in self.dashboard.clients] if self.dashboard.several_clients
            else [c for c in (self.home_client,) if c],
            organization_id=self.settings.organization_id,
            key=credentials.key_id if credentials else None, secret=credentials.secret if credentials else None,
            server_offset=lambda: self.client.clock.offset,
        )
        self.dashboard.stream = bridge
        self.stream = StreamLink(self, session, bridge, loud=self.settings.stream == "on")
        self.run_worker(self.stream.run(), name="stream", group="stream", exit_on_error=False)

    # StreamLink's host: what a stream event may ask of the app.

    def draw_poll(self, name: str, poll: Poll) -> None:
        self._draw(name, poll)

    def quotes_seen(self, quotes: list[Any]) -> None:
        if fired := self.alert_book.observe(quotes, self.clock.now_ns()):
            self._alerts_fired(fired)

    def show_event(self, text: str) -> None:
        self._show_event(text)

    def _book_from(self, pane: str | None) -> None:
        """`6`: the book of the highlighted row's instrument (an order's, a trade's, a quote's...);
        None: the book is hidden again. Depth and prints are subscribed only while it shows."""
        stream = self.stream.session if self.stream is not None else None
        if pane is None:
            if stream is not None:
                self.dashboard.stream.watch_book(None)
                stream.set_items(book_symbols=[])
            return
        highlighted = self.dashboard.instrument_of(pane, self.main.selected_key(pane)) if pane != "book" else None
        instrument = self.dashboard.choose_book(highlighted)
        if self.stream is None:
            self.main.apply("book", self.dashboard.take_book())  # empty: it says the stream is off
            self.main.update_subtitle("book")
            return
        if stream is not None and instrument is not None:
            symbol = self.catalog.symbol(instrument)
            self.dashboard.stream.watch_book(symbol)
            stream.set_items(book_symbols=[symbol])
        self.call_after_refresh(self.stream.draw_book)  # once laid out: as many levels as the pane shows

    def _book_resized(self) -> None:
        if self.stream is not None:
            self.stream.draw_book()

    # --- one poll, from the feed to the screen --------------------------------------------------

    def _on_data(self, name: str, data: Any) -> None:
        dashboard = self.dashboard
        if name == "health":
            poll = dashboard.take_health(data)
        elif name == "done":
            poll = dashboard.take_done(data.items, len(data.bad_rows), data.notice)
        elif name == "orders":
            items = data.items
            if dashboard.stream is not None:  # what the stream reported after this poll was sent stays
                items = dashboard.stream.merge_orders(items, self.feeds["orders"].last_started)
            poll = dashboard.take_orders(self.local_orders.merge(items), len(data.bad_rows))
        elif name == "quotes" and dashboard.stream is not None:
            poll = dashboard.take_quotes(dashboard.stream.merge_quotes(data.items), len(data.bad_rows))
        else:
            take = {"trades": dashboard.take_trades, "quotes": dashboard.take_quotes,
                    "balances": dashboard.take_balances}[name]
            poll = take(data.items, len(data.bad_rows))
        self._draw(name, poll)
        if name == "quotes" and (fired := self.alert_book.observe(data.items, self.clock.now_ns())):
            self._alerts_fired(fired)

    def _draw(self, name: str, poll: Poll) -> None:
        if not self.is_running:
            return  # closing: the panes are being removed, and a poll or the stream's frame may land once more
        if name in self.stores:
            self.main.apply(name, poll.diff)
        for pane, diff in poll.others.items():
            self.main.apply(pane, diff)
        for pane, diff in self.dashboard.realigned().items():
            self.main.apply(pane, diff)
        if poll.new_trades:
            self.order_entry.announce_fills(poll.new_trades)
        if poll.gone:
            self.order_entry.announce_gone(poll.gone)
        if name == "orders":
            self._orders_answered.set()
            if self.dashboard.order_times.wanted(1):
                self._times_wanted.set()
        if name not in self._drawn_once:  # first data: show it now, and the pane's count for "no answer yet"
            self._drawn_once.add(name)
            if name in self.stores:
                self.main.update_subtitle(name)
            self.refresh_bars()
        elif poll.bars_changed:
            self.refresh_bars()

    def _show_local(self, order: Order) -> None:
        """Show the exchange's answer to an order action at once, selected (the trader sees the order
        they just placed or changed); the next poll reconciles it. When the stream has already said
        what came after the answer, that is shown instead, and a done order stays off the list."""
        stream = self.dashboard.stream
        later = stream.later_state(order) if stream is not None else None
        self.local_orders.show(later or order)
        if later is not None and not later.is_open:
            return  # the stream took it off the list already
        order = later or order
        self.main.apply("orders", self.stores["orders"].upsert([order]))
        self.table("orders").select_key(order.key)

    def _show_event(self, text: str) -> None:
        self.main.show_event(text)

    async def _look_up_order_times(self) -> None:
        """Orders the exchange sent without a time get the first event of their activity trail,
        asked in batches behind every feed; until then they show when first seen, marked `~`."""
        from ..api import request_priority

        times = self.dashboard.order_times
        while True:
            await self._times_wanted.wait()
            self._times_wanted.clear()
            wanted = times.wanted(30)
            if not wanted:
                continue
            since = self.clock.now_ns() - NS_PER_DAY + NS_PER_SECOND
            try:
                with request_priority(ORDER_TIME_PRIORITY):
                    trail = await self.client.all_activity(since, order_ids=[o.id for o in wanted])
            except TrueXError as error:
                log.info("order times not looked up: %s", error)
                times.failed(wanted)
                continue
            changed = times.learn(wanted, trail.items)
            if changed and self.is_running:  # not while closing: the panes are being removed
                self.main.apply("orders", self.stores["orders"].rerender(changed))
            if times.wanted(1):
                self._times_wanted.set()

    def _on_feed_error(self, name: str, error: BaseException) -> None:
        if name == "orders":
            self._orders_answered.set()
        self._note_unauthorized(error)
        # Once per outage, not on every retry; a 401 has its own toast ("Not signed in"), one for all feeds.
        if self.feeds[name].errors == 1 and name != "health" and not isinstance(error, Unauthorized):
            self.notify(f"{name}: {error}", title="Feed failing", severity="warning", timeout=6)
        self.refresh_bars()

    def _note_unauthorized(self, error: BaseException) -> None:
        """A 401 says what to check (key id, secret, prefix, clock), once, on screen."""
        if isinstance(error, Unauthorized) and self.unauthorized is None:
            from ..config import unauthorized_help

            self.unauthorized = unauthorized_help(self.settings)
            # Short, so the toast fits at 80x24; the whole list is at the top of help.
            self.notify(f"{error}\nPress ? for what to check: key, secret, prefix, clock.", title="Not signed in",
                        severity="error", timeout=30)

    # --- header and status line -----------------------------------------------------------------

    def refresh_bars(self) -> None:
        """Header and status line; called once a second by the tick and on events."""
        from .widgets.bars import HeaderBar, StatusLine

        try:
            header, status = self.main.query_one(HeaderBar), self.main.query_one(StatusLine)
        except NoMatches:
            return  # not composed yet, or shutting down (the tick may fire once more)
        for pane, diff in self.dashboard.realigned().items():
            self.main.apply(pane, diff)
        dashboard = self.dashboard
        offset = self.client.clock.offset if self.client.clock.synced else None
        notices = []
        if dashboard.health is not None and dashboard.health.degraded:
            notices.append("exchange DEGRADED")
        if self.client.notices.sunset:
            notices.append(f"API deprecated, sunset {self.client.notices.sunset}")
        stream = dashboard.stream
        if stream is not None and (stream.state != "live" or stream.refused):
            notices.append(stream.summary())
        variables = {**VARIABLE_DEFAULTS, **self.current_theme.variables}
        badge = variables.get(f"env-{self.environment.lower()}")
        badge_style = None
        if badge:  # the environment's colour from the theme; the text keeps PROD/UAT/DEMO readable in mono
            badge_style = f"bold {'#000000' if Color.parse(badge).brightness > 0.5 else '#ffffff'} on {badge}"
        header.show(
            self.environment, self.dashboard.client_label() if self.client_id or self.dashboard.several_clients
            else "client -", self.client.api_version, offset, "  │ ".join(notices),
            badge_style, zone=dashboard.display.times.label, value=dashboard.value_text(),
        )
        budget = getattr(self.client, "budget", None)
        pace = None
        if budget is not None and len(self.feeds) and self.feeds.plan(budget.for_polling * POLLING_SHARE):
            pace = f"paced to {budget.per_minute}/min"
        status.show(
            self.feeds.statuses(), paused_since=self._paused_since(), bad_rows=sum(dashboard.bad_rows.values()),
            unreadable=dashboard.unreadable_rows, pace=pace, unauthorized=self.unauthorized is not None,
            styles=self._status_styles(),
            # Per feed, while the stream is used (stream = off polls everything, and says so in config).
            transports=None if stream is None else {name: stream.transport(name)
                                                    for name in ("orders", "trades", "quotes", "balances")},
            stream_note="" if stream is None else stream.unread_note(),
        )

    def _status_styles(self) -> dict[str, str]:
        theme = self.current_theme
        variables = {**VARIABLE_DEFAULTS, **theme.variables}
        return {
            "fresh": theme.success or "green",
            "stale": f"bold {variables['stale']}",
            "failing": f"bold {variables['failing']}",
            "waiting": "dim",
            "paused": f"bold {theme.background or 'black'} on {theme.warning or 'yellow'}",
        }

    def _paused_since(self) -> str | None:
        if not self.feeds.paused:
            self._paused_at = None
            return None
        if self._paused_at is None:
            self._paused_at = self.clock.now_ns()
        return self.dashboard.display.times(self._paused_at).split(".")[0]

    # --- keys -----------------------------------------------------------------------------------

    def _order_to_act_on(self, key: str) -> Order | None:
        """The selected order, only when it is on screen; a selection scrolled out of view is
        first brought back and the trader asked to press the key again."""
        order = self.selected_order
        if order is None:
            table = self.table(self.main.orders_view)
            if table.has_selection and table.reveal_selection():
                self.notify(f"The selected order was off screen; it is shown now. Press {key} again to act on it.",
                            severity="warning", timeout=5)
            else:
                self.notify("No order selected: choose one in the orders pane (1, then ↑ ↓)", severity="warning")
        return order

    def action_new_order(self) -> None:
        pane = self.main.pane  # the ticket's instrument: the focused pane's selected quote, order or trade
        self.order_entry.new_order(self.dashboard.instrument_of(pane, self.main.selected_key(pane)),
                                   self.client_id or self.home_client)

    def action_trade_quote(self, side: str) -> None:
        """`]` buys at the ask, `[` sells at the bid, of the highlighted row's instrument (a quote's,
        or an order's, trade's or position's): the ticket opens with both filled in."""
        pane = self.main.pane
        instrument_id = self.dashboard.instrument_of(pane, self.main.selected_key(pane))
        if instrument_id is None:
            self.notify("No instrument selected: choose a quote (3, then ↑ ↓)", severity="warning")
            return
        quote = self.dashboard.latest_quotes().get(instrument_id)
        level = None if quote is None else quote.info.best_ask if side == "BUY" else quote.info.best_bid
        price = level.price if level is not None else None
        if price is None:
            where = "ask" if side == "BUY" else "bid"
            self.notify(f"No {where} for {self.catalog.symbol(instrument_id)}: type the price", severity="warning")
        self.order_entry.new_order(instrument_id, self.client_id or self.home_client, side=side, price=price)

    # --- price alerts -------------------------------------------------------------------------------

    def action_set_alert(self) -> None:
        """`a`: an alert on the highlighted row's instrument (a quote's, or an order's, trade's...)."""
        from ..core.alerts import Reference, reference_price
        from .screens.alert import AlertDialog

        pane = self.main.pane
        instrument_id = self.dashboard.instrument_of(pane, self.main.selected_key(pane))
        if instrument_id is None:
            self.notify("No quote selected: choose one in the quotes pane (3, then ↑ ↓), then press a",
                        severity="warning")
            return
        quote = self.dashboard.latest_quotes().get(instrument_id)
        mid = reference_price(quote, Reference.MID) if quote is not None else None
        last = reference_price(quote, Reference.LAST) if quote is not None else None
        symbol = self.catalog.symbol(instrument_id)
        now = self.clock.now_ns()
        existing = [self.alert_book.summary(a, now) for a in self.alert_book.for_instrument(instrument_id)]
        self.push_screen(AlertDialog(symbol, instrument_id, mid, last, existing=existing),
                         partial(self._alert_chosen, instrument_id, symbol))

    def _alert_chosen(self, instrument_id: str, symbol: str, spec: AlertSpec | None) -> None:
        from ..core.alerts import AlertInputError

        if spec is None:
            return
        try:
            alert = self.alert_book.add(instrument_id, symbol, spec.reference, spec.direction, spec.level,
                                        self.clock.now_ns())
        except AlertInputError as error:  # e.g. too many armed alerts
            self.notify(str(error), title="Alert not set", severity="warning")
            return
        self._save_alerts()
        self.notify(f"{alert.id}: {alert.label}", title="Alert set", timeout=4)

    def alert_rows(self) -> list[tuple[str, str, bool]]:
        now = self.clock.now_ns()
        return [(a.id, self.alert_book.summary(a, now), a.active) for a in self.alert_book.alerts]

    def action_show_alerts(self) -> None:
        from .screens.alerts import AlertsScreen

        self.push_screen(AlertsScreen(self.alert_rows()))

    def on_alerts_screen_remove(self, message: AlertsScreen.Remove) -> None:
        self.alert_book.remove(message.alert_id)
        self._save_alerts()
        message.dialog.refresh_rows(self.alert_rows())

    def on_alerts_screen_rearm(self, message: AlertsScreen.Rearm) -> None:
        self.alert_book.rearm(message.alert_id, self.clock.now_ns())
        self._save_alerts()
        message.dialog.refresh_rows(self.alert_rows())

    def _alerts_fired(self, fired: list[Fired]) -> None:
        """Once each: the events line, a toast, the bell when enabled; saved, so a restart does not
        fire it again."""
        from .screens.alerts import AlertsScreen

        self._save_alerts()
        self.notices.event("Alert", [f.text for f in fired])
        more = f"\n(+{len(fired) - 1} more on the events line)" if len(fired) > 1 else ""
        self.notify(fired[0].text + more, title=fired[0].title, severity="warning", timeout=10)
        if self.settings.bell:
            self.bell()
        if isinstance(self.screen, AlertsScreen):  # the list is open: show it fired
            self.screen.refresh_rows(self.alert_rows())

    def _save_alerts(self) -> None:
        from ..core.alerts import save_alerts

        try:
            save_alerts(self.alerts_path, self.alert_book)
        except OSError as error:
            self.notify(f"Alerts not saved ({error.strerror or error}); they hold until you quit",
                        title="Alerts", severity="warning", timeout=10)

    # --- orders ---------------------------------------------------------------------------------

    def action_modify_order(self) -> None:
        if order := self._order_to_act_on("m"):
            self.order_entry.modify(order)

    def action_order_detail(self) -> None:
        if order := self._order_to_act_on("enter"):
            self.order_entry.detail(order)

    @work(exclusive=True, group="order-cancel", exit_on_error=False)
    async def action_cancel_order(self) -> None:
        if order := self._order_to_act_on("c"):
            await self.order_entry.cancel(order)

    @work(exclusive=True, group="order-cancel", exit_on_error=False)
    async def action_cancel_all(self) -> None:
        orders = self.dashboard.open_orders_in_view(self.client_id)
        await self.order_entry.cancel_all(orders, self.client_id, self.stores["orders"].filter_text)

    def action_export(self) -> None:
        pane = self.main.pane
        self._tell(self.exporter.export_pane(pane, self.stores[pane], self.catalog,
                                             kind="orders" if pane == "done" else pane))

    def action_toggle_done(self) -> None:
        """`h`: the orders pane between the active orders and those done in the last 24 h (polled
        only while shown)."""
        view = self.main.toggle_done()
        self._hold_done()
        if view == "done" and not self.feeds.paused and "done" in self.feeds:
            self.feeds["done"].resume()

    def _hold_done(self) -> None:
        """The done orders are asked for only while they are shown."""
        if "done" in self.feeds and self.main.orders_view != "done":
            self.feeds["done"].pause()

    def action_save_screenshot(self) -> None:
        self._tell(self.exporter.save_svg(self.export_screenshot()))

    def action_toggle_pause(self) -> None:
        paused = self.feeds.toggle()
        if not paused:
            self._hold_done()
        self.notify("Polling paused: the data on screen is frozen" if paused else "Polling resumed",
                    severity="warning" if paused else "information", timeout=3)
        self.refresh_bars()

    def action_help(self) -> None:
        from .screens.help import HelpScreen  # markdown: loaded when help is first opened
        from .widgets.live_table import LiveTable

        if isinstance(self.screen, HelpScreen):
            return
        everything = self.command_bindings()
        sections = [
            ("Dashboard", [b for b in everything if not b.id or not b.id.startswith("order.")]),
            ("Command palette", [b for b in self.BINDINGS if isinstance(b, Binding) and b.id == "app.palette"]),
            ("In a pane", list(LiveTable.BINDINGS)),
            ("Order entry", [b for b in everything if b.id and b.id.startswith("order.")]),
        ]
        self.push_screen(HelpScreen(sections, notice=self.unauthorized))

    # --- themes ---------------------------------------------------------------------------------

    def _register_themes(self, files: Iterable[Path]) -> None:
        """Ours first (built in), then theme files; a file that does not load is told once mounted."""
        if not self.desk_themes:
            for theme in BUILTIN:
                self.register_theme(theme)
                self.desk_themes.append(theme.name)
        for path in files:
            try:
                theme = theme_from_file(path)
            except (OSError, ValueError, TypeError) as error:
                self.theme_errors.append(f"{path}: {error}")
                continue
            self.register_theme(theme)
            if theme.name not in self.desk_themes:
                self.desk_themes.append(theme.name)

    def _choose_theme(self, *wanted: str | None) -> None:
        """The first of `wanted` that exists, else desk-dark."""
        for name in (*wanted, "desk-dark"):
            if name and name in self.available_themes:
                self.theme = name
                return

    def search_desk_themes(self) -> None:
        from textual.command import CommandPalette

        from .commands import DeskThemes

        self.push_screen(CommandPalette(providers=[DeskThemes], placeholder="Search for a theme…"))

    def action_next_theme(self) -> None:
        names = self.desk_themes
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def _remember_theme(self, theme) -> None:
        """Every way of changing theme (the `t` key, the palette) ends here, so the choice persists."""
        self.refresh_bars()  # the status line's colours come from the theme
        if self.preferences_path is None or self.preferences.theme == theme.name:
            return
        self.preferences = self.preferences.with_theme(theme.name, self.settings.theme)
        self._save_preferences("theme choice")

    def _save_preferences(self, what: str) -> None:
        if self.preferences_path is None:
            return
        try:
            save_preferences(self.preferences_path, self.preferences)
        except OSError as error:
            self.notify(f"Could not save the {what}: {error}", severity="warning")

    # --- leaving --------------------------------------------------------------------------------

    def _exit_if_terminal_gone(self) -> None:
        if terminal_hung_up(sys.__stdin__):
            self._leave()

    def _leave(self) -> None:
        self._leaving = True
        self.exit(return_code=1)

    async def on_unmount(self) -> None:
        if self.handle_signals and (self._leaving or terminal_hung_up(sys.__stdin__)):
            guard_the_exit()  # whoever started the shutdown (SIGHUP, our watch, Textual)
        self.feeds.pause()
        if self.client is not None:
            await self.client.aclose()


def create_app(client: TrueXClient, settings: Settings | None = None, **options: Any) -> BlotterApp:
    """The dashboard app. Tests pass a fake `clock` (ages, times and feed sleeps) and a client
    pointed at the simulator; `catalog` skips loading reference data; `start_feeds=False` leaves
    polling to the caller (`app.start_polling()`)."""
    return BlotterApp(client, settings, **options)
