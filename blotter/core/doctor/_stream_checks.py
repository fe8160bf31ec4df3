"""The WebSocket stream checks, after the REST ones: the WELCOME, a no-auth public subscription and
a signed DROPCOPY one.

Each opens its own short-lived connection to the stream URL the dashboard would use (`ws_url`, else
the REST base URL's host over ws(s) at /api/v1) and closes it as soon as it has its answer. The
subscriptions are sent by the dashboard's own `StreamSession`, so what is checked is what the
dashboard sends, signed by the one signer there is; the WELCOME check connects with `websockets`
itself, to tell a refused handshake (and its HTTP status) from a server that never says WELCOME.

Nothing here prints a secret or a signature: the session keeps both out of its events and
scrubs them from its texts, and its own log records are held back while the doctor talks (the rows
say what they would). Subscribing changes nothing on the exchange. Headless: no Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from ...api import RateLimited, StreamSession, TrueXError, ws_url_from_base
from ...api._stream import (
    Connected,
    Data,
    Disconnected,
    Refused,
    StreamEvent,
    Subscribed,
    Unread,
)
from ...api.models import InstrumentStatus
from ...api.stream_models import Channel, EbboMessage, SubscriptionStatus, Welcome, parse_message
from ...api.stream_models import Unreadable as UnreadableFrame
from ._checks import CheckFunction, tls_failure
from ._probe import Probe, Skipped
from ._verdicts import SIGNING_PAST_SECONDS, Outcome, Result, describe_offset

__all__ = ["STREAM_CHECKS", "check_stream_no_auth", "check_stream_signed", "check_stream_welcome"]

STREAM_WAIT = 3.0  # seconds for each step: open + WELCOME, then the confirmation, then the first data
CLOSE_WAIT = 1.0  # for the closing handshake
MAX_FRAME = 2**23  # as the dashboard's session: a whole-book snapshot may be large
NO_ORGANIZATION = "set TRUEX_ORGANIZATION_ID to stream orders (DROPCOPY) and real-time data"
EBBO = str(Channel.EBBO)
DROPCOPY = str(Channel.DROPCOPY)
_STREAM_LOGGERS = ("blotter.api._stream", "blotter.api._stream.transport")


# --- what every stream check needs --------------------------------------------------------------


def _wait(probe: Probe) -> float:
    """Each step's time: STREAM_WAIT, less when --timeout is short (a check takes up to three steps)."""
    return min(STREAM_WAIT, probe.timeout / 4)


def _require_stream(probe: Probe) -> str:
    """The stream URL, unless the stream is switched off."""
    if probe.settings.stream == "off":
        raise Skipped("the stream is off (stream = off, TRUEX_STREAM): the dashboard polls over REST only")
    if probe.stream_url is None:
        probe.stream_url = probe.settings.ws_url or ws_url_from_base(probe.base_url)
    return probe.stream_url


def _require_stream_open(probe: Probe) -> None:
    if probe.stream_open is False:
        raise Skipped("the stream could not be opened (see Stream welcome)")


def _where(probe: Probe) -> str:
    """Which URL, and from which setting."""
    assert probe.stream_url is not None
    said = "TRUEX_WS_URL" if probe.settings.ws_url else "from base_url; TRUEX_WS_URL not set"
    proxy = _proxy_host(probe.stream_url)
    via = f" through the proxy {proxy}" if proxy else ""
    return f"{probe.stream_url} ({said}){via}"


def _proxy_host(url: str) -> str | None:
    """host:port of the proxy websockets would go through (the environment's), never its user:password."""
    try:
        from websockets.proxy import get_proxy
        from websockets.uri import parse_uri

        proxy = get_proxy(parse_uri(url))
    except Exception:  # noqa: BLE001 - a detail for the report; a bad URL is reported by the connect
        return None
    if not proxy:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(proxy)
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


def _url_action(probe: Probe) -> str:
    now = f"now {probe.settings.ws_url}" if probe.settings.ws_url else f"not set, so {probe.stream_url}"
    return (f"Check the stream URL, TRUEX_WS_URL (ws_url, {now}): TrueX documents the path /api/v1 "
            "(wss://prod.truex.co/api/v1, wss://uat.truex.co/api/v1); the 1.0.0 docs used /wssproduction and "
            "/wssuat, and inside the VPN the stream may be on another port. A proxy that does not pass "
            "WebSockets refuses them the same way: check HTTPS_PROXY and NO_PROXY. Meanwhile the dashboard "
            "polls over REST (stream = off, TRUEX_STREAM, stops it trying).")


@contextlib.contextmanager
def _quiet_stream_log() -> Iterator[None]:
    """The session's warnings (a refusal, no WELCOME...) become the doctor's rows, not stderr noise."""
    loggers = [logging.getLogger(name) for name in _STREAM_LOGGERS]

    def hold(record: logging.LogRecord) -> bool:
        return False

    for logger in loggers:
        logger.addFilter(hold)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(hold)


class _Listening:
    """A `StreamSession` run in the background for one check; its events one at a time; stopped on exit."""

    def __init__(self, session: StreamSession) -> None:
        self.session = session
        self.events: asyncio.Queue[StreamEvent] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._quiet = _quiet_stream_log()

    async def __aenter__(self) -> _Listening:
        self._quiet.__enter__()
        self._task = asyncio.create_task(self.session.run(self.events.put_nowait))
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            assert self._task is not None
            self._task.cancel()
            await asyncio.wait({self._task})  # closes its connection (a normal close)
            if not self._task.cancelled():
                self._task.exception()  # retrieved: a crash of the run is in what the events said
        finally:
            self._quiet.__exit__(None, None, None)

    async def next(self, deadline: float) -> StreamEvent | None:
        """The next event, or None once `deadline` (the loop's time) has passed."""
        if not self.events.empty():
            return self.events.get_nowait()
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return None
        try:
            return await asyncio.wait_for(self.events.get(), left)
        except TimeoutError:
            return None


def _session(probe: Probe, url: str, **items: Any) -> StreamSession:
    wait = _wait(probe)
    return StreamSession(
        url,
        welcome_timeout=wait,
        silence_timeout=4 * wait,  # no silence probing within a check
        ping_interval=None,
        close_timeout=CLOSE_WAIT,
        backoff_base=60.0,  # never reconnects within a check: the first connection's story is the answer
        backoff_cap=60.0,
        connect_options={"open_timeout": wait},
        server_offset=lambda: probe.clock.offset,  # signs with the exchange's time, as the dashboard does
        **items,
    )


def _status(status: Any) -> str:
    return "no status" if status in (None, "") else str(status)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.001 else "under 1 ms"


# --- 13. WELCOME --------------------------------------------------------------------------------


async def check_stream_welcome(probe: Probe) -> Outcome:
    try:
        url = _require_stream(probe)
    except ValueError as error:  # a base URL no stream URL can be made of
        probe.stream_open = False
        return Outcome(Result.FAIL, f"No stream URL: {error}.", "Set TRUEX_WS_URL (ws_url), e.g. "
                       "wss://prod.truex.co/api/v1.", {"url": None})
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

    from ...api._stream import _TRANSPORT_LOG  # websockets' frame log off, as for the dashboard's session

    wait = _wait(probe)
    where = _where(probe)
    facts: dict[str, Any] = {"url": url, "proxy": _proxy_host(url)}
    loop = asyncio.get_running_loop()
    started = loop.time()
    stage = "open"
    first: str | bytes | None = None
    try:
        async with asyncio.timeout(2 * wait):
            async with connect(url, open_timeout=wait, ping_interval=None, close_timeout=CLOSE_WAIT,
                               max_size=MAX_FRAME, logger=_TRANSPORT_LOG) as ws:
                probe.stream_open = True
                stage = "welcome"
                opened = loop.time()
                async with asyncio.timeout(wait):
                    first = await ws.recv()
                took = loop.time() - opened
    except InvalidStatus as error:
        probe.stream_open = False
        code = error.response.status_code
        facts["http_status"] = code
        return Outcome(Result.FAIL, f"{where}: the server refused the WebSocket handshake with HTTP {code}"
                       f"{_refusal_meaning(code, error.response.headers.get('Location'))}.", _url_action(probe), facts)
    except TimeoutError:
        if stage == "open":
            probe.stream_open = False
            return Outcome(Result.FAIL, f"{where}: the WebSocket connection did not open within {wait:g} s.",
                           _url_action(probe), facts)
        return Outcome(Result.FAIL, f"{where}: the WebSocket opened, but no WELCOME came within {wait:g} s: "
                       "something other than the TrueX stream may be answering there.", _url_action(probe), facts)
    except ConnectionClosed as error:
        if stage == "open":
            probe.stream_open = False
        return Outcome(Result.FAIL, f"{where}: the connection was closed before any WELCOME ({error}).",
                       _url_action(probe), facts)
    except InvalidURI as error:
        probe.stream_open = False
        return Outcome(Result.FAIL, f"The stream URL {url} is not a WebSocket URL: {error}.",
                       "Set TRUEX_WS_URL (ws_url) to e.g. wss://prod.truex.co/api/v1.", facts)
    except Exception as error:  # noqa: BLE001 - cannot connect, TLS, a proxy...: each is this check's row
        probe.stream_open = False
        return Outcome(Result.FAIL, f"{where}: {_connect_reason(error)}.", _connect_action(probe, error), facts)
    message = parse_message(first) if first is not None else UnreadableFrame("", "nothing")
    facts["seconds"] = round(loop.time() - started, 3)
    if not isinstance(message, Welcome):
        kind = f"channel {message.channel}, update {message.update}"
        facts["first"] = kind
        return Outcome(Result.WARN, f"{where}: the WebSocket opened, but its first message was not a WELCOME "
                       f"({kind}). The dashboard subscribes anyway.",
                       "Nothing to change, unless the subscriptions below fail too.", facts)
    facts.update(version=message.version, connections=message.connections, datetime=message.datetime)
    version = f"version {message.version}" if message.version else "no version"
    if message.connections is None:
        connections = "no connection count"
    else:
        connections = (f"{message.connections} connection{'s' if message.connections != 1 else ''} open from this "
                       "address, this one included")
    return Outcome(Result.OK, f"{where} answered with a WELCOME in {_ms(took)}: {version}, {connections}.",
                   "", facts)


def _refusal_meaning(code: int, location: str | None) -> str:
    if code == 404:
        return " (Not Found): no WebSocket is served at that path"
    if code == 403:
        return " (Forbidden): that gateway, or a proxy on the way, does not let a WebSocket through there"
    if code == 401:
        return " (Unauthorized): the TrueX stream authenticates in its messages, not at the handshake"
    if 300 <= code < 400:
        return f" (a redirect{' to ' + location if location else ''}): the stream is not at that address"
    if code == 426 or code == 400:
        return ": the server there does not take this WebSocket"
    if code >= 500:
        return ": the gateway failed"
    return ""


def _connect_reason(error: BaseException) -> str:
    failed = tls_failure(error)
    if failed is not None:
        return f"the TLS handshake failed ({str(failed).strip()})"
    if isinstance(error, OSError) and not isinstance(error, TimeoutError):
        said = error.strerror or str(error)
        return f"cannot connect ({type(error).__name__}: {said})"
    text = str(error).strip()
    return f"cannot open the stream ({type(error).__name__}{': ' + text if text else ''})"


def _connect_action(probe: Probe, error: BaseException) -> str:
    if tls_failure(error) is not None:
        return ("Check the host name in TRUEX_WS_URL and this machine's date. If your network inspects TLS, set "
                "SSL_CERT_FILE to a CA bundle that includes your firm's CA.")
    return _url_action(probe) + " TrueX hosts need the exchange's VPN or PrivateLink."


# --- 14. a no-auth subscription -----------------------------------------------------------------


async def _symbol(probe: Probe) -> str:
    """A symbol to subscribe to, from the instruments the REST checks read (no new request when they did)."""
    if probe.reachable is False:
        raise Skipped("no symbol to subscribe to: the REST API was not reachable")
    try:
        instruments = (await probe.instruments()).items
    except RateLimited:
        raise
    except TrueXError as error:
        raise Skipped(f"no symbol to subscribe to: the instruments could not be read ({error})") from None
    named = [i for i in instruments if i.info.symbol]
    if not named:
        raise Skipped("no instrument with a symbol is listed: nothing to subscribe to")
    active = [i for i in named if i.status == InstrumentStatus.ACTIVE]
    return (active or named)[0].info.symbol or ""


async def check_stream_no_auth(probe: Probe) -> Outcome:
    url = _require_stream(probe)
    _require_stream_open(probe)
    symbol = await _symbol(probe)
    wait = _wait(probe)
    where = _where(probe)
    asked = f"SUBSCRIBE_NO_AUTH for {symbol} (INSTRUMENT, EBBO, DEPTH, TRADE, as the dashboard asks)"
    facts: dict[str, Any] = {"url": url, "symbol": symbol, "status": None, "ebbo": None}
    loop = asyncio.get_running_loop()
    ebbo: EbboMessage | None = None
    unread: list[str] = []
    async with _Listening(_session(probe, url, symbols=[symbol])) as listening:
        deadline = loop.time() + 2 * wait
        confirmed: Subscribed | None = None
        connected = False
        while confirmed is None:
            event = await listening.next(deadline)
            if event is None:
                said = "no confirmation" if connected else "no WELCOME and no confirmation"
                return Outcome(Result.FAIL, f"{asked} on {where}: {said} within {wait:g} s.",
                               "The dashboard polls quotes over REST meanwhile. If Stream welcome is OK, ask TrueX "
                               "whether SUBSCRIBE_NO_AUTH is served at that address.", facts)
            if isinstance(event, Connected):
                connected = True
            elif isinstance(event, Disconnected):
                return Outcome(Result.FAIL, f"{asked} on {where}: the connection ended before the confirmation "
                               f"({event.reason}).", _url_action(probe), facts)
            elif isinstance(event, Refused):
                facts["status"] = event.status
                return Outcome(Result.FAIL, f"{asked} was answered {_status(event.status)}: {event.hint}.",
                               f"Check that {symbol} trades on this exchange; the dashboard polls quotes over REST "
                               "meanwhile. If it persists, send this output to the blotter's maintainers.", facts)
            elif isinstance(event, Subscribed):
                confirmed = event
            elif isinstance(event, Data) and isinstance(event.message, EbboMessage):
                ebbo = event.message  # data before its confirmation: still data
            elif isinstance(event, Unread):
                unread.append(event.unreadable.reason)
        status = confirmed.confirmation.status
        facts["status"] = None if status is None else str(status)
        facts["subscriptions"] = {str(s.channel): s.item_names for s in confirmed.confirmation.subscriptions}
        listed = symbol in confirmed.confirmation.items(EBBO)
        data_deadline = loop.time() + wait
        heard_at = loop.time()
        closed: str | None = None
        while ebbo is None:
            event = await listening.next(data_deadline)
            if event is None:
                break
            if isinstance(event, Data) and isinstance(event.message, EbboMessage):
                ebbo = event.message
            elif isinstance(event, Unread):
                unread.append(event.unreadable.reason)
            elif isinstance(event, Disconnected):
                closed = event.reason
                break
        took = loop.time() - heard_at
    said = (f"{asked} was confirmed with status {_status(status)}"
            + (f", listing EBBO {symbol}" if listed else f", but the confirmation does not list EBBO {symbol}"))
    if status in (SubscriptionStatus.UNAUTHENTICATED, None):
        said += " (without authentication the exchange sends the data batched, about once a second)"
    if ebbo is None:
        why = f"the connection ended ({closed})" if closed else f"no EBBO message within {wait:g} s"
        bad = f"; {len(unread)} message(s) could not be read ({unread[0]})" if unread else ""
        return Outcome(Result.WARN, f"{said}; but {why}{bad}.",
                       "The dashboard polls quotes over REST meanwhile; if it persists, ask TrueX whether EBBO "
                       f"streams for {symbol}.", facts)
    facts["ebbo"] = str(ebbo.update)
    said += f"; an EBBO {ebbo.update} came {_ms(took)} after it."
    if not listed:
        return Outcome(Result.WARN, said, "Nothing to change: the dashboard reads the data that comes.", facts)
    return Outcome(Result.OK, said, "", facts)


# --- 15. a signed subscription ------------------------------------------------------------------


async def check_stream_signed(probe: Probe) -> Outcome:
    url = _require_stream(probe)
    settings = probe.settings
    if not settings.organization_id:
        return Outcome(Result.SKIP, f"Skipped: {NO_ORGANIZATION}. Without it the stream carries public data "
                       "only, batched about once a second, and orders are polled over REST.", "",
                       {"url": url, "organization_id": None})
    _require_stream_open(probe)
    client_id = settings.client_id or settings.user_id or probe.credentials.user_id
    wait = _wait(probe)
    asked = f"The signed SUBSCRIBE for DROPCOPY, client {client_id},"
    facts: dict[str, Any] = {"url": url, "client_id": client_id, "organization_id": settings.organization_id,
                             "status": None}
    session = _session(probe, url, client_ids=[client_id], organization_id=settings.organization_id,
                       key=probe.credentials.key_id, secret=probe.credentials.secret)
    loop = asyncio.get_running_loop()
    async with _Listening(session) as listening:
        deadline = loop.time() + 2 * wait
        while True:
            event = await listening.next(deadline)
            if event is None:
                return Outcome(Result.FAIL, f"{asked} on {_where(probe)}: no confirmation within {wait:g} s.",
                               _signed_action(probe, None, client_id), facts)
            if isinstance(event, Disconnected):
                return Outcome(Result.FAIL, f"{asked} on {_where(probe)}: the connection ended before the "
                               f"confirmation ({event.reason}).", _signed_action(probe, None, client_id), facts)
            if isinstance(event, Refused):
                facts["status"] = event.status
                return Outcome(Result.FAIL, f"{asked} was answered {_status(event.status)}, not AUTHENTICATED: "
                               "DROPCOPY is refused, so orders are polled over REST only, and the market data "
                               "comes batched.", _signed_action(probe, event.status, client_id), facts)
            if isinstance(event, Subscribed):
                confirmation = event.confirmation
                break
    status = confirmation.status
    facts["status"] = None if status is None else str(status)
    facts["subscriptions"] = {str(s.channel): s.item_names for s in confirmation.subscriptions}
    if status != SubscriptionStatus.AUTHENTICATED:
        return Outcome(Result.FAIL, f"{asked} was answered with {_status(status)}, not AUTHENTICATED: the "
                       "exchange did not say it accepted the signature.",
                       _signed_action(probe, None if status is None else str(status), client_id), facts)
    said = f"{asked} was confirmed AUTHENTICATED"
    if client_id not in confirmation.items(DROPCOPY):
        return Outcome(Result.WARN, f"{said}, but the confirmation does not list DROPCOPY {client_id}: orders may "
                       "not stream.", "Nothing to change: the dashboard keeps polling orders over REST as well.",
                       facts)
    return Outcome(Result.OK, f"{said}: orders stream as they change, and the market data in real time.", "", facts)


def _signed_action(probe: Probe, status: str | None, client_id: str) -> str:
    settings = probe.settings
    if probe.clock.synced:
        said = describe_offset(probe.clock.offset)
        clock = f"{said[0].lower()}{said[1:]} (the blotter signs with the server's time)"
    else:
        clock = "its offset could not be measured"
    lead = {
        SubscriptionStatus.UNAUTHORIZED: f"The key may not see client {client_id}. Check:",
        SubscriptionStatus.INVALID: "The exchange found the request malformed. Check:",
        SubscriptionStatus.ERROR: "The exchange reported an error on its side; run blotter doctor again later. "
                                  "If it persists, check:",
    }.get(status or "", "The exchange did not accept the signature or its timestamp. Check:")
    lines = [
        lead,
        f"  - TRUEX_ORGANIZATION_ID (organization_id, now {settings.organization_id}): your organization's UUID",
        f"  - TRUEX_API_KEY (api_key, now {probe.credentials.key_id}): the UUID of your HMAC key",
        "  - TRUEX_API_SECRET (or secret_command): the secret of that same key, whole",
        f"  - client_id (TRUEX_CLIENT_ID) / user_id (TRUEX_USER_ID), now {client_id}: a client this key may see",
        f"  - this machine's clock: the timestamp must not be in the future and at most {SIGNING_PAST_SECONDS:g} s "
        f"old; {clock}",
        f"  - the stream URL's path, which is signed too (now {_path(probe.stream_url)})",
    ]
    return "\n".join(lines)


def _path(url: str | None) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).path if url else "") or "empty"


STREAM_CHECKS: tuple[tuple[str, str, CheckFunction], ...] = (
    ("stream_welcome", "Stream welcome", check_stream_welcome),
    ("stream_no_auth", "Stream no-auth", check_stream_no_auth),
    ("stream_signed", "Stream signed", check_stream_signed),
)
