"""The depth ladder and the trade tape, headless: fed with stream messages, read by panes.

What is guessed (truex-ws.md §4-5, M/L): a DEPTH SNAPSHOT replaces the book and may span several
messages; it ends with `SNAPSHOT_COMPLETE` for its item (v1.0.5) or, from a server that never sends
that marker, with the first UPDATE. An UPDATE carries only changed levels with their absolute
quantity; quantity 0 deletes the level. Level count and order on the wire are not documented, so
levels are keyed by price here and sorted on read. A level at zero or a sentinel price is an empty
side, not a level. Trade prints carry no side and no time: the time kept is when we received it.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from ..api.stream_models import DepthData, DepthLevel, DepthMessage, TradeMessage, Update

__all__ = ["DepthBook", "Level", "Tape", "TapePrint"]

log = logging.getLogger(__name__)

KEPT_ASIDE = 50  # unreadable levels kept for a look (the count goes on)


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    qty: Decimal
    order_count: int | None = None


class DepthBook:
    """One symbol's book. `apply` returns whether what the ladder shows changed."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._bids: dict[Decimal, Level] = {}
        self._asks: dict[Decimal, Level] = {}
        # A snapshot being received: (bids, asks), replacing the book when it completes.
        self._pending: tuple[dict[Decimal, Level], dict[Decimal, Level]] | None = None
        self.snapshotted = False  # a snapshot has completed at least once
        self.stale = False
        self._stale_at: int | None = None
        self.seqnum: int | None = None  # of the last message applied
        self.unreadable = 0  # levels whose numbers did not parse, set aside (never applied)
        self.set_aside: deque[DepthLevel] = deque(maxlen=KEPT_ASIDE)
        self.set_aside_raw: deque[str] = deque(maxlen=KEPT_ASIDE)  # what did not read as a level at all

    # --- feeding ------------------------------------------------------------------------------

    def apply(self, message: DepthMessage) -> bool:
        data = message.data
        if data is None:
            return False
        if data.symbol and data.symbol != self.symbol:
            log.debug("book %s: ignored depth for %s", self.symbol, data.symbol)
            return False
        if message.seqnum is not None:
            self.seqnum = message.seqnum
        self._count_unread_sides(data)
        if message.update == Update.SNAPSHOT:
            if self._pending is None:
                self._pending = ({}, {})
            bids, asks = self._pending
            self._put(bids, data.bids, snapshot=True)
            self._put(asks, data.asks, snapshot=True)
            return False  # nothing shows until the snapshot completes
        changed = False
        if self._pending is not None:  # the server never said SNAPSHOT_COMPLETE: the update ends it
            changed = self.snapshot_done()
        changed |= self._put(self._bids, data.bids)
        changed |= self._put(self._asks, data.asks)
        return changed

    def snapshot_done(self) -> bool:
        """The snapshot being received is whole: it replaces the book. An empty book is a valid
        snapshot; a marker with no snapshot before it changes nothing."""
        if self._pending is None:
            return False
        before = (self._bids, self._asks)
        self._bids, self._asks = self._pending
        self._pending = None
        self.snapshotted = True
        self.stale = False
        self._stale_at = None
        return (self._bids, self._asks) != before

    def reset(self, seqnum: int | None = None) -> None:
        """A gap: what the book shows may be wrong until the next snapshot completes. The levels
        stay on screen, marked stale; a snapshot half received is dropped (it may miss levels)."""
        self.stale = True
        self._stale_at = seqnum
        self._pending = None

    def _put(self, side: dict[Decimal, Level], levels: Iterable[DepthLevel], *, snapshot: bool = False) -> bool:
        changed = False
        for level in levels:
            if level.price is None:
                if level.empty_as is None:  # not a sentinel: a price that did not parse or was not sent
                    self._aside(level)
                continue
            if level.qty is None or level.qty < 0 or level.unreadable:
                self._aside(level)
                continue
            if level.qty == 0:
                if not snapshot and side.pop(level.price, None) is not None:
                    changed = True
                continue
            new = Level(level.price, level.qty, level.order_count)
            if side.get(level.price) != new:
                side[level.price] = new
                changed = True
        return changed

    def _aside(self, level: DepthLevel) -> None:
        self.unreadable += 1
        self.set_aside.append(level)

    def _count_unread_sides(self, data: DepthData) -> None:
        """Levels the wire model set aside whole (an item that is no level, a side that is no list,
        e.g. a price -> qty map; §4 depth is M): counted per level sent, so the pane says so and
        an empty side is not taken for the market's."""
        for path, raw in data.unreadable.items():
            if not path.startswith(("bids", "asks")):
                continue
            try:
                sent = json.loads(raw) if path in ("bids", "asks") else None
            except ValueError:
                sent = None
            self.unreadable += len(sent) if isinstance(sent, (dict, list)) and sent else 1
            self.set_aside_raw.append(f"{path}: {raw}")
            log.info("book %s: depth %s unreadable: %.200s", self.symbol, path, raw)

    # --- reading ------------------------------------------------------------------------------

    def ladder(self, n: int = 10) -> tuple[list[Level], list[Level]]:
        """The best `n` levels of each side, best first."""
        bids = [self._bids[p] for p in sorted(self._bids, reverse=True)[:n]]
        asks = [self._asks[p] for p in sorted(self._asks)[:n]]
        return bids, asks

    @property
    def best_bid(self) -> Level | None:
        return self._bids[max(self._bids)] if self._bids else None

    @property
    def best_ask(self) -> Level | None:
        return self._asks[min(self._asks)] if self._asks else None

    @property
    def spread(self) -> Decimal | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else ask.price - bid.price

    @property
    def mid(self) -> Decimal | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid.price + ask.price) / 2

    @property
    def receiving_snapshot(self) -> bool:
        return self._pending is not None

    @property
    def state(self) -> str:
        if self.stale:
            where = f" at seqnum {self._stale_at}" if self._stale_at is not None else ""
            return f"stale: gap{where}, waiting for a new snapshot"
        if not self.snapshotted:
            if self._pending is not None:
                return "receiving snapshot"
            return "waiting for snapshot (partial)" if self._bids or self._asks else "waiting for snapshot"
        return "live"


@dataclass(frozen=True, slots=True)
class TapePrint:
    symbol: str | None
    price: Decimal | None  # None when the wire's number did not parse
    qty: Decimal | None
    liq_flag: str | None
    match_id: str | None
    received_ns: int  # when we received it: the wire sends no time


class Tape:
    """Market trade prints, newest first, at most `maxlen`; a match id is shown once."""

    def __init__(self, maxlen: int = 200) -> None:
        self.maxlen = maxlen
        self._prints: deque[TapePrint] = deque(maxlen=maxlen)
        self._seen: set[str] = set()  # the match ids in `_prints`

    def add(self, message: TradeMessage, received_ns: int | None = None, symbol: str | None = None) -> TapePrint | None:
        """The print added, or None for a repeat (same match id) or a message with no trade.
        `symbol`: the caller's name for the instrument (the wire may send only its id)."""
        data = message.data
        if data is None:
            return None
        match_id = data.match_id or None
        if match_id is not None and match_id in self._seen:
            return None
        flag = data.liq_flag
        entry = TapePrint(
            symbol=data.symbol or symbol,
            price=data.trade_price,
            qty=data.trade_qty,
            liq_flag=None if flag is None else str(flag),
            match_id=match_id,
            received_ns=time.time_ns() if received_ns is None else received_ns,
        )
        if len(self._prints) == self.maxlen:
            dropped = self._prints[-1]
            if dropped.match_id is not None:
                self._seen.discard(dropped.match_id)
        self._prints.appendleft(entry)
        if match_id is not None:
            self._seen.add(match_id)
        return entry

    def clear(self) -> None:
        self._prints.clear()
        self._seen.clear()

    def __iter__(self) -> Iterator[TapePrint]:
        return iter(self._prints)

    def __len__(self) -> int:
        return len(self._prints)

    def latest(self, n: int | None = None) -> list[TapePrint]:
        prints = list(self._prints)
        return prints if n is None else prints[:n]
