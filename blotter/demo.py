"""`blotter --demo`: the simulated exchange on a free loopback port, and a client for it.

`blotter --demo` runs the simulator as its own process (`spawn_demo_server`), as a real exchange
would be: it then never competes with the screen for the interpreter, and its CPU is its own.
Tests and screenshots use `start_demo_server`, which runs it in a thread of the calling process.
Both take `wire` ("sim", the default, or "real": what the real exchange may send, see
`blotter.sim.dialect`) and `rate_limit_per_minute` (the simulator's rate-limit fault).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import Credentials, TrueXClient

DEMO_ORDERS = 25
DEMO_TRADES = 300
LISTEN_BACKLOG = 64  # connections the demo's socket holds before the simulator accepts them


def demo_credentials() -> Credentials:
    from pydantic import SecretStr

    from .api import Credentials
    from .sim import DEMO_CREDENTIALS

    return Credentials(
        user_id=DEMO_CREDENTIALS.user_id, key_id=DEMO_CREDENTIALS.key, secret=SecretStr(DEMO_CREDENTIALS.secret)
    )


def demo_organization() -> str:
    from .sim import DEMO_CREDENTIALS

    return DEMO_CREDENTIALS.organization_id


def start_demo_server(
    seed: int = 7,
    *,
    orders: int = DEMO_ORDERS,
    trades: int = DEMO_TRADES,
    demo_flow: bool = True,
    auto_tick: bool = True,
    clock: Callable[[], int] | None = None,
    faults: Any = None,
    wire: str = "sim",
    rate_limit_per_minute: int | None = None,
) -> Any:
    """A started `SimServer` (its own thread) holding a seeded exchange. Stop it with `.stop()`."""
    from .sim import Exchange, SimServer

    kwargs: dict[str, Any] = {"seed": seed, "demo_flow": demo_flow, "wire": wire}
    if clock is not None:
        kwargs["clock"] = clock
    exchange = Exchange(**kwargs)
    if orders:
        exchange.seed_orders(orders)
    if trades:
        exchange.seed_trades(trades)
    server_kwargs: dict[str, Any] = {"port": 0, "auto_tick": auto_tick, "wire": wire,
                                     "rate_limit_per_minute": rate_limit_per_minute}
    if faults is not None:
        server_kwargs["faults"] = faults
    server = SimServer(exchange, **server_kwargs)
    server.start()
    return server


def demo_client(server: Any, **kwargs: Any) -> TrueXClient:
    from .api import TrueXClient

    return TrueXClient(server.base_url, credentials=demo_credentials(), **kwargs)


class DemoProcess:
    """A `blotter sim` child process serving the demo market; `stop()` ends it. It also ends by
    itself when this process goes (`--exit-with-parent`), however this process ends.

    This process binds the listening socket and hands it down (`--fd`), so `base_url` is known at
    once: the dashboard is built, and its first requests go out, while the simulator is still
    starting; they wait in the socket's queue and are answered as soon as it serves. If it never
    does (it failed), the socket closes with it and they are refused."""

    def __init__(self, seed: int = 7, *, orders: int = DEMO_ORDERS, trades: int = DEMO_TRADES,
                 timeout: float = 30.0, wire: str = "sim", rate_limit_per_minute: int | None = None) -> None:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", 0))
        listening.listen(LISTEN_BACKLOG)
        self.base_url = "http://127.0.0.1:{}".format(listening.getsockname()[1])
        command = [
            sys.executable, "-m", "blotter", "sim", "--fd", str(listening.fileno()), "--seed", str(seed),
            "--seed-orders", str(orders), "--seed-trades", str(trades), "--exit-with-parent", "--wire", wire,
        ]
        if rate_limit_per_minute is not None:
            command += ["--rate-limit", str(rate_limit_per_minute)]
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                pass_fds=(listening.fileno(),),
            )
        finally:
            listening.close()  # the child's copy is the only one: if it ends, connections are refused
        self._timeout = timeout
        self._serving = threading.Event()
        # Read what it prints (so that a full pipe can never block it) and note when it serves.
        threading.Thread(target=self._watch, name="demo-sim-output", daemon=True).start()

    def _watch(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if not self._serving.is_set() and "serving http://" in line:
                self._serving.set()

    def wait_serving(self, timeout: float | None = None) -> None:
        """Until the simulator answers requests; it is stopped, and RuntimeError raised, if it does
        not in time (`timeout`, else the one given at start) or ended first."""
        deadline = time.monotonic() + (self._timeout if timeout is None else timeout)
        while not self._serving.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the demo exchange did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn_demo_server(seed: int = 7, **kwargs: Any) -> DemoProcess:
    return DemoProcess(seed, **kwargs)
