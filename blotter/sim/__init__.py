"""The embedded simulated TrueX exchange. It shares the wire models but none of the client's code.

It speaks one of two wire dialects (`dialect.py`): "sim", its own long-standing one (the default),
or "real", what the real exchange may send as far as the reference allows.
"""

from .asgi import exchange_app
from .dialect import REAL, SIM
from .engine import WIRES, Exchange, SimError
from .fault_injection import FaultConfig
from .serving import SimServer
from .signing import DEMO_CREDENTIALS, AcceptedKey

__all__ = [
    "DEMO_CREDENTIALS", "REAL", "SIM", "WIRES", "AcceptedKey", "Exchange", "FaultConfig", "SimError", "SimServer",
    "exchange_app",
]
