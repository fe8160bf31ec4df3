"""The simulator's `real` wire dialect over loopback HTTP: what the real exchange may send (§6).

Each test sets a real-mode answer beside the sim-mode one where the switch is what is tested.
"""

import re
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import httpx
import pytest
from sim_calls import ALL_TRADES, CREDS, V2024, V2026, VERSIONS, call, data, put_faults, step

from blotter.sim import Exchange, SimServer
from blotter.sim.engine import MAKER_FEE, START_BALANCES, TAKER_FEE

BID_SENTINEL = "-170141183460469231731.687303715884105728"
FROZEN = 1_790_000_000_000_000_000
EIGHT = Decimal("0.00000001")


@pytest.fixture(scope="module")
def real():
    with SimServer(Exchange(seed=31, wire="real", seed_orders=6, seed_trades=400), auto_tick=False) as server:
        yield server


@pytest.fixture(scope="module")
def sim():
    with SimServer(Exchange(seed=31, seed_orders=6, seed_trades=400), auto_tick=False) as server:
        yield server


@pytest.fixture(autouse=True)
def clean_faults(real, sim):
    for server in (real, sim):
        server.faults.clear()
    yield
    for server in (real, sim):
        server.faults.clear()


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


def market_id(server, symbol="BTC-PYUSD"):
    return next(i for i, m in server.exchange.markets.items() if m.spec.symbol == symbol)


def listed_id(server):
    return next(iter(server.exchange.listed))


def new_order(server, external_id, version=None, **info):
    values = {"client_id": CREDS.user_id, "instrument_id": market_id(server), "side": "BUY", "type": "LIMIT",
              "qty": "0.0010", "price": "1000"}
    values.update(info)
    body = {"external_id": external_id, "info": {k: v for k, v in values.items() if v is not None}}
    return call(server, "POST", "/api/v1/orders", body=body, version=version)


def every_trade(server):
    """All trades, walked with skip/size (which works in either mode)."""
    rows, skip = [], 0
    while True:
        page = call(server, "GET", "/api/v1/orders/trade", params={**ALL_TRADES, "skip": skip}).json()
        rows += page
        if len(page) < 100:
            return rows
        skip += 100


def by_match(trades):
    groups = defaultdict(list)
    for trade in trades:
        groups[trade["match_id"]].append(trade)
    return groups


# --- orders ---------------------------------------------------------------------------------------


def test_orders_carry_no_time_and_empty_strings_before_a_fill(real, version):
    external_id = f"nt-{version[-2:]}"
    created = new_order(real, external_id, version)
    assert created.status_code == 200
    step(real)  # the order rests far below the market
    order_id = data(created, version)["id"]
    answers = {
        "create": [data(created, version)],
        "active": data(call(real, "GET", "/api/v1/orders/active", params={"id": order_id}, version=version), version),
        "list": data(call(real, "GET", "/api/v1/orders/list", params={"size": "100"}, version=version), version),
        "status": data(call(real, "GET", f"/api/v1/orders/status/{order_id}", version=version), version),
        "cancel": [data(call(real, "DELETE", f"/api/v1/orders/{order_id}", version=version), version)],
    }
    for name, orders in answers.items():
        ours = [o for o in orders if o["id"] == order_id]
        assert ours, name
        for order in ours:
            assert "timestamp" not in order and "update_timestamp" not in order, name
            assert order["exeuted_qty"] == "0" and order["executed_vwap"] == "", name
            assert order["ref_external_id"] == "", name
            assert order["order_info"]["price"] == "1000", name
    # Every order of the list, seeded ones included, follows the same shape.
    assert all("timestamp" not in o for o in answers["list"]) and len(answers["list"]) > 6


def test_sim_mode_keeps_its_order_shape(sim):
    order = new_order(sim, "sim-shape").json()
    assert order["timestamp"].isdigit() and order["executed_vwap"] == "0" and "ref_external_id" not in order


def test_market_order_has_empty_price_then_a_vwap_once_filled(real, version):
    created = new_order(real, f"mkt-{version[-2:]}", version, type="MARKET", price=None, qty="0.0002")
    order = data(created, version)
    assert order["order_info"]["type"] == "MARKET" and order["order_info"]["price"] == ""
    assert order["executed_vwap"] == ""
    step(real)
    filled = data(call(real, "GET", f"/api/v1/orders/status/{order['id']}", version=version), version)[0]
    assert filled["status"] == "FILLED" and filled["order_info"]["price"] == ""
    assert Decimal(filled["exeuted_qty"]) == Decimal("0.0002") and Decimal(filled["executed_vwap"]) > 0


def test_modify_rekeys_and_ref_external_id_is_then_sent(real):
    order = new_order(real, "rk-old").json()
    step(real)
    body = {"id": order["id"], "external_id": "rk-new",
            "info": {"client_id": CREDS.user_id, "new_qty": "0.0020", "new_price": "1000"}}
    modified = call(real, "PATCH", "/api/v1/orders", body=body).json()
    assert modified["external_id"] == "rk-new" and modified["ref_external_id"] == "rk-old"
    assert "timestamp" not in modified and modified["executed_vwap"] == ""


# --- market data and reference data ---------------------------------------------------------------


def test_quotes_string_counts_and_an_empty_book(real, version):
    quotes = data(call(real, "GET", "/api/v1/markets/quote", version=version), version)
    assert len(quotes) == 4
    for quote in quotes:
        for side in ("best_bid", "best_ask"):
            assert isinstance(quote["info"][side]["order_count"], str)
            assert quote["info"][side]["order_count"].isdigit()
    trading = [q for q in quotes if q["id"] != listed_id(real)]
    assert all(Decimal(q["info"]["best_bid"]["price"]) < Decimal(q["info"]["best_ask"]["price"]) for q in trading)
    empty = next(q for q in quotes if q["id"] == listed_id(real))
    assert empty["symbol"] == "AVAX-PYUSD"
    assert empty["info"]["best_bid"] == {"price": BID_SENTINEL, "qty": "0", "order_count": "0"}
    assert empty["info"]["best_ask"] == {"price": "0", "qty": "0", "order_count": "0"}
    assert empty["info"]["last_trade"] == {"price": "", "qty": ""}
    alone = data(call(real, "GET", "/api/v1/markets/quote", params={"instrument_id": listed_id(real)},
                      version=version), version)
    assert [q["id"] for q in alone] == [listed_id(real)]


def test_sim_mode_quotes_keep_integer_counts_and_three_markets(sim):
    quotes = call(sim, "GET", "/api/v1/markets/quote").json()
    assert len(quotes) == 3 and all(isinstance(q["info"]["best_bid"]["order_count"], int) for q in quotes)


def test_listed_instrument_and_its_asset_are_served_but_do_not_trade(real):
    instruments = call(real, "GET", "/api/v1/instruments").json()
    avax = next(i for i in instruments if i["info"]["symbol"] == "AVAX-PYUSD")
    assert avax["status"] == "OPENING"
    asset = call(real, "GET", "/api/v1/assets", params={"id": avax["info"]["base_asset_id"]}).json()
    assert [a["info"]["name"] for a in asset] == ["AVAX"]
    refused = new_order(real, "avax-1", instrument_id=avax["id"])
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Instrument not open"
    vwap = call(real, "POST", "/api/v1/markets/quote",
                body={"instrument_id": avax["id"], "qty": "1", "side": "BUY", "qty_unit": "BASE"})
    assert vwap.status_code == 400 and vwap.json()["title"] == "Instrument not open"


def test_instruments_without_increments_and_with_last_24hr_quantity(real, sim, version):
    for instrument in data(call(real, "GET", "/api/v1/instruments", version=version), version):
        assert "price_increment" not in instrument["info"] and "qty_increment" not in instrument["info"]
        assert set(instrument["stats"]) == {"last_24hr_notional", "last_24hr_quantity"}
        Decimal(instrument["stats"]["last_24hr_quantity"])
    ours = data(call(sim, "GET", "/api/v1/instruments", version=version), version)
    assert all("price_increment" in i["info"] and "last_24hr_volume" in i["stats"] for i in ours)


def test_increments_are_still_enforced_in_real_mode(real):
    odd = new_order(real, "odd-inc", price="1000.25")  # BTC trades in steps of 0.5
    step(real)
    status = call(real, "GET", f"/api/v1/orders/status/{odd.json()['id']}").json()[0]
    assert status["status"] == "REJECTED"


# --- envelope and paging --------------------------------------------------------------------------


def test_real_envelope_has_meta_and_limit(real, sim):
    listing = call(real, "GET", "/api/v1/orders/trade", params={"timestamp": "1" * 19}, version=V2026).json()
    assert set(listing) == {"data", "pagination", "meta"}
    assert listing["pagination"]["limit"] == 10 and "size" not in listing["pagination"]
    assert uuid.UUID(listing["meta"]["request_id"]).version == 4
    single = new_order(real, "env-1", V2026).json()
    assert set(single) == {"data", "meta"} and single["data"]["external_id"] == "env-1"
    assert single["meta"]["request_id"] != listing["meta"]["request_id"]
    bare = call(real, "GET", "/api/v1/orders/trade", params={"timestamp": "1" * 19}, version=V2024).json()
    assert isinstance(bare, list) and len(bare) == 10
    plain = call(sim, "GET", "/api/v1/orders/trade", params={"timestamp": "1" * 19}, version=V2026).json()
    assert set(plain) == {"data", "pagination"} and plain["pagination"]["size"] == 10


def test_real_mode_ignores_the_cursor_but_skip_pages(real, version):
    params = {"timestamp": "1" * 19, "size": "5"}
    first = call(real, "GET", "/api/v1/orders/trade", params=params, version=version)
    if version == V2026:
        cursor = first.json()["pagination"]["next_cursor"]
        again = call(real, "GET", "/api/v1/orders/trade", params={**params, "cursor": cursor}, version=version)
        assert again.json()["data"] == first.json()["data"]
        assert again.json()["pagination"]["next_cursor"] == cursor
    ten = data(call(real, "GET", "/api/v1/orders/trade", params={**params, "size": "10"}, version=version), version)
    second = data(call(real, "GET", "/api/v1/orders/trade", params={**params, "skip": "5"}, version=version), version)
    assert data(first, version) == ten[:5] and second == ten[5:]


def test_sim_mode_cursor_still_advances(sim):
    params = {"timestamp": "1" * 19, "size": "5"}
    first = call(sim, "GET", "/api/v1/orders/trade", params=params, version=V2026).json()
    cursor = first["pagination"]["next_cursor"]
    second = call(sim, "GET", "/api/v1/orders/trade", params={**params, "cursor": cursor}, version=V2026).json()
    ten = call(sim, "GET", "/api/v1/orders/trade", params={**params, "size": "10"}, version=V2026).json()
    assert second["data"] == ten["data"][5:] and second["data"] != first["data"]


# --- self-matches ---------------------------------------------------------------------------------


def test_seeded_history_holds_self_match_pairs(real, sim):
    trades = [t for t in every_trade(real) if t["external_id"].startswith("hist-")]
    assert len(trades) == 400
    groups = by_match(trades)
    pairs = [g for g in groups.values() if len(g) == 2]
    assert set(map(len, groups.values())) == {1, 2}
    assert 0.1 < len(pairs) / len(groups) < 0.3  # about one match in five
    for buy, sell in (sorted(pair, key=lambda t: t["side"]) for pair in pairs):
        assert (buy["side"], sell["side"]) == ("BUY", "SELL")
        assert buy["order_id"] != sell["order_id"] and buy["client_id"] == sell["client_id"] == CREDS.user_id
        assert buy["timestamp"] == sell["timestamp"] and buy["trade_price"] == sell["trade_price"]
        assert buy["trade_qty"] == sell["trade_qty"] and {buy["liq_flag"], sell["liq_flag"]} == {"MAKER", "TAKER"}
    assert all(len(g) == 1 for g in by_match(every_trade(sim)).values())


@pytest.fixture
def quiet_real():
    """Real mode with no resting orders and no flow: every balance change comes from our orders."""
    with SimServer(Exchange(seed=41, wire="real"), auto_tick=False) as server:
        yield server


def balances(server):
    lines = call(server, "GET", "/api/v1/balances", params={"client_id": CREDS.user_id}).json()[0]["balances"]
    return {line["asset_id"]: line for line in lines}


def test_two_own_orders_that_cross_self_match_and_balances_stay_consistent(quiet_real):
    server = quiet_real
    btc = market_id(server)
    market = server.exchange.markets[btc]
    quote = call(server, "GET", "/api/v1/markets/quote", params={"instrument_id": btc}).json()[0]["info"]
    price = Decimal(quote["best_bid"]["price"]) + market.spec.price_increment  # inside the spread: rests
    before = balances(server)
    new_order(server, "xm-maker", price=format(price, "f"), qty="0.0030")
    new_order(server, "xm-taker", side="SELL", price=format(price, "f"), qty="0.0030", tif="IOC", stp="NONE")
    step(server)  # both are confirmed in the order sent: the SELL meets the resting BUY
    trades = call(server, "GET", "/api/v1/orders/trade", params=ALL_TRADES).json()
    assert len(trades) == 2
    buy, sell = sorted(trades, key=lambda t: t["side"])
    assert buy["match_id"] == sell["match_id"] and buy["timestamp"] == sell["timestamp"]
    assert (buy["external_id"], buy["liq_flag"]) == ("xm-maker", "MAKER")
    assert (sell["external_id"], sell["liq_flag"]) == ("xm-taker", "TAKER")
    assert buy["order_id"] != sell["order_id"]
    assert Decimal(buy["trade_price"]) == price and Decimal(sell["trade_qty"]) == Decimal("0.0030")
    for trade in trades:
        status = call(server, "GET", f"/api/v1/orders/status/{trade['order_id']}").json()[0]
        assert status["status"] == "FILLED" and Decimal(status["executed_vwap"]) == price
    after = balances(server)
    pyusd, base = server.exchange.asset_ids["PYUSD"], server.exchange.asset_ids["BTC"]
    notional = price * Decimal("0.0030")
    fees = (notional * MAKER_FEE).quantize(EIGHT) + (notional * TAKER_FEE).quantize(EIGHT)
    assert Decimal(after[pyusd]["balance"]) == Decimal(before[pyusd]["balance"]) - fees
    assert Decimal(after[base]["balance"]) == Decimal(before[base]["balance"])
    assert all(Decimal(line["order_hold"]) == 0 for line in after.values())


def test_other_stp_passes_own_resting_order_over(quiet_real):
    server = quiet_real
    btc = market_id(server)
    quote = call(server, "GET", "/api/v1/markets/quote", params={"instrument_id": btc}).json()[0]["info"]
    price = format(Decimal(quote["best_bid"]["price"]) + server.exchange.markets[btc].spec.price_increment, "f")
    new_order(server, "stp-maker", price=price)
    taker = new_order(server, "stp-taker", side="SELL", price=price, tif="IOC", stp="CANCEL_AGGRESSIVE").json()
    step(server)
    trades = call(server, "GET", "/api/v1/orders/trade", params=ALL_TRADES).json()
    # The resting BUY may still fill against the market as it moves; never against the SELL.
    assert all(t["external_id"] == "stp-maker" for t in trades)
    status = call(server, "GET", f"/api/v1/orders/status/{taker['id']}").json()[0]
    assert status["status"] == "CANCELED" and status["exeuted_qty"] == "0"


def expected_balance(start, trades, asset_ids, markets):
    """Every live fill's effect on the client's balances, computed from the trade records alone."""
    totals = {asset_ids[name]: amount for name, amount in start.items()}
    for trade in trades:
        spec = markets[trade["instrument_id"]].spec
        base, quote = asset_ids[spec.base], asset_ids[spec.quote]
        qty, notional = Decimal(trade["trade_qty"]), Decimal(trade["trade_price"]) * Decimal(trade["trade_qty"])
        fee = (notional * Decimal(trade["trade_fee_rate"])).quantize(EIGHT, rounding=ROUND_HALF_EVEN)
        sign = 1 if trade["side"] == "BUY" else -1
        totals[base] += sign * qty
        totals[quote] += -sign * notional - fee
    return totals


def test_demo_flow_self_matches_and_balances_follow_the_trades():
    exchange = Exchange(seed=43, wire="real", demo_flow=True, seed_orders=8)
    with SimServer(exchange, auto_tick=False) as server:
        step(server, 300)
        trades = every_trade(server)
        pairs = [g for g in by_match(trades).values() if len(g) == 2]
        flow_pairs = [p for p in pairs if all(t["external_id"].startswith("self-") for t in p)]
        assert flow_pairs, "the flow crossed its own orders at least once in 300 steps"
        for pair in flow_pairs:
            assert {t["side"] for t in pair} == {"BUY", "SELL"} and len({t["order_id"] for t in pair}) == 2
            assert {t["liq_flag"] for t in pair} == {"MAKER", "TAKER"} and len({t["timestamp"] for t in pair}) == 1
        expected = expected_balance(START_BALANCES, trades, exchange.asset_ids, exchange.markets)
        for asset_id, line in balances(server).items():
            assert Decimal(line["balance"]) == expected[asset_id], exchange.assets[asset_id].name
            assert Decimal(line["order_hold"]) >= 0


# --- health ---------------------------------------------------------------------------------------


def check_health_body(body, status):
    assert set(body) == {"status", "timestamp", "service"}
    assert body["status"] == status and body["service"] == "truex-gateway"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body["timestamp"])
    stamp = datetime.strptime(body["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert abs(stamp.timestamp() - time.time()) < 5


def test_health_degraded_by_default_in_real_mode(real, version):
    response = httpx.get(real.base_url + "/api/v1/health", headers={"X-Truex-Version": version})
    assert response.status_code == 503
    check_health_body(data(response, version), "degraded")
    put_faults(real, health="healthy")
    healthy = httpx.get(real.base_url + "/api/v1/health", headers={"X-Truex-Version": version})
    assert healthy.status_code == 200
    check_health_body(data(healthy, version), "healthy")


def test_health_healthy_in_sim_mode_and_degraded_on_demand(sim):
    response = httpx.get(sim.base_url + "/api/v1/health")
    assert response.status_code == 200
    check_health_body(response.json(), "healthy")
    put_faults(sim, health="degraded")
    degraded = httpx.get(sim.base_url + "/api/v1/health")
    assert degraded.status_code == 503
    check_health_body(degraded.json(), "degraded")


def test_health_fault_refuses_other_values(sim):
    response = httpx.put(sim.base_url + "/_sim/faults", json={"health": "ok"})
    assert response.status_code == 400 and sim.faults.health is None


# --- VWAP quote -----------------------------------------------------------------------------------


def top_of_book(server, instrument_id):
    info = call(server, "GET", "/api/v1/markets/quote", params={"instrument_id": instrument_id}).json()[0]["info"]
    return {side: (Decimal(info[key]["price"]), Decimal(info[key]["qty"]))
            for side, key in (("BUY", "best_ask"), ("SELL", "best_bid"))}


def vwap(server, version, **body):
    return call(server, "POST", "/api/v1/markets/quote", body=body, version=version)


@pytest.mark.parametrize("mode", ["sim", "real"])
@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_vwap_base_units_walks_into_the_second_level(request, mode, side, version):
    server = request.getfixturevalue(mode)
    btc = market_id(server)
    spec = server.exchange.markets[btc].spec
    price, top_qty = top_of_book(server, btc)[side]
    second = price + spec.price_increment if side == "BUY" else price - spec.price_increment
    wanted = top_qty + Decimal("0.0003")
    response = vwap(server, version, instrument_id=btc, qty=format(wanted, "f"), side=side, qty_unit="BASE")
    assert response.status_code == 200
    answer = data(response, version)
    notional = price * top_qty + second * Decimal("0.0003")
    assert Decimal(answer["qty"]) == wanted
    assert Decimal(answer["price"]) == (notional / wanted).quantize(EIGHT, rounding=ROUND_HALF_EVEN)
    if version == V2026:
        assert Decimal(answer["notional"]) == notional and Decimal(answer["notional_residual"]) == 0
    else:
        assert set(answer) == {"qty", "price"}


@pytest.mark.parametrize("mode", ["sim", "real"])
@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_vwap_quote_units_buy_whole_lots_and_report_the_residual(request, mode, side, version):
    server = request.getfixturevalue(mode)
    btc = market_id(server)
    spec = server.exchange.markets[btc].spec
    price, top_qty = top_of_book(server, btc)[side]
    second = price + spec.price_increment if side == "BUY" else price - spec.price_increment
    notional = price * top_qty + second * Decimal("0.0004")
    amount = notional + Decimal("7.25")  # less than one more lot (0.0001 BTC) at the second level
    response = vwap(server, version, instrument_id=btc, qty=format(amount, "f"), side=side, qty_unit="QUOTE")
    assert response.status_code == 200
    answer = data(response, version)
    base = top_qty + Decimal("0.0004")
    assert Decimal(answer["qty"]) == base
    assert Decimal(answer["price"]) == (notional / base).quantize(EIGHT, rounding=ROUND_HALF_EVEN)
    if version == V2026:
        assert Decimal(answer["notional"]) == notional
        assert Decimal(answer["notional_residual"]) == Decimal("7.25")


def test_vwap_quote_units_below_one_lot_buy_nothing_at_the_top_price(real):
    btc = market_id(real)
    ask, _ = top_of_book(real, btc)["BUY"]
    answer = vwap(real, V2026, instrument_id=btc, qty="1.5", side="BUY", qty_unit="QUOTE").json()["data"]
    assert Decimal(answer.pop("price")) == ask
    assert answer == {"qty": "0", "notional": "0", "notional_residual": "1.5"}


def test_unknown_wire_mode_is_refused():
    with pytest.raises(ValueError, match="wire"):
        Exchange(wire="prod")
    with pytest.raises(ValueError, match="wire"):
        SimServer(Exchange(), wire="prod")


def test_vwap_v103_request_in_sim_mode_keeps_quote_and_buy_amount(sim):
    btc = market_id(sim)
    ask, ask_qty = top_of_book(sim, btc)["BUY"]
    amount = (ask * ask_qty / 2).quantize(Decimal("0.01"))  # within the top level
    answer = vwap(sim, None, instrument_id=btc, qty=format(amount, "f")).json()
    bought = (amount / ask).quantize(EIGHT, rounding=ROUND_DOWN)
    tick = sim.exchange.markets[btc].spec.price_increment
    assert set(answer) == {"quote", "buy_amount"}
    assert Decimal(answer["buy_amount"]) == bought
    assert Decimal(answer["quote"]) == (amount / bought).quantize(tick / 100)


def test_vwap_needs_side_and_unit_in_real_mode(real, sim, version):
    btc = market_id(real)
    refused = vwap(real, version, instrument_id=btc, qty="100")
    assert refused.status_code == 400
    problem = refused.json()["error"] if version == V2026 else refused.json()
    assert problem["title"] == "Missing side and qty_unit" and "side" in problem["detail"]
    half = vwap(sim, version, instrument_id=market_id(sim), qty="100", side="BUY")
    problem = half.json()["error"] if version == V2026 else half.json()
    assert half.status_code == 400 and problem["title"] == "Missing qty_unit"
    bad_unit = vwap(real, version, instrument_id=btc, qty="100", side="BUY", qty_unit="USD")
    assert bad_unit.status_code == 400


# --- determinism ----------------------------------------------------------------------------------


def snapshot(server):
    """What a client sees after a stretch of trading, meta request ids included."""
    answers = []
    for path, params in (("/api/v1/markets/quote", None), ("/api/v1/instruments", None),
                         ("/api/v1/orders/list", {"size": "100"}), ("/api/v1/orders/trade", ALL_TRADES),
                         ("/api/v1/balances", None)):
        answers.append(call(server, "GET", path, params=params, version=V2026).json())
    return answers


def test_real_mode_is_deterministic_for_a_seed():
    runs = []
    for seed in (5, 5, 6):
        exchange = Exchange(seed=seed, wire="real", demo_flow=True, clock=lambda: FROZEN, seed_orders=5,
                            seed_trades=40)
        with SimServer(exchange, auto_tick=False) as server:
            step(server, 80)
            runs.append(snapshot(server))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    trades = runs[0][3]["data"]
    assert len(trades) > 40 and len({t["match_id"] for t in trades}) < len(trades)  # pairs are in it
