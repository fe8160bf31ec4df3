"""The figure record, formatting, and the machine line."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: str
    unit: str
    target: str = ""
    passed: bool | None = None  # None: no target, nothing to pass

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "MISS", None: ""}[self.passed]


def fmt(value: float, places: int = 2) -> str:
    return f"{value:,.{places}f}"


def under(name: str, value: float, unit: str, limit: float, places: int = 2) -> Figure:
    """A figure with an upper-bound target."""
    return Figure(name, fmt(value, places), unit, f"< {limit:g} {unit}", value < limit)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine_line() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        textual = version("textual")
    except Exception:  # noqa: BLE001 - the machine line must never stop the bench
        textual = "?"
    return (
        f"machine: {model}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({sys.implementation.name}), Textual {textual}, {platform.system()} {platform.release()}"
    )


def print_table(figures: list[Figure]) -> None:
    header = ("figure", "value", "unit", "target", "result")
    rows = [(f.name, f.value, f.unit, f.target, f.verdict) for f in figures]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join((r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]),
                         r[3].ljust(widths[3]), r[4])).rstrip())
