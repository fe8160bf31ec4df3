"""A keyed live table on Textual's Line API.

Only visible rows are rendered, column widths are declared (never measured from the cells), the
virtual height is the row count, and a diff repaints just the lines whose row changed. The cursor
is tracked by key, so the selected row and the scroll position stay where the trader left them
while rows are added, changed and removed around it.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ...core.store import Diff, KeyedStore, Row

SEP = 1  # blank cells between columns
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
)


class LiveTable(ScrollView, can_focus=True):
    """Renders a `KeyedStore`; call `apply_diff` with each diff the store returns."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "first", "First row", show=False, id="table.first"),
        Binding("end", "last", "Last row", show=False, id="table.last"),
        Binding("left", "column_left", "Column left", show=False, id="table.left"),
        Binding("right", "column_right", "Column right", show=False, id="table.right"),
    ]

    COMPONENT_CLASSES = {
        "live-table--header",
        "live-table--header-current",
        "live-table--cursor",
        *(f"live-table--{token}" for token in STYLE_TOKENS),
    }

    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;
    }
    /* Solid theme colours only: a translucent one ($text-muted) has nothing to blend with here. */
    LiveTable > .live-table--header { color: $secondary; text-style: bold; }
    LiveTable > .live-table--header-current { color: $foreground; text-style: bold underline; }
    LiveTable > .live-table--cursor { background: $panel-lighten-1; text-style: underline; }
    LiveTable:focus > .live-table--cursor { background: $primary; color: $background; text-style: bold; }
    LiveTable > .live-table--buy { color: $buy; }
    LiveTable > .live-table--sell { color: $sell; }
    LiveTable > .live-table--up { color: $tick-up; text-style: bold; }
    LiveTable > .live-table--down { color: $tick-down; text-style: bold; }
    LiveTable > .live-table--maker { color: $secondary; }
    LiveTable > .live-table--progress { color: $accent; }
    LiveTable > .live-table--progress-done { color: $success; }
    LiveTable > .live-table--status-active { color: $foreground; }
    LiveTable > .live-table--status-filled { color: $success; }
    LiveTable > .live-table--status-dead { color: $text-muted; }
    LiveTable > .live-table--status-rejected { color: $error; text-style: bold; }
    LiveTable > .live-table--status-pending { color: $warning; }
    LiveTable > .live-table--status-unknown { color: $warning; text-style: italic; }
    """

    class CursorMoved(Message):
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
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._subtitle: str | None = None
        self.store = store
        self.title = title
        self.cursor_row = 0
        self.cursor_key: str | None = None
        self.cursor_column = 0
        self._keys: list[str] = store.view
        self._line_cache: dict[str, Strip] = {}
        self._header: Strip | None = None
        self._styles: dict[str, Style] = {}
        self._offsets: list[int] = []
        self._width = self._layout_columns()
        self.repaints = 0  # lines refreshed by diffs, for tests and the bench

    # --- geometry -------------------------------------------------------------------------------

    def _layout_columns(self) -> int:
        x = 1
        self._offsets = []
        for column in self.store.columns:
            self._offsets.append(x)
            x += column.width + SEP
        return x

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _update_virtual_size(self) -> None:
        size = Size(self._width, len(self._keys) + 1)
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
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def set_subtitle(self, text: str) -> None:
        """The border's subtitle as plain text (a typed "[/" is text, not markup); set only on change."""
        if text != self._subtitle:
            self._subtitle = text
            self.border_subtitle = Content(text)

    def on_mount(self) -> None:
        self._update_virtual_size()
        self.border_title = self.title

    # --- styles ---------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._line_cache.clear()
        self._header = None

    def _style(self, token: str) -> Style:
        style = self._styles.get(token)
        if style is None:
            if token == "":
                style = Style()
            else:
                style = self.get_component_rich_style(f"live-table--{token}", partial=True, default=Style())
            self._styles[token] = style
        return style

    # --- rendering ------------------------------------------------------------------------------

    def _fit(self, text: str, width: int, align: str) -> str:
        length = cell_len(text)
        if length > width:
            return set_cell_size(text[: width * 2], width - 1) + "…" if width > 1 else text[:width]
        pad = " " * (width - length)
        return pad + text if align == "right" else text + pad

    def _render_cells(self, row: Row, base: Style, overlay: Style | None = None) -> Strip:
        """`overlay` (the cursor) goes over the cells' own colours, so the cursor row stays legible."""
        if overlay is not None:
            base = base + overlay
        segments = [Segment(" ", base)]
        sep = Segment(" " * SEP, base)
        for column, cell in zip(self.store.columns, row, strict=False):
            style = base + self._style(cell.style) if cell.style else base
            if overlay is not None:
                style = style + overlay
            segments.append(Segment(self._fit(cell.text, column.width, column.align), style))
            segments.append(sep)
        return Strip(segments, self._width)

    def _header_strip(self) -> Strip:
        if self._header is None:
            base = self.rich_style + self._style("header")
            current = base + self._style("header-current")
            segments = [Segment(" ", base)]
            for index, column in enumerate(self.store.columns):
                label = column.label
                if self.store.sort_column == index:
                    label = f"{label}{'▼' if self.store.sort_reverse else '▲'}"
                style = current if index == self.cursor_column else base
                segments.append(Segment(self._fit(label, column.width, column.align), style))
                segments.append(Segment(" " * SEP, base))
            self._header = Strip(segments, self._width)
        return self._header

    def _row_strip(self, index: int) -> Strip:
        key = self._keys[index]
        if index == self.cursor_row:
            return self._render_cells(self.store.row(key), self.rich_style, self._style("cursor"))
        strip = self._line_cache.get(key)
        if strip is None:
            strip = self._line_cache[key] = self._render_cells(self.store.row(key), self.rich_style)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            strip = self._header_strip()
        else:
            index = scroll_y + y - 1
            if index >= len(self._keys):
                return Strip.blank(width, base)
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _refresh_index(self, index: int) -> None:
        y = index - round(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.repaints += 1
            self.refresh(Region(0, y, self.size.width, 1))

    def _refresh_header(self) -> None:
        self._header = None
        self.refresh(Region(0, 0, self.size.width, 1))

    # --- applying diffs -------------------------------------------------------------------------

    def apply_diff(self, diff: Diff) -> None:
        """Repaint only what `diff` touched; keep the cursor on its key and the view still."""
        for key in diff.changed:
            self._line_cache.pop(key, None)
        for key in diff.removed:
            self._line_cache.pop(key, None)
        new_keys = self.store.view
        top = round(self.scroll_y)
        visible = self._page
        if new_keys is self._keys and not diff.view_changed:
            touched = set(diff.changed)
            for index in range(top, min(top + visible, len(self._keys))):
                if self._keys[index] in touched:
                    self._refresh_index(index)
            return
        old_keys = self._keys
        self._keys = new_keys
        old_cursor = self.cursor_row
        new_cursor = self._index_of(self.cursor_key)
        if new_cursor is None:
            new_cursor = min(old_cursor, max(0, len(new_keys) - 1))
        self.cursor_row = new_cursor
        self.cursor_key = new_keys[new_cursor] if new_keys else None
        # At the very top the view follows new rows; elsewhere it keeps the cursor's screen line.
        new_top = top if top == 0 else max(0, top + (new_cursor - old_cursor))
        new_top = min(new_top, max(0, len(new_keys) + 1 - self.scrollable_content_region.height))
        self._update_virtual_size()
        if new_top != top:
            self.scroll_to(y=new_top, animate=False, immediate=True)
            self.refresh()
        else:
            touched = set(diff.changed)
            for index in range(top, top + visible):
                old = old_keys[index] if index < len(old_keys) else None
                new = new_keys[index] if index < len(new_keys) else None
                if old != new or new in touched or index in (old_cursor, new_cursor):
                    self._refresh_index(index)
        if self.cursor_key != (old_keys[old_cursor] if old_cursor < len(old_keys) else None):
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def reload(self) -> None:
        """After a sort or filter change: re-read the view, keep the cursor's key if still shown."""
        self._header = None
        self.apply_diff(Diff(view_changed=True))
        self._ensure_cursor_visible()
        self.refresh()

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

    def move_cursor(self, row: int) -> None:
        if not self._keys:
            self.cursor_row, self.cursor_key = 0, None
            return
        row = max(0, min(row, len(self._keys) - 1))
        old = self.cursor_row
        self.cursor_row = row
        self.cursor_key = self._keys[row]
        self._refresh_index(old)
        self._refresh_index(row)
        self._ensure_cursor_visible()
        if old != row:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def select_key(self, key: str) -> bool:
        index = self._index_of(key)
        if index is None:
            return False
        self.move_cursor(index)
        return True

    def _ensure_cursor_visible(self) -> None:
        top = round(self.scroll_y)
        page = self._page
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self._page)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._keys) - 1)

    def action_column_left(self) -> None:
        self._set_column(self.cursor_column - 1)

    def action_column_right(self) -> None:
        self._set_column(self.cursor_column + 1)

    def _set_column(self, column: int) -> None:
        column = max(0, min(column, len(self.store.columns) - 1))
        if column == self.cursor_column:
            return
        self.cursor_column = column
        self._refresh_header()
        # keep the current column on screen
        left = self._offsets[column]
        right = left + self.store.columns[column].width
        view_width = self.scrollable_content_region.width
        if left < self.scroll_x:
            self.scroll_to(x=max(0, left - 1), animate=False, immediate=True)
        elif right > self.scroll_x + view_width:
            self.scroll_to(x=right - view_width + 1, animate=False, immediate=True)

    def sort_current(self) -> None:
        """Sort by the current column; again reverses."""
        self.store.toggle_sort(self.cursor_column)
        self.reload()

    def set_filter(self, text: str) -> None:
        self.store.set_filter(text)
        self.reload()

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(round(self.scroll_y) + event.y - 1)

    def visible_keys(self) -> list[str]:
        top = round(self.scroll_y)
        return self._keys[top : top + self._page]
