"""Choices a trader makes inside the app (the theme, each pane's columns) that outlive the session.

Kept in the state directory, not in the config file: the app never rewrites the trader's
commented TOML. A saved theme applies only while the configured theme is still the one it was
chosen over, so editing `theme` in the profile (or passing `--theme`) wins again. A pane's columns
are the keys of the columns shown, in their order; a pane not named shows all its columns.

Change one choice with `with_theme` or `with_columns`: each keeps the other choices, so saving one
never drops another.

A dataclass read with `json`, not a pydantic model: the theme is needed for the first frame, which
is drawn before pydantic is imported.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import write_atomically


@dataclass(frozen=True)
class Preferences:
    theme: str | None = None
    configured_theme: str | None = None  # the setting in force when `theme` was chosen
    # pane name -> the keys of the columns shown, in order (never empty). Treat as read-only: a
    # changed copy comes from `with_columns`.
    columns: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> Preferences:
        """Fields of the wrong type are dropped, not fatal: a hand-edited file costs only that field
        (for the columns, only that pane's entry)."""
        if not isinstance(data, dict):
            return cls()
        values: dict[str, object] = {}
        for name in ("theme", "configured_theme"):
            value = data.get(name)
            if isinstance(value, str):
                values[name] = value
        columns = data.get("columns")
        if isinstance(columns, dict):
            values["columns"] = {
                pane: list(keys) for pane, keys in columns.items()
                if isinstance(pane, str) and isinstance(keys, list) and keys
                and all(isinstance(key, str) for key in keys)
            }
        return cls(**values)  # type: ignore[arg-type]

    def theme_for(self, configured: str) -> str:
        if self.theme and self.configured_theme == configured:
            return self.theme
        return configured

    def with_theme(self, theme: str, configured_theme: str | None) -> Preferences:
        """A copy with this theme, chosen over `configured_theme`; the columns are kept."""
        return dataclasses.replace(self, theme=theme, configured_theme=configured_theme)

    def with_columns(self, pane: str, keys: Sequence[str] | None) -> Preferences:
        """A copy with `pane` showing these columns in this order; None or an empty list: the
        pane's default (all its columns). The theme and the other panes are kept."""
        columns = {name: list(chosen) for name, chosen in self.columns.items() if name != pane}
        if keys:
            columns[pane] = list(keys)
        return dataclasses.replace(self, columns=columns)

    def columns_for(self, pane: str) -> list[str] | None:
        """The saved choice for `pane` (a copy), or None for its default."""
        keys = self.columns.get(pane)
        return list(keys) if keys else None


def load_preferences(path: Path) -> Preferences:
    """The saved preferences; a missing or unreadable file gives the defaults (never an error)."""
    try:
        return Preferences.from_json(json.loads(path.read_bytes()))
    except (OSError, ValueError):
        return Preferences()


def save_preferences(path: Path, preferences: Preferences) -> None:
    """Write atomically: a crash never leaves half a file."""
    write_atomically(path, json.dumps(dataclasses.asdict(preferences), indent=2).encode())
