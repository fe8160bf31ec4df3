"""Client behaviour against scripted fake servers (httpx.MockTransport): errors, retries, paging, clock."""

from decimal import Decimal
from email.utils import formatdate

import httpx
import pytest
from pydantic import SecretStr

from blotter.api import (
    BadRequest,
    ConnectError,
    ConnectionLost,
    Credentials,
    NotFound,
    RateLimited,
    RequestTimeout,
    ResponseFormatError,
    RetryPolicy,
    ServerClock,
    ServerError,
    TrueXClient,
    Unauthorized,
)
from blotter.api.models import NewOrder, OrderInfo

CREDS = Credentials(user_id="1", key_id="k", secret=SecretStr("very-secret-value-123"))
FAST = RetryPolicy(attempts=3, backoff=0.001, max_backoff=0.002, max_retry_after=0.05)
PROBLEM = {"type": "about:blank", "title": "Invalid size", "status": 400, "detail": "size must be 1..100"}


def make(handler, **kwargs) -> TrueXClient:
    kwargs.setdefault("retry", FAST)
    return TrueXClient("https://x.test", credentials=CREDS, transport=httpx.MockTransport(handler), **kwargs)


def order_json(order_id="79000000000000001", status="ACTIVE"):
    return {"id": order_id, "status": status, "external_id": "e1", "order_info": {"qty": "1"}}


@pytest.mark.parametrize(
    "body",
    [PROBLEM, {"error": PROBLEM}],
    ids=["plain-rfc7807", "wrapped-v2026"],
)
async def test_problem_details_become_typed_errors(body):
    def handler(request):
        return httpx.Response(400, json=body, headers={"content-type": "application/problem+json"})

    async with make(handler) as client:
        with pytest.raises(BadRequest) as caught:
            await client.trades(1741523275598727336, size=500)
    error = caught.value
    assert (error.status, error.title, error.detail) == (400, "Invalid size", "size must be 1..100")
    assert "GET /api/v1/orders/trade" in str(error)
    assert "very-secret-value-123" not in str(error)


async def test_error_without_problem_body_still_readable():
    async with make(lambda r: httpx.Response(404, text="nope")) as client:
        with pytest.raises(NotFound) as caught:
            await client.order_status("123")
    assert caught.value.title == "Not Found"


async def test_get_retries_5xx_then_succeeds():
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503, json={"title": "Busy", "status": 503})
        return httpx.Response(200, json={"data": [order_json()]})

    async with make(handler) as client:
        page = await client.active_orders_page()
    assert len(calls) == 3 and page.items[0].id == "79000000000000001"


async def test_get_gives_up_after_attempts_with_last_error():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(500, json={"title": "Boom", "status": 500})

    async with make(handler) as client:
        with pytest.raises(ServerError) as caught:
            await client.balances()
    assert len(calls) == 3 and caught.value.title == "Boom"


async def test_429_retry_after_is_honoured_when_short_and_raised_when_long():
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.01"}, json={"title": "Slow down", "status": 429})
        return httpx.Response(200, json={"data": []})

    async with make(handler) as client:
        await client.balances()
    assert len(calls) == 2

    def always_limited(request):
        return httpx.Response(429, headers={"Retry-After": "30"}, json={"title": "Slow down", "status": 429})

    async with make(always_limited) as client:
        with pytest.raises(RateLimited) as caught:
            await client.balances()
    assert caught.value.retry_after == 30


async def test_order_changing_calls_are_never_retried():
    calls = []

    def handler(request):
        calls.append(request.method)
        return httpx.Response(503, json={"title": "Busy", "status": 503})

    order = NewOrder(external_id="x", info=OrderInfo(client_id="1", instrument_id="2", side="BUY", type="MARKET", qty=1))
    async with make(handler) as client:
        with pytest.raises(ServerError):
            await client.create_order(order)
        with pytest.raises(ServerError):
            await client.cancel_order("1")
    assert calls == ["POST", "DELETE"]


@pytest.mark.parametrize(
    "exc, expected, unknown",
    [
        (httpx.ConnectError("refused"), ConnectError, False),
        (httpx.ReadTimeout("slow"), RequestTimeout, True),
        (httpx.RemoteProtocolError("reset"), ConnectionLost, True),
    ],
)
async def test_transport_failures_are_typed(exc, expected, unknown):
    def handler(request):
        raise exc

    order = NewOrder(external_id="x", info=OrderInfo(client_id="1", instrument_id="2", side="BUY", type="MARKET", qty=1))
    async with make(handler) as client:
        with pytest.raises(expected) as caught:
            await client.create_order(order)
    assert caught.value.outcome_unknown is unknown


async def test_malformed_json_and_wrong_shape():
    async with make(lambda r: httpx.Response(200, text="{not json")) as client:
        with pytest.raises(ResponseFormatError):
            await client.balances()
    async with make(lambda r: httpx.Response(200, json="a string")) as client:
        with pytest.raises(ResponseFormatError):
            await client.balances()
    async with make(lambda r: httpx.Response(200, json={"unexpected": True})) as client:
        with pytest.raises(ResponseFormatError):
            await client.health()
        with pytest.raises(ResponseFormatError):
            await client.balances()


async def test_bad_rows_are_kept_and_reported_not_dropped():
    # A row without an id is an order still pending (§3): kept, keyed by what it has. A row that
    # is no object at all cannot be an order: reported.
    rows = [order_json("1"), {"status": "ACTIVE"}, ["not", "an", "order"], order_json("3")]
    async with make(lambda r: httpx.Response(200, json={"data": rows})) as client:
        page = await client.active_orders_page()
    assert [o.id for o in page.items] == ["1", "", "3"]
    assert len(page.bad_rows) == 1 and page.bad_rows[0][0] == ["not", "an", "order"]


async def test_v2024_pages_with_skip_and_size():
    trades = [
        {"client_id": "1", "instrument_id": "2", "timestamp": str(1_700_000_000_000_000_000 + i), "side": "BUY",
         "order_id": str(i), "match_id": str(i)}
        for i in range(25)
    ]
    seen = []

    def handler(request):
        assert request.headers["X-Truex-Version"] == "v2024_01_01"
        skip = int(request.url.params.get("skip", 0))
        size = int(request.url.params["size"])
        seen.append((skip, size))
        return httpx.Response(200, json=trades[skip : skip + size])

    async with make(handler, api_version="v2024_01_01") as client:
        pages = [page async for page in client.iter_pages(client.trades, page_size=10, timestamp=1)]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert seen == [(0, 10), (10, 10), (20, 10)]


async def test_v2026_pages_with_cursor_and_stops_on_repeated_cursor():
    def handler(request):
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return httpx.Response(200, json={"data": [order_json("1")], "pagination": {"size": 1, "next_cursor": "c1"}})
        if cursor == "c1":
            return httpx.Response(200, json={"data": [order_json("2")], "pagination": {"size": 1, "next_cursor": "c2"}})
        return httpx.Response(200, json={"data": [order_json("3")], "pagination": {"size": 1, "next_cursor": "c1"}})

    async with make(handler) as client:
        everything = await client.active_orders()
    assert [o.id for o in everything.items] == ["1", "2", "3"]  # and it stopped at the repeated cursor


async def test_deprecation_and_sunset_are_surfaced():
    headers = {"Deprecation": "Fri, 23 Jan 2026 00:00:00 GMT", "Sunset": "Wed, 05 Aug 2026 00:00:00 GMT"}
    async with make(lambda r: httpx.Response(200, json=[], headers=headers), api_version="v2024_01_01") as client:
        await client.balances()
        assert client.notices.sunset == "Wed, 05 Aug 2026 00:00:00 GMT"
        assert client.notices.deprecation.startswith("Fri, 23 Jan 2026")


async def test_local_clock_30s_off_still_signs_valid():
    """A fake server 30 s ahead of our clock rejects stale timestamps, as the real one does."""
    server_time = 1_800_000_000.0
    local_time = server_time - 30
    accepted = []

    def handler(request):
        ts = int(request.headers["x-truex-auth-timestamp"])
        headers = {"Date": formatdate(server_time, usegmt=True)}
        if ts < server_time - 15 or ts > server_time + 1:
            return httpx.Response(401, json={"title": "Stale timestamp", "status": 401}, headers=headers)
        accepted.append(ts)
        return httpx.Response(200, json={"data": []}, headers=headers)

    clock = ServerClock(local=lambda: local_time)
    async with make(handler, clock=clock) as client:
        await client.balances()  # first call: 401, clock corrected from Date, re-signed once
        await client.balances()  # later calls: signed right the first time
    assert len(accepted) == 2
    assert all(server_time - 15 <= ts <= server_time + 1 for ts in accepted)
    assert 29 <= clock.offset <= 31


async def test_unrelated_401_is_not_resent():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(401, json={"title": "Bad signature", "status": 401})

    async with make(handler) as client:
        with pytest.raises(Unauthorized) as caught:
            await client.balances()
    assert len(calls) == 1 and caught.value.title == "Bad signature"


def test_server_clock_ignores_jitter_below_tolerance():
    now = [1000.0]
    clock = ServerClock(local=lambda: now[0])
    assert clock.observe(formatdate(1010, usegmt=True)) is True
    first = clock.offset
    now[0] += 0.7
    assert clock.observe(formatdate(1010, usegmt=True)) is False  # same second, local moved: jitter
    assert clock.offset == first
    assert clock.observe("garbage") is False


def test_an_unchanged_row_reuses_its_model_and_a_changed_one_is_parsed_again():
    from blotter.api._client import _RowCache
    from blotter.api.models import Order

    row = {"id": "7", "status": "ACTIVE", "order_info": {"instrument_id": "1", "side": "BUY", "type": "LIMIT",
                                                         "tif": "GTC", "price": "100.5", "qty": "2"}}
    cache = _RowCache(limit=2)
    first = cache.parse(Order, row)
    assert cache.parse(Order, dict(row)) is first  # equal row: the same model, no validation
    changed = cache.parse(Order, {**row, "status": "CANCEL_PENDING"})
    assert changed is not first and changed.status == "CANCEL_PENDING" and changed.price == Decimal("100.5")
    assert cache.parse(Order, {**row, "status": "CANCEL_PENDING"}) is changed
    cache.parse(Order, {**row, "id": "8"})
    cache.parse(Order, {**row, "id": "9"})  # over the limit: the cache starts again, still correct
    assert cache.parse(Order, row) is not first and cache.parse(Order, row).id == "7"


async def test_orders_that_left_the_active_list_are_not_kept_by_the_client():
    """An all-day session polls thousands of orders that come and go, and asks the status of each
    one that leaves: the models the client keeps for reuse are only those of the latest listing."""
    import gc
    import weakref

    def order_row(n: int, status: str = "ACTIVE") -> dict:
        return {"id": str(n), "status": status, "order_info": {"instrument_id": "1", "side": "BUY", "type": "LIMIT",
                                                               "tif": "GTC", "price": "100.5", "qty": "2"}}

    poll = [0]

    def handler(request):
        if request.url.path.endswith("/orders/active"):
            return httpx.Response(200, json={"data": [order_row(n) for n in range(poll[0], poll[0] + 10)]})
        order_id = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json={"data": [order_row(int(order_id), "FILLED")]})

    alive = []
    async with make(handler) as client:
        previous = (await client.active_orders()).items
        for poll[0] in range(1, 300):
            page = await client.active_orders()
            assert page.items[0] is previous[1]  # an unchanged order still reuses its model
            alive.extend(weakref.ref(order) for order in page.items)
            alive.append(weakref.ref((await client.order_status(str(poll[0] - 1))).items[0]))  # one that left
            previous = page.items
        del page, previous
        gc.collect()
        assert len({id(ref()) for ref in alive if ref() is not None}) <= 2 * 10  # two listings at most, whatever the hour
