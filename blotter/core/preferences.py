"""Choices a trader makes inside the app (today: the theme) that outlive the session.

Kept in the state directory, not in the config file: the app never rewrites the trader's
commented TOML. A saved theme applies only while the configured theme is still the one it was
chosen over, so editing `theme` in the profile (or passing `--theme`) wins again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ValidationError


class Preferences(BaseModel):
    theme: str | None = None
    configured_theme: str | None = None  # the setting in force when `theme` was chosen

    def theme_for(self, configured: str) -> str:
        if self.theme and self.configured_theme == configured:
            return self.theme
        return configured


def load_preferences(path: Path) -> Preferences:
    """The saved preferences; a missing or unreadable file gives the defaults (never an error)."""
    try:
        return Preferences.model_validate_json(path.read_bytes())
    except (OSError, ValueError, ValidationError):
        return Preferences()


def save_preferences(path: Path, preferences: Preferences) -> None:
    """Write atomically (temp file + rename): a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(preferences.model_dump(), indent=2).encode()
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".preferences-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
