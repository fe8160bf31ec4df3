"""Every test runs with its own config and state directories: no test reads the trader's config file
or writes into their state directory (audit log, preferences, exports, doctor findings).

The repository's `tools/` is importable here: the screenshot scenes (`tools/screenshots.py`) are
shared with the snapshot tests but are not part of the installed package."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


@pytest.fixture(autouse=True, scope="session")
def _private_dirs(tmp_path_factory):
    home = tmp_path_factory.mktemp("xdg")
    patch = pytest.MonkeyPatch()
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        patch.setenv(name, str(home / name.lower()))
    patch.delenv("BLOTTER_CONFIG", raising=False)
    patch.delenv("BLOTTER_PROFILE", raising=False)
    yield
    patch.undo()
