import pytest
from pydantic import SecretStr

from blotter.api import Credentials, RetryPolicy, TrueXClient
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

FROZEN_NS = 1_790_000_000_000_000_000


@pytest.fixture(scope="module")
def sim():
    exchange = Exchange(seed=11)
    exchange.seed_trades(250)
    with SimServer(exchange, auto_tick=False) as server:
        yield server


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(
        user_id=DEMO_CREDENTIALS.user_id, key_id=DEMO_CREDENTIALS.key, secret=SecretStr(DEMO_CREDENTIALS.secret)
    )


@pytest.fixture(params=["v2024_01_01", "v2026_01_23"])
def api_version(request) -> str:
    return request.param


@pytest.fixture
async def client(sim, credentials, api_version):
    async with TrueXClient(
        sim.base_url, credentials=credentials, api_version=api_version, retry=RetryPolicy(attempts=1)
    ) as client:
        yield client
