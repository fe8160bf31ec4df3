"""The dashboard app: four live panes fed by polling feeds run in Textual workers.

The app only renders and dispatches: the feeds (`core.feeds`) poll, the stores (`core.store`)
turn polls into diffs of formatted cells, and each `LiveTable` repaints just the changed lines.
Screens added later reach the data through `app.client`, `app.catalog`, `app.stores`,
`app.feeds` and `app.selected_order`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import sys
import threading
from pathlib import Path
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal
from textual.command import CommandPalette
from textual.widgets import Input

from ..api import Page, TrueXClient, TrueXError, Unauthorized, request_priority
from ..api.models import NS_PER_DAY, NS_PER_SECOND, Order
from ..config import Settings, unauthorized_help
from ..core.feeds import Backoff, Clock, Feed, FeedSet, SystemClock, TradesFetcher
from ..core.format import TimeFormat
from ..core.order_times import OrderTimes
from ..core.preferences import Preferences, load_preferences, save_preferences
from ..core.reference import Catalog
from ..core.rows import (
    Display,
    QuoteTracker,
    balance_rows,
    balances_store,
    fee_summary,
    orders_store,
    quotes_store,
    trades_store,
)
from ..core.store import KeyedStore, TradeStore
from .commands import BlotterCommands, DeskThemes
from .exporting import ExportActions
from .order_entry import OrderEntry
from .screens.help import HelpScreen
from .themes import BUILTIN, VARIABLE_DEFAULTS, packaged_theme_files, theme_from_file
from .widgets.bars import EventLine, HeaderBar, StatusLine
from .widgets.footer import RankedFooter
from .widgets.live_table import LiveTable

log = logging.getLogger(__name__)

PANES = ("orders", "trades", "quotes", "balances")  # numbered 1-4 in screen order
LEAVE_GRACE_SECONDS = 3.0  # after the terminal is gone, how long a clean shutdown may take
TITLES = {"orders": "Active orders", "trades": "Trades, last 24 h", "balances": "Balances", "quotes": "Quotes"}
# Feeds: (priority in the request budget, longest interval pacing may stretch it to, seconds)
FEED_PACING = {"orders": (1, 5.0), "quotes": (2, 10.0), "trades": (3, 15.0), "balances": (4, 60.0), "health": (5, 120.0)}
HEALTH_INTERVAL = 30.0
# The footer shows `? Help` first, then these, as many as the width holds (all are in help and the palette).
FOOTER_RANKING = (
    "app.help", "order.new", "order.cancel", "order.modify", "pane.filter", "app.quit", "order.details",
    "order.cancel_all", "feeds.pause", "pane.sort", "pane.export", "pane.maximize", "app.theme",
    "app.screenshot", "pane.orders", "pane.trades", "pane.quotes", "pane.balances",
)
ORDER_TIME_PRIORITY = 5  # activity lookups for order times wait behind every feed


class BlotterApp(OrderEntry, ExportActions, App[int]):
    CSS_PATH = "blotter.tcss"
    TITLE = "blotter"
    COMMANDS = {BlotterCommands}  # instead of Textual's system commands (see commands.py)
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("1", "focus_pane('orders')", "Orders", id="pane.orders"),
        Binding("2", "focus_pane('trades')", "Trades", id="pane.trades"),
        Binding("3", "focus_pane('quotes')", "Quotes", id="pane.quotes"),
        Binding("4", "focus_pane('balances')", "Balances", id="pane.balances"),
        Binding("tab", "cycle_pane(1)", "Next pane", show=False, priority=True, id="pane.next"),
        Binding("shift+tab", "cycle_pane(-1)", "Previous pane", show=False, priority=True, id="pane.previous"),
        Binding("slash", "filter", "Filter", id="pane.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="pane.clear_filter"),
        Binding("s", "sort", "Sort", id="pane.sort"),
        Binding("e", "export", "Export", id="pane.export"),
        Binding("p", "toggle_pause", "Pause", id="feeds.pause"),
        Binding("t", "next_theme", "Next theme", show=False, id="app.theme"),
        Binding("S", "save_screenshot", "Save screenshot", show=False, id="app.screenshot"),
        Binding("z", "toggle_maximize", "Maximize pane", show=False, id="pane.maximize"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="app.palette"),
        Binding("q", "quit", "Quit", id="app.quit"),
        # Reserved for order entry (another module adds the screens).
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
        self.handle_signals = handle_signals
        self.client = client
        self.settings = settings or Settings()
        self.environment = (environment or self.settings.environment_label).upper()
        self.clock: Clock = clock or SystemClock()
        self.start_feeds = start_feeds
        self.catalog = catalog if catalog is not None else Catalog()
        self._catalog_given = catalog is not None
        self.order_times = OrderTimes(self.clock.now_ns)
        self.row_display = Display(self.catalog, TimeFormat(self.settings.time_zone(), self.clock.now_ns), self.order_times)
        self.stores: dict[str, KeyedStore] = {
            "orders": orders_store(self.row_display),
            "trades": trades_store(self.row_display, self.settings.trades_display_cap),
            "balances": balances_store(self.row_display),
            "quotes": quotes_store(self.row_display),
        }
        self._aligned_version = self.catalog.version
        self.health = None  # the last /health answer (degraded shows in the header)
        self.unauthorized: str | None = None  # what to check, after a 401
        self.quote_tracker = QuoteTracker()
        self.feeds = FeedSet()
        self.bad_rows: dict[str, int] = {name: 0 for name in (*PANES, "reference")}  # rows that failed whole
        self.fees_text = ""
        self.ready = False  # the catalog is loaded and the feeds are running
        self.audit_path = audit_path
        self._local_orders: dict[str, tuple[Order, float]] = {}
        # fill and cancel toasts waiting to be batched (order_entry)
        self._toast_pending: dict[str, list[str]] = {}
        self._toast_due: set[str] = set()
        self._toast_last: dict[str, float] = {}
        self._ours: set[str] = set()  # ids and external ids of orders acted on from this blotter
        self._orders_loaded = False
        self._trades_loaded = False
        self._last_pane = "orders"
        self._filter_target = "orders"
        self._paused_at: int | None = None
        self._times_wanted = asyncio.Event()
        self._backoff = backoff or Backoff()
        self._leaving = False
        self.startup_warnings: list[str] = []  # e.g. a config file others can read; shown once mounted
        self.preferences_path = preferences_path
        self.preferences = load_preferences(preferences_path) if preferences_path else Preferences()
        self.desk_themes: list[str] = []  # ours (shipped and the trader's files), cycled by `t`
        for theme in BUILTIN:
            self.register_theme(theme)
            self.desk_themes.append(theme.name)
        self.theme_errors: list[str] = []
        for path in [*packaged_theme_files(), *map(_path, self.settings.theme_files)]:
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

    # --- what screens use -----------------------------------------------------------------------

    @property
    def selected_order(self) -> Order | None:
        """The order under the cursor in the orders pane, only while its row is on screen: an
        action never reaches a row the trader cannot see."""
        key = self.table("orders").selected_key()
        return self.stores["orders"].items.get(key) if key else None

    def reveal_selected_order(self) -> bool:
        """When the selected order is off screen, scroll it into view; True if it had to."""
        table = self.table("orders")
        return table.has_selection and table.selected_key() is None and table.reveal_selection()

    def focused_instrument(self) -> str | None:
        """The instrument of the focused pane's selected row (a quote, an order or a trade), for
        a new ticket; None when that row is not on screen or the pane has no instruments."""
        name = self._pane()
        key = self.table(name).selected_key()
        item = self.stores[name].items.get(key) if key else None
        if item is None:
            return None
        if name == "orders":
            return item.order_info.instrument_id
        if name == "trades":
            return item.instrument_id
        if name == "quotes":
            return item.quote.id
        return None

    @property
    def trades(self) -> TradeStore:
        return self.stores["trades"]  # type: ignore[return-value]

    def table(self, name: str) -> LiveTable:
        return self.query_one(f"#{name}", LiveTable)

    def command_bindings(self) -> list[Binding]:
        """Every action, for the palette and the help overlay (one source: the bindings)."""
        return [b for b in self.BINDINGS if isinstance(b, Binding) and b.id != "app.palette"]

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        for name in ("orders", "trades"):
            yield LiveTable(self.stores[name], title=f"{PANES.index(name) + 1} {TITLES[name]}", id=name)
        with Horizontal(id="bottom"):
            for name in ("quotes", "balances"):
                yield LiveTable(self.stores[name], title=f"{PANES.index(name) + 1} {TITLES[name]}", id=name)
        yield Input(placeholder="filter the pane…  enter keeps, esc clears", id="filter")
        yield EventLine(" no order events yet", id="events")
        yield StatusLine(id="status")
        yield RankedFooter(FOOTER_RANKING)

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
        for name in PANES:
            self._update_subtitle(name)
        self.table("orders").focus()
        self.refresh_bars()
        self.set_interval(1.0, self.refresh_bars, name="status-tick")
        self.run_worker(self._startup(), name="startup", group="startup", exit_on_error=False)
        if self.handle_signals:
            self._install_signal_handlers()
            self.set_interval(1.0, self._exit_if_terminal_gone, name="terminal-watch")

    def _install_signal_handlers(self) -> None:
        """Leave cleanly when the terminal goes away (SIGHUP) or on SIGTERM."""
        loop = asyncio.get_running_loop()
        for name in ("SIGHUP", "SIGTERM"):
            sig = getattr(signal, name, None)
            if sig is None:
                continue
            try:
                loop.add_signal_handler(sig, self._leave)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

    def _exit_if_terminal_gone(self) -> None:
        """A closed terminal does not always bring SIGHUP (e.g. under `make`, whose shell takes it);
        Textual's input thread then spins on end-of-file. Poll for the hang-up and leave."""
        if terminal_hung_up(sys.__stdin__):
            self._leave()

    def _leave(self) -> None:
        self._leaving = True
        self.exit(return_code=1)

    def _guard_the_exit(self) -> None:
        """With the terminal gone Textual's shutdown can block for ever flushing output nobody
        reads (seen: `WriterThread.stop` on a full queue): end the process if it has not ended in
        a few seconds. The audit log is written synchronously, so nothing of ours is lost."""
        guard = threading.Timer(LEAVE_GRACE_SECONDS, os._exit, args=(1,))
        guard.daemon = True
        guard.start()

    # --- start-up and feeds ---------------------------------------------------------------------

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
            self.catalog.load(instruments.items, assets.items)
            self._report_bad("reference", len(instruments.bad_rows) + len(assets.bad_rows))
            break
        self.refresh_bars()
        if self.start_feeds:
            self.start_polling()

    def build_feeds(self) -> FeedSet:
        poll = self.settings.poll
        clock = self.clock
        trades = self.trades
        specs: list[tuple[str, Callable[[], Any], Callable[[Any], None], float]] = [
            ("orders", self.client.active_orders, self._on_orders, poll.orders),
            ("trades", TradesFetcher(self.client, clock, lambda: trades.newest_timestamp, compact=trades.compact),
             self._on_trades, poll.trades),
            ("quotes", self.client.quotes, self._on_quotes, poll.quotes),
            ("balances", lambda: self.client.balances(client_id=self.client_id), self._on_balances, poll.balances),
            ("health", self.client.health, self._on_health, HEALTH_INTERVAL),
        ]
        for name, fetch, on_data, interval in specs:
            priority, longest = FEED_PACING[name]
            self.feeds.add(
                Feed(name, fetch, on_data, interval=interval, clock=clock, backoff=self._backoff,
                     on_error=lambda error, name=name: self._on_feed_error(name, error),
                     priority=priority, max_interval=longest)
            )
        return self.feeds

    def start_polling(self) -> None:
        if not len(self.feeds):
            self.build_feeds()
        for feed in self.feeds:
            self.run_worker(feed.run(), name=f"feed:{feed.name}", group="feeds", exit_on_error=False)
        self.run_worker(self._look_up_order_times(), name="order-times", group="order-times", exit_on_error=False)
        self.ready = True

    def _apply(self, name: str, diff) -> None:
        table = self.table(name)
        table.apply_diff(diff)
        if diff.added or diff.removed or diff.view_changed or diff.changed:
            self._update_subtitle(name)
        self._realign()
        if self.feeds[name].successes == 1:  # first data: show it now; ages tick once a second
            self.refresh_bars()

    def _realign(self) -> None:
        """A value with more decimals than seen before widens its instrument's alignment: draw the
        rows again (rare: a few times per instrument in a session)."""
        if self.catalog.version == self._aligned_version:
            return
        self._aligned_version = self.catalog.version
        self._rerender()

    def _rerender(self) -> None:
        for name in PANES:
            diff = self.stores[name].rerender()
            if diff:
                self.table(name).apply_diff(diff)
        self._aligned_version = self.catalog.version  # drawing again may have widened it once more

    def _on_orders(self, page: Page) -> None:
        diff = self.stores["orders"].apply(self.merge_local(page.items))
        self._apply("orders", diff)
        if diff.removed:
            self.order_times.forget(diff.removed)
        if diff.removed and self._orders_loaded:
            self.announce_gone(diff.removed)
        self._orders_loaded = True
        self._report_bad("orders", len(page.bad_rows))
        if self.order_times.wanted(1):
            self._times_wanted.set()

    async def _look_up_order_times(self) -> None:
        """Orders the exchange sent without a time get the first event of their activity trail,
        asked in batches behind every feed; until then they show when first seen, marked `~`."""
        while True:
            await self._times_wanted.wait()
            self._times_wanted.clear()
            wanted = self.order_times.wanted(30)
            if not wanted:
                continue
            since = self.clock.now_ns() - NS_PER_DAY + NS_PER_SECOND
            try:
                with request_priority(ORDER_TIME_PRIORITY):
                    trail = await self.client.all_activity(since, order_ids=[o.id for o in wanted])
            except TrueXError as error:
                log.info("order times not looked up: %s", error)
                self.order_times.failed(wanted)
                continue
            changed = self.order_times.learn(wanted, trail.items)
            if changed:
                self._apply("orders", self.stores["orders"].rerender(changed))
            if self.order_times.wanted(1):
                self._times_wanted.set()

    def _on_trades(self, page: Page) -> None:
        new = [t for t in page.items if t.key not in self.trades.items]
        self._apply("trades", self.trades.upsert(page.items))
        if self._trades_loaded and new:
            self.announce_fills(new)
        self._trades_loaded = True  # the first page set is the 24 h backfill: no toasts for history
        self._report_bad("trades", len(page.bad_rows))

    def _on_balances(self, page: Page) -> None:
        fees = fee_summary(page.items)
        if fees != self.fees_text:
            self.fees_text = fees
            self._update_subtitle("balances")
        self._apply("balances", self.stores["balances"].apply(balance_rows(page.items)))
        self._report_bad("balances", len(page.bad_rows))

    def _on_quotes(self, page: Page) -> None:
        self._apply("quotes", self.stores["quotes"].apply(self.quote_tracker.rows(page.items)))
        self._report_bad("quotes", len(page.bad_rows))

    def _on_health(self, health) -> None:
        was = self.health.degraded if self.health is not None else False
        self.health = health
        if health.degraded != was:
            self.refresh_bars()

    def _on_feed_error(self, name: str, error: BaseException) -> None:
        feed = self.feeds[name]
        self._note_unauthorized(error)
        if feed.errors == 1 and name != "health":  # once per outage, not on every retry
            self.notify(f"{name}: {error}", title="Feed failing", severity="warning", timeout=6)
        self.refresh_bars()

    def _note_unauthorized(self, error: BaseException) -> None:
        """A 401 says what to check (key id, secret, prefix, clock), once, on screen."""
        if isinstance(error, Unauthorized) and self.unauthorized is None:
            self.unauthorized = unauthorized_help(self.settings)
            self.notify(f"{error}\n{self.unauthorized}", title="Not signed in", severity="error", timeout=30)

    def _report_bad(self, name: str, count: int) -> None:
        """Rows that could not be read at all (no id): a standing count in the status line."""
        if count != self.bad_rows.get(name, 0):
            self.bad_rows[name] = count
            self.refresh_bars()

    # --- bars -----------------------------------------------------------------------------------

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

    @property
    def client_id(self) -> str | None:
        """The client this blotter trades for: the setting, else the key's user id."""
        client_id = self.settings.client_id or self.settings.user_id
        if client_id is None and self.client.credentials is not None:
            client_id = self.client.credentials.user_id
        return client_id

    def refresh_bars(self) -> None:
        """Header and status line; called at most once a second by the tick and on events."""
        if self.row_display.times.roll():
            self._rerender()  # a new day: yesterday's times now need their date
        client_id = self.client_id
        offset = self.client.clock.offset if self.client.clock.synced else None
        notices = []
        if self.health is not None and self.health.degraded:
            notices.append("exchange DEGRADED")
        if self.client.notices.sunset:
            notices.append(f"API deprecated, sunset {self.client.notices.sunset}")
        variables = {**VARIABLE_DEFAULTS, **self.current_theme.variables}
        badge = variables.get(f"env-{self.environment.lower()}")
        badge_style = None
        if badge:  # the environment's colour from the theme; the text keeps PROD/UAT/DEMO readable in mono
            badge_style = f"bold {'#000000' if Color.parse(badge).brightness > 0.5 else '#ffffff'} on {badge}"
        self.query_one(HeaderBar).show(
            self.environment, client_id or "-", self.client.api_version, offset, "  │ ".join(notices), badge_style,
            zone=self.row_display.times.label,
        )
        budget = getattr(self.client, "budget", None)
        pace = None
        if budget is not None and len(self.feeds):
            if self.feeds.plan(budget.for_polling):
                pace = f"paced to {budget.per_minute}/min"
        self.query_one(StatusLine).show(
            self.feeds.statuses(), paused_since=self._paused_since(), bad_rows=sum(self.bad_rows.values()),
            unreadable=sum(len(self.stores[name].unreadable) for name in PANES), pace=pace,
            unauthorized=self.unauthorized is not None, styles=self._status_styles(),
        )

    def _paused_since(self) -> str | None:
        if not self.feeds.paused:
            self._paused_at = None
            return None
        if self._paused_at is None:
            self._paused_at = self.clock.now_ns()
        return self.row_display.times(self._paused_at).split(".")[0]

    def _update_subtitle(self, name: str) -> None:
        store = self.stores[name]
        table = self.table(name)
        if name == "trades":
            parts = [store.status_text()]
        elif store.filter_text:
            parts = [f"{store.shown} of {store.total}"]
        elif name == "balances" and self.fees_text:
            parts = [self.fees_text]
        else:
            parts = [f"{store.total} rows"]
        if store.unreadable:
            parts.append(f"{len(store.unreadable)} with unreadable values (?)")
        if store.filter_text:
            parts.append(f"filter: {store.filter_text}")
        table.set_subtitle(" · ".join(parts))

    # --- actions --------------------------------------------------------------------------------

    def _pane(self) -> str:
        focused = self.focused
        if isinstance(focused, LiveTable) and focused.id in PANES:
            return focused.id
        return self._last_pane

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, LiveTable) and widget.id in PANES:
            self._last_pane = widget.id

    def action_focus_pane(self, name: str) -> None:
        self.query_one("#filter", Input).display = False
        if self.has_class("-maximized"):
            self._show_only(name)  # maximized: the pane asked for takes the screen
        self.table(name).focus()

    def action_cycle_pane(self, step: int) -> None:
        if self.screen is not self.screen_stack[0]:
            # A dialog is open: tab moves between its own fields, never the panes behind it.
            if step > 0:
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        index = PANES.index(self._pane())
        self.action_focus_pane(PANES[(index + step) % len(PANES)])

    def action_filter(self) -> None:
        name = self._pane()
        self._filter_target = name
        box = self.query_one("#filter", Input)
        box.display = True
        box.border_title = f"filter {TITLES[name]}"
        with box.prevent(Input.Changed):
            box.value = self.stores[name].filter_text
        box.focus()

    def _set_filter(self, name: str, text: str) -> None:
        self.table(name).set_filter(text)
        self._update_subtitle(name)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._set_filter(self._filter_target, event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.action_focus_pane(self._filter_target)

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        name = self._filter_target if box.display else self._pane()
        if box.display:
            with box.prevent(Input.Changed):
                box.value = ""
        self._set_filter(name, "")
        self.action_focus_pane(name)

    def action_sort(self) -> None:
        name = self._pane()
        self.table(name).sort_current()
        self._update_subtitle(name)

    def action_toggle_pause(self) -> None:
        paused = self.feeds.toggle()
        self.notify("Polling paused: the data on screen is frozen" if paused else "Polling resumed",
                    severity="warning" if paused else "information", timeout=3)
        self.refresh_bars()

    def action_toggle_maximize(self) -> None:
        """`z`: the focused pane alone, or all panes again; the header and status line stay."""
        name = self._pane()
        self._show_only(None if self.has_class("-maximized") else name)
        self.table(name).focus()

    def _show_only(self, name: str | None) -> None:
        self.set_class(name is not None, "-maximized")
        for pane in PANES:
            self.table(pane).display = name in (None, pane)
        self.query_one("#bottom").display = name in (None, "quotes", "balances")

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

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        sections = [
            ("Dashboard", [b for b in self.command_bindings() if not b.id or not b.id.startswith("order.")]),
            ("Command palette", [b for b in self.BINDINGS if isinstance(b, Binding) and b.id == "app.palette"]),
            ("In a pane", list(LiveTable.BINDINGS)),
            ("Order entry", [b for b in self.command_bindings() if b.id and b.id.startswith("order.")]),
        ]
        self.push_screen(HelpScreen(sections))

    async def on_unmount(self) -> None:
        if self.handle_signals and (self._leaving or terminal_hung_up(sys.__stdin__)):
            self._guard_the_exit()  # whoever started the shutdown (SIGHUP, our watch, Textual)
        self.feeds.pause()
        await self.client.aclose()


def terminal_hung_up(stream) -> bool:
    """True when the terminal behind `stream` has gone (POLLHUP/POLLERR/POLLNVAL on its fd)."""
    try:
        fd = stream.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLHUP)
        gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
        return any(events & gone for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


def _path(value: str) -> Path:
    return Path(value).expanduser()


def create_app(
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
) -> BlotterApp:
    """The dashboard app. Tests pass a fake `clock` (ages, times and feed sleeps) and a client
    pointed at the simulator; `catalog` skips loading reference data; `start_feeds=False` leaves
    polling to the caller (`app.start_polling()`)."""
    return BlotterApp(
        client, settings, catalog=catalog, environment=environment, clock=clock, start_feeds=start_feeds,
        backoff=backoff, handle_signals=handle_signals, audit_path=audit_path,
        preferences_path=preferences_path,
    )
