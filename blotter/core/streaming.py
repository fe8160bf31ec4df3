"""The WebSocket stream beside the polls. Headless (no Textual).

`StreamBridge` turns the stream session's events into what the screen needs, and decides, per
feed, whether it streams or polls:
- quotes stream from EBBO, orders from DROPCOPY (only with a signed subscription); the depth
  ladder and the market tape exist only on the stream;
- REST stays the truth: while a feed streams, its REST poll slows to a reconciliation cadence, and
  every feed polls at once after a reconnect, a sequence gap, a fill or a frame we could not read;
- a stream state newer than a REST answer is kept over it (an order the stream reported after the
  poll was sent); otherwise REST wins, and a difference is logged and counted;
- when the stream stalls, drops or is refused, every feed goes back to its normal interval by
  itself, and comes back to the cadence when the stream is live again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..api.models import MarketQuote, Order
from ..api.stream_models import DATA_CHANNELS, Channel
from .book import DepthBook, Tape

__all__ = ["RECONCILE_SECONDS", "StreamBridge", "StreamOutcome"]

log = logging.getLogger(__name__)

# While a feed streams, REST checks it this often. Quotes: every EBBO carries the whole top of book,
# so REST has little to correct there; the orders are the ones a trader acts on.
RECONCILE_SECONDS = {"orders": 15.0, "trades": 30.0, "quotes": 60.0, "balances": 30.0}
BALANCES_AFTER_FILL_SECONDS = 15.0  # fills move the balances: asked again after one, at most this often
# What each channel feeds: a stream of it lets these REST polls slow down, and an unread frame on
# it may have lost their data.
_STREAMS = {Channel.EBBO: ("quotes",), Channel.DROPCOPY: ("orders", "trades", "balances")}
# Data channels that are not DEPTH: their SNAPSHOT_COMPLETE is not the book's.
_OTHER_DATA_CHANNELS = tuple(c for c in DATA_CHANNELS if c != Channel.DEPTH)
_REST_FEEDS = ("orders", "trades", "quotes", "balances")
# Drop-copy report types, as the events line says them.
_REPORT_VERBS = {"REPORT_CONFIRM": "confirmed", "REPORT_REJECT": "rejected", "REPORT_TRADE": "filled",
                 "REPORT_CANCELED": "canceled", "REPORT_MODIFIED": "modified"}


@dataclass
class StreamOutcome:
    """What one stream event asks of the app."""

    quotes: list[MarketQuote] | None = None  # the whole set, for `Dashboard.take_quotes`
    trades: list[Any] = field(default_factory=list)  # fills the drop copy reported, whole
    orders: list[Order] = field(default_factory=list)  # order states the drop copy reported
    book: bool = False  # the ladder or the tape changed
    poke: set[str] = field(default_factory=set)  # REST feeds to poll now
    event: str | None = None  # for the events line
    cadence: bool = False  # which feeds stream changed: the intervals and the status line


class StreamBridge:
    def __init__(self, *, monotonic: Callable[[], float], now_ns: Callable[[], int],
                 symbol_of: Callable[[str | None], str], read_dropcopy: Callable[[Any], list[Any]],
                 id_of: Callable[[str], str | None] | None = None) -> None:
        self._monotonic = monotonic
        self._now_ns = now_ns
        self._symbol_of = symbol_of  # instrument id -> symbol (the catalog, then INSTRUMENT)
        self._id_of = id_of  # symbol -> instrument id (the catalog), for an EBBO keyed by symbol only
        self._read_dropcopy = read_dropcopy
        self.state = "connecting"  # connecting | live | stale | down | refused | off
        self.detail = ""
        self.authenticated = False
        self.subscribed: set[str] = set()  # channels the server confirmed
        self.refused: dict[str, str] = {}  # channel -> what to check
        self.refused_status = ""
        self.books: dict[str, DepthBook] = {}
        self.tape = Tape()
        self.quotes: dict[str, MarketQuote] = {}  # instrument id -> the newest quote, stream or REST
        self._quote_from_stream: set[str] = set()
        self.instrument_symbols: dict[str, str] = {}  # from INSTRUMENT
        self._orders: dict[str, tuple[Order, float]] = {}  # key -> (state from the stream, when received)
        self.differences = 0  # stream and REST disagreed (REST won)
        self.unread = 0  # frames we could not read (or read and could not use)
        self.unread_reason = ""  # the latest one's
        self._unread_kinds: set[str] = set()  # told on the events line once each
        self.gaps = 0
        self.reconnects = 0
        self.last_message: float | None = None
        self._balances_asked: float | None = None
        self._polled_filled: dict[str, Any] = {}  # order id -> filled, as the last orders poll said

    # --- which feeds stream ------------------------------------------------------------------

    def streams(self, feed: str) -> bool:
        """Does this feed come from the stream now (live, and its channel confirmed)?"""
        if self.state != "live":
            return False
        for channel, feeds in _STREAMS.items():
            if feed in feeds and channel in self.subscribed:
                return channel != Channel.DROPCOPY or self.authenticated
        return False

    def transport(self, feed: str) -> str:
        """For the status line: "stream" (orders, quotes), "on fills" (trades and balances, asked
        over REST the moment the drop copy reports a fill), or "poll"."""
        if not self.streams(feed):
            return "poll"
        return "on fills" if feed in ("trades", "balances") else "stream"

    def unread_note(self) -> str:
        """For the status line: the count of stream frames not read, and the latest reason ("" when
        none)."""
        if not self.unread:
            return ""
        reason = self.unread_reason if len(self.unread_reason) <= 48 else f"{self.unread_reason[:47]}…"
        return f"stream: {self.unread} frame{'s' if self.unread != 1 else ''} unread ({reason})"

    def cadences(self) -> dict[str, float | None]:
        """Feed -> the REST interval while it streams, or None for its normal one."""
        return {name: RECONCILE_SECONDS[name] if self.streams(name) else None for name in _REST_FEEDS}

    # --- events in ------------------------------------------------------------------------------

    def handle(self, event: Any) -> StreamOutcome:
        kind = type(event).__name__
        handler = getattr(self, f"_on_{kind.lower()}", None)
        if handler is None:
            log.info("stream: event %s not handled", kind)
            return StreamOutcome()
        before = self.cadences()
        outcome: StreamOutcome = handler(event)
        outcome.cadence = outcome.cadence or self.cadences() != before
        return outcome

    def _on_connected(self, event: Any) -> StreamOutcome:
        self.state, self.detail = "live", ""
        self.subscribed.clear()
        self.last_message = self._monotonic()
        outcome = StreamOutcome()
        if getattr(event, "reconnect", False):
            self.reconnects += 1
            outcome.poke = set(_REST_FEEDS)  # what happened while we were away: REST says
            outcome.event = "Stream reconnected; checking the orders and trades over REST"
        return outcome

    def _on_subscribed(self, event: Any) -> StreamOutcome:
        confirmation = event.confirmation
        self.subscribed = {str(sub.channel) for sub in confirmation.subscriptions if sub.item_names}
        self.authenticated = self.authenticated or bool(event.authenticated)
        for channel in self.subscribed:
            self.refused.pop(channel, None)
        if self.state == "refused" and self.subscribed:  # e.g. the public channels, without signature
            self.state, self.detail = "live", ""
        return StreamOutcome()

    def _on_refused(self, event: Any) -> StreamOutcome:
        channels = tuple(str(c) for c in event.channels) or ("stream",)
        for channel in channels:
            self.refused[channel] = f"{event.status}: {event.hint}"
        self.refused_status = str(event.status)
        if not self.subscribed:
            self.state = "refused"
        what = "/".join(channels) if event.channels else "a request"  # a refusal no request fitted
        self.detail = f"{what} refused ({event.status})"
        return StreamOutcome(event=f"Stream {self.detail}: {event.hint}")

    def _on_data(self, event: Any) -> StreamOutcome:
        message = event.message
        self.last_message = self._monotonic()
        if self.state in ("stale", "connecting", "refused"):
            self.state, self.detail = "live", ""
        channel = message.channel
        if channel not in self.subscribed and channel in _STREAMS:  # it flows, whatever the confirmation said
            self.subscribed.add(str(channel))
        if channel == Channel.EBBO:
            return self._ebbo(message)
        if channel == Channel.DEPTH:
            return StreamOutcome(book=self._book(message))
        if channel == Channel.TRADE:
            symbol = self._symbol(message.instrument_id)
            added = self.tape.add(message, self._now_ns(), symbol=symbol or None)
            return StreamOutcome(book=added is not None)
        if channel == Channel.DROPCOPY:
            return self._dropcopy(message)
        if channel == Channel.INSTRUMENT and message.data is not None:
            self.instrument_symbols[message.data.id] = message.data.symbol
        return StreamOutcome()

    def _on_snapshotdone(self, event: Any) -> StreamOutcome:
        # The marker's channel is "presumably the data channel" (§4, M): it may be WEBSOCKET or
        # absent, so it is matched to the book by its item. Only another data channel's marker (that
        # channel's own snapshot) leaves the book alone: its UPDATEs end its snapshot anyway.
        if event.item in self.books and event.channel not in _OTHER_DATA_CHANNELS:
            return StreamOutcome(book=self.books[event.item].snapshot_done())
        return StreamOutcome()

    def _on_gap(self, event: Any) -> StreamOutcome:
        self.gaps += 1
        outcome = StreamOutcome()
        if event.channel == Channel.DEPTH:
            book = self.books.get(event.item) if event.item else None
            for each in [book] if book is not None else self.books.values():
                each.reset(event.got)  # stale until the fresh snapshot the session asks for
            outcome.book = True
        elif event.channel == Channel.EBBO:
            outcome.poke = {"quotes"}  # each EBBO is the whole top of book: only the quotes are behind
        else:
            outcome.poke = set(_REST_FEEDS)
        log.warning("stream: %s seqnum gap (expected %s, got %s)", event.channel, event.expected, event.got)
        return outcome

    def _on_unread(self, event: Any) -> StreamOutcome:
        unreadable = event.unreadable
        log.warning("stream: unread frame (%s): %.200s", unreadable.reason, unreadable.raw)
        channel = unreadable.channel or ""
        if channel == Channel.WEBSOCKET:
            feeds: set[str] = set()  # a control frame we do not know (a keepalive?): no data was lost
        else:
            feeds = set(_STREAMS.get(channel, _REST_FEEDS))
        kind = " ".join(part for part in (channel, unreadable.update or "") if part)
        told = self._unread(kind, unreadable.reason, checks=bool(feeds))
        return StreamOutcome(poke=feeds, event=told)

    def _unread(self, kind: str, reason: str, *, checks: bool = True) -> str | None:
        """Count a frame not read that may have carried data (the status line says the count and the
        latest reason); the events line is told once per kind, never flooded. A control frame we do
        not know (`checks` False: a keepalive, a notice) is told once and not counted: one sent
        every few seconds would otherwise read as a growing fault all day."""
        if checks:
            self.unread += 1
            self.unread_reason = reason
        if kind in self._unread_kinds:
            return None
        self._unread_kinds.add(kind)
        then = "; REST checks" if checks else "; ignored"
        return f"Stream: {f'{kind} frame' if kind else 'a frame'} not read ({reason}){then}"

    def _on_stale(self, event: Any) -> StreamOutcome:
        if self.state == "live":
            self.state = "stale"
            self.detail = f"silent {event.silent_for:.0f}s"
        return StreamOutcome(poke=set(_REST_FEEDS))

    def _on_disconnected(self, event: Any) -> StreamOutcome:
        was = self.state
        if self.state != "refused":
            self.state = "down"
        self.detail = f"{event.reason}; retry in {event.retry_in:.0f}s"
        self.subscribed.clear()
        for book in self.books.values():
            book.reset()
        told = None if was == "down" else f"Stream down ({event.reason}); polling until it is back"
        return StreamOutcome(poke=set(_REST_FEEDS), event=told, book=bool(self.books))

    # --- quotes -----------------------------------------------------------------------------------

    def _ebbo(self, message: Any) -> StreamOutcome:
        data = message.data
        if data is None:
            told = self._unread("EBBO", f"no readable data: {message.unreadable.get('data', 'none sent')}")
            return StreamOutcome(poke={"quotes"}, event=told)
        # `id` is the instrument id (M); a quote keyed by symbol only is keyed as REST keys it.
        instrument_id = data.id or (self._id_of(data.symbol) if data.symbol and self._id_of is not None else None)
        if not instrument_id:
            told = self._unread("EBBO", f"EBBO for unknown instrument {data.symbol or '(no id, no symbol)'}")
            return StreamOutcome(poke={"quotes"}, event=told)
        symbol = data.symbol or self.instrument_symbols.get(instrument_id)
        quote = MarketQuote(id=instrument_id, symbol=symbol, info=data.info,
                            status=None if data.status is None else str(data.status))
        quote._unreadable = dict(data.unreadable)
        old = self.quotes.get(instrument_id)
        if old is not None and _newer(old, quote):
            return StreamOutcome()  # an older state than the one shown (a REST answer overtook it)
        self.quotes[instrument_id] = quote
        self._quote_from_stream.add(instrument_id)
        return StreamOutcome(quotes=list(self.quotes.values()))

    def merge_quotes(self, polled: Iterable[MarketQuote]) -> list[MarketQuote]:
        """A REST quotes answer with the streamed quotes: per instrument the newer by `last_update`
        (REST when they tie or either has none)."""
        merged: dict[str, MarketQuote] = {}
        for quote in polled:
            known = self.quotes.get(quote.id)
            if quote.status is None and known is not None and known.status is not None:
                # REST quotes do not say DISABLED | ENABLED: the last EBBO's word stays until another says
                quote = quote.model_copy(update={"status": known.status})
            streamed = known if quote.id in self._quote_from_stream else None
            if streamed is not None and _newer(streamed, quote):
                merged[quote.id] = streamed
            else:
                merged[quote.id] = quote
        self.quotes = dict(merged)
        self._quote_from_stream &= merged.keys()
        return list(merged.values())

    # --- depth and tape -----------------------------------------------------------------------------

    def _symbol(self, instrument_id: str | None) -> str:
        if not instrument_id:
            return ""
        return self.instrument_symbols.get(instrument_id) or self._symbol_of(instrument_id)

    def _book(self, message: Any) -> bool:
        data = message.data
        symbol = (data.symbol if data is not None else None) or self._symbol(data.id if data is not None else None)
        if not symbol:
            return False
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = DepthBook(symbol)
        return book.apply(message)

    def watch_book(self, symbol: str | None) -> None:
        """The book shown is now `symbol`'s (its depth alone is subscribed; None: no book shown):
        the others' ladders would go out of date, so they are dropped."""
        for other in [name for name in self.books if name != symbol]:
            del self.books[other]

    def book(self, symbol: str | None) -> DepthBook | None:
        return self.books.get(symbol) if symbol else None

    # --- orders ---------------------------------------------------------------------------------------

    def _dropcopy(self, message: Any) -> StreamOutcome:
        reports = self._read_dropcopy(message)
        outcome = StreamOutcome()
        now = self._monotonic()
        said = [text for text in map(_report_text, reports) if text]
        if said:  # the exchange's reason (v1.0.4 `text`, H), with the order it concerns
            outcome.event = "; ".join(said)
        for report in reports:
            order = report.order
            if order is None:
                # Not readable as an order: REST says what happened.
                log.warning("stream: drop copy without a readable order: %.200s", report.raw)
                outcome.poke |= {"orders", "trades", "balances"}
                continue
            key = order.key  # the orders pane's key: the id, or a stand-in while it is a placeholder
            if (pending := order.former_key) in self._orders:
                del self._orders[pending]  # its pending state, reported before the id was known
            before = self._orders.get(key)
            filled_before = before[0].filled if before is not None else self._polled_filled.get(key)
            self._orders[key] = (order, now)
            outcome.orders.append(order)
            trade = report.trade
            more = filled_before is not None and order.filled > filled_before
            if trade is None and not more and str(report.msg_type or "") != "REPORT_TRADE":
                continue
            if trade is not None and trade.match_id and trade.order_id and trade.side is not None:
                outcome.trades.append(trade)  # keyed as REST keys it: the poll that lists it adds nothing
            else:
                outcome.poke.add("trades")  # a fill we cannot key safely: its row comes over REST
            if self._balances_asked is None or now - self._balances_asked >= BALANCES_AFTER_FILL_SECONDS:
                self._balances_asked = now
                outcome.poke.add("balances")
        return outcome

    def merge_orders(self, polled: list[Order], sent_at: float | None) -> list[Order]:
        """The active orders to show: a REST answer (sent at `sent_at`, monotonic) with the states
        the stream reported after it was sent. An older stream state gives way to REST; where the
        two disagree that is logged and counted."""
        polled_ids = {o.key: o for o in polled}
        if sent_at is not None:
            self._polled_filled = {o.key: o.filled for o in polled}
        shown = {o.key: o for o in polled}
        listed = {key for o in polled if (key := o.former_key)}  # pending states REST has ids for
        for order_id, (order, received) in list(self._orders.items()):
            if order_id in listed:
                del self._orders[order_id]  # REST lists it under its real id: one row
                continue
            if sent_at is not None and received < sent_at:
                del self._orders[order_id]  # REST's answer is newer: it wins
                rest = polled_ids.get(order_id)
                if order.is_open and (rest is None or _state(rest) != _state(order)):
                    self.differences += 1
                    log.info("stream and REST differ on order %s: stream %s, REST %s; REST wins",
                             order_id, _state(order), _state(rest) if rest else "not active")
                continue
            if order.is_open:
                shown[order_id] = order
            else:
                shown.pop(order_id, None)
        return list(shown.values())

    def later_state(self, answer: Order) -> Order | None:
        """What the stream has already said of the order an action's `answer` (create, modify,
        cancel) is about, when that is later than the answer: a done state, which is final, or an
        open one updated after it. The answer can arrive after the stream's report of what followed
        (a cancel's CANCEL_PENDING after the drop copy's CANCELED), and must not bring it back."""
        told = self._orders.get(answer.key)
        if told is None or not answer.is_open:
            return None
        state = told[0]
        if not state.is_open:
            return state
        then, now = answer.update_timestamp, state.update_timestamp
        return state if then and now and now > then else None

    def streamed_orders(self) -> dict[str, Order]:
        return {order_id: order for order_id, (order, _) in self._orders.items()}

    # --- what the screen says ------------------------------------------------------------------

    def silent_for(self) -> float | None:
        return None if self.last_message is None else self._monotonic() - self.last_message

    def summary(self) -> str:
        """One short phrase for the header: the stream's state, and what to check when refused."""
        if self.state == "live" and self.refused:
            return f"{'/'.join(sorted(self.refused))} refused: {self.to_check()}"
        if self.state == "live":
            return "stream live" if self.authenticated else "stream live (public, ~1/s)"
        words = {"connecting": "stream connecting", "stale": "stream stale", "down": "stream DOWN",
                 "refused": "stream REFUSED", "off": "stream off"}
        text = words.get(self.state, self.state)
        if self.state == "refused":
            return f"{text} ({self.refused_status}): {self.to_check()}"
        return f"{text}: {self.detail}" if self.detail else text

    def to_check(self) -> str:
        """What to check after a refusal, short enough for the header (the events line and the log
        have the whole hint)."""
        if self.refused_status == "UNAUTHORIZED":
            return "may this key see these clients?"
        if self.refused_status in ("INVALID", "ERROR"):
            return "the exchange did not take the request (see the log)"
        return "check org id, key, secret, clock"


def _report_text(report: Any) -> str:
    """"order 55 canceled: self-trade prevention" for a report with `text`; "" without."""
    text = getattr(report, "text", None)
    if not text:
        return ""
    order = report.order
    ref = (order.id if order is not None and order.id else None) or getattr(report, "ref", None)
    verb = _REPORT_VERBS.get(str(report.msg_type or ""))
    if verb is None and order is not None and order.status is not None:
        verb = str(order.status).lower()
    words = " ".join(part for part in ("order", ref, verb) if part)
    return f"{words}: {text}"


def _state(order: Order) -> tuple:
    return (str(order.status), order.executed_qty, order.leaves_qty, order.price, order.qty)


def _newer(a: MarketQuote, b: MarketQuote) -> bool:
    """Is quote `a` strictly newer than `b` (both carry `last_update`)?"""
    ta, tb = a.info.last_update, b.info.last_update
    return ta is not None and tb is not None and ta > tb
