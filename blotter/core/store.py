"""Keyed row stores: a poll result in, a diff of already-formatted display cells out.

Headless (no Textual). A pane's widget holds a store and applies each `Diff` without rebuilding:
rows are display tuples of `Cell`s, recomputed only for keys whose source changed (compared by a
cheap per-item fingerprint), and the visible order (`view`) is recomputed only when a row was
added or removed or a cell that the sort or the filter reads has changed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Literal, NamedTuple, TypeVar

T = TypeVar("T")
Key = str


ColumnKind = Literal["number", "id", "text"]


@dataclass(frozen=True)
class Column:
    """A display column.

    `width` is the least width the column gets; the table widens it to the widest value it
    shows. A `number` or `id` cell is shown whole or not at all (a clipped number reads as another,
    valid number): when the pane is too narrow, whole columns are dropped, highest `priority`
    number first (0 is never dropped). A `text` cell may be shortened to `max_width`, ending in
    `…`. `frozen` columns stay at the left while the trader scrolls sideways.
    """

    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "left"
    kind: ColumnKind = "text"
    priority: int = 5
    frozen: bool = False
    max_width: int | None = None


class Cell(NamedTuple):
    """One formatted cell: its text, a semantic style token ('buy', 'up', 'status-filled', ...)
    that the UI maps to a themed style, and the raw value it sorts by (the text when None)."""

    text: str
    style: str = ""
    sort: Any = None


Row = tuple[Cell, ...]


@dataclass
class Diff:
    """What one poll (or a sort/filter change) did to a store."""

    added: list[Key] = field(default_factory=list)
    changed: dict[Key, tuple[int, ...]] = field(default_factory=dict)  # key -> indices of changed cells
    removed: list[Key] = field(default_factory=list)
    view_changed: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.view_changed)


# bidi overrides and marks reorder what is shown; line and paragraph separators break the line
_FORMAT_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def printable(text: str) -> str:
    """`text` with C0/C1 control characters shown as '\\xNN' and bidi overrides and line
    separators as '\\uNNNN'; other characters, including wide ones, are kept."""
    out = []
    for char in text:
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif char in _FORMAT_CONTROLS:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def _sort_value(cell: Cell) -> tuple[int, int, Any]:
    value = cell.text if cell.sort is None else cell.sort
    # Missing values sort last in ascending order; in a column of numbers, a text (an unreadable
    # value shown raw) sorts after them instead of being compared with them.
    if value == "" or value is None:
        return (1, 0, "")
    if isinstance(value, (int, float, Decimal)):
        return (0, 0, value)
    return (0, 1, str(value).casefold())


class KeyedStore(Generic[T]):
    """The rows of one pane, keyed by a string id.

    `apply(items)` treats `items` as the complete current set (a snapshot poll: active orders,
    balances, quotes). `upsert(items)` merges without removing (append-style feeds).
    """

    def __init__(
        self,
        columns: Sequence[Column],
        key: Callable[[T], Key],
        render: Callable[[T], Row],
        *,
        fingerprint: Callable[[T], Hashable] | None = None,
        search: Callable[[T], str] | None = None,
        sort_column: int | None = None,
        sort_reverse: bool = False,
    ) -> None:
        self.columns = tuple(columns)
        self._key = key
        self._render = render
        self._fingerprint = fingerprint or (lambda item: item)
        self._search_fn = search
        self.items: dict[Key, T] = {}
        self.rows: dict[Key, Row] = {}
        self._prints: dict[Key, Hashable] = {}
        self._search_cache: dict[Key, str] = {}
        self.view: list[Key] = []
        self.sort_column = sort_column
        self.sort_reverse = sort_reverse
        self.filter_text = ""
        self.scope: Callable[[T], bool] | None = None  # e.g. one client's rows only (the trader's choice)
        self.unreadable: set[Key] = set()  # rows with a value that did not parse (shown marked)

    def _display(self, item: T) -> Row:
        """The rendered row with any control character made visible (a server string must never
        reach the terminal as an escape sequence)."""
        row = self._render(item)
        if all(cell.text.isprintable() for cell in row):
            return row
        return tuple(cell if cell.text.isprintable() else cell._replace(text=printable(cell.text)) for cell in row)

    def _keep_row(self, key: Key, row: Row) -> Row:
        self.rows[key] = row
        if any(cell.style == UNREADABLE for cell in row):
            self.unreadable.add(key)
        else:
            self.unreadable.discard(key)
        return row

    def _drop_row(self, key: Key) -> None:
        self.rows.pop(key, None)
        self.unreadable.discard(key)

    # --- reading --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.items)

    def row(self, key: Key) -> Row:
        row = self.rows.get(key)
        if row is None:
            row = self._keep_row(key, self._display(self.items[key]))
        return row

    @property
    def total(self) -> int:
        """Rows held (in the scope, when there is one)."""
        if self.scope is None:
            return len(self.items)
        scope = self.scope
        return sum(1 for item in self.items.values() if scope(item))

    @property
    def matching(self) -> int:
        """Rows that pass the filter (before any display cap)."""
        return len(self.view)

    @property
    def shown(self) -> int:
        return len(self.view)

    def search_text(self, key: Key) -> str:
        text = self._search_cache.get(key)
        if text is None:
            item = self.items[key]
            raw = self._search_fn(item) if self._search_fn else " ".join(c.text for c in self.row(key))
            text = self._search_cache[key] = raw.casefold()
        return text

    # --- writing --------------------------------------------------------------------------------

    def apply(self, items: Iterable[T]) -> Diff:
        """Replace the whole set with `items` and return what changed."""
        diff = Diff()
        seen: set[Key] = set()
        for item in items:
            self._merge(item, diff, seen)
        for key in [k for k in self.items if k not in seen]:
            self._remove(key, diff)
        self._after_write(diff)
        return diff

    def change(self, items: Iterable[T], removed: Iterable[Key]) -> Diff:
        """Add or update `items` and remove the `removed` keys; the rest stays (a stream's
        changes, where a whole listing is not sent)."""
        diff = Diff()
        seen: set[Key] = set()
        for item in items:
            self._merge(item, diff, seen)
        for key in removed:
            if key in self.items and key not in seen:
                self._remove(key, diff)
        self._after_write(diff)
        return diff

    def _remove(self, key: Key, diff: Diff) -> None:
        del self.items[key]
        self._drop_row(key)
        self._prints.pop(key, None)
        self._search_cache.pop(key, None)
        diff.removed.append(key)

    def upsert(self, items: Iterable[T]) -> Diff:
        """Add or update `items`; nothing is removed."""
        diff = Diff()
        seen: set[Key] = set()
        for item in items:
            self._merge(item, diff, seen)
        self._after_write(diff)
        return diff

    def _merge(self, item: T, diff: Diff, seen: set[Key]) -> None:
        key = self._key(item)
        seen.add(key)
        if self.items.get(key) is item:
            return  # the client handed back the very model of an unchanged row: nothing to compare
        fingerprint = self._fingerprint(item)
        old_print = self._prints.get(key, _MISSING)
        if old_print is _MISSING:
            self.items[key] = item
            self._prints[key] = fingerprint
            self._keep_row(key, self._display(item))
            diff.added.append(key)
            return
        if old_print == fingerprint:
            return
        self.items[key] = item
        self._prints[key] = fingerprint
        self._search_cache.pop(key, None)
        self._changed_cells(key, self.rows.get(key), self._keep_row(key, self._display(item)), diff)

    @staticmethod
    def _changed_cells(key: Key, old_row: Row | None, new_row: Row, diff: Diff) -> None:
        if old_row is None or len(old_row) != len(new_row):
            diff.changed[key] = tuple(range(len(new_row)))
            return
        changed = tuple(i for i, (a, b) in enumerate(zip(old_row, new_row, strict=True)) if a != b)
        if changed:
            diff.changed[key] = changed

    def rerender(self, keys: Iterable[Key] | None = None) -> Diff:
        """Format rows again (all formatted ones, or `keys`): their alignment, a time or the day
        changed while the records did not. Returns the cells that changed."""
        diff = Diff()
        for key in list(self.rows) if keys is None else [k for k in keys if k in self.rows]:
            self._search_cache.pop(key, None)
            self._changed_cells(key, self.rows[key], self._keep_row(key, self._display(self.items[key])), diff)
        self._after_write(diff)
        return diff

    def _after_write(self, diff: Diff) -> None:
        if not (diff.added or diff.removed or diff.changed):
            return
        needs_view = bool(diff.added or diff.removed)
        if not needs_view and diff.changed:
            if self.filter_text:
                needs_view = True
            elif self.sort_column is not None:
                needs_view = any(self.sort_column in cells for cells in diff.changed.values())
        if needs_view:
            diff.view_changed = self._rebuild_view()

    # --- view: filter and sort ------------------------------------------------------------------

    def set_filter(self, text: str) -> Diff:
        text = text.strip()
        if text == self.filter_text:
            return Diff()
        self.filter_text = text
        return Diff(view_changed=self._rebuild_view())

    def set_sort(self, column: int | None, reverse: bool = False) -> Diff:
        if column is not None and not 0 <= column < len(self.columns):
            raise IndexError(column)
        self.sort_column = column
        self.sort_reverse = reverse
        return Diff(view_changed=self._rebuild_view())

    def toggle_sort(self, column: int) -> Diff:
        """Sort by `column`; sorting by the same column again reverses the order."""
        if self.sort_column == column:
            return self.set_sort(column, not self.sort_reverse)
        return self.set_sort(column, False)

    def set_scope(self, scope: Callable[[T], bool] | None) -> Diff:
        """Only the rows `scope` keeps are in the view (None: all); the trader's filter applies on top."""
        self.scope = scope
        return Diff(view_changed=self._rebuild_view())

    def _filtered(self, keys: Iterable[Key]) -> Iterable[Key]:
        scope = self.scope
        if scope is not None:
            items = self.items
            keys = (k for k in keys if scope(items[k]))
        needle = self.filter_text.casefold()
        if not needle:
            return keys
        return (k for k in keys if needle in self.search_text(k))

    def _sorted(self, keys: list[Key]) -> list[Key]:
        column = self.sort_column
        if column is None:
            return keys
        return sorted(keys, key=lambda k: _sort_value(self.row(k)[column]), reverse=self.sort_reverse)

    def _compute_view(self) -> list[Key]:
        return self._sorted(list(self._filtered(self.items)))

    def _rebuild_view(self) -> bool:
        view = self._compute_view()
        changed = view != self.view
        self.view = view
        return changed

    def status_text(self) -> str:
        if self.filter_text:
            return f"{self.shown} of {self.total}"
        return f"{self.total}"


_MISSING = object()
UNREADABLE = "unreadable"  # the style token of a cell whose value did not parse


TOTAL_PREFIX = "total:"


class TotalsLastStore(KeyedStore[T]):
    """A pane with total rows (keyed "total:..."): they stay below the other rows whatever the sort
    or filter (positions per quote asset; the balances' value)."""

    def _compute_view(self) -> list[Key]:
        view = super()._compute_view()
        return [k for k in view if not k.startswith(TOTAL_PREFIX)] + [k for k in view if k.startswith(TOTAL_PREFIX)]


class TradeStore(KeyedStore[T]):
    """An append-only store (trades): de-duplicated by key, the newest `cap` shown.

    Rows are formatted lazily, only for trades that enter the view, so a first paint with 100,000
    trades in memory formats at most `cap` rows. `compact` turns an incoming item into what is
    kept (the trades pane keeps a `TradeRecord`, not the wire model); `key` and `timestamp` are
    read from the incoming item and must give the same values for the kept one.

    With `window_ns`, trades older than the newest timestamp seen minus `window_ns` are dropped
    on each upsert (no wall clock: a session that runs for days keeps one window of trades),
    and leave `items`, the view and the "showing N of M" count together.
    """

    # A batch up to this size is inserted one by one (binary search); a larger one is sorted
    # once and merged by one sort of the whole order (Timsort: linear for runs and reversed runs).
    INSORT_MAX = 32

    def __init__(
        self,
        columns: Sequence[Column],
        key: Callable[[T], Key],
        render: Callable[[Any], Row],
        *,
        timestamp: Callable[[T], int],
        cap: int = 1000,
        search: Callable[[Any], str] | None = None,
        sort_column: int | None = None,
        sort_reverse: bool = False,
        compact: Callable[[T], Any] | None = None,
        window_ns: int | None = None,
    ) -> None:
        super().__init__(
            columns, key, render, search=search, sort_column=sort_column, sort_reverse=sort_reverse
        )
        self._timestamp = timestamp
        self._compact = compact
        self.window_ns = window_ns
        self.cap = cap
        self._order: list[Key] = []  # keys, ascending by (timestamp, key)
        self._matching = 0
        self.newest_timestamp: int | None = None
        self.polled_newest: int | None = None  # the newest of the trades a poll listed
        self.expired = 0  # trades dropped by the window over the store's life

    def apply(self, items: Iterable[T]) -> Diff:  # a trade history is never replaced
        return self.upsert(items)

    def compact(self, item: T) -> Any:
        """What the store keeps for `item` (itself without a `compact` function). A fetcher may
        apply it to each page as it arrives, so the wire models of a long backfill never pile up;
        `upsert` takes the result as it is."""
        return self._compact(item) if self._compact is not None else item

    def _stamp(self, key: Key) -> int:
        return self._timestamp(self.items[key])

    def _order_key(self, key: Key) -> tuple[int, Key]:
        return (self._timestamp(self.items[key]), key)

    def upsert(self, items: Iterable[T], *, polled: bool = True) -> Diff:
        """`polled=False`: trades the stream reported. They do not move `polled_newest`, where the
        next poll starts: a trade the stream missed is never skipped by the poll that would find it."""
        diff = Diff()
        new: list[Key] = []
        kept = self.items
        newest = self.newest_timestamp
        confirmed = self.polled_newest
        for item in items:
            key = self._key(item)
            if key in kept:  # de-duplicated: trades never change once reported
                if polled:
                    ts = self._timestamp(kept[key])
                    confirmed = ts if confirmed is None or ts > confirmed else confirmed
                continue
            record = kept[key] = self.compact(item)
            ts = self._timestamp(record)  # the kept record's: a trade without a time is stamped when seen
            new.append(key)
            if newest is None or ts > newest:
                newest = ts
            if polled and (confirmed is None or ts > confirmed):
                confirmed = ts
        self.polled_newest = confirmed
        if not new:
            return diff
        self.newest_timestamp = newest
        self._insert(new)
        diff.added = new
        expired = self._expire()
        before = set(self.view)
        diff.view_changed = self._rebuild_view()
        after = set(self.view)
        diff.removed = [k for k in before if k not in after]  # fell off the display cap or expired
        for key in diff.removed:
            self._drop_row(key)  # formatted again (lazily) should it come back into view
        diff.added = [k for k in diff.added if k in after]
        if expired:
            self.expired += len(expired)
        return diff

    def _insert(self, new: list[Key]) -> None:
        order = self._order
        order_key = self._order_key
        if len(new) <= self.INSORT_MAX:
            for key in new:
                if not order or order_key(key) > order_key(order[-1]):
                    order.append(key)
                else:
                    bisect.insort(order, key, key=order_key)
            return
        new.sort(key=order_key)  # a newest-first page is one reversed run: linear
        if order and order_key(new[0]) < order_key(order[-1]):
            order.extend(new)
            order.sort(key=order_key)  # two ascending runs: one linear merge
        else:
            order.extend(new)

    def _expire(self) -> list[Key]:
        """Drop the trades older than the window below the newest timestamp seen."""
        if self.window_ns is None or self.newest_timestamp is None or not self._order:
            return []
        cutoff = self.newest_timestamp - self.window_ns
        if self._stamp(self._order[0]) >= cutoff:
            return []
        end = bisect.bisect_left(self._order, cutoff, key=self._stamp)
        gone = self._order[:end]
        del self._order[:end]
        for key in gone:
            del self.items[key]
            self._drop_row(key)
            self._search_cache.pop(key, None)
        return gone

    def _newest_first(self) -> Iterable[Key]:
        return reversed(self._order)

    def _compute_view(self) -> list[Key]:
        keys: list[Key] = []
        matching = 0
        for key in self._filtered(self._newest_first()):
            matching += 1
            if len(keys) < self.cap:
                keys.append(key)
            elif not self.filter_text and self.scope is None:
                matching = len(self.items)
                break
        self._matching = matching
        return self._sorted(keys)

    @property
    def matching(self) -> int:
        return self._matching

    def status_text(self) -> str:
        return f"showing {self.shown:,} of {self.matching:,}"
