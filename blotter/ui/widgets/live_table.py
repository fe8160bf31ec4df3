"""A keyed live table on Textual's Line API.

Only visible rows are rendered, the virtual height is the row count, and a diff repaints just the
lines whose row changed.

Columns: each is as wide as the widest of its declared `width`, its label (and sort arrow) and the
widest cell in the store's view (a `text` column at most `max_width`, its longer cells ending in
`…`); a number or an id is never cut. Widths are measured incrementally (the rows a diff added or
changed; a wider value widens the column at once) and fully when the view is rebuilt (sort,
filter), the only time a column may shrink at once; after rows leave, at most every 30 s. When the pane is too narrow, whole columns are
dropped, highest `priority` number first. `←`/`→` move the current column over all of them; on a
dropped one the table shows the `frozen` columns then a window of the others around it. There is
no horizontal scrolling, so no column is ever partly drawn.

The trader's column choice (`set_column_choice`: which columns, in which order) comes before all
that: a column left out is neither drawn nor measured into the line's width, and the dropping,
`←`/`→` and the "hidden" note work over the chosen columns in the chosen order (on a dropped
column the `frozen` ones still lead). Sorting, the filter and exports still see every column.

Rows: the table starts "following": the cursor is on the first row and the view at the top as rows
arrive. Once the trader moves the cursor, it stays on its row's key, that row keeps its screen line
as rows come and go above it, and rows that arrive above the viewport are counted; `Home` follows
again. The border subtitle is the app's text plus the table's notes (dropped columns, new rows
above).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from math import ceil

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget

from ...core.store import Column, Diff, KeyedStore, Row

# Columns narrow after rows leave at most this often: an order coming and going every second must
# not make a column (and the columns dropped at the pane's edge) flap, and resend the whole pane.
SHRINK_EVERY_SECONDS = 30.0
SEP = 1  # blank cells between columns
LINE_CACHE_SLACK = 8  # drawn lines cached beyond two screenfuls before the off-screen ones go
BASE_STYLE = "\0base"  # the key of `rich_style` among the component styles kept
STYLE_TOKENS = (
    "buy",
    "sell",
    "up",
    "down",
    "maker",
    "progress",
    "progress-done",
    "status-active",
    "status-filled",
    "status-dead",
    "status-rejected",
    "status-pending",
    "status-unknown",
    "unreadable",
    "estimated",
    "empty",
    "unknown",
    "trail",
)


CELL_STYLE_CLASSES = frozenset(f"live-table--{token}" for token in STYLE_TOKENS)

# The cells' colours, by style token (solid theme colours: a translucent one has nothing to blend
# with here).
_CELL_STYLES_CSS = """
    HOST > .live-table--buy { color: $buy; }
    HOST > .live-table--sell { color: $sell; }
    HOST > .live-table--up { color: $tick-up; text-style: bold; }
    HOST > .live-table--down { color: $tick-down; text-style: bold; }
    HOST > .live-table--maker { color: $secondary; }
    HOST > .live-table--progress { color: $accent; }
    HOST > .live-table--progress-done { color: $success; }
    HOST > .live-table--status-active { color: $foreground; }
    HOST > .live-table--status-filled { color: $success; }
    HOST > .live-table--status-dead { color: $text-muted; }
    HOST > .live-table--status-rejected { color: $error; text-style: bold; }
    HOST > .live-table--status-pending { color: $warning; }
    HOST > .live-table--status-unknown { color: $warning; text-style: italic; }
    /* A value that did not parse: its raw text, marked `?`, reverse so it reads without colour too. */
    HOST > .live-table--unreadable { color: $warning; text-style: bold reverse; }
    /* A time the exchange did not give (when the blotter first saw the record), marked `~`. */
    HOST > .live-table--estimated { color: $secondary; text-style: italic; }
    HOST > .live-table--empty { color: $secondary; text-style: italic; }
    /* A P&L figure that cannot be known (no quote, no fee rate): said in words, never shown as 0. */
    HOST > .live-table--unknown { color: $secondary; text-style: italic; }
    HOST > .live-table--trail { color: $accent; }
"""


def token_style(node: Widget, token: str) -> Style:
    """The style of `node`'s component class `live-table--{token}`, only what it sets (no style
    where `node` has no such class)."""
    return node.get_component_rich_style(f"live-table--{token}", partial=True, default=Style())


def cell_styles_css(host: str) -> str:
    """The cells' colours as CSS for the widget type `host` (a screen) that declares
    `CELL_STYLE_CLASSES` and gives its tables `cell_styles`."""
    return _CELL_STYLES_CSS.replace("HOST >", f"{host} >")


def _thumb(bar: ScrollBar) -> list[tuple[str, bool]]:
    """What a vertical scrollbar shows, cell by cell (glyph, thumb or track), as ScrollBar draws
    it: the same sizes through the same `ScrollBarRender.render_bar`, in fixed colours."""
    virtual = bar.window_virtual_size
    window = bar.window_size if bar.window_size < virtual else 0
    bar_segments = ScrollBarRender.render_bar(
        size=bar.size.height, virtual_size=ceil(virtual), window_size=ceil(window), position=bar.position,
        thickness=bar.size.width or 1, vertical=True,
    )
    return [(segment.text, bool(segment.style and (segment.style.reverse or segment.style.color)))
            for segment in bar_segments.segments]


class CellWidths:
    """The cell widths of the rows in a view, with per column a count of each width, so that the
    widest cell is known again after rows leave without reading the others."""

    def __init__(self, columns: int) -> None:
        self.rows: dict[str, tuple[int, ...]] = {}
        self._counts: list[Counter[int]] = [Counter() for _ in range(columns)]

    def add(self, key: str, widths: tuple[int, ...]) -> None:
        """Record (or replace) the widths of `key`'s cells."""
        old = self.rows.get(key)
        self.rows[key] = widths
        for counts, width, was in zip(self._counts, widths, old or widths):
            if old is None:
                counts[width] += 1
            elif width != was:
                self._uncount(counts, was)
                counts[width] += 1

    def discard(self, key: str) -> None:
        widths = self.rows.pop(key, None)
        if widths is not None:
            for counts, width in zip(self._counts, widths):
                self._uncount(counts, width)

    @staticmethod
    def _uncount(counts: Counter[int], width: int) -> None:
        if counts[width] == 1:
            del counts[width]
        else:
            counts[width] -= 1

    def widest(self, column: int) -> int:
        return max(self._counts[column], default=0)


class LiveTable(ScrollView, can_focus=True):
    """Renders a `KeyedStore`; call `apply_diff` with each diff the store returns."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "first", "First row, follow new rows", show=False, id="table.first"),
        Binding("end", "last", "Last row", show=False, id="table.last"),
        Binding("left", "column_left", "Column left", show=False, id="table.left"),
        Binding("right", "column_right", "Column right", show=False, id="table.right"),
    ]

    # The cells' own colours (buy, sell, status...) are the same in every table: the screen holds
    # them once (`CELL_STYLE_CLASSES`, `cell_styles_css`) and hands them over as `cell_styles`.
    # Textual styles each component class as a node of its own, at every restyle (a focus move,
    # a theme): 18 of them in each of 8 tables were a third of mounting the dashboard.
    COMPONENT_CLASSES = {
        "live-table--header",
        "live-table--header-current",
        "live-table--cursor",
    }

    # No horizontal scrolling (columns are dropped or windowed whole instead); the scrollbar's
    # column is always reserved so the rows appearing or going never changes the layout width.
    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;
    }
    /* Solid theme colours only: a translucent one ($text-muted) has nothing to blend with here. */
    LiveTable > .live-table--header { color: $secondary; text-style: bold; }
    LiveTable > .live-table--header-current { color: $foreground; text-style: bold underline; }
    LiveTable > .live-table--cursor { background: $panel-lighten-1; text-style: underline; }
    LiveTable:focus > .live-table--cursor { background: $primary; color: $background; text-style: bold; }
    """

    class CursorMoved(Message):
        """The cursor is on another key (None: the view is empty)."""

        def __init__(self, table: LiveTable, key: str | None) -> None:
            self.table = table
            self.key = key
            super().__init__()

        @property
        def control(self) -> LiveTable:
            return self.table

    def __init__(
        self,
        store: KeyedStore,
        *,
        title: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        cell_styles: Callable[[str], Style] | None = None,
    ) -> None:
        """`cell_styles(token)`: the style of a cell marked with a style token ("buy", "status-dead",
        see `STYLE_TOKENS`), held once by the screen; without it cells keep the table's colours."""
        super().__init__(name=name, id=id, classes=classes)
        self._cell_styles = cell_styles
        self.store = store
        self.title = title
        self.cursor_row = 0
        self.cursor_key: str | None = None
        self.cursor_column = 0
        self._keys: list[str] = store.view
        self._following = True
        self._new_above = 0  # rows that arrived above the viewport since the cursor was moved
        self._line_cache: dict[str, Strip] = {}
        self._header: Strip | None = None
        self._styles: dict[str, Style] = {}
        self._app_subtitle = ""
        self._subtitle: str | None = None
        # The view's cell widths, and per column the width it is drawn at.
        self._cells = CellWidths(len(store.columns))
        self._widths: list[int] = [column.width for column in store.columns]
        # The trader's choice: the columns that may be drawn (store indices, in order), and each
        # one's place in it.
        self._order: tuple[int, ...] = tuple(range(len(store.columns)))
        self._place: dict[int, int] = {index: index for index in self._order}
        # The drawn columns (store indices, in order) and their widths; a changed layout repaints all.
        self._shown: tuple[int, ...] = self._order
        self._layout: tuple[tuple[int, int], ...] = ()
        self._window_start: int | None = None  # first non-frozen column shown around a dropped one
        self._shrink_due = False  # rows left since columns last shrank
        self._shrunk_at = float("-inf")
        self._narrowed_at: float | None = None  # when a cell first got narrower than it was, since the last shrink
        self._width = 0  # cells one drawn line needs
        self.repaints = 0  # lines refreshed by diffs, for tests and the bench
        self._measure_view()
        self._set_widths(shrink=True)
        if self._keys:
            self.cursor_key = self._keys[0]

    # --- geometry -------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def _lines(self) -> int:
        """Row lines on screen (0 while the table is not displayed)."""
        return max(0, self.scrollable_content_region.height - 1)

    @property
    def _page(self) -> int:
        return max(1, self._lines)

    @property
    def _top(self) -> int:
        return round(self.scroll_y)

    def _update_virtual_size(self) -> None:
        # No sideways scrolling (whole columns are dropped or revealed instead), so the virtual
        # width stays 0: a column widening must not change it and ask for a screen relayout.
        size = Size(0, len(self._keys) + 1)
        old = self.virtual_size
        if size == old:
            return
        width, height = self.container_size
        same_scrollbars = (
            self.is_mounted and height > 0 and old.width == size.width
            and (old.height > height) == (size.height > height)
        )
        if same_scrollbars:
            # Rows came or went but no scrollbar appears or vanishes: update the scroll extent
            # without the screen-wide relayout the reactive would ask for (measured: most of the
            # app's CPU when orders churn).
            self.set_reactive(Widget.virtual_size, size)
            self._set_scroll_extent(size.height, height)
        else:
            self.virtual_size = size

    def _set_scroll_extent(self, rows: int, height: int) -> None:
        """What Textual's `_scroll_update` does for this table, but the scrollbar is drawn again
        only when its thumb changes: Textual redraws the whole bar for every row that comes or
        goes, and one row among hundreds rarely moves the thumb by an eighth of a cell (measured:
        the bars were redrawn six times a second, more lines than the rows that changed)."""
        if self.show_vertical_scrollbar and self.styles.scrollbar_size_vertical:
            bar = self.vertical_scrollbar
            before = _thumb(bar)
            bar.set_reactive(ScrollBar.window_virtual_size, rows)
            bar.set_reactive(ScrollBar.window_size, height - self.scrollbar_size_horizontal)
            if _thumb(bar) != before:
                bar.refresh()
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def on_mount(self) -> None:
        self.border_title = self.title
        self._relayout()
        self._update_virtual_size()
        self._show_subtitle()

    def on_resize(self, event: events.Resize) -> None:
        if self._relayout():
            self._update_virtual_size()
            self.refresh()
        self._show_subtitle()

    # --- column widths --------------------------------------------------------------------------

    def _measure_row(self, key: str) -> tuple[int, ...]:
        widths = [0] * len(self.store.columns)
        for index, cell in zip(range(len(widths)), self.store.row(key)):
            widths[index] = cell_len(cell.text)
        return tuple(widths)

    def _column_width(self, index: int, widest_cell: int) -> int:
        column = self.store.columns[index]
        if column.kind == "text" and column.max_width is not None:
            widest_cell = min(widest_cell, column.max_width)
        label = cell_len(column.label) + (1 if self.store.sort_column == index else 0)
        return max(column.width, label, widest_cell)

    def _set_widths(self, shrink: bool) -> bool:
        """Column widths from the measured cells; True if one changed. Only a full re-measure may
        `shrink` a column, so widths do not jitter with every poll."""
        changed = False
        for index, current in enumerate(self._widths):
            widest = self._cells.widest(index)
            if shrink or widest > current:
                width = self._column_width(index, widest)
                if width > current or (shrink and width != current):
                    self._widths[index], changed = width, True
        return changed

    def _measure_view(self) -> None:
        """Make the measured rows the view's: after a sort or filter change, or when a poll rebuilt
        a filtered view."""
        cells, view = self._cells, self._keys
        shown = set(view)
        for key in [key for key in cells.rows if key not in shown]:
            cells.discard(key)
        for key in view:
            if key not in cells.rows:
                cells.add(key, self._measure_row(key))

    def _measure_diff(self, diff: Diff) -> bool:
        """Measure what `diff` added or changed (a wider cell widens its column) and forget what it
        removed (then columns may shrink); True if a width changed."""
        cells = self._cells
        for key in diff.removed:
            cells.discard(key)
        for key, changed in diff.changed.items():
            old = cells.rows.get(key)
            if old is None:
                continue  # not in the view (filtered out)
            row, widths = self.store.row(key), list(old)
            for index in changed:
                if index < len(widths) and index < len(row):
                    widths[index] = cell_len(row[index].text)
                    if widths[index] < old[index] and self._narrowed_at is None:
                        self._narrowed_at = time.monotonic()  # e.g. "unknown: no quote" became a value
            cells.add(key, tuple(widths))
        rebuilt = bool(self.store.filter_text) and diff.view_changed
        if rebuilt:
            self._measure_view()  # rows entered or left the filtered view
        elif not self.store.filter_text:  # (under a filter an added row did not enter the view)
            for key in diff.added:
                cells.add(key, self._measure_row(key))
        if diff.removed:
            self._shrink_due = True  # rows left: columns may be narrower now, but not at once (at most
            # once every SHRINK_EVERY_SECONDS, so widths do not jitter)
        now = time.monotonic()
        shrink = (rebuilt or (self._shrink_due and now - self._shrunk_at >= SHRINK_EVERY_SECONDS)
                  or (self._narrowed_at is not None and now - self._narrowed_at >= SHRINK_EVERY_SECONDS))
        if shrink:
            self._shrink_due, self._shrunk_at, self._narrowed_at = False, now, None
        return self._set_widths(shrink=shrink)

    # --- which columns are drawn ----------------------------------------------------------------

    def _needed(self, columns: list[int]) -> int:
        """Cells a line of these columns takes: a leading blank, the cells and the separators."""
        if not columns:
            return 1
        return 1 + sum(self._widths[index] for index in columns) + SEP * (len(columns) - 1)

    def _fit_from_left(self, columns: list[int], width: int) -> list[int]:
        while columns and self._needed(columns) > width:
            columns = columns[:-1]
        return columns

    def _priority_columns(self, width: int) -> list[int]:
        columns, place = self.store.columns, self._place
        shown = list(self._order)
        # highest priority number first; of equal ones, the rightmost
        droppable = sorted((i for i in shown if columns[i].priority > 0),
                           key=lambda i: (columns[i].priority, place[i]), reverse=True)
        for index in droppable:
            if self._needed(shown) <= width:
                break
            shown.remove(index)
        return self._fit_from_left(shown, width)

    def _window_columns(self, width: int, step: int) -> list[int]:
        """The frozen columns, then whole non-frozen columns around the current one: the window
        moves only when the current column leaves it, and then ends at it when moving right."""
        columns = self.store.columns
        current = self.cursor_column
        frozen = [i for i in self._order if columns[i].frozen]
        others = [i for i in self._order if not columns[i].frozen]
        if current in frozen:
            return self._fit_from_left([*frozen, *others], width)

        def fits(start: int, end: int) -> bool:
            return self._needed([*frozen, *others[start : end + 1]]) <= width

        position = others.index(current)
        while frozen and not fits(position, position):
            frozen = frozen[:-1]  # a pane too narrow for even the frozen columns and this one
        start = self._window_start
        if start is not None and start <= position and fits(start, position):
            pass  # still inside the window
        elif step < 0 or (start is not None and position < start):
            start = position
        else:
            start = position
            while start > 0 and fits(start - 1, position):
                start -= 1
        end = start
        while end + 1 < len(others) and fits(start, end + 1):
            end += 1
        self._window_start = start
        return self._fit_from_left([*frozen, *others[start : end + 1]], width)

    def _relayout(self, step: int = 1) -> bool:
        """Choose the drawn columns for the current widths and pane width; True if that changed
        what a line shows (then every cached line is stale)."""
        width = self.scrollable_content_region.width
        if width <= 0:
            return False  # not laid out yet: keep the last layout
        shown = self._priority_columns(width)
        if self.cursor_column in shown:
            self._window_start = None
        else:
            shown = self._window_columns(width, step)
        layout = tuple((index, self._widths[index]) for index in shown)
        if layout == self._layout:
            return False
        self._layout = layout
        self._shown = tuple(shown)
        self._width = self._needed(shown)
        self._line_cache.clear()
        self._header = None
        return True

    @property
    def shown_columns(self) -> tuple[int, ...]:
        """Store indices of the columns drawn, left to right."""
        return self._shown

    @property
    def column_widths(self) -> tuple[int, ...]:
        """The width each column (store order) is drawn at, drawn or not."""
        return tuple(self._widths)

    # --- the trader's column choice -------------------------------------------------------------

    @property
    def column_choice(self) -> tuple[str, ...]:
        """The keys of the columns the trader chose to see, in their order (by default all of
        the store's, in its order). The pane may be too narrow to draw them all."""
        columns = self.store.columns
        return tuple(columns[index].key for index in self._order)

    @property
    def default_column_choice(self) -> tuple[str, ...]:
        """Every column's key, in the store's order: the choice `set_column_choice(None)` makes."""
        return tuple(column.key for column in self.store.columns)

    @property
    def column_choice_is_default(self) -> bool:
        return self._order == tuple(range(len(self.store.columns)))

    def set_column_choice(self, keys: Sequence[str] | None) -> bool:
        """Show these columns, in this order (None: all, in the store's order). Unknown keys and
        repeats are ignored. A choice that leaves no column is refused: False, nothing changes.
        The current column stays if still chosen, else the one now at its place is current."""
        columns = self.store.columns
        if keys is None:
            order = tuple(range(len(columns)))
        else:
            index_of = {column.key: index for index, column in enumerate(columns)}
            chosen = [index_of[key] for key in keys if isinstance(key, str) and key in index_of]
            order = tuple(dict.fromkeys(chosen))
            if not order:
                return False
        if order == self._order:
            return True
        position = self._place.get(self.cursor_column, 0)
        self._order = order
        self._place = {index: place for place, index in enumerate(order)}
        if self.cursor_column not in self._place:
            self.cursor_column = order[min(position, len(order) - 1)]
        self._window_start = None
        self._header = None
        if self.scrollable_content_region.width > 0:
            self._relayout()  # (False: the same columns are drawn, e.g. one added is dropped)
        else:
            # Not laid out (or not displayed): the next relayout (mount, resize) draws it anew.
            self._layout, self._shown = (), order
            self._line_cache.clear()
        self.refresh()  # the trader's action, not a poll: the whole pane once
        self._show_subtitle()
        return True

    # --- subtitle -------------------------------------------------------------------------------

    @property
    def layout_note(self) -> str:
        """What the table adds to the subtitle: dropped columns and rows that arrived above."""
        notes = []
        shown = set(self._shown)
        # places in the chosen order of the chosen columns not drawn (the others are not "hidden")
        hidden = [place for place, index in enumerate(self._order) if index not in shown]
        if hidden:
            current = self._place.get(self.cursor_column, 0)
            left = "← " if hidden[0] < current else ""
            right = " →" if hidden[-1] > current else ""
            noun = "column" if len(hidden) == 1 else "columns"
            notes.append(f"{left}{len(hidden)} {noun} hidden{right}")
        if self._new_above:
            notes.append(f"{self._new_above} new above (Home)")
        return " · ".join(notes)

    def set_subtitle(self, text: str) -> None:
        """The app's part of the border subtitle, as plain text (a typed "[/" is text, not markup);
        the table appends its `layout_note`."""
        self._app_subtitle = text
        self._show_subtitle()

    def _show_subtitle(self) -> None:
        text, note = self._app_subtitle, self.layout_note
        if note:
            # The border shows its width less 6 cells (corners, rules, blanks) and cuts the end:
            # shorten the app's part instead, so that the note on what is not shown stays whole.
            room = self.outer_size.width - 6 - cell_len(note) - 3
            if text and cell_len(text) > room:
                text = set_cell_size(text, room - 1) + "…" if room > 1 else ""
            text = f"{text} · {note}" if text else note
        if text != self._subtitle:
            self._subtitle = text
            # What `border_subtitle = ...` stores, without its refresh of the whole pane: only the
            # bottom border line is redrawn (a row count that ticks must not resend every row).
            self._border_subtitle = self.render_str(Content(text)).expand_tabs(4).split()[0]
            if self.is_mounted and self.size.height:
                self.refresh(Region(-self.content_offset.x, self.size.height, self.outer_size.width, 1))
            else:
                self.refresh()

    # --- styles ---------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._line_cache.clear()
        self._header = None

    def _base_style(self) -> Style:
        """`rich_style`, kept until the styles change as Textual keeps `visual_style`: it walks every
        ancestor, and every drawn line asked for it (a sixth of a screen pass)."""
        style = self._styles.get(BASE_STYLE)
        if style is None:
            style = self._styles[BASE_STYLE] = self.rich_style
        return style

    def _style(self, token: str) -> Style:
        style = self._styles.get(token)
        if style is None:
            if not token:
                style = Style()
            elif token in STYLE_TOKENS and self._cell_styles is not None:
                style = self._cell_styles(token)
            else:  # the header's and the cursor's, the table's own
                style = token_style(self, token)
            self._styles[token] = style
        return style

    # --- rendering ------------------------------------------------------------------------------

    @staticmethod
    def _fit(text: str, width: int, column: Column) -> str:
        length = cell_len(text)
        if length > width:
            if column.kind != "text":
                # Not reached (widths are measured from the cells); were it, '#' as a spreadsheet
                # shows, never a cut number that reads as another one.
                return "#" * width
            return set_cell_size(text[: width * 2], width - 1) + "…" if width > 1 else "…"[:width]
        pad = " " * (width - length)
        return pad + text if column.align == "right" else text + pad

    def _render_cells(self, row: Row, base: Style, overlay: Style | None = None) -> Strip:
        """`overlay` (the cursor) goes over the cells' own colours, so the cursor row stays legible."""
        if overlay is not None:
            base = base + overlay
        columns = self.store.columns
        segments = [Segment(" ", base)]
        sep = Segment(" " * SEP, base)
        for position, (index, width) in enumerate(self._layout):
            if position:
                segments.append(sep)
            cell = row[index] if index < len(row) else None
            if cell is None:
                segments.append(Segment(" " * width, base))
                continue
            style = base + self._style(cell.style) if cell.style else base
            if overlay is not None:
                style = style + overlay
            segments.append(Segment(self._fit(cell.text, width, columns[index]), style))
        # Cells and the blanks between them that share a style become one segment: the terminal
        # then gets one colour change per run of cells, not one per cell (most of a line's bytes).
        return Strip(segments, self._width).simplify()

    def _header_strip(self) -> Strip:
        if self._header is None:
            base = self._base_style() + self._style("header")
            current = base + self._style("header-current")
            segments = [Segment(" ", base)]
            for position, (index, width) in enumerate(self._layout):
                column = self.store.columns[index]
                label = column.label
                if self.store.sort_column == index:
                    label = f"{label}{'▼' if self.store.sort_reverse else '▲'}"
                if position:
                    segments.append(Segment(" " * SEP, base))
                style = current if index == self.cursor_column else base
                segments.append(Segment(self._fit(label, width, column), style))
            self._header = Strip(segments, self._width)
        return self._header

    def _row_strip(self, index: int) -> Strip:
        key = self._keys[index]
        if index == self.cursor_row:
            return self._render_cells(self.store.row(key), self._base_style(), self._style("cursor"))
        strip = self._line_cache.get(key)
        if strip is None:
            if len(self._line_cache) >= 2 * self._page + LINE_CACHE_SLACK:
                self._keep_visible_lines()
            strip = self._line_cache[key] = self._render_cells(self.store.row(key), self._base_style())
        return strip

    def _keep_visible_lines(self) -> None:
        """Keep the drawn lines of the rows on screen only. A row pushed off it by new rows (every
        trade of the day, in the trades pane) is drawn again if it comes back, instead of holding
        a strip of ~5 KB per row ever shown."""
        top = self._top
        shown = set(self._keys[top : top + self._page])
        self._line_cache = {key: strip for key, strip in self._line_cache.items() if key in shown}

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base_style()
        if y == 0:
            strip = self._header_strip()
        else:
            index = self._top + y - 1
            if index >= len(self._keys):
                return Strip.blank(width, base)
            strip = self._row_strip(index)
        return strip.crop_extend(0, width, base)

    def _refresh_index(self, index: int) -> None:
        y = index - self._top + 1
        if 1 <= y < self.size.height:
            self.repaints += 1
            # Only as wide as the columns drawn: the blank rest of the line never changes without
            # a relayout (which repaints it all), and resending it cost a wide terminal the most.
            self.refresh(Region(0, y, min(self._width, self.size.width), 1))

    def _refresh_all(self) -> None:
        self.repaints += self.size.height
        self.refresh()

    def _refresh_header(self) -> None:
        self._header = None
        self.refresh(Region(0, 0, self.size.width, 1))

    # --- applying diffs -------------------------------------------------------------------------

    def apply_diff(self, diff: Diff) -> None:
        """Repaint only what `diff` touched. A following table keeps the cursor on the first row;
        otherwise the cursor stays on its key and that row on its screen line."""
        if diff:
            self._update(diff, remeasure=False)

    def reload(self) -> None:
        """After a sort or filter change: re-read and re-measure the view, keep the cursor's key if
        still shown and bring it into view."""
        self._header = None
        self._new_above = 0
        self._update(Diff(view_changed=True), remeasure=True)
        self._ensure_cursor_visible()
        self.refresh()

    def _update(self, diff: Diff, remeasure: bool) -> None:
        for key in diff.changed:
            self._line_cache.pop(key, None)
        for key in diff.removed:
            self._line_cache.pop(key, None)
        old_keys, new_keys = self._keys, self.store.view
        self._keys = new_keys
        if remeasure:
            self._measure_view()
            resized = self._set_widths(shrink=True)
        else:
            resized = self._measure_diff(diff)
        relaid = resized and self._relayout()
        if new_keys is old_keys and not diff.view_changed:
            if relaid:
                self._update_virtual_size()
                self._refresh_all()
                self._show_subtitle()
            else:
                top, touched = self._top, diff.changed
                for index in range(top, min(top + self._page, len(new_keys))):
                    if new_keys[index] in touched:
                        self._refresh_index(index)
            return
        self._place_cursor(diff, old_keys, relaid)

    def _place_cursor(self, diff: Diff, old_keys: list[str], repaint_all: bool) -> None:
        """The view changed: place the cursor and the viewport, repaint the lines that changed."""
        new_keys = self._keys
        old_cursor, old_key = self.cursor_row, self.cursor_key
        top = self._top
        if not new_keys:
            self._following, self._new_above = True, 0  # nothing left to stay on
        if self._following:
            cursor, new_top = 0, 0
        else:
            cursor = self._index_of(old_key)
            if cursor is None:  # its row left: the row now at its index, the view still
                cursor, new_top = min(old_cursor, len(new_keys) - 1), top
            else:  # its row keeps its screen line
                new_top = top + cursor - old_cursor
            new_top = max(0, min(new_top, len(new_keys) - self._lines))
            arrived = 0
            if diff.added and new_top:
                added = set(diff.added)
                arrived = sum(1 for key in new_keys[:new_top] if key in added)
            self._new_above = min(self._new_above + arrived, new_top)
        self.cursor_row = cursor
        self.cursor_key = new_keys[cursor] if new_keys else None
        self._update_virtual_size()
        if new_top != top:
            self.scroll_to(y=new_top, animate=False, immediate=True)
            repaint_all = True
        if repaint_all:
            self._refresh_all()
        else:
            touched = diff.changed
            for index in range(top, top + self._page):
                old = old_keys[index] if index < len(old_keys) else None
                new = new_keys[index] if index < len(new_keys) else None
                if old != new or new in touched or index in (old_cursor, cursor):
                    self._refresh_index(index)
        self._show_subtitle()
        if self.cursor_key != old_key:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def _index_of(self, key: str | None) -> int | None:
        if key is None:
            return None
        # The cursor usually stays near its old index: look there first.
        guess = self.cursor_row
        keys = self._keys
        for index in (guess, guess - 1, guess + 1):
            if 0 <= index < len(keys) and keys[index] == key:
                return index
        try:
            return keys.index(key)
        except ValueError:
            return None

    # --- cursor ---------------------------------------------------------------------------------

    @property
    def following(self) -> bool:
        """True while the cursor stays on the first row as rows arrive (until the trader moves it)."""
        return self._following

    @property
    def new_above(self) -> int:
        """Rows that arrived above the viewport since the trader moved the cursor."""
        return self._new_above

    @property
    def has_selection(self) -> bool:
        """A row is under the cursor (on screen or not: see `selected_key`)."""
        return self.cursor_key is not None

    def selected_key(self) -> str | None:
        """The cursor's key if its row is drawn on screen now, else None: act only on what is seen."""
        if self.cursor_key is None or not self.display:
            return None
        top = self._top
        return self.cursor_key if top <= self.cursor_row < top + self._lines else None

    def reveal_selection(self) -> bool:
        """Scroll the cursor's row into view; True if that took a scroll."""
        if self.cursor_key is None:
            return False
        before = self._top
        self._ensure_cursor_visible()
        return self._top != before

    def move_cursor(self, row: int) -> None:
        """Put the cursor on `row` (clamped) and bring it into view; the table stops following."""
        if not self._keys:
            self.cursor_row, self.cursor_key = 0, None
            return
        row = max(0, min(row, len(self._keys) - 1))
        old = self.cursor_row
        if row == old and self._following:
            return  # e.g. up on the first row: nothing moved, keep following
        self._following = False
        self.cursor_row = row
        self.cursor_key = self._keys[row]
        self._refresh_index(old)
        self._refresh_index(row)
        self._ensure_cursor_visible()
        if old != row:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def select_key(self, key: str) -> bool:
        """Put the cursor on `key` (and stay on it as rows arrive); False if it is not in the view."""
        index = self._index_of(key)
        if index is None:
            return False
        self._following = False
        self.move_cursor(index)
        return True

    def _ensure_cursor_visible(self) -> None:
        top = self._top
        page = self._page
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        top = round(new_value)
        if top and self._following:
            self._following = False  # the wheel or the scrollbar moved the view off the top
        if self._new_above > top:
            self._new_above = top  # the trader scrolled up onto (some of) them
        self._show_subtitle()

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self._page)

    def action_first(self) -> None:
        """First row, and follow the rows that arrive."""
        self.move_cursor(0)
        self._following, self._new_above = True, 0
        self._show_subtitle()

    def action_last(self) -> None:
        self.move_cursor(len(self._keys) - 1)

    def action_column_left(self) -> None:
        self._step_column(-1)

    def action_column_right(self) -> None:
        self._step_column(1)

    def _step_column(self, step: int) -> None:
        """The chosen column `step` places left or right of the current one."""
        order = self._order
        place = max(0, min(self._place.get(self.cursor_column, 0) + step, len(order) - 1))
        self._set_column(order[place])

    def _set_column(self, column: int) -> None:
        """Make `column` (a store index, one of the chosen) the current column."""
        if column == self.cursor_column or column not in self._place:
            return
        step = 1 if self._place[column] > self._place.get(self.cursor_column, -1) else -1
        self.cursor_column = column
        if self._relayout(step):
            self._update_virtual_size()
            self.refresh()
        else:
            self._refresh_header()
        self._show_subtitle()

    def sort_current(self) -> None:
        """Sort by the current column; again reverses."""
        self.store.toggle_sort(self.cursor_column)
        self.reload()

    def set_filter(self, text: str) -> None:
        self.store.set_filter(text)
        self.reload()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = self._top + offset.y - 1
        if index < len(self._keys):
            self.move_cursor(index)

    def visible_keys(self) -> list[str]:
        """The keys of the rows drawn on screen, top to bottom."""
        top = self._top
        return self._keys[top : top + self._lines]
