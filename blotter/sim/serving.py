"""`SimServer`: the simulated exchange served by uvicorn on loopback, in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time

import uvicorn

from .asgi import exchange_app
from .engine import Exchange
from .fault_injection import FaultConfig
from .signing import DEMO_CREDENTIALS, AcceptedKey


class SimServer:
    """Start with `start()` (or `with SimServer(...) as server:`); `base_url` is then set.

    With `auto_tick` the market steps every `tick_interval` seconds in the server's own loop.
    `restart()` stops and serves again on the same port, keeping the exchange's state.
    `wire` ("sim" or "real", see `dialect`) builds the exchange in that mode when none is given;
    None speaks the given exchange's own mode. `rate_limit_per_minute` sets that fault at start.
    The WebSocket stream API is served on the same port (`ws_url`); `stop()` closes its sockets.
    """

    def __init__(
        self,
        exchange: Exchange | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: AcceptedKey = DEMO_CREDENTIALS,
        faults: FaultConfig | None = None,
        tick_interval: float = 0.5,
        auto_tick: bool = True,
        lenient_userid: bool = False,
        wire: str | None = None,
        rate_limit_per_minute: int | None = None,
    ) -> None:
        self.exchange = exchange or Exchange(user_id=credentials.user_id, organization_id=credentials.organization_id,
                                             wire=wire or "sim")
        self.wire = wire or self.exchange.wire
        self.host = host
        self.port = port
        self.credentials = credentials
        self.faults = faults or FaultConfig()
        if rate_limit_per_minute is not None:
            self.faults.update({"rate_limit_per_minute": rate_limit_per_minute})
        self.tick_interval = tick_interval
        self.auto_tick = auto_tick
        self.app = exchange_app(self.exchange, credentials=credentials, faults=self.faults,
                              lenient_userid=lenient_userid, wire=self.wire)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/api/v1"

    def _socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Without it every answer on a kept-alive connection waits ~40 ms for a delayed ACK
        # (measured by `make bench`); accepted sockets inherit the option on Linux.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        return sock

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                self.exchange.step()
            except Exception:  # noqa: BLE001 - a bad tick must not stop the market
                logging.getLogger(__name__).exception("simulator step failed")

    async def _serve(self, sock: socket.socket) -> None:
        ticker = asyncio.create_task(self._tick()) if self.auto_tick else None
        try:
            assert self._server is not None
            await self._server.serve(sockets=[sock])
        finally:
            if ticker:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker

    def start(self) -> SimServer:
        sock = self._socket()
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, date_header=False, server_header=False,
            lifespan="off", timeout_graceful_shutdown=1,
            ws="websockets-sansio",  # the legacy "websockets" protocol warns of its deprecation
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign] - not the main thread
        self._stopped.clear()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(sock)), name="sim-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None
        self._stopped.set()

    def restart(self) -> None:
        self.stop()
        self.start()

    def wait(self, *, parent: int | None = None) -> None:
        """Block until stopped (for `blotter sim` in the foreground); with `parent`, also return
        when that process has gone (we were reparented), so a demo's simulator never outlives it."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)
            if parent is not None and os.getppid() != parent:
                return

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
