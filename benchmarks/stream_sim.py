"""The simulator child of the streaming bench: `python -m benchmarks.stream_sim --help`.

`blotter sim` as the streaming bench needs it, in its own process (so its CPU is not the app's):
the same exchange and server (REST and the WebSocket API at /api/v1 on one port), plus, in this
process only (nothing under blotter/ changes):
- every HTTP request is counted by path, outside `/_sim/*`; WebSocket connections and the frames
  sent on them (by channel) apart. `GET /_sim/bench/requests` answers `{"total": n, "by_path":
  {...}, "websockets": n, "frames": {...}, "fills": n, "order_events": n}` (the last two: every
  fill and every order activity the engine made so far);
- with `--fills N`, once `go` is read on stdin, N fills at known moments: each cycle places one
  resting BUY limit order of the trader's client on BTC-PYUSD (external id `bench-<i>`, 5 % under
  the market, so the market never reaches it), waits about half a period (each wait jittered
  +-40 %), then fills part of it as MAKER (`Exchange._fill`, as when the market trades through a
  resting order: the order, the trade, the balances, a market print), and waits the other half.
  Each order and trade has its own price, so its rows can be told apart on screen.
  An engine listener notes each such fill (an `OrderEvent` REPORT_TRADE) with `time.time_ns()`
  taken inside the engine's call; `GET /_sim/bench/fills` answers them, `{"fills": [...], "done": bool}`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from blotter.api.models import OrderInfo
from blotter.sim import Exchange, SimServer
from blotter.sim.engine import EngineEvent, OrderEvent

SYMBOL = "BTC-PYUSD"
PREFIX = "bench-"
FILL_QTY = Decimal("0.0137")  # each fill: this much of a 0.5000 order; the rest stays on the book
ORDER_QTY = Decimal("0.5000")


class CountingApp:
    """The simulator's ASGI app, counting HTTP requests by path (`/_sim/*` apart) and answering
    the bench's own `/_sim/bench/*` routes."""

    def __init__(self, app: Any, fills: FillLog) -> None:
        self.app = app
        self.fills = fills
        self.by_path: Counter[str] = Counter()
        self.websockets = 0
        self.frames: Counter[str] = Counter()  # WebSocket frames sent, by channel
        self.lock = threading.Lock()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "websocket":
            with self.lock:
                self.websockets += 1
            return await self.app(scope, receive, self._counting(send))
        elif scope["type"] == "http":
            if path == "/_sim/bench/requests":
                with self.lock:
                    body = {"total": sum(self.by_path.values()), "by_path": dict(self.by_path),
                            "websockets": self.websockets, "frames": dict(self.frames), "fills": self.fills.all_fills,
                            "order_events": self.fills.order_events}
                return await _json(send, body)
            if path == "/_sim/bench/fills":
                return await _json(send, self.fills.as_dict())
            if not path.startswith("/_sim/"):
                with self.lock:
                    self.by_path[f"{scope.get('method', '?')} {path}"] += 1
        await self.app(scope, receive, send)


    def _counting(self, send: Any) -> Any:
        async def counted(message: dict) -> None:
            text = message.get("text") if message["type"] == "websocket.send" else None
            if text and text.startswith('{"channel":"'):  # the hub writes the channel first
                channel = text[12:text.find('"', 12)]
                with self.lock:
                    self.frames[channel] += 1
            await send(message)

        return counted


async def _json(send: Any, body: dict) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


class FillLog:
    """The engine listener: the wall-clock time of each fill of a bench order, taken as it happens."""

    def __init__(self) -> None:
        self.fills: list[dict] = []
        self.done = False
        self.all_fills = 0  # every fill of any order (the demo flow's, the market's through resting ones)
        self.order_events = 0  # every order activity (what the drop copy reports)

    def __call__(self, event: EngineEvent) -> None:
        # Called with the engine's lock held: note and return.
        if isinstance(event, OrderEvent):
            self.order_events += 1
        if isinstance(event, OrderEvent) and event.msg_type == "REPORT_TRADE" and event.trade is not None:
            at = time.time_ns()
            self.all_fills += 1
            if (event.order.external_id or "").startswith(PREFIX):
                trade = event.trade
                self.fills.append({
                    "at_ns": at, "external_id": event.order.external_id, "order_id": event.order.id,
                    "price": str(trade.trade_price), "qty": str(trade.trade_qty),
                    "leaves": str(event.order.leaves_qty), "executed": str(event.order.executed_qty),
                })

    def as_dict(self) -> dict:
        return {"fills": list(self.fills), "done": self.done}


def fill_loop(exchange: Exchange, log: FillLog, count: int, period: float) -> None:
    # Each wait is jittered (+-40 %, seeded), so the fills do not keep one phase against the polls.
    jitter = random.Random(count)
    with exchange.lock:
        market = next(m for m in exchange.markets.values() if m.spec.symbol == SYMBOL)
        base = (market.mid * Decimal("0.95")).to_integral_value()
    for index in range(count):
        price = base + index  # a whole number: a multiple of the 0.5 increment, its own per order
        info = OrderInfo(client_id=exchange.user_id, instrument_id=market.instrument.id, side="BUY", type="LIMIT",
                         qty=ORDER_QTY, price=price, tif="GTC")
        with exchange.lock:
            created = exchange.create_order(f"{PREFIX}{index}", info, parent_id="2")
            order = exchange.orders[created.id]
            exchange._confirm(order)  # noqa: SLF001 - the bench's own simulator: resting at once
        time.sleep(period / 2 * jitter.uniform(0.6, 1.4))
        with exchange.lock:
            if order.status == "ACTIVE":
                exchange._fill(order, price, FILL_QTY, "MAKER")  # noqa: SLF001 - a fill at a known moment
        time.sleep(period / 2 * jitter.uniform(0.6, 1.4))
    log.done = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stream_sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders", type=int, default=10, help="resting orders seeded (default 10, as blotter sim)")
    parser.add_argument("--trades", type=int, default=100, help="historical fills (default 100, as blotter sim)")
    parser.add_argument("--tick", action=argparse.BooleanOptionalAction, default=True,
                        help="step the market every 0.5 s (default on, as blotter sim)")
    parser.add_argument("--flow", action=argparse.BooleanOptionalAction, default=True,
                        help="demo order flow: the trader's orders placed and canceled (default on, as blotter sim)")
    parser.add_argument("--fills", type=int, default=0, help="fills to make after `go` on stdin (default none)")
    parser.add_argument("--period", type=float, default=1.0, help="seconds per fill cycle (default 1)")
    args = parser.parse_args(argv)

    exchange = Exchange(seed=args.seed, demo_flow=args.flow)
    exchange.seed_orders(args.orders)
    exchange.seed_trades(args.trades)
    fills = FillLog()
    exchange.listeners.append(fills)
    server = SimServer(exchange, port=0, auto_tick=args.tick)
    server.app = CountingApp(server.app, fills)  # before start(): uvicorn serves `server.app`
    server.start()
    print(f"export TRUEX_BASE_URL={server.base_url}", flush=True)
    print(f"export TRUEX_WS_URL={server.ws_url}", flush=True)
    try:
        for line in sys.stdin:  # EOF (the bench went away) stops the simulator
            if line.strip() == "go" and args.fills:
                threading.Thread(target=fill_loop, args=(exchange, fills, args.fills, args.period),
                                 daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
