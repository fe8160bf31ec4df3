"""`run_dashboard`: missing credentials end the app before any data, with one line on stderr and exit 2.

The settings are read after the first frame (pydantic is not imported before it), so the app starts,
finds the settings wanting, and leaves; the error is printed once the terminal is restored.
The cycle collector is off while the dashboard starts, and on again once it has (`on_started`).
"""

import gc

from ui_support import wait_for

from blotter import cli
from blotter.ui import app as app_module
from blotter.ui.app import BlotterApp


def test_missing_credentials_exit_with_one_line_and_no_dashboard(monkeypatch, tmp_path, capsys):
    for name in ("NO_COLOR", "TEXTUAL_COLOR_SYSTEM", "TRUEX_USER_ID", "TRUEX_API_KEY", "TRUEX_API_SECRET", "BLOTTER_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "none.toml"))
    started: list[BlotterApp] = []
    run = BlotterApp.run

    def run_headless(self, **options):
        started.append(self)
        return run(self, headless=True, **options)

    monkeypatch.setattr(BlotterApp, "run", run_headless)
    assert cli.main([]) == 2
    assert gc.isenabled()  # back on, though this start never got as far as `on_started`
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("blotter: Missing credentials")
    [app] = started
    assert app._main is None and app.client is None  # no dashboard was built, no request made


def test_the_collector_is_off_while_the_dashboard_starts(monkeypatch, tmp_path):
    for name in ("TRUEX_USER_ID", "TRUEX_API_KEY", "TRUEX_API_SECRET", "BLOTTER_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "none.toml"))
    seen: list[bool] = []
    run = BlotterApp.run

    def run_headless(self, **options):
        seen.append(gc.isenabled())
        assert self._on_started is gc.enable  # what turns it on again once started
        return run(self, headless=True, **options)

    monkeypatch.setattr(BlotterApp, "run", run_headless)
    cli.main([])
    assert seen == [False] and gc.isenabled()


async def test_on_started_comes_once_the_start_is_done(make_app):
    calls = []
    app = make_app(on_started=lambda: calls.append(app.clients_asked))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: calls, pilot)
        await pilot.pause(0.1)
    assert calls == [True]  # once, after the start's last step (the clients)


async def test_on_started_comes_at_the_latest_bound_when_the_start_hangs(make_app, fake_client, monkeypatch):
    monkeypatch.setattr(app_module, "STARTED_AT_LATEST", 0.2)
    fake_client.hang.add("clients")  # the start never finishes
    calls = []
    app = make_app(on_started=lambda: calls.append(app.clients_asked))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: calls, pilot)
        await pilot.pause(0.3)
    assert calls == [False]


async def test_the_outline_says_once_that_it_is_on_screen():
    """The load starts as the outline is drawn (`LoadingScreen.Shown`), not a frame interval later,
    and only once, however often the outline comes back to the top."""
    from textual.app import App
    from textual.screen import Screen

    from blotter.ui.loading import LoadingScreen

    class Probe(App):
        def __init__(self) -> None:
            super().__init__()
            self.laid_out_when_told: list[bool] = []

        def get_default_screen(self) -> Screen:
            return LoadingScreen("DEMO")

        def on_loading_screen_shown(self) -> None:
            self.laid_out_when_told.append(self.screen.query_one("#outline-orders").region.height > 0)

    app = Probe()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.laid_out_when_told == [True]  # told once the outline has been drawn
        app.push_screen(Screen())
        await pilot.pause()
        app.pop_screen()  # the outline is resumed again
        await pilot.pause()
        assert app.laid_out_when_told == [True]
