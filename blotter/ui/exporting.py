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
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..api.models import NS_PER_SECOND
from ..core.export import build_table, render, view_items

if TYPE_CHECKING:
    from .app import BlotterApp


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


class ExportActions:
    """Mixed into `BlotterApp`."""

    def export_dir(self: BlotterApp) -> Path:  # type: ignore[misc]
        """Where `e` (CSV) and `S` (screenshot) write."""
        return self.settings.resolve_export_dir()

    def action_save_screenshot(self: BlotterApp) -> None:  # type: ignore[misc]
        directory = self.export_dir()
        try:
            path = write_new_file(directory, "screen", self.clock.now_ns(), self.export_screenshot(), "svg")
        except OSError as error:
            self.notify(f"Screenshot not saved: {error.strerror or error}: {error.filename or directory}",
                        severity="error")
            return
        self.notify(f"Screenshot saved to {path}", title="Screenshot", timeout=6)

    def action_export(self: BlotterApp) -> None:  # type: ignore[misc]
        pane = self._pane()
        store = self.stores[pane]
        items = view_items(store)
        table = build_table(pane, items, self.catalog)
        directory = self.export_dir()
        try:
            path = write_new_file(directory, pane, self.clock.now_ns(), render(table, "csv"))
        except OSError as error:
            reason = error.strerror or str(error)
            where = error.filename or directory
            self.notify(
                f"Nothing was written: {reason}: {where}. The pane is unchanged; set export_dir "
                "(TRUEX_EXPORT_DIR) to a writable directory and press e again.",
                title="Export failed", severity="error", timeout=10, markup=False,
            )
            return
        rows = f"{len(table):,} row{'s' if len(table) != 1 else ''}"
        detail = ""
        if store.filter_text:
            detail = f" (filter: {store.filter_text})"
        if pane == "trades" and store.matching > store.shown:
            detail += (
                f". The pane shows the newest {store.shown:,} of {store.matching:,}; "
                "`blotter export trades` writes them all"
            )
        # markup=False: a path or a filter may hold "[...]", which must show literally.
        self.notify(
            f"{rows} of {pane} written to {path.resolve()}{detail}", title="Exported", timeout=8, markup=False
        )
