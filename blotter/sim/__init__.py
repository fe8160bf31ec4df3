"""The embedded simulated TrueX exchange. It shares the wire models but none of the client's code."""

from .asgi import create_app
from .engine import Exchange, SimError
from .fault_injection import FaultConfig
from .serving import SimServer
from .signing import DEMO_CREDENTIALS, Credentials

__all__ = ["DEMO_CREDENTIALS", "Credentials", "Exchange", "FaultConfig", "SimError", "SimServer", "create_app"]
