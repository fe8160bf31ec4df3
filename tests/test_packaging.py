"""What ships: an installed wheel carries every theme, not only the built-in desk-dark."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THEMES = {"amber-terminal", "desk-dark", "desk-light", "high-contrast"}


def test_the_wheel_holds_every_shipped_theme(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", str(ROOT),
         "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("blotter-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).stem for n in names if n.startswith("blotter/themes/") and n.endswith(".toml")}
    assert shipped == THEMES


def test_the_package_finds_its_themes_without_the_source_tree():
    from blotter.ui.themes import packaged_theme_files, theme_from_file

    assert {theme_from_file(path).name for path in packaged_theme_files()} == THEMES
