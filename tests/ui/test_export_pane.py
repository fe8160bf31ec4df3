"""`e` exports the focused pane, filtered and sorted as shown, to a new CSV file."""

import csv
import io

from ui_support import polled, wait_for

from blotter.config import Settings

SIZE = (120, 40)
STAMP = "20260921-141320"  # the FakeClock's now, in UTC


def settings(tmp_path, **kwargs):
    return Settings(_env_file=None, user_id="42", environment="UAT", export_dir=str(tmp_path), **kwargs)


def read(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(), newline="")))


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_export_orders_filtered_and_sorted_as_shown(make_app, tmp_path):
    app = make_app(settings=settings(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "slash", *"eth", "enter")
        await pilot.press("right", "right", "right", "right", "s", "s")  # Price, descending
        store = app.stores["orders"]
        shown = [store.items[k] for k in store.view]
        assert 0 < len(shown) < store.total
        await pilot.press("e")
        path = tmp_path / f"blotter-orders-{STAMP}.csv"
        assert path.exists()
        rows = read(path)
        assert [r["id"] for r in rows] == [o.id for o in shown]
        assert all(r["symbol"] == "ETH-PYUSD" for r in rows)
        prices = [r["price"] for r in rows]
        assert prices == [format(o.price, "f") for o in shown]  # exact, not display-rounded
        assert [float(p) for p in prices] == sorted((float(p) for p in prices), reverse=True)
        note = next(m for m in messages(app) if str(path) in m)
        assert f"{len(shown)} rows" in note and "filter: eth" in note
        # a second export in the same second never overwrites the first
        await pilot.press("e")
        second = tmp_path / f"blotter-orders-{STAMP}-2.csv"
        assert second.exists() and read(path) == rows
        assert any(str(second) in m for m in messages(app))


async def test_export_trades_pane_is_the_capped_view(make_app, tmp_path):
    app = make_app(settings=settings(tmp_path, trades_display_cap=50))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("2", "e")
        rows = read(tmp_path / f"blotter-trades-{STAMP}.csv")
        store = app.trades
        assert [r["match_id"] for r in rows] == [store.items[k].match_id for k in store.view]
        assert len(rows) == 50 and rows[0]["time_ns"] > rows[-1]["time_ns"]  # newest first, as shown
        assert rows[0]["trade_price"] == format(store.items[store.view[0]].trade_price, "f")
        assert any("blotter export trades" in m and "50 of 120" in m for m in messages(app))


async def test_export_balances_and_quotes(make_app, tmp_path):
    app = make_app(settings=settings(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("3", "e", "4", "e")
        balances = read(tmp_path / f"blotter-balances-{STAMP}.csv")
        assert [r["asset"] for r in balances] == ["BTC", "ETH", "SOL", "PYUSD"]
        assert balances[3]["balance"] == "1250000" and balances[3]["available"] == "1200000"
        quotes = read(tmp_path / f"blotter-quotes-{STAMP}.csv")
        assert [r["symbol"] for r in quotes] == ["BTC-PYUSD", "ETH-PYUSD", "SOL-PYUSD"]
        assert quotes[0]["bid"] == "100000" and quotes[0]["spread"] == "1.0"


async def test_export_never_writes_to_the_working_directory(make_app, tmp_path, monkeypatch):
    """Without export_dir: the downloads directory, else <state dir>/exports; never the cwd (under
    `make demo` that is the source tree)."""
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "e")
        await pilot.pause()
    assert not list(work.iterdir())
    written = list(home.rglob("blotter-orders-*.csv"))
    assert len(written) == 1 and len(read(written[0])) == 30
    assert oct(written[0].stat().st_mode & 0o777) == "0o600"


async def test_screenshots_go_where_exports_go_named_alike_and_private(make_app, tmp_path):
    app = make_app(settings=settings(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "e", "S")
        await pilot.pause()
    csv_file, svg_file = sorted(tmp_path.glob("blotter-*"))
    assert csv_file.name == f"blotter-orders-{STAMP}.csv" and svg_file.name == f"blotter-screen-{STAMP}.svg"
    assert {oct(p.stat().st_mode & 0o777) for p in (csv_file, svg_file)} == {"0o600"}
    assert "<svg" in svg_file.read_text()


async def test_export_failure_is_reported_and_writes_nothing(make_app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app = make_app(settings=settings(blocker))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "e")
        await pilot.pause()
        failure = next(n for n in app._notifications if n.title == "Export failed")
        assert failure.severity == "error" and str(blocker) in str(failure.message)
        assert "Not a directory" in str(failure.message)
        assert blocker.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["not-a-directory"]
        assert app.stores["orders"].total == 30  # the app carries on


async def test_brackets_in_the_path_and_filter_show_literally(make_app, tmp_path):
    where = tmp_path / "[bold]desk[/red]"
    app = make_app(settings=settings(where))
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts rendered, as in real use
        await wait_for(lambda: polled(app), pilot)
        await pilot.press("1", "slash", *"[b]", "enter", "e")
        await wait_for(lambda: app.screen.query("Toast"), pilot)
        await pilot.pause()
        path = where / f"blotter-orders-{STAMP}.csv"
        assert read(path) == []
        assert any(str(path) in m and "filter: [b]" in m for m in messages(app))
        toasts = " ".join(str(toast.render()) for toast in app.screen.query("Toast"))
        assert "[bold]desk[/red]" in toasts and "filter: [b]" in toasts
