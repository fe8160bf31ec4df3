"""The stream, composed into the app: runs the session in a worker and draws what its events change.

What an event means is decided headless (`core.streaming.StreamBridge`); this only applies the
outcome: quotes and orders redrawn through the same path as a poll, REST feeds poked, each feed's
interval set to the reconciliation cadence or back, and quotes and the book drawn at most ten
times a second (a real-time stream would otherwise repaint them on every message).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from ..core.book_rows import BOOK_LEVELS
from ..core.layout import CHROME

if TYPE_CHECKING:
    from ..core.dashboard import Dashboard, Poll
    from ..core.feeds import FeedSet
    from ..core.streaming import StreamBridge
    from .main_screen import MainScreen

__all__ = ["StreamLink"]

log = logging.getLogger(__name__)

FRAME_SECONDS = 1.0  # quotes, ladder and tape: a human reads them once a second (the polls' default)


class StreamHost(Protocol):
    dashboard: Dashboard
    feeds: FeedSet

    @property
    def is_running(self) -> bool: ...

    @property
    def main(self) -> MainScreen: ...
    def draw_poll(self, name: str, poll: Poll) -> None: ...
    def quotes_seen(self, quotes: list[Any]) -> None: ...
    def show_event(self, text: str) -> None: ...
    def refresh_bars(self) -> None: ...
    def set_timer(self, delay: float, callback: Any) -> Any: ...
    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None) -> None: ...


class StreamLink:
    def __init__(self, host: StreamHost, session: Any, bridge: StreamBridge, *, loud: bool = False) -> None:
        """`loud` (`stream = on`): a stream that fails or is refused also toasts, not only the header."""
        self.host = host
        self.loud = loud
        self.session = session
        self.bridge = bridge
        self._book_due = False
        self._frame_due = False
        self._quotes: list[Any] | None = None
        self.events = 0

    async def run(self) -> None:
        await self.session.run(self.on_event)

    def on_event(self, event: Any) -> None:
        self.events += 1
        try:
            outcome = self.bridge.handle(event)
        except Exception:  # noqa: BLE001 - one event we cannot take must not end the stream; REST reconciles
            log.exception("stream event %s not applied", type(event).__name__)
            for feed in self.host.feeds:
                feed.poke()
            return
        host = self.host
        dashboard = host.dashboard
        if outcome.quotes is not None:
            self._quotes = outcome.quotes
            self._frame()
        if outcome.orders:
            host.draw_poll("orders", dashboard.take_order_states(outcome.orders))
        if outcome.trades:
            host.draw_poll("trades", dashboard.take_streamed_trades(outcome.trades))
        if outcome.book:
            self._book_due = True
            self._frame()
        for name in outcome.poke:
            if name in host.feeds:
                host.feeds[name].poke()
        if outcome.cadence:
            self.set_cadences()
        if outcome.event:
            host.show_event(outcome.event)
            if self.loud and self.bridge.state in ("down", "refused"):
                host.notify(outcome.event, title="Stream", severity="warning", timeout=8)
        if outcome.cadence or outcome.event:
            host.refresh_bars()

    def set_cadences(self) -> None:
        for name, seconds in self.bridge.cadences().items():
            if name in self.host.feeds:
                self.host.feeds[name].set_cadence(seconds)

    def _frame(self) -> None:
        """Quotes, the ladder and the tape are drawn once a frame: a tick of the market sends an EBBO
        per instrument and many depth levels, each of which would redraw the panes (and the
        positions and balances valued at mid) on its own. Orders are drawn at once."""
        if not self._frame_due:
            self._frame_due = True
            self.host.set_timer(FRAME_SECONDS, self._draw_frame)

    def _draw_frame(self) -> None:
        self._frame_due = False
        if not self.host.is_running:
            return  # the app is closing and its panes are going: the frame's timer fired once more
        quotes, self._quotes = self._quotes, None
        if quotes is not None:
            dashboard = self.host.dashboard
            self.host.draw_poll("quotes", dashboard.take_quotes(quotes, dashboard.bad_rows.get("quotes", 0)))
            self.host.quotes_seen(quotes)
        if self._book_due:
            self._book_due = False
            main = self.host.main
            if main.middle_choice == "book" or main.has_class("-maximized"):
                self.draw_book()  # not on screen: drawn when shown (`6`)

    def draw_book(self) -> None:
        dashboard = self.host.dashboard
        main = self.host.main
        # As many levels a side as fit around the spread: the best prices are never scrolled away.
        rows = main.table("book").outer_size.height - CHROME
        main.apply("book", dashboard.take_book(max(1, (rows - 1) // 2) if rows > 0 else BOOK_LEVELS))
        main.apply("tape", dashboard.take_tape())
        main.update_subtitle("book")
        main.update_subtitle("tape")
