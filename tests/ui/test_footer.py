"""The footer's keys are mounted again only when the keys it shows change (a focus move, a resize)."""

from textual.widgets._footer import FooterKey
from ui_support import polled, wait_for

from blotter.ui.widgets.footer import RankedFooter


def keys(app) -> list[FooterKey]:
    return list(app.main.query_one(RankedFooter).query(FooterKey))


def shown(app) -> list[str]:
    return [f"{key.key_display} {key.description}" for key in keys(app)]


async def test_moving_between_panes_keeps_the_footers_keys_and_a_narrower_screen_changes_them(make_app):
    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause(0.1)
        before, labels = keys(app), shown(app)
        assert labels[0] == "? Help" and len(labels) > 5
        for pane in ("2", "3", "1"):  # each focus move tells the footer its bindings may have changed
            await pilot.press(pane)
            await pilot.pause(0.05)
        assert keys(app) == before  # the same widgets: nothing was removed and mounted again
        assert shown(app) == labels

        await pilot.resize_terminal(80, 24)
        await wait_for(lambda: shown(app) != labels, pilot)
        narrow = shown(app)
        assert narrow[0] == "? Help" and len(narrow) < len(labels)  # fewer keys fit, the first still whole
        assert set(narrow) <= set(labels)


async def test_keys_that_change_with_the_focus_are_drawn_again(make_app):
    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause(0.1)
        labels = shown(app)
        await pilot.press("/")  # the filter box takes the keys: only its own and the palette's remain
        await wait_for(lambda: shown(app) == ["/ Filter", "^p Commands"], pilot)
        await pilot.press("escape")
        await wait_for(lambda: shown(app) == labels, pilot)
