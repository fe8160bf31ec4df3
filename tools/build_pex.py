"""Build `dist/blotter.pex` (`make dist`): one executable file holding the blotter and every
dependency it runs with, for CPython 3.11, 3.12 and 3.13 on Linux x86_64. Needs a package index
(PyPI) at build time; the file itself needs none.

    python tools/build_pex.py                         # dist/blotter.pex, for all three Pythons
    python tools/build_pex.py --current -o X.pex      # for the running Python only (tests/test_dist.py)

The blotter wheel is built from a clean copy of the sources, which also receives the commit for
`blotter --version` (`_build_info.py`): building in the checkout would let setuptools add stale files
left in ./build by earlier builds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from build_info import current_commit, write_build_info

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.11", "3.12", "3.13")
INTERPRETERS = "CPython>=3.11,<3.14"  # the same three, for choosing one on the host
PIP = "26.2.1"
# manylinux2014 is glibc 2.17: the compiled wheels (pydantic-core) chosen run on old jump hosts too.
PLATFORM = "manylinux2014_x86_64-cp-{0}-cp{0}"


def copy_sources(dest: Path) -> Path:
    """What the wheel is built from: pyproject.toml, README.md (its long description) and blotter/."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "blotter", dest / "blotter",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_build_info.py"))
    return dest


def build_wheel(workdir: Path, commit: str) -> Path:
    """The blotter's own wheel (no dependencies), with `commit` recorded in it."""
    source = copy_sources(workdir / "src")
    write_build_info(source / "blotter", commit)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", str(source), "-w", str(workdir / "wheels")],
        check=True,
    )
    (wheel,) = (workdir / "wheels").glob("blotter-*.whl")
    return wheel


def pex_command(wheel: Path, output: Path, *, current: bool) -> list[str]:
    if current:
        # No interpreter constraint here: pex would resolve once more for every match on PATH.
        targets = ["--python", sys.executable]
    else:
        targets = ["--interpreter-constraint", INTERPRETERS]
        for version in PYTHONS:
            targets += ["--platform", PLATFORM.format(version.replace(".", ""))]
    return [
        sys.executable, "-m", "pex", str(wheel),
        # The same pins as `make`; only what the blotter needs goes in (no test tools).
        "--constraints", str(ROOT / "requirements.lock"),
        # A current pip resolves in half the time of the one pex vendors, and yields the same file.
        "--pip-version", PIP,
        "--console-script", "blotter",
        # Run from a venv that pex lays out under PEX_ROOT (~/.cache/pex) on first start:
        # `blotter --demo` starts its simulator as `sys.executable -m blotter sim`, which needs an
        # interpreter that sees the blotter; later starts skip pex's own boot.
        "--venv",
        # /bin/sh finds a python3.11, 3.12 or 3.13 on PATH, whatever `python3` is there.
        "--sh-boot",
        *targets,
        "--output-file", str(output),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/build_pex.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "dist" / "blotter.pex", help="the file to write")
    parser.add_argument("--current", action="store_true",
                        help="only for the running Python (fast; for tests), not for 3.11, 3.12 and 3.13")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    output = args.output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    commit = current_commit()
    with tempfile.TemporaryDirectory(prefix="blotter-pex-") as workdir:
        wheel = build_wheel(Path(workdir), commit)
        subprocess.run(pex_command(wheel, output, current=args.current), check=True)
    size = output.stat().st_size / 1e6
    print(f"{output}: {size:.1f} MB, commit {commit}, built in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
