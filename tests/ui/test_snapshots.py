"""Snapshots: deterministic (in-memory exchange data, frozen clock, nothing ticking)."""

from conftest import polled, wait_for

from blotter.api import ServerError


async def loaded(pilot):
    await wait_for(lambda: polled(pilot.app), pilot)
    await pilot.pause()
    pilot.app.refresh_bars()
    await pilot.pause()


def test_main_screen_120x40(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=loaded)


def test_main_screen_80x24(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=loaded)


def test_stale_and_failing_feeds(snap_compare, make_app, fake_client, fake_clock):
    async def run_before(pilot):
        await loaded(pilot)
        app = pilot.app
        fake_client.fail["quotes"] = ServerError(503, "Service Unavailable")
        fake_client.hang.add("balances")
        for _ in range(17):
            fake_clock.advance(1)
            await pilot.pause(0.01)
        await wait_for(lambda: not app.feeds["orders"].in_flight and not app.feeds["trades"].in_flight, pilot)
        app.clear_notifications()
        app.refresh_bars()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


def test_filtered_pane(snap_compare, make_app):
    async def run_before(pilot):
        await loaded(pilot)
        await pilot.press("2", "slash", *"eth", "enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


def test_help_overlay(snap_compare, make_app):
    async def run_before(pilot):
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)
