"""`blotter doctor`: read-only checks of the configured account against the real exchange.

Every guess the client makes (signing, prefix, versions, paging, the trades `timestamp`, the
fields it reads, rate limits, the VWAP quote; then the WebSocket stream: its WELCOME, a no-auth
and a signed subscription) is tried once, and each check becomes one row: OK, WARN or FAIL with
what it means and what to do (SKIP when an earlier failure stops it). Nothing is ever sent that
could change an order: the doctor's transport refuses any POST, PATCH or DELETE other than
`POST markets/quote`, and the stream is only subscribed to. What it learns is saved for the
dashboard (`save_findings`, `load_findings`). Headless: no Textual.
"""

from ._findings import Findings, RateLimit, findings_path, load_findings, save_findings
from ._guard import OrderRequestRefused, ReadOnlyTransport
from ._report import CheckResult, Report, render_table, run_doctor
from ._verdicts import Result

__all__ = [
    "CheckResult",
    "Findings",
    "OrderRequestRefused",
    "RateLimit",
    "ReadOnlyTransport",
    "Report",
    "Result",
    "findings_path",
    "load_findings",
    "render_table",
    "run_doctor",
    "save_findings",
]
