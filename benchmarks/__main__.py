"""`make bench` (`python -m benchmarks`, from the repository root): measures start-up, CPU, poll
cost, terminal output, memory and client speed on this machine and prints one table of figures with
their targets. Never part of `make test`, and not shipped: the wheel holds the blotter only.

The measurements live beside this file (one module per figure); the ones involving a terminal run
the real program under a pseudo-terminal of 120x40, TERM=xterm-256color.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from . import client, cpu, memory, poll_cost, soak_memory, startup, streaming, terminal_bytes
from .common import Figure, machine_line, print_table


BENCHES: dict[str, tuple[Callable[[bool], list[Figure]], str]] = {
    "startup": (startup.run, "1. spawn to first painted data, blotter --demo vs a minimal Textual app"),
    "cpu": (cpu.run, "2. CPU over 60 s (30 s quick), 200 active orders, busy and paused"),
    "poll": (poll_cost.run, "3. cost of one orders poll, 500 and 5,000 orders with 1% changed"),
    "bytes": (terminal_bytes.run, "4. terminal bytes/s, one changed cell/s and idle, 120x40"),
    "memory": (memory.run, "5. RSS and backfill time with 100,000 trades"),
    "client": (client.run, "6. signing cost and client requests/s on loopback"),
    "soak": (soak_memory.run, "7. RSS growth over 20 minutes (5 quick) of real demo churn"),
    "streaming": (streaming.run, "8. WebSocket stream vs REST polling: fill latency, CPU and REST requests/min"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        epilog="figures:\n" + "\n".join(f"  {name:<8} {text}" for name, (_, text) in BENCHES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="shorter windows and fewer repeats (about half the time)")
    parser.add_argument("--only", action="append", choices=list(BENCHES), metavar="NAME",
                        help="run only this figure (repeatable): " + ", ".join(BENCHES))
    return parser


def _load() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = args.only or list(BENCHES)
    load_before = _load()
    started = time.perf_counter()
    figures: list[Figure] = []
    failed = []
    for name in names:
        run, text = BENCHES[name]
        print(f"running {name}: {text} ...", file=sys.stderr, flush=True)
        try:
            figures.extend(run(args.quick))
        except Exception as error:  # noqa: BLE001 - one broken figure must not lose the others
            failed.append(name)
            figures.append(Figure(f"{name}: FAILED ({type(error).__name__}: {error})"[:110], "-", "", "", False))
    print()
    print_table(figures)
    print()
    print(machine_line())
    print(f"load average before/after: {load_before} / {_load()}; bench took {time.perf_counter() - started:.0f} s"
          + (" (--quick)" if args.quick else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
