"""The footer: `? Help` first, then the best ranked keys that fit, drawn by one widget that repaints
only when the keys it shows change (a focus move, a resize); a click on a key presses it."""

from ui_support import polled, wait_for

from blotter.ui.widgets.footer import RankedFooter


def footer(app) -> RankedFooter:
    return app.main.query_one(RankedFooter)


def shown(app) -> list[str]:
    return footer(app).shown


async def test_moving_between_panes_keeps_the_footers_keys_and_a_narrower_screen_changes_them(make_app):
    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause(0.1)
        labels = shown(app)
        assert labels[0] == "? Help" and labels[-1] == "^p Commands" and len(labels) > 5
        assert not footer(app).children  # one widget: no key is mounted, or mounted again
        painted = footer(app).render()
        for pane in ("2", "3", "1"):  # each focus move tells the footer its bindings may have changed
            await pilot.press(pane)
            await pilot.pause(0.05)
        assert shown(app) == labels
        assert footer(app).render().plain == painted.plain

        await pilot.resize_terminal(80, 24)
        await wait_for(lambda: shown(app) != labels, pilot)
        narrow = shown(app)
        assert narrow[0] == "? Help" and len(narrow) < len(labels)  # fewer keys fit, the first still whole
        assert set(narrow) <= set(labels)
        line = footer(app).render().plain
        assert len(line) == 80 and line.endswith("▏^p Commands ")  # whole keys only, the palette's at the edge
        for label in narrow[:-1]:
            key, _, description = label.partition(" ")
            assert f" {key} {description} " in line


async def test_keys_that_change_with_the_focus_are_drawn_again(make_app):
    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause(0.1)
        labels = shown(app)
        await pilot.press("/")  # the filter box takes the keys: only its own and the palette's remain
        await wait_for(lambda: shown(app) == ["/ Filter", "^p Commands"], pilot)
        assert footer(app).render().plain.startswith(" / Filter ")
        await pilot.press("escape")
        await wait_for(lambda: shown(app) == labels, pilot)


async def test_a_click_on_a_key_presses_it(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: polled(app), pilot)
        await pilot.pause(0.1)
        assert shown(app)[0] == "? Help"
        await pilot.click(RankedFooter, offset=(1, 0))  # on "?"
        await wait_for(lambda: app.screen.id != "main", pilot)  # the help overlay
