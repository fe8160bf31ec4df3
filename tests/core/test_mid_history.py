"""The mid trail: the last 15 minutes of each instrument's mid, kept bounded however long the session
runs, drawn as equal slices of time (the last mid of each slice, gaps carried, nothing before the
first point) in eight equal height bands between the window's lowest and highest mid.

Worked by hand: the window is (T - 900 s, T], T being the latest poll. With width 3 the slices are
(T-900, T-600], (T-600, T-300], (T-300, T]; with width 8 each slice is 112.5 s. A mid's band is
floor((mid - low) * 8 / (high - low)), 8 (the high itself) drawn in the top band 7.
"""

from decimal import Decimal

import pytest

from blotter.api.models import MarketQuote
from blotter.core.mid_history import BLOCKS, WINDOW_NS, MidHistory

S = 1_000_000_000  # ns per second
T = 1_790_000_000 * S
D = Decimal


def book(mid: str | None, iid: str = "1") -> MarketQuote:
    """A two-sided book with this mid (bid and ask half a unit either side); None: an empty bid."""
    if mid is None:
        return MarketQuote.model_validate({"id": iid, "info": {"best_ask": {"price": "5", "qty": "1"}}})
    m = D(mid)
    return MarketQuote.model_validate({"id": iid, "info": {
        "best_bid": {"price": str(m - D("0.5")), "qty": "1"}, "best_ask": {"price": str(m + D("0.5")), "qty": "1"}}})


def trail(points: list[tuple[int, str | None]], iid: str = "1") -> MidHistory:
    """A history fed one poll per (seconds before T, mid); the last poll is at T."""
    history = MidHistory()
    for before, mid in points:
        history.observe([book(mid, iid)], T - before * S)
    return history


def test_blocks_are_the_eight_heights():
    assert BLOCKS == "▁▂▃▄▅▆▇█" and WINDOW_NS == 900 * S


def test_100_101_102_draw_low_middle_high():
    # low 100, high 102, span 2: 100 -> 0*8//2 = 0 ▁; 101 -> 8//2 = 4 ▅; 102 -> 16//2 = 8, drawn in band 7 █.
    history = trail([(600, "100"), (300, "101"), (0, "102")])
    assert history.sparkline("1", width=3) == "▁▅█"


def test_every_band_once():
    # 100..108 one per 100 s slice (width 9): span 8, band = mid - 100, and 108 is drawn in band 7.
    history = trail([(800 - 100 * i, str(100 + i)) for i in range(9)])
    assert history.sparkline("1", width=9) == "▁▂▃▄▅▆▇██"


def test_bands_are_equal_eighths_of_the_range_exactly():
    # Range 100..102: each band is 0.25 wide. Width 9 (100 s slices): 800 s before T is slice 0, 700 slice 1,
    # 500 slice 3, 400 slice 4, T slice 8. 100.2499...9 is still band 0 (1.99...92 // 2 = 0); 100.25 starts
    # band 1 (2 // 2); 101.74 is band 6 ▇ (13.92 // 2); slices 2 and 5-7 carry the slice before them.
    history = trail([(800, "100"), (700, "102"), (500, "100.249999999999999999"), (400, "100.25"), (0, "101.74")])
    assert history.sparkline("1", width=9) == "▁██▁▂▂▂▂▇"


def test_exact_at_the_eighteenth_decimal():
    history = trail([(600, "97000"), (300, "97000.000000000000000001"), (0, "97000.000000000000000002")])
    assert history.sparkline("1", width=3) == "▁▅█"


def test_a_flat_line_is_the_middle_block():
    history = trail([(450, "100"), (0, "100.00")])
    assert history.sparkline("1", width=2) == "▄▄"
    assert trail([(500, "100"), (0, "100")]).sparkline("1") == "   ▄▄▄▄▄"


def test_fewer_than_two_points_draw_nothing():
    assert trail([(0, "100")]).sparkline("1") == ""
    assert trail([]).sparkline("1") == ""
    assert trail([(10, "100"), (0, "101")]).sparkline("unknown") == ""


def test_leading_slices_are_blank_and_gaps_carry_the_last_mid():
    # Width 8 (112.5 s slices): 500 s before T is 400 s into the window, slice floor((400*8 - tiny)/900) = 3;
    # T itself is slice 7. Slices 0-2 blank, 3 is 100 (▁), 4-6 carry it, 7 is 102 (█).
    assert trail([(500, "100"), (0, "102")]).sparkline("1") == "   ▁▁▁▁█"


def test_the_last_mid_of_a_slice_is_drawn_but_the_scale_is_the_whole_window():
    # All three in the last slice: 101 is shown (the last), scaled between 100 and 102 (band 4 ▅).
    assert trail([(10, "100"), (5, "102"), (0, "101")]).sparkline("1") == "       ▅"


def test_slice_edges_belong_to_the_earlier_slice():
    # Width 3: T-600 is the end of slice 0, T-600 + 1 ns the start of slice 1.
    history = MidHistory()
    history.observe([book("100")], T - 600 * S)
    history.observe([book("102")], T - 600 * S + 1)
    history.observe([book("101")], T)
    assert history.sparkline("1", width=3) == "▁█▅"


def test_empty_sides_are_skipped():
    history = trail([(600, "100"), (300, None), (0, "102")])
    assert history.points("1") == [(T - 600 * S, D("100")), (T, D("102"))]
    assert history.sparkline("1", width=3) == "▁▁█"  # the empty-side slice carries 100
    only_empty = trail([(10, None), (0, None)], iid="2")
    assert only_empty.points("2") == [] and len(only_empty) == 0 and only_empty.sparkline("2") == ""


def test_the_window_drops_points_older_than_15_minutes():
    history = MidHistory()
    history.observe([book("100")], T)
    history.observe([book("101")], T + 899 * S)
    assert [ns for ns, _ in history.points("1")] == [T, T + 899 * S]
    history.observe([book("102")], T + 900 * S)  # T is now exactly 15 minutes old: out
    assert history.points("1") == [(T + 899 * S, D("101")), (T + 900 * S, D("102"))]


def test_an_instrument_no_longer_quoted_is_forgotten_after_the_window():
    history = MidHistory()
    history.observe([book("100", "1"), book("5", "2")], T)
    history.observe([book("101", "1"), book("6", "2")], T + S)
    for second in range(2, 300):
        history.observe([book("101", "1")], T + second * S)
    assert history.sparkline("2", width=3) == "  █"  # carried to the right edge: still in the window
    history.observe([book("101", "1")], T + 901 * S)
    assert history.points("2") == [] and history.sparkline("2") == ""


def test_bounded_over_hours_of_one_second_polls():
    quotes = [[book(str(97000 + i % 7), "1"), book(str(3400 + i % 5), "2"), book(None, "3")] for i in range(35)]
    history = MidHistory()
    most = 0
    for second in range(6 * 3600):
        history.observe(quotes[second % 35], T + second * S)
        most = max(most, len(history))
    # 1-second polls, window (now - 900 s, now]: exactly 900 points per two-sided instrument.
    assert len(history) == most == 2 * 900
    assert len(history.points("1")) == 900 and history.points("3") == []
    assert len(history.sparkline("1")) == 8


def test_a_point_cap_bounds_polls_faster_than_the_window_expects():
    history = MidHistory(max_points=50)
    for i in range(1000):
        history.observe([book(str(100 + i % 3))], T + i * 1000)  # a thousand polls within a millisecond
    assert len(history) == 50


def test_the_wall_clock_stepping_back_keeps_the_trail_in_order():
    history = MidHistory()
    history.observe([book("100", "1"), book("7", "2")], T)
    history.observe([book("101", "1"), book("8", "2")], T + 10 * S)
    history.observe([book("102", "1")], T + 5 * S)
    assert history.points("1") == [(T, D("100")), (T + 5 * S, D("102"))]
    assert history.points("2") == [(T, D("7"))]


def test_width_must_be_positive_and_a_drawing_is_reused_until_the_next_poll():
    history = trail([(600, "100"), (0, "102")])
    with pytest.raises(ValueError):
        history.sparkline("1", width=0)
    first = history.sparkline("1", width=3)
    assert history.sparkline("1", width=3) is first and history.sparkline("1", width=4) == " ▁▁█"
    history.observe([book("101")], T + S)  # the window moved 1 s: T-600 is now in slice 0, T and T+1 s in slice 2
    assert history.sparkline("1", width=3) == "▁▁▅"
