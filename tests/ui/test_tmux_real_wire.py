"""The real `blotter` in tmux against `blotter sim --wire real` (what the real exchange may send):
every order and every trade shown (both sides of a self-match), no sentinel as a price, a time for
every order, in both API versions; and at 80x24 a ticket typed and sent with keys only."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is missing")]

BIN = Path(sys.executable).parent
TIME = re.compile(r"~?\d\d:\d\d:\d\d\.\d{3}")


@pytest.fixture(scope="module")
def real_sim(tmp_path_factory):
    process = subprocess.Popen(
        [str(BIN / "blotter"), "sim", "--wire", "real", "--port", "0", "--seed", "5", "--seed-orders", "12",
         "--seed-trades", "60", "--no-demo-flow", "--no-tick"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    env = {}
    for line in process.stdout:
        found = re.search(r"export (TRUEX_\w+)=(\S+)", line)
        if found:
            env[found.group(1)] = found.group(2)
        if "Stop: ctrl+c" in line:
            break
    state = tmp_path_factory.mktemp("state")
    env.update(HOME=str(state), XDG_STATE_HOME=str(state / "state"), XDG_CONFIG_HOME=str(state / "config"))
    yield env
    process.terminate()
    process.wait(timeout=10)


def sim_get(env, path, version="v2024_01_01"):
    """What the exchange itself says, through `blotter call` (signed, as a trader would)."""
    result = subprocess.run(
        [str(BIN / "blotter"), "call", "GET", path, "--api-version", version, "-q", "size=100",
         "-q", "timestamp=1000000000000000000"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(result.stdout)


class Tmux:
    def __init__(self, env, width, height, command):
        self.name = f"blotter-{uuid.uuid4().hex[:8]}"
        self.base = ["tmux", "-L", self.name]
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run([*self.base, "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        # a moment first: the window takes its size after the session starts
                        f"sleep 0.5; env {exports} {command}; echo EXITED=$?; sleep 30"], check=True)

    def screen(self) -> str:
        return subprocess.run([*self.base, "capture-pane", "-p", "-t", self.name], capture_output=True,
                              text=True).stdout

    def keys(self, *keys):
        for key in keys:
            subprocess.run([*self.base, "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.15)

    def wait(self, predicate, timeout=25.0) -> str:
        deadline = time.monotonic() + timeout
        text = self.screen()
        while not predicate(text):
            if time.monotonic() > deadline:
                raise AssertionError(f"screen never matched:\n{text}")
            time.sleep(0.3)
            text = self.screen()
        return text

    def close(self):
        subprocess.run([*self.base, "kill-server"], capture_output=True)


@pytest.mark.parametrize("version", ["v2024_01_01", "v2026_01_23"])
def test_every_order_and_trade_of_a_real_shaped_exchange_is_shown(real_sim, version):
    orders = sim_get(real_sim, "/api/v1/orders/active")
    trades = sim_get(real_sim, "/api/v1/orders/trade")
    assert any("timestamp" not in o for o in orders) and any(o.get("executed_vwap") == "" for o in orders)
    match_ids = [t["match_id"] for t in trades]
    assert len(match_ids) > len(set(match_ids))  # the exchange sent self-matches: one match id, two trades
    session = Tmux({**real_sim, "TRUEX_API_VERSION": version}, 200, 60, str(BIN / "blotter"))
    try:
        text = session.wait(lambda t: f"{len(orders)} rows" in t and f"of {len(trades)}" in t and "AVAX-PYUSD" in t)
        assert f"showing {len(trades)} of {len(trades)}" in text  # both sides of every match: none merged
        assert "170,141,183" not in text and "170141183" not in text  # a sentinel is never a price
        assert "no bid" in text or "no ask" in text  # the empty side says so
        order_lines = [line for line in text.splitlines() if any(o["id"] in line for o in orders)]
        assert order_lines and all(TIME.search(line) for line in order_lines), text  # a time for every order
        session.keys("q")
        assert "EXITED=0" in session.wait(lambda t: "EXITED=" in t)
    finally:
        session.close()


def test_a_ticket_typed_with_keys_only_at_80x24_is_sent(real_sim):
    before = httpx.get(real_sim["TRUEX_BASE_URL"] + "/_sim/orders/requests").json()
    session = Tmux(real_sim, 80, 24, str(BIN / "blotter"))
    try:
        session.wait(lambda t: "rows" in t and "? Help" in t)
        session.keys("n")
        session.wait(lambda t: "New order" in t and "Submit" in t)
        # Focus starts in Quantity; the price is prefilled from the book (the bid, for a BUY).
        session.keys("0", ".", "0", "2", "Tab")
        ticket = session.wait(lambda t: "Price" in t and "0.02" in t)
        session.keys("C-s")
        session.wait(lambda t: "Submit (ctrl+s)" not in t)
        deadline = time.monotonic() + 15
        created = []
        while time.monotonic() < deadline and not created:
            requests = httpx.get(real_sim["TRUEX_BASE_URL"] + "/_sim/orders/requests").json()
            created = [r for r in requests[len(before):] if r["action"] == "create"]
            time.sleep(0.3)
        assert len(created) == 1  # sent once
        order = sim_get(real_sim, f"/api/v1/orders/status/{created[0]['order_id']}")[0]
        assert Decimal(order["order_info"]["qty"]) == Decimal("0.02")
        price = Decimal(order["order_info"]["price"])
        assert f"{price:,f}" in ticket  # the price the ticket showed is the price sent
        session.keys("q")
        assert "EXITED=0" in session.wait(lambda t: "EXITED=" in t)
    finally:
        session.close()
