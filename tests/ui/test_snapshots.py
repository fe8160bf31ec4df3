"""SVG snapshots of what the trader sees, against the seeded simulated exchange over loopback HTTP.

Deterministic: the exchange is seeded and its clock frozen (no ticking), the app runs on a
`FakeClock`, and the ticket's external id is fixed. The scenes are the ones `make screenshots`
renders (`tools/screenshots.py`), so the README's pictures and these snapshots cannot drift apart.
"""

import asyncio

import pytest

import screenshots
from screenshots import SCENES, SIZE, loaded, make_app, shipped_themes


@pytest.fixture(scope="module")
def exchange():
    server = screenshots.start_frozen_exchange()
    yield server
    server.stop()


@pytest.fixture
def app(exchange, tmp_path):
    return make_app(exchange, state=tmp_path)


SMALL = (80, 24)
# Every scene at 120x40; the ones a trader meets most, and every dialog, at 80x24 too.
AT_80X24 = ("main", "ticket", "ticket-filled", "ticket-errors", "guard-confirmation", "modify",
            "cancel-confirmation", "cancel-all-confirmation", "order-detail", "help", "positions", "done-orders", "book")
CASES = [(scene, SIZE) for scene in SCENES] + [(scene, SMALL) for scene in AT_80X24]


@pytest.mark.parametrize(("scene", "size"), CASES, ids=[f"{scene}-{w}x{h}" for scene, (w, h) in CASES])
def test_scene(snap_compare, exchange, tmp_path, scene, size):
    """Main screen, ticket (empty, filled, with errors), guard, modify, cancel, cancel-all, detail, help."""
    assert snap_compare(make_app(exchange, state=tmp_path), terminal_size=size, run_before=SCENES[scene])


@pytest.fixture(scope="module")
def real_exchange():
    server = screenshots.start_frozen_exchange(wire="real")
    yield server
    server.stop()


@pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
def test_main_screen_of_a_real_shaped_exchange(snap_compare, real_exchange, tmp_path, size):
    """No order time field (times from the activity trail), an empty book side, self-matches,
    no increments (every digit shown as sent), a degraded health."""
    assert snap_compare(make_app(real_exchange, state=tmp_path), terminal_size=size,
                        run_before=screenshots.main_screen)


@pytest.mark.parametrize("theme", shipped_themes())
def test_main_screen_in_every_shipped_theme(snap_compare, exchange, tmp_path, theme):
    app = make_app(exchange, state=tmp_path, theme=theme)
    assert snap_compare(app, terminal_size=SIZE, run_before=screenshots.main_screen)


def test_stale_and_failing_feeds(snap_compare, app, exchange):
    """Quotes answer 503 (failing, last prices kept); a balances poll hangs (stale after 3 intervals)."""

    async def run_before(pilot):
        await loaded(pilot)
        hang = asyncio.Event()

        async def balances_never_answer(**_):
            await hang.wait()

        app.client.balances = balances_never_answer
        exchange.faults.update({"status": 503, "paths": ["/markets/quote"]})
        before = {feed.name: feed.successes for feed in app.feeds}
        try:
            app.clock.advance(17)  # one jump: every feed wakes once, so the picture does not race real HTTP
            await screenshots._until(pilot, lambda: app.feeds["quotes"].errors >= 1 and all(
                app.feeds[name].successes > before[name] and not app.feeds[name].in_flight
                for name in ("orders", "trades")
            ))
        finally:
            exchange.faults.clear()
        await screenshots._until(pilot, lambda: len(app._notifications) > 0)  # the failing feed's toast is posted
        app.clear_notifications()
        app.refresh_bars()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_filtered_pane(snap_compare, app):
    async def run_before(pilot):
        await loaded(pilot)
        await pilot.press("2", "slash", *"eth", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_mono_screen_keeps_meaning_without_colour(snap_compare, exchange, tmp_path, monkeypatch):
    """NO_COLOR: sides, statuses, fill bars and feed health read as words and glyphs."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(exchange, state=tmp_path)
    assert app.no_color
    assert snap_compare(app, terminal_size=SIZE, run_before=screenshots.main_screen)
