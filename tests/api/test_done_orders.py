"""`done_orders`: the orders of the last 24 h that are done, from `orders/list` with its status filter
(reference §2.5, M), whatever the server does with that filter: applies it, ignores it, refuses it.
Against the simulator over loopback, and against scripted servers."""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx

from blotter.api import TrueXClient
from blotter.api.models import NewOrder, OrderInfo
from blotter.demo import demo_credentials, start_demo_server

from test_client_behaviour import CREDS, FAST, order_json


def scripted(handler) -> TrueXClient:
    return TrueXClient("https://x.test", credentials=CREDS, transport=httpx.MockTransport(handler), retry=FAST)


def orders(*statuses):
    return [order_json(f"7900000000000000{i}", status) for i, status in enumerate(statuses)]


async def test_the_simulator_lists_the_filled_canceled_and_rejected_orders():
    server = start_demo_server(3, orders=0, trades=0, demo_flow=False, auto_tick=False)
    me = demo_credentials().user_id

    def order(external_id, price):
        return NewOrder(external_id=external_id, info=OrderInfo(
            client_id=me, instrument_id=btc.id, side="BUY", type="LIMIT", tif="GTC", qty=Decimal("0.0100"),
            price=price))

    try:
        async with TrueXClient(server.base_url, credentials=demo_credentials()) as client:
            btc = next(i for i in await client.instruments() if i.symbol == "BTC-PYUSD")
            bid = (await client.quotes(instrument_id=btc.id)).items[0].info.best_bid.price
            resting = await client.create_order(order("rest-1", (bid * Decimal("0.9")).quantize(Decimal("1"))))
            gone = await client.create_order(order("gone-1", (bid * Decimal("0.9")).quantize(Decimal("1"))))
            server.exchange.step()
            await client.cancel_order(gone.id)
            server.exchange.step()
            done = await client.done_orders()
    finally:
        server.stop()
    assert [o.id for o in done.items] == [gone.id] and done.items[0].status == "CANCELED"
    assert resting.id not in [o.id for o in done.items]  # still active: not done
    assert done.notice is None


async def test_the_status_filter_is_sent_as_a_json_column_filter():
    seen = []

    def handler(request):
        seen.append(parse_qs(urlsplit(str(request.url)).query))
        return httpx.Response(200, json=orders("FILLED"))

    async with scripted(handler) as client:
        done = await client.done_orders()
    query = json.loads(seen[0]["query"][0])
    assert query == {"columns": [{"name": "status", "filter": [{"$in": ["FILLED", "CANCELED", "REJECTED"]}]}]}
    assert [o.status for o in done.items] == ["FILLED"]


async def test_a_server_that_ignores_the_filter_is_filtered_here_and_says_so():
    def handler(request):
        return httpx.Response(200, json=orders("FILLED", "ACTIVE", "CANCELED", "NEW_PENDING", "REJECTED"))

    async with scripted(handler) as client:
        done = await client.done_orders()
    assert [o.status for o in done.items] == ["FILLED", "CANCELED", "REJECTED"]
    assert done.notice == "the exchange sent 2 orders that are not done: left out"


async def test_a_server_that_refuses_the_filter_is_asked_without_it():
    asked = []

    def handler(request):
        query = parse_qs(urlsplit(str(request.url)).query)
        asked.append("query" in query)
        if "query" in query:
            return httpx.Response(400, json={"title": "Invalid query", "status": 400},
                                  headers={"content-type": "application/problem+json"})
        return httpx.Response(200, json=orders("CANCELED", "ACTIVE"))

    async with scripted(handler) as client:
        done = await client.done_orders()
    assert asked == [True, False]
    assert [o.status for o in done.items] == ["CANCELED"]
    assert done.notice == "the exchange refused the status filter: filtered here"
