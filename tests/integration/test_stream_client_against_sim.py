"""The real `StreamSession` against the real simulator (`SimServer`) over loopback: every channel,
every `ws_*` fault switch, the secret's hygiene and the exchange clock.

No fakes: the sim's uvicorn serves the WebSocket in its own thread, the session runs in the test's
loop, the engine is driven by `exchange.step()` / `create_order` / `cancel_order` (no auto tick).
Each test collects the session's events with their arrival times and polls for what it needs with a
deadline; the session's task is always cancelled at the end (the session must then be "off").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest

from blotter.api import (
    Connected,
    Data,
    Disconnected,
    Gap,
    Refused,
    SnapshotDone,
    Stale,
    StreamSession,
    Subscribed,
    Unread,
    stream_signature,
)
from blotter.api.dropcopy import read_dropcopy
from blotter.api.models import OrderInfo
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

CREDS = DEMO_CREDENTIALS
SYMBOL = "BTC-PYUSD"
PUBLIC = ("INSTRUMENT", "EBBO", "DEPTH", "TRADE")
STATE = ("INSTRUMENT", "EBBO", "DEPTH")  # the channels with a SNAPSHOT of their own
WRONG_SECRET = "wrong-secret-9f8e7d6c5b4a-never-accepted"
BACKOFF_BASE, BACKOFF_CAP = 0.05, 0.2


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def server():
    """A fresh, still exchange per test: 4 resting orders of our client, no ticking."""
    with SimServer(Exchange(seed=23, seed_orders=4), auto_tick=False) as server:
        yield server
        server.faults.clear()


def make_session(server: SimServer, *, organization_id: str | None = CREDS.organization_id,
                 secret: str = CREDS.secret, symbols: Iterable[str] = (SYMBOL,),
                 client_ids: Iterable[str] = (CREDS.user_id,), **options: Any) -> StreamSession:
    settings: dict[str, Any] = {
        "backoff_base": BACKOFF_BASE, "backoff_cap": BACKOFF_CAP, "silence_timeout": 1.0, "welcome_timeout": 2.0,
        "close_timeout": 0.5,
    }
    settings.update(options)
    return StreamSession(server.ws_url, symbols=symbols, client_ids=client_ids, organization_id=organization_id,
                         key=CREDS.key, secret=secret, **settings)


def describe(event: Any) -> str:
    if isinstance(event, Data):
        message = event.message
        return f"Data({message.channel} {message.update} #{message.seqnum})"
    return repr(event)[:160]


class Recorder:
    """The events of one running session, with when each arrived (monotonic seconds)."""

    def __init__(self, session: StreamSession, hook: Callable[[Any], None] | None = None) -> None:
        self.session = session
        self.events: list[Any] = []
        self.times: list[float] = []
        self.hook = hook

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        self.times.append(time.monotonic())
        if self.hook is not None:
            self.hook(event)

    @property
    def mark(self) -> int:
        return len(self.events)

    def of(self, kind: type, since: int = 0, where: Callable[[Any], bool] = lambda e: True) -> list[Any]:
        return [e for e in self.events[since:] if isinstance(e, kind) and where(e)]

    def index_of(self, kind: type, since: int = 0, where: Callable[[Any], bool] = lambda e: True) -> int:
        """The index of the first matching event at or after `since`, or -1."""
        for index in range(since, len(self.events)):
            if isinstance(self.events[index], kind) and where(self.events[index]):
                return index
        return -1

    async def wait(self, kind: type, where: Callable[[Any], bool] = lambda e: True, *, since: int = 0,
                   count: int = 1, timeout: float = 5.0, what: str = "") -> list[Any]:
        """Wait until `count` events match; returns them. Fails with the events seen so far."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.of(kind, since, where)
            if len(found) >= count:
                return found
            if self.task.done():
                self.task.result()  # the session's run must never end by itself: raise what ended it
                raise AssertionError("the session's run ended by itself")
            if time.monotonic() > deadline:
                seen = "\n  ".join(describe(e) for e in self.events[-40:])
                raise AssertionError(f"waited {timeout} s for {count} x {what or kind.__name__} "
                                     f"(found {len(found)}); last events:\n  {seen}")
            await asyncio.sleep(0.01)

    async def wait_data(self, channel: str, update: str | None = None, *, since: int = 0, count: int = 1,
                        item: str | None = None, timeout: float = 5.0) -> list[Data]:
        return await self.wait(Data, lambda e: is_data(e, channel, update, item), since=since, count=count,
                               timeout=timeout, what=f"Data({channel} {update or ''} {item or ''})")


def is_data(event: Any, channel: str, update: str | None = None, item: str | None = None) -> bool:
    if not isinstance(event, Data) or event.message.channel != channel:
        return False
    if update is not None and event.message.update != update:
        return False
    if item is not None:
        data = event.message.data
        return getattr(data, "symbol", None) == item
    return True


def done_for(channel: str, item: str | None = SYMBOL) -> Callable[[Any], bool]:
    return lambda e: e.channel == channel and e.item == item


@contextlib.asynccontextmanager
async def running(session: StreamSession, hook: Callable[[Any], None] | None = None) -> AsyncIterator[Recorder]:
    recorder = Recorder(session, hook)
    recorder.task = asyncio.create_task(session.run(recorder))
    try:
        yield recorder
    finally:
        recorder.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await recorder.task
        assert session.status.state == "off"


def instrument_id(server: SimServer, symbol: str = SYMBOL) -> str:
    return next(i for i, m in server.exchange.markets.items() if m.spec.symbol == symbol)


def resting_info(server: SimServer, qty_increments: int = 3) -> OrderInfo:
    """A BUY well below the bid: it rests after the next step."""
    market = server.exchange.markets[instrument_id(server)]
    price = market.bid - 40 * market.tick
    return OrderInfo(client_id=CREDS.user_id, instrument_id=market.instrument.id, side="BUY", type="LIMIT",
                     qty=market.spec.qty_increment * qty_increments, price=price, tif="GTC")


def crossing_info(server: SimServer) -> OrderInfo:
    """A BUY well above the ask for one lot: filled whole at the ask when the next step confirms it."""
    market = server.exchange.markets[instrument_id(server)]
    price = market.ask + 40 * market.tick
    return OrderInfo(client_id=CREDS.user_id, instrument_id=market.instrument.id, side="BUY", type="LIMIT",
                     qty=market.spec.qty_increment, price=price, tif="GTC")


def reports(recorder: Recorder, since: int = 0, update: str | None = None) -> list:
    """Every DROPCOPY report read from the session's Data events, in order."""
    found = []
    for event in recorder.of(Data, since, lambda e: is_data(e, "DROPCOPY", update)):
        found.extend(read_dropcopy(event.message))
    return found


async def wait_report(recorder: Recorder, predicate: Callable[[Any], bool], *, since: int = 0,
                      timeout: float = 5.0, what: str = "a DROPCOPY report"):
    deadline = time.monotonic() + timeout
    while True:
        for report in reports(recorder, since):
            if predicate(report):
                return report
        if time.monotonic() > deadline:
            seen = "\n  ".join(f"{r.msg_type} {r.order.status if r.order else None} {r.raw[:120]}"
                               for r in reports(recorder, since))
            raise AssertionError(f"no {what} within {timeout} s; reports seen:\n  {seen}")
        await asyncio.sleep(0.01)


async def step_until(server: SimServer, recorder: Recorder, predicate: Callable[[], bool], *,
                     every: float = 0.05, timeout: float = 5.0, what: str = "condition") -> int:
    """Step the exchange until `predicate()`; returns the number of steps."""
    deadline = time.monotonic() + timeout
    steps = 0
    while not predicate():
        if time.monotonic() > deadline:
            seen = "\n  ".join(describe(e) for e in recorder.events[-40:])
            raise AssertionError(f"{what}: not met after {steps} steps; last events:\n  {seen}")
        server.exchange.step()
        steps += 1
        await asyncio.sleep(every)
    return steps


async def subscribed_and_snapshotted(recorder: Recorder, *, authenticated: bool, dropcopy: bool) -> None:
    """The usual start: Connected, Subscribed (x2 with DROPCOPY), each state channel's snapshot done."""
    await recorder.wait(Connected, what="Connected")
    await recorder.wait(Subscribed, lambda e: e.authenticated is authenticated, count=2 if dropcopy else 1)
    for channel in PUBLIC:
        await recorder.wait(SnapshotDone, done_for(channel), what=f"SnapshotDone({channel})")
    if dropcopy:
        await recorder.wait(SnapshotDone, done_for("DROPCOPY", CREDS.user_id), what="SnapshotDone(DROPCOPY)")


# --- 1. the signed session: every channel -------------------------------------------------------


async def test_signed_session_delivers_every_channel_with_decimals(server):
    exchange = server.exchange
    open_before = {o.id: o for o in exchange.active_orders([CREDS.user_id])}
    assert len(open_before) == 4
    session = make_session(server)
    async with running(session) as rec:
        await subscribed_and_snapshotted(rec, authenticated=True, dropcopy=True)
        connected = rec.of(Connected)
        assert len(connected) == 1 and connected[0].reconnect is False
        assert connected[0].welcome.version == "1.0.5"
        confirmations = [e.confirmation for e in rec.of(Subscribed)]
        assert confirmations[0].items("EBBO") == {SYMBOL} and confirmations[-1].items("DROPCOPY") == {CREDS.user_id}
        assert session.status.state == "live" and session.status.authenticated
        assert not rec.of(Refused) and not rec.of(Gap) and not rec.of(Unread)

        # INSTRUMENT, EBBO, DEPTH: a SNAPSHOT, then that item's SnapshotDone.
        for channel in STATE:
            snapshot = rec.index_of(Data, where=lambda e, c=channel: is_data(e, c, "SNAPSHOT"))
            done = rec.index_of(SnapshotDone, where=done_for(channel))
            assert 0 <= snapshot < done, channel
        instrument = rec.of(Data, where=lambda e: is_data(e, "INSTRUMENT", "SNAPSHOT"))[0].message.data
        assert instrument.info.symbol == SYMBOL and instrument.id == instrument_id(server)
        ebbo = rec.of(Data, where=lambda e: is_data(e, "EBBO", "SNAPSHOT"))[0].message.data
        assert ebbo.id == instrument_id(server) and session.symbol_of(ebbo.id) == SYMBOL
        bid, ask = ebbo.info.best_bid, ebbo.info.best_ask
        assert isinstance(bid.price, Decimal) and isinstance(ask.qty, Decimal) and bid.price < ask.price
        book = rec.of(Data, where=lambda e: is_data(e, "DEPTH", "SNAPSHOT"))[0].message.data
        assert book.symbol == SYMBOL and len(book.bids) >= 10 and len(book.asks) >= 10
        assert all(isinstance(level.price, Decimal) and isinstance(level.qty, Decimal) for level in book.bids)
        bid_prices = [level.price for level in book.bids]
        assert bid_prices == sorted(bid_prices, reverse=True) and bid_prices[0] < book.asks[0].price
        assert not rec.of(Data, where=lambda e: is_data(e, "TRADE"))  # no TRADE snapshot, only its marker

        # DROPCOPY: one SNAPSHOT per open order of the client, each read into that order.
        snapshot_orders = {r.order.id: r.order for r in reports(rec, update="SNAPSHOT")}
        assert snapshot_orders.keys() == open_before.keys()
        for order_id, order in snapshot_orders.items():
            assert order.external_id == open_before[order_id].external_id
            assert str(order.status) == "ACTIVE" and order.order_info.client_id == CREDS.user_id
            assert isinstance(order.order_info.qty, Decimal)
            assert order.order_info.qty == open_before[order_id].order_info.qty

        # TRADE: the market's prints, as the engine makes them (real time on a signed connection).
        mark = rec.mark
        await step_until(server, rec, lambda: bool(rec.of(Data, mark, lambda e: is_data(e, "TRADE", "UPDATE"))),
                         what="a TRADE print")
        trade = rec.of(Data, mark, lambda e: is_data(e, "TRADE", "UPDATE"))[0].message
        assert trade.instrument_id == instrument_id(server)
        assert isinstance(trade.data.trade_price, Decimal) and trade.data.trade_qty > 0
        assert rec.of(Data, mark, lambda e: is_data(e, "EBBO", "UPDATE"))  # the step moved the top of book too

        # DROPCOPY UPDATEs: a new order, its confirmation, its cancel.
        mark = rec.mark
        created = exchange.create_order("stream-it-rest-1", resting_info(server))
        new = await wait_report(rec, lambda r: r.order is not None and r.order.id == created.id, since=mark)
        assert new.order.external_id == "stream-it-rest-1" and new.msg_type == "REQUEST_NEW"
        assert str(new.order.status) == "NEW_PENDING" and new.order.order_info.qty == created.order_info.qty
        assert isinstance(new.order.order_info.price, Decimal)
        assert new.order.order_info.price == created.order_info.price
        exchange.step()
        active = await wait_report(rec, lambda r: r.order is not None and r.order.id == created.id
                                   and r.msg_type == "REPORT_CONFIRM", since=mark)
        assert str(active.order.status) == "ACTIVE" and active.order.leaves_qty == created.order_info.qty
        exchange.cancel_order(created.id)
        exchange.step()
        canceled = await wait_report(rec, lambda r: r.order is not None and r.order.id == created.id
                                     and str(r.order.status) == "CANCELED", since=mark)
        assert canceled.msg_type == "REPORT_CANCELED" and canceled.text == "canceled on request"
        assert canceled.order.external_id == "stream-it-rest-1"
        steps = [str(r.order.status) for r in reports(rec, mark) if r.order is not None and r.order.id == created.id]
        assert steps == ["NEW_PENDING", "ACTIVE", "CANCEL_PENDING", "CANCELED"]

        # A fill: the report carries the trade, and the TRADE channel printed the same match.
        mark = rec.mark
        taker = exchange.create_order("stream-it-take-1", crossing_info(server))
        exchange.step()
        filled = await wait_report(rec, lambda r: r.order is not None and r.order.id == taker.id
                                   and str(r.order.status) == "FILLED", since=mark)
        assert filled.msg_type == "REPORT_TRADE" and filled.trade is not None
        assert filled.trade.order_id == taker.id and filled.trade.external_id == "stream-it-take-1"
        assert isinstance(filled.trade.trade_qty, Decimal) and filled.trade.trade_qty == taker.order_info.qty
        assert filled.order.executed_qty == taker.order_info.qty and filled.order.leaves_qty == 0
        prints = await rec.wait(Data, lambda e: is_data(e, "TRADE", "UPDATE") and e.message.data.match_id
                                == filled.trade.match_id, since=mark, what="the fill's TRADE print")
        assert prints[0].message.data.trade_price == filled.trade.trade_price
        assert not rec.of(Gap) and not rec.of(Unread) and not rec.of(Disconnected)


# --- 2. no organization id: public only, batched ------------------------------------------------


async def test_without_organization_id_only_public_channels_arrive_batched(server):
    interval = 0.2
    server.faults.update({"ws_batch_seconds": interval})
    session = make_session(server, organization_id=None)
    assert not session.has_credentials
    async with running(session) as rec:
        await subscribed_and_snapshotted(rec, authenticated=False, dropcopy=False)
        subscribed = rec.of(Subscribed)
        assert len(subscribed) == 1 and subscribed[0].authenticated is False
        assert subscribed[0].confirmation.items("DROPCOPY") == set()
        assert {s.channel for s in subscribed[0].confirmation.subscriptions} == set(PUBLIC)
        assert not session.status.authenticated and "without authentication" in session.status.detail

        # The market changes every 40 ms; a batched connection hears of it once per interval.
        mark = rec.mark
        started = time.monotonic()
        steps = 0
        while time.monotonic() - started < 1.6:
            server.exchange.step()
            steps += 1
            await asyncio.sleep(0.04)
        await asyncio.sleep(interval + 0.1)  # the last batch
        ebbo_times = [t for e, t in zip(rec.events[mark:], rec.times[mark:])
                      if is_data(e, "EBBO", "UPDATE")]
        assert 4 <= len(ebbo_times) <= steps // 2, (len(ebbo_times), steps)  # coalesced, not one per step
        gaps = [b - a for a, b in zip(ebbo_times, ebbo_times[1:])]
        assert min(gaps) >= interval * 0.4, gaps  # never two batches for one item closer than ~half the interval
        assert rec.of(Data, mark, lambda e: is_data(e, "DEPTH", "UPDATE"))
        assert rec.of(Data, mark, lambda e: is_data(e, "TRADE", "UPDATE"))  # the interval's prints
        assert not rec.of(Data, where=lambda e: is_data(e, "DROPCOPY"))
        assert not rec.of(SnapshotDone, where=lambda e: e.channel == "DROPCOPY")
        assert not rec.of(Refused) and not rec.of(Gap) and not rec.of(Disconnected)


# --- 3. ws_drop ---------------------------------------------------------------------------------


async def test_dropped_connection_reconnects_and_subscribes_again(server):
    session = make_session(server)
    async with running(session) as rec:
        await subscribed_and_snapshotted(rec, authenticated=True, dropcopy=True)
        mark = rec.mark
        server.faults.update({"ws_drop": True})
        dropped = (await rec.wait(Disconnected, since=mark, what="Disconnected after ws_drop"))[0]
        assert dropped.reason.startswith("connection closed")
        assert BACKOFF_BASE / 2 <= dropped.retry_in <= BACKOFF_CAP
        await rec.wait(Disconnected, since=mark, count=2, what="a second drop (each new socket is cut)")
        server.faults.update({"ws_drop": False})
        cleared = rec.mark
        await rec.wait(Subscribed, lambda e: e.authenticated, since=cleared, count=2, timeout=5,
                       what="fresh Subscribed after clearing ws_drop")
        await rec.wait(SnapshotDone, done_for("DEPTH"), since=cleared)
        await rec.wait(SnapshotDone, done_for("DROPCOPY", CREDS.user_id), since=cleared)
        # Every connection after the first says it is a reconnection, and subscribes afresh.
        connected = rec.of(Connected)
        assert connected[0].reconnect is False and len(connected) >= 2
        assert all(e.reconnect for e in connected[1:])
        last_connect = max(i for i, e in enumerate(rec.events) if isinstance(e, Connected))
        assert rec.index_of(Subscribed, since=last_connect) > last_connect
        assert rec.of(Data, last_connect, lambda e: is_data(e, "DEPTH", "SNAPSHOT"))  # a fresh book
        assert len(reports(rec, last_connect, update="SNAPSHOT")) == 4  # and the open orders again
        assert all(d.retry_in <= BACKOFF_CAP for d in rec.of(Disconnected))
        assert session.status.state == "live" and session.status.authenticated
        assert session.status.reconnects == len(connected) - 1 >= 1


# --- 4. ws_skip_seqnum --------------------------------------------------------------------------


async def test_skipped_depth_seqnum_is_a_gap_then_a_fresh_snapshot(server):
    session = make_session(server, client_ids=())
    async with running(session) as rec:
        await subscribed_and_snapshotted(rec, authenticated=True, dropcopy=False)
        server.faults.update({"ws_skip_seqnum": 1})
        mark = rec.mark
        await step_until(server, rec, lambda: bool(rec.of(Gap, mark)), what="a Gap")
        gap = rec.of(Gap, mark)[0]
        assert gap.channel == "DEPTH" and gap.item == SYMBOL and gap.got == gap.expected + 1
        at = rec.index_of(Gap, mark)
        resnapshot = await rec.wait_data("DEPTH", "SNAPSHOT", item=SYMBOL, since=at + 1)
        assert resnapshot[0].message.seqnum > gap.got
        await rec.wait(SnapshotDone, done_for("DEPTH"), since=at + 1, what="SnapshotDone after the re-snapshot")
        assert server.faults.ws_skip_seqnum == 0
        # The book goes on from the new snapshot with no further gap.
        after = rec.mark
        await step_until(server, rec, lambda: bool(rec.of(Data, after, lambda e: is_data(e, "DEPTH", "UPDATE"))),
                         what="a DEPTH UPDATE after the re-snapshot")
        assert len(rec.of(Gap)) == 1 and not rec.of(Disconnected) and not rec.of(Refused)


# --- 5. ws_stall --------------------------------------------------------------------------------


async def test_stalled_stream_is_stale_then_flows_again(server):
    silence = 0.5
    session = make_session(server, client_ids=(), silence_timeout=silence)
    async with running(session) as rec:
        await subscribed_and_snapshotted(rec, authenticated=True, dropcopy=False)
        before = rec.mark  # a tick's messages end with its DEPTH UPDATE: then the socket is idle
        await step_until(server, rec, lambda: bool(rec.of(Data, before, lambda e: is_data(e, "DEPTH", "UPDATE"))),
                         what="a DEPTH UPDATE before the stall")
        server.faults.update({"ws_stall": True})
        mark = rec.mark
        stalled_at = time.monotonic()
        stepping = True

        async def keep_stepping() -> None:  # the market goes on; the stalled socket keeps it back
            while stepping:
                server.exchange.step()
                await asyncio.sleep(0.1)

        stepper = asyncio.create_task(keep_stepping())
        try:
            stale = (await rec.wait(Stale, since=mark, timeout=3, what="Stale during ws_stall"))[0]
            assert stale.silent_for >= silence * 0.9
            assert session.status.state == "stale"
            await asyncio.sleep(max(0.0, stalled_at + 4 * silence - time.monotonic()))  # past the ping probe
            assert not rec.of(Data, mark), [describe(e) for e in rec.events[mark:]]
            assert not rec.of(Disconnected)  # pings are still answered: the connection is kept
            server.faults.update({"ws_stall": False})
            cleared = rec.mark
            await rec.wait_data("EBBO", "UPDATE", since=cleared)
            await rec.wait_data("DEPTH", "UPDATE", since=cleared)
        finally:
            stepping = False
            await stepper
        assert session.status.state == "live"
        assert not rec.of(Gap) and not rec.of(Disconnected)  # nothing lost: the held frames went out in order


# --- 6. ws_refuse -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["UNAUTHENTICATED", "UNAUTHORIZED"])
async def test_refused_subscriptions_say_what_to_check_and_deliver_nothing(server, status):
    server.faults.update({"ws_refuse": status})
    session = make_session(server)
    async with running(session) as rec:
        await rec.wait(Refused, lambda e: e.channels == PUBLIC, what="Refused for the signed public subscribe")
        await rec.wait(Refused, lambda e: e.channels == ("DROPCOPY",), what="Refused for DROPCOPY")
        public = rec.of(Refused, where=lambda e: e.channels == PUBLIC)[0]
        dropcopy = rec.of(Refused, where=lambda e: e.channels == ("DROPCOPY",))[0]
        assert public.status == dropcopy.status == status
        assert public.items == (SYMBOL,) and dropcopy.items == (CREDS.user_id,)
        if status == "UNAUTHENTICATED":
            for hint in (public.hint, dropcopy.hint):
                assert "TRUEX_API_KEY" in hint and "TRUEX_API_SECRET" in hint and "clock" in hint
        else:
            assert public.hint == f"this key may not subscribe to {', '.join(PUBLIC)} for {SYMBOL}"
            assert "client ids" in dropcopy.hint and CREDS.user_id in dropcopy.hint
        await asyncio.sleep(0.5)
        # The fault refuses every subscribe, the NO_AUTH fallback too: nothing is subscribed, nothing flows.
        assert not rec.of(Data) and not rec.of(SnapshotDone)
        assert not session.status.authenticated and status in session.status.detail
        if status == "UNAUTHORIZED":  # the NO_AUTH fallback is refused as well: the session says so
            assert len(rec.of(Refused)) == 3 and session.status.state == "refused"
        # Once the exchange accepts again, `retry_refused` reconnects and the signed subscriptions work.
        server.faults.update({"ws_refuse": False})
        mark = rec.mark
        session.retry_refused()
        retry = (await rec.wait(Disconnected, since=mark, what="the retry's reconnect"))[0]
        assert retry.retry_in == 0 and "retry the refused subscriptions" in retry.reason
        await rec.wait(Subscribed, lambda e: e.authenticated, since=mark, count=2)
        await rec.wait(SnapshotDone, done_for("DROPCOPY", CREDS.user_id), since=mark)
        assert len(reports(rec, mark, update="SNAPSHOT")) == 4
        assert session.status.state == "live" and session.status.authenticated


@pytest.mark.parametrize("status", ["UNAUTHENTICATED", "UNAUTHORIZED"])
async def test_refused_signed_public_subscribe_falls_back_to_no_auth(server, status):
    """The exchange refuses the signed request only (the fault is lifted as the refusal is read, so the
    fallback that follows it is judged on its own): public data then flows without authentication."""
    server.faults.update({"ws_refuse": status, "ws_batch_seconds": 0.2})

    def lift(event: Any) -> None:
        if isinstance(event, Refused):
            server.faults.update({"ws_refuse": False})

    session = make_session(server, client_ids=())
    async with running(session, hook=lift) as rec:
        refused = (await rec.wait(Refused))[0]
        assert refused.status == status and refused.channels == PUBLIC and refused.hint
        fallback = (await rec.wait(Subscribed))[0]
        assert fallback.authenticated is False and fallback.confirmation.items("EBBO") == {SYMBOL}
        for channel in PUBLIC:
            await rec.wait(SnapshotDone, done_for(channel))
        for channel in STATE:
            assert rec.of(Data, where=lambda e, c=channel: is_data(e, c, "SNAPSHOT", None))
        mark = rec.mark
        await step_until(server, rec, lambda: bool(rec.of(Data, mark, lambda e: is_data(e, "EBBO", "UPDATE"))),
                         what="batched EBBO after the fallback")
        assert len(rec.of(Refused)) == 1 and not rec.of(Data, where=lambda e: is_data(e, "DROPCOPY"))
        assert session.status.state == "live" and not session.status.authenticated
        assert f"refused ({status})" in session.status.detail


async def test_dropcopy_for_a_client_id_not_ours_is_unauthorized(server):
    session = make_session(server, client_ids=("999999",))
    async with running(session) as rec:
        refused = (await rec.wait(Refused))[0]
        assert refused.status == "UNAUTHORIZED" and refused.channels == ("DROPCOPY",) and refused.items == ("999999",)
        assert "client ids" in refused.hint and "999999" in refused.hint
        subscribed = await rec.wait(Subscribed)
        assert subscribed[0].authenticated  # the public channels stay signed and real time
        await rec.wait(SnapshotDone, done_for("DEPTH"))
        await asyncio.sleep(0.2)
        assert not rec.of(Data, where=lambda e: is_data(e, "DROPCOPY"))
        assert session.status.authenticated and "DROPCOPY refused (UNAUTHORIZED)" in session.status.detail


# --- 7. ws_no_snapshot_complete -----------------------------------------------------------------


async def test_old_server_without_snapshot_complete_still_streams(server):
    server.faults.update({"ws_no_snapshot_complete": True})
    session = make_session(server, client_ids=())
    async with running(session) as rec:
        connected = (await rec.wait(Connected))[0]
        assert connected.welcome.version == "1.0.4"
        await rec.wait(Subscribed, lambda e: e.authenticated)
        snapshot = (await rec.wait_data("DEPTH", "SNAPSHOT", item=SYMBOL))[0]
        await rec.wait_data("EBBO", "SNAPSHOT")
        await rec.wait_data("INSTRUMENT", "SNAPSHOT")
        mark = rec.mark
        await step_until(server, rec, lambda: bool(rec.of(Data, mark, lambda e: is_data(e, "DEPTH", "UPDATE"))),
                         what="a DEPTH UPDATE")
        update = rec.of(Data, mark, lambda e: is_data(e, "DEPTH", "UPDATE"))[0]
        assert update.message.seqnum == snapshot.message.seqnum + 1
        assert rec.index_of(Data, where=lambda e: e is snapshot) < rec.index_of(Data, where=lambda e: e is update)
        assert not rec.of(SnapshotDone) and not rec.of(Gap) and not rec.of(Unread)
        assert session.status.state == "live"


# --- 8. ws_reject_upgrade -----------------------------------------------------------------------


async def test_refused_handshake_backs_off_then_connects(server):
    server.faults.update({"ws_reject_upgrade": True})
    session = make_session(server, jitter=lambda low, high: high)  # the ceiling: exact delays
    async with running(session) as rec:
        refusals = await rec.wait(Disconnected, count=4, timeout=5, what="4 refused handshakes")
        for refusal in refusals:
            assert refusal.reason == "the server refused the WebSocket handshake: HTTP 403"
        assert [d.retry_in for d in refusals[:4]] == pytest.approx([0.05, 0.1, 0.2, 0.2])  # doubling, capped
        times = [t for e, t in zip(rec.events, rec.times) if isinstance(e, Disconnected)]
        for earlier, later, waited in zip(times, times[1:], refusals):
            assert later - earlier >= waited.retry_in * 0.9  # it waited before trying again
        assert not rec.of(Connected)
        assert session.status.state in ("down", "connecting") and not session.status.authenticated
        server.faults.update({"ws_reject_upgrade": False})
        connected = (await rec.wait(Connected, timeout=3))[0]
        assert connected.reconnect is False  # no earlier connection was ever up
        await rec.wait(Subscribed, lambda e: e.authenticated, count=2)
        assert session.status.state == "live" and session.status.reconnects == 0


# --- 9. ws_dropcopy_schema flat -----------------------------------------------------------------


async def test_flat_dropcopy_schema_still_reads_the_order(server):
    server.faults.update({"ws_dropcopy_schema": "flat"})
    exchange = server.exchange
    open_before = {o.id: o for o in exchange.active_orders([CREDS.user_id])}
    session = make_session(server)
    async with running(session) as rec:
        await subscribed_and_snapshotted(rec, authenticated=True, dropcopy=True)
        raw = rec.of(Data, where=lambda e: is_data(e, "DROPCOPY", "SNAPSHOT"))[0].message.data
        assert "order_info" not in raw and raw["client_id"] == CREDS.user_id  # the flat shape indeed
        snapshot = {r.order.id: r.order for r in reports(rec, update="SNAPSHOT")}
        assert snapshot.keys() == open_before.keys()
        for order_id, order in snapshot.items():
            before = open_before[order_id]
            assert str(order.status) == "ACTIVE" and order.external_id == before.external_id
            assert isinstance(order.leaves_qty, Decimal) and order.leaves_qty == before.order_info.qty
            assert order.executed_qty == 0

        mark = rec.mark
        created = exchange.create_order("stream-flat-1", resting_info(server, qty_increments=7))
        new = await wait_report(rec, lambda r: r.order is not None and r.order.id == created.id, since=mark)
        assert new.order.external_id == "stream-flat-1" and str(new.order.status) == "NEW_PENDING"
        assert new.order.pending_qty == created.order_info.qty and new.msg_type == "REQUEST_NEW"
        assert isinstance(new.order.pending_qty, Decimal) and new.order.leaves_qty == 0
        exchange.cancel_order(created.id)
        exchange.step()
        canceled = await wait_report(rec, lambda r: r.order is not None and r.order.id == created.id
                                     and str(r.order.status) == "CANCELED", since=mark)
        assert canceled.msg_type == "REPORT_CANCELED" and canceled.text == "canceled on request"

        mark = rec.mark
        taker = exchange.create_order("stream-flat-take", crossing_info(server))
        exchange.step()
        filled = await wait_report(rec, lambda r: r.order is not None and r.order.id == taker.id
                                   and r.msg_type == "REPORT_TRADE", since=mark)
        assert str(filled.order.status) == "FILLED" and filled.order.executed_qty == taker.order_info.qty
        assert filled.order.leaves_qty == 0
        assert filled.trade is not None and filled.trade.trade_qty == taker.order_info.qty
        assert filled.trade.order_id == taker.id and isinstance(filled.trade.trade_price, Decimal)
        assert filled.trade.match_id


async def test_flat_dropcopy_schema_reads_the_order_terms(server):
    server.faults.update({"ws_dropcopy_schema": "flat"})
    session = make_session(server)
    async with running(session) as rec:
        await subscribed_and_snapshotted(rec, authenticated=True, dropcopy=True)
        mark = rec.mark
        created = server.exchange.create_order("stream-flat-terms", resting_info(server, qty_increments=7))
        new = await wait_report(rec, lambda r: r.order is not None and r.order.id == created.id, since=mark)
    info = new.order.order_info
    assert info.qty == created.order_info.qty and info.price == created.order_info.price
    assert str(info.side) == "BUY" and info.client_id == CREDS.user_id
    assert info.instrument_id == instrument_id(server)


# --- 10. a wrong secret -------------------------------------------------------------------------


async def test_wrong_secret_is_refused_and_never_shown(server, caplog):
    caplog.set_level(logging.DEBUG)
    server.faults.update({"ws_batch_seconds": 0.2})
    session = make_session(server, secret=WRONG_SECRET)
    assert session.has_credentials
    async with running(session) as rec:
        await rec.wait(Refused, count=2, what="both signed subscribes refused")
        public = rec.of(Refused, where=lambda e: e.channels == PUBLIC)[0]
        dropcopy = rec.of(Refused, where=lambda e: e.channels == ("DROPCOPY",))[0]
        assert public.status == dropcopy.status == "UNAUTHENTICATED"
        assert "TRUEX_API_SECRET" in public.hint and "clock" in public.hint
        # The public channels fall back to NO_AUTH and flow, batched; DROPCOPY stays refused.
        fallback = (await rec.wait(Subscribed))[0]
        assert fallback.authenticated is False
        await rec.wait(SnapshotDone, done_for("DEPTH"))
        mark = rec.mark
        await step_until(server, rec, lambda: bool(rec.of(Data, mark, lambda e: is_data(e, "EBBO", "UPDATE"))),
                         what="batched EBBO after the fallback")
        assert not rec.of(Data, where=lambda e: is_data(e, "DROPCOPY"))
        assert not session.status.authenticated and "refused (UNAUTHENTICATED)" in session.status.detail
        status_text = repr(session.status)
        session_text = repr(session)
        events_text = "\n".join(repr(e) for e in rec.events)
    logged = [(r.name, r.getMessage() + (r.exc_text or "")) for r in caplog.records]
    assert logged  # the session did log (INFO/WARNING), so the check below looks at something
    now = int(time.time())
    signatures = {stream_signature(WRONG_SECRET, str(stamp), CREDS.key, "/api/v1")
                  for stamp in range(now - 60, now + 5)}
    for text in (status_text, session_text, events_text, str(session.status), *(m for _, m in logged)):
        assert WRONG_SECRET not in text
    client_log = "\n".join(m for name, m in logged if name.startswith(("blotter.api", "websockets.client")))
    assert not any(s in client_log or s in events_text or s in status_text for s in signatures)


# --- 11. the exchange's clock -------------------------------------------------------------------


async def test_server_offset_follows_a_skewed_exchange_clock(server):
    server.faults.update({"clock_skew_seconds": 20.0})
    following = make_session(server, server_offset=lambda: 20.0)
    ignoring = make_session(server, server_offset=lambda: 0.0)
    async with running(following) as good, running(ignoring) as bad:
        await good.wait(Subscribed, lambda e: e.authenticated, count=2, what="authenticated with the offset")
        await bad.wait(Refused, count=2, what="refused without the offset")
        assert following.status.authenticated and not good.of(Refused)
        assert {e.status for e in bad.of(Refused)} == {"UNAUTHENTICATED"}
        assert "clock" in bad.of(Refused)[0].hint
        assert not ignoring.status.authenticated
        await good.wait(SnapshotDone, done_for("DROPCOPY", CREDS.user_id))
        await asyncio.sleep(0.2)
        assert not bad.of(Data, where=lambda e: is_data(e, "DROPCOPY"))


async def test_a_refusal_of_the_no_auth_fallback_too_is_not_taken_for_success(server):
    """`ws_refuse`: the fallback's UNAUTHENTICATED comes with an empty subscription set, so nothing
    flows: the session says refused, it does not sit "live" on an empty subscription."""
    server.faults.update({"ws_refuse": "UNAUTHENTICATED"})
    session = make_session(server)
    async with running(session) as rec:
        refused = await rec.wait(Refused, count=3, what="the signed requests and the fallback refused")
        assert {e.status for e in refused} == {"UNAUTHENTICATED"}
        await asyncio.sleep(0.3)
        assert not rec.of(Subscribed) and not rec.of(Data)
        assert session.status.state == "refused"
