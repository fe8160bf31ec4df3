"""`e`: export the focused pane, as filtered and sorted on screen, to a CSV file; `S`: a screenshot.

The rows are the pane store's models in its view order, encoded by `core.export` (the same code
as `blotter export`), so amounts keep full wire precision. Both go to `settings.export_dir`
(default: the user's downloads directory, else `<state dir>/exports`; never the working
directory, which under `make demo` is the source tree), named `blotter-<what>-<UTC
yyyymmdd-HHMMSS>.<csv|svg>`, private to the user (mode 0600), and never overwrite a file.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..api.models import NS_PER_SECOND
from ..core.export import build_table, render, view_items


def export_path(directory: Path, what: str, now_ns: int, attempt: int = 0, extension: str = "csv") -> Path:
    stamp = datetime.fromtimestamp(now_ns // NS_PER_SECOND, tz=UTC).strftime("%Y%m%d-%H%M%S")
    suffix = f"-{attempt + 1}" if attempt else ""
    return directory / f"blotter-{what}-{stamp}{suffix}.{extension}"


def write_new_file(directory: Path, what: str, now_ns: int, text: str, extension: str = "csv") -> Path:
    """Write `text` to a new file (never replacing one: `-2`, `-3`, ... on a name clash); a failed
    write leaves no partial file behind."""
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    for attempt in range(1000):
        path = export_path(directory, what, now_ns, attempt, extension)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)
        return path
    raise FileExistsError(f"too many exports named {export_path(directory, what, now_ns, 0, extension)} already")


@dataclass(frozen=True)
class Told:
    """What to tell the trader about a file written (or not)."""

    message: str
    title: str
    severity: str = "information"
    timeout: float = 8


class Exporter:
    """`e` and `S`: files in the export directory. Given where to write and the time; returns what
    to say, so it is testable without the app."""

    def __init__(self, directory: Callable[[], Path], now_ns: Callable[[], int]) -> None:
        self.directory = directory
        self.now_ns = now_ns

    def export_pane(self, pane: str, store: Any, catalog: Any, kind: str | None = None) -> Told:
        """The pane as shown (filtered, sorted) to CSV; `kind` is what its rows are (the done view
        of the orders pane holds orders), the pane's name by default."""
        table = build_table(kind or pane, view_items(store), catalog)
        directory = self.directory()
        try:
            path = write_new_file(directory, pane, self.now_ns(), render(table, "csv"))
        except OSError as error:
            reason = error.strerror or str(error)
            return Told(
                f"Nothing was written: {reason}: {error.filename or directory}. The pane is unchanged; set "
                "export_dir (TRUEX_EXPORT_DIR) to a writable directory and press e again.",
                "Export failed", "error", 10,
            )
        rows = f"{len(table):,} row{'s' if len(table) != 1 else ''}"
        detail = f" (filter: {store.filter_text})" if store.filter_text else ""
        if pane == "trades" and store.matching > store.shown:
            detail += (
                f". The pane shows the newest {store.shown:,} of {store.matching:,}; "
                "`blotter export trades` writes them all"
            )
        return Told(f"{rows} of {pane} written to {path.resolve()}{detail}", "Exported")

    def save_svg(self, svg: str) -> Told:
        directory = self.directory()
        try:
            path = write_new_file(directory, "screen", self.now_ns(), svg, "svg")
        except OSError as error:
            return Told(f"Screenshot not saved: {error.strerror or error}: {error.filename or directory}",
                        "Screenshot", "error")
        return Told(f"Screenshot saved to {path}", "Screenshot", timeout=6)
