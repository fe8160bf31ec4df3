"""Helpers the Pilot tests share: wait for a condition on the running app, and "every feed polled"."""

import time


async def wait_for(predicate, pilot, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.01)


def polled(app) -> bool:
    """Every feed that polls has polled (the done orders poll only while shown); `/clients` has answered."""
    return app.ready and app.clients_asked and all(feed.successes >= 1 for feed in app.feeds if feed.name != "done")
