"""A simulator process for the bench: `python -m benchmarks.simproc --help`.

Unlike `blotter sim` it can hold the market still (no tick, no demo flow), so the only change on
screen is the one this process makes: with `wiggle` on, it moves one order's price by one
increment each second (that order's Price cell is the one changed cell). Control on stdin:
`wiggle on` / `wiggle off`.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from blotter.sim import Exchange, SimServer


def wiggle(exchange: Exchange, enabled: threading.Event, period: float) -> None:
    """Move the newest active order's price one increment up, then back down, each `period`."""
    with exchange.lock:
        order = max((o for o in exchange.orders.values() if o.status == "ACTIVE"), key=lambda o: o.created)
        increment = exchange.markets[order.instrument_id].spec.price_increment
    step = increment
    while True:
        time.sleep(period)
        if not enabled.is_set():
            continue
        with exchange.lock:
            # Only the price moves (fingerprint: price and update time), so only one cell changes.
            order.price += step
            order._original_price = order.price
            order.updated = exchange.now()
        step = -step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simproc", description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders", type=int, default=25, help="resting orders (default 25)")
    parser.add_argument("--trades", type=int, default=300, help="historical fills (default 300)")
    parser.add_argument("--tick", action=argparse.BooleanOptionalAction, default=False,
                        help="step the market every 0.5 s (default off)")
    parser.add_argument("--flow", action=argparse.BooleanOptionalAction, default=False,
                        help="demo order flow (default off)")
    parser.add_argument("--period", type=float, default=1.0, help="seconds between wiggles (default 1)")
    args = parser.parse_args(argv)

    exchange = Exchange(seed=args.seed, demo_flow=args.flow)
    exchange.seed_orders(args.orders)
    exchange.seed_trades(args.trades)
    server = SimServer(exchange, port=0, auto_tick=args.tick).start()
    enabled = threading.Event()
    if args.orders:
        threading.Thread(target=wiggle, args=(exchange, enabled, args.period), daemon=True).start()
    print(f"export TRUEX_BASE_URL={server.base_url}", flush=True)
    try:
        for line in sys.stdin:  # EOF (the bench went away) stops the simulator
            if line.strip() == "wiggle on":
                enabled.set()
            elif line.strip() == "wiggle off":
                enabled.clear()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
