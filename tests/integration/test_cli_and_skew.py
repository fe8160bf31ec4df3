"""`blotter call` as a new user runs it, and clock skew handled against the simulator's skewed clock."""

import json

import pytest

from blotter.api import TrueXClient
from blotter.sim import DEMO_CREDENTIALS
from cli_runner import run_cli


def test_call_active_orders_prints_json(sim):
    result = run_cli(sim, "call", "GET", "/api/v1/orders/active")
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)
    assert DEMO_CREDENTIALS.secret not in result.stdout + result.stderr


def test_call_with_query_and_body(sim):
    result = run_cli(sim, "call", "GET", "/api/v1/instruments", "--query", "symbol=ETH")
    assert result.returncode == 0, result.stderr
    assert {i["info"]["symbol"] for i in json.loads(result.stdout)} == {"ETH-PYUSD"}
    instrument_id = json.loads(result.stdout)[0]["id"]
    body = json.dumps({"instrument_id": instrument_id, "qty": "1000"})
    result = run_cli(sim, "call", "POST", "/api/v1/markets/quote", "--body", body)
    assert result.returncode == 0, result.stderr
    assert "quote" in json.loads(result.stdout)


def test_call_error_prints_problem_details_and_fails(sim):
    result = run_cli(sim, "call", "GET", "/api/v1/orders/trade", "--query", "timestamp=12")
    assert result.returncode == 1
    problem = json.loads(result.stderr[result.stderr.index("{") :])
    assert problem["status"] == 400 and problem["title"]
    assert result.stdout == ""


def test_call_bad_secret_is_401_and_never_printed(sim):
    result = run_cli(sim, "call", "GET", "/api/v1/balances", env_extra={"TRUEX_API_SECRET": "wrong-secret-zzz"})
    assert result.returncode == 1 and "401" in result.stderr
    assert "wrong-secret-zzz" not in result.stderr + result.stdout


def test_call_missing_credentials_is_one_line(sim):
    result = run_cli(sim, "call", "GET", "/api/v1/balances", env_extra={"TRUEX_API_SECRET": ""})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TRUEX_API_SECRET" in lines[0]


@pytest.mark.parametrize("skew", [30.0, -30.0])
async def test_client_signs_against_a_skewed_server_clock(sim, credentials, skew):
    sim.faults.clock_skew_seconds = skew
    try:
        async with TrueXClient(sim.base_url, credentials=credentials) as client:
            await client.sync_clock()
            assert abs(client.clock.offset - skew) < 2
            assert isinstance((await client.balances()).items, list)
        async with TrueXClient(sim.base_url, credentials=credentials) as client:
            # No sync first: the 401 carries the server's Date, the client corrects and re-signs once.
            assert isinstance((await client.balances()).items, list)
    finally:
        sim.faults.clock_skew_seconds = 0.0
