"""Append-only audit log of every order action: JSON lines, one per event, private to the user.

Requests are logged as the model sent (no headers, so no signature, key or secret).
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "to_wire"):
        return value.to_wire()
    return str(value)


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, action: str, **fields: Any) -> dict[str, Any]:
        ns = time.time_ns()
        record = {
            "ts": datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="milliseconds"),
            "ts_ns": ns,
            "action": action,
            **{k: v for k, v in fields.items() if v is not None},
        }
        line = json.dumps(record, default=_default, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND: each line lands whole at the end; 0600: the log names orders and clients.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
        return record

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
