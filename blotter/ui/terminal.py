"""Leaving when the terminal goes away: SIGHUP, SIGTERM, or a hang-up that brings no signal.

A closed terminal does not always bring SIGHUP (under `make`, its shell takes it); Textual's input
thread then spins on end-of-file. And with the terminal gone, Textual's shutdown can block for ever
flushing output nobody reads. The app polls for the hang-up, and guards its own exit.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import threading
from collections.abc import Callable

__all__ = ["guard_the_exit", "install_signal_handlers", "terminal_hung_up"]

LEAVE_GRACE_SECONDS = 3.0  # after the terminal is gone, how long a clean shutdown may take


def terminal_hung_up(stream) -> bool:
    """True when the terminal behind `stream` has gone (POLLHUP/POLLERR/POLLNVAL on its fd)."""
    try:
        fd = stream.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLHUP)
        gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
        return any(events & gone for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


def install_signal_handlers(leave: Callable[[], None]) -> None:
    """Leave cleanly when the terminal goes away (SIGHUP) or on SIGTERM."""
    loop = asyncio.get_running_loop()
    for name in ("SIGHUP", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            loop.add_signal_handler(sig, leave)
        except (NotImplementedError, RuntimeError, ValueError):
            pass


def guard_the_exit(seconds: float = LEAVE_GRACE_SECONDS) -> None:
    """End the process if it has not ended in a few seconds. The audit log is written
    synchronously, so nothing of ours is lost."""
    guard = threading.Timer(seconds, os._exit, args=(1,))
    guard.daemon = True
    guard.start()
