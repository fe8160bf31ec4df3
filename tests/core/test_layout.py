"""Pane heights: what the rows need when it fits, weighted fair shares when it does not."""

from hypothesis import given
from hypothesis import strategies as st

from blotter.core.layout import MINIMUM, pane_heights

WEIGHTS = {"orders": 3, "trades": 2, "bottom": 2}


def test_two_orders_take_what_they_need_and_the_trades_get_the_rest_of_the_share():
    heights = pane_heights(36, {"orders": 2 + 3, "trades": 300 + 3, "bottom": 5 + 3}, WEIGHTS)
    assert heights == {"orders": 5, "bottom": 8, "trades": 23}


def test_every_pane_overfull_gets_its_weighted_share():
    heights = pane_heights(35, {"orders": 100, "trades": 100, "bottom": 100}, WEIGHTS)
    assert heights == {"orders": 14, "trades": 11, "bottom": 10}  # 4 each, then the other 23 shared 3:2:2


def test_a_small_pane_leaves_its_share_to_the_others():
    heights = pane_heights(36, {"orders": 40, "trades": 303, "bottom": 8}, WEIGHTS)
    assert heights["bottom"] == 8
    assert heights["orders"] + heights["trades"] == 28 and heights["orders"] > heights["trades"]


def test_everything_fits():
    assert pane_heights(50, {"orders": 6, "trades": 10, "bottom": 7}, WEIGHTS) == {"orders": 6, "trades": 10,
                                                                                  "bottom": 7}


def test_an_empty_pane_still_shows_a_row():
    assert pane_heights(36, {"orders": 3, "trades": 300, "bottom": 3}, WEIGHTS)["orders"] == MINIMUM


@given(st.integers(3 * MINIMUM, 200), st.lists(st.integers(0, 500), min_size=3, max_size=3))
def test_never_more_than_the_screen_and_never_less_than_a_row(available, needs):
    heights = pane_heights(available, dict(zip(("orders", "trades", "bottom"), needs, strict=True)), WEIGHTS)
    assert sum(heights.values()) <= available
    assert min(heights.values()) >= MINIMUM
    for name, need in zip(("orders", "trades", "bottom"), needs, strict=True):
        assert heights[name] <= max(need, MINIMUM)  # never more than it needs: the caller places spare lines
