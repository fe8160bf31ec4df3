"""The main view: header, the six panes, the filter box, the events and status lines, the footer.

It renders what it is given (the panes' stores, their subtitles) and keeps only view state: which
pane has the focus, the filter being typed, a maximized pane. Everything else is the app's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.style import Style
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input

from ..core.layout import CHROME, pane_heights
from ..core.panes import PANES, TITLES
from ..core.store import Diff, KeyedStore
from .widgets.bars import EventLine, HeaderBar, StatusLine
from .widgets.footer import RankedFooter
from .widgets.in_order_input import InOrderInput
from .widgets.live_table import CELL_STYLE_CLASSES, LiveTable, cell_styles_css, token_style

__all__ = ["MainScreen"]


class BookTable(LiveTable):
    """The ladder: as many levels as its height shows around the spread, so it is drawn again
    when its height changes (`z`, a resized terminal)."""

    def on_resize(self, event) -> None:
        super().on_resize(event)
        screen = self.screen
        if isinstance(screen, MainScreen) and screen.on_book_resize is not None:
            screen.on_book_resize()


class MainScreen(Screen):
    # The tables' cell colours, held once here rather than in each table (see LiveTable).
    COMPONENT_CLASSES = CELL_STYLE_CLASSES
    DEFAULT_CSS = cell_styles_css("MainScreen")

    BINDINGS = [
        Binding("1", "focus_pane('orders')", "Orders", id="pane.orders"),
        Binding("2", "focus_pane('trades')", "Trades", id="pane.trades"),
        Binding("3", "focus_pane('quotes')", "Quotes", id="pane.quotes"),
        Binding("4", "focus_pane('balances')", "Balances", id="pane.balances"),
        Binding("5", "focus_pane('positions')", "Positions", id="pane.positions"),
        Binding("6", "focus_pane('book')", "Book", id="pane.book"),
        Binding("tab", "cycle_pane(1)", "Next pane", show=False, id="pane.next"),
        Binding("shift+tab", "cycle_pane(-1)", "Previous pane", show=False, id="pane.previous"),
        Binding("slash", "filter", "Filter", id="pane.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="pane.clear_filter"),
        Binding("s", "sort", "Sort", id="pane.sort"),
        Binding("z", "toggle_maximize", "Maximize pane", show=False, id="pane.maximize"),
    ]

    BOTTOM = ("quotes", "balances", "positions")  # side by side under the orders and the trades
    SHARED = ("balances", "positions")  # narrower than WIDE: one place, 4 and 5 choose which shows
    MIDDLE = ("trades", "book")  # one place: 2 shows the trades, 6 the book (with the market tape beside it)
    WIDE = 160
    WEIGHTS = {"orders": 3, "trades": 2, "bottom": 2}  # shares of the height when no pane fits

    def __init__(self, stores: Mapping[str, KeyedStore], subtitle: Callable[[str], str],
                 footer_ranking: Sequence[str], title: Callable[[str], str] | None = None,
                 on_book: Callable[[str | None], None] | None = None,
                 on_book_resize: Callable[[], None] | None = None) -> None:
        """`on_book(pane)`: the book is being shown from `pane` (its highlighted row's instrument is
        the one to show); `on_book(None)`: it is no longer shown (the trades took its place back)."""
        super().__init__(id="main")
        self.on_book = on_book
        self.on_book_resize = on_book_resize
        self.stores = stores
        self.subtitle = subtitle
        self.pane_title = title or TITLES.__getitem__
        self.footer_ranking = footer_ranking
        self.last_pane = "orders"
        self._filter_target = "orders"
        self._heights: tuple[int, int] | None = None
        self.shared_choice = "positions"  # which of SHARED shows when they share a place
        self._orders_view = "orders"  # the orders pane's view: "orders" (active) or "done"
        self.middle_choice = "trades"  # which of MIDDLE shows
        self._narrow: bool | None = None

    def _title(self, name: str, width: int = 0) -> str:
        title = f"{self._number(name)} {self.pane_title(name)}"
        if name in ("orders", "done"):  # one place, two views: `h` switches
            title += "  · h " + ("Done" if name == "orders" else "Active")
        place = self.SHARED if self._narrow and name in self.SHARED else self.MIDDLE if name in self.MIDDLE else ()
        if place:  # say what else is in this place, and its key, if it fits
            other = next(n for n in place if n != name)
            hint = f"  · {self._number(other)} {TITLES[other]}"
            if len(title) + len(hint) + 6 <= width:
                title += hint
        return title

    @staticmethod
    def _number(name: str) -> int:
        return PANES.index("orders" if name == "done" else name) + 1

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        for name in ("orders", "done", "trades"):
            yield LiveTable(self.stores[name], title=self._title(name), id=name, cell_styles=self.cell_style)
        with Horizontal(id="book-place"):
            yield BookTable(self.stores["book"], title=self._title("book"), id="book", cell_styles=self.cell_style)
            tape = LiveTable(self.stores["tape"], title="Tape", id="tape", cell_styles=self.cell_style)
            tape.can_focus = False  # part of the book's place: 6 and tab reach the ladder
            yield tape
        with Horizontal(id="bottom"):
            for name in self.BOTTOM:
                yield LiveTable(self.stores[name], title=self._title(name), id=name, cell_styles=self.cell_style)
        yield InOrderInput(placeholder="filter the pane…  enter keeps, esc clears", id="filter")
        yield EventLine(" no order events yet", id="events")
        yield StatusLine(id="status")
        yield RankedFooter(self.footer_ranking)

    def cell_style(self, token: str) -> Style:
        return token_style(self, token)

    def on_mount(self) -> None:
        self.table("done").display = False  # the orders pane shows the active orders first
        for name in (*PANES, "done", "tape"):
            self.update_subtitle(name)
        self.table("orders").focus()
        self.arrange_bottom()
        self.fit_heights()

    def on_resize(self) -> None:
        self.arrange_bottom()
        self.fit_heights()

    def arrange_bottom(self) -> None:
        """Narrower than WIDE, balances and positions share one place (the one chosen shows)."""
        narrow = self.size.width < self.WIDE
        self._narrow = narrow
        if not self.has_class("-maximized"):
            for name in self.SHARED:
                self.table(name).display = not narrow or name == self.shared_choice
        self.call_after_refresh(self._retitle_shared)  # once laid out: the hint depends on the width

    def _retitle_shared(self) -> None:
        for name in self.SHARED:
            self.update_subtitle(name)

    def fit_heights(self) -> None:
        """Each pane as tall as its rows need (see core.layout); the trades take what is left.
        Set only when it changes: a new height redraws the panes it moves."""
        if self.has_class("-maximized"):
            return
        available = self.size.height - 4  # header, events, status, footer
        if self.query_one("#filter", Input).display:
            available -= 3
        needs = {
            "orders": self.stores[self.orders_view].shown + CHROME,
            "trades": self.stores["trades"].shown + CHROME,
            "bottom": max(self.stores[name].shown for name in self.BOTTOM) + CHROME,
        }
        heights = pane_heights(available, needs, self.WEIGHTS)  # (a hidden shared pane counts: no jumps)
        wanted = (heights["orders"], heights["bottom"])
        if wanted != self._heights:
            self._heights = wanted
            self.table("orders").styles.height = wanted[0]
            self.table("done").styles.height = wanted[0]
            self.query_one("#bottom").styles.height = wanted[1]

    # --- drawing --------------------------------------------------------------------------------

    def table(self, name: str) -> LiveTable:
        return self.query_one(f"#{name}", LiveTable)

    def apply(self, name: str, diff: Diff) -> None:
        """Draw what a poll (or an order action) did to a pane."""
        self.table(name).apply_diff(diff)
        if diff:
            self.update_subtitle(name)
        if diff.added or diff.removed or diff.view_changed:
            self.fit_heights()

    def update_subtitle(self, name: str) -> None:
        table = self.table(name)
        table.set_subtitle(self.subtitle(name))
        if name == "tape":
            return
        title = self._title(name, table.size.width or self.size.width // 2)
        if table.border_title != title:
            table.border_title = title

    def show_event(self, text: str) -> None:
        self.query_one(EventLine).show(text)

    # --- the focused pane -----------------------------------------------------------------------

    @property
    def pane(self) -> str:
        """The pane the trader is on: the focused one, or the last one focused (e.g. while typing
        a filter). "done" is the orders pane showing the done orders."""
        focused = self.focused
        if isinstance(focused, LiveTable) and focused.id in self.stores:
            return focused.id
        return self.last_pane

    @property
    def orders_view(self) -> str:
        """What the orders pane shows: "orders" (active) or "done"."""
        return self._orders_view

    def toggle_done(self) -> str:
        """`h`: the orders pane between the active orders and the done ones; returns the view now."""
        showing = self._orders_view = "orders" if self._orders_view == "done" else "done"
        if self.has_class("-maximized"):
            self._show_only(showing)
        else:
            for name in ("orders", "done"):
                self.table(name).display = name == showing
        self._heights = None
        self.fit_heights()
        self.set_focus(self.table(showing))  # now: a key typed right after acts on it
        return showing

    def selected_key(self, name: str) -> str | None:
        """The pane's highlighted row, only while it is on screen."""
        return self.table(name).selected_key()

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, LiveTable) and widget.id in self.stores:
            self.last_pane = widget.id

    def action_focus_pane(self, name: str) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.display = False
            self.fit_heights()
        if name == "orders":
            name = self.orders_view
        if name in self.SHARED:
            self.shared_choice = name
        if self.on_book is not None and name in self.MIDDLE and (name == "book" or self.middle_choice == "book"):
            self.on_book(self.pane if name == "book" else None)
        if name in self.MIDDLE and name != self.middle_choice:
            self.middle_choice = name
            if not self.has_class("-maximized"):
                self._show_middle()
        if self.has_class("-maximized"):
            self._show_only(name)  # maximized: the pane asked for takes the screen
        else:
            self.arrange_bottom()
        self.set_focus(self.table(name))  # now, not after the keys already queued

    def _show_middle(self) -> None:
        book = self.middle_choice == "book"
        self.table("trades").display = not book
        self.query_one("#book-place").display = book

    def action_cycle_pane(self, step: int) -> None:
        # The panes in their places on screen: the trades' place holds the trades or the book.
        order = [name for name in PANES if name not in self.MIDDLE]
        order.insert(1, self.middle_choice)
        pane = self.pane
        index = order.index(pane) if pane in order else 0
        self.action_focus_pane(order[(index + step) % len(order)])

    def action_toggle_maximize(self) -> None:
        """`z`: the focused pane alone, or all panes again; the header and status line stay."""
        name = self.pane
        self._show_only(None if self.has_class("-maximized") else name)
        self.set_focus(self.table(name))

    def _show_only(self, name: str | None) -> None:
        self.set_class(name is not None, "-maximized")
        for pane in (*PANES, "done"):
            shown_in_place = pane != ("done" if self._orders_view == "orders" else "orders")
            if pane in self.MIDDLE:
                shown_in_place = pane == self.middle_choice
            self.table(pane).display = pane == name if name is not None else shown_in_place
        self.query_one("#book-place").display = name == "book" or (name is None and self.middle_choice == "book")
        bottom = self.query_one("#bottom")
        bottom.display = name in (None, *self.BOTTOM)
        if name is None:
            self._heights = None
            self.arrange_bottom()
            self.fit_heights()
        else:  # the one pane shown takes the screen
            self.table("orders").styles.height = "1fr"
            self.table("done").styles.height = "1fr"
            bottom.styles.height = "1fr"

    # --- filter and sort ------------------------------------------------------------------------

    def action_filter(self) -> None:
        name = self.pane
        self._filter_target = name
        box = self.query_one("#filter", Input)
        box.display = True
        self.fit_heights()
        box.border_title = f"filter {self.pane_title(name)}"
        with box.prevent(Input.Changed):
            box.value = self.stores[name].filter_text
        box.focus()

    def _set_filter(self, name: str, text: str) -> None:
        self.table(name).set_filter(text)
        self.update_subtitle(name)
        self.fit_heights()

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
