"""`run_dashboard`: missing credentials end before the app starts, with one line and exit 2."""

from blotter import cli


def test_missing_credentials_exit_before_the_app(monkeypatch, tmp_path, capsys):
    for name in ("NO_COLOR", "TEXTUAL_COLOR_SYSTEM", "TRUEX_USER_ID", "TRUEX_API_KEY", "TRUEX_API_SECRET", "BLOTTER_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "none.toml"))
    started = []
    monkeypatch.setattr("blotter.ui.app.BlotterApp.run", lambda self, **kw: started.append(self))
    assert cli.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("blotter: Missing credentials")
    assert started == []
