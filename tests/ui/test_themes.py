"""Themes: shipped files load, `t` and the palette switch, the choice persists; the screenshot key."""

from pathlib import Path

from ui_support import polled, wait_for

from blotter.config import Settings
from blotter.core.preferences import Preferences, load_preferences, save_preferences
from screenshots import shipped_themes

SHIPPED = {"desk-dark", "desk-light", "amber-terminal", "high-contrast"}


def test_at_least_four_shipped_themes_load_from_files():
    themes_dir = Path(__file__).resolve().parents[2] / "themes"
    assert {path.stem for path in themes_dir.glob("*.toml")} >= SHIPPED
    assert SHIPPED <= set(shipped_themes())


def test_preferences_round_trip_and_configured_theme_wins_after_a_change(tmp_path):
    path = tmp_path / "state" / "preferences.json"
    assert load_preferences(path) == Preferences()  # nothing saved yet: defaults, no error
    save_preferences(path, Preferences(theme="amber-terminal", configured_theme="desk-dark"))
    saved = load_preferences(path)
    assert saved.theme_for("desk-dark") == "amber-terminal"
    assert saved.theme_for("desk-light") == "desk-light"  # the trader edited the profile since
    path.write_text("{not json")
    assert load_preferences(path) == Preferences()


async def test_t_cycles_desk_themes_and_the_choice_persists(make_app, tmp_path):
    prefs = tmp_path / "preferences.json"
    app = make_app(preferences_path=prefs)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        assert app.theme == "desk-dark"
        seen = [app.theme]
        for _ in range(len(app.desk_themes)):
            await pilot.press("t")
            await pilot.pause()
            seen.append(app.theme)
        assert set(seen) >= SHIPPED and seen[-1] == "desk-dark"  # a full cycle comes back
        await pilot.press("t")
        await pilot.pause()
        chosen = app.theme
    assert load_preferences(prefs).theme == chosen

    again = make_app(preferences_path=prefs)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.theme == chosen  # remembered across sessions


async def test_palette_theme_change_is_remembered_too(make_app, tmp_path):
    prefs = tmp_path / "preferences.json"
    app = make_app(preferences_path=prefs)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.theme = "high-contrast"  # what the palette's "Change theme" command does
        await pilot.pause()
    assert load_preferences(prefs).theme == "high-contrast"


async def test_a_user_theme_file_is_loaded_and_a_broken_one_is_reported(make_app, tmp_path):
    good = tmp_path / "mine.toml"
    good.write_text('name = "my-desk"\ndark = true\nprimary = "#112233"\n[variables]\nbuy = "#00aa00"\n')
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    settings = Settings(_env_file=None, user_id="42", theme="my-desk", theme_files=[str(good), str(broken)])
    app = make_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.theme == "my-desk" and "my-desk" in app.desk_themes
        assert any("broken.toml" in str(n.message) for n in app._notifications)


async def test_screenshot_key_saves_an_svg_and_says_where(make_app, tmp_path):
    app = make_app(settings=Settings(_env_file=None, user_id="42", export_dir=str(tmp_path)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("S")
        await wait_for(lambda: list(tmp_path.glob("*.svg")), pilot)
        saved = next(tmp_path.glob("*.svg"))
        assert any(str(saved) in str(n.message) for n in app._notifications)
    assert "BTC-PYUSD" in saved.read_text()


async def test_bindings_remapped_by_id_from_the_config(make_app):
    settings = Settings(_env_file=None, user_id="42", bindings={"feeds.pause": "f6", "pane.trades": "f2"})
    app = make_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("f6")
        await pilot.pause()
        assert app.feeds.paused
        await pilot.press("f2")
        await pilot.pause()
        assert app.focused.id == "trades"
        await pilot.press("p")  # the old key no longer pauses: it was remapped, not added
        await pilot.pause()
        assert app.feeds.paused


async def test_cell_colours_follow_the_theme_in_every_table(make_app):
    """The cells' colours (buy, sell, statuses...) are held once by the screen for all its tables;
    a new theme reaches every table's cells, drawn again with it."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        tables = [app.table(name) for name in ("orders", "trades", "quotes")]
        variables = app.theme_variables
        assert {t._style("buy").color.name for t in tables} == {variables["buy"]}
        buy_cell = _first_cell(app.table("orders"), "BUY")
        app.theme = "amber-terminal"
        await pilot.pause()
        variables = app.theme_variables
        assert variables["buy"] != buy_cell.style.color.name
        assert {t._style("buy").color.name for t in tables} == {variables["buy"]}
        again = _first_cell(app.table("orders"), "BUY")
        assert again.style.color.name == variables["buy"]


def _first_cell(table, text):
    """The first drawn segment that reads `text` (a side), from the table's lines as Textual asks for them."""
    for y in range(table.size.height):
        for segment in table.render_line(y):
            if segment.text.strip() == text:
                return segment
    raise AssertionError(f"no {text} cell on screen")
