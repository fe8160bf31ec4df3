"""What the dashboard shows, headless: reference data, one store per pane, and what each poll did.

The app runs the feeds this builds in Textual workers, hands every poll's data to `take`, and draws
the `Diff` it returns; the UI never keeps pane state of its own. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api.models import Health, MarketQuote, Order, OrderStatus, Trade
from ..config import Settings
from .feeds import Backoff, Clock, Feed, FeedSet, TradesFetcher
from .format import TimeFormat
from .order_times import OrderTimes
from .reference import Catalog
from .rows import (
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

PANES = ("orders", "trades", "quotes", "balances")  # numbered 1-4 in screen order
TITLES = {"orders": "Active orders", "trades": "Trades, last 24 h", "quotes": "Quotes", "balances": "Balances"}
HEALTH_INTERVAL = 30.0
# Each feed's place in the request budget's queue (lower goes first) and the longest interval
# pacing may stretch it to: balances and trades give first, orders last.
FEED_PACING = {"orders": (1, 5.0), "quotes": (2, 10.0), "trades": (3, 15.0), "balances": (4, 60.0), "health": (5, 120.0)}


@dataclass
class Poll:
    """What one poll did: the pane's diff, the trades it brought that are new (after the 24 h
    backfill), the orders that left the active list, and whether the header or status changed."""

    diff: Diff = field(default_factory=Diff)
    new_trades: list[Trade] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    bars_changed: bool = False


class Dashboard:
    def __init__(self, settings: Settings, clock: Clock, *, catalog: Catalog | None = None) -> None:
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
        }
        self.quote_tracker = QuoteTracker()
        self.bad_rows: dict[str, int] = {name: 0 for name in (*PANES, "reference")}  # rows not shown at all
        self.fees_text = ""
        self.health: Health | None = None
        self.orders_loaded = False
        self.trades_loaded = False
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
            "trades": (TradesFetcher(client, self.clock, lambda: trades.newest_timestamp, compact=trades.compact),
                       poll.trades),
            "quotes": (client.quotes, poll.quotes),
            "balances": (lambda: client.balances(client_id=client_id()), poll.balances),
            "health": (client.health, HEALTH_INTERVAL),
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
        diff = self.stores["orders"].apply(orders)
        if diff.removed:
            self.order_times.forget(diff.removed)
        poll = Poll(diff, gone=list(diff.removed) if self.orders_loaded else [])
        self.orders_loaded = True
        poll.bars_changed = self._count_bad("orders", bad)
        return poll

    def take_trades(self, trades: list[Any], bad: int) -> Poll:
        store = self.trades
        new = [t for t in trades if t.key not in store.items] if self.trades_loaded else []
        poll = Poll(store.upsert(trades), new_trades=new)
        self.trades_loaded = True  # the first page set is the 24 h backfill: no announcements for history
        poll.bars_changed = self._count_bad("trades", bad)
        return poll

    def take_quotes(self, quotes: list[MarketQuote], bad: int) -> Poll:
        poll = Poll(self.stores["quotes"].apply(self.quote_tracker.rows(quotes)))
        poll.bars_changed = self._count_bad("quotes", bad)
        return poll

    def take_balances(self, entities: list[Any], bad: int) -> Poll:
        fees = fee_summary(entities)
        poll = Poll(self.stores["balances"].apply(balance_rows(entities)))
        if fees != self.fees_text:
            self.fees_text = fees
            poll.diff.view_changed = True  # the subtitle says the fees
        poll.bars_changed = self._count_bad("balances", bad)
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
        rolled = self.display.times.roll()
        if not rolled and self.catalog.version == self._aligned:
            return {}
        diffs = {name: self.stores[name].rerender() for name in PANES}
        self._aligned = self.catalog.version  # drawing again may have widened it once more
        return {name: diff for name, diff in diffs.items() if diff}

    # --- what the screen and the order dialogs read ---------------------------------------------

    def subtitle(self, name: str) -> str:
        store = self.stores[name]
        if name == "trades":
            parts = [store.status_text()]
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

    @property
    def unreadable_rows(self) -> int:
        return sum(len(self.stores[name].unreadable) for name in PANES)

    def latest_quotes(self) -> dict[str, MarketQuote]:
        return {row.quote.id: row.quote for row in self.stores["quotes"].items.values()}

    def order(self, key: str | None) -> Order | None:
        return self.stores["orders"].items.get(key) if key else None

    def instrument_of(self, pane: str, key: str | None) -> str | None:
        """The instrument of a row: an order's, a trade's or a quote's; None for a balance."""
        item = self.stores[pane].items.get(key) if key else None
        if item is None:
            return None
        if pane == "orders":
            return item.order_info.instrument_id
        if pane == "trades":
            return item.instrument_id
        if pane == "quotes":
            return item.quote.id
        return None

    def open_orders_in_view(self, client_id: str | None) -> list[Order]:
        """The open orders in the orders pane as the trader sees it: filtered, for this client."""
        store = self.stores["orders"]
        return [
            order for key in store.view
            if (order := store.items[key]).is_open and order.status != OrderStatus.CANCEL_PENDING
            and (client_id is None or order.order_info.client_id in (None, client_id))
        ]
