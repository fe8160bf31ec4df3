"""Running every check, and the report: a table for a terminal, JSON for scripts, findings for the dashboard."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ...config import Settings
from ._checks import CHECKS, CheckFunction
from ._findings import Findings, RateLimit
from ._probe import CHECK_TIMEOUT, Probe
from ._stream_checks import STREAM_CHECKS
from ._verdicts import Result

__all__ = ["CheckResult", "Report", "render_table", "run_doctor"]


@dataclass
class CheckResult:
    id: str  # stable machine name, e.g. "clock"
    check: str  # its title, e.g. "Clock offset"
    result: Result
    meaning: str
    action: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "check": self.check, "result": self.result.value, "meaning": self.meaning,
                "action": self.action, "facts": self.facts}


@dataclass
class Report:
    base_url: str
    api_prefix: str
    api_version: str
    user_id: str
    results: list[CheckResult]
    findings: Findings
    requests: int  # sent by this run, none of them order-changing

    @property
    def exit_code(self) -> int:
        return 1 if any(r.result is Result.FAIL for r in self.results) else 0

    def to_json(self) -> str:
        return json.dumps([r.to_dict() for r in self.results], indent=2, default=str)


async def run_doctor(
    settings: Settings,
    *,
    timeout: float = CHECK_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
    checks: tuple[tuple[str, str, CheckFunction], ...] | None = None,
) -> Report:
    """Every check against the configured account, one after the other, read-only: the REST ones,
    then the WebSocket stream's. Raises `ConfigError` (before any request) when credentials are
    missing. `transport` replaces the REST network (tests); the read-only guard stays in front of
    it. The stream checks need a real network (loopback will do): without `checks` they run only
    when `transport` is None."""
    if checks is None:
        checks = CHECKS + STREAM_CHECKS if transport is None else CHECKS
    probe = Probe(settings, settings.credentials(), transport=transport, timeout=timeout)
    results = []
    try:
        for check_id, title, check in checks:
            outcome = await probe.run(check)
            results.append(CheckResult(check_id, title, outcome.result, outcome.meaning, outcome.action,
                                       outcome.facts))
    finally:
        await probe.aclose()
    findings = Findings(
        checked_at=datetime.now(UTC),
        base_url=settings.base_url,
        api_prefix=settings.api_prefix,
        api_version=settings.api_version,
        rate_limit=RateLimit(**probe.learnt.pop("rate_limit")) if "rate_limit" in probe.learnt else None,
        results={r.id: r.result.value for r in results},
        **probe.learnt,
    )
    return Report(probe.base_url, probe.prefix, settings.api_version, settings.user_id or "", results, findings,
                  len(probe.log))


# --- the table ----------------------------------------------------------------------------------

GAP = "  "
RESULT_WIDTH = 6  # "RESULT"
MIN_TEXT = 30
TO_DO = "To do: "


def render_table(report: Report, width: int = 80) -> str:
    """The report as a table that fits `width` columns: check, result, then what it means with
    what to do beneath it ("To do:"), wrapped. Plain text: it reads the same in a log or a pipe."""
    name_width = max(len(r.check) for r in report.results) if report.results else 5
    number_width = len(str(len(report.results)))
    lead = number_width + len(GAP) + name_width + len(GAP) + RESULT_WIDTH + len(GAP)
    text_width = max(MIN_TEXT, width - lead)
    out = [
        *textwrap.wrap(f"blotter doctor: {report.base_url} (prefix {report.api_prefix or 'none'}), API "
                       f"{report.api_version}, user {report.user_id}", width),
        "",
        f"{'#':>{number_width}}{GAP}{'CHECK':<{name_width}}{GAP}{'RESULT':<{RESULT_WIDTH}}{GAP}WHAT IT MEANS / "
        "WHAT TO DO",
    ]
    for number, row in enumerate(report.results, 1):
        lines = _cell(row, text_width)
        head = f"{number:>{number_width}}{GAP}{row.check:<{name_width}}{GAP}{row.result.value:<{RESULT_WIDTH}}{GAP}"
        out.append("")
        out.append(head + lines[0])
        out.extend(" " * lead + line for line in lines[1:])
    counts = Counter(r.result for r in report.results)
    out += ["", *textwrap.wrap(
        f"{len(report.results)} checks: {counts[Result.OK]} OK, {counts[Result.WARN]} WARN, {counts[Result.FAIL]} "
        f"FAIL, {counts[Result.SKIP]} skipped. {report.requests} request{'s' if report.requests != 1 else ''} sent, "
        "none of them order-changing.", width,
        break_on_hyphens=False)]
    return "\n".join(out)


def _cell(row: CheckResult, width: int) -> list[str]:
    lines = _wrap(row.meaning, width)
    if row.action:
        first, *rest = row.action.splitlines()
        lines += _wrap(TO_DO + first, width, indent=" " * len(TO_DO))
        for line in rest:  # e.g. the bullets of the 401 help, lined up under the first line's text
            bullet = line[: len(line) - len(line.lstrip(" -"))]
            lines += _wrap(" " * len(TO_DO) + line, width, indent=" " * (len(TO_DO) + len(bullet)))
    return lines


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False) or [""]
