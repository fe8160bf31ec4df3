"""The real `blotter --demo` in a detached tmux session at 120x40."""

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.tmux

BLOTTER = Path(sys.executable).parent / "blotter"


def _sim_available() -> bool:
    try:
        from blotter.sim import SimServer  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is missing")
@pytest.mark.skipif(not _sim_available(), reason="blotter.sim is not available yet")
def test_demo_in_tmux():
    session = f"blotter-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", session]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
         f"{BLOTTER} --demo --seed 7; echo EXITED=$?; sleep 30"],
        check=True,
    )
    try:
        def screen() -> str:
            return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

        deadline = time.monotonic() + 20
        text = ""
        while time.monotonic() < deadline:
            text = screen()
            wanted = ("DEMO", "Active orders", "Trades, last 24 h", "Quotes", "Balances", "BTC-PYUSD", "ETH-PYUSD",
                      "fees hold", "showing", "rows")
            if all(part in text for part in wanted):  # a passing toast may cover a corner for a moment
                break
            time.sleep(0.3)
        assert "DEMO" in text
        assert "Active orders" in text and "Trades, last 24 h" in text
        assert "Quotes" in text and "Balances" in text
        assert "BTC-PYUSD" in text and "ETH-PYUSD" in text
        assert "BTC" in text and "fees hold" in text
        assert "showing" in text
        subprocess.run([*tmux, "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "EXITED=" not in (text := screen()):
            time.sleep(0.2)
        assert "EXITED=0" in text
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
