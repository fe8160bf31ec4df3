"""Price alerts: an armed alert fires once, on the first poll that sees its price at or beyond its
level (a crossing, or already beyond when set); empty sides and missing trades never fire; the book
survives restarts exactly; what the trader types is read, or answered in the trader's words."""

import json
from decimal import Decimal

import pytest

from blotter.api.models import MarketQuote
from blotter.core.alerts import (
    ALERTS_FILE,
    MAX_ALERTS,
    AlertBook,
    AlertInputError,
    AlertSpec,
    Direction,
    Reference,
    load_alerts,
    parse_alert,
    save_alerts,
)

NS = 1_000_000_000
SET_NS = 1_790_000_000 * NS  # 2026-09-21 14:13:20 UTC
D = Decimal


def quote(bid: str | None = None, ask: str | None = None, last: str | None = None, iid: str = "1",
          symbol: str = "BTC-PYUSD") -> MarketQuote:
    info: dict = {}
    if bid is not None:
        info["best_bid"] = {"price": bid, "qty": "1"}
    if ask is not None:
        info["best_ask"] = {"price": ask, "qty": "1"}
    if last is not None:
        info["last_trade"] = {"price": last, "qty": "0.1"}
    return MarketQuote.model_validate({"id": iid, "symbol": symbol, "info": info})


def mid(value: str, iid: str = "1") -> MarketQuote:
    """A book whose mid is `value` (bid and ask one apart)."""
    return quote(str(D(value) - D("0.5")), str(D(value) + D("0.5")), iid=iid)


def book_with(reference: str, direction: str, level: str) -> AlertBook:
    book = AlertBook()
    book.add("1", "BTC-PYUSD", reference, direction, D(level), SET_NS)
    return book


def run(book: AlertBook, quotes: list[MarketQuote], start: int = 1) -> list[list[str]]:
    """The fired texts, poll by poll (one second apart)."""
    return [[f.text for f in book.observe([q], SET_NS + (start + i) * NS)] for i, q in enumerate(quotes)]


# --- crossing -------------------------------------------------------------------------------------


def test_mid_crossing_above_fires_once_with_its_line():
    book = book_with("mid", "above", "97000")
    texts = run(book, [mid("96990"), mid("96999.5"), mid("97012.5"), mid("97100"), mid("96000"), mid("97200")])
    assert texts == [[], [], ["BTC-PYUSD mid 97,012.5 crossed above 97,000 (alert set 14:13:20)"], [], [], []]
    [alert] = book.alerts
    assert not alert.active and alert.fired_ns == SET_NS + 3 * NS and alert.fired_price == D("97012.5")
    assert book.active == [] and book.fired == [alert]


def test_mid_crossing_below_fires():
    book = book_with("mid", "below", "3400.5")
    fired = book.observe([mid("3401")], SET_NS + NS) + book.observe([mid("3400.25")], SET_NS + 2 * NS)
    assert [(f.crossed, f.price, f.text) for f in fired] == [
        (True, D("3400.25"), "BTC-PYUSD mid 3,400.25 crossed below 3,400.5 (alert set 14:13:20)")]
    assert fired[0].title == "Alert BTC-PYUSD"


def test_last_crossing_above_and_below():
    above = book_with("last", "above", "100")
    assert run(above, [quote(last="99"), quote(last="100.01")])[1] == [
        "BTC-PYUSD last 100.01 crossed above 100 (alert set 14:13:20)"]
    below = book_with("last", "below", "100")
    assert run(below, [quote(last="101"), quote(last="99.99")])[1] == [
        "BTC-PYUSD last 99.99 crossed below 100 (alert set 14:13:20)"]


def test_last_alert_ignores_the_mid_and_mid_alert_ignores_the_last():
    last = book_with("last", "above", "100")
    assert run(last, [quote("99", "99.5", "90"), quote("200", "201", "99")]) == [[], []]
    middle = book_with("mid", "above", "100")
    assert run(middle, [quote("98", "99", "150")]) == [[]]


def test_stopping_exactly_on_the_level_counts_as_reaching_it():
    book = book_with("mid", "above", "97000")
    assert run(book, [mid("96990"), mid("97000")]) == [
        [], ["BTC-PYUSD mid reached 97,000 (alert above, set 14:13:20)"]]


def test_exact_decimal_comparison_one_unit_short_does_not_fire():
    book = book_with("last", "above", "0.000000000000000001")
    assert run(book, [quote(last="0.0000000000000000009"), quote(last="0.00000000000000000099")]) == [[], []]
    assert run(book, [quote(last="0.000000000000000001")], start=3) == [
        ["BTC-PYUSD last reached 0.000000000000000001 (alert above, set 14:13:20)"]]


# --- the already-beyond case (decided: told at once) --------------------------------------------------


def test_already_above_when_set_fires_on_the_first_poll_saying_so():
    book = book_with("mid", "above", "100")
    [fired] = book.observe([mid("105")], SET_NS + NS)
    assert fired.crossed is False
    assert fired.text == "BTC-PYUSD mid 105 is already above 100 (alert set 14:13:20)"
    assert book.observe([mid("106")], SET_NS + 2 * NS) == []


def test_already_at_the_level_when_set():
    book = book_with("last", "below", "100")
    assert run(book, [quote(last="100")]) == [["BTC-PYUSD last is already at 100 (alert below, set 14:13:20)"]]


def test_alert_set_yesterday_says_the_date():
    book = book_with("mid", "above", "100")
    [fired] = book.observe([mid("101")], SET_NS + 86_400 * NS)
    assert fired.text == "BTC-PYUSD mid 101 is already above 100 (alert set 2026-09-21 14:13:20)"


# --- no price: never fires, never a side --------------------------------------------------------------


def test_empty_side_never_fires_and_is_not_a_crossing():
    book = book_with("mid", "below", "100")
    empty_bid = quote(None, "90")  # only an ask, far below the level: no mid at all
    sentinel_ask = quote("80", "170141183460469231731.687303715884105727")  # the empty-side sentinel
    nothing = quote()
    assert run(book, [empty_bid, sentinel_ask, nothing]) == [[], [], []]
    assert book.active  # still armed
    # The gap is skipped: 101 before it, 99 after it is a crossing from the last real price.
    assert run(book, [mid("101"), quote(None, "90"), mid("99")], start=4)[2] == [
        "BTC-PYUSD mid 99 crossed below 100 (alert set 14:13:20)"]


def test_missing_last_trade_never_fires():
    book = book_with("last", "below", "100")
    no_trade = quote("1", "2")
    zero_trade = MarketQuote.model_validate({"id": "1", "info": {"last_trade": {"price": "0", "qty": "0"}}})
    unreadable = MarketQuote.model_validate({"id": "1", "info": {"last_trade": {"price": "abc"}}})
    assert run(book, [no_trade, zero_trade, unreadable]) == [[], [], []]
    assert book.active


def test_other_instruments_do_not_touch_an_alert():
    book = book_with("mid", "above", "100")
    assert book.observe([mid("500", iid="2")], SET_NS + NS) == []
    assert book.observe([], SET_NS + 2 * NS) == []
    assert [f.alert.id for f in book.observe([mid("500", iid="2"), mid("101")], SET_NS + 3 * NS)] == ["A1"]


def test_symbol_comes_from_the_quote_when_the_alert_has_none():
    book = AlertBook()
    book.add("7", "", "mid", "above", D("1"), SET_NS)
    [fired] = book.observe([quote("1", "3", iid="7", symbol="ETH-PYUSD")], SET_NS + NS)
    assert fired.alert.symbol == "ETH-PYUSD" and fired.text.startswith("ETH-PYUSD mid 2 is already above 1")


# --- the book ---------------------------------------------------------------------------------------


def test_rearm_fires_again_and_remove_forgets():
    book = book_with("mid", "above", "100")
    run(book, [mid("99"), mid("101")])
    rearmed = book.rearm("A1", SET_NS + 60 * NS)
    assert rearmed is not None and rearmed.active and rearmed.armed_ns == SET_NS + 60 * NS
    assert rearmed.fired_price is None and book.active == [rearmed]
    # Re-armed while still above: told at once, like a new alert, with the new time.
    assert run(book, [mid("102")], start=61) == [["BTC-PYUSD mid 102 is already above 100 (alert set 14:14:20)"]]
    book.rearm("A1", SET_NS + 70 * NS)
    assert run(book, [mid("99"), mid("100.5")], start=71)[1] == [
        "BTC-PYUSD mid 100.5 crossed above 100 (alert set 14:14:30)"]
    assert book.remove("A1") is not None and book.alerts == [] and book.remove("A1") is None
    assert book.rearm("A1", SET_NS) is None


def test_rearm_forgets_the_side_seen_before():
    book = book_with("mid", "above", "100")
    book.observe([mid("99")], SET_NS + NS)
    book.rearm("A1", SET_NS + 2 * NS)  # still armed, re-armed: the next poll is a first look again
    [fired] = book.observe([mid("101")], SET_NS + 3 * NS)
    assert fired.crossed is False


def test_ids_are_short_stable_and_never_reused():
    book = AlertBook()
    a1 = book.add("1", "BTC-PYUSD", Reference.MID, Direction.ABOVE, D("1"), SET_NS)
    a2 = book.add("2", "ETH-PYUSD", "last", "below", D("2"), SET_NS)
    assert (a1.id, a2.id) == ("A1", "A2")
    book.remove("A2")
    assert book.add("2", "ETH-PYUSD", "last", "below", D("2"), SET_NS).id == "A3"
    assert [a.id for a in book.for_instrument("2")] == ["A3"] and book.get("A1") == a1 and len(book) == 2


def test_several_alerts_fire_on_one_poll_in_the_order_set():
    book = AlertBook()
    book.add("1", "BTC-PYUSD", "mid", "above", D("100"), SET_NS)
    book.add("1", "BTC-PYUSD", "last", "above", D("50"), SET_NS)
    book.add("1", "BTC-PYUSD", "mid", "below", D("90"), SET_NS)
    assert [f.alert.id for f in book.observe([quote("100", "101", "60")], SET_NS + NS)] == ["A1", "A2"]


def test_bad_levels_are_refused_and_a_full_book_drops_the_oldest_fired():
    book = AlertBook()
    for level in (D(0), D(-1), D("NaN"), D("Infinity")):
        with pytest.raises(AlertInputError, match="greater than zero"):
            book.add("1", "X", "mid", "above", level, SET_NS)
    for n in range(MAX_ALERTS):
        book.add("1", "X", "mid", "above", D(1000 + n), SET_NS)
    with pytest.raises(AlertInputError, match="remove some first"):
        book.add("1", "X", "mid", "above", D(1), SET_NS)
    book.observe([mid("1000.5")], SET_NS + NS)  # fires A1 only
    assert book.add("1", "X", "mid", "above", D(1), SET_NS).id == f"A{MAX_ALERTS + 1}"
    assert book.get("A1") is None and len(book) == MAX_ALERTS


def test_summary_lines_for_the_list():
    book = book_with("mid", "above", "97000")
    alert = book.alerts[0]
    assert book.summary(alert, SET_NS) == "A1  BTC-PYUSD mid above 97,000 · armed since 14:13:20"
    book.observe([mid("97012.5")], SET_NS + 5 * NS)
    assert book.summary(book.alerts[0], SET_NS + 5 * NS) == "A1  BTC-PYUSD mid above 97,000 · fired 14:13:25 at 97,012.5"


# --- the file -------------------------------------------------------------------------------------


def test_round_trip_keeps_everything_exact(tmp_path):
    path = tmp_path / "state" / ALERTS_FILE
    book = AlertBook()
    book.add("1", "BTC-PYUSD", "mid", "above", D("97000.000000000000000001"), SET_NS)
    book.add("2", "ETH-PYUSD", "last", "below", D("3400.50"), SET_NS + NS)
    book.add("3", "SOL-PYUSD", "mid", "above", D("1E+2"), SET_NS)
    book.remove("A3")
    book.observe([quote(last="3400.1", iid="2")], SET_NS + 2 * NS)
    save_alerts(path, book)
    stored = json.loads(path.read_text())
    assert stored["alerts"][0]["level"] == "97000.000000000000000001"
    assert stored["alerts"][1]["level"] == "3400.50" and stored["alerts"][1]["fired_price"] == "3400.1"
    loaded, problem = load_alerts(path)
    assert problem is None and loaded.alerts == book.alerts
    assert loaded.alerts[1].fired_ns == SET_NS + 2 * NS and loaded.alerts[1].level == D("3400.50")
    assert loaded.add("4", "X", "mid", "above", D(1), SET_NS).id == "A4"  # A3 is not reused after a restart
    assert [p.name for p in path.parent.iterdir()] == [ALERTS_FILE]  # no temp file left


def test_a_loaded_armed_alert_already_beyond_fires_on_the_first_poll(tmp_path):
    path = tmp_path / ALERTS_FILE
    save_alerts(path, book_with("mid", "above", "100"))
    book = load_alerts(path).book
    assert [f.crossed for f in book.observe([mid("101")], SET_NS + NS)] == [False]


def test_missing_file_is_an_empty_book_without_a_problem(tmp_path):
    book, problem = load_alerts(tmp_path / ALERTS_FILE)
    assert book.alerts == [] and problem is None


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"alerts": 3}', b""])
def test_corrupt_file_gives_an_empty_book_a_reason_and_is_set_aside(tmp_path, content):
    path = tmp_path / ALERTS_FILE
    path.write_bytes(content)
    book, problem = load_alerts(path)
    assert book.alerts == [] and problem is not None
    assert problem.startswith("The saved alerts could not be read (alerts.json:")
    assert "kept as alerts.json.bad" in problem
    assert (tmp_path / "alerts.json.bad").read_bytes() == content and not path.exists()


def test_bad_entries_are_left_out_with_a_reason(tmp_path):
    path = tmp_path / ALERTS_FILE
    save_alerts(path, book_with("mid", "above", "100"))
    document = json.loads(path.read_text())
    good = document["alerts"][0]
    document["alerts"] += [
        {**good, "id": "A7", "level": "abc"},
        {**good, "id": "A8", "direction": "sideways"},
        {**good, "id": "A9", "fired_ns": SET_NS},  # fired without a price
        {**good, "level": "5"},  # a second A1
        "junk",
    ]
    path.write_text(json.dumps(document))
    book, problem = load_alerts(path)
    assert [a.id for a in book.alerts] == ["A1"] and book.alerts[0].level == D(100)
    assert problem == "5 saved alerts could not be read and were left out; it was kept as alerts.json.bad"
    assert book.add("1", "X", "mid", "above", D(1), SET_NS).id == "A2"


def test_an_unreadable_path_is_a_reason_not_an_exception(tmp_path):
    (tmp_path / ALERTS_FILE).mkdir()
    book, problem = load_alerts(tmp_path / ALERTS_FILE)
    assert book.alerts == [] and problem is not None and problem.startswith("Could not read the saved alerts")


# --- what the trader types ------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("> 97000", (Direction.ABOVE, D("97000"), Reference.MID)),
    (">97000", (Direction.ABOVE, D("97000"), Reference.MID)),
    ("above 97000", (Direction.ABOVE, D("97000"), Reference.MID)),
    ("  ABOVE 97,000.25  ", (Direction.ABOVE, D("97000.25"), Reference.MID)),
    ("< 3,400.5", (Direction.BELOW, D("3400.5"), Reference.MID)),
    ("below 3400.5 last", (Direction.BELOW, D("3400.5"), Reference.LAST)),
    ("last < 3400.5", (Direction.BELOW, D("3400.5"), Reference.LAST)),
    ("<=.5", (Direction.BELOW, D("0.5"), Reference.MID)),
    (">= 100 mid", (Direction.ABOVE, D("100"), Reference.MID)),
    ("97000 above", (Direction.ABOVE, D("97000"), Reference.MID)),
])
def test_parse_good_inputs(text, expected):
    assert parse_alert(text) == AlertSpec(*expected)


@pytest.mark.parametrize("text, message", [
    ("", "Type a direction and a level, e.g. > 97000"),
    ("97000", "Say above or below (or > / <), e.g. > 97000"),
    ("mid 97000", "Say above or below (or > / <)"),
    ("above", "Give a level, e.g. > 97000"),
    ("> abc", "Level must be a number, like 97000 or 3,400.5"),
    ("> 97k", "Level must be a number"),
    ("> 1e5", "Level must be a number"),
    ("> 9,70,00", "Level must be a number"),
    ("> 0", "Level must be greater than zero"),
    ("< -5", "Level must be greater than zero"),
    ("> 100 < 90", "Say above or below, not both"),
    ("> 100 200", "Give one level only"),
    ("> 100 mid last", "Say mid or last, not both"),
    ("> 100 bid", "Not understood: 'bid'; the price watched is mid (the default) or last"),
])
def test_parse_bad_inputs_answer_in_the_traders_words(text, message):
    with pytest.raises(AlertInputError) as caught:
        parse_alert(text)
    assert str(caught.value).startswith(message)
