"""Figure 1: process start to first painted data, the demo against a minimal Textual app."""

from __future__ import annotations

from pathlib import Path

from .common import Figure, fmt, median
from .procs import BLOTTER, PYTHON, PtyProcess

MINIMAL_APP = str(Path(__file__).with_name("minimal_app.py"))
# Only a data row paints a symbol: the quotes and orders panes are empty until their first poll.
DATA_MARKER = "BTC-PYUSD"
FRAME_MARKER = "Active orders"  # a pane title: the first frame, before any data


def run(quick: bool = False, repeats: int = 3) -> list[Figure]:
    frame, data, minimal = [], [], []
    for _ in range(repeats):
        with PtyProcess([*BLOTTER, "--demo"]) as app:
            frame.append(app.wait_for(FRAME_MARKER))
            data.append(app.wait_for(DATA_MARKER))
            app.quit()
        with PtyProcess([PYTHON, MINIMAL_APP]) as baseline:
            minimal.append(baseline.wait_for("MINIMAL-READY"))
            baseline.quit()
    ratio = median(data) / median(minimal)
    note = f"median of {repeats}"
    return [
        Figure("start: minimal Textual app, spawn to first paint", fmt(median(minimal) * 1000, 0), "ms", note),
        Figure("start: blotter --demo, spawn to first frame", fmt(median(frame) * 1000, 0), "ms", note),
        Figure(f"start: blotter --demo, spawn to first data ({DATA_MARKER})", fmt(median(data) * 1000, 0), "ms", note),
        Figure("start: first data / minimal app", fmt(ratio, 1), "x", "comparison"),
    ]
