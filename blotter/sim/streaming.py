"""The simulator's WebSocket endpoint: the TrueX stream API (truex-ws.md §6) at `/api/v1` (and every
REST prefix), on the REST app's port.

On connect a WELCOME. Each JSON text frame is a (un)subscribe request, answered by a confirmation
(`update` SNAPSHOT, the status, the whole subscription set). Statuses (the reference only guesses
them): INVALID for a malformed request (not JSON, a required field missing or not a list of strings,
an unknown channel or symbol, a non-numeric timestamp); UNAUTHENTICATED for a signed request whose
key, organization, signature or timestamp fails (`signing.verify_stream`, the path signed being the
one connected to), or missing key/signature; UNAUTHORIZED for DROPCOPY asked without a signature or
for a client id not ours; ERROR for a fault of ours. A good signed request is AUTHENTICATED and
makes the connection real time for good; a `*_NO_AUTH` one is UNAUTHENTICATED on a connection that
never authenticated (AUTHENTICATED on one that did). A refused request changes nothing; the socket
stays open.

Per newly subscribed (channel, item): SNAPSHOT message(s), then `SNAPSHOT_COMPLETE {item}` (no
seqnum; left out under the `ws_no_snapshot_complete` fault), then UPDATEs. INSTRUMENT and EBBO
snapshot the full record, DEPTH the whole book, DROPCOPY one SNAPSHOT per open order of that client
(none when it has none), TRADE nothing (the reference does not say it has a snapshot). `seqnum` is
one counter per connection and channel, +1 per data message, the first UPDATE after a SNAPSHOT
included (the reference allows a repeat or +1; we chose +1).

Real time (a connection that has authenticated): the engine's listener hears each order event,
fill and print as it happens, in the server's loop (or is handed to it from another thread), and
sends DROPCOPY and TRADE updates at once; then, once the engine's call returns, one pass compares
each subscribed EBBO, INSTRUMENT and DEPTH item with what this socket was last sent and sends what
changed. Batched (never authenticated): the same comparison every `ws_batch_seconds` (1 s), so the
latest state per item, the coalesced DEPTH levels and that interval's TRADE prints.
Payload shapes and their guesses: `stream_payloads`. Fault switches: `fault_injection` (`ws_*`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket

from ..api.stream_models import DATA_CHANNELS, Channel, RequestType, SubscriptionStatus, Update
from . import stream_payloads as payloads
from .engine import EngineEvent, Exchange, OrderEvent, TradePrint
from .fault_injection import DROPCOPY_SCHEMAS, FaultConfig
from .signing import AcceptedKey, AuthFailure, verify_stream

log = logging.getLogger(__name__)
VERSION = "1.0.5"
OLD_VERSION = "1.0.4"  # what a server without SNAPSHOT_COMPLETE says it is
STATE_CHANNELS = (Channel.INSTRUMENT, Channel.EBBO, Channel.DEPTH)  # compared and resent when changed
SIGNED = (RequestType.SUBSCRIBE, RequestType.UNSUBSCRIBE)
SUBSCRIBES = (RequestType.SUBSCRIBE, RequestType.SUBSCRIBE_NO_AUTH)
MAX_QUEUED = 10_000  # frames a stalled or slow socket keeps; the oldest go first
MAX_PRINTS = 1_000  # TRADE prints a batched socket keeps between batches
POLL_SECONDS = 0.05  # how soon a writer notices a fault switched on
assert set(payloads.DROPCOPY_SCHEMAS) == set(DROPCOPY_SCHEMAS)


class Refused(Exception):
    def __init__(self, status: SubscriptionStatus) -> None:
        super().__init__(status)
        self.status = status


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)


class MarketView:
    """The market as it is now, each piece computed once per publishing pass (under the engine's lock)."""

    def __init__(self, hub: StreamHub) -> None:
        self.hub = hub
        self._ebbo: dict[str, dict] | None = None
        self._instruments: dict[str, dict] | None = None
        self._books: dict[str, payloads.Book] = {}

    def state(self, channel: str, symbol: str) -> Any:
        hub = self.hub
        if channel == Channel.EBBO:
            if self._ebbo is None:
                self._ebbo = {q.symbol or q.id: payloads.ebbo_data(q, q.id in hub.exchange.markets, hub.wire)
                              for q in hub.exchange.quotes()}
            return self._ebbo[symbol]
        if channel == Channel.INSTRUMENT:
            if self._instruments is None:
                self._instruments = {i.info.symbol: payloads.instrument_data(i, hub.wire)
                                     for i in hub.exchange.instruments()}
            return self._instruments[symbol]
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = payloads.depth_book(*hub.exchange.depth(hub.instrument_ids[symbol]))
        return book


class Connection:
    """One socket: its subscriptions, seqnums, what it was last sent, and its outgoing frames."""

    def __init__(self, hub: StreamHub, websocket: WebSocket) -> None:
        self.hub = hub
        self.websocket = websocket
        self.path: str = websocket.scope.get("path", "")
        self.ip = (websocket.client.host if websocket.client else "") or "?"
        self.authenticated = False
        self.subs: dict[str, list[str]] = {}  # channel -> items, in the order subscribed
        self.sent: dict[tuple[str, str], Any] = {}  # (channel, item) -> the state UPDATEs compare with
        self.seq: Counter[str] = Counter()
        self.outbox: deque[str] = deque(maxlen=MAX_QUEUED)
        self.prints: deque[tuple[str, TradePrint]] = deque(maxlen=MAX_PRINTS)
        self.wake = asyncio.Event()

    # --- sending --------------------------------------------------------------------------------

    def enqueue(self, message: dict[str, Any]) -> None:
        self.outbox.append(json.dumps(message, separators=(",", ":")))
        self.wake.set()

    def data(self, channel: str, update: str, data: Any, **beside: Any) -> None:
        number = self.seq[channel] + 1
        faults = self.hub.faults
        if channel == Channel.DEPTH and update == Update.UPDATE and faults.ws_skip_seqnum > 0:
            faults.ws_skip_seqnum -= 1
            number += 1
        self.seq[channel] = number
        self.enqueue({"channel": channel, "update": update, "seqnum": str(number), **beside, "data": data})

    def confirm(self, status: SubscriptionStatus) -> None:
        self.enqueue({
            "channel": Channel.WEBSOCKET, "update": Update.SNAPSHOT, "timestamp": str(self.hub.server_ns()),
            "status": status,
            "subscriptions": [{"channel": c, "item_names": list(items)} for c, items in self.subs.items() if items],
        })

    # --- requests -------------------------------------------------------------------------------

    def request(self, text: str | None) -> None:
        try:
            status, added = self._apply(text)
        except Refused as refused:
            self.confirm(refused.status)
            return
        except Exception:  # noqa: BLE001 - the socket outlives our bug; the request text is not logged
            log.exception("a stream request failed")
            self.confirm(SubscriptionStatus.ERROR)
            return
        self.confirm(status)
        if added:
            with self.hub.exchange.lock:
                view = MarketView(self.hub)
                for channel, item in added:
                    self.snapshot(view, channel, item)

    def _apply(self, text: str | None) -> tuple[SubscriptionStatus, list[tuple[str, str]]]:
        hub = self.hub
        try:
            body = json.loads(text) if text is not None else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("type") not in tuple(RequestType):
            raise Refused(SubscriptionStatus.INVALID)
        kind = RequestType(body["type"])
        refuse = hub.faults.ws_refuse
        if refuse and kind in SUBSCRIBES:
            raise Refused(SubscriptionStatus.UNAUTHENTICATED if refuse is True else SubscriptionStatus(refuse))
        channels, items, stamp = body.get("channels"), body.get("item_names"), body.get("timestamp")
        if (not _strings(channels) or not _strings(items) or not isinstance(stamp, str)
                or not (stamp.isascii() and stamp.isdigit())
                or any(channel not in DATA_CHANNELS for channel in channels)):
            raise Refused(SubscriptionStatus.INVALID)
        if any(channel != Channel.DROPCOPY for channel in channels) and any(i not in hub.instrument_ids for i in items):
            raise Refused(SubscriptionStatus.INVALID)
        if kind in SIGNED:
            try:
                verify_stream(timestamp=stamp, key=body.get("key"), signature=body.get("signature"), path=self.path,
                              server_seconds=hub.server_seconds(), credentials=hub.credentials,
                              organization_id=body.get("organization_id"))
            except AuthFailure:
                raise Refused(SubscriptionStatus.UNAUTHENTICATED) from None
            self.authenticated = True
        if Channel.DROPCOPY in channels and (kind not in SIGNED or any(i not in hub.exchange.accounts for i in items)):
            raise Refused(SubscriptionStatus.UNAUTHORIZED)
        status = SubscriptionStatus.AUTHENTICATED if self.authenticated else SubscriptionStatus.UNAUTHENTICATED
        pairs = [(channel, item) for channel in channels for item in items]
        return status, (self._add(pairs) if kind in SUBSCRIBES else self._remove(pairs))

    def _add(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        added = []
        for channel, item in pairs:
            items = self.subs.setdefault(channel, [])
            if item not in items:
                items.append(item)
                added.append((channel, item))
        return added

    def _remove(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for channel, item in pairs:
            items = self.subs.get(channel, [])
            if item in items:
                items.remove(item)
                self.sent.pop((channel, item), None)
                if not items:
                    del self.subs[channel]
        return []

    # --- data -----------------------------------------------------------------------------------

    def snapshot(self, view: MarketView, channel: str, item: str) -> None:
        hub = self.hub
        if channel in STATE_CHANNELS:
            state = view.state(channel, item)
            self.sent[(channel, item)] = state
            self.data(channel, Update.SNAPSHOT, payloads.depth_data(item, state) if channel == Channel.DEPTH else state)
        elif channel == Channel.DROPCOPY:
            schema = payloads.DROPCOPY_SCHEMAS[hub.faults.ws_dropcopy_schema]
            for order in hub.exchange.active_orders([item]):
                data, beside = schema(order, None, None, None, hub.wire)
                self.data(channel, Update.SNAPSHOT, data, **beside)
        if not hub.faults.ws_no_snapshot_complete:
            self.enqueue({"channel": channel, "update": Update.SNAPSHOT_COMPLETE, "item": item})

    def publish(self, view: MarketView) -> None:
        """An UPDATE for every subscribed state item that changed since this socket last heard of it."""
        for channel in STATE_CHANNELS:
            for item in self.subs.get(channel, ()):
                state, before = view.state(channel, item), self.sent.get((channel, item))
                if state == before:
                    continue
                if channel == Channel.DEPTH:
                    changes = payloads.depth_changes(item, before, state) if before else payloads.depth_data(item, state)
                    if changes is None:
                        continue
                    self.sent[(channel, item)] = state
                    self.data(channel, Update.UPDATE, changes)
                else:
                    self.sent[(channel, item)] = state
                    self.data(channel, Update.UPDATE, state)

    def on_print(self, symbol: str, trade: TradePrint) -> None:
        if symbol in self.subs.get(Channel.TRADE, ()):
            if self.authenticated:
                self.data(Channel.TRADE, Update.UPDATE, payloads.trade_data(trade), id=trade.instrument_id)
            else:
                self.prints.append((symbol, trade))

    def flush_prints(self) -> None:
        while self.prints:
            symbol, trade = self.prints.popleft()
            if symbol in self.subs.get(Channel.TRADE, ()):
                self.data(Channel.TRADE, Update.UPDATE, payloads.trade_data(trade), id=trade.instrument_id)

    def on_order(self, event: OrderEvent) -> None:
        client_id = event.order.order_info.client_id
        if client_id and client_id in self.subs.get(Channel.DROPCOPY, ()):
            schema = payloads.DROPCOPY_SCHEMAS[self.hub.faults.ws_dropcopy_schema]
            data, beside = schema(event.order, event.msg_type, event.trade, event.text, self.hub.wire)
            self.data(Channel.DROPCOPY, Update.UPDATE, data, **beside)

    # --- the socket -----------------------------------------------------------------------------

    async def run(self, connections: int) -> None:
        hub = self.hub
        self.enqueue({
            "channel": Channel.WEBSOCKET, "update": Update.WELCOME, "connections": str(connections),
            "message": "Welcome to the TrueX simulator",
            "version": OLD_VERSION if hub.faults.ws_no_snapshot_complete else VERSION,
            "datetime": datetime.fromtimestamp(hub.server_seconds(), UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        })
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write())
        done, pending = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.debug("stream connection ended: %r", task.exception())
        # After `ws_drop` we return without a close frame: uvicorn then cuts the TCP connection.

    async def _read(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.request(message.get("text"))

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        faults = self.hub.faults
        next_batch = loop.time() + faults.ws_batch_seconds
        while True:
            if not faults.ws_stall:
                while self.outbox:
                    await self.websocket.send_text(self.outbox.popleft())
            if faults.ws_drop:
                return
            timeout = POLL_SECONDS
            if not self.authenticated:
                now = loop.time()
                if now >= next_batch:
                    next_batch = now + faults.ws_batch_seconds
                    self.hub.publish([self])
                    self.flush_prints()
                    continue
                timeout = min(timeout, next_batch - now)
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)


class StreamHub:
    """The endpoint and the engine's listener: hands each event to the sockets that want it."""

    def __init__(self, exchange: Exchange, credentials: AcceptedKey, faults: FaultConfig, wire: str,
                 server_seconds: Callable[[], float]) -> None:
        self.exchange = exchange
        self.credentials = credentials
        self.faults = faults
        self.wire = wire
        self.server_seconds = server_seconds
        with exchange.lock:
            self.instrument_ids = {m.spec.symbol: i for i, m in exchange.markets.items()}
            self.instrument_ids.update({inst.info.symbol: i for i, inst in exchange.listed.items()})
        self.symbols = {i: s for s, i in self.instrument_ids.items()}
        self.connections: set[Connection] = set()
        self.per_ip: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._refresh_due = False
        exchange.listeners.append(self._on_event)

    def server_ns(self) -> int:
        return time.time_ns() + round(self.faults.clock_skew_seconds * 1_000_000_000)

    async def endpoint(self, websocket: WebSocket) -> None:
        if self.faults.ws_reject_upgrade:
            await websocket.close(code=1008)  # before accepting: uvicorn answers the handshake 403
            return
        self._loop, self._thread = asyncio.get_running_loop(), threading.get_ident()
        await websocket.accept()
        connection = Connection(self, websocket)
        self.connections.add(connection)
        self.per_ip[connection.ip] += 1
        try:
            await connection.run(self.per_ip[connection.ip])
        finally:
            self.connections.discard(connection)
            self.per_ip[connection.ip] -= 1
            if not self.per_ip[connection.ip]:
                del self.per_ip[connection.ip]

    # --- engine events --------------------------------------------------------------------------

    def _on_event(self, event: EngineEvent) -> None:
        """Called by the engine with its lock held: only take note, here or in the server's loop."""
        loop = self._loop
        if not self.connections or loop is None:
            return
        if threading.get_ident() == self._thread:
            self._dispatch(event)
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
                loop.call_soon_threadsafe(self._dispatch, event)

    def _dispatch(self, event: EngineEvent) -> None:
        if isinstance(event, OrderEvent):
            for connection in list(self.connections):
                connection.on_order(event)
        elif isinstance(event, TradePrint):
            symbol = self.symbols.get(event.instrument_id)
            if symbol:
                for connection in list(self.connections):
                    connection.on_print(symbol, event)
        if not self._refresh_due and self._loop is not None:
            self._refresh_due = True
            self._loop.call_soon(self._refresh)  # after the engine's call has returned

    def _refresh(self) -> None:
        self._refresh_due = False
        self.publish([c for c in self.connections if c.authenticated])

    def publish(self, connections: list[Connection]) -> None:
        wanted = [c for c in connections if any(channel in c.subs for channel in STATE_CHANNELS)]
        if not wanted:
            return
        with self.exchange.lock:
            view = MarketView(self)
            for connection in wanted:
                connection.publish(view)
