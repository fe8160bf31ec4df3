"""The config file names keys and secret commands: `config init` writes it private, and
`config show` warns when other users can read it (the function itself is tested in tests/cli)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys


def blotter(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUEX_", "BLOTTER_"))}
    return subprocess.run([sys.executable, "-m", "blotter", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_init_writes_a_private_file_and_show_warns_once_it_is_readable(tmp_path):
    path = tmp_path / "blotter.toml"
    created = blotter("config", "init", "--config", str(path))
    assert created.returncode == 0, created.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    quiet = blotter("config", "show", "--config", str(path))
    assert quiet.returncode == 0 and "readable by other users" not in quiet.stderr
    for mode in (0o640, 0o604):
        path.chmod(mode)
        shown = blotter("config", "show", "--config", str(path))
        assert shown.returncode == 0
        assert "readable by other users" in shown.stderr and f"chmod 600 {path}" in shown.stderr
