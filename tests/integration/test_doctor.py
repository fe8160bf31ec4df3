"""`blotter doctor` end to end: the CLI as a subprocess against the simulator in both wire dialects."""

import json

import httpx
import pytest
from cli_runner import run_cli

from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

JSON_KEYS = {"id", "check", "result", "meaning", "action", "facts"}
CHECK_IDS = ["reachability", "tls", "clock", "signing", "api_versions", "health", "paging", "trades_timestamp",
             "fields", "increments", "vwap_quote", "rate_limit", "stream_welcome", "stream_no_auth", "stream_signed"]
STREAM_IDS = CHECK_IDS[-3:]
ORGANIZATION = {"TRUEX_ORGANIZATION_ID": DEMO_CREDENTIALS.organization_id}


@pytest.fixture(scope="module")
def real():
    with SimServer(Exchange(seed=31, wire="real", seed_orders=6, seed_trades=300), auto_tick=False) as server:
        yield server


@pytest.fixture(scope="module")
def sim_wire():
    with SimServer(Exchange(seed=31, wire="sim", seed_orders=6, seed_trades=300), auto_tick=False) as server:
        yield server


@pytest.fixture(autouse=True)
def no_faults(real, sim_wire):
    yield
    for server in (real, sim_wire):
        server.faults.clear()


@pytest.fixture
def state(tmp_path):
    return tmp_path / "state"


def doctor(server, state, *args, **env):
    return run_cli(server, "doctor", *args, env_extra={"XDG_STATE_HOME": str(state), "COLUMNS": "80", **env})


def by_id(result) -> dict:
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == CHECK_IDS and all(set(row) == JSON_KEYS for row in rows)
    return {row["id"]: row for row in rows}


def verdicts(rows: dict) -> dict:
    return {check: row["result"] for check, row in rows.items()}


def saved(state) -> dict:
    path = state / "blotter" / "doctor.json"
    assert path.stat().st_mode & 0o777 == 0o600
    (entry,) = json.loads(path.read_text())["findings"]
    return entry


def order_requests(server) -> list:
    return httpx.get(server.base_url + "/_sim/orders/requests", timeout=5).json()


def test_sim_wire_passes_every_check_and_saves_what_it_learnt(sim_wire, state):
    result = doctor(sim_wire, state, "--json", **ORGANIZATION)
    assert result.returncode == 0, result.stderr
    rows = by_id(result)
    assert verdicts(rows) == dict.fromkeys(CHECK_IDS, "OK")
    assert rows["stream_welcome"]["facts"]["url"] == sim_wire.ws_url
    assert rows["paging"]["facts"]["paging"] == "cursor"
    assert "Findings saved to" in result.stderr
    found = saved(state)
    assert found["base_url"] == sim_wire.base_url and found["api_prefix"] == "/api/v1"
    assert (found["paging"], found["orders_have_time"], found["instruments_have_increments"]) == ("cursor", True, True)
    assert found["api_version"] == "v2026_01_23" and found["trades_timestamp"] == "at_or_after"
    assert found["rate_limit"] is None and found["budget_per_minute"] == 90
    assert abs(found["clock_offset_seconds"]) < 2 and found["checked_at"]


def test_real_wire_table(real, state):
    before = order_requests(real)
    result = doctor(real, state)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("Findings saved to ")
    assert max(map(len, lines[:-1])) <= 80  # the table; the path after it is as long as it is
    expected = [("1", "Reachability", "OK"), ("2", "TLS", "OK"), ("3", "Clock offset", "OK"), ("4", "Signing", "OK"),
                ("5", "API versions", "OK"), ("6", "Health", "WARN"), ("7", "Paging", "WARN"),
                ("8", "Trades timestamp", "OK"), ("9", "Fields", "WARN"), ("10", "Increments", "WARN"),
                ("11", "VWAP quote", "OK"), ("12", "Rate limit", "OK"), ("13", "Stream welcome", "OK"),
                ("14", "Stream no-auth", "OK"), ("15", "Stream signed", "SKIP")]
    for number, title, verdict in expected:
        assert any(line.startswith(f"{number:>2}  {title:<16}  {verdict} ") for line in lines), title
    assert "degraded (HTTP 503" in result.stdout
    assert "To do: Nothing to change: the dashboard pages with" in result.stdout
    assert "15 checks: 10 OK, 4 WARN, 0 FAIL, 1 skipped." in result.stdout.replace("\n", " ")
    assert order_requests(real) == before  # the exchange's own record: no order request came in


def test_real_wire_findings_and_what_each_check_found(real, state):
    before = order_requests(real)
    rows = by_id(doctor(real, state, "--json"))
    assert before and order_requests(real) == before
    assert rows["paging"]["result"] == "WARN" and rows["paging"]["facts"]["paging"] == "skip"
    assert "ignores the `cursor` parameter" in rows["paging"]["meaning"]
    assert rows["health"]["facts"] == {"status": 503, "health": "degraded", "shape": ["service", "status", "timestamp"]}
    fields = rows["fields"]
    assert "no time field in any: times come from the activity trail" in fields["meaning"]
    assert any("executed_vwap blank" in note for note in fields["facts"]["orders"]["notes"])
    assert any('order_count sent as text' in note for note in fields["facts"]["quotes"]["notes"])
    assert any("i128 sentinel (1)" in note for note in fields["facts"]["quotes"]["notes"])
    (trades_note,) = fields["facts"]["trades"]["notes"]  # self-matches, and nothing wrong with them
    assert "self-match pair(s) share a match_id: both trades are kept" in trades_note
    assert rows["increments"]["facts"] == {"instruments": 4, "with_increments": 0}
    assert rows["vwap_quote"]["facts"]["shape"] == ["notional", "notional_residual", "price", "qty"]
    found = saved(state)
    assert (found["paging"], found["orders_have_time"], found["instruments_have_increments"]) == ("skip", False, False)
    assert found["health"] == "degraded" and found["results"]["fields"] == "WARN"


def test_wrong_secret_fails_signing_shows_the_help_and_never_the_secret(real, state):
    result = doctor(real, state, TRUEX_API_SECRET="wrong-secret-zzz")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "wrong-secret-zzz" not in output and DEMO_CREDENTIALS.secret not in output
    assert any(line.startswith(" 4  Signing           FAIL") for line in result.stdout.splitlines())
    words = " ".join(result.stdout.split())
    assert "/api/v1/clients: 401 Invalid signature" in words
    assert "- TRUEX_API_SECRET (or secret_command): the secret of that same key" in words
    assert " 7  Paging            SKIP    Skipped: signing failed." in result.stdout
    rows = by_id(doctor(real, state, "--json", TRUEX_API_SECRET="wrong-secret-zzz"))
    assert rows["signing"]["result"] == "FAIL" and "TRUEX_API_KEY" in rows["signing"]["action"]
    assert saved(state)["results"]["signing"] == "FAIL"


def test_rate_limit_headers_are_reported(real, state):
    real.faults.update({"rate_limit_per_minute": 100})
    result = doctor(real, state)
    assert result.returncode == 0, result.stderr
    table = " ".join(result.stdout.split())
    assert "12 Rate limit OK The server announces x-ratelimit-limit 100" in table
    assert "The dashboard will keep to 100/min (announced by the server), 10 kept for order actions." in table
    assert saved(state)["rate_limit"]["limit"] == 100 and saved(state)["budget_per_minute"] == 100


def test_a_limit_already_used_up_gives_a_429_reported_not_a_crash(real, state):
    real.faults.update({"rate_limit_per_minute": 3})
    for _ in range(3):
        httpx.get(real.base_url + "/api/v1/health", timeout=5)
    result = doctor(real, state, "--json", "--timeout", "1")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    rows = by_id(result)
    assert rows["rate_limit"]["result"] == "WARN" and rows["rate_limit"]["facts"]["answered_429"] >= 1
    assert rows["health"]["meaning"].startswith("Rate limited (HTTP 429)")
    assert rows["vwap_quote"]["meaning"] == "Skipped: the rate limit was reached earlier in this run."


@pytest.mark.parametrize("version, verdict", [("v2024_01_01", "WARN"), ("v2026_01_23", "OK")])
def test_each_configured_api_version(real, state, version, verdict):
    rows = by_id(doctor(real, state, "--json", "--api-version", version))
    versions = rows["api_versions"]
    assert versions["result"] == verdict and f"{version} (configured): answers" in versions["meaning"]
    assert versions["facts"]["versions"]["v2024_01_01"]["sunset"] == "Wed, 05 Aug 2026 00:00:00 GMT"
    if version == "v2024_01_01":
        assert versions["action"].startswith('Set api_version = "v2026_01_23" (TRUEX_API_VERSION) before the sunset')
    assert rows["paging"]["facts"]["paging"] == "skip"  # learnt under v2026 either way
    assert saved(state)["api_version"] == version


def test_a_skewed_server_clock_fails_the_clock_check(real, state):
    real.faults.update({"clock_skew_seconds": 30})
    result = doctor(real, state, "--json")
    assert result.returncode == 1
    rows = by_id(result)
    assert rows["clock"]["result"] == "FAIL" and "behind the server's" in rows["clock"]["meaning"]
    assert "NTP" in rows["clock"]["action"] and rows["signing"]["result"] == "OK"


def test_a_base_url_pasted_with_its_prefix_is_noted(real, state):
    rows = by_id(doctor(real, state, "--json", TRUEX_BASE_URL=real.base_url + "/api/v1/"))
    assert rows["reachability"]["result"] == "OK"
    assert "removed the API prefix /api/v1" in rows["reachability"]["meaning"]


def test_configuration_errors_exit_2(real, state):
    missing = doctor(real, state, TRUEX_API_SECRET="")
    assert missing.returncode == 2 and "TRUEX_API_SECRET" in missing.stderr and missing.stdout == ""
    bad_timeout = doctor(real, state, "--timeout", "0")
    assert bad_timeout.returncode == 2 and "--timeout" in bad_timeout.stderr


# --- the WebSocket stream -----------------------------------------------------------------------


def test_stream_checks_pass_with_the_demo_credentials_and_organization(real, state):
    result = doctor(real, state, **ORGANIZATION)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for number, title in (("13", "Stream welcome"), ("14", "Stream no-auth"), ("15", "Stream signed")):
        assert any(line.startswith(f"{number}  {title:<16}  OK ") for line in lines), title
    table = " ".join(result.stdout.split())
    assert f"{real.ws_url} (from base_url; TRUEX_WS_URL not set) answered with a WELCOME" in table
    assert "version 1.0.5, 1 connection open from this address" in table
    assert "was confirmed with status UNAUTHENTICATED, listing EBBO BTC-PYUSD" in table
    assert f"The signed SUBSCRIBE for DROPCOPY, client {DEMO_CREDENTIALS.user_id}, was confirmed AUTHENTICATED" in table
    assert "15 checks: 11 OK, 4 WARN, 0 FAIL, 0 skipped." in table
    assert DEMO_CREDENTIALS.secret not in result.stdout + result.stderr
    rows = by_id(doctor(real, state, "--json", **ORGANIZATION, TRUEX_WS_URL=real.ws_url))
    assert verdicts(rows)["stream_signed"] == "OK" and rows["stream_signed"]["facts"]["status"] == "AUTHENTICATED"
    assert rows["stream_no_auth"]["facts"]["ebbo"] == "SNAPSHOT"
    assert "(TRUEX_WS_URL)" in rows["stream_welcome"]["meaning"]
    assert saved(state)["results"]["stream_signed"] == "OK"


def test_a_wrong_secret_fails_the_signed_subscription_and_never_shows_the_secret(real, state):
    result = doctor(real, state, "--json", TRUEX_API_SECRET="wrong-secret-zzz", **ORGANIZATION)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "wrong-secret-zzz" not in output and DEMO_CREDENTIALS.secret not in output
    assert '"signature"' not in output
    rows = by_id(result)
    assert (rows["stream_welcome"]["result"], rows["stream_no_auth"]["result"]) == ("OK", "OK")
    signed = rows["stream_signed"]
    assert signed["result"] == "FAIL" and "was answered UNAUTHENTICATED, not AUTHENTICATED" in signed["meaning"]
    for hint in ("TRUEX_ORGANIZATION_ID", "TRUEX_API_KEY", "TRUEX_API_SECRET",
                 "must not be in the future and at most 15 s old"):
        assert hint in signed["action"]
    table = doctor(real, state, TRUEX_API_SECRET="wrong-secret-zzz", **ORGANIZATION)
    assert any(line.startswith("15  Stream signed     FAIL") for line in table.stdout.splitlines())
    assert "wrong-secret-zzz" not in table.stdout + table.stderr
    assert DEMO_CREDENTIALS.secret not in table.stdout + table.stderr


def test_a_gateway_that_refuses_the_websocket_fails_the_welcome(real, state):
    real.faults.update({"ws_reject_upgrade": True})
    result = doctor(real, state, "--json", **ORGANIZATION)
    assert result.returncode == 1
    rows = by_id(result)
    welcome = rows["stream_welcome"]
    assert welcome["result"] == "FAIL" and "refused the WebSocket handshake with HTTP 403" in welcome["meaning"]
    assert welcome["facts"]["http_status"] == 403
    for hint in ("TRUEX_WS_URL", "/api/v1", "/wssuat", "/wssproduction", "proxy"):
        assert hint in welcome["action"]
    for check in ("stream_no_auth", "stream_signed"):
        assert rows[check]["result"] == "SKIP" and "could not be opened" in rows[check]["meaning"]
    assert all(rows[check]["result"] == verdict for check, verdict in
               (("signing", "OK"), ("vwap_quote", "OK"), ("rate_limit", "OK")))
    assert saved(state)["results"]["stream_welcome"] == "FAIL"


def test_without_an_organization_id_the_signed_subscription_is_skipped(real, state):
    result = doctor(real, state, "--json")
    assert result.returncode == 0, result.stderr
    signed = by_id(result)["stream_signed"]
    assert signed["result"] == "SKIP"
    assert "set TRUEX_ORGANIZATION_ID to stream orders (DROPCOPY) and real-time data" in signed["meaning"]


def test_stream_off_skips_the_stream_checks(real, state):
    rows = by_id(doctor(real, state, "--json", TRUEX_STREAM="off", **ORGANIZATION))
    for check in STREAM_IDS:
        assert rows[check]["result"] == "SKIP" and "stream = off" in rows[check]["meaning"]
