"""The rate-limit fault (§4, §6.12): fixed windows with x-ratelimit-* headers and 429 past the limit,
in both wire modes and API versions, set at start, at run time, from the CLI and the demo helpers."""

import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from sim_calls import V2024, V2026, call, put_faults

from blotter.demo import spawn_demo_server, start_demo_server
from blotter.sim import Exchange, FaultConfig, SimServer
from blotter.sim.fault_injection import RateWindow


@pytest.fixture(scope="module", params=["sim", "real"])
def served(request):
    with SimServer(Exchange(seed=3, wire=request.param), auto_tick=False) as server:
        yield server


@pytest.fixture
def server(served):
    """The module's server (in either wire mode) with no faults before and after the test."""
    served.faults.clear()
    yield served
    served.faults.clear()


def limits(response):
    return (response.headers["x-ratelimit-limit"], response.headers["x-ratelimit-remaining"],
            int(response.headers["x-ratelimit-reset"]))


@pytest.mark.parametrize("version", [V2024, V2026])
def test_window_counts_down_refuses_past_the_limit_and_resets(server, version):
    put_faults(server, rate_limit_per_minute=3, rate_limit_window_seconds=1.0)
    answers = [call(server, "GET", "/api/v1/orders/active", version=version) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [limits(a)[:2] for a in answers] == [("3", "2"), ("3", "1"), ("3", "0")]
    assert all(limits(a)[2] == 1 for a in answers)
    refused = call(server, "GET", "/api/v1/balances", version=version)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["retry-after"] == refused.headers["x-ratelimit-reset"]
    assert limits(refused)[:2] == ("3", "0")
    problem = refused.json()["error"] if version == V2026 else refused.json()
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"
    assert problem["instance"] == "/api/v1/balances"
    # Simulator controls are not API requests: never counted, never limited.
    assert httpx.get(server.base_url + "/_sim/faults").status_code == 200
    assert "x-ratelimit-limit" not in httpx.get(server.base_url + "/_sim/faults").headers
    time.sleep(1.05)
    again = call(server, "GET", "/api/v1/orders/active", version=version)
    assert again.status_code == 200 and limits(again)[:2] == ("3", "2")


def test_every_answer_carries_the_headers_unauthenticated_and_errors_too(server):
    put_faults(server, rate_limit_per_minute=100)
    health = httpx.get(server.base_url + "/api/v1/health")
    unknown = httpx.get(server.base_url + "/api/v1/nothing-here")
    unsigned = httpx.get(server.base_url + "/api/v1/balances")
    assert unknown.status_code == 404 and unsigned.status_code == 401
    assert [limits(r)[:2] for r in (health, unknown, unsigned)] == [("100", "99"), ("100", "98"), ("100", "97")]
    assert all(limits(r)[2] == 60 for r in (health, unknown, unsigned))


def test_without_the_fault_there_are_no_headers(server):
    response = httpx.get(server.base_url + "/api/v1/health")
    assert not any(name.startswith("x-ratelimit") for name in response.headers)


def test_setting_the_limit_opens_a_new_window(server):
    put_faults(server, rate_limit_per_minute=2)
    call(server, "GET", "/api/v1/orders/active")
    call(server, "GET", "/api/v1/orders/active")
    assert call(server, "GET", "/api/v1/orders/active").status_code == 429
    put_faults(server, rate_limit_per_minute=2)  # the same limit, set again
    assert limits(call(server, "GET", "/api/v1/orders/active"))[:2] == ("2", "1")
    put_faults(server, rate_limit_per_minute=5)
    assert limits(call(server, "GET", "/api/v1/orders/active"))[:2] == ("5", "4")


def test_the_older_rate_limit_fault_still_answers_everything_429(server):
    put_faults(server, rate_limit=9)
    response = call(server, "GET", "/api/v1/orders/active")
    assert response.status_code == 429 and response.headers["retry-after"] == "9"


@pytest.mark.parametrize(
    "values", [{"rate_limit_per_minute": 0}, {"rate_limit_per_minute": "100"}, {"rate_limit_window_seconds": 0}]
)
def test_bad_rate_limit_values_are_refused(server, values):
    response = httpx.put(server.base_url + "/_sim/faults", json=values)
    assert response.status_code == 400
    assert server.faults.rate_limit_per_minute is None and server.faults.rate_limit_window_seconds == 60


def test_reset_is_whole_seconds_to_the_window_end():
    now = [1000.0]
    window = RateWindow(clock=lambda: now[0])
    assert window.take(2, 60) == (True, 1, 60)
    now[0] += 58.7
    assert window.take(2, 60) == (True, 0, 2)
    now[0] += 0.9
    assert window.take(2, 60) == (False, 0, 1)
    now[0] += 0.4  # the window opened at 1000 closes at 1060
    assert window.take(2, 60) == (True, 1, 60)


def test_limit_set_at_start_on_the_server_and_the_demo_helper():
    with SimServer(Exchange(seed=1), auto_tick=False, rate_limit_per_minute=4) as server:
        assert limits(httpx.get(server.base_url + "/api/v1/health"))[:2] == ("4", "3")
    with SimServer(Exchange(seed=1), auto_tick=False, faults=FaultConfig(rate_limit_per_minute=7)) as server:
        assert limits(httpx.get(server.base_url + "/api/v1/health"))[:2] == ("7", "6")
    demo = start_demo_server(2, orders=2, trades=5, auto_tick=False, wire="real", rate_limit_per_minute=6)
    try:
        health = httpx.get(demo.base_url + "/api/v1/health")
        assert health.status_code == 503 and limits(health)[:2] == ("6", "5")
        assert demo.exchange.wire == "real" and demo.exchange.listed
    finally:
        demo.stop()


def test_cli_prints_the_wire_mode_and_serves_it_with_the_limit():
    command = [sys.executable, "-m", "blotter", "sim", "--port", "0", "--seed-orders", "2", "--seed-trades", "5",
               "--wire", "real", "--rate-limit", "50", "--exit-with-parent"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "NO_COLOR": "1"})
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Faults:"):
                break
        text = "".join(lines)
        assert "Wire dialect: real" in text and "rate limit 50 requests a minute" in text
        base_url = re.search(r"serving (http://[0-9.]+:[0-9]+)/", text).group(1)
        health = httpx.get(base_url + "/api/v1/health")
        assert health.status_code == 503 and limits(health)[:2] == ("50", "49")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_process_passes_the_wire_mode_through():
    demo = spawn_demo_server(3, orders=2, trades=5, wire="real", rate_limit_per_minute=20)
    try:
        quotes = httpx.get(demo.base_url + "/api/v1/markets/quote").json()
        assert "AVAX-PYUSD" in {q["symbol"] for q in quotes}
        assert httpx.get(demo.base_url + "/api/v1/health").headers["x-ratelimit-limit"] == "20"
    finally:
        demo.stop()
    plain = spawn_demo_server(3, orders=2, trades=5)
    try:
        assert httpx.get(plain.base_url + "/api/v1/health").status_code == 200
        assert len(httpx.get(plain.base_url + "/api/v1/markets/quote").json()) == 3
    finally:
        plain.stop()
