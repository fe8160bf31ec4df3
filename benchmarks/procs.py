"""Child processes for the bench: the blotter under a pseudo-terminal, and simulators.

Every figure that involves a terminal runs the real program under a pty of 120x40 with
TERM=xterm-256color, and a thread drains the pty so the child never blocks on its output.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

COLUMNS, LINES = 120, 40
HZ = os.sysconf("SC_CLK_TCK")
PYTHON = sys.executable
BLOTTER = [str(Path(PYTHON).parent / "blotter")] if (Path(PYTHON).parent / "blotter").exists() else [PYTHON, "-m", "blotter"]
# CSI and OSC sequences and single-character escapes: removed before looking for text markers.
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b.")

_SANDBOX = tempfile.mkdtemp(prefix="blotter-bench-")


# The figures of 1-5 (set before the stream existed) measure the polling blotter; 8 compares the two.
POLLING = {"TRUEX_STREAM": "off"}


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child: no user config, state or colour overrides leak in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TRUEX_", "TEXTUAL", "NO_COLOR", "XDG_"))}
    env.update(
        TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES), PYTHONUNBUFFERED="1",
        XDG_CONFIG_HOME=f"{_SANDBOX}/config", XDG_STATE_HOME=f"{_SANDBOX}/state",
        XDG_DATA_HOME=f"{_SANDBOX}/data", XDG_CACHE_HOME=f"{_SANDBOX}/cache",
    )
    env.update(extra)
    return env


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def memory_kb(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in kB, from /proc/<pid>/status."""
    result = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                result[key] = int(value.split()[0])
    return result


class PtyProcess:
    """A program on the slave side of a new pty; counts and keeps what it writes to the terminal."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, size: tuple[int, int] | None = None) -> None:
        columns, lines = size or (COLUMNS, LINES)
        if size is not None:  # the terminal's size: COLUMNS and LINES in the environment win over the pty's
            env = {**(env or child_env()), "COLUMNS": str(columns), "LINES": str(lines)}
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.master = master
        self.data = bytearray()
        self.cond = threading.Condition()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env or child_env(),
            start_new_session=True, preexec_fn=_controlling_tty, close_fds=True,
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def bytes_written(self) -> int:
        return len(self.data)

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            with self.cond:
                if chunk:
                    self.data += chunk
                self.cond.notify_all()
            if not chunk:
                return

    def wait_for(self, marker: str, timeout: float = 30.0, start: int = 0) -> float:
        """Seconds from spawn until `marker` appears on screen (escape sequences ignored)."""
        needle = marker.encode()
        deadline = time.perf_counter() + timeout
        scanned = start
        with self.cond:
            while True:
                # Re-scan a little before where the last look stopped: a marker may straddle reads.
                text = _ESCAPES.sub(b"", bytes(self.data[max(start, scanned - 256):]))
                if needle in text:
                    return time.perf_counter() - self.started
                scanned = len(self.data)
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = _ESCAPES.sub(b"", bytes(self.data[-2000:])).decode(errors="replace")
                    raise TimeoutError(f"{marker!r} did not appear on screen; last output: {tail!r}")
                self.cond.wait(min(remaining, 0.5))

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def quit(self, key: str = "q", timeout: float = 10.0) -> int | None:
        """Press `key` and wait for the exit; terminate if it does not leave."""
        if self.proc.poll() is None:
            try:
                self.send(key)
                return self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        return self.kill()

    def kill(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(2)
        os.close(self.master)
        return self.proc.returncode

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()


def _controlling_tty() -> None:
    # The pty becomes the child's controlling terminal, as in a real terminal emulator.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class SimProcess:
    """A simulator in its own process (so its CPU and memory are not the app's).

    `argv` is `blotter sim ...` or `python -m benchmarks.simproc ...`; both print
    `export TRUEX_BASE_URL=...` when serving. Lines written to `send()` reach simproc's stdin.
    """

    def __init__(self, argv: list[str], timeout: float = 120.0) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=child_env(), start_new_session=True,
        )
        self.base_url = ""
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "TRUEX_BASE_URL=" in line:
                self.base_url = line.split("=", 1)[1].strip()
                break
        if not self.base_url:
            self.stop()
            raise RuntimeError("the simulator did not start: " + "".join(lines[-20:]))
        # Drain the rest of its output so it can never block on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def app_env(self, **extra: str) -> dict[str, str]:
        from blotter.sim import DEMO_CREDENTIALS

        return child_env(
            TRUEX_BASE_URL=self.base_url, TRUEX_API_PREFIX="/api/v1", TRUEX_USER_ID=DEMO_CREDENTIALS.user_id,
            TRUEX_API_KEY=DEMO_CREDENTIALS.key, TRUEX_API_SECRET=DEMO_CREDENTIALS.secret, **extra,
        )

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def simproc(*args: str, timeout: float = 120.0) -> SimProcess:
    return SimProcess([PYTHON, "-m", "benchmarks.simproc", *args], timeout=timeout)
