"""The two alert dialogs on a bare host app (they need nothing of BlotterApp): the dialog that sets
an alert from what the trader types, and the list that removes and re-arms alerts."""

from decimal import Decimal

from textual.app import App
from textual.widgets import Input, OptionList

from blotter.core.alerts import AlertBook, AlertSpec, Direction, Reference
from blotter.ui.screens.alert import AlertDialog
from blotter.ui.screens.alerts import EMPTY, AlertsScreen
from ui_support import wait_for

SMALL = (80, 24)
T0 = 1_790_000_000_000_000_000
SECOND = 1_000_000_000


def text(widget) -> str:
    return str(widget.render())


class Host(App):
    """Shows one dialog, records what it dismissed with."""

    def __init__(self, dialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


def btc(mid="96999.5", last="97001.50", **kwargs) -> AlertDialog:
    return AlertDialog("BTC-PYUSD", "100", None if mid is None else Decimal(mid),
                       None if last is None else Decimal(last), **kwargs)


def screen_text(app) -> str:
    """What the terminal shows, line by line (the compositor's output, the size of the terminal)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


# --- AlertDialog -----------------------------------------------------------------------------------


async def test_a_good_rule_is_previewed_and_enter_returns_the_exact_spec():
    host = Host(btc())
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        dialog = host.screen
        await pilot.press(*"> 97,000.50")  # focus starts in the rule
        await pilot.pause()
        assert text(dialog.query_one("#preview")) == "Alert when BTC-PYUSD mid goes above 97,000.5 (now 96,999.5)"
        assert not dialog.query_one("#preview").has_class("-error")
        await pilot.press("enter")
        await wait_for(lambda: host.results, pilot)
    spec = host.results[0]
    assert spec == AlertSpec(Direction.ABOVE, Decimal("97000.50"), Reference.MID)
    assert isinstance(spec.level, Decimal) and str(spec.level) == "97000.50"  # exact, never a float


async def test_below_on_the_last_trade_previews_against_the_last_price():
    host = Host(btc())
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press(*"below 3400.25 last")
        await pilot.pause()
        assert text(host.screen.query_one("#preview")) == (
            "Alert when BTC-PYUSD last goes below 3,400.25 (now 97,001.50)")
        await pilot.press("enter")
        await wait_for(lambda: host.results, pilot)
    assert host.results == [AlertSpec(Direction.BELOW, Decimal("3400.25"), Reference.LAST)]


async def test_a_level_already_crossed_says_it_fires_on_the_next_poll():
    host = Host(btc(text="< 97500"))  # prefilled: the mid 96,999.5 is already below
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert host.screen.query_one("#rule", Input).value == "< 97500"
        assert text(host.screen.query_one("#preview")) == (
            "Alert when BTC-PYUSD mid goes below 97,500 (now 96,999.5: already below it, so it fires on the next poll)")
        await pilot.press("enter")
        await wait_for(lambda: host.results, pilot)
    assert host.results == [AlertSpec(Direction.BELOW, Decimal("97500"), Reference.MID)]


async def test_a_bad_rule_shows_the_error_keeps_the_text_and_stays_open():
    host = Host(btc())
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        dialog = host.screen
        await pilot.press(*"above 97k")
        await pilot.pause()
        preview = dialog.query_one("#preview")
        assert "Level must be a number" in text(preview) and preview.has_class("-error")  # said as typed
        await pilot.press("enter")
        await pilot.pause()
        assert host.screen is dialog and host.results == []
        assert dialog.query_one("#rule", Input).value == "above 97k"
        assert "Level must be a number" in text(preview) and preview.has_class("-error")
        assert dialog.query_one("#rule", Input).has_focus
        await pilot.press("backspace", *"000", "enter")  # corrected in place
        await wait_for(lambda: host.results, pilot)
    assert host.results == [AlertSpec(Direction.ABOVE, Decimal("97000"), Reference.MID)]


async def test_enter_on_an_empty_rule_says_what_to_type_and_stays_open():
    host = Host(btc())
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        preview = host.screen.query_one("#preview")
        assert not preview.has_class("-error")  # nothing typed yet: a hint, not an error
        await pilot.press("enter")
        await pilot.pause()
        assert host.results == [] and isinstance(host.screen, AlertDialog)
        assert "Type a direction and a level" in text(preview) and preview.has_class("-error")


async def test_escape_returns_none():
    host = Host(btc(text="> 97000"))
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(lambda: host.results, pilot)
    assert host.results == [None]


async def test_no_mid_and_no_last_are_words_not_zero():
    host = Host(btc(mid=None, last=None))
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        dialog = host.screen
        assert text(dialog.query_one("#prices")) == "Now: no mid · no last trade"
        await pilot.press(*"> 97000")
        await pilot.pause()
        assert text(dialog.query_one("#preview")) == "Alert when BTC-PYUSD mid goes above 97,000 (no mid now)"
        await pilot.press(*" last")
        await pilot.pause()
        assert text(dialog.query_one("#preview")) == (
            "Alert when BTC-PYUSD last goes above 97,000 (no last trade now)")
        shown = screen_text(host)
        assert "no mid" in shown and "no last trade" in shown
        assert "mid 0" not in shown and "last 0" not in shown


async def test_prices_are_shown_exactly_as_given():
    host = Host(btc(mid="96999.75", last="97000.10"))
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert text(host.screen.query_one("#prices")) == "Now: mid 96,999.75 · last 97,000.10"
        await pilot.press(*"> 97000.1 last")  # exactly the last trade: it fires on the next poll
        await pilot.pause()
        assert text(host.screen.query_one("#preview")) == (
            "Alert when BTC-PYUSD last goes above 97,000.1 (now 97,000.10: at it, so it fires on the next poll)")


async def test_an_instrument_without_a_symbol_is_named_by_its_id():
    host = Host(AlertDialog("", "100", Decimal("5"), None, text="> 6"))
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert text(host.screen.query_one(".heading")) == "Price alert on 100"
        assert text(host.screen.query_one("#preview")) == "Alert when 100 mid goes above 6 (now 5)"
        assert text(host.screen.query_one("#prices")) == "Now: mid 5 · no last trade"


async def test_the_dialog_is_legible_at_80x24_with_the_alerts_already_set():
    existing = ["A1  BTC-PYUSD mid above 97,000 · armed since 10:02:03",
                "A2  BTC-PYUSD last below 90,000 · fired 10:05:01 at 89,999.5"]
    host = Host(btc(existing=existing))
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press(*"> 98000")
        await pilot.pause()
        shown = screen_text(host)
        for words in ("Price alert on BTC-PYUSD", "mid 96,999.5", "last 97,001.50", "> 98000",
                      "Alert when BTC-PYUSD mid goes above 98,000", "Already set on BTC-PYUSD", *existing,
                      "enter sets", "esc closes", "Close (esc)", "Set alert (enter)"):
            assert words in shown, words
        dialog = host.screen.query_one("#dialog")
        assert dialog.region.height <= SMALL[1] and dialog.region.width <= SMALL[0]


# --- AlertsScreen ----------------------------------------------------------------------------------


class ListHost(App):
    """Owns a book, as the app will: applies each message at once and refreshes the list (unless
    told to only record what was asked)."""

    def __init__(self, book: AlertBook, apply: bool = True) -> None:
        super().__init__()
        self.book = book
        self.apply = apply
        self.asked: list[tuple[str, str]] = []
        self.closed: list = []

    def rows(self):
        return [(a.id, self.book.summary(a, T0), a.active) for a in self.book.alerts]

    def on_mount(self) -> None:
        self.push_screen(AlertsScreen(self.rows()), self.closed.append)

    def on_alerts_screen_remove(self, message: AlertsScreen.Remove) -> None:
        self.asked.append(("remove", message.alert_id))
        if not self.apply:
            return
        self.book.remove(message.alert_id)
        message.dialog.refresh_rows(self.rows())

    def on_alerts_screen_rearm(self, message: AlertsScreen.Rearm) -> None:
        self.asked.append(("rearm", message.alert_id))
        self.book.rearm(message.alert_id, T0 + 60 * SECOND)
        message.dialog.refresh_rows(self.rows())


def three_alerts() -> AlertBook:
    book = AlertBook()
    book.add("100", "BTC-PYUSD", Reference.MID, Direction.ABOVE, Decimal("97000"), T0)  # A1 armed
    book.add("100", "BTC-PYUSD", Reference.LAST, Direction.BELOW, Decimal("90000.5"), T0)  # A2 fired below
    book.add("200", "ETH-PYUSD", Reference.MID, Direction.ABOVE, Decimal("3400.25"), T0)  # A3 armed
    from blotter.api.models import MarketQuote

    quote = MarketQuote.model_validate({"id": "100", "info": {"last_trade": {"price": "89999.75", "qty": "1"}}})
    assert [f.alert.id for f in book.observe([quote], T0 + 30 * SECOND)] == ["A2"]
    return book


def option_texts(screen) -> list[str]:
    listing = screen.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_the_list_shows_each_alert_with_its_state():
    host = ListHost(three_alerts())
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = host.screen
        texts = option_texts(screen)
        assert len(texts) == 3
        assert texts[0].startswith("A1  BTC-PYUSD mid above 97,000 · armed since")
        assert texts[1].startswith("A2  BTC-PYUSD last below 90,000.5 · fired") and texts[1].endswith("at 89,999.75")
        assert text(screen.query_one("#heading")) == "Price alerts (2 armed, 1 fired)"
        shown = screen_text(host)
        for words in ("Price alerts", "d removes", "r re-arms", "esc closes", "A1  BTC-PYUSD mid above 97,000",
                      "at 89,999.75", "A3  ETH-PYUSD mid above 3,400.25"):
            assert words in shown, words


async def test_d_removes_the_selected_alert_at_once_and_delete_does_too():
    host = ListHost(three_alerts())
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = host.screen
        await pilot.press("down", "d")
        await wait_for(lambda: host.asked, pilot)
        await pilot.pause()
        assert host.asked == [("remove", "A2")] and host.book.get("A2") is None
        assert [t[:2] for t in option_texts(screen)] == ["A1", "A3"]
        assert screen.selected == "A3"  # the selection stays where it was
        assert text(screen.query_one("#heading")) == "Price alerts (2 armed, 0 fired)"
        await pilot.press("up", "delete")
        await wait_for(lambda: len(host.asked) == 2, pilot)
        await pilot.pause()
        assert host.asked[1] == ("remove", "A1")
        assert [t[:2] for t in option_texts(screen)] == ["A3"]
        assert isinstance(host.screen, AlertsScreen)  # still open: the trader sees the list change
    assert [a.id for a in host.book.alerts] == ["A3"]


async def test_r_rearms_a_fired_alert_and_refuses_an_armed_one():
    host = ListHost(three_alerts())
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = host.screen
        await pilot.press("r")  # A1 is armed
        await pilot.pause()
        assert host.asked == []
        assert "A1 is armed already" in text(screen.query_one("#note"))
        await pilot.press("down", "r")
        await wait_for(lambda: host.asked, pilot)
        await pilot.pause()
        assert host.asked == [("rearm", "A2")] and host.book.get("A2").active
        assert "armed since" in option_texts(screen)[1] and screen.selected == "A2"
        assert text(screen.query_one("#heading")) == "Price alerts (3 armed, 0 fired)"
        assert text(screen.query_one("#note")) == ""


async def test_removing_the_last_alert_shows_the_empty_message():
    book = AlertBook()
    book.add("100", "BTC-PYUSD", Reference.MID, Direction.ABOVE, Decimal("97000"), T0)
    host = ListHost(book)
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert EMPTY not in screen_text(host)
        await pilot.press("d")
        await wait_for(lambda: host.asked, pilot)
        await pilot.pause()
        assert len(book) == 0
        assert EMPTY in screen_text(host)
        await pilot.press("d", "r")  # nothing left: nothing asked
        await pilot.pause()
        assert host.asked == [("remove", "A1")]


async def test_an_empty_list_says_how_to_set_one_and_q_or_escape_close():
    for key in ("q", "escape"):
        host = ListHost(AlertBook())
        async with host.run_test(size=SMALL) as pilot:
            await pilot.pause()
            assert EMPTY in screen_text(host)
            assert text(host.screen.query_one("#heading")) == "Price alerts"
            await pilot.press(key)
            await wait_for(lambda: host.closed, pilot)
        assert host.closed == [None], key


async def test_a_second_press_before_the_list_is_refreshed_asks_once():
    host = ListHost(three_alerts(), apply=False)  # asked, not applied yet, not refreshed
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("d", "d", "delete")
        await pilot.pause()
        assert host.asked == [("remove", "A1")]
        host.screen.refresh_rows(host.rows())  # the answer: asking again is allowed
        await pilot.press("d")
        await wait_for(lambda: len(host.asked) == 2, pilot)


async def test_the_list_is_legible_at_80x24_with_many_alerts():
    book = AlertBook()
    for n in range(30):
        book.add("100", "BTC-PYUSD", Reference.MID, Direction.ABOVE, Decimal(97000 + n), T0)
    host = ListHost(book)
    async with host.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = host.screen
        dialog = screen.query_one("#dialog")
        assert dialog.region.height <= SMALL[1]
        await pilot.press("end")
        await pilot.pause()
        shown = screen_text(host)
        assert "Price alerts (30 armed, 0 fired)" in shown and "d removes" in shown
        assert "A30  BTC-PYUSD mid above 97,029" in shown  # the selection scrolled into view
        await pilot.press("d")
        await wait_for(lambda: host.asked == [("remove", "A30")], pilot)
