"""The README stays true: it lists every key binding, and every picture it embeds exists."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from blotter.ui.app import BlotterApp
from blotter.ui.main_screen import MainScreen
from blotter.ui.widgets.live_table import LiveTable

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_lists_every_binding_id():
    ids = [b.id for b in BlotterApp.BINDINGS + MainScreen.BINDINGS if b.id]
    missing = [i for i in ids if f"`{i}`" not in README and i not in README]
    assert not missing, f"README's key table lacks: {missing}"
    assert all(b.id.startswith("table.") for b in LiveTable.BINDINGS) and "`table.*`" in README


def test_readme_pictures_exist():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert "screenshots/main.svg" in pictures
    assert [p for p in pictures if not (ROOT / p).is_file()] == []


@pytest.mark.parametrize(
    "argv",
    [[], ["sim"], ["call"], ["export"], ["doctor"], ["config"], ["config", "show"], ["config", "init"]],
)
def test_every_command_has_help_with_a_description(argv):
    result = subprocess.run(
        [sys.executable, "-m", "blotter", *argv, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    usage, _, rest = result.stdout.partition("\n\n")
    assert usage.startswith("usage: blotter")
    description = rest.split("\n\n")[0]
    assert not description.startswith(("options:", "positional arguments:")), f"{argv}: no description"
