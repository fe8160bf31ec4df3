"""LiveTable in a one-table app over synthetic rows: whole numbers and ids at every width,
columns dropped by priority and revealed by ←/→, the following cursor, and cheap repaints.

Cells hold no spaces and labels are single words, so a drawn line split on blanks gives exactly
the drawn cells, and the header gives the drawn columns: a cut value shows up as a token that is
not the store's text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from textual.app import App, ComposeResult

from blotter.core.store import Cell, Column, KeyedStore
from blotter.ui.themes import VARIABLE_DEFAULTS
from blotter.ui.widgets import live_table
from blotter.ui.widgets.live_table import LiveTable

R = "right"
COLUMNS = (
    Column("symbol", "Symbol", 6, kind="id", priority=0, frozen=True),
    Column("side", "Side", 4, priority=0, frozen=True),
    Column("time", "Time", 4, priority=1),
    Column("type", "Type", 4, priority=4),
    Column("price", "Price", 5, R, kind="number", priority=0),
    Column("qty", "Qty", 3, R, kind="number", priority=0),
    Column("filled", "Filled", 6, R, kind="number", priority=2),
    Column("fee", "Fee", 3, R, kind="number", priority=3),
    Column("status", "Status", 6, priority=1),
    Column("tif", "TIF", 3, priority=5),
    Column("id", "OrderId", 8, kind="id", priority=6),
    Column("external_id", "ExternalId", 11, priority=7, max_width=36),
)
LABELS = [column.label for column in COLUMNS]
INDEX = {column.key: i for i, column in enumerate(COLUMNS)}
TIME = INDEX["time"]
EXTERNAL = INDEX["external_id"]
WHOLE = [i for i, column in enumerate(COLUMNS) if column.kind in ("number", "id")]


@dataclass(frozen=True)
class Item:
    seq: int
    symbol: str = "BTC-PYUSD"
    side: str = "BUY"
    price: str = "96,925.01"
    qty: str = "0.06089"
    filled: str = "0.0100"
    fee: str = "0.14"
    status: str = "ACTIVE"
    external: str = ""

    @property
    def id(self) -> str:
        return f"71000000000000{self.seq:05d}"


def row(item: Item) -> tuple[Cell, ...]:
    return (
        Cell(item.symbol),
        Cell(item.side, "buy" if item.side == "BUY" else "sell"),
        Cell(f"{item.seq // 3600:02d}:{item.seq // 60 % 60:02d}:{item.seq % 60:02d}", "", item.seq),
        Cell("LIMIT"),
        Cell(item.price),
        Cell(item.qty),
        Cell(item.filled),
        Cell(item.fee),
        Cell(item.status),
        Cell("GTC"),
        Cell(item.id),
        Cell(item.external or f"{item.seq:08d}-1111-2222-3333-444455556666"),
    )


def make_items(count: int, start: int = 1) -> list[Item]:
    symbols = ("BTC-PYUSD", "ETH-USD", "SOL-USDC")
    prices = ("96,925.01", "3,399.01", "142.5")
    return [
        Item(
            seq,
            symbol=symbols[seq % 3],
            side="BUY" if seq % 2 else "SELL",
            price=prices[seq % 3],
            qty=("0.06089", "12.5", "1,250.000")[seq % 3],
            fee=("0.14", "1.02", "0.0007")[seq % 3],
            status=("ACTIVE", "CANCEL_PENDING", "NEW_PENDING")[seq % 3],
            # every fifth external id is longer than the column's max_width
            external=f"desk-7-strategy-alpha-long-client-order-{seq}" if seq % 5 == 0 else "",
        )
        for seq in range(start, start + count)
    ]


def make_store() -> KeyedStore[Item]:
    return KeyedStore(COLUMNS, key=lambda item: item.id, render=row, sort_column=TIME, sort_reverse=True)


class TableApp(App):
    CSS = "LiveTable { border: round white; }"  # as in the blotter: a border with a subtitle

    def __init__(self, store: KeyedStore) -> None:
        super().__init__()
        self.store = store

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)  # $buy, $sell, ... as the blotter's themes define them

    def compose(self) -> ComposeResult:
        yield LiveTable(self.store, title="orders", id="table")

    @property
    def table(self) -> LiveTable:
        return self.query_one(LiveTable)

    def apply(self, items: list[Item]) -> None:
        """A snapshot poll: `items` is the whole current set."""
        self.table.apply_diff(self.store.apply(items))


def start(items: list[Item], size: tuple[int, int]):
    """The app over a store holding `items`, and its `run_test` context."""
    store = make_store()
    store.apply(items)
    app = TableApp(store)
    return app, app.run_test(size=size)


def screen_lines(app: TableApp) -> list[str]:
    """The table's lines as the terminal shows them (the compositor's output), scrollbar excluded."""
    region = app.table.scrollable_content_region
    strips = app.screen._compositor.render_strips()
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


def shown_columns(header: str) -> list[int]:
    return [LABELS.index(token.rstrip("▲▼")) for token in header.split()]


def check_whole(app: TableApp) -> list[int]:
    """Every drawn row shows, for each drawn column, the store's whole cell text (a text cell
    longer than its max_width: that many cells ending in '…'). Returns the drawn columns."""
    lines = screen_lines(app)
    shown = shown_columns(lines[0])
    keys = app.table.visible_keys()
    top = round(app.table.scroll_y)
    assert keys and keys == app.store.view[top : top + len(lines) - 1]
    assert not "".join(lines[1 + len(keys) :]).strip()  # no drawn line left unchecked
    for line, key in zip(lines[1:], keys):
        tokens = line.split()
        cells = app.store.row(key)
        assert len(tokens) == len(shown), line
        for token, index in zip(tokens, shown):
            text = cells[index].text
            limit = COLUMNS[index].max_width
            if limit is not None and len(text) > limit:
                assert len(token) == limit and token.endswith("…") and text.startswith(token[:-1])
            else:
                assert token == text, (COLUMNS[index].label, line)
    return shown


def subtitle(app: TableApp) -> str:
    return str(app.table.border_subtitle)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (200, 48)])
async def test_numbers_and_ids_are_whole_at_every_width(size):
    items = make_items(40)
    app, running = start(items, size)
    async with running as pilot:
        await pilot.pause()
        shown = check_whole(app)
        assert shown[:2] == [INDEX["symbol"], INDEX["side"]]
        hidden = [i for i in range(len(COLUMNS)) if i not in shown]
        # whole columns go highest priority number first; priority 0 stays
        if hidden:
            assert max(COLUMNS[i].priority for i in shown) <= min(COLUMNS[i].priority for i in hidden)
            noun = "column" if len(hidden) == 1 else "columns"
            assert f"{len(hidden)} {noun} hidden →" in subtitle(app)
        else:
            assert "hidden" not in subtitle(app)
        assert all(COLUMNS[i].priority > 0 for i in hidden)
        if size[0] == 80:
            assert hidden  # the narrow pane did drop some
        if size[0] == 200:
            assert not hidden
            # a long external id is shortened with '…' (checked in check_whole); it is on screen
            long_ids = [k for k in app.table.visible_keys() if len(app.store.row(k)[EXTERNAL].text) > 36]
            assert long_ids and "…" in "".join(screen_lines(app))


async def test_a_wider_value_widens_its_column_at_once():
    items = make_items(20)
    app, running = start(items, (100, 30))
    async with running as pilot:
        await pilot.pause()
        check_whole(app)
        price = INDEX["price"]
        before = app.table.column_widths[price]
        # a changed row with a much wider price, and a new row with a wider fee
        items[-1] = replace(items[-1], price="1,234,567,890.123456")
        items.append(replace(make_items(1, start=21)[0], fee="12,345.678901"))
        app.apply(items)
        await pilot.pause()
        shown = check_whole(app)
        assert price in shown and INDEX["fee"] in shown
        lines = screen_lines(app)
        assert any("1,234,567,890.123456" in line for line in lines)
        assert any("12,345.678901" in line for line in lines)
        wide = app.table.column_widths[price]
        assert wide == len("1,234,567,890.123456") > before
        # back to a narrow price: the column keeps its width (no jitter on every poll) ...
        items[-2] = replace(items[-2], price="96,925.01")
        app.apply(items)
        await pilot.pause()
        assert app.table.column_widths[price] == wide
        check_whole(app)
        # ... until rows leave and the view is re-measured
        del items[0]
        app.apply(items)
        await pilot.pause()
        assert app.table.column_widths[price] == before
        check_whole(app)
        # the row with the widest fee leaves soon after: not at once (an order coming and going
        # every second must not make columns flap), but at the next diff 30 s on
        fee = INDEX["fee"]
        assert app.table.column_widths[fee] == len("12,345.678901")
        del items[-1]
        app.apply(items)
        await pilot.pause()
        assert app.table.column_widths[fee] == len("12,345.678901")
        app.table._shrunk_at -= live_table.SHRINK_EVERY_SECONDS  # 30 s later
        items[0] = replace(items[0], price="96,925.02")
        app.apply(items)
        await pilot.pause()
        assert app.table.column_widths[fee] == len("0.0007")
        check_whole(app)


async def test_widths_follow_the_filtered_view():
    items = make_items(12)
    items[3] = replace(items[3], symbol="ETH-USD", price="1,234,567,890.123456")
    app, running = start(items, (120, 30))
    async with running as pilot:
        await pilot.pause()
        table, price = app.table, INDEX["price"]
        assert table.column_widths[price] == len("1,234,567,890.123456")
        table.set_filter("SOL-USDC")
        await pilot.pause()
        assert table.column_widths[price] == len("Price")  # SOL prices are "142.5"
        check_whole(app)
        # rows outside the filter, added or changed, do not widen it
        items.append(replace(make_items(1, start=13)[0], symbol="ETH-USD", price="98,765,432.1"))
        items[0] = replace(items[0], symbol="BTC-PYUSD", price="55,555,555.55")
        app.apply(items)
        await pilot.pause()
        assert table.column_widths[price] == len("Price")
        # one that enters the filtered view does
        items.append(replace(make_items(1, start=14)[0], symbol="SOL-USDC", price="7,777.77"))
        app.apply(items)
        await pilot.pause()
        assert table.column_widths[price] == len("7,777.77")
        check_whole(app)
        table.set_filter("")
        await pilot.pause()
        assert table.column_widths[price] == len("1,234,567,890.123456")
        check_whole(app)


async def test_right_reveals_a_hidden_column_whole_and_left_restores_the_layout():
    app, running = start(make_items(30), (80, 24))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        await pilot.press("tab")  # focus the table
        priority_layout = shown_columns(screen_lines(app)[0])
        hidden = [i for i in range(len(COLUMNS)) if i not in priority_layout]
        assert hidden and f"{len(hidden)} columns hidden →" in subtitle(app)
        first_hidden = hidden[0]
        assert first_hidden - 1 in priority_layout  # so one step back is a column of the layout
        for _ in range(first_hidden):
            await pilot.press("right")
        await pilot.pause()
        assert table.cursor_column == first_hidden
        shown = check_whole(app)
        assert shown[:2] == [INDEX["symbol"], INDEX["side"]] and first_hidden in shown
        # on to the last column, then back over hidden ones: always whole, Symbol/Side at the left
        for _ in range(len(COLUMNS)):
            await pilot.press("right")
        await pilot.pause()
        assert table.cursor_column == len(COLUMNS) - 1
        shown = check_whole(app)
        assert shown[:2] == [INDEX["symbol"], INDEX["side"]] and shown[-1] == len(COLUMNS) - 1
        assert "← " in subtitle(app)  # the columns now hidden lie to the left
        for column in range(len(COLUMNS) - 2, first_hidden - 1, -1):
            await pilot.press("left")
            await pilot.pause()
            shown = check_whole(app)
            assert shown[:2] == [INDEX["symbol"], INDEX["side"]] and column in shown
        await pilot.press("left")
        await pilot.pause()
        assert table.cursor_column == first_hidden - 1
        assert shown_columns(screen_lines(app)[0]) == priority_layout
        check_whole(app)


async def test_the_cursor_follows_new_rows_until_moved():
    items = make_items(30)
    app, running = start(items, (80, 24))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        await pilot.press("tab")
        assert table.following and table.cursor_key == app.store.view[0]
        assert table.selected_key() == table.visible_keys()[0] == items[-1].id  # the newest
        # new rows at the top: the highlight stays on the first row, the view at the top
        items += make_items(3, start=31)
        app.apply(items)
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert table.selected_key() == table.visible_keys()[0] == items[-1].id
        assert "new above" not in subtitle(app)
        cursor_style = table.get_component_rich_style("live-table--cursor")
        first_line, second_line = list(table.render_line(1)), list(table.render_line(2))
        assert first_line[0].style.bgcolor == cursor_style.bgcolor != second_line[0].style.bgcolor

        # moved: the selected key keeps its screen line, new rows above are counted
        await pilot.press("down", "down", "down")
        selected = table.cursor_key
        line = table.visible_keys().index(selected)
        assert line == 3 and not table.following
        items += make_items(2, start=34)
        app.apply(items)
        await pilot.pause()
        assert table.cursor_key == selected == table.selected_key()
        assert table.visible_keys().index(selected) == line
        assert table.new_above == 2 and "2 new above (Home)" in subtitle(app)
        assert items[-1].id not in table.visible_keys() and items[-2].id not in table.visible_keys()
        items += make_items(1, start=36)
        app.apply(items)
        await pilot.pause()
        assert table.visible_keys().index(selected) == line and "3 new above (Home)" in subtitle(app)

        # Home: the first row again, following, count cleared
        await pilot.press("home")
        await pilot.pause()
        assert table.following and table.cursor_key == items[-1].id == table.visible_keys()[0]
        assert "new above" not in subtitle(app)
        items += make_items(1, start=37)
        app.apply(items)
        await pilot.pause()
        assert table.selected_key() == items[-1].id

        # a click on a row is a move too: below the border and the header, the third row
        await pilot.click(LiveTable, offset=(5, 4))
        assert table.cursor_key == table.visible_keys()[2] and not table.following


async def test_selected_key_is_only_a_row_on_screen():
    items = make_items(60)
    app, running = start(items, (80, 24))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        await pilot.press("tab", "down", "down")
        key = table.cursor_key
        assert table.selected_key() == key
        table.scroll_to(y=30, animate=False)  # as the mouse wheel does
        await pilot.pause()
        assert key not in table.visible_keys()
        assert table.selected_key() is None and table.has_selection and table.cursor_key == key
        assert table.reveal_selection() is True
        await pilot.pause()
        assert table.selected_key() == key and key in table.visible_keys()
        assert table.reveal_selection() is False
        table.display = False
        await pilot.pause()
        assert table.selected_key() is None and table.cursor_key == key


async def test_removing_the_cursor_row_moves_it_to_the_row_at_its_index():
    items = make_items(30)
    app, running = start(items, (80, 24))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        await pilot.press("tab", "down", "down")
        gone = table.cursor_key
        after = app.store.view[3]
        items = [item for item in items if item.id != gone]
        app.apply(items)
        await pilot.pause()
        assert table.cursor_row == 2 and table.cursor_key == after == table.selected_key()
        # a following table stays on the first row when that row goes
        await pilot.press("home")
        first, second = app.store.view[:2]
        items = [item for item in items if item.id != first]
        app.apply(items)
        await pilot.pause()
        assert table.following and table.cursor_key == second == table.visible_keys()[0]


async def test_one_changed_visible_row_repaints_one_line():
    items = make_items(30)
    app, running = start(items, (100, 30))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        key = table.visible_keys()[4]
        position = next(i for i, item in enumerate(items) if item.id == key)
        items[position] = replace(items[position], filled="0.0200")  # same width
        before = table.repaints
        app.apply(items)
        await pilot.pause()
        assert table.repaints - before == 1
        assert "0.0200" in screen_lines(app)[5]
        # an unchanged poll repaints nothing; a change off screen neither
        before = table.repaints
        app.apply(items)
        items[0] = replace(items[0], filled="0.0300")  # the oldest: far below the viewport
        app.apply(items)
        await pilot.pause()
        assert table.repaints == before


async def test_the_subtitle_is_the_apps_text_then_the_tables_note():
    fees = "fees hold 12.50 · unsettled fees 3.25"
    app, running = start(make_items(10), (80, 24))
    async with running as pilot:
        await pilot.pause()
        app.table.set_subtitle(fees)
        hidden = len(COLUMNS) - len(shown_columns(screen_lines(app)[0]))
        assert subtitle(app) == f"{fees} · {hidden} columns hidden →"
    app, running = start(make_items(10), (40, 24))
    async with running as pilot:
        await pilot.pause()
        app.table.set_subtitle(fees)
        # too long for the border: the app's part is shortened, the note stays whole
        text = subtitle(app)
        hidden = len(COLUMNS) - len(shown_columns(screen_lines(app)[0]))
        assert text.endswith(f"… · {hidden} columns hidden →") and fees.startswith(text.split("…")[0])
        assert len(text) <= 40 - 6  # what the border shows of it


async def test_scrolling_the_view_away_stops_following():
    items = make_items(60)
    app, running = start(items, (80, 24))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        table.scroll_to(y=20, animate=False)  # the mouse wheel
        await pilot.pause()
        shown = table.visible_keys()
        assert not table.following and table.selected_key() is None
        items += make_items(2, start=61)
        app.apply(items)
        await pilot.pause()
        assert table.visible_keys() == shown and "2 new above (Home)" in subtitle(app)


async def test_rows_pushed_off_screen_by_new_rows_keep_no_drawn_line():
    """The trades pane gains a row at the top with every trade of the day: the table keeps drawn
    lines for about a screenful of rows, not one per row it ever showed; what comes back is drawn
    again the same."""
    items = make_items(20)
    app, running = start(items, (120, 20))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        for item in make_items(300, start=21):
            items.append(item)
            app.apply(items)
            await pilot.pause()  # drawn: the new top row is cached
        assert table.visible_keys()[0] == items[-1].id  # still following the newest
        assert len(table._line_cache) <= 2 * len(table.visible_keys()) + 8
        before = screen_lines(app)
        table.scroll_to(y=200, animate=False)
        await pilot.pause()
        table.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert screen_lines(app) == before and len(table._line_cache) <= 2 * len(table.visible_keys()) + 8


async def test_a_cell_that_becomes_narrower_lets_its_column_shrink_30_s_later():
    """A balance's value reads "unknown…" until the first quotes: the column must not stay that wide
    all day although no row ever leaves; nor may it flap with every poll."""
    wide = "unknown-until-the-first-quote-arrives"
    items = [replace(item, status=wide) for item in make_items(3)]
    app, running = start(items, (200, 12))
    async with running as pilot:
        await pilot.pause()
        status = INDEX["status"]
        assert app.table.column_widths[status] == len(wide)
        app.apply([replace(item, status="ACTIVE") for item in items])
        await pilot.pause()
        assert app.table.column_widths[status] == len(wide)  # not at once
        app.table._narrowed_at -= live_table.SHRINK_EVERY_SECONDS  # 30 s later, the next poll
        app.apply([replace(item, status="NEW") for item in items])
        await pilot.pause()
        assert app.table.column_widths[status] == len("Status")
        assert wide not in "".join(screen_lines(app)) and "NEW" in "".join(screen_lines(app))


def bar_cells(app: TableApp) -> list[list[tuple[str, object]]]:
    """The vertical scrollbar as the terminal shows it: per line, its text and styles."""
    region = app.table.vertical_scrollbar.region
    strips = app.screen._compositor.render_strips()
    return [[(s.text, s.style) for s in strips[y].crop(region.x, region.right)] for y in range(region.y, region.bottom)]


async def test_the_scrollbar_is_drawn_again_only_when_its_thumb_changes():
    """Textual draws a scrollbar again, whole, whenever the rows behind it change; one row more
    among hundreds does not move the thumb, so the table asks for that only when the bar would
    look different. The bar on screen is always the one its sizes give."""
    items = make_items(300)
    app, running = start(items, (100, 30))
    async with running as pilot:
        await pilot.pause()
        bar = app.table.vertical_scrollbar
        drawn: list[int] = []
        refresh = bar.refresh
        bar.refresh = lambda *args, **kwargs: (drawn.append(1), refresh(*args, **kwargs))[1]

        async def settled_bar() -> list:
            await pilot.pause()
            shown = bar_cells(app)
            refresh()  # what a full redraw from its current sizes shows
            await pilot.pause()
            assert bar_cells(app) == shown
            return shown

        first = await settled_bar()
        items.extend(make_items(1, start=301))
        app.apply(items)
        assert bar.window_virtual_size == len(items) + 1  # the extent follows every row
        assert drawn == []
        assert await settled_bar() == first

        del items[60:]  # 60 rows: the thumb grows five-fold
        app.apply(items)
        assert drawn
        assert await settled_bar() != first
