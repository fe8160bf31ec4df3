"""Start the dashboard from the command line. Imports Textual only after the colour mode is set."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

# --color value -> TEXTUAL_COLOR_SYSTEM (Textual reads it once, when textual.constants is imported)
COLOR_SYSTEMS = {"truecolor": "truecolor", "256": "256", "16": "standard"}


def apply_color_mode(mode: str | None, environ: MutableMapping[str, str] = os.environ) -> None:
    """`mono` sets NO_COLOR (Textual then renders monochrome); a depth sets TEXTUAL_COLOR_SYSTEM.
    `auto` leaves detection to Textual, which honours a NO_COLOR already in the environment."""
    if mode == "mono":
        environ["NO_COLOR"] = "1"
        return
    system = COLOR_SYSTEMS.get(mode or "auto")
    if system is None:
        return
    environ["TEXTUAL_COLOR_SYSTEM"] = system
    constants = sys.modules.get("textual.constants")
    if constants is not None and environ is os.environ:  # already imported (e.g. in tests): keep it consistent
        constants.COLOR_SYSTEM = system  # type: ignore[misc]


def run_dashboard(args: Any, settings_factory: Callable[[Any], Any]) -> int:
    apply_color_mode(getattr(args, "color", "auto"))
    settings = settings_factory(args)
    server = None
    from ..api import RequestBudget

    notes: list[str] = []
    # One budget paces every request of the dashboard (the server's announced limit when it has one).
    budget = RequestBudget(settings.max_requests_per_minute)
    if getattr(args, "demo", False):
        from ..demo import demo_client, spawn_demo_server

        server = spawn_demo_server(getattr(args, "seed", 7), wire=getattr(args, "wire", None) or "sim")
        client = demo_client(server, budget=budget)
        environment = "DEMO"
    else:
        from ..core.doctor import load_findings

        credentials = settings.credentials()  # a ConfigError here is one line on stderr, exit 2
        findings = load_findings(settings)  # what `blotter doctor` learned of this host, if it ran
        if findings is not None and findings.rate_limit is not None and findings.rate_limit.limit:
            budget.observe({"x-ratelimit-limit": str(findings.rate_limit.limit)}, 200)  # paced from the start
        client = settings.client(
            credentials, budget=budget, paging=findings.paging if findings is not None and findings.paging else "cursor",
        )
        environment = None
        if findings is None:
            notes.append("First time on this host? `blotter doctor` checks the account and tunes the dashboard.")
        elif "FAIL" in findings.results.values():
            notes.append("The last `blotter doctor` on this host found problems: run it again.")
    try:
        from .app import create_app

        from ..config import config_path, permission_warning, state_dir

        app = create_app(
            client, settings, environment=environment, handle_signals=True,
            preferences_path=state_dir() / "preferences.json",
        )
        warning = permission_warning(config_path(getattr(args, "config", None)))
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
            app.startup_warnings.append(warning)
        app.startup_warnings.extend(notes)
        flag_theme = getattr(args, "theme", None)
        if flag_theme and flag_theme in app.available_themes:
            app.theme = flag_theme  # a flag beats the choice remembered from the last session
        app.run()
        return app.return_code or 0
    finally:
        if server is not None:
            server.stop()
