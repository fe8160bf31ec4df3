"""`blotter --demo`: the simulated exchange on a free loopback port, and a client for it.

`blotter --demo` runs the simulator as its own process (`spawn_demo_server`), as a real exchange
would be: it then never competes with the screen for the interpreter, and its CPU is its own.
Tests and screenshots use `start_demo_server`, which runs it in a thread of the calling process.
Both take `wire` ("sim", the default, or "real": what the real exchange may send, see
`blotter.sim.dialect`) and `rate_limit_per_minute` (the simulator's rate-limit fault).
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import Credentials, TrueXClient

DEMO_ORDERS = 25
DEMO_TRADES = 300


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

    It starts at once; `base_url` waits for it to serve, so the caller can load the rest of the
    program meanwhile."""

    def __init__(self, seed: int = 7, *, orders: int = DEMO_ORDERS, trades: int = DEMO_TRADES,
                 timeout: float = 30.0, wire: str = "sim", rate_limit_per_minute: int | None = None) -> None:
        command = [
            sys.executable, "-m", "blotter", "sim", "--port", "0", "--seed", str(seed),
            "--seed-orders", str(orders), "--seed-trades", str(trades), "--exit-with-parent", "--wire", wire,
        ]
        if rate_limit_per_minute is not None:
            command += ["--rate-limit", str(rate_limit_per_minute)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self._timeout = timeout
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            self._base_url = self._read_url(self._timeout)
            # Keep reading what it prints, so that a full pipe can never block it.
            threading.Thread(target=self._drain, name="demo-sim-output", daemon=True).start()
        return self._base_url

    def _read_url(self, timeout: float) -> str:
        assert self.process.stdout is not None
        timer = threading.Timer(timeout, self.process.kill)
        timer.start()
        try:
            for line in self.process.stdout:
                found = re.search(r"serving (http://[0-9.]+:[0-9]+)/", line)
                if found:
                    return found.group(1)
        finally:
            timer.cancel()
        self.stop()
        raise RuntimeError("the demo exchange did not start")

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for _ in self.process.stdout:
            pass

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
