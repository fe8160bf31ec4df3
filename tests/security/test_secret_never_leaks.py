"""A whole session with a distinctive secret: it must appear in no output of any kind.

The app runs headless against a simulator that accepts the canary secret: it polls, sends an order
(audit log), saves a screenshot, logs at DEBUG (httpx and httpcore included), meets a 401 from a
wrong secret, and the CLI prints `config show` and `call` output. Every artefact is searched.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import traceback
from decimal import Decimal

import pytest
from pydantic import SecretStr

from blotter.api import Credentials, RetryPolicy, TrueXClient, TrueXError
from blotter.api.models import NewOrder, OrderInfo
from blotter.config import Settings, load_settings
from blotter.core.feeds import FakeClock
from blotter.core.order_ticket import new_external_id
from blotter.sim import AcceptedKey
from blotter.sim import Exchange, SimServer
from blotter.ui.app import create_app

CANARY = "S3cr3t-canary-XYZ"
WRONG = "S3cr3t-canary-WRONG-QQQ"
USER = "78932725357888855"
KEY = "6f1d2c3b-4a59-4e7f-8a1b-9c0d1e2f3a4b"
FROZEN = 1_790_000_000_000_000_000


def leaks(text: str) -> list[str]:
    return [s for s in (CANARY, WRONG) if s in text]


@pytest.fixture
def sim():
    credentials = AcceptedKey(user_id=USER, key=KEY, secret=CANARY)
    with SimServer(Exchange(seed=8, clock=lambda: FROZEN, user_id=USER, seed_orders=3), credentials=credentials,
                   auto_tick=False) as server:
        yield server


def cli(sim, *args, secret=CANARY):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUEX_", "BLOTTER_"))}
    env.update(TRUEX_BASE_URL=sim.base_url, TRUEX_USER_ID=USER, TRUEX_API_KEY=KEY, TRUEX_API_SECRET=secret,
               BLOTTER_CONFIG="/nonexistent/blotter.toml")
    result = subprocess.run([sys.executable, "-m", "blotter", *args], capture_output=True, text=True, env=env,
                            timeout=60)
    return result


async def test_the_secret_appears_in_no_artefact(sim, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # root: httpx, httpcore, asyncio, textual, blotter
    for name in ("httpx", "httpcore", "blotter"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    artefacts: dict[str, str] = {}

    settings = Settings(_env_file=None, user_id=USER, api_key=KEY, api_secret=CANARY, environment="TEST")
    credentials = settings.credentials()
    client = TrueXClient(sim.base_url, credentials=credentials, retry=RetryPolicy(attempts=1))
    audit = tmp_path / "audit.jsonl"
    app = create_app(client, settings, clock=FakeClock(), audit_path=audit)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        deadline = time.monotonic() + 10
        while not (app.ready and all(f.successes for f in app.feeds if not f.paused)):
            assert time.monotonic() < deadline, "no first poll"
            await pilot.pause(0.01)
        market = next(i for i in app.catalog.instruments.values() if i.info.symbol == "BTC-PYUSD")
        order = NewOrder(external_id=new_external_id(), info=OrderInfo(
            client_id=USER, instrument_id=market.id, side="BUY", type="LIMIT", qty=Decimal("0.001"),
            price=Decimal("1000")))
        outcome = await app.order_service.submit(order)
        assert outcome.ok, outcome.message
        app.save_screenshot(filename="shot.svg", path=str(tmp_path))
        artefacts["notifications"] = "\n".join(str(n.message) for n in app._notifications)
        artefacts["app repr"] = repr(app) + repr(app.client) + repr(app.client._http.auth) + repr(app.settings)
    artefacts["screenshot"] = (tmp_path / "shot.svg").read_text()
    artefacts["audit log"] = audit.read_text()
    assert order.external_id in artefacts["audit log"]  # the log is real, not empty

    # A request refused for a wrong secret: its str, repr and traceback
    async with TrueXClient(sim.base_url, credentials=Credentials(USER, KEY, SecretStr(WRONG)),
                           retry=RetryPolicy(attempts=1)) as wrong:
        with pytest.raises(TrueXError) as refused:
            await wrong.balances()
        artefacts["client repr"] = repr(wrong) + repr(wrong._http.auth) + repr(wrong.credentials)
    assert refused.value.status == 401
    artefacts["401 error"] = str(refused.value) + repr(refused.value) + "".join(
        traceback.format_exception(refused.value))

    # Settings and credentials, however they are printed
    loaded = Settings(_env_file=None, api_secret=CANARY, user_id=USER, api_key=KEY)
    artefacts["settings"] = (repr(loaded) + str(loaded) + loaded.model_dump_json() + str(loaded.model_dump())
                             + repr(loaded.credentials()) + str(loaded.credentials()))

    # The command line
    shown = cli(sim, "config", "show")
    assert shown.returncode == 0, shown.stderr
    artefacts["config show"] = shown.stdout + shown.stderr
    called = cli(sim, "call", "GET", "/api/v1/balances")
    assert called.returncode == 0, called.stderr
    artefacts["call"] = called.stdout + called.stderr
    refused_cli = cli(sim, "call", "GET", "/api/v1/balances", secret=WRONG)
    assert refused_cli.returncode == 1 and "401" in refused_cli.stderr
    artefacts["call refused"] = refused_cli.stdout + refused_cli.stderr

    artefacts["logs"] = "\n".join(
        record.getMessage() + repr(record.args) + (record.exc_text or "") for record in caplog.records)
    assert any(record.name.startswith("httpx") for record in caplog.records)  # DEBUG logs were on

    found = {name: leaks(text) for name, text in artefacts.items() if leaks(text)}
    assert not found, found
    assert all(text for name, text in artefacts.items() if name != "notifications")


def test_secret_from_the_environment_is_never_echoed(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUEX_API_SECRET", CANARY)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "absent.toml"))
    settings = load_settings(overrides={"user_id": USER, "api_key": KEY})
    assert settings.api_secret is not None and settings.api_secret.get_secret_value() == CANARY
    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.credentials())):
        assert not leaks(text)
