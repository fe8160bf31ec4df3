import os

import pytest


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No TRUEX_* or BLOTTER_* variable of the machine running the tests, and no config file:
    settings come from what the test sets (through the returned monkeypatch)."""
    for name in list(os.environ):
        if name.startswith(("TRUEX_", "BLOTTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "absent.toml"))
    return monkeypatch
