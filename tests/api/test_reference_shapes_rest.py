"""The REST client and wire models against shapes the reference allows but our simulator never
sends (truex-api.md §3, §4, §6.3-§6.5, §6.8): each test is one gap an audit found."""

from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from blotter.api import Credentials, RetryPolicy, TrueXClient
from blotter.api.models import ASK_SENTINEL, Order, OrderStatus, Side, Trade

CREDS = Credentials(user_id="1", key_id="k", secret=SecretStr("s"))
FAST = RetryPolicy(attempts=1, backoff=0.001, max_backoff=0.002, max_retry_after=0.05)
T0 = 1_770_919_994_854_735_762


def make(handler, **kwargs) -> TrueXClient:
    kwargs.setdefault("retry", FAST)
    return TrueXClient("https://x.test", credentials=CREDS, transport=httpx.MockTransport(handler), **kwargs)


def trades(n: int) -> list[dict]:
    return [{"client_id": "1", "instrument_id": "9", "msg_type": "REPORT_TRADE", "timestamp": str(T0 + i),
             "side": "BUY", "order_id": str(1000 + i), "trade_price": "1", "trade_qty": "1", "match_id": str(5000 + i)}
            for i in range(n)]


# --- 1. paging when the answer has no cursor to follow (§4 envelope, §6.8) ------------------------


async def test_a_bare_list_to_a_v2026_client_is_paged_by_skip_and_said():
    rows, calls = trades(250), []

    def handler(request):  # ignores X-Truex-Version: bare lists, honours skip/size
        params = request.url.params
        calls.append(dict(params))
        skip, size = int(params.get("skip", 0)), int(params.get("size", 10))
        return httpx.Response(200, json=rows[skip : skip + size])

    async with make(handler) as client:
        assert client.enveloped
        page = await client.all_trades(T0)
    assert [t.order_id for t in page.items] == [str(1000 + i) for i in range(250)]
    assert [c.get("skip") for c in calls] == [None, "100", "200"]
    assert page.notice and "without the v2026 envelope" in page.notice and "skip" in page.notice


async def test_a_full_enveloped_page_without_a_cursor_is_paged_by_skip():
    rows, calls = trades(150), []

    def handler(request):
        params = request.url.params
        calls.append(dict(params))
        skip, size = int(params.get("skip", 0)), int(params.get("size", 10))
        return httpx.Response(200, json={"data": rows[skip : skip + size], "pagination": {"size": size}})

    async with make(handler) as client:
        page = await client.all_trades(T0)
    assert len(page.items) == 150 and len({t.key for t in page.items}) == 150
    assert [c.get("skip") for c in calls] == [None, "100"]
    assert page.notice and "without a cursor" in page.notice


@pytest.mark.parametrize("enveloped", [True, False], ids=["envelope", "bare-list"])
async def test_more_rows_than_asked_for_are_the_whole_list_never_asked_again(enveloped):
    """A server that ignores size (and skip) sends the whole list: asking again by skip, while orders
    come and go, would count most of them twice (found in the bench: 385 active orders of 192)."""
    calls = []

    def handler(request):
        calls.append(dict(request.url.params))
        rows = trades(150 + min(len(calls), 3))  # the list changes between asks (then settles)
        return httpx.Response(200, json={"data": rows} if enveloped else rows)

    async with make(handler) as client:
        page = await client.all_trades(T0)
    assert len(calls) == 1 and len(page.items) == 151 and page.notice is None


# --- 2. an empty list sent as null, nothing, or {"data": null} ------------------------------------


@pytest.mark.parametrize("body", [b"null", b"", b'{"data":null,"pagination":{"size":10}}'],
                         ids=["null", "empty-body", "data-null"])
async def test_an_empty_list_in_any_spelling_is_an_empty_page(body):
    async with make(lambda r: httpx.Response(200, content=body, headers={"content-type": "application/json"})) as c:
        page = await c.active_orders()
    assert page.items == [] and page.bad_rows == []


# --- 3. JSON numbers keep every digit ------------------------------------------------------------


async def test_json_numbers_are_read_exactly_never_as_floats():
    raw = (b'[{"id":799477895858487977,"status":"ACTIVE","order_info":{"price":12345678.123456789,'
           b'"qty":0.12345678901234567891,"client_id":78901968715907076},"leaves_qty":1e-8}]')
    async with make(lambda r: httpx.Response(200, content=raw, headers={"content-type": "application/json"})) as c:
        order = (await c.active_orders()).items[0]
    assert order.price == Decimal("12345678.123456789") and str(order.price) == "12345678.123456789"
    assert str(order.qty) == "0.12345678901234567891"
    assert order.leaves_qty == Decimal("1E-8")
    assert (order.id, order.order_info.client_id) == ("799477895858487977", "78901968715907076")


# --- 4. status and side in any case; an unknown status is not done (§3, M) ------------------------


@pytest.mark.parametrize(("sent", "read"), [("active", OrderStatus.ACTIVE), ("Active", OrderStatus.ACTIVE),
                                            ("new_pending", OrderStatus.NEW_PENDING), (" FILLED ", OrderStatus.FILLED)])
def test_a_status_in_any_case_is_the_status(sent, read):
    order = Order.model_validate({"id": "9", "status": sent, "order_info": {"side": "buy", "type": "limit"}})
    assert order.status is read and order.order_info.side is Side.BUY
    assert order.is_open == (read is not OrderStatus.FILLED)


def test_an_unknown_status_is_kept_as_sent_and_the_order_is_not_done():
    order = Order.model_validate({"id": "9", "status": "PARTIALLY_FILLED"})
    assert order.status == "PARTIALLY_FILLED" and order.is_open


def test_a_trade_side_in_any_case_is_the_side():
    assert Trade.model_validate({"side": "sell", "liq_flag": "Maker"}).side is Side.SELL


async def test_done_orders_read_the_status_in_any_case():
    rows = [{"id": "1", "status": "filled"}, {"id": "2", "status": "Canceled"}, {"id": "3", "status": "FILLED"},
            {"id": "4", "status": "active"}]
    async with make(lambda r: httpx.Response(200, json={"data": rows, "pagination": {"size": 100}})) as client:
        page = await client.done_orders()
    assert [o.id for o in page.items] == ["1", "2", "3"]
    assert page.notice == "the exchange sent 1 orders that are not done: left out"


# --- 5. 0 and sentinels are no price or quantity (§6.3 L-M, ModifyInfo §2.2 M) --------------------


@pytest.mark.parametrize(
    ("body", "price", "qty"),
    [
        ({"order_info": {"type": "MARKET", "qty": "1", "price": "0"}}, None, "1"),
        ({"order_info": {"type": "MARKET", "qty": "1", "price": str(ASK_SENTINEL)}}, None, "1"),
        ({"order_info": {"qty": "1", "price": "100"}, "modify_info": {"new_qty": "2", "new_price": "0"}}, "100", "2"),
        ({"order_info": {"qty": "1", "price": "100"}, "modify_info": {"new_qty": "0", "new_price": "101"}}, "101", "1"),
    ],
    ids=["market-zero", "market-sentinel", "qty-only-modify", "price-only-modify"],
)
def test_zero_or_a_sentinel_is_not_given_and_falls_back_to_the_order(body, price, qty):
    order = Order.model_validate({"id": "1", "status": "ACTIVE", **body})
    assert order.price == (None if price is None else Decimal(price))
    assert order.qty == Decimal(qty)


# --- 6. trade identity (§6.5) ------------------------------------------------------------------


def trade(**fields) -> Trade:
    base = {"client_id": "1", "instrument_id": "9", "timestamp": str(T0), "side": "BUY", "order_id": "77",
            "trade_price": "100", "trade_qty": "1"}
    return Trade.model_validate({**base, **fields})


@pytest.mark.parametrize("match_id", ["0", "", None])
def test_no_match_id_keeps_distinct_fills_of_one_order_apart(match_id):
    first = trade(match_id=match_id, trade_price="100")
    second = trade(match_id=match_id, trade_price="101")  # same order, ns and size: another price
    later = trade(match_id=match_id, timestamp=str(T0 + 1), trade_qty="2")
    assert len({first.key, second.key, later.key}) == 3
    assert trade(match_id=match_id, trade_price="100").key == first.key  # the same trade, polled again


def test_a_real_match_id_keys_the_trade_by_match_order_and_side():
    assert trade(match_id="m1").key == trade(match_id="m1", trade_price="100").key == "m1:77:BUY"
    assert trade(match_id="m1").key != trade(match_id="m1", side="SELL", order_id="78").key


# --- 7. orders without a real id (§3 INITIALIZED / NEW_PENDING) --------------------------------


async def test_orders_with_a_placeholder_null_or_missing_id_are_kept():
    rows = [{"id": "0", "status": "NEW_PENDING", "external_id": "a1"},
            {"id": "0", "status": "NEW_PENDING", "external_id": "a2"},
            {"id": "", "status": "INITIALIZED", "external_id": "a3"},
            {"id": None, "status": "INITIALIZED", "external_id": "a5"},
            {"status": "INITIALIZED", "external_id": "a6"},
            {"id": {"v": "7"}, "status": "ACTIVE", "external_id": "a7"},
            {"id": "79000000000000001", "status": "ACTIVE", "external_id": "a8"}]
    async with make(lambda r: httpx.Response(200, json={"data": rows, "pagination": {}})) as client:
        page = await client.active_orders()
    assert page.bad_rows == []
    assert [o.key for o in page.items] == ["ext:a1", "ext:a2", "ext:a3", "ext:a5", "ext:a6", "ext:a7",
                                           "79000000000000001"]
    assert page.items[5].unreadable == {"id": '{"v":"7"}'}
    assert page.items[0].refs == ("a1",)  # "0" names no order


def test_an_order_with_neither_id_nor_external_id_gets_a_stable_key():
    body = {"status": "INITIALIZED", "order_info": {"qty": "3", "side": "BUY"}}
    other = {"status": "INITIALIZED", "order_info": {"qty": "4", "side": "BUY"}}
    key = Order.model_validate(body).key
    assert key == Order.model_validate(body).key != Order.model_validate(other).key


# --- 8. an order's time in other forms (§6.4, L) ------------------------------------------------

SECOND = 1_795_745_578


@pytest.mark.parametrize(
    ("sent", "ns"),
    [
        (str(SECOND), SECOND * 10**9),
        (str(SECOND * 1000 + 812), SECOND * 10**9 + 812_000_000),
        (SECOND * 1000 + 812, SECOND * 10**9 + 812_000_000),
        (str(SECOND * 10**6 + 812_345), SECOND * 10**9 + 812_345_000),
        (str(SECOND * 10**9 + 812_345_678), SECOND * 10**9 + 812_345_678),
        ("2026-11-27T02:00:00Z", 1_795_744_800 * 10**9),
        ("2026-11-27 03:00:00.123456789+01:00", 1_795_744_800 * 10**9 + 123_456_789),
        ("2026-11-27T02:00:00", 1_795_744_800 * 10**9),
    ],
    ids=["s", "ms", "ms-number", "us", "ns", "iso-z", "iso-offset-ns", "iso-naive"],
)
def test_an_order_time_is_read_in_its_unit_or_as_iso_8601(sent, ns):
    order = Order.model_validate({"id": "1", "timestamp": sent})
    assert order.timestamp == ns and order.unreadable == {}


def test_an_order_time_in_no_known_form_is_kept_as_sent():
    order = Order.model_validate({"id": "1", "status": "ACTIVE", "timestamp": "yesterday noon"})
    assert order.timestamp is None and order.unreadable == {"timestamp": "yesterday noon"}


def test_a_trade_without_match_id_keeps_one_key_whatever_the_numbers_spelling():
    """REST may send "100" and "0.5" where the drop copy sends 100.0 and 0.50: the same fill."""
    from blotter.api.models import Trade

    base = {"order_id": "9", "side": "BUY", "timestamp": "1790000000000000000"}
    rest = Trade.model_validate({**base, "trade_price": "100", "trade_qty": "0.5"})
    streamed = Trade.model_validate({**base, "trade_price": Decimal("100.0"), "trade_qty": Decimal("0.50"),
                                     "external_id": "e-9"})
    assert rest.key == streamed.key


async def test_a_server_ignoring_skip_in_a_changing_list_is_not_read_twice():
    """Exactly a page each time, skip ignored, the list moving between asks: the walk stops at the
    page that repeats most of the last one, and says so."""
    calls = []

    def handler(request):
        calls.append(dict(request.url.params))
        shift = len(calls)  # a new trade at the top each time: never the same page twice
        if shift > 5:
            return httpx.Response(200, json={"data": []})  # (the walk would otherwise not end)
        return httpx.Response(200, json={"data": trades(100 + shift)[shift:]})

    async with make(handler) as client:
        page = await client.all_trades(T0)
    assert len(calls) == 2 and len({t.key for t in page.items}) == len(page.items) == 100
    assert page.notice and "did not advance" in page.notice
