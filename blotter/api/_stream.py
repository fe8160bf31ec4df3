"""The TrueX WebSocket stream session: connect, subscribe, read, notice gaps and silence, reconnect.

Built for truex-ws.md. Headless (no Textual) and free of `blotter.core`: time comes from a small
`Clock` (api/_clock.py), shared with the feeds.

Documented (H): the signature `Base64(HMAC-SHA256(secret, timestamp + "TRUEXWS" + key + path))`, the
request shapes, WELCOME, the confirmation after every (un)subscribe, string numbers.
Guessed here, where the reference is silent or unsure (M/L), and how:
- Confirmations carry no request id: the set each sends back says which waiting request it answers
  (else the oldest). An UPDATE repeating the confirmation before it is a copy (TrueX reads only
  SNAPSHOT, M); a refusal no request fits is still reported. Other WEBSOCKET updates are unread.
- Status: `AUTHENTICATED` accepts a signed request; for a `*_NO_AUTH` request `UNAUTHENTICATED` is the
  normal answer (the reference reads it as "no-auth or bad signature"), so it accepts that too.
  Anything else refuses. A missing status is taken as accepted (data will tell).
- A refused signed public subscription falls back at once to `SUBSCRIBE_NO_AUTH` (data then comes
  coalesced, about 1 Hz); DROPCOPY stays refused. Refusals are NOT retried on the same connection:
  they are tried again on the next connection (after a drop, with its own back-off) or when the app
  calls `retry_refused()` (e.g. after the settings or the REST server clock changed). Signing the
  same refused request again every few seconds would only repeat the refusal.
- seqnum scope is undocumented: one counter per channel is assumed (TrueX's connector does so); a
  channel whose numbers only make sense per item (per symbol / client id) is switched to per-item
  counting the first time that shows. After a SNAPSHOT, N or N+1 is accepted. A SNAPSHOT for an item
  with no count yet (first subscription, re-snapshot) starts that item's numbering: never a gap, or a
  re-snapshot could loop. With one counter for several items, a gap cannot be pinned on one item:
  `Gap.item` is then None (every item of the channel is suspect) and DEPTH re-snapshots all symbols.
  No-auth data is coalesced (about 1 Hz, H) and numbered with the channel's current seqnum (H): its
  jumps are recorded, never gaps. A SNAPSHOT_COMPLETE's seqnum, when sent, is recorded too.
- No first frame or a first frame that is not WELCOME: the session subscribes anyway, with an empty
  `Welcome`, and reads that frame as any other.
- Silence: after `silence_timeout` with no frame, `Stale`; after 3x, a WebSocket ping probes the
  connection: no pong within `silence_timeout` closes it and reconnects; a pong means a quiet market
  (authenticated data is sent on change only), so the connection is kept and probed again later.
- Back-off: base·2^(n-1) capped, drawn uniformly in [d/2, d]; the count starts again after a
  connection that stayed up `stable_after` seconds.
- Timestamps follow the exchange's clock (`server_offset`, e.g. REST's `ServerClock.offset`) and are
  written one second early: the v1.0.3 docs refuse a timestamp in the future.

Secrets: the secret is kept as `SecretStr`; neither it nor any signature appears in a repr, an event,
a status, an exception message we make, or a log record (websockets' own frame debug logging is
switched off for these connections, as it would print the signed request).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from ._clock import Clock, SystemClock
from ._stream_events import (
    Connected,
    Data,
    Disconnected,
    Gap,
    Refused,
    SnapshotDone,
    Stale,
    State,
    StreamEvent,
    StreamStatus,
    Subscribed,
    Unread,
    refusal_hint,
)
from .stream_models import (
    DATA_CHANNELS,
    PUBLIC_CHANNELS,
    Channel,
    Confirmation,
    DepthMessage,
    DropCopyMessage,
    EbboMessage,
    InstrumentMessage,
    RequestType,
    SnapshotComplete,
    StreamMessage,
    StreamRequest,
    SubscriptionStatus,
    TradeMessage,
    Unreadable,
    Update,
    Welcome,
    parse_message,
)

__all__ = [
    "Connected", "Data", "Disconnected", "Gap", "Refused", "SnapshotDone", "Stale", "StreamClock",
    "StreamEvent", "StreamSession", "StreamStatus", "Subscribed", "Unread", "refusal_hint",
    "stream_signature", "ws_url_from_base",
]

log = logging.getLogger(__name__)

API_PATH = "/api/v1"
FUTURE_MARGIN = 1  # seconds a timestamp is written early: the server refuses one in the future
MAX_PENDING = 64  # unanswered requests remembered (a server that never confirms must not grow us)
_PUBLIC = tuple(str(channel) for channel in PUBLIC_CHANNELS)
_BOOK_CHANNELS = (str(Channel.DEPTH), str(Channel.TRADE))  # with `book_symbols`: only for those
_DROPCOPY = str(Channel.DROPCOPY)
_DEPTH = str(Channel.DEPTH)


# --- signing and URLs ---------------------------------------------------------------------------


def stream_signature(secret: str, timestamp: str, key: str, path: str) -> str:
    """Base64(HMAC-SHA256(secret, timestamp + "TRUEXWS" + key + path)), standard and padded."""
    payload = f"{timestamp}TRUEXWS{key}{path}".encode()
    digest = hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def ws_url_from_base(base_url: str) -> str:
    """The stream URL on the REST base URL's host: http->ws, https->wss, path `/api/v1`."""
    parts = urlsplit(base_url.strip())
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ValueError(f"cannot make a stream URL from {base_url!r}: expected http(s)://host[:port]")
    return urlunsplit((scheme, parts.netloc, API_PATH, "", ""))


# --- time ---------------------------------------------------------------------------------------


# The session's clock: `Clock` (a `blotter.core.feeds.FakeClock` in tests). A clock with `time()` in
# epoch seconds instead of `now_ns()` is accepted too.
StreamClock = Clock


# --- the session --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    kind: Literal["subscribe", "unsubscribe"]
    signed: bool
    channels: tuple[str, ...]
    items: tuple[str, ...]
    purpose: Literal["public", "book", "dropcopy", "resnapshot"]


class _Sequencer:
    """seqnum checks for one connection: one counter per channel, or per item once that shows."""

    def __init__(self) -> None:
        self._channel: dict[str, tuple[int, bool]] = {}  # channel -> (last, last was a snapshot)
        self._item: dict[tuple[str, str], tuple[int, bool]] = {}
        self.per_item: set[str] = set()

    @staticmethod
    def _fits(last: tuple[int, bool] | None, seqnum: int) -> bool:
        if last is None:
            return True
        number, after_snapshot = last
        return seqnum == number + 1 or (after_snapshot and seqnum == number)

    def check(self, channel: str, item: str | None, seqnum: int, snapshot: bool) -> int | None:
        """The seqnum expected when `seqnum` shows a gap, else None. Records `seqnum`."""
        last_channel = self._channel.get(channel)
        last_item = self._item.get((channel, item)) if item is not None else None
        expected: int | None = None
        if channel in self.per_item:
            if last_item is not None and not self._fits(last_item, seqnum):
                expected = last_item[0] + 1
        elif not self._fits(last_channel, seqnum):
            assert last_channel is not None
            # The numbers run per item on this channel, not per channel, when the item's own count
            # fits, or when a new item is numbered at or below the channel's count: one counter per
            # channel never goes back (TRADE has no snapshot to say so; §5 scope M).
            runs_per_item = (self._fits(last_item, seqnum) if last_item is not None
                             else item is not None and seqnum <= last_channel[0])
            if runs_per_item:
                self.per_item.add(channel)
                log.info("stream: %s seqnums count per item", channel)
            elif not (snapshot and item is not None and last_item is None):
                expected = last_channel[0] + 1
        self.record(channel, item, seqnum, snapshot)
        return expected

    def record(self, channel: str, item: str | None, seqnum: int, snapshot: bool) -> None:
        """Take `seqnum` as the last one, unchecked (a SNAPSHOT_COMPLETE's, a coalesced message's)."""
        self._channel[channel] = (seqnum, snapshot)
        if item is not None:
            self._item[(channel, item)] = (seqnum, snapshot)

    def forget(self, channel: str, item: str) -> None:
        self._item.pop((channel, item), None)


# websockets logs every frame at DEBUG, the signed request included: not for these connections.
class _NoFrameLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_TRANSPORT_LOG = _NoFrameLog(logging.getLogger(f"{__name__}.transport"), {})

ConnectFunction = Callable[..., Any]  # like websockets.asyncio.client.connect: an async context manager


def _default_connect(url: str, **options: Any) -> Any:
    from websockets.asyncio.client import connect  # the import costs; only when streaming

    return connect(url, **options)


class StreamSession:
    """One resilient stream: `await run(emit)` until cancelled; every event goes to `emit` in order.

    `symbols` are subscribed on INSTRUMENT, EBBO, DEPTH and TRADE; `client_ids` on DROPCOPY, only
    with all of `organization_id`, `key` and `secret` (without them: `SUBSCRIBE_NO_AUTH`, public only).
    """

    def __init__(
        self,
        url: str,
        *,
        symbols: Iterable[str] = (),
        client_ids: Iterable[str] = (),
        channels: Iterable[str] = _PUBLIC,
        book_symbols: Iterable[str] | None = None,
        organization_id: str | None = None,
        key: str | None = None,
        secret: str | SecretStr | None = None,
        clock: StreamClock | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        stable_after: float = 30.0,
        silence_timeout: float = 5.0,
        welcome_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        close_timeout: float = 3.0,
        connect: ConnectFunction | None = None,
        connect_options: Mapping[str, Any] | None = None,
        server_offset: Callable[[], float] | None = None,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.url = url
        self._path = urlsplit(url).path
        self._symbols = _unique(symbols)
        self._channels = _unique(str(c) for c in channels)
        self._book_symbols = None if book_symbols is None else _unique(book_symbols)
        self._client_ids = _unique(client_ids)
        self._organization_id = organization_id or None
        self._key = key or None
        if isinstance(secret, str):
            secret = SecretStr(secret)
        self._secret = secret if secret is not None and secret.get_secret_value() else None
        self._clock: StreamClock = clock or SystemClock()
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._stable_after = stable_after
        self._silence_timeout = silence_timeout
        self._welcome_timeout = welcome_timeout
        self._connect = connect or _default_connect
        self._connect_options: dict[str, Any] = {
            "ping_interval": ping_interval,
            "ping_timeout": ping_interval,
            "close_timeout": close_timeout,
            "open_timeout": 10.0,
            "max_size": 2**23,  # a whole-book snapshot may be large
            "logger": _TRANSPORT_LOG,
            **(connect_options or {}),
        }
        self._server_offset = server_offset or (lambda: 0.0)
        self._jitter = jitter
        self._signatures: deque[str] = deque(maxlen=32)  # recent ones, scrubbed from any text we make
        # status
        self._state: State = "off"
        self._since = self._clock.monotonic()
        self._detail = "not started"
        self._authenticated = False
        self._last_message: float | None = None
        self._reconnects = 0
        # per connection
        self._ws: Any = None
        self._pending: deque[_Request] = deque()
        self._sequencer = _Sequencer()
        self._public_signed = self.has_credentials
        self._subscribed_ok = 0
        self._conn_items: dict[str, tuple[str, ...]] = {}  # public group -> its items on this connection
        self._conn_client_ids: tuple[str, ...] = ()
        self._resnapshot: set[str] = set()
        self._refusals: dict[tuple[str, ...], str] = {}  # channels -> what was refused and why
        self._last_confirmation: tuple[str | None, frozenset[tuple[str, str]] | None] | None = None
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._retry = asyncio.Event()
        self._symbol_of_id: dict[str, str] = {}  # instrument id -> symbol, from INSTRUMENT

    # --- public -------------------------------------------------------------------------------

    @property
    def has_credentials(self) -> bool:
        return bool(self._organization_id and self._key and self._secret)

    @property
    def symbols(self) -> tuple[str, ...]:
        return self._symbols

    @property
    def client_ids(self) -> tuple[str, ...]:
        return self._client_ids

    @property
    def status(self) -> StreamStatus:
        return StreamStatus(self._state, self._authenticated, self._since, self._detail, self._last_message,
                            self._reconnects)

    def symbol_of(self, instrument_id: str | None) -> str | None:
        """The symbol of an instrument id, as INSTRUMENT messages told it (EBBO sends only the id)."""
        return self._symbol_of_id.get(instrument_id) if instrument_id else None

    def set_items(self, symbols: Iterable[str] | None = None, client_ids: Iterable[str] | None = None,
                  book_symbols: Iterable[str] | None = None) -> None:
        """Change what is subscribed; on a live connection at once (new items subscribed, removed
        ones unsubscribed), else from the next connection."""
        if symbols is not None:
            self._symbols = _unique(symbols)
        if book_symbols is not None:
            self._book_symbols = _unique(book_symbols)
        if client_ids is not None:
            self._client_ids = _unique(client_ids)
        if self._ws is not None:
            self._spawn(self._sync_items(self._ws))

    def retry_refused(self) -> None:
        """Connect again now, to try refused subscriptions with fresh signatures (e.g. after the
        settings or the server clock changed). No-op when not connected."""
        if self._ws is not None:
            self._retry.set()

    def __repr__(self) -> str:
        return (f"StreamSession(url={self.url!r}, symbols={list(self._symbols)!r}, "
                f"client_ids={list(self._client_ids)!r}, credentials={'yes' if self.has_credentials else 'no'}, "
                f"state={self._state!r})")

    async def run(self, emit: Callable[[StreamEvent], None]) -> None:
        """Connect, subscribe and read until cancelled, reconnecting with back-off."""
        failures = 0
        was_up = False
        self._send_lock = asyncio.Lock()  # bound to this run's loop
        self._retry = asyncio.Event()
        try:
            while True:
                self._set_state("connecting", f"connecting to {self.url}")
                started: float | None = None
                try:
                    async with self._connect(self.url, **self._connect_options) as ws:
                        started = self._clock.monotonic()
                        try:
                            reason = await self._serve(ws, emit, reconnect=was_up)
                        except asyncio.CancelledError:
                            await _close_quietly(ws)  # a normal close (1000), not "internal error"
                            raise
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - any failure means: reconnect later
                    reason = self._describe(error)
                finally:
                    awaiting = [r for r in self._pending if r.signed and r.kind == "subscribe"]
                    self._end_connection()
                if started is not None:
                    was_up = True
                    if awaiting and reason != _RETRY_REASON:
                        reason += " (before the signed subscription was confirmed)"
                    if self._clock.monotonic() - started >= self._stable_after:
                        failures = 0
                failures += 1
                delay = 0.0 if reason == _RETRY_REASON else self._delay(failures)
                log.info("stream: disconnected (%s); again in %.1f s", reason, delay)
                self._set_state("down", reason)
                self._emit(emit, Disconnected(reason, delay))
                if delay:
                    await self._clock.sleep(delay)
        finally:
            self._end_connection()
            self._set_state("off", "stopped")

    # --- one connection -----------------------------------------------------------------------

    async def _serve(self, ws: Any, emit: Callable[[StreamEvent], None], reconnect: bool) -> str:
        self._begin_connection()
        leftover: str | bytes | None = None
        welcome = Welcome()
        try:
            first = await asyncio.wait_for(ws.recv(), self._welcome_timeout)
        except TimeoutError:
            log.warning("stream: no WELCOME within %.0f s; subscribing anyway", self._welcome_timeout)
        else:
            self._heard()
            parsed = parse_message(first)
            if isinstance(parsed, Welcome):
                welcome = parsed
            else:
                log.warning("stream: the first frame was not a WELCOME; subscribing anyway")
                leftover = first
        if reconnect:
            self._reconnects += 1
        self._emit(emit, Connected(welcome, reconnect))
        await self._subscribe_all(ws)
        self._ws = ws
        self._spawn(self._sync_items(ws))  # what set_items changed while we subscribed
        if not self._pending:
            self._set_state("live", "connected; nothing to subscribe")
        if leftover is not None:
            await self._handle(ws, leftover, emit)
        return await self._read(ws, emit)

    async def _read(self, ws: Any, emit: Callable[[StreamEvent], None]) -> str:
        """Read until the connection closes (raises) or is given up (returns why)."""
        loop = asyncio.get_running_loop()
        timeout = self._silence_timeout
        last = loop.time()
        stale = False
        probe_at = last + 3 * timeout
        retry = asyncio.ensure_future(self._retry.wait())
        # One receive at a time, kept across timeouts: never cancelled mid-read, nothing lost.
        receive: asyncio.Future[Any] | None = None
        try:
            while True:
                if receive is None:
                    receive = asyncio.ensure_future(ws.recv())
                wait = (probe_at if stale else last + timeout) - loop.time()
                done, _ = await asyncio.wait({receive, retry}, timeout=max(wait, 0.0),
                                             return_when=asyncio.FIRST_COMPLETED)
                if receive in done:
                    frame = receive.result()  # raises ConnectionClosed: the caller reconnects
                    receive = None
                    last = loop.time()
                    self._heard()
                    if stale:
                        stale = False
                        if self._state == "stale":
                            self._set_state("live" if self._subscribed_ok else "connecting", self._live_detail())
                    await self._handle(ws, frame, emit)
                    continue
                if retry in done:
                    return _RETRY_REASON
                silent_for = loop.time() - last
                if not stale:
                    stale = True
                    probe_at = last + 3 * timeout
                    if self._state != "refused":  # nothing was to flow: silence is no news
                        self._set_state("stale", f"no message for {silent_for:.0f} s")
                        self._emit(emit, Stale(silent_for))
                    continue
                if not await self._answers_ping(ws, timeout) and not receive.done():
                    return f"no message for {silent_for:.0f} s and no answer to a ping"
                log.info("stream: silent for %.0f s but answering pings: a quiet market", silent_for)
                self._detail = f"quiet: no message for {silent_for:.0f} s; the connection answers pings"
                probe_at = loop.time() + 3 * timeout
        finally:
            retry.cancel()
            if receive is not None:
                receive.cancel()

    async def _answers_ping(self, ws: Any, timeout: float) -> bool:
        ping = getattr(ws, "ping", None)
        if ping is None:
            return False
        try:
            pong = await ping()
            await asyncio.wait_for(pong, timeout)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - no pong, closed, whatever: the connection is not answering
            return False
        return True

    async def _handle(self, ws: Any, frame: str | bytes, emit: Callable[[StreamEvent], None]) -> None:
        message = parse_message(frame)
        if isinstance(message, Unreadable):
            log.info("stream: unreadable frame: %s", message.reason)
            self._emit(emit, Unread(message))
            return
        if isinstance(message, Welcome):
            log.info("stream: a second WELCOME on one connection; ignored")
            return
        if isinstance(message, Confirmation):
            await self._confirmed(ws, message, emit)
            return
        if isinstance(message, SnapshotComplete):
            channel = str(message.channel or "")
            if message.seqnum is not None and channel in DATA_CHANNELS:
                # A numbered marker (§4: seqnum unknown, L) takes a number in its channel's count:
                # recorded like a snapshot's, or the next UPDATE would read as a gap (and loop).
                self._sequencer.record(channel, message.item, message.seqnum, snapshot=True)
            self._emit(emit, SnapshotDone(channel, message.item))
            return
        if self._state in ("connecting", "refused"):
            self._set_state("live", self._live_detail())
        channel = str(message.channel)
        item = self._item_of(message)
        if isinstance(message, InstrumentMessage) and message.data is not None and message.data.info.symbol:
            self._symbol_of_id[message.data.id] = message.data.info.symbol
        snapshot = message.update == Update.SNAPSHOT
        if snapshot and channel == _DEPTH and item is not None:
            self._resnapshot.discard(item)
        if message.seqnum is not None:
            if channel in _PUBLIC and not self._public_signed:
                # No-auth data is coalesced, published about once a second (§5, H), each message
                # numbered with the channel's current seqnum (H): jumps are normal, not gaps.
                self._sequencer.record(channel, item, message.seqnum, snapshot)
            else:
                expected = self._sequencer.check(channel, item, message.seqnum, snapshot)
                if expected is not None:
                    await self._gap(ws, channel, item, expected, message.seqnum, emit)
        self._emit(emit, Data(message))

    async def _gap(self, ws: Any, channel: str, item: str | None, expected: int, got: int,
                   emit: Callable[[StreamEvent], None]) -> None:
        per_item = channel in self._sequencer.per_item
        items = self._conn_items.get(self._group_of(channel), ()) if channel in _PUBLIC else self._conn_client_ids
        if not per_item:  # one counter for the channel: the missed message may be any item's
            item = items[0] if len(items) == 1 else None
        log.warning("stream: %s gap for %s: expected seqnum %d, got %d", channel, item or "all items", expected, got)
        self._emit(emit, Gap(channel, item, expected, got))
        if channel != _DEPTH:
            return  # INSTRUMENT and EBBO carry full state; TRADE and DROPCOPY: the app reconciles over REST
        # An item known only by its instrument id cannot be named in a request: re-snapshot them all.
        symbols = self._conn_items.get(self._group_of(_DEPTH), ())
        suspects = (item,) if item in symbols else symbols
        again = tuple(s for s in suspects if s not in self._resnapshot)
        if not again:
            return
        self._resnapshot.update(again)
        for symbol in again:
            self._sequencer.forget(_DEPTH, symbol)
        signed = self._public_signed
        await self._send(ws, _Request("unsubscribe", signed, (_DEPTH,), again, "resnapshot"))
        await self._send(ws, _Request("subscribe", signed, (_DEPTH,), again, "resnapshot"))

    async def _confirmed(self, ws: Any, message: Confirmation, emit: Callable[[StreamEvent], None]) -> None:
        status = None if message.status is None else str(message.status)
        # The whole set the server says is subscribed; None when it did not send a readable one.
        listed = "subscriptions" in message.model_fields_set
        current = frozenset((str(sub.channel), item) for sub in message.subscriptions
                            for item in sub.item_names) if listed else None
        update = None if message.update is None else str(message.update)
        seen, self._last_confirmation = self._last_confirmation, (status, current)
        if update == Update.UPDATE and seen == (status, current):
            # TrueX's code reads only SNAPSHOT confirmations (§4, M): an UPDATE repeating the one just
            # before is its copy, not the answer to the next request.
            log.info("stream: an UPDATE confirmation repeating the previous one (status %s); not an answer", status)
            return
        request = self._answered(status, current, update)
        if request is None:
            if status in (None, SubscriptionStatus.AUTHENTICATED, SubscriptionStatus.UNAUTHENTICATED):
                log.info("stream: a confirmation no request waited for (%s, status %s)", update, status)
                return
            # A refusal is never dropped, even when no request of ours fits it.
            hint = refusal_hint(status or "", (), (), self.has_credentials)
            log.warning("stream: a refusal no request waited for (%s): %s", status, hint)
            self._emit(emit, Refused(status or "", (), (), hint))
            self._refusals[()] = f"a request refused ({status}): {hint}"
            self._detail = self._live_detail()
            return
        accepted = self._accepts(request, status, current)
        if request.kind == "unsubscribe":
            if not accepted:
                log.warning("stream: unsubscribe of %s %s answered %s", request.channels, request.items, status)
            return
        if accepted:
            authenticated = request.signed and status == SubscriptionStatus.AUTHENTICATED
            self._authenticated |= authenticated
            self._subscribed_ok += 1
            if self._state in ("connecting", "refused"):
                self._set_state("live", self._live_detail())
            self._emit(emit, Subscribed(message, authenticated))
            return
        hint = refusal_hint(status or "", request.channels, request.items, request.signed)
        log.warning("stream: %s %s refused (%s): %s", request.channels, request.items, status, hint)
        self._emit(emit, Refused(status or "", request.channels, request.items, hint))
        self._refusals[request.channels] = f"{'/'.join(request.channels)} refused ({status}): {hint}"
        self._detail = self._live_detail()
        if request.signed and request.purpose in ("public", "book", "resnapshot"):
            # The public data still flows without authentication, coalesced (about 1 Hz).
            self._public_signed = False
            fallback = _Request("subscribe", False, request.channels, request.items, request.purpose)
            await self._send(ws, fallback)
        elif not self._subscribed_ok and not any(r.kind == "subscribe" for r in self._pending):
            self._set_state("refused", f"{status}: {hint}")

    def _accepts(self, request: _Request, status: str | None, current: frozenset[tuple[str, str]] | None) -> bool:
        """Does `status` (with the set sent back) accept `request`? A missing status is taken as
        accepted (data will tell). For a `*_NO_AUTH` request UNAUTHENTICATED is the normal answer, its
        success only when the set lists what was asked (an empty set: nothing is subscribed)."""
        if status in (None, SubscriptionStatus.AUTHENTICATED):
            return True
        if status == SubscriptionStatus.UNAUTHENTICATED and not request.signed:
            return request.kind == "unsubscribe" or current is None or _satisfied(request, current)
        return False

    def _answered(self, status: str | None, current: frozenset[tuple[str, str]] | None,
                  update: str | None) -> _Request | None:
        """The waiting request a confirmation answers, taken off the queue; None when none fits.
        Confirmations carry no request id: the set they send back says which request they answer
        (accepted: the first whose channels x items it lists; refused: the first it does not list);
        without a set, or when none fits, the oldest (an UPDATE that accepts nothing we asked is
        news about the set, not an answer)."""
        if not self._pending:
            return None
        found = None
        if current is not None:
            found = next((r for r in self._pending
                          if self._accepts(r, status, current) == _satisfied(r, current)), None)
        if found is None:
            if update == Update.UPDATE and status in (None, SubscriptionStatus.AUTHENTICATED):
                return None
            found = self._pending[0]
        self._pending.remove(found)
        return found

    # --- requests -----------------------------------------------------------------------------

    def _groups(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """The public subscriptions wanted: group -> (channels, symbols). With `book_symbols`, DEPTH
        and TRADE are asked only for those (the book on screen), the rest for every symbol."""
        if self._book_symbols is None:
            return {"public": (self._channels, self._symbols)}
        book = tuple(c for c in self._channels if c in _BOOK_CHANNELS)
        rest = tuple(c for c in self._channels if c not in _BOOK_CHANNELS)
        return {"public": (rest, self._symbols), "book": (book, self._book_symbols)}

    def _group_of(self, channel: str) -> str:
        return "book" if self._book_symbols is not None and channel in _BOOK_CHANNELS else "public"

    async def _subscribe_all(self, ws: Any) -> None:
        self._conn_items = {}
        self._conn_client_ids = self._client_ids if self.has_credentials else ()
        for group, (channels, items) in self._groups().items():
            self._conn_items[group] = items
            if channels and items:
                await self._send(ws, _Request("subscribe", self._public_signed, channels, items, group))
        if self._conn_client_ids:
            await self._send(ws, _Request("subscribe", True, (_DROPCOPY,), self._conn_client_ids, "dropcopy"))

    async def _sync_items(self, ws: Any) -> None:
        """Bring the connection's subscriptions to what `set_items` asked."""
        if ws is not self._ws:
            return
        client_ids = self._client_ids if self.has_credentials else ()
        gone_ids = tuple(c for c in self._conn_client_ids if c not in client_ids)
        new_ids = tuple(c for c in client_ids if c not in self._conn_client_ids)
        self._conn_client_ids = client_ids
        signed = self._public_signed
        for group, (channels, symbols) in self._groups().items():
            had = self._conn_items.get(group, ())
            gone = tuple(s for s in had if s not in symbols)
            new = tuple(s for s in symbols if s not in had)
            self._conn_items[group] = symbols
            if gone and channels:
                await self._send(ws, _Request("unsubscribe", signed, channels, gone, group))
            if new and channels:
                await self._send(ws, _Request("subscribe", signed, channels, new, group))
        if gone_ids:
            await self._send(ws, _Request("unsubscribe", True, (_DROPCOPY,), gone_ids, "dropcopy"))
        if new_ids:
            await self._send(ws, _Request("subscribe", True, (_DROPCOPY,), new_ids, "dropcopy"))

    async def _send(self, ws: Any, request: _Request) -> None:
        body = self._build(request)
        async with self._send_lock:
            self._pending.append(request)
            while len(self._pending) > MAX_PENDING:
                self._pending.popleft()
            log.info("stream: sending %r", body)  # StreamRequest's repr hides the signature
            await ws.send(json.dumps(body.to_wire(), separators=(",", ":")))

    def _build(self, request: _Request) -> StreamRequest:
        timestamp = self._timestamp()  # fresh for every request: the server allows about 15 s
        if request.kind == "subscribe":
            kind = RequestType.SUBSCRIBE if request.signed else RequestType.SUBSCRIBE_NO_AUTH
        else:
            kind = RequestType.UNSUBSCRIBE if request.signed else RequestType.UNSUBSCRIBE_NO_AUTH
        signed: dict[str, Any] = {}
        if request.signed:
            assert self._secret is not None and self._key is not None
            signature = stream_signature(self._secret.get_secret_value(), timestamp, self._key, self._path)
            self._signatures.append(signature)
            signed = {"organization_id": self._organization_id, "key": self._key, "signature": signature}
        return StreamRequest(type=kind, item_names=list(request.items), channels=list(request.channels),
                             timestamp=timestamp, **signed)

    def _timestamp(self) -> str:
        now_ns = getattr(self._clock, "now_ns", None)  # a clock with only `time()` (epoch s) also does
        epoch = now_ns() / 1_000_000_000 if now_ns is not None else self._clock.time()  # type: ignore[attr-defined]
        now = epoch + self._server_offset()
        return str(int(now) - FUTURE_MARGIN)

    # --- bookkeeping --------------------------------------------------------------------------

    def _begin_connection(self) -> None:
        self._pending.clear()
        self._sequencer = _Sequencer()
        self._public_signed = self.has_credentials
        self._authenticated = False
        self._subscribed_ok = 0
        self._resnapshot.clear()
        self._refusals.clear()
        self._last_confirmation = None
        self._retry.clear()

    def _end_connection(self) -> None:
        self._ws = None
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self._pending.clear()
        self._authenticated = False

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # A send on a closing connection: the reader sees the close and reconnects.
            log.info("stream: a subscription change was not sent: %s", self._scrub(str(task.exception())))

    def _item_of(self, message: StreamMessage) -> str | None:
        if isinstance(message, InstrumentMessage):
            return message.data.info.symbol or message.data.id if message.data else None
        if isinstance(message, (EbboMessage, DepthMessage)):
            data = message.data
            if data is None:
                return None
            return data.symbol or self.symbol_of(data.id) or data.id
        if isinstance(message, TradeMessage):
            symbol = message.data.symbol if message.data else None
            return symbol or self.symbol_of(message.instrument_id) or message.instrument_id
        if isinstance(message, DropCopyMessage) and isinstance(message.data, dict):
            data = message.data
            order = data.get("order") if isinstance(data.get("order"), dict) else data
            info = order.get("order_info")
            found = data.get("client_id") or (info.get("client_id") if isinstance(info, dict) else None)
            return None if found is None else str(found)
        return None

    def _live_detail(self) -> str:
        text = "authenticated" if self._authenticated else "without authentication (about 1 Hz)"
        return "; ".join((text, *self._refusals.values()))

    def _heard(self) -> None:
        self._last_message = self._clock.monotonic()

    def _set_state(self, state: State, detail: str) -> None:
        if state != self._state:
            self._since = self._clock.monotonic()
        self._state = state
        self._detail = self._scrub(detail)

    def _delay(self, failures: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** max(0, failures - 1))
        return self._jitter(ceiling / 2, ceiling)  # never all clients at once, never a tight loop

    def _emit(self, emit: Callable[[StreamEvent], None], event: StreamEvent) -> None:
        try:
            emit(event)
        except Exception:  # noqa: BLE001 - the app's handler must not stop the stream
            log.exception("stream: the event handler failed on %s", type(event).__name__)

    def _describe(self, error: BaseException) -> str:
        from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

        if isinstance(error, ConnectionClosed):
            text = f"connection closed: {error}"
        elif isinstance(error, InvalidStatus):
            text = f"the server refused the WebSocket handshake: HTTP {error.response.status_code}"
        elif isinstance(error, InvalidURI):
            text = f"invalid stream URL: {error}"
        elif isinstance(error, TimeoutError):
            text = "timed out opening the connection"
        elif isinstance(error, OSError):
            text = f"cannot connect: {error.strerror or error}"
        else:
            text = f"{type(error).__name__}: {error}"
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        secret = self._secret.get_secret_value() if self._secret else None
        for value in (secret, *self._signatures):
            if value and value in text:
                text = text.replace(value, "***")
        return text


_RETRY_REASON = "connecting again to retry the refused subscriptions"


async def _close_quietly(ws: Any) -> None:
    try:
        await ws.close()
    except Exception:  # noqa: BLE001 - closing anyway
        log.debug("stream: close failed", exc_info=True)


def _satisfied(request: _Request, current: frozenset[tuple[str, str]]) -> bool:
    """Is what `request` asked done in the set `current`: all its pairs listed (subscribe), or none
    (unsubscribe)?"""
    pairs = {(channel, item) for channel in request.channels for item in request.items}
    return pairs <= current if request.kind == "subscribe" else not pairs & current


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(value) for value in values if str(value)))
