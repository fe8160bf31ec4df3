"""Start the dashboard from the command line. Imports Textual only after the colour mode is set."""

from __future__ import annotations

import gc
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
    """The first frame goes up as soon as Textual is imported. The settings (pydantic), the client and
    everything that needs the HTTP stack are made by `connect` while that frame is on screen; the
    demo's exchange starts first, in its own process, and comes up meanwhile. A settings error ends
    the app and is raised here, once the terminal is restored (one line on stderr, exit 2).

    The cycle collector is off until the dashboard has started (`on_started`): the start makes a few
    hundred thousand objects that live all day (modules, classes, models, the screen), and walking
    them again and again on the way to the first data was about a tenth of it."""
    apply_color_mode(getattr(args, "color", "auto"))
    server = None
    if getattr(args, "demo", False):
        from ..demo import spawn_demo_server

        server = spawn_demo_server(getattr(args, "seed", 7), wire=getattr(args, "wire", None) or "sim")

    def connect() -> tuple[Any, Any]:
        settings = settings_factory(args)
        tell = app.startup_warnings.append  # shown once this has returned
        from ..api import RequestBudget

        # One budget paces every request of the dashboard (the server's announced limit when it has one).
        budget = RequestBudget(settings.max_requests_per_minute)
        warning = permission_warning(config_path(getattr(args, "config", None)))
        if warning:
            tell(warning)
        if server is not None:
            from ..demo import demo_client, demo_organization

            # The demo's exchange streams too: its organization, unless the trader set one.
            settings = settings.model_copy(update={"organization_id": settings.organization_id or demo_organization()})
            return settings, demo_client(server, budget=budget)
        credentials = settings.credentials()  # a ConfigError: the app ends, and cli prints it
        from ..core.doctor import load_findings

        findings = load_findings(settings)  # what `blotter doctor` learned of this host, if it ran
        if findings is not None and findings.rate_limit is not None and findings.rate_limit.limit:
            budget.observe({"x-ratelimit-limit": str(findings.rate_limit.limit)}, 200)  # paced from the start
        if findings is None:
            tell("First time on this host? `blotter doctor` checks the account and tunes the dashboard.")
        elif "FAIL" in findings.results.values():
            tell("The last `blotter doctor` on this host found problems: run it again.")
        paging = findings.paging if findings is not None and findings.paging else "cursor"
        return settings, settings.client(credentials, budget=budget, paging=paging)

    gc.disable()
    try:
        from ..paths import config_path, permission_warning, state_dir
        from .app import BlotterApp

        app = BlotterApp(
            connect=connect, environment="DEMO" if server is not None else None, theme=getattr(args, "theme", None),
            handle_signals=True, preferences_path=state_dir() / "preferences.json", streaming=True,
            on_started=gc.enable,
        )
        app.run()
        error = app.startup_error
        if error is not None:
            from ..api import TrueXError

            if isinstance(error, TrueXError):
                raise error  # cli prints it as it prints every TrueX error
            print(f"blotter: {error}", file=sys.stderr)
            return 1
        return app.return_code or 0
    finally:
        gc.enable()
        if server is not None:
            server.stop()
