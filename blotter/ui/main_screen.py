"""The main view: header, the four panes, the filter box, the events and status lines, the footer.

It renders what it is given (the panes' stores, their subtitles) and keeps only view state: which
pane has the focus, the filter being typed, a maximized pane. Everything else is the app's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input

from ..core.dashboard import PANES, TITLES
from ..core.store import Diff, KeyedStore
from .widgets.bars import EventLine, HeaderBar, StatusLine
from .widgets.footer import RankedFooter
from .widgets.live_table import LiveTable

__all__ = ["MainScreen"]


class MainScreen(Screen):
    BINDINGS = [
        Binding("1", "focus_pane('orders')", "Orders", id="pane.orders"),
        Binding("2", "focus_pane('trades')", "Trades", id="pane.trades"),
        Binding("3", "focus_pane('quotes')", "Quotes", id="pane.quotes"),
        Binding("4", "focus_pane('balances')", "Balances", id="pane.balances"),
        Binding("tab", "cycle_pane(1)", "Next pane", show=False, id="pane.next"),
        Binding("shift+tab", "cycle_pane(-1)", "Previous pane", show=False, id="pane.previous"),
        Binding("slash", "filter", "Filter", id="pane.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="pane.clear_filter"),
        Binding("s", "sort", "Sort", id="pane.sort"),
        Binding("z", "toggle_maximize", "Maximize pane", show=False, id="pane.maximize"),
    ]

    def __init__(self, stores: Mapping[str, KeyedStore], subtitle: Callable[[str], str],
                 footer_ranking: Sequence[str]) -> None:
        super().__init__(id="main")
        self.stores = stores
        self.subtitle = subtitle
        self.footer_ranking = footer_ranking
        self.last_pane = "orders"
        self._filter_target = "orders"

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
        yield RankedFooter(self.footer_ranking)

    def on_mount(self) -> None:
        for name in PANES:
            self.update_subtitle(name)
        self.table("orders").focus()

    # --- drawing --------------------------------------------------------------------------------

    def table(self, name: str) -> LiveTable:
        return self.query_one(f"#{name}", LiveTable)

    def apply(self, name: str, diff: Diff) -> None:
        """Draw what a poll (or an order action) did to a pane."""
        self.table(name).apply_diff(diff)
        if diff:
            self.update_subtitle(name)

    def update_subtitle(self, name: str) -> None:
        self.table(name).set_subtitle(self.subtitle(name))

    def show_event(self, text: str) -> None:
        self.query_one(EventLine).show(text)

    # --- the focused pane -----------------------------------------------------------------------

    @property
    def pane(self) -> str:
        """The pane the trader is on: the focused one, or the last one focused (e.g. while typing
        a filter)."""
        focused = self.focused
        if isinstance(focused, LiveTable) and focused.id in PANES:
            return focused.id
        return self.last_pane

    def selected_key(self, name: str) -> str | None:
        """The pane's highlighted row, only while it is on screen."""
        return self.table(name).selected_key()

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, LiveTable) and widget.id in PANES:
            self.last_pane = widget.id

    def action_focus_pane(self, name: str) -> None:
        self.query_one("#filter", Input).display = False
        if self.has_class("-maximized"):
            self._show_only(name)  # maximized: the pane asked for takes the screen
        self.table(name).focus()

    def action_cycle_pane(self, step: int) -> None:
        index = PANES.index(self.pane)
        self.action_focus_pane(PANES[(index + step) % len(PANES)])

    def action_toggle_maximize(self) -> None:
        """`z`: the focused pane alone, or all panes again; the header and status line stay."""
        name = self.pane
        self._show_only(None if self.has_class("-maximized") else name)
        self.table(name).focus()

    def _show_only(self, name: str | None) -> None:
        self.set_class(name is not None, "-maximized")
        for pane in PANES:
            self.table(pane).display = name in (None, pane)
        self.query_one("#bottom").display = name in (None, "quotes", "balances")

    # --- filter and sort ------------------------------------------------------------------------

    def action_filter(self) -> None:
        name = self.pane
        self._filter_target = name
        box = self.query_one("#filter", Input)
        box.display = True
        box.border_title = f"filter {TITLES[name]}"
        with box.prevent(Input.Changed):
            box.value = self.stores[name].filter_text
        box.focus()

    def _set_filter(self, name: str, text: str) -> None:
        self.table(name).set_filter(text)
        self.update_subtitle(name)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._set_filter(self._filter_target, event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.action_focus_pane(self._filter_target)

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        name = self._filter_target if box.display else self.pane
        if box.display:
            with box.prevent(Input.Changed):
                box.value = ""
        self._set_filter(name, "")
        self.action_focus_pane(name)

    def action_sort(self) -> None:
        name = self.pane
        self.table(name).sort_current()
        self.update_subtitle(name)
