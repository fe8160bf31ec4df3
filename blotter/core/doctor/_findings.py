"""What the doctor learnt about an exchange, kept for the dashboard in `state_dir()/doctor.json`.

The file holds the latest findings for each base URL and prefix checked (a desk with a UAT and a
PROD profile keeps both). It is private (mode 0600) and written whole (temp file, then rename).
A field the doctor could not establish is null: the dashboard then keeps its own default.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ...config import Settings, state_dir
from ...paths import write_atomically

__all__ = ["Findings", "RateLimit", "findings_path", "load_findings", "save_findings"]

FORMAT = 1
MAX_AGE = timedelta(days=7)
MAX_ENTRIES = 20  # distinct base URLs remembered


class RateLimit(BaseModel):
    """The `x-ratelimit-*` headers last seen."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


class Findings(BaseModel):
    checked_at: datetime
    base_url: str
    api_prefix: str
    api_version: str  # the configured one
    versions_answering: list[str] = Field(default_factory=list)
    # The v2026_01_23 paging parameter that works: "cursor", or "skip" where the cursor is ignored.
    paging: Literal["cursor", "skip"] | None = None
    orders_have_time: bool | None = None
    instruments_have_increments: bool | None = None
    # What `orders/trade?timestamp=` does: at_or_after, after, at_or_before, before or ignored.
    trades_timestamp: str | None = None
    trades_newest_first: bool | None = None
    rate_limit: RateLimit | None = None  # None: the server announced no limit
    budget_per_minute: int | None = None  # what the dashboard will keep to
    clock_offset_seconds: float | None = None  # the server's clock minus this machine's
    health: str | None = None  # healthy / degraded
    vwap_shape: str | None = None  # v1.0.4 / v1.0.3
    results: dict[str, str] = Field(default_factory=dict)  # check id -> OK/WARN/FAIL/SKIP

    def is_for(self, settings: Settings) -> bool:
        return self.base_url == settings.base_url and self.api_prefix == settings.api_prefix


class _File(BaseModel):
    format: int = FORMAT
    findings: list[Findings] = Field(default_factory=list)


def findings_path() -> Path:
    return state_dir() / "doctor.json"


def _read(path: Path) -> _File:
    try:
        stored = _File.model_validate_json(path.read_bytes())
    except (OSError, ValueError, ValidationError):
        return _File()
    return stored if stored.format == FORMAT else _File()


def load_findings(
    settings: Settings, *, path: Path | None = None, now: datetime | None = None, max_age: timedelta = MAX_AGE
) -> Findings | None:
    """The findings for the configured base URL and prefix, if the doctor ran on them within
    `max_age`; None otherwise (never run, another host, too old, or an unreadable file)."""
    now = now or datetime.now(UTC)
    for findings in _read(path or findings_path()).findings:
        if findings.is_for(settings):
            age = now - findings.checked_at
            return findings if timedelta(0) <= age <= max_age else None
    return None


def save_findings(findings: Findings, *, path: Path | None = None) -> Path:
    """Replace the entry for the same base URL and prefix, keep the others; atomic, mode 0600."""
    path = path or findings_path()
    stored = _read(path)
    others = [f for f in stored.findings if (f.base_url, f.api_prefix) != (findings.base_url, findings.api_prefix)]
    stored.findings = [findings, *others][:MAX_ENTRIES]
    write_atomically(path, json.dumps(stored.model_dump(mode="json"), indent=2).encode())
    return path
