"""What the dashboard shows, headless: reference data, one store per pane, and what each poll did.

The app runs the feeds this builds in Textual workers, hands every poll's data to `take`, and draws
the `Diff` it returns; the UI never keeps pane state of its own. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..api.models import PLACEHOLDER_KEYS, Health, MarketQuote, Order, OrderStatus, Trade
from ..config import Settings
from .feeds import Backoff, Clock, Feed, FeedSet, TradesFetcher
from .book_rows import BOOK_LEVELS, TapeLine, book_lines, book_store, own_resting, spread_bps, tape_store
from .format import TimeFormat
from .mid_history import MidHistory
from .order_times import OrderTimes
from .panes import PANES, TITLES
from .positions import Change, PositionsByClient, ValueChange, Window, balance_values, day_window, positions_store
from .reference import Catalog
from .rows import (
    BalanceRow,
    BalanceTotal,
    Display,
    QuoteTracker,
    balance_rows,
    balances_store,
    fee_summary,
    orders_store,
    quotes_store,
    trades_store,
)
from .store import Diff, KeyedStore, TradeStore

__all__ = ["PANES", "TITLES", "Dashboard", "Poll"]

HEALTH_INTERVAL = 30.0
# Each feed's place in the request budget's queue (lower goes first) and the longest interval
# pacing may stretch it to: balances and trades give first, orders last.
FEED_PACING = {"orders": (1, 5.0), "quotes": (2, 10.0), "trades": (3, 15.0), "balances": (4, 60.0), "health": (5, 120.0),
               "done": (6, 60.0)}
DONE_INTERVAL = 15.0  # done orders, polled only while shown


@dataclass
class Poll:
    """What one poll did: the pane's diff, what it changed in other panes (a quote revalues
    positions and balances, a fill moves a position), the trades it brought that are new (after
    the 24 h backfill), the orders that left the active list, and whether the header or status
    changed."""

    diff: Diff = field(default_factory=Diff)
    others: dict[str, Diff] = field(default_factory=dict)
    new_trades: list[Trade] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    bars_changed: bool = False


class Dashboard:
    def __init__(self, settings: Settings, clock: Clock, *, catalog: Catalog | None = None,
                 client_id: str | None = None) -> None:
        """`client_id`: the client the panes show first (the trader's; fills naming none are theirs)."""
        self.settings = settings
        self.clock = clock
        self.catalog = catalog if catalog is not None else Catalog()
        self.order_times = OrderTimes(clock.now_ns)
        self.display = Display(self.catalog, TimeFormat(settings.time_zone(), clock.now_ns), self.order_times)
        self.stores: dict[str, KeyedStore] = {
            "orders": orders_store(self.display),
            "trades": trades_store(self.display, settings.trades_display_cap),
            "quotes": quotes_store(self.display),
            "balances": balances_store(self.display),
            "positions": positions_store(self.display),
            "done": orders_store(self.display),  # the orders pane's other view (`h`): done in the last 24 h
            "book": book_store(self.display),  # the depth ladder of `book_instrument` (the stream only)
            "tape": tape_store(self.display),  # the market's trade prints beside it
        }
        self.stream: Any = None  # the StreamBridge, when the stream is used
        self.book_instrument: str | None = None  # the instrument the Book pane shows
        self.done_notice: str | None = None
        self.done_loaded = False  # the done orders have been fetched once (asked for only when shown)
        self.clients: list[Any] = []  # the clients the key can act for (`/clients`), when asked
        self.positions = PositionsByClient(self.catalog, client_id or settings.client_id or settings.user_id)
        self.positions.set_window(self._window())
        self.value_change = ValueChange()
        self.value = Change(None, Decimal(0), None)  # the balances' value change since start, for the header
        self._balance_rows: list[BalanceRow] = []
        self.quote_tracker = QuoteTracker()
        self.mid_history = MidHistory()
        self.bad_rows: dict[str, int] = {name: 0 for name in (*self.stores, "reference")}  # rows not shown at all
        self.fees_text = ""
        self.health: Health | None = None
        self.orders_loaded = False
        self.trades_loaded = False
        self._value_moved = False
        self._aligned = self.catalog.version

    @property
    def trades(self) -> TradeStore:
        return self.stores["trades"]  # type: ignore[return-value]

    # --- feeds ----------------------------------------------------------------------------------

    def build_feeds(
        self,
        client: Any,
        client_id: Callable[[], str | None],
        on_data: Callable[[str, Any], None],
        on_error: Callable[[str, BaseException], None],
        backoff: Backoff,
    ) -> FeedSet:
        poll = self.settings.poll
        trades = self.trades
        fetchers: dict[str, tuple[Callable[[], Any], float]] = {
            "orders": (client.active_orders, poll.orders),
            "trades": (TradesFetcher(client, self.clock, lambda: trades.polled_newest, compact=trades.compact),
                       poll.trades),
            "quotes": (client.quotes, poll.quotes),
            "balances": (lambda: client.balances(client_id=client_id()), poll.balances),
            "health": (client.health, HEALTH_INTERVAL),
            "done": (client.done_orders, DONE_INTERVAL),
        }
        feeds = FeedSet()
        for name, (fetch, interval) in fetchers.items():
            priority, longest = FEED_PACING[name]
            feeds.add(Feed(name, fetch, lambda data, name=name: on_data(name, data), interval=interval,
                           clock=self.clock, backoff=backoff, on_error=lambda error, name=name: on_error(name, error),
                           priority=priority, max_interval=longest))
        return feeds

    # --- polls in, diffs out --------------------------------------------------------------------

    def take_orders(self, orders: list[Order], bad: int) -> Poll:
        store = self.stores["orders"]
        diff = store.apply(orders)
        if diff.removed:
            self.order_times.forget(diff.removed)
        poll = Poll(diff, gone=_gone(diff.removed) if self.orders_loaded else [])
        self.orders_loaded = True
        poll.bars_changed = self._count_bad("orders", bad)
        return poll

    def take_order_states(self, orders: list[Order]) -> Poll:
        """Order states the stream reported: the open ones shown or updated, the done ones gone
        (and announced, as when a poll no longer lists them); the other rows are not touched."""
        store = self.stores["orders"]
        removed = [o.key for o in orders if not o.is_open]
        # An order shown while its id was a placeholder (keyed by its external id) now reported
        # under its real id: the same order, one row.
        removed += [key for o in orders if (key := o.former_key) in store.items]
        diff = store.change([o for o in orders if o.is_open], removed)
        if diff.removed:
            self.order_times.forget(diff.removed)
        return Poll(diff, gone=_gone(diff.removed) if self.orders_loaded else [])

    def take_trades(self, trades: list[Any], bad: int) -> Poll:
        store = self.trades
        new = [t for t in trades if t.key not in store.items] if self.trades_loaded else []
        poll = Poll(store.upsert(trades), new_trades=new)
        self.trades_loaded = True  # the first page set is the 24 h backfill: no announcements for history
        if self.positions.add(trades):
            poll.others["positions"] = self._positions_diff()
        poll.bars_changed = self._count_bad("trades", bad)
        return poll

    def take_streamed_trades(self, trades: list[Any]) -> Poll:
        """Fills the drop copy reported: shown and announced like polled ones; the next trades poll
        still asks from the newest trade a poll listed (see `TradeStore.upsert`)."""
        store = self.trades
        trades = [store.compact(t) for t in trades]  # as a fetcher keeps them: the models do not pile up
        new = [t for t in trades if t.key not in store.items] if self.trades_loaded else []
        poll = Poll(store.upsert(trades, polled=False), new_trades=new)
        if self.positions.add(trades):
            poll.others["positions"] = self._positions_diff()
        return poll

    def take_quotes(self, quotes: list[MarketQuote], bad: int) -> Poll:
        self.mid_history.observe(quotes, self.clock.now_ns())
        rows = [replace(row, trail=self.mid_history.sparkline(row.key)) for row in self.quote_tracker.rows(quotes)]
        poll = Poll(self.stores["quotes"].apply(rows))
        if self.positions.set_quotes(quotes):
            poll.others["positions"] = self._positions_diff()
        if self._balance_rows:
            poll.others["balances"] = self._value_balances()
        poll.bars_changed = self._count_bad("quotes", bad) or self._value_moved
        return poll

    def take_balances(self, entities: list[Any], bad: int) -> Poll:
        fees = fee_summary(entities)
        self._balance_rows = balance_rows(entities)
        poll = Poll(self._value_balances())
        if fees != self.fees_text:
            self.fees_text = fees
            poll.diff.view_changed = True  # the subtitle says the fees
        poll.bars_changed = self._count_bad("balances", bad) or self._value_moved
        return poll

    # --- which client ----------------------------------------------------------------------------

    @property
    def scope(self) -> str | None:
        """The client the panes show (None: every client the key can act for)."""
        return self.positions.scope

    @property
    def several_clients(self) -> bool:
        return len(self.clients) > 1

    def set_scope(self, client_id: str | None) -> dict[str, Diff]:
        """Show one client's orders, trades and positions (balances follow from their feed), or every
        client's, each row naming its client."""
        def ours(owner: str | None) -> bool:
            return owner is None or owner == client_id  # a record naming no client is shown, as before

        order_scope = None if client_id is None else (lambda order: ours(order.order_info.client_id))
        trade_scope = None if client_id is None else (lambda trade: ours(trade.client_id))
        diffs = {
            "orders": self.stores["orders"].set_scope(order_scope),
            "done": self.stores["done"].set_scope(order_scope),
            "trades": self.stores["trades"].set_scope(trade_scope),
        }
        self.positions.set_scope(client_id)
        diffs["positions"] = self._positions_diff()
        for diff in diffs.values():
            diff.view_changed = True  # subtitles count what is in scope
        return diffs

    def client_label(self) -> str:
        """For the header: whom the panes show."""
        if self.scope is None:
            return f"all {len(self.clients)} clients"
        mnemonic = next((c.info.mnemonic for c in self.clients if c.id == self.scope and c.info), None)
        return f"client {self.scope}" + (f" {mnemonic}" if mnemonic and self.several_clients else "")

    # --- positions and values -------------------------------------------------------------------

    def _window(self) -> Window:
        return day_window(self.clock.now_ns(), self.settings.day_start)

    def _positions_diff(self) -> Diff:
        return self.stores["positions"].apply(self.positions.rows())

    def _value_balances(self) -> Diff:
        """The balance rows valued at the latest mids, and their total; the header's change."""
        valuation = balance_values(self._balance_rows, self.latest_quotes(), self.catalog)
        rows: list[BalanceRow | BalanceTotal] = [
            replace(row, value=line.value, value_asset=valuation.quote_asset_id, value_note=line.reason)
            for row, line in zip(self._balance_rows, valuation.lines, strict=True)
        ]
        if valuation.quote_asset_id is not None:
            rows.append(BalanceTotal(valuation.quote_asset_id, valuation.total, valuation.unknown))
        value = self.value_change.update(valuation)
        self._value_moved = value != self.value
        self.value = value
        return self.stores["balances"].apply(rows)

    def value_text(self) -> str:
        """For the header: the balances' value change since the blotter started."""
        return self.value.text(self.catalog) if self._balance_rows else ""

    def take_done(self, orders: list[Order], bad: int, notice: str | None = None) -> Poll:
        poll = Poll(self.stores["done"].apply(orders))
        if not self.done_loaded:
            self.done_loaded = True
            poll.diff.view_changed = True  # the subtitle stops saying "loading"
        if notice != self.done_notice:
            self.done_notice = notice
            poll.diff.view_changed = True  # the subtitle says it
        poll.bars_changed = self._count_bad("done", bad)
        return poll

    def take_health(self, health: Health) -> Poll:
        was = self.health.degraded if self.health is not None else False
        self.health = health
        return Poll(bars_changed=health.degraded != was)

    def take_reference(self, instruments: list[Any], assets: list[Any], bad: int) -> None:
        self.catalog.load(instruments, assets)
        self._count_bad("reference", bad)

    def _count_bad(self, name: str, count: int) -> bool:
        """Rows of the last poll that could not be read at all: a standing count, not a history."""
        changed = count != self.bad_rows.get(name, 0)
        self.bad_rows[name] = count
        return changed

    def realigned(self) -> dict[str, Diff]:
        """Rows to draw again: a value with more decimals than seen widened an alignment, or the
        day changed (yesterday's times now need their date). Rare: a few times a session."""
        diffs: dict[str, Diff] = {}
        rolled = self.display.times.roll()
        if rolled or self.catalog.version != self._aligned:
            diffs = {name: store.rerender() for name, store in self.stores.items()}
            self._aligned = self.catalog.version  # drawing again may have widened it once more
        window = self._window()
        if window.start_ns != self.positions.since_ns:  # the day started: the positions start again
            self.positions.set_window(window)
            diffs["positions"] = self._positions_diff()
            diffs["positions"].view_changed = True  # the title says since when
        return {name: diff for name, diff in diffs.items() if diff}

    # --- what the screen and the order dialogs read ---------------------------------------------

    def title(self, name: str) -> str:
        """The pane's title after its number: positions say since when they count."""
        if name == "positions" and self.positions.window is not None:
            return f"{TITLES[name]} {self.positions.window.title}"
        if name == "done":
            return "Done orders, last 24 h"
        return TITLES[name]

    def subtitle(self, name: str) -> str:
        store = self.stores[name]
        if name in ("book", "tape"):
            return self._book_subtitle(name)
        if not store.total and not {"orders": self.orders_loaded, "trades": self.trades_loaded}.get(name, True):
            # Never "0 rows" before the first answer (a 401, a slow exchange): no orders is not
            # the same as orders not read.
            return "no answer yet"
        if name == "trades":
            parts = [store.status_text()]
        elif name == "positions" and not store.filter_text:
            window = self.positions.window
            parts = [f"{len(self.positions.positions())} instruments"]
            if window is not None and window.note:
                parts.append(window.note)
            if self.positions.unattributed:
                parts.append(f"{self.positions.unattributed} fills without an instrument")
        elif name == "done" and not self.done_loaded:
            parts = ["loading the last 24 h…"]
        elif name == "done" and self.done_notice and not store.filter_text:
            parts = [f"{store.total} rows", self.done_notice]
        elif store.filter_text:
            parts = [f"{store.shown} of {store.total}"]
        elif name == "balances" and self.fees_text:
            parts = [self.fees_text]
        else:
            parts = [f"{store.total} rows"]
        if store.unreadable:
            parts.append(f"{len(store.unreadable)} with unreadable values (?)")
        if store.filter_text:
            parts.append(f"filter: {store.filter_text}")
        return " · ".join(parts)

    # --- the book: the stream's depth ladder and tape ----------------------------------------------

    def choose_book(self, instrument_id: str | None = None) -> str | None:
        """The instrument the Book pane shows: `instrument_id` (the highlighted row's), else the one
        shown before, else the quotes' first row's; None before any quote."""
        if instrument_id is not None:
            self.book_instrument = instrument_id
        elif self.book_instrument is None and self.stores["quotes"].view:
            self.book_instrument = self.stores["quotes"].items[self.stores["quotes"].view[0]].quote.id
        return self.book_instrument

    def take_book(self, levels: int = BOOK_LEVELS) -> Diff:
        """The ladder again, from the stream's book and the trader's resting orders: `levels` a side
        (as many as the pane shows around the spread, at most ten)."""
        instrument_id = self.choose_book()
        book = self.stream.book(self.catalog.symbol(instrument_id)) if self.stream is not None else None
        if book is None or not book.snapshotted:
            return self.stores["book"].apply([])
        bids, asks = book.ladder(max(1, min(levels, BOOK_LEVELS)))
        mine = own_resting(self.stores["orders"].items.values(), instrument_id)
        return self.stores["book"].apply(book_lines(instrument_id, bids, asks, mine))

    def take_tape(self) -> Diff:
        if self.stream is None:
            return Diff()
        lines = []
        for entry in self.stream.tape.latest():
            instrument = self.catalog.by_symbol(entry.symbol) if entry.symbol else None
            lines.append(TapeLine(f"{entry.match_id or ''}:{entry.received_ns}", instrument.id if instrument else None,
                                  entry.symbol or "", entry.price, entry.qty, entry.liq_flag, entry.received_ns,
                                  -entry.received_ns))  # newest first
        return self.stores["tape"].apply(lines)

    def _book_subtitle(self, name: str) -> str:
        stream = self.stream
        if stream is None:
            return "the stream is off (stream = off, or no WebSocket)" if name == "book" else ""
        if name == "tape":
            return f"{len(stream.tape)} prints" if len(stream.tape) else "no prints yet"
        symbol = self.catalog.symbol(self.book_instrument) if self.book_instrument else ""
        book = stream.book(symbol)
        parts = [symbol or "no instrument"]
        if book is None:
            parts.append("waiting for depth" if stream.state == "live" else stream.summary())
        else:
            parts.append(book.state)
            spread_line = self.stores["book"].items.get("spread")
            if spread_line is not None and spread_line.price is not None:
                parts.append(f"spread {spread_bps(spread_line, book.mid)}")
            if book.unreadable:
                parts.append(f"{book.unreadable} levels unreadable")
        return " · ".join(parts)

    @property
    def unreadable_rows(self) -> int:
        return sum(len(store.unreadable) for store in self.stores.values())

    def latest_quotes(self) -> dict[str, MarketQuote]:
        return {row.quote.id: row.quote for row in self.stores["quotes"].items.values()}

    def order(self, key: str | None, view: str = "orders") -> Order | None:
        """An order of the orders pane's view: "orders" (active) or "done"."""
        return self.stores[view].items.get(key) if key else None

    def fills_of(self, order_id: str) -> list[Any]:
        """The order's fills in the trades feed (24 h), oldest first."""
        fills = [t for t in self.trades.items.values() if t.order_id == order_id]
        return sorted(fills, key=lambda t: (t.timestamp or 0, t.key))

    def instrument_of(self, pane: str, key: str | None) -> str | None:
        """The instrument of a row: an order's, a trade's or a quote's; None for a balance."""
        item = self.stores[pane].items.get(key) if key else None
        if item is None:
            return None
        if pane in ("orders", "done"):
            return item.order_info.instrument_id
        if pane == "trades":
            return item.instrument_id
        if pane == "quotes":
            return item.quote.id
        if pane in ("positions", "book", "tape"):
            return getattr(item, "instrument_id", None)  # a total row has none
        return None

    def open_orders_in_view(self, client_id: str | None) -> list[Order]:
        """The open orders in the orders pane as the trader sees it: filtered, for this client."""
        store = self.stores["orders"]
        return [
            order for key in store.view
            if (order := store.items[key]).is_open and order.status != OrderStatus.CANCEL_PENDING
            and (client_id is None or order.order_info.client_id in (None, client_id))
        ]


def _gone(removed: list[str]) -> list[str]:
    """The exchange ids of orders that left the list, to ask how they ended. A row keyed while its
    id was a placeholder (`Order.key`: "ext:..."/"row:...") has no id to ask by; it usually came
    back under its real id."""
    return [key for key in removed if not key.startswith(PLACEHOLDER_KEYS)]
