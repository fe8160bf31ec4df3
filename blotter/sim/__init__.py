"""The embedded simulated TrueX exchange. It shares the wire models but none of the client's code.

It speaks one of two wire dialects (`dialect.py`): "sim", its own long-standing one (the default),
or "real", what the real exchange may send as far as the reference allows.

Names are loaded on first use (PEP 562): `blotter --demo` reads the demo account's credentials in
the app's process, which then never imports the server (Starlette, uvicorn) it runs in another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

_WHERE = {
    "exchange_app": ".asgi",
    "REAL": ".dialect", "SIM": ".dialect",
    "WIRES": ".engine", "Exchange": ".engine", "SimError": ".engine",
    "FaultConfig": ".fault_injection",
    "SimServer": ".serving",
    "DEMO_CREDENTIALS": ".signing", "AcceptedKey": ".signing",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())


if TYPE_CHECKING:
    from .asgi import exchange_app
    from .dialect import REAL, SIM
    from .engine import WIRES, Exchange, SimError
    from .fault_injection import FaultConfig
    from .serving import SimServer
    from .signing import DEMO_CREDENTIALS, AcceptedKey
