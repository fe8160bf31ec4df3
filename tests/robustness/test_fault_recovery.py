"""The app against the simulator with faults injected: no crash, the fault shows, the last data
stays, and once the fault is cleared every feed is fresh again within two poll intervals.

Real loopback HTTP; feed sleeps on a FakeClock (so "two intervals" is measured in fake time).
"""

from __future__ import annotations

import pytest
from robustness_support import (
    FROZEN, INTERVAL, SIZE, advance, credentials, make_app, make_client, pane_feeds, ready, snapshot, status_text,
    wait_for,
)

from blotter.core.feeds import FakeClock, Freshness
from blotter.sim import Exchange, SimServer
from blotter.ui.app import PANES


@pytest.fixture
def sim():
    exchange = Exchange(seed=5, clock=lambda: FROZEN, seed_orders=6, seed_trades=20)
    with SimServer(exchange, auto_tick=False) as server:
        yield server


def _set_faults(**values):
    def inject(sim, app):
        sim.faults.update(values)

    def clear(sim, app):
        sim.faults.clear()

    return inject, clear


def _server_down():
    def inject(sim, app):
        sim.stop()

    def clear(sim, app):
        sim.start()  # same port: SimServer keeps the port it bound first

    return inject, clear


def _wrong_secret():
    saved = {}

    def inject(sim, app):
        auth = app.client._http.auth
        saved["credentials"] = auth.credentials
        auth.credentials = credentials("not-the-secret")

    def clear(sim, app):
        app.client._http.auth.credentials = saved["credentials"]

    return inject, clear


SIGNED = ("orders", "trades", "balances")  # quotes are public market data: no signature checked

# (fault, what the status line shows, inject, clear[, the feeds it reaches])
FAULTS = [
    ("connection refused", "ConnectError", *_server_down()),
    ("connection reset", "ConnectionLost", *_set_faults(drop_connection=True)),
    ("500", "500 Injected fault", *_set_faults(status=500)),
    ("503", "503 Injected fault", *_set_faults(status=503)),
    ("429 Retry-After", "429 Too Many Requests", *_set_faults(rate_limit=1)),
    ("read timeout", "RequestTimeout", *_set_faults(hang_seconds=1.0)),
    ("malformed JSON", "Malformed response", *_set_faults(malformed_json=True)),
    ("wrong shape", "Malformed response", *_set_faults(wrong_shape=True)),
    ("401 bad signature", "401 Invalid signature", *_wrong_secret(), SIGNED),
]
FAULTS = [f if len(f) == 5 else (*f, PANES) for f in FAULTS]


OUTAGE_POLLS = 2  # two failed polls in a row: the back-off has already doubled once


@pytest.mark.parametrize("name, shown, inject, clear, affected", FAULTS, ids=[f[0] for f in FAULTS])
async def test_fault_shows_keeps_data_and_recovers_within_two_intervals(sim, name, shown, inject, clear, affected):
    clock = FakeClock()
    app = make_app(sim.base_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, clock, pilot)
        before = snapshot(app)
        assert all(before[p] for p in ("orders", "trades", "balances", "quotes"))
        rows_before = {p: app.table(p).row_count for p in PANES}

        inject(sim, app)
        for _ in range(OUTAGE_POLLS):
            await advance(app, clock, pilot, max(f.next_delay for f in pane_feeds(app)))
        for feed in pane_feeds(app):
            status = feed.status()
            if feed.name in affected:
                assert status.health is Freshness.FAILING, (feed.name, status)
                assert status.error_title == shown, (feed.name, status)
                assert status.errors == OUTAGE_POLLS
            else:
                assert status.health is Freshness.FRESH, (feed.name, status)
        assert shown in status_text(app)
        assert snapshot(app) == before  # the last data stays on screen
        assert {p: app.table(p).row_count for p in PANES} == rows_before

        clear(sim, app)
        successes = {f.name: f.successes for f in pane_feeds(app)}
        waited = 0.0
        step = INTERVAL / 4
        while any(f.successes == successes[f.name] for f in pane_feeds(app)) and waited < 2 * INTERVAL:
            await advance(app, clock, pilot, step)
            waited += step
        for feed in pane_feeds(app):
            assert feed.successes > successes[feed.name], f"{feed.name} not recovered after {waited}s"
            assert feed.health() is Freshness.FRESH
        assert waited <= 2 * INTERVAL
        assert "failing" not in status_text(app).lower() and shown not in status_text(app)
        assert snapshot(app) == before
        assert app.is_running


async def test_server_restart_is_survived(sim):
    clock = FakeClock()
    app = make_app(sim.base_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, clock, pilot)
        before = snapshot(app)
        sim.restart()  # pooled keep-alive connections now point at a closed server
        successes = {f.name: f.successes for f in pane_feeds(app)}
        waited = 0.0
        while any(f.successes == successes[f.name] for f in pane_feeds(app)) and waited < 2 * INTERVAL:
            await advance(app, clock, pilot, INTERVAL / 4)
            waited += INTERVAL / 4
        assert all(f.successes > successes[f.name] for f in pane_feeds(app)), [f.status() for f in pane_feeds(app)]
        assert all(f.health() is Freshness.FRESH for f in pane_feeds(app))
        assert snapshot(app) == before  # the exchange kept its state across the restart
        assert app.is_running


@pytest.mark.parametrize("skew", [20.0, -20.0])
async def test_server_clock_skew_is_corrected_from_the_date_header(sim, skew):
    clock = FakeClock()
    app = make_app(sim.base_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, clock, pilot)
        before = snapshot(app)
        successes = {f.name: f.successes for f in pane_feeds(app)}
        sim.faults.update({"clock_skew_seconds": skew})
        for _ in range(3):
            await advance(app, clock, pilot, INTERVAL)
        # The first signed request after the jump is refused (stale / future timestamp); the 401
        # carries the server's Date, the client corrects its clock and signs once more.
        for feed in pane_feeds(app):
            assert feed.successes >= successes[feed.name] + 3, feed.status()
            assert feed.health() is Freshness.FRESH and feed.errors == 0
        assert abs(app.client.clock.offset - skew) < 2
        assert snapshot(app) == before
        sim.faults.clear()  # and back again
        await advance(app, clock, pilot, INTERVAL)
        assert all(f.health() is Freshness.FRESH for f in pane_feeds(app))
        assert abs(app.client.clock.offset) < 2


async def test_wrong_secret_from_the_start_is_shown_and_never_crashes(sim):
    clock = FakeClock()
    client = make_client(sim.base_url, secret="not-the-secret")
    app = make_app(sim.base_url, clock, client=client)
    async with app.run_test(size=SIZE) as pilot:
        # Reference data and quotes are public; every signed feed fails with the server's reason.
        await wait_for(lambda: app.ready and all(app.feeds[n].errors for n in SIGNED), pilot)
        await wait_for(lambda: app.feeds["quotes"].successes, pilot)
        for name in SIGNED:
            assert app.feeds[name].status().error_title == "401 Invalid signature"
        assert "401 Invalid signature" in status_text(app)
        assert any("401" in str(n.message) for n in app._notifications)
        assert "not-the-secret" not in " ".join(str(n.message) for n in app._notifications)
        assert app.is_running
