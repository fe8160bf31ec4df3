"""Command line: the dashboard (default), `sim`, `call`, `config` and `export`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .api._defaults import NS_PER_DAY
from .api._errors import ApiError, ConfigError, TrueXError

if TYPE_CHECKING:
    from .config import Settings

COLOR_MODES = ("auto", "truecolor", "256", "16", "mono")


def _common(parser: argparse.ArgumentParser, *, subcommand: bool = True) -> None:
    """Options accepted before or after the command. A subcommand's copy has no default, so
    `blotter --config X config init` keeps the X given before the command."""
    default = argparse.SUPPRESS if subcommand else None
    parser.add_argument("--profile", default=default, help="profile name in the config file")
    parser.add_argument(
        "--config", type=Path, default=default, help="config file (default: $BLOTTER_CONFIG, else the platform's "
        "config directory)"
    )
    parser.add_argument(
        "--base-url", default=default, help="API host, e.g. https://prod.truex.co; a trailing /api/v1 or /v1/cefi is "
        "taken as the API prefix (env TRUEX_BASE_URL)"
    )
    parser.add_argument(
        "--api-prefix", default=default, help="path prefix that is signed, e.g. /api/v1 (env TRUEX_API_PREFIX)"
    )
    parser.add_argument(
        "--api-version", default=default, help="X-Truex-Version: v2026_01_23 or v2024_01_01 (env TRUEX_API_VERSION)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blotter",
        description="Terminal order blotter for TrueX. With no command, runs the dashboard.",
    )
    _common(parser, subcommand=False)
    parser.add_argument("--demo", action="store_true", help="run against an embedded simulated exchange")
    parser.add_argument("--seed", type=int, default=7, help="market seed for --demo (default 7)")
    parser.add_argument(
        "--wire", choices=("sim", "real"), default=None,
        help="for --demo: the simulator's wire dialect, sim (default) or real (what the real exchange may send)",
    )
    parser.add_argument("--color", choices=COLOR_MODES, default="auto", help="colour depth (NO_COLOR is honoured)")
    parser.add_argument("--theme", help="theme name (see the command palette)")
    from . import VersionAction

    parser.add_argument("--version", action=VersionAction, help="print the version and the commit it was built from")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = sub.add_parser(
        "sim",
        help="serve the simulated exchange on loopback",
        description="Serve a seeded, simulated TrueX exchange that speaks the real API (both versions, "
        "HMAC signing, problem+json errors). Prints its base URL and the credentials it accepts.",
        epilog="Faults can be switched at run time: PUT /_sim/faults with JSON such as "
        '{"status": 503, "paths": ["/markets/quote"]}, {"rate_limit": 5}, {"drop_connection": true}, '
        '{"clock_skew_seconds": 20}, {"rate_limit_per_minute": 100, "rate_limit_window_seconds": 60}, '
        '{"health": "degraded"}; DELETE /_sim/faults clears them; GET shows them.',
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    sim.add_argument("--seed", type=int, default=7, help="market seed: the same seed gives the same market")
    sim.add_argument("--user-id", help="client id the simulator accepts (default: the demo id)")
    sim.add_argument("--key", help="HMAC key UUID the simulator accepts (default: the demo key)")
    sim.add_argument("--secret", help="HMAC secret the simulator accepts (default: the demo secret)")
    sim.add_argument("--seed-orders", type=int, default=10, help="resting orders to place at start (default 10)")
    sim.add_argument("--seed-trades", type=int, default=100, help="historical fills to create at start (default 100)")
    sim.add_argument(
        "--demo-flow", action=argparse.BooleanOptionalAction, default=True,
        help="let another 'application' of the demo client place and cancel orders (default on)",
    )
    sim.add_argument(
        "--tick", action=argparse.BooleanOptionalAction, default=True,
        help="move the market every half second (default on); --no-tick keeps it still, e.g. for tests",
    )
    sim.add_argument("--latency-ms", type=int, default=0, help="fault: added latency per request")
    sim.add_argument("--error-rate", type=float, default=0.0, help="fault: fraction of requests answered 500")
    sim.add_argument("--clock-skew", type=float, default=0.0, help="fault: server clock offset in seconds")
    sim.add_argument(
        "--exit-with-parent", action="store_true",
        help="stop when the process that started this one ends (used by blotter --demo)",
    )
    sim.add_argument("--lenient-userid", action="store_true", help="also accept x-truex-auth-user-id")
    sim.add_argument(
        "--wire", choices=("sim", "real"), default="sim",
        help="wire dialect: sim (the simulator's own, default) or real (what the real exchange may send: "
        "no order times, empty strings, book sentinels, self-matches, cursor ignored, degraded health)",
    )
    sim.add_argument(
        "--rate-limit", type=int, metavar="N",
        help="fault: allow N requests a minute, with x-ratelimit-* headers and 429 past the limit",
    )

    call = sub.add_parser(
        "call",
        help="send one signed request and print the JSON response",
        description="Send one request signed with the configured credentials and print the JSON "
        "response. On an HTTP error, print the problem details to stderr and exit 1.",
        epilog="examples:\n  blotter call GET /api/v1/orders/active\n"
        "  blotter call GET /api/v1/instruments -q symbol=BTC\n"
        "  blotter call POST /api/v1/markets/quote --body '{\"instrument_id\": \"...\", \"qty\": \"10000\"}'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(call)
    call.add_argument("method", help="GET, POST, PATCH or DELETE")
    call.add_argument("path", help="API path, e.g. /api/v1/orders/active (the prefix may be left out)")
    call.add_argument("--query", "-q", action="append", default=[], metavar="K=V", help="query parameter")
    call.add_argument("--body", help="JSON request body")
    call.add_argument("--no-auth", action="store_true", help="send unsigned (public endpoints)")

    export = sub.add_parser(
        "export",
        help="write trades, active orders, balances or positions to CSV or JSON (no UI)",
        description=(
            "Fetch trades (every page of the last 24 hours), active orders or the trader's balances\n"
            "with the configured credentials and write them as CSV or JSON: the same export as the\n"
            "dashboard's `e` key. Amounts are plain decimal strings at full wire precision, ids are\n"
            "strings, and each timestamp is written twice: <name>_ns (epoch nanoseconds) and <name>\n"
            "(ISO-8601 UTC with nanoseconds). Trades and orders are in time order, oldest first.\n"
            "CSV text cells starting with = + - @ are prefixed with ' against spreadsheet formulas.\n"
            "positions: per instrument, from your client's fills since the day start (day_start,\n"
            "HH:MM UTC, default 00:00; TRUEX_DAY_START) valued at the mid of the current quotes, by\n"
            "the average-cost method, then one total per quote asset. Unknown values (no quote, a\n"
            "fill without a fee rate) are empty, never zero."
        ),
        epilog=(
            "examples:\n"
            "  blotter export trades --since 2h > trades.csv\n"
            "  blotter export orders --format json --output orders.json\n"
            "  blotter export trades --since 2026-09-21T08:00Z --format json -o -\n"
            "  blotter export balances --profile uat\n"
            "  blotter export positions --format json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(export)
    export.add_argument(
        "what", choices=("trades", "orders", "balances", "positions"),
        help="trades: your trades of the last 24 h; orders: active orders; balances: your client's balances; "
        "positions: your positions and P&L since the day start",
    )
    export.add_argument(
        "--since", metavar="WHEN",
        help="only trades at or after WHEN / orders created at or after WHEN / positions from the fills at or "
        "after WHEN when that is later than the day start (ignored for balances). "
        "WHEN is an ISO-8601 time (UTC when no zone: 2026-09-21T08:00, ...Z, ...+02:00), a duration back "
        "from now (24h, 90m, 1h30m, 2d, 45s; m is minutes) or epoch nanoseconds (19 digits). Trades "
        "are only available for the last 24 hours.",
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    export.add_argument(
        "--output", "-o", default="-", metavar="PATH",
        help="file to write (replaced if it exists), or - for standard output (default)",
    )

    doctor = sub.add_parser(
        "doctor",
        help="check the configured account, read-only, and say what to fix",
        description=(
            "Check what the blotter assumes against the configured exchange and account,\n"
            "read-only (no order is ever sent): reachability, TLS, clock offset, signing,\n"
            "both API versions, health, paging, the trades timestamp, the fields the blotter\n"
            "reads, instrument increments, the VWAP quote, the rate limit, and the WebSocket\n"
            "stream (its welcome, a no-auth subscribe, a signed one). Each check is\n"
            "one row: OK, WARN or FAIL, what it means and what to do (SKIP when an earlier\n"
            "failure stops it). What it learns is saved for the dashboard in the state\n"
            "directory (doctor.json).\n"
            "Exit status: 0 with no FAIL, 1 with any FAIL, 2 for a configuration error."
        ),
        epilog="examples:\n  blotter doctor\n  blotter doctor --profile prod\n  blotter doctor --json | jq '.[] | "
        "select(.result != \"OK\")'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(doctor)
    doctor.add_argument("--json", action="store_true", help="print the results as a JSON list instead of a table")
    doctor.add_argument(
        "--timeout", type=float, default=15.0, metavar="SECONDS", help="time each check may take (default 15)"
    )

    config = sub.add_parser(
        "config",
        help="show or create the configuration",
        description="The TOML config file holds named profiles. Precedence: flags, then TRUEX_* "
        "environment variables, then the profile, then defaults. The secret is never stored in it.",
    )
    _common(config)
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_sub.add_parser(
        "show",
        help="print the effective settings (secret redacted)",
        description="Print the effective settings as JSON after flags, environment and profile are "
        "applied; the secret shows as **********. Warns when the file is readable by others.",
    )
    init = config_sub.add_parser(
        "init",
        help="write a commented starter config file",
        description="Write a commented starter config file (mode 600) to --config, else $BLOTTER_CONFIG, else "
        "the platform's config directory. Refuses to overwrite an existing file without --force.",
    )
    _common(show)
    _common(init)
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from .config import load_settings  # pydantic: not before the dashboard's first frame

    overrides = {
        "base_url": getattr(args, "base_url", None),
        "api_prefix": getattr(args, "api_prefix", None),
        "api_version": getattr(args, "api_version", None),
        "theme": getattr(args, "theme", None),
    }
    return load_settings(profile=args.profile, config_path=args.config, overrides=overrides)


def _parse_query(pairs: list[str]) -> dict[str, str]:
    query = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"--query takes K=V, got {pair!r}")
        query[key] = value
    return query


async def _call(settings: Settings, args: argparse.Namespace) -> Any:
    credentials = None if args.no_auth else settings.credentials()
    for note in settings.notes:
        print(f"note: {note}", file=sys.stderr)
    body = None
    if args.body is not None:
        try:
            body = json.loads(args.body)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--body is not valid JSON: {exc}") from None
    async with settings.client(credentials) as client:
        response = await client.request(args.method, args.path, params=_parse_query(args.query), body=body)
        if client.notices.sunset:
            print(
                f"note: API version {settings.api_version} is deprecated (Sunset: {client.notices.sunset})",
                file=sys.stderr,
            )
        result: Any = response.data
        if response.next_cursor:
            result = {"data": result, "next_cursor": response.next_cursor}
        return result


async def _fetch_export(settings: Settings, args: argparse.Namespace) -> tuple[list[Any], int, Any]:
    """The models to export (filtered by --since, oldest first), rows that failed validation, catalog."""
    from .core.export import in_time_order, parse_since, since_filter
    from .core.positions import PositionBook, day_window
    from .core.reference import Catalog

    credentials = settings.credentials()
    try:
        if args.since:
            parse_since(args.since, time.time_ns())  # a typo fails before any request
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    async with settings.client(credentials) as client:
        await client.sync_clock()
        now_ns = int(client.clock.now() * 1_000_000_000)
        try:
            since = parse_since(args.since, now_ns) if args.since else None
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        instruments = await client.instruments()
        assets = await client.assets()
        catalog = Catalog.build(instruments.items, assets.items)
        if args.what == "trades":
            day_ago = now_ns - NS_PER_DAY
            if since is not None and since < day_ago:
                print("note: trades are only available for the last 24 hours", file=sys.stderr)
            page = await client.all_trades(max(day_ago, since) if since is not None else day_ago)
        elif args.what == "orders":
            page = await client.active_orders()
        elif args.what == "positions":
            window = day_window(now_ns, settings.day_start, since_ns=since)
            if since is not None and since < window.requested_ns:
                print(f"note: positions start at the day start (day_start {settings.day_start} UTC), later than "
                      "--since", file=sys.stderr)
            if window.note:
                print(f"note: {window.note}", file=sys.stderr)
            trades = await client.all_trades(window.start_ns)
            quotes = await client.quotes()
            client_id = settings.client_id or settings.user_id
            book = PositionBook(catalog, client_ids=[client_id] if client_id else None, since_ns=window.start_ns)
            book.add(trades.items)
            book.set_quotes(quotes.items)
            if book.unattributed:
                print(f"warning: {book.unattributed} fill(s) name no instrument and are not in any position",
                      file=sys.stderr)
            bad = len(trades.bad_rows) + len(quotes.bad_rows)
            if bad:
                print(f"warning: {bad} trade or quote row(s) could not be read: positions may be incomplete",
                      file=sys.stderr)
            for notice in (trades.notice, quotes.notice):
                if notice:
                    print(f"note: {notice}", file=sys.stderr)
            if client.notices.sunset:
                print(
                    f"note: API version {settings.api_version} is deprecated (Sunset: {client.notices.sunset})",
                    file=sys.stderr,
                )
            return book.rows(), 0, catalog
        else:
            page = await client.balances(client_id=settings.client_id or settings.user_id)
        if client.notices.sunset:
            print(
                f"note: API version {settings.api_version} is deprecated (Sunset: {client.notices.sunset})",
                file=sys.stderr,
            )
    items = in_time_order(args.what, since_filter(args.what, page.items, since))
    return items, len(page.bad_rows), catalog


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from .core.export import build_table, render

    items, bad, catalog = asyncio.run(_fetch_export(settings, args))
    text = render(build_table(args.what, items, catalog), args.format)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        path = Path(args.output).expanduser()
        partial = path.with_name(f".{path.name}.partial")
        try:  # written whole, then renamed: a failed write never leaves half a file at PATH
            with partial.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
        print(f"wrote {path.resolve()}", file=sys.stderr)
    if bad:
        print(f"warning: {bad} {args.what} row(s) could not be read and are not exported", file=sys.stderr)
    return 0


def _doctor(settings: Settings, args: argparse.Namespace) -> int:
    import shutil

    from .core.doctor import render_table, run_doctor, save_findings

    if not args.timeout > 0:
        raise ConfigError(f"--timeout must be more than 0 seconds, got {args.timeout:g}")
    report = asyncio.run(run_doctor(settings, timeout=args.timeout))
    try:
        path = save_findings(report.findings)
        home = Path.home()
        saved = f"Findings saved to {'~/' + str(path.relative_to(home)) if path.is_relative_to(home) else path}"
    except OSError as exc:
        saved = f"warning: could not save the findings: {exc.strerror or exc}"
    if args.json:
        print(report.to_json())
        print(saved, file=sys.stderr)
    else:
        print(render_table(report, min(shutil.get_terminal_size().columns, 100)))
        print(saved)
    return report.exit_code


def _print_error(error: TrueXError, settings: Settings | None = None) -> None:
    """The error on stderr; for an API error its problem details, and after a 401 what to check."""
    if isinstance(error, ApiError):
        problem = {"status": error.status, "title": error.title, "detail": error.detail, "type": error.type}
        if error.instance:
            problem["instance"] = error.instance
        print(f"blotter: {error}", file=sys.stderr)
        print(json.dumps(problem, indent=2), file=sys.stderr)
        if error.status == 401 and settings is not None:
            from .config import unauthorized_help

            print(unauthorized_help(settings), file=sys.stderr)
    else:
        print(f"blotter: {error}", file=sys.stderr)


def _serve_sim(args: argparse.Namespace) -> int:
    from .sim import DEMO_CREDENTIALS, AcceptedKey, Exchange, FaultConfig, SimServer

    credentials = AcceptedKey(
        user_id=args.user_id or DEMO_CREDENTIALS.user_id,
        key=args.key or DEMO_CREDENTIALS.key,
        secret=args.secret or DEMO_CREDENTIALS.secret,
    )
    if args.rate_limit is not None and args.rate_limit < 1:
        print("blotter: --rate-limit must be at least 1", file=sys.stderr)
        return 2
    exchange = Exchange(seed=args.seed, demo_flow=args.demo_flow, user_id=credentials.user_id, wire=args.wire)
    if args.seed_orders:
        exchange.seed_orders(args.seed_orders)
    if args.seed_trades:
        exchange.seed_trades(args.seed_trades)
    faults = FaultConfig(latency_ms=args.latency_ms, error_rate=args.error_rate, clock_skew_seconds=args.clock_skew,
                         rate_limit_per_minute=args.rate_limit)
    server = SimServer(
        exchange, host=args.host, port=args.port, credentials=credentials, faults=faults,
        lenient_userid=args.lenient_userid, wire=args.wire, auto_tick=args.tick,
    )
    server.start()
    secret_note = "(as given with --secret)" if args.secret else credentials.secret
    wire_note = (
        "real (what the real exchange may send: no order times, empty strings, book sentinels, "
        "self-matches, cursor ignored, health degraded)" if args.wire == "real" else "sim (the simulator's own)"
    )
    limit_note = f"; rate limit {args.rate_limit} requests a minute" if args.rate_limit else ""
    print(
        f"TrueX simulator (seed {args.seed}) serving {server.base_url}/api/v1 and {server.base_url}/v1/cefi\n"
        f"Wire dialect: {wire_note}{limit_note}\n"
        f"It accepts these credentials; in another terminal:\n\n"
        f"  export TRUEX_BASE_URL={server.base_url}\n"
        f"  export TRUEX_USER_ID={credentials.user_id}\n"
        f"  export TRUEX_API_KEY={credentials.key}\n"
        f"  export TRUEX_API_SECRET={secret_note}\n"
        f"  export TRUEX_ORGANIZATION_ID={credentials.organization_id}\n"
        f"  export TRUEX_WS_URL={server.ws_url}\n"
        f"  blotter call GET /api/v1/orders/active\n\n"
        f"Faults: GET/PUT/DELETE {server.base_url}/_sim/faults   Stop: ctrl+c",
        flush=True,
    )
    from .api.models import build_validators

    build_validators()  # while the first client is still starting: its first requests are then served warm
    try:
        server.wait(parent=os.getppid() if args.exit_with_parent else None)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


STARTER_CONFIG = """\
# blotter configuration. Precedence: command-line flags, then TRUEX_* environment variables,
# then the chosen profile below, then built-in defaults. Keep this file private (chmod 600).
# The HMAC secret is never stored here: use TRUEX_API_SECRET, secret_command, or the keyring.

default_profile = "uat"

[profiles.uat]
environment = "UAT"
base_url = "https://api.uat.truex.co"       # as the docs write it, https://api.uat.truex.co/v1/cefi/, works too
api_prefix = "/v1/cefi"                     # the path prefix added to every request (/api/v1 on prod.truex.co)
api_version = "v2026_01_23"
# user_id = "78932725357888855"             # your client id (x-truex-auth-userid)
# api_key = "00000000-0000-4000-8000-000000000000"   # the HMAC key's UUID
# secret_command = "pass show truex/uat"    # prints the secret on stdout
# client_id = "78932725357888855"           # default client for new orders (default: user_id)
theme = "desk-dark"                         # desk-dark, desk-light, amber-terminal, high-contrast
# theme_files = ["~/.config/blotter/my-theme.toml"]
# trades_display_cap = 1000                 # trades rows shown (all are kept)
# bell = false                              # ring the terminal bell on fills
# export_dir = "~/blotter-exports"          # where `e` (CSV) and `S` (screenshot) write;
#                                           # default: your Downloads folder, else the app's state dir
# timezone = "Europe/London"                # times on screen: an IANA zone name, "local" or "UTC" (default)
# max_requests_per_minute = 90              # request budget when the server announces no rate limit
# day_start = "00:00"                       # positions and P&L count fills since this time of day (HH:MM UTC)

[profiles.uat.poll]        # seconds between polls of each feed
orders = 1.0
quotes = 1.0
trades = 2.0
balances = 5.0

[profiles.uat.guards]      # fat-finger guards: soft limits ask twice, hard limits refuse
max_notional = "250000"
max_distance_pct = "5"
hard_max_notional = "1000000"
hard_max_distance_pct = "20"
# max_qty = "10"
# hard_max_qty = "50"

# [profiles.uat.bindings]  # remap keys by binding id (see `?` in the app or the README)
# "order.cancel_all" = "ctrl+k"

[profiles.prod]
environment = "PROD"
base_url = "https://prod.truex.co"
api_prefix = "/api/v1"
"""


def _config(args: argparse.Namespace) -> int:
    from .config import config_path, permission_warning

    path = config_path(args.config)
    if args.config_command == "init":
        if path.exists() and not args.force:
            raise ConfigError(f"{path} exists; use --force to overwrite")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STARTER_CONFIG)
        path.chmod(0o600)
        print(f"wrote {path}")
        return 0
    settings = _settings(args)
    warning = permission_warning(path)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    shown = settings.model_dump(mode="json")
    shown["api_secret"] = "**********" if settings.api_secret else None
    shown["config_file"] = str(path)
    shown["notes"] = settings.notes
    # Each pane's columns as the dashboard will show them: the saved choice (keys the pane does not
    # have left out, as the pane ignores them), else "default" (all, in the pane's order).
    from .core.dashboard import Dashboard
    from .core.feeds import SystemClock
    from .core.panes import PANES
    from .core.preferences import load_preferences
    from .paths import state_dir

    preferences = load_preferences(state_dir() / "preferences.json")
    stores = Dashboard(settings, SystemClock()).stores  # the panes' columns, as the dashboard makes them
    columns: dict[str, list[str] | str] = {}
    for pane in PANES:
        chosen = preferences.columns_for(pane) or []
        if pane in stores:
            known = {column.key for column in stores[pane].columns}
            chosen = [key for key in chosen if key in known]
        columns[pane] = list(dict.fromkeys(chosen)) or "default"
    shown["columns"] = columns
    print(json.dumps(shown, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings: Settings | None = None  # kept for the error report (a 401 names the settings to check)
    try:
        if args.command == "sim":
            return _serve_sim(args)
        if args.command == "call":
            settings = _settings(args)
            result = asyncio.run(_call(settings, args))
            print(json.dumps(result, indent=2))
            return 0
        if args.command == "config":
            return _config(args)
        if args.command == "doctor":
            settings = _settings(args)
            return _doctor(settings, args)
        if args.command == "export":
            settings = _settings(args)
            return _export(settings, args)
        from .ui.run import run_dashboard

        return run_dashboard(args, _settings)
    except TrueXError as error:
        _print_error(error, settings)
        return 2 if isinstance(error, ConfigError) else 1
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `blotter call ... | head` closed the pipe: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
