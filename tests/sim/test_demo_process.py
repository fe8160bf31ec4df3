"""`blotter --demo`'s simulator process: its address is known before it serves, and a failed start
is said, never waited on."""

import time

import httpx
import pytest

from blotter.demo import spawn_demo_server


def test_a_request_sent_while_the_simulator_is_still_starting_is_answered_once_it_serves():
    started = time.monotonic()
    demo = spawn_demo_server(3, orders=2, trades=5)
    try:
        assert time.monotonic() - started < 0.5 and not demo._serving.is_set()  # the address, before it serves
        health = httpx.get(demo.base_url + "/api/v1/health", timeout=30)
        assert health.status_code == 200
        demo.wait_serving(timeout=5)
    finally:
        demo.stop()


def test_a_simulator_that_fails_to_start_is_reported_and_its_address_refuses_connections():
    demo = spawn_demo_server(3, orders=2, trades=5, rate_limit_per_minute=0)  # the sim refuses this and exits
    try:
        with pytest.raises(RuntimeError, match="did not start"):
            demo.wait_serving(timeout=30)
        assert demo.process.poll() is not None
        with pytest.raises(httpx.ConnectError):  # refused at once, not left waiting in a queue
            httpx.get(demo.base_url + "/api/v1/health", timeout=5)
    finally:
        demo.stop()
