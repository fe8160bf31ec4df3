"""Themes: the built-in "desk-dark", theme files (TOML) and the variables panes use.

A theme file holds the fields of `textual.theme.Theme` plus a `[variables]` table, e.g. `buy`,
`sell`, `tick-up`, `tick-down`, `stale`, `failing`, `env-prod`, `env-uat`, `env-demo`.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from textual.theme import Theme

# Fallbacks for the app's own variables: any theme (even Textual's built-ins) renders.
VARIABLE_DEFAULTS = {
    "buy": "#3fb950",
    "sell": "#f85149",
    "tick-up": "#3fb950",
    "tick-down": "#f85149",
    "stale": "#e3b341",
    "failing": "#f85149",
    "env-prod": "#b62324",
    "env-uat": "#9e6a03",
    "env-demo": "#1f6feb",
    "env-local": "#6e7681",
}

DESK_DARK = Theme(
    name="desk-dark",
    dark=True,
    primary="#3d8bfd",
    secondary="#8b9bb4",
    accent="#d29922",
    warning="#e3b341",
    error="#f85149",
    success="#3fb950",
    foreground="#d7dde8",
    background="#0d1117",
    surface="#0d1117",
    panel="#1f2630",
    variables=dict(VARIABLE_DEFAULTS),
)

BUILTIN = (DESK_DARK,)


def theme_from_file(path: Path) -> Theme:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    variables = {**VARIABLE_DEFAULTS, **data.pop("variables", {})}
    fields = {k: v for k, v in data.items() if k in Theme.__dataclass_fields__}
    return Theme(**fields, variables=variables)


def packaged_theme_files() -> list[Path]:
    """The theme files shipped inside the package (`blotter/themes`, also `themes/` in the
    repository), so an installed wheel has all of them, not only the built-in desk-dark."""
    folder = resources.files("blotter.themes")
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".toml"))
