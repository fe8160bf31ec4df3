"""`run_dashboard`: missing credentials end the app before any data, with one line on stderr and exit 2.

The settings are read after the first frame (pydantic is not imported before it), so the app starts,
finds the settings wanting, and leaves; the error is printed once the terminal is restored.
"""

from blotter import cli
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
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("blotter: Missing credentials")
    [app] = started
    assert app._main is None and app.client is None  # no dashboard was built, no request made
