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
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.color import Color
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.screen import Screen

from ..api import Page, TrueXClient, TrueXError, Unauthorized, request_priority
from ..api.models import NS_PER_DAY, NS_PER_SECOND, Order
from ..config import Settings, state_dir, unauthorized_help
from ..core.audit_trail import AuditLog
from ..core.dashboard import PANES, Dashboard, Poll
from ..core.feeds import Backoff, Clock, FeedSet, SystemClock
from ..core.local_orders import LocalOrders
from ..core.order_actions import OrderService
from ..core.preferences import Preferences, load_preferences, save_preferences
from ..core.reference import Catalog
from ..core.store import KeyedStore, TradeStore
from .commands import BlotterCommands, DeskThemes
from .exporting import Exporter, Told
from .main_screen import MainScreen
from .notifications import Notifications
from .order_entry import OrderEntry
from .screens.help import HelpScreen
from .terminal import guard_the_exit, install_signal_handlers, terminal_hung_up
from .themes import BUILTIN, VARIABLE_DEFAULTS, packaged_theme_files, theme_from_file
from .widgets.bars import HeaderBar, StatusLine
from .widgets.live_table import LiveTable

__all__ = ["PANES", "BlotterApp", "create_app"]

log = logging.getLogger(__name__)

ORDER_TIME_PRIORITY = 5  # activity lookups for order times wait behind every feed
# The footer shows `? Help` first, then these, as many as the width holds (all are in help and the palette).
FOOTER_RANKING = (
    "app.help", "order.new", "order.cancel", "order.modify", "pane.filter", "app.quit", "order.details",
    "order.cancel_all", "feeds.pause", "pane.sort", "pane.export", "pane.maximize", "app.theme",
    "app.screenshot", "pane.orders", "pane.trades", "pane.quotes", "pane.balances",
)


class BlotterApp(App[int]):
    CSS_PATH = "blotter.tcss"
    TITLE = "blotter"
    COMMANDS = {BlotterCommands}  # instead of Textual's system commands (see commands.py)
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
    ]

    def __init__(
        self,
        client: TrueXClient,
        settings: Settings | None = None,
        *,
        catalog: Catalog | None = None,
        environment: str | None = None,
        clock: Clock | None = None,
        start_feeds: bool = True,
        backoff: Backoff | None = None,
        handle_signals: bool = False,
        audit_path: Path | None = None,
        preferences_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.settings = settings or Settings()
        self.environment = (environment or self.settings.environment_label).upper()
        self.clock: Clock = clock or SystemClock()
        self.handle_signals = handle_signals
        self.start_feeds = start_feeds
        self._catalog_given = catalog is not None
        self._backoff = backoff or Backoff()
        self.dashboard = Dashboard(self.settings, self.clock, catalog=catalog)
        self.feeds = FeedSet()
        self.local_orders = LocalOrders(self.clock.monotonic)
        self.notices = Notifications(self, self._show_event, self.dashboard.display.times, bell=self.settings.bell)
        self.order_service = OrderService(client, AuditLog(audit_path or state_dir() / "audit.jsonl"))
        self.order_entry = OrderEntry(self, client, self.order_service, self.dashboard, self.local_orders,
                                      self.notices, self.settings, self._show_local)
        self.exporter = Exporter(self.settings.resolve_export_dir, self.clock.now_ns)
        self._main = MainScreen(self.dashboard.stores, self.dashboard.subtitle, FOOTER_RANKING)
        self.ready = False  # the catalog is loaded and the feeds are running
        self.unauthorized: str | None = None  # what to check, after a 401
        self.startup_warnings: list[str] = []  # e.g. a config file others can read; shown once mounted
        self._paused_at: int | None = None
        self._times_wanted = asyncio.Event()
        self._leaving = False
        self.preferences_path = preferences_path
        self.preferences = load_preferences(preferences_path) if preferences_path else Preferences()
        self.desk_themes: list[str] = []  # ours (shipped and the trader's files), cycled by `t`
        self.theme_errors: list[str] = []
        self._load_themes()

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
        return self._main

    def table(self, name: str) -> LiveTable:
        return self.main.table(name)

    @property
    def selected_order(self) -> Order | None:
        """The order highlighted in the orders pane, only while its row is on screen: an action
        never reaches a row the trader cannot see."""
        return self.dashboard.order(self.main.selected_key("orders"))

    @property
    def client_id(self) -> str | None:
        """The client this blotter trades for: the setting, else the key's user id."""
        client_id = self.settings.client_id or self.settings.user_id
        if client_id is None and self.client.credentials is not None:
            client_id = self.client.credentials.user_id
        return client_id

    def command_bindings(self) -> list[Binding]:
        """Every action, for the palette and the help overlay (one source: the bindings)."""
        bindings = [*MainScreen.BINDINGS, *self.BINDINGS]
        return [b for b in bindings if isinstance(b, Binding) and b.id != "app.palette"]

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def notify(self, message: str, *, title: str = "", severity: str = "information",  # type: ignore[override]
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts are plain text: they carry server strings (problem details, ids) that must never
        be read as markup. One at a time: a stack of them climbs over the panes; the events line
        keeps the record."""
        self.clear_notifications()
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _tell(self, told: Told) -> None:
        self.notify(told.message, title=told.title, severity=told.severity, timeout=told.timeout)

    # --- start --------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return self._main

    def on_mount(self) -> None:
        if self.settings.bindings:
            self.set_keymap(self.settings.bindings)
        for warning in [*self.startup_warnings, *self.settings.notes]:
            self.notify(warning, title="Config", severity="warning", timeout=15)
        for error in self.theme_errors:
            self.notify(f"Theme file not loaded: {error}", severity="warning")
        if self.settings.theme not in self.available_themes:
            self.notify(f"Unknown theme {self.settings.theme!r}; using {self.theme}", severity="warning")
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.refresh_bars()
        self.set_interval(1.0, self.refresh_bars, name="status-tick")
        self.run_worker(self._startup(), name="startup", group="startup", exit_on_error=False)
        if self.handle_signals:
            install_signal_handlers(self._leave)
            self.set_interval(1.0, self._exit_if_terminal_gone, name="terminal-watch")

    async def _startup(self) -> None:
        attempt = 0
        while not self._catalog_given:
            try:
                await self.client.sync_clock()  # any answer carries a Date, a degraded one too
                instruments = await self.client.instruments()
                assets = await self.client.assets()
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
        self.refresh_bars()
        if self.start_feeds:
            self.start_polling()

    def build_feeds(self) -> FeedSet:
        self.feeds = self.dashboard.build_feeds(self.client, lambda: self.client_id, self._on_data,
                                                self._on_feed_error, self._backoff)
        return self.feeds

    def start_polling(self) -> None:
        if not len(self.feeds):
            self.build_feeds()
        for feed in self.feeds:
            self.run_worker(feed.run(), name=f"feed:{feed.name}", group="feeds", exit_on_error=False)
        self.run_worker(self._look_up_order_times(), name="order-times", group="order-times", exit_on_error=False)
        self.ready = True

    # --- one poll, from the feed to the screen --------------------------------------------------

    def _on_data(self, name: str, data: Any) -> None:
        dashboard = self.dashboard
        if name == "health":
            poll = dashboard.take_health(data)
        elif name == "orders":
            poll = dashboard.take_orders(self.local_orders.merge(data.items), len(data.bad_rows))
        else:
            take = {"trades": dashboard.take_trades, "quotes": dashboard.take_quotes,
                    "balances": dashboard.take_balances}[name]
            poll = take(data.items, len(data.bad_rows))
        self._draw(name, poll)

    def _draw(self, name: str, poll: Poll) -> None:
        if name in PANES:
            self.main.apply(name, poll.diff)
        for pane, diff in self.dashboard.realigned().items():
            self.main.apply(pane, diff)
        if poll.new_trades:
            self.order_entry.announce_fills(poll.new_trades)
        if poll.gone:
            self.order_entry.announce_gone(poll.gone)
        if name == "orders" and self.dashboard.order_times.wanted(1):
            self._times_wanted.set()
        if poll.bars_changed or self.feeds[name].successes == 1:  # first data: show it now
            self.refresh_bars()

    def _show_local(self, order: Order) -> None:
        """Show the exchange's answer to an order action at once; the next poll reconciles it."""
        self.local_orders.show(order)
        self.main.apply("orders", self.stores["orders"].upsert([order]))

    def _show_event(self, text: str) -> None:
        self.main.show_event(text)

    async def _look_up_order_times(self) -> None:
        """Orders the exchange sent without a time get the first event of their activity trail,
        asked in batches behind every feed; until then they show when first seen, marked `~`."""
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
            if changed:
                self.main.apply("orders", self.stores["orders"].rerender(changed))
            if times.wanted(1):
                self._times_wanted.set()

    def _on_feed_error(self, name: str, error: BaseException) -> None:
        self._note_unauthorized(error)
        if self.feeds[name].errors == 1 and name != "health":  # once per outage, not on every retry
            self.notify(f"{name}: {error}", title="Feed failing", severity="warning", timeout=6)
        self.refresh_bars()

    def _note_unauthorized(self, error: BaseException) -> None:
        """A 401 says what to check (key id, secret, prefix, clock), once, on screen."""
        if isinstance(error, Unauthorized) and self.unauthorized is None:
            self.unauthorized = unauthorized_help(self.settings)
            self.notify(f"{error}\n{self.unauthorized}", title="Not signed in", severity="error", timeout=30)

    # --- header and status line -----------------------------------------------------------------

    def refresh_bars(self) -> None:
        """Header and status line; called once a second by the tick and on events."""
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
        variables = {**VARIABLE_DEFAULTS, **self.current_theme.variables}
        badge = variables.get(f"env-{self.environment.lower()}")
        badge_style = None
        if badge:  # the environment's colour from the theme; the text keeps PROD/UAT/DEMO readable in mono
            badge_style = f"bold {'#000000' if Color.parse(badge).brightness > 0.5 else '#ffffff'} on {badge}"
        header.show(
            self.environment, self.client_id or "-", self.client.api_version, offset, "  │ ".join(notices),
            badge_style, zone=dashboard.display.times.label,
        )
        budget = getattr(self.client, "budget", None)
        pace = None
        if budget is not None and len(self.feeds) and self.feeds.plan(budget.for_polling):
            pace = f"paced to {budget.per_minute}/min"
        status.show(
            self.feeds.statuses(), paused_since=self._paused_since(), bad_rows=sum(dashboard.bad_rows.values()),
            unreadable=dashboard.unreadable_rows, pace=pace, unauthorized=self.unauthorized is not None,
            styles=self._status_styles(),
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
            table = self.table("orders")
            if table.has_selection and table.reveal_selection():
                self.notify(f"The selected order was off screen; it is shown now. Press {key} again to act on it.",
                            severity="warning", timeout=5)
            else:
                self.notify("No order selected: choose one in the orders pane (1, then ↑ ↓)", severity="warning")
        return order

    def action_new_order(self) -> None:
        pane = self.main.pane  # the ticket's instrument: the focused pane's selected quote, order or trade
        self.order_entry.new_order(self.dashboard.instrument_of(pane, self.main.selected_key(pane)), self.client_id)

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
        self._tell(self.exporter.export_pane(pane, self.stores[pane], self.catalog))

    def action_save_screenshot(self) -> None:
        self._tell(self.exporter.save_svg(self.export_screenshot()))

    def action_toggle_pause(self) -> None:
        paused = self.feeds.toggle()
        self.notify("Polling paused: the data on screen is frozen" if paused else "Polling resumed",
                    severity="warning" if paused else "information", timeout=3)
        self.refresh_bars()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        everything = self.command_bindings()
        sections = [
            ("Dashboard", [b for b in everything if not b.id or not b.id.startswith("order.")]),
            ("Command palette", [b for b in self.BINDINGS if isinstance(b, Binding) and b.id == "app.palette"]),
            ("In a pane", list(LiveTable.BINDINGS)),
            ("Order entry", [b for b in everything if b.id and b.id.startswith("order.")]),
        ]
        self.push_screen(HelpScreen(sections))

    # --- themes ---------------------------------------------------------------------------------

    def _load_themes(self) -> None:
        for theme in BUILTIN:
            self.register_theme(theme)
            self.desk_themes.append(theme.name)
        for path in [*packaged_theme_files(), *(Path(p).expanduser() for p in self.settings.theme_files)]:
            try:
                theme = theme_from_file(path)
            except (OSError, ValueError, TypeError) as error:
                self.theme_errors.append(f"{path}: {error}")  # told once mounted; desk-dark stays
                continue
            self.register_theme(theme)
            if theme.name not in self.desk_themes:
                self.desk_themes.append(theme.name)
        wanted = self.preferences.theme_for(self.settings.theme)
        for name in (wanted, self.settings.theme, "desk-dark"):
            if name in self.available_themes:
                self.theme = name
                break

    def search_desk_themes(self) -> None:
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
        self.preferences = Preferences(theme=theme.name, configured_theme=self.settings.theme)
        try:
            save_preferences(self.preferences_path, self.preferences)
        except OSError as error:
            self.notify(f"Could not save the theme choice: {error}", severity="warning")

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
        await self.client.aclose()


def create_app(client: TrueXClient, settings: Settings | None = None, **options: Any) -> BlotterApp:
    """The dashboard app. Tests pass a fake `clock` (ages, times and feed sleeps) and a client
    pointed at the simulator; `catalog` skips loading reference data; `start_feeds=False` leaves
    polling to the caller (`app.start_polling()`)."""
    return BlotterApp(client, settings, **options)
