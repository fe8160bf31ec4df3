"""The executable (`make dist`): one file that runs with no package index, no install step and no
source tree, as on a desk's jump host. Built here for the running Python only (`make dist` builds
it for 3.11, 3.12 and 3.13) by the same tools/build_pex.py; needs a package index to build."""

import json
import os
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from build_info import current_commit

ROOT = Path(__file__).resolve().parents[1]
THEMES = ["amber-terminal.toml", "desk-dark.toml", "desk-light.toml", "high-contrast.toml"]
# What pip prints when no package index can be reached: such a build is skipped, except in CI.
OFFLINE = (
    "Could not find a version that satisfies", "No matching distribution found", "Failed to establish a new connection",
    "Temporary failure in name resolution", "Network is unreachable", "Max retries exceeded",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the executable, the commit it should report)."""
    output = tmp_path_factory.mktemp("dist") / "blotter.pex"
    commit = current_commit()
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_pex.py"), "--current", "--output", str(output)],
        capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0:
        log = result.stdout + result.stderr
        if not os.environ.get("CI") and any(sign in log for sign in OFFLINE):
            pytest.skip("pex could not download the blotter's dependencies: no package index reachable here")
        pytest.fail(f"tools/build_pex.py failed:\n{log[-4000:]}")
    return output, commit


class Host:
    """Runs the executable as a jump host would: copied into a folder of its own, run from another,
    with an empty HOME, a fresh PEX_ROOT, no package index and only this Python on PATH (besides the
    system's tools); nothing of the source tree or this venv is on any path."""

    def __init__(self, pex: Path, base: Path) -> None:
        self.base = base
        for name in ("home", "bin", "cwd", "install"):
            (base / name).mkdir()
        self.installed = base / "install" / "blotter.pex"
        self.installed.write_bytes(pex.read_bytes())
        self.installed.chmod(0o755)
        python = Path(os.path.realpath(sys.executable))  # the interpreter itself, not this venv's link to it
        for name in (f"python{sys.version_info.major}.{sys.version_info.minor}", "python3"):
            (base / "bin" / name).symlink_to(python)
        self.env = {
            "HOME": str(base / "home"), "PATH": f"{base / 'bin'}:/usr/bin:/bin", "PEX_ROOT": str(base / "pex-root"),
            "PIP_NO_INDEX": "1", "LANG": "C.UTF-8",
        }

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.installed), *args], cwd=self.base / "cwd", env={**self.env, **extra_env},
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def host(built, tmp_path_factory):
    return Host(built[0], tmp_path_factory.mktemp("host"))


def test_version_names_the_release_and_the_commit_it_was_built_from(built, host):
    result = host.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"blotter {version('blotter')} (commit {built[1]})\n"


def test_sim_help_runs_from_the_file_alone(host):
    result = host.run("sim", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: blotter sim")
    assert "--seed-orders" in result.stdout


def test_the_code_themes_and_help_come_from_inside_the_file_and_nothing_is_written_beside_it(host):
    probe = (
        "import json, sys, blotter\n"
        "from importlib import resources\n"
        "from blotter.ui.themes import packaged_theme_files\n"
        "print(json.dumps({'module': blotter.__file__, 'path': sys.path,\n"
        "    'themes': sorted(p.name for p in packaged_theme_files()),\n"
        "    'help': resources.files('blotter.ui').joinpath('help.md').read_text(encoding='utf-8')[:200]}))\n"
    )
    result = host.run("-c", probe, PEX_INTERPRETER="1")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["module"].startswith(str(host.base / "pex-root"))
    assert not [p for p in found["path"] if p.startswith(str(ROOT))], "the source tree leaked onto sys.path"
    assert found["themes"] == THEMES
    assert found["help"].strip()
    assert sorted(p.name for p in host.installed.parent.iterdir()) == ["blotter.pex"]
    assert list((host.base / "cwd").iterdir()) == []


def test_the_file_holds_the_runtime_dependencies_and_no_test_tools(built):
    names = {n.split("/")[1].split("-")[0].lower() for n in zipfile.ZipFile(built[0]).namelist()
             if n.startswith(".deps/") and n.count("/") >= 2}
    assert {"blotter", "textual", "httpx", "pydantic", "pydantic_core", "starlette", "uvicorn", "platformdirs"} <= names
    assert not names & {"pytest", "hypothesis", "syrupy", "pex", "pip", "setuptools"}
