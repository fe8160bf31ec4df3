import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakeClient  # noqa: E402

from blotter.config import Settings  # noqa: E402
from blotter.core.feeds import FakeClock  # noqa: E402
from blotter.ui.app import create_app  # noqa: E402


@pytest.fixture
def fake_client():
    return FakeClient()


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture
def make_app(fake_client, fake_clock):
    def factory(**kwargs):
        settings = kwargs.pop("settings", None) or Settings(_env_file=None, user_id="42", environment="UAT")
        return create_app(kwargs.pop("client", fake_client), settings, clock=kwargs.pop("clock", fake_clock), **kwargs)

    return factory


from ui_support import polled, wait_for  # noqa: E402  (re-exported for older imports)

__all__ = ["asyncio", "polled", "wait_for"]
