"""The demo flow trades both ways on every instrument soon after start, so a positions and P&L
view has something to show: a buy and a sell of one instrument realize P&L, a net position left
open has unrealized P&L. Headless: the engine stepped as the server's auto-tick would step it."""

import inspect
from collections import Counter
from decimal import Decimal

import pytest

from blotter.demo import DEMO_ORDERS, DEMO_TRADES
from blotter.sim import Exchange, SimServer

FROZEN = 1_790_000_000_000_000_000
MINUTES = 2
TICK_SECONDS = inspect.signature(SimServer).parameters["tick_interval"].default
TICKS = int(MINUTES * 60 / TICK_SECONDS)  # two simulated minutes of the server's auto-tick


@pytest.mark.parametrize(
    ("seed", "orders", "trades"),
    [(7, 0, 0), (7, DEMO_ORDERS, DEMO_TRADES), (3, 0, 0)],
    ids=["seed-7", "seed-7-as-blotter-demo", "seed-3"],
)
def test_the_trader_buys_and_sells_every_instrument_within_two_minutes(seed, orders, trades):
    exchange = Exchange(seed=seed, demo_flow=True, clock=lambda: FROZEN, seed_orders=orders, seed_trades=trades)
    for _ in range(TICKS):
        exchange.step()
    fills = exchange.trades_since(FROZEN, {exchange.user_id})  # the seeded history is older than FROZEN
    symbols = {market.instrument.id: market.spec.symbol for market in exchange.markets.values()}
    sides = Counter((symbols[fill.instrument_id], str(fill.side)) for fill in fills)
    net: dict[str, Decimal] = {symbol: Decimal(0) for symbol in symbols.values()}
    for fill in fills:
        net[symbols[fill.instrument_id]] += fill.trade_qty if str(fill.side) == "BUY" else -fill.trade_qty
    for symbol in symbols.values():
        assert sides[(symbol, "BUY")] >= 1 and sides[(symbol, "SELL")] >= 1, (symbol, dict(sides))
    assert any(net.values()), net  # some position is left open: unrealized P&L to show
