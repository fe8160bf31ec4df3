"""At 80x24, 100x30, 120x40 and 200x60, over the seeded demo market (both wire dialects): every
number on screen is the store's, whole, and equal to the exchange's value; actions reach only rows
that are on screen."""

from decimal import Decimal

import pytest

import screenshots
from blotter.ui.screens.confirm import ConfirmScreen

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
PANES = ("orders", "trades", "quotes", "balances", "positions")
# bps is a ratio shown to 0.1 bp; every other number is an amount and must read back exactly


@pytest.fixture(scope="module", params=["sim", "real"])
def exchange(request):
    server = screenshots.start_frozen_exchange(wire=request.param)
    yield server
    server.stop()


def drawn_cells(table):
    """(key, column index, text as drawn) for every cell of every row drawn on screen."""
    cells = []
    widths = table.column_widths
    for line, key in enumerate(table.visible_keys(), start=1):
        text = table.render_line(line).text
        x = 1
        for index in table.shown_columns:
            cells.append((key, index, text[x : x + widths[index]]))
            x += widths[index] + 1
    return cells


def number(text: str) -> Decimal:
    """The amount a cell shows; a total that leaves unknown parts out ("1,200 + ETH unknown") shows
    the sum of the known ones first."""
    return Decimal(text.strip().split(" + ")[0].rstrip("▲▼").replace(",", ""))


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_number_on_screen_is_whole_and_the_exchanges(exchange, tmp_path, size):
    app = screenshots.make_app(exchange, state=tmp_path)
    async with app.run_test(size=size) as pilot:
        await screenshots.loaded(pilot)
        checked = 0
        for name in PANES:
            table, store = app.table(name), app.stores[name]
            if not table.display:  # balances and positions share a place on a narrow screen: show it
                await pilot.press(str(PANES.index(name) + 1))
                await pilot.pause()
            assert table.visible_keys(), f"{name} shows no rows at {size}"
            for key, index, drawn in drawn_cells(table):
                column, cell = store.columns[index], store.row(key)[index]
                assert drawn.strip() == cell.text.strip(), (name, column.key, drawn, cell.text)
                # (≈: a value whose exact expansion does not end, shown to 8 decimals; core.positions)
                if (column.kind == "number" and column.key != "bps" and isinstance(cell.sort, Decimal)
                        and not cell.text.startswith("≈")):
                    assert number(drawn) == cell.sort, (name, column.key, drawn)
                    checked += 1
            for index in table.shown_columns:  # a number column is drawn whole or not at all
                column = store.columns[index]
                if column.kind in ("number", "id"):
                    widest = max((len(store.row(k)[index].text) for k in table.visible_keys()), default=0)
                    assert table.column_widths[index] >= widest, (name, column.key)
        assert checked > 20


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_cancel_reaches_the_highlighted_row_on_screen_only(exchange, tmp_path, size):
    app = screenshots.make_app(exchange, state=tmp_path)
    async with app.run_test(size=size) as pilot:
        await screenshots.loaded(pilot)
        await pilot.press("1", "end")
        table = app.table("orders")
        assert table.selected_key() == table.visible_keys()[-1]  # the last row, scrolled into view
        await pilot.press("c")
        await screenshots._until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert table.selected_key() in " ".join(app.screen.lines)
        await pilot.press("escape")
        table.scroll_to(y=0, animate=False, immediate=True)  # the selection leaves the screen
        await pilot.pause()
        if len(table.visible_keys()) < table.row_count:
            await pilot.press("c")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
            assert table.selected_key() == table.visible_keys()[-1] or table.selected_key() in table.visible_keys()
