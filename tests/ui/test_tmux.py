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
         f"sleep 0.5; {BLOTTER} --demo --seed 7; echo EXITED=$?; sleep 30"],  # the window is sized first
        check=True,
    )
    try:
        def screen() -> str:
            return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

        deadline = time.monotonic() + 20
        text = ""
        while time.monotonic() < deadline:
            text = screen()
            wanted = ("DEMO", "Active orders", "Trades, last 24 h", "Quotes", "Positions since", "4 Balances",
                      "BTC-PYUSD", "ETH-PYUSD", "showing", "rows")
            if all(part in text for part in wanted):  # a passing toast may cover a corner for a moment
                break
            time.sleep(0.3)
        assert "DEMO" in text
        assert "Active orders" in text and "Trades, last 24 h" in text
        assert "Quotes" in text and "5 Positions since 00:00 UTC" in text
        assert "BTC-PYUSD" in text and "ETH-PYUSD" in text
        assert "showing" in text
        # At 120 columns balances and positions share a place; 4 shows the balances there.
        subprocess.run([*tmux, "send-keys", "-t", session, "4"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "fees hold" not in (text := screen()):
            time.sleep(0.2)
        assert "4 Balances" in text and "BTC" in text and "fees hold" in text
        assert "5 Positions" in text  # named in the shared place's title, with its key
        subprocess.run([*tmux, "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "EXITED=" not in (text := screen()):
            time.sleep(0.2)
        assert "EXITED=0" in text
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is missing")
@pytest.mark.skipif(shutil.which("make") is None, reason="make is missing")
def test_blotter_leaves_when_its_terminal_goes_away_even_without_sighup(tmp_path):
    """Started by `make` (as `make demo` does), closing the terminal does not bring SIGHUP to the
    app; Textual's input thread then spun on end-of-file. The app must notice, exit, not spin."""
    session = f"blotter-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", session]
    marker = f"--seed {7000 + int(session[-4:], 16) % 1000}"  # finds our process among others
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"run:\n\t{BLOTTER} --demo {marker}\n")
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"make -s -f {makefile} run"],
        check=True,
    )
    try:
        def pids() -> list[str]:
            """Our blotter's pid while it runs (a zombie has ended: only its reaping is left)."""
            found = subprocess.run(["pgrep", "-f", f"blotter --demo {marker}$"], capture_output=True, text=True)
            alive = []
            for pid in found.stdout.split():
                stat = subprocess.run(["ps", "-o", "stat=", "-p", pid], capture_output=True, text=True).stdout
                if stat.strip() and not stat.strip().startswith("Z"):
                    alive.append(pid)
            return alive

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "BTC-PYUSD" not in subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout:
            time.sleep(0.3)
        running = pids()
        assert running, "the blotter did not start"
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and pids():
        time.sleep(0.2)
    left = pids()
    state = subprocess.run(["ps", "-o", "pid,stat,pcpu,cmd", "-p", ",".join(left)], capture_output=True,
                           text=True).stdout if left else ""
    for pid in left:
        subprocess.run(["kill", "-9", pid], capture_output=True)
    assert not left, f"the blotter kept running after its terminal closed:\n{state}"
