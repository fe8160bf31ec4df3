"""The column picker and a pane's chosen columns: the dialog (show/hide, move, reset, cancel, at
least one column kept, whole at 80x24), a LiveTable drawing the chosen columns in their order and
still dropping whole columns when narrow, the choice remembered in the preferences, and listed by
`blotter config show`.

As in test_live_table.py, cells hold no spaces and labels are single words, so a drawn line split on
blanks gives exactly the drawn cells and the header the drawn columns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button

from blotter.core.panes import PANES
from blotter.core.preferences import Preferences, load_preferences, save_preferences
from blotter.core.rows import ORDER_COLUMNS
from blotter.core.store import Cell, Column, KeyedStore
from blotter.ui.screens.columns import ColumnList, ColumnPicker, picker_columns
from blotter.ui.themes import VARIABLE_DEFAULTS
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
    Column("status", "Status", 6, priority=1),
    Column("tif", "TIF", 3, priority=5),
    Column("id", "OrderId", 8, kind="id", priority=6),
    Column("external_id", "ExternalId", 11, priority=7, max_width=36),
)
KEYS = [column.key for column in COLUMNS]
LABELS = [column.label for column in COLUMNS]
INDEX = {key: i for i, key in enumerate(KEYS)}


@dataclass(frozen=True)
class Item:
    seq: int
    price: str = "96,925.01"
    filled: str = "0.0100"

    @property
    def id(self) -> str:
        return f"71000000000000{self.seq:05d}"


def render(item: Item) -> tuple[Cell, ...]:
    return (
        Cell(("BTC-PYUSD", "ETH-USD", "SOL-USDC")[item.seq % 3]),
        Cell("BUY" if item.seq % 2 else "SELL", "buy" if item.seq % 2 else "sell"),
        Cell(f"{item.seq // 3600:02d}:{item.seq // 60 % 60:02d}:{item.seq % 60:02d}", "", item.seq),
        Cell("LIMIT"),
        Cell(item.price),
        Cell(("0.06089", "12.5", "1,250.000")[item.seq % 3]),
        Cell(item.filled),
        Cell(("ACTIVE", "CANCEL_PENDING", "NEW_PENDING")[item.seq % 3]),
        Cell("GTC"),
        Cell(item.id),
        Cell(f"{item.seq:08d}-1111-2222-3333-444455556666"),
    )


def make_items(count: int) -> list[Item]:
    return [Item(seq) for seq in range(1, count + 1)]


class TableApp(App):
    """One pane, and the picker opened on it the way the dashboard does: the table's choice in,
    the result applied to the table (None: nothing changes)."""

    CSS = "LiveTable { border: round white; }"

    def __init__(self, items: list[Item]) -> None:
        super().__init__()
        self.store = KeyedStore(COLUMNS, key=lambda item: item.id, render=render, sort_column=INDEX["time"],
                                sort_reverse=True)
        self.store.apply(items)
        self.results: list[list[str] | None] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield LiveTable(self.store, title="orders", id="table")

    @property
    def table(self) -> LiveTable:
        return self.query_one(LiveTable)

    def apply(self, items: list[Item]) -> None:
        self.table.apply_diff(self.store.apply(items))

    def open_picker(self) -> None:
        table = self.table
        picker = ColumnPicker("1 Orders", picker_columns(self.store.columns, table.column_choice),
                              table.default_column_choice)
        self.push_screen(picker, self._picked)

    def _picked(self, keys: list[str] | None) -> None:
        self.results.append(keys)
        if keys is not None:
            self.table.set_column_choice(keys)


def screen_lines(app: TableApp) -> list[str]:
    """The table's lines as the terminal shows them, scrollbar excluded."""
    region = app.table.scrollable_content_region
    strips = app.screen._compositor.render_strips()
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


def screen_text(app: App) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def header_keys(app: TableApp) -> list[str]:
    return [KEYS[LABELS.index(token.rstrip("▲▼"))] for token in screen_lines(app)[0].split()]


def check_rows(app: TableApp) -> list[str]:
    """Every drawn row shows the store's cells of the drawn columns, in the header's order and
    whole (ExternalId longer than its max width ends in '…'). Returns the drawn columns' keys."""
    lines, drawn = screen_lines(app), header_keys(app)
    keys = app.table.visible_keys()
    assert keys
    for line, key in zip(lines[1:], keys):
        cells = app.store.row(key)
        tokens = line.split()
        assert len(tokens) == len(drawn), line
        for token, column in zip(tokens, drawn):
            text = cells[INDEX[column]].text
            if column == "external_id" and len(text) > 36:
                assert token.endswith("…") and text.startswith(token[:-1])
            else:
                assert token == text, (column, line)
    return drawn


def subtitle(app: TableApp) -> str:
    return str(app.table.border_subtitle)


def start(size: tuple[int, int], count: int = 20):
    app = TableApp(make_items(count))
    return app, app.run_test(size=size)


async def open_picker(app: TableApp, pilot) -> ColumnPicker:
    app.open_picker()
    await pilot.pause()
    assert isinstance(app.screen, ColumnPicker)
    return app.screen


# --- the dialog -----------------------------------------------------------------------------------


async def test_space_hides_a_column_and_enter_applies():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        picker = await open_picker(app, pilot)
        await pilot.press("down", "down", "space")  # the cursor on Time: hidden
        assert picker.shown_keys == [key for key in KEYS if key != "time"]
        await pilot.press("space", "space")  # shown again, hidden again
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ColumnPicker)
        assert app.results == [[key for key in KEYS if key != "time"]]
        assert app.table.column_choice == tuple(key for key in KEYS if key != "time")
        assert "time" not in header_keys(app) and header_keys(app) == list(app.table.column_choice)
        check_rows(app)


async def test_shift_arrows_and_K_J_move_the_column_under_the_cursor():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        picker = await open_picker(app, pilot)
        await pilot.press("down", "down", "down", "down")  # Price
        await pilot.press("shift+up")  # Price before Type
        assert picker.shown_keys[2:5] == ["time", "price", "type"]
        assert picker.cursor == 3  # the cursor moved with the column
        await pilot.press("K", "K")  # then before Side and Time
        assert picker.shown_keys[:4] == ["symbol", "price", "side", "time"]
        await pilot.press("down", "J")  # Side moves below Time
        assert picker.shown_keys[:4] == ["symbol", "price", "time", "side"]
        await pilot.press("up", "up", "up", "K")  # on Symbol (first): nothing moves
        assert picker.shown_keys[:4] == ["symbol", "price", "time", "side"]
        await pilot.press("shift+down")  # Symbol after Price
        order = ["price", "symbol", "time", "side", "type", *KEYS[5:]]
        assert picker.shown_keys == order
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [order]
        assert header_keys(app) == order
        check_rows(app)


async def test_r_resets_to_every_column_in_the_panes_order():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        app.table.set_column_choice(["qty", "symbol", "price"])  # as a saved choice would
        await pilot.pause()
        picker = await open_picker(app, pilot)
        # the picker opens with the choice first, shown, then the rest hidden in the pane's order
        assert [(key, shown) for key, _, shown in picker.rows] == [
            ("qty", True), ("symbol", True), ("price", True),
            *((key, False) for key in KEYS if key not in ("qty", "symbol", "price")),
        ]
        await pilot.press("down", "space", "J")  # Symbol hidden and moved
        await pilot.press("r")
        assert picker.shown_keys == KEYS
        assert picker.cursor == KEYS.index("symbol")  # the cursor stays on its column
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [KEYS]
        assert app.table.column_choice_is_default and header_keys(app) == KEYS


async def test_escape_cancels_and_nothing_changes():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        app.table.set_column_choice(["symbol", "side", "price", "qty", "status"])
        await pilot.pause()
        before_choice, before_lines = app.table.column_choice, screen_lines(app)
        await open_picker(app, pilot)
        await pilot.press("space", "down", "J", "r", "down", "space")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ColumnPicker)
        assert app.results == [None]
        assert app.table.column_choice == before_choice
        assert screen_lines(app) == before_lines


async def test_the_last_shown_column_cannot_be_hidden():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        app.table.set_column_choice(["price", "qty"])
        await pilot.pause()
        picker = await open_picker(app, pilot)
        await pilot.press("space")  # Price hidden: Qty is left
        assert picker.shown_keys == ["qty"]
        await pilot.press("down", "space")  # Qty: refused
        assert picker.shown_keys == ["qty"]
        assert "At least one column" in "\n".join(screen_text(app))
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [["qty"]] and header_keys(app) == ["qty"]
        check_rows(app)
        # the table refuses too: no column, or none it knows
        table = app.table
        assert table.set_column_choice([]) is False
        assert table.set_column_choice(["nope", "nada"]) is False
        assert table.column_choice == ("qty",) and header_keys(app) == ["qty"]


async def test_tab_reaches_the_buttons_and_they_act():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        picker = await open_picker(app, pilot)
        assert isinstance(app.focused, ColumnList)
        await pilot.press("space")  # Symbol hidden
        await pilot.press("tab")
        assert isinstance(app.focused, Button) and app.focused.id == "cancel"
        await pilot.press("tab")
        assert app.focused.id == "reset"
        await pilot.press("enter")  # the Reset button
        assert isinstance(app.screen, ColumnPicker) and picker.shown_keys == KEYS
        await pilot.press("shift+tab", "shift+tab")
        assert isinstance(app.focused, ColumnList)
        await pilot.press("space", "tab", "tab", "tab")
        assert app.focused.id == "apply"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [KEYS[1:]]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_picker_is_whole_at_80x24_with_the_widest_pane(size):
    """The orders pane has the most columns: all of them, the keys and the buttons are on screen,
    inside the dialog's border."""

    class Host(App):
        def get_theme_variable_defaults(self) -> dict[str, str]:
            return dict(VARIABLE_DEFAULTS)

    app = Host()
    async with app.run_test(size=size) as pilot:
        keys = [column.key for column in ORDER_COLUMNS]
        app.push_screen(ColumnPicker("1 Active orders", picker_columns(ORDER_COLUMNS, keys[:10]), keys))
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ColumnPicker)
        lines = screen_text(app)
        text = "\n".join(lines)
        assert "Columns · 1 Active orders" in text
        assert "space show/hide" in text and "K/J move" in text and "r reset" in text
        assert "Cancel (esc)" in text and "Reset (r)" in text and "Apply (enter)" in text
        for index, column in enumerate(ORDER_COLUMNS):
            mark = "x" if index < 10 else " "
            pattern = rf"\[{mark}\] {re.escape(column.label)}(?!\w)"  # "Fill", not "Filled"
            assert sum(len(re.findall(pattern, line)) for line in lines) == 1, column.label
        dialog = picker.query_one("Vertical").region
        assert dialog.y >= 0 and dialog.bottom <= size[1] and dialog.x >= 0 and dialog.right <= size[0]
        listing = picker.query_one(ColumnList)
        assert listing.region.height == len(ORDER_COLUMNS)  # no scrolling needed: every column in view
        # the cursor's line stands out
        highlighted = listing.get_component_rich_style("option-list--option-highlighted")
        strips = app.screen._compositor.render_strips()
        region = listing.region
        cursor_line, next_line = (list(strips[y].crop(region.x, region.right)) for y in (region.y, region.y + 1))
        assert cursor_line[0].text.startswith("[x] Symbol")
        assert cursor_line[0].style.bgcolor == highlighted.bgcolor != next_line[0].style.bgcolor


# --- the table with a choice ----------------------------------------------------------------------


async def test_the_table_draws_the_chosen_columns_in_their_order():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        default_lines = screen_lines(app)
        assert header_keys(app) == KEYS and "hidden" not in subtitle(app)
        choice = ["price", "symbol", "qty", "id", "status"]
        # unknown keys and repeats are ignored
        assert table.set_column_choice(["nope", *choice[:2], "price", *choice[2:]]) is True
        await pilot.pause()
        assert table.column_choice == tuple(choice) and not table.column_choice_is_default
        assert header_keys(app) == choice
        assert check_rows(app) == choice
        assert table.shown_columns == tuple(INDEX[key] for key in choice)
        # the first row's line reads exactly as the store's cells, in the chosen order
        first = app.store.row(table.visible_keys()[0])
        assert table.render_line(1).text.split() == [first[INDEX[key]].text for key in choice]
        assert "hidden" not in subtitle(app)  # columns left out are not "hidden →"
        # a line is as wide as the chosen columns only
        assert table._width == 1 + sum(table.column_widths[INDEX[k]] for k in choice) + len(choice) - 1
        # back to the default: drawn exactly as before
        table.set_column_choice(None)
        await pilot.pause()
        assert table.column_choice_is_default and table.column_choice == tuple(KEYS)
        assert screen_lines(app) == default_lines


async def test_a_chosen_order_still_drops_whole_columns_by_priority_at_80_columns():
    app, running = start((80, 24), count=30)
    async with running as pilot:
        await pilot.pause()
        table = app.table
        choice = ["external_id", "price", "status", "symbol", "tif", "qty", "time", "side", "filled", "id"]
        table.set_column_choice(choice)
        await pilot.pause()
        drawn = check_rows(app)
        # the drawn columns keep the chosen order; the dropped ones are the highest priority numbers
        assert drawn == [key for key in choice if key in drawn]
        dropped = [key for key in choice if key not in drawn]
        assert dropped, "80 columns cannot hold these"
        priority = {column.key: column.priority for column in COLUMNS}
        assert max(priority[k] for k in drawn) <= min(priority[k] for k in dropped)
        assert all(priority[k] == 0 or k in drawn for k in choice if priority[k] == 0)
        noun = "column" if len(dropped) == 1 else "columns"
        assert f"{len(dropped)} {noun} hidden" in subtitle(app)  # the chosen ones only: "type" is not counted
        # ← / → walk the chosen columns in the chosen order, never an unchosen one, always whole
        await pilot.press("tab")
        assert table.cursor_column == INDEX["symbol"]  # it stayed the current column
        for _ in range(len(COLUMNS)):
            await pilot.press("left")
        assert table.cursor_column == INDEX[choice[0]]  # the first chosen column, then no further
        visited = [KEYS[table.cursor_column]]
        for _ in range(len(choice) + 2):
            await pilot.press("right")
            if KEYS[table.cursor_column] != visited[-1]:
                visited.append(KEYS[table.cursor_column])
            await pilot.pause()
            drawn = check_rows(app)
            assert KEYS[table.cursor_column] in drawn
            # on a dropped column: the frozen ones lead, then the chosen order
            assert [k for k in drawn if k not in ("symbol", "side")] == [
                k for k in choice if k in drawn and k not in ("symbol", "side")
            ]
        assert visited == choice
        assert "← " in subtitle(app)  # hidden columns now lie to the left (in the chosen order)


async def test_of_equal_priorities_the_rightmost_in_the_chosen_order_is_dropped_first():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        choice = ["symbol", "side", "status", "price", "qty", "time"]  # Status and Time: priority 1
        table.set_column_choice(choice)
        await pilot.pause()
        assert header_keys(app) == choice
        widths = table.column_widths
        needed = 1 + sum(widths[INDEX[key]] for key in choice) + len(choice) - 1
        border_and_scrollbar = 200 - table.scrollable_content_region.width
        await pilot.resize_terminal(needed - 1 + border_and_scrollbar, 30)  # one cell short
        await pilot.pause()
        assert table.scrollable_content_region.width == needed - 1
        # Time is the rightmost of the two in the chosen order (in the pane's order it is Status)
        assert header_keys(app) == ["symbol", "side", "status", "price", "qty"]
        assert "1 column hidden" in subtitle(app)
        check_rows(app)


async def test_a_choice_that_fits_hides_nothing_at_80_columns_and_polls_repaint_one_line():
    app, running = start((80, 24), count=30)
    async with running as pilot:
        await pilot.pause()
        table = app.table
        assert "hidden" in subtitle(app)  # all columns do not fit at 80
        table.set_column_choice(["symbol", "side", "price", "filled"])
        await pilot.pause()
        assert header_keys(app) == ["symbol", "side", "price", "filled"] and "hidden" not in subtitle(app)
        check_rows(app)
        # a poll that changes one visible cell repaints one line, not the pane
        items = make_items(30)
        key = table.visible_keys()[3]
        position = next(i for i, item in enumerate(items) if item.id == key)
        items[position] = replace(items[position], filled="0.0200")
        before = table.repaints
        app.apply(items)
        await pilot.pause()
        assert table.repaints - before == 1
        assert screen_lines(app)[4].split()[-1] == "0.0200"
        # a hidden column's change repaints nothing visible of it, and the row still reads right
        check_rows(app)


async def test_hiding_the_current_column_moves_the_cursor_and_sort_and_filter_still_work():
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        table = app.table
        await pilot.press("tab", "right", "right")
        assert table.cursor_column == INDEX["time"]
        table.set_column_choice(["symbol", "side", "price", "qty"])
        await pilot.pause()
        assert table.cursor_column == INDEX["price"]  # Time was third: the third chosen column
        await pilot.press("right")
        assert table.cursor_column == INDEX["qty"]
        await pilot.press("right")  # the last chosen column: no further
        assert table.cursor_column == INDEX["qty"]
        table.sort_current()  # sorts by the current column, a chosen one
        await pilot.pause()
        assert app.store.sort_column == INDEX["qty"]
        assert header_keys(app) == ["symbol", "side", "price", "qty"]
        assert screen_lines(app)[0].split()[-1] in ("Qty▲", "Qty▼")
        table.set_filter("SOL-USDC")
        await pilot.pause()
        assert all(app.store.row(key)[0].text == "SOL-USDC" for key in table.visible_keys())
        check_rows(app)
        # the filter still searches the columns left out (the store's rows are unchanged)
        assert len(app.store.row(table.visible_keys()[0])) == len(COLUMNS)


async def test_a_choice_set_before_mount_applies_when_drawn():
    store_items = make_items(10)

    class Early(TableApp):
        def compose(self) -> ComposeResult:
            table = LiveTable(self.store, title="orders", id="table")
            assert table.set_column_choice(["qty", "symbol"])
            yield table

    app = Early(store_items)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        assert header_keys(app) == ["qty", "symbol"]
        check_rows(app)


# --- preferences ------------------------------------------------------------------------------------


def test_preferences_round_trip_columns_and_theme(tmp_path):
    path = tmp_path / "state" / "preferences.json"
    prefs = Preferences().with_theme("amber-terminal", "desk-dark").with_columns("orders", ["price", "symbol"])
    prefs = prefs.with_columns("quotes", ("symbol", "bid", "ask"))
    save_preferences(path, prefs)
    saved = load_preferences(path)
    assert saved == prefs
    assert saved.columns == {"orders": ["price", "symbol"], "quotes": ["symbol", "bid", "ask"]}
    assert saved.theme == "amber-terminal" and saved.configured_theme == "desk-dark"
    # saving a theme keeps the columns, saving columns keeps the theme and the other panes
    themed = saved.with_theme("high-contrast", "desk-dark")
    assert themed.columns == saved.columns and themed.theme == "high-contrast"
    narrowed = themed.with_columns("orders", ["qty"])
    assert narrowed.theme == "high-contrast"
    assert narrowed.columns == {"orders": ["qty"], "quotes": ["symbol", "bid", "ask"]}
    assert saved.columns["orders"] == ["price", "symbol"]  # copies: the original is untouched
    save_preferences(path, narrowed)
    assert load_preferences(path) == narrowed
    # None (or nothing) is the pane's default again
    assert narrowed.with_columns("orders", None).columns == {"quotes": ["symbol", "bid", "ask"]}
    assert narrowed.with_columns("orders", []).columns_for("orders") is None
    assert narrowed.columns_for("quotes") == ["symbol", "bid", "ask"]


def test_preferences_drop_what_does_not_read_field_by_field(tmp_path):
    path = tmp_path / "preferences.json"
    path.write_text(json.dumps({
        "theme": "amber-terminal",
        "configured_theme": 7,
        "columns": {"orders": ["price", "qty"], "trades": "price", "quotes": ["bid", 3], "balances": []},
        "unknown": True,
    }))
    loaded = load_preferences(path)
    assert loaded == Preferences(theme="amber-terminal", columns={"orders": ["price", "qty"]})
    path.write_text(json.dumps({"theme": "amber-terminal", "columns": ["orders"]}))
    assert load_preferences(path) == Preferences(theme="amber-terminal")
    path.write_text(json.dumps({"theme": ["x"], "columns": {"orders": ["price"]}}))
    assert load_preferences(path) == Preferences(columns={"orders": ["price"]})
    path.write_text("[1, 2]")
    assert load_preferences(path) == Preferences()


async def test_a_saved_choice_applies_to_a_new_table(tmp_path):
    """What the dashboard does at start: the saved choice, picked in one session, in the next."""
    path = tmp_path / "preferences.json"
    app, running = start((200, 30))
    async with running as pilot:
        await pilot.pause()
        await open_picker(app, pilot)
        await pilot.press("down", "space", "down", "J", "enter")  # Side hidden, Time after Type
        await pilot.pause()
        save_preferences(path, load_preferences(path).with_columns("orders", app.table.column_choice))
        drawn = header_keys(app)
    assert drawn[:4] == ["symbol", "type", "time", "price"] and "side" not in drawn
    again, running = start((200, 30))
    async with running as pilot:
        again.table.set_column_choice(load_preferences(path).columns_for("orders"))
        await pilot.pause()
        assert header_keys(again) == drawn


# --- blotter config show ------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith(("TRUEX_", "BLOTTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return monkeypatch


def test_config_show_lists_each_panes_columns(clean_env, tmp_path, capsys):
    from blotter.cli import main
    from blotter.paths import state_dir

    assert main(["config", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["columns"] == {pane: "default" for pane in PANES}
    assert list(shown["columns"]) == list(PANES)
    assert "base_url" in shown and "notes" in shown  # the rest is still there

    assert state_dir() == tmp_path / "state" / "blotter"
    prefs = Preferences(theme="amber-terminal", configured_theme="desk-dark")
    prefs = prefs.with_columns("orders", ["price", "gone-in-this-version", "symbol", "price"])
    prefs = prefs.with_columns("balances", ["asset", "total"]).with_columns("quotes", ["nope"])
    save_preferences(state_dir() / "preferences.json", prefs)
    assert main(["config", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    # the columns in effect: unknown keys and repeats left out, as the pane does; none left: default
    expected: dict[str, object] = {pane: "default" for pane in PANES}
    expected.update(orders=["price", "symbol"], balances=["asset", "total"])
    assert shown["columns"] == expected

