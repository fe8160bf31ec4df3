"""The client against data shaped as the docs allow, not as our simulator happens to send it.

Each case is one a real server may send (reference §6): a field that does not parse keeps its row,
blank amounts are "not given", an empty book side is no price, both sides of a self-match are two
trades, an envelope with more keys is still an envelope, paging that does not advance is said,
a degraded health is information, and a base URL pasted with the prefix works.
"""

from decimal import Decimal
from email.utils import formatdate

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from blotter.api import Credentials, RetryPolicy, TrueXClient
from blotter.api.models import (
    ASK_SENTINEL,
    BID_SENTINEL,
    Balances,
    MarketQuote,
    Order,
    Trade,
)

CREDS = Credentials(user_id="1", key_id="k", secret=SecretStr("very-secret-value-123"))


def make(handler, **kwargs) -> TrueXClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=1))
    return TrueXClient("https://x.test", credentials=CREDS, transport=httpx.MockTransport(handler), **kwargs)


def test_unreadable_fields_are_set_aside_with_their_path_in_nested_records():
    order = Order.model_validate(
        {"id": "9", "status": "ACTIVE", "external_id": "e", "executed_vwap": {"odd": 1},
         "order_info": {"price": "1O0.5", "qty": "0.25", "side": "BUY"},
         "modify_info": {"new_price": "abc"}}
    )
    assert order.unreadable == {"executed_vwap": '{"odd":1}', "order_info.price": "1O0.5",
                                "modify_info.new_price": "abc"}
    assert order.order_info.price is None and order.order_info.qty == Decimal("0.25")
    assert order.id == "9" and order.external_id == "e"


def test_a_bad_item_of_a_list_leaves_only_that_item_out():
    entity = Balances.model_validate(
        {"id": "1", "balances": [{"asset_id": "7", "balance": "1.5"}, "junk", {"asset_id": "8", "balance": "x"}]}
    )
    assert [line.asset_id for line in entity.balances] == ["7", "8"]
    assert entity.unreadable == {"balances[1]": "junk"}
    assert entity.balances[1].balance is None and entity.balances[1].unreadable == {"balance": "x"}
    assert entity.balances[1].available is None  # unknown, not zero


@pytest.mark.parametrize(
    ("bid", "ask"),
    [
        (format(BID_SENTINEL, "f"), format(ASK_SENTINEL, "f")),
        ("0", "0"),
        ("-5", "0.0"),
        ("", None),
    ],
    ids=["i128-sentinels", "zero", "negative-and-zero", "blank-and-null"],
)
def test_an_empty_book_side_is_no_price(bid, ask):
    quote = MarketQuote.model_validate(
        {"id": "5", "symbol": "AVAX-PYUSD", "info": {
            "best_bid": {"price": bid, "qty": "0", "order_count": "0"},
            "best_ask": {"price": ask, "qty": "0", "order_count": "0"},
            "last_trade": {"price": "0", "qty": "0"}}}
    )
    for side in (quote.info.best_bid, quote.info.best_ask):
        assert side.price is None and side.qty is None
    assert quote.info.last_trade.price is None
    if bid == format(BID_SENTINEL, "f"):
        assert quote.info.best_bid.empty_as == bid  # what was sent stays on record


def test_order_count_may_be_a_string():
    quote = MarketQuote.model_validate({"id": "5", "info": {"best_bid": {"price": "10", "qty": "1", "order_count": "10"}}})
    assert quote.info.best_bid.order_count == 10 and quote.info.best_bid.price == Decimal("10")


def test_both_sides_of_a_self_match_are_two_trades_and_a_repeat_is_one():
    common = {"client_id": "1", "instrument_id": "2", "timestamp": "1770919994854735762", "trade_price": "10",
              "trade_qty": "1", "match_id": "147670564223998146302870408890920992792"}
    buy = Trade.model_validate({**common, "side": "BUY", "order_id": "100"})
    sell = Trade.model_validate({**common, "side": "SELL", "order_id": "101"})
    again = Trade.model_validate({**common, "side": "BUY", "order_id": "100"})
    assert buy.key != sell.key
    assert buy.key == again.key


def test_a_trade_without_time_or_side_is_still_a_trade():
    trade = Trade.model_validate({"order_id": "1", "timestamp": "yesterday", "trade_qty": "2"})
    assert trade.timestamp is None and trade.unreadable == {"timestamp": "yesterday"}
    assert trade.key  # still keyed, so it is shown and de-duplicated


wire_values = st.one_of(
    st.sampled_from(["", " ", "0", "-0", "1e30", "abc", "NaN", "Infinity", format(BID_SENTINEL, "f"),
                     format(ASK_SENTINEL, "f")]),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")),
    st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2),
)


@given(price=wire_values, qty=wire_values, vwap=wire_values, executed=wire_values, stamp=wire_values)
def test_any_mix_of_variants_keeps_an_order_row(price, qty, vwap, executed, stamp):
    raw = {"id": "7", "status": "ACTIVE", "order_info": {"price": price, "qty": qty, "side": "BUY"},
           "executed_vwap": vwap, "exeuted_qty": executed, "timestamp": stamp}
    order = Order.model_validate(raw)  # never raises: the row is never lost
    assert order.id == "7"
    for value in (order.order_info.price, order.order_info.qty, order.executed_vwap, order.executed_qty):
        assert value is None or (isinstance(value, Decimal) and value.is_finite())
    for path, text in order.unreadable.items():
        assert isinstance(text, str) and path in {"order_info.price", "order_info.qty", "executed_vwap",
                                                  "exeuted_qty", "timestamp"}


async def test_an_envelope_with_more_keys_is_unwrapped():
    def handler(request):
        return httpx.Response(200, json={"data": [{"id": "1"}], "pagination": {"limit": 10, "next_cursor": ""},
                                         "meta": {"request_id": "r-1"}})

    async with make(handler) as client:
        page = await client.active_orders_page()
    assert [o.id for o in page.items] == ["1"] and page.next_cursor is None


def paged_server(rows, *, honours_cursor: bool, honours_skip: bool = True, size_key: str = "size"):
    """A v2026 server over `rows`; it may ignore the cursor (answering from the start again)."""
    calls = []

    def handler(request):
        params = request.url.params
        calls.append(dict(params))
        size = int(params.get("size", 10))
        offset = 0
        if honours_cursor and params.get("cursor"):
            offset = int(params["cursor"].removeprefix("c"))
        elif honours_skip and params.get("skip"):
            offset = int(params["skip"])
        chunk = rows[offset : offset + size]
        more = offset + size < len(rows)
        return httpx.Response(200, json={"data": chunk, "pagination": {size_key: size,
                                                                       "next_cursor": f"c{offset + size}" if more else None}})

    return handler, calls


TRADES = [
    {"client_id": "1", "instrument_id": "2", "timestamp": str(1_770_000_000_000_000_000 + i), "side": "BUY",
     "order_id": str(i), "match_id": f"m{i}", "trade_qty": "1"}
    for i in range(25)
]


async def test_cursor_paging_reads_every_page_once():
    handler, calls = paged_server(TRADES, honours_cursor=True)
    async with make(handler) as client:
        page = await client.collect(client.trades, timestamp=1, page_size=10)
    assert [t.order_id for t in page.items] == [str(i) for i in range(25)]
    assert page.notice is None and client.paging == "cursor"
    assert [c.get("cursor") for c in calls] == [None, "c10", "c20"]


async def test_a_server_that_ignores_the_cursor_is_walked_with_skip_and_nothing_is_counted_twice():
    handler, calls = paged_server(TRADES, honours_cursor=False)
    async with make(handler) as client:
        page = await client.collect(client.trades, timestamp=1, page_size=10)
        assert [t.order_id for t in page.items] == [str(i) for i in range(25)]  # each once
        assert client.paging == "skip"  # learned: the next walk starts with skip
        calls.clear()
        again = await client.collect(client.trades, timestamp=1, page_size=10)
    assert len(again.items) == 25 and [c.get("skip") for c in calls] == ["0", "10", "20"]


async def test_paging_that_never_advances_is_said_and_stops():
    handler, calls = paged_server(TRADES, honours_cursor=False, honours_skip=False)
    async with make(handler) as client:
        page = await client.collect(client.trades, timestamp=1, page_size=10)
    assert [t.order_id for t in page.items] == [str(i) for i in range(10)]  # the first page, once
    assert page.notice and "paging did not advance" in page.notice and "cursor, then skip" in page.notice
    assert len(calls) == 3  # cursor, the cursor again (repeated page), then skip: and it stops


async def test_v2024_skip_paging_that_never_advances_is_said():
    def handler(request):
        return httpx.Response(200, json=TRADES[:10])  # skip ignored

    async with make(handler, api_version="v2024_01_01") as client:
        page = await client.collect(client.trades, timestamp=1, page_size=10)
    assert len(page.items) == 10 and "paging did not advance (tried skip)" in page.notice


async def test_a_degraded_health_is_read_not_raised_and_the_clock_still_syncs():
    body = {"status": "degraded", "timestamp": "2025-01-15 14:30:00", "service": "truex-gateway"}
    server_time = 1_800_000_000

    def handler(request):
        return httpx.Response(503, json=body, headers={"Date": formatdate(server_time, usegmt=True)})

    async with make(handler, retry=RetryPolicy(attempts=3, backoff=0.001, max_backoff=0.001)) as client:
        health = await client.health()
        assert health.degraded and health.service == "truex-gateway"
        await client.sync_clock()
        assert client.clock.synced


async def test_a_healthy_answer_is_healthy():
    async with make(lambda r: httpx.Response(200, json={"status": "healthy", "timestamp": "x"})) as client:
        assert not (await client.health()).degraded


@pytest.mark.parametrize(
    ("base_url", "prefix", "expected"),
    [
        ("https://prod.truex.co/api/v1/", "/api/v1", ("https://prod.truex.co", "/api/v1")),
        ("https://prod.truex.co/api/v1", "/api/v1", ("https://prod.truex.co", "/api/v1")),
        ("https://api.uat.truex.co/v1/cefi/", "/api/v1", ("https://api.uat.truex.co", "/v1/cefi")),
        ("http://127.0.0.1:8765", "/api/v1", ("http://127.0.0.1:8765", "/api/v1")),
    ],
)
async def test_a_base_url_pasted_with_the_prefix_requests_the_prefix_once(base_url, prefix, expected):
    seen = []

    def handler(request):
        seen.append(request.url.path)
        return httpx.Response(200, json=[])

    client = TrueXClient(base_url, api_prefix=prefix, credentials=CREDS, transport=httpx.MockTransport(handler))
    async with client:
        assert (client.base_url, client.api_prefix) == expected
        await client.balances()
    assert seen == [f"{expected[1]}/balances"]
