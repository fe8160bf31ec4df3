"""Where blotter keeps its files: the config file, and the state directory (audit log, preferences,
`blotter doctor`'s findings, exports). Light on purpose: the dashboard needs these before its first
frame, before pydantic is imported.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "config_path", "default_config_path", "permission_warning", "state_dir", "write_atomically"]

APP_NAME = "blotter"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def config_path(explicit: Path | None = None) -> Path:
    """The config file in use: `--config`, else $BLOTTER_CONFIG, else the platform's config directory."""
    if explicit:
        return explicit
    from_env = os.environ.get("BLOTTER_CONFIG")  # empty counts as unset, like TRUEX_*
    return Path(from_env).expanduser() if from_env else default_config_path()


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


def permission_warning(path: Path) -> str | None:
    """A warning when the config file can be read by other users (it names keys and commands)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return f"{path} is readable by other users; run: chmod 600 {path}"
    return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write a private file (0600) whole or not at all: a temp file beside it, flushed to disk, then
    renamed over it, so a crash never leaves half a file. Raises `OSError`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
