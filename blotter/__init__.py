"""A full-screen terminal order blotter for TrueX desk traders."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def build_commit() -> str:
    """The commit this copy runs from: git's answer in a checkout (an editable install), else the one
    recorded at build time in `_build_info.py` (written by `make` and `make dist`), else "unknown"."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / ".git").exists():
        import subprocess

        try:
            result = subprocess.run(
                ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                capture_output=True, text=True, timeout=10,
            )
            if result.returncode == 0 and result.stdout.strip():
                return result.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass  # no git on this machine: the recorded commit is the next best
    try:
        from ._build_info import COMMIT
    except ImportError:
        return "unknown"
    return COMMIT


def version_text() -> str:
    """`blotter 0.1.0 (commit 4373175)`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("blotter")
    except PackageNotFoundError:  # run from sources that were never installed
        number = "unknown"
    return f"blotter {number} (commit {build_commit()})"


class VersionAction(argparse.Action):
    """`--version`, worked out only when asked for: starting the blotter never waits on git."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        kwargs.setdefault("default", argparse.SUPPRESS)
        super().__init__(option_strings, dest=dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: Any = None) -> None:
        print(version_text())
        parser.exit()
