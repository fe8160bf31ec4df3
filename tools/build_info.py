"""Record the commit a build is made from in `blotter/_build_info.py` (git-ignored), for
`blotter --version` where no git checkout is at hand: the executable, or a machine without git.

    python tools/build_info.py [PACKAGE_DIR]      # `make` runs it for the editable install
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def current_commit() -> str:
    """`git rev-parse --short HEAD` of this checkout, or "unknown" (no git, or not a checkout)."""
    try:
        result = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "unknown"


def write_build_info(package: Path, commit: str) -> Path:
    path = package / "_build_info.py"
    text = f'"""Written by tools/build_info.py at build time; not in git."""\n\nCOMMIT = {commit!r}\n'
    # Left alone when unchanged, so that make's timestamps stay still.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


if __name__ == "__main__":
    print(write_build_info(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "blotter", current_commit()))
