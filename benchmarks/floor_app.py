"""Lower bounds for the blotter's first data: the minimal app (minimal_app.py), painting only once it
holds data fetched over HTTP.

- `floor_app.py` fetches the active orders the way the blotter does. It imports pydantic,
  pydantic-settings and httpx, reads the settings, builds the wire models' validators, makes the
  client and sends one signed request.
- `floor_app.py libraries` uses the same libraries and nothing of the blotter: a one-field settings
  class, one unsigned GET of /health, read into a one-field model.

Neither composes a dashboard, so the blotter cannot show data sooner than they paint. The cycle
collector is off, as in the blotter's start. Run as a script, with the TRUEX_* variables of a
running simulator.
"""

import asyncio
import gc
import sys

gc.disable()

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Static  # noqa: E402


async def active_orders() -> str:
    from blotter.config import load_settings

    settings = load_settings()
    async with settings.client(settings.credentials()) as client:
        return f"{len((await client.active_orders()).items)} active orders"


def health() -> str:
    sys.modules.setdefault("httpx._main", None)  # as blotter.api does: not httpx's command line
    import httpx
    from pydantic import BaseModel
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Where(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="TRUEX_")
        base_url: str
        api_prefix: str = "/api/v1"

    class Health(BaseModel):
        status: str | None = None

    where = Where()
    return f"health {Health.model_validate(httpx.get(where.base_url + where.api_prefix + '/health').json()).status}"


class Floor(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, fetched: str) -> None:
        super().__init__()
        self.fetched = fetched

    def compose(self) -> ComposeResult:
        yield Static(f"FLOOR-READY: {self.fetched}")


if __name__ == "__main__":
    if sys.argv[1:] == ["libraries"]:
        fetched = health()
    else:
        from blotter.api.models import build_validators

        build_validators()
        fetched = asyncio.run(active_orders())
    Floor(fetched).run()
