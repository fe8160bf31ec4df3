"""What ships: an installed wheel carries every theme, not only the built-in desk-dark, and holds the
product only: the bench, the screenshot scenes and the build tools stay in the repository."""

import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from build_pex import build_wheel

ROOT = Path(__file__).resolve().parents[1]
THEMES = {"amber-terminal", "desk-dark", "desk-light", "high-contrast"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Built as `make dist` builds it, from a clean copy of the sources: a wheel built in the checkout
    # would also carry whatever stale files earlier builds left in ./build.
    return zipfile.ZipFile(build_wheel(tmp_path_factory.mktemp("wheel"), commit="abc1234"))


def test_the_wheel_holds_every_shipped_theme(wheel):
    names = wheel.namelist()
    shipped = {Path(n).stem for n in names if n.startswith("blotter/themes/") and n.endswith(".toml")}
    assert shipped == THEMES


def test_the_wheel_holds_the_product_only(wheel):
    names = wheel.namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"blotter"}
    tooling = [n for n in names if n.startswith(("blotter/bench", "blotter/benchmarks/", "blotter/screenshots"))]
    assert tooling == []
    assert "blotter/ui/help.md" in names and "blotter/ui/blotter.tcss" in names


def test_the_wheel_records_the_commit_it_was_built_from(wheel):
    assert "COMMIT = 'abc1234'" in wheel.read("blotter/_build_info.py").decode()


def test_the_package_finds_its_themes_without_the_source_tree():
    from blotter.ui.themes import packaged_theme_files, theme_from_file

    assert {theme_from_file(path).name for path in packaged_theme_files()} == THEMES


def _version(env=None):
    return subprocess.run([sys.executable, "-m", "blotter", "--version"], capture_output=True, text=True,
                          timeout=60, env=env)


def test_version_in_a_checkout_names_its_commit():
    result = _version()
    assert result.returncode == 0, result.stderr
    if shutil.which("git") is None:
        pytest.skip("no git here")
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    assert result.stdout == f"blotter {version('blotter')} (commit {head.stdout.strip()})\n"


def test_version_never_fails_without_git(tmp_path):
    result = _version(env={"PATH": str(tmp_path), "HOME": str(tmp_path)})  # no git on this PATH
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"blotter {re.escape(version('blotter'))} \(commit ([0-9a-f]{{7,}}|unknown)\)\n", result.stdout)
