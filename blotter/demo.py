"""`blotter --demo`: the simulated exchange in-process on a free loopback port, and a client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr

from .api import Credentials, TrueXClient

DEMO_ORDERS = 25
DEMO_TRADES = 300


def demo_credentials() -> Credentials:
    from .sim import DEMO_CREDENTIALS

    return Credentials(
        user_id=DEMO_CREDENTIALS.user_id, key_id=DEMO_CREDENTIALS.key, secret=SecretStr(DEMO_CREDENTIALS.secret)
    )


def start_demo_server(
    seed: int = 7,
    *,
    orders: int = DEMO_ORDERS,
    trades: int = DEMO_TRADES,
    demo_flow: bool = True,
    auto_tick: bool = True,
    clock: Callable[[], int] | None = None,
    faults: Any = None,
) -> Any:
    """A started `SimServer` (its own thread) holding a seeded exchange. Stop it with `.stop()`."""
    from .sim import Exchange, SimServer

    kwargs: dict[str, Any] = {"seed": seed, "demo_flow": demo_flow}
    if clock is not None:
        kwargs["clock"] = clock
    exchange = Exchange(**kwargs)
    if orders:
        exchange.seed_orders(orders)
    if trades:
        exchange.seed_trades(trades)
    server_kwargs: dict[str, Any] = {"port": 0, "auto_tick": auto_tick}
    if faults is not None:
        server_kwargs["faults"] = faults
    server = SimServer(exchange, **server_kwargs)
    server.start()
    return server


def demo_client(server: Any, **kwargs: Any) -> TrueXClient:
    return TrueXClient(server.base_url, credentials=demo_credentials(), **kwargs)


@contextmanager
def demo_exchange(seed: int = 7, **kwargs: Any) -> Iterator[Any]:
    server = start_demo_server(seed, **kwargs)
    try:
        yield server
    finally:
        server.stop()
