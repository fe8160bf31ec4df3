"""A lower bound for the blotter's first data: the minimal app (minimal_app.py), after fetching the
active orders the way the blotter does. It imports pydantic, pydantic-settings and httpx, reads the
settings, and builds the wire models' validators. Then it makes the client and sends one signed
request. No dashboard is composed, so the blotter cannot show data sooner than this app paints.

The cycle collector is off, as in the blotter's start. Run as a script, with the TRUEX_* variables
of a running simulator.
"""

import asyncio
import gc

gc.disable()

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Static  # noqa: E402

from blotter.api.models import build_validators  # noqa: E402
from blotter.config import load_settings  # noqa: E402


async def active_orders() -> int:
    settings = load_settings()
    async with settings.client(settings.credentials()) as client:
        return len((await client.active_orders()).items)


class Floor(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, orders: int) -> None:
        super().__init__()
        self.orders = orders

    def compose(self) -> ComposeResult:
        yield Static(f"FLOOR-READY: {self.orders} active orders")


if __name__ == "__main__":
    build_validators()
    Floor(asyncio.run(active_orders())).run()
