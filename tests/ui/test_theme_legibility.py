"""Every shipped theme stays legible when the terminal has only 256 or 16 colours.

Each pair the panes use (text, sides, ticks, header, cursor, stale/failing status) is downgraded the
way Rich does for that depth and measured with the WCAG contrast ratio. The 16-colour check uses
Rich's reference palette: real terminals vary, so it asks for distinct colours and a modest ratio.
"""

import pytest
from rich.color import Color, ColorSystem
from rich.terminal_theme import DEFAULT_TERMINAL_THEME

from blotter.ui.themes import VARIABLE_DEFAULTS, packaged_theme_files, theme_from_file

THEMES = {path.stem: theme_from_file(path) for path in packaged_theme_files()}
DEPTHS = {"truecolor": (None, 3.0), "256": (ColorSystem.EIGHT_BIT, 3.0), "16": (ColorSystem.STANDARD, 2.0)}


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    rgb = color.get_truecolor(DEFAULT_TERMINAL_THEME)
    return 0.2126 * channel(rgb.red) + 0.7152 * channel(rgb.green) + 0.0722 * channel(rgb.blue)


def _ratio(a: Color, b: Color) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _pairs(theme):
    v = {**VARIABLE_DEFAULTS, **theme.variables}
    return {
        "text": (theme.foreground, theme.background),
        "buy": (v["buy"], theme.surface),
        "sell": (v["sell"], theme.surface),
        "tick-up": (v["tick-up"], theme.surface),
        "tick-down": (v["tick-down"], theme.surface),
        "header": (theme.secondary, theme.surface),
        "cursor": (theme.background, theme.primary),
        "stale": (v["stale"], theme.panel),
        "failing": (v["failing"], theme.panel),
    }


def test_four_themes_ship():
    assert {"desk-dark", "desk-light", "amber-terminal", "high-contrast"} <= set(THEMES)


@pytest.mark.parametrize("depth", list(DEPTHS))
@pytest.mark.parametrize("name", sorted(THEMES))
def test_theme_pairs_stay_legible(name, depth):
    system, minimum = DEPTHS[depth]
    poor = []
    for what, (fg, bg) in _pairs(THEMES[name]).items():
        fore, back = Color.parse(fg), Color.parse(bg)
        if system is not None:
            fore, back = fore.downgrade(system), back.downgrade(system)
            if fore.number == back.number:
                poor.append(f"{what}: same colour")
                continue
        ratio = _ratio(fore, back)
        if ratio < minimum:
            poor.append(f"{what}: {ratio:.1f}")
    assert not poor, f"{name} at {depth} colours: {poor}"
