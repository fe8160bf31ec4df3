"""The headless dashboard with the positions pane: a fill moves a position, a quote revalues the
positions and the balances, the header says the balances' value change since start, the window
starts again when the day does. Amounts worked by hand in the comments."""

from decimal import Decimal

from test_positions import BTC, BTC_PYUSD, ETH, ME, OTHER, PYUSD, T0, catalog, fill, quote

from blotter.api.models import NS_PER_DAY, Balances
from blotter.config import Settings
from blotter.core.dashboard import Dashboard
from blotter.core.feeds import FakeClock

D = Decimal


def dashboard(now_ns: int = T0 + 1000, **settings) -> tuple[Dashboard, FakeClock]:
    clock = FakeClock(now_ns=now_ns)
    return Dashboard(Settings(_env_file=None, **settings), clock, catalog=catalog(), client_id=ME), clock


def texts(board: Dashboard, pane: str, key: str) -> dict[str, str]:
    store = board.stores[pane]
    return {column.key: cell.text for column, cell in zip(store.columns, store.row(key), strict=True)}


def balances(*lines: tuple[str, str]) -> Balances:
    return Balances.model_validate({"id": "42", "balances": [{"asset_id": a, "balance": b} for a, b in lines]})


def test_a_fill_opens_a_position_and_a_quote_values_it():
    board, _ = dashboard()
    poll = board.take_trades([fill("BUY", "100", "2"), fill("SELL", "110", "0.5")], 0)
    # bought 2 @ 100, sold 0.5 @ 110: realized (110 - 100) x 0.5 = +5; net +1.5 @ 100
    row = texts(board, "positions", BTC_PYUSD)
    assert "positions" in poll.others
    assert (row["net"], row["realized"], row["unrealized"], row["total"]) == ("+1.5000", "+5", "unknown", "unknown")
    poll = board.take_quotes([quote(BTC_PYUSD, "119.5", "120.5")], 0)
    # mid 120: unrealized 1.5 x (120 - 100) = +30; total 5 + 30 = +35 (no fees)
    row = texts(board, "positions", BTC_PYUSD)
    assert (row["unrealized"], row["total"]) == ("+30", "+35")
    assert texts(board, "positions", "total:" + PYUSD)["total"] == "+35"
    assert "positions" in poll.others


def test_balances_are_valued_at_mid_and_the_header_says_the_change_since_start():
    board, _ = dashboard()
    board.take_balances([balances((PYUSD, "1000"), (BTC, "2"), (ETH, "1"))], 0)
    # no quotes yet: PYUSD is worth itself, BTC and ETH are unknown and the total says so
    assert texts(board, "balances", "42:" + BTC)["value"] == "no quote"
    assert texts(board, "balances", "total:value")["value"] == "1,000 + BTC, ETH unknown"
    poll = board.take_quotes([quote(BTC_PYUSD, "99", "101")], 0)
    # BTC at mid 100: 2 x 100 = 200; total 1,000 + 200 = 1,200, ETH still unknown (no ETH-PYUSD quote)
    assert texts(board, "balances", "42:" + BTC)["value"] == "200.0"  # 2 x 100.0, as exact as the mid
    assert texts(board, "balances", "total:value")["value"] == "1,200.0 + ETH unknown"
    assert board.value_text() == "0 PYUSD since start (without ETH)"
    assert poll.others["balances"]
    board.take_quotes([quote(BTC_PYUSD, "109", "111")], 0)
    # BTC at mid 110: 2 x (110 - 100) = +20 since start
    assert board.value_text() == "+20 PYUSD since start (without ETH)"
    assert list(board.stores["balances"].view)[-1] == "total:value"  # the total stays last, whatever the sort


def test_the_positions_start_again_when_the_day_does():
    midnight = T0 - T0 % NS_PER_DAY + NS_PER_DAY  # the next 00:00 UTC
    board, clock = dashboard(now_ns=midnight - 1000)
    board.take_trades([fill("BUY", "100", "1", at=midnight - 5000)], 0)
    assert board.title("positions") == "Positions since 00:00 UTC"
    assert BTC_PYUSD in board.stores["positions"].items
    clock._epoch_ns = midnight + 1000
    diffs = board.realigned()
    assert diffs["positions"].removed == [BTC_PYUSD, "total:" + PYUSD]  # yesterday's fill no longer counts
    assert board.title("positions") == "Positions since 00:00 UTC"


def test_day_start_moves_the_window():
    board, _ = dashboard(day_start="22:00")
    assert board.positions.window is not None
    assert board.title("positions").startswith("Positions since 22:00 UTC")


def test_one_client_or_all_of_them():
    board, _ = dashboard()
    board.clients = ["me", "other"]  # (what `/clients` listed: two)
    board.take_trades([fill("BUY", "100", "1"), fill("BUY", "200", "2", client=OTHER),
                       fill("SELL", "110", "1", client=None)], 0)  # a fill naming no client is the trader's
    # the trader's client: bought 1 @ 100, sold 1 @ 110 (the fill with no client): realized +10
    assert list(board.stores["positions"].view) == [BTC_PYUSD, "total:" + PYUSD]
    assert texts(board, "positions", BTC_PYUSD)["realized"] == "+10"
    assert board.stores["trades"].total == 3  # no scope on the trades yet: as before
    diffs = board.set_scope(None)  # every client: their rows name them
    assert set(diffs) == {"orders", "done", "trades", "positions"}
    assert list(board.stores["positions"].view) == [f"{OTHER}:{BTC_PYUSD}", f"{ME}:{BTC_PYUSD}",  # by client id
                                                    f"total:{OTHER}:{PYUSD}", f"total:{ME}:{PYUSD}"]
    assert texts(board, "positions", f"{OTHER}:{BTC_PYUSD}")["client"] == OTHER
    assert texts(board, "positions", f"{OTHER}:{BTC_PYUSD}")["net"] == "+2.0000"
    assert board.client_label() == "all 2 clients"
    board.set_scope(OTHER)
    assert board.stores["trades"].total == 2  # the other's fill, and the one naming no client
    assert list(board.stores["positions"].view) == [BTC_PYUSD, "total:" + PYUSD]
    assert texts(board, "positions", BTC_PYUSD)["net"] == "+2.0000"


# --- what the stream reports -----------------------------------------------------------------------


def order(order_id: str, status: str = "ACTIVE", leaves: str = "1"):
    from blotter.api.models import Order

    return Order.model_validate({"id": order_id, "status": status, "leaves_qty": leaves,
                                 "order_info": {"instrument_id": BTC_PYUSD, "side": "BUY", "qty": "1", "price": "100"}})


def test_streamed_order_states_change_only_their_rows_and_a_done_one_is_gone():
    board, _ = dashboard()
    board.take_orders([order("A"), order("B")], 0)
    poll = board.take_order_states([order("C"), order("A", status="CANCELED", leaves="0")])
    assert set(board.stores["orders"].items) == {"B", "C"}  # B untouched: the stream sent no listing
    assert poll.diff.added == ["C"] and poll.gone == ["A"]  # A is announced as a poll that lost it would


def test_streamed_fills_show_but_the_next_trades_poll_still_starts_from_the_polled_ones():
    board, _ = dashboard()
    polled = fill("BUY", "100", "1", at=T0 + 10)
    board.take_trades([polled], 0)
    streamed = fill("SELL", "101", "0.5", at=T0 + 20)
    poll = board.take_streamed_trades([streamed])
    assert streamed.key in board.trades.items and [t.key for t in poll.new_trades] == [streamed.key]
    assert "positions" in poll.others
    assert board.trades.polled_newest == T0 + 10  # a fill the stream missed at T0+15 is still asked for
    board.take_trades([streamed], 0)  # the poll lists it: no second row, and the next poll starts there
    assert len(board.trades.items) == 2 and board.trades.polled_newest == T0 + 20


def test_a_book_line_names_its_instrument_for_the_ticket_keys():
    from blotter.core.book_rows import book_lines

    board, _ = dashboard()
    board.stores["book"].apply(book_lines(BTC_PYUSD, [], [], {}))
    assert board.instrument_of("book", "spread") == BTC_PYUSD  # n, ] and [ on the Book pane
