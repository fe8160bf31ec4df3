"""The TrueX REST client. Headless: nothing here imports Textual.

Names are loaded on first use (PEP 562): settings and the simulator read the defaults, errors and
models without paying for the HTTP stack, which matters for the first frame and the demo's start.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .._lazy import lazy_names

# httpx imports its command-line tool (click, pygments, rich's syntax and progress: about 30 ms)
# whenever those happen to be installed, as the simulator's uvicorn and Rich make them here. The
# blotter never runs it: marking the module absent (None in sys.modules makes its import fail) takes
# httpx's own fallback for a missing CLI. Nothing changes if httpx was imported before.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

_WHERE = {
    "DEFAULT_API_PREFIX": "._defaults", "DEFAULT_API_VERSION": "._defaults", "DEFAULT_BASE_URL": "._defaults",
    "Credentials": "._credentials",
    "ServerClock": "._auth", "TrueXAuth": "._auth", "signature": "._auth",
    "ORDER_ACTION": "._budget", "RequestBudget": "._budget", "RequestTag": "._budget",
    "request_priority": "._budget",
    "Notices": "._client", "Page": "._client", "Response": "._client", "RetryPolicy": "._client",
    "TrueXClient": "._client", "default_timeout": "._client",
    **{name: "._stream" for name in (
        "Connected", "Data", "Disconnected", "Gap", "Refused", "SnapshotDone", "Stale", "StreamClock", "StreamEvent",
        "StreamSession", "StreamStatus", "Subscribed", "Unread", "refusal_hint", "stream_signature",
        "ws_url_from_base",
    )},
    "DropCopyReport": ".dropcopy", "read_dropcopy": ".dropcopy",
    **{name: "._errors" for name in (
        "ApiError", "BadRequest", "ConfigError", "ConnectError", "ConnectionLost", "Forbidden", "NotFound",
        "RateLimited", "RequestTimeout", "ResponseFormatError", "ServerError", "TransportError", "TrueXError",
        "Unauthorized",
    )},
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())


if TYPE_CHECKING:
    from ._auth import ServerClock, TrueXAuth, signature
    from ._budget import ORDER_ACTION, RequestBudget, RequestTag, request_priority
    from ._client import Notices, Page, Response, RetryPolicy, TrueXClient, default_timeout
    from ._credentials import Credentials
    from ._defaults import DEFAULT_API_PREFIX, DEFAULT_API_VERSION, DEFAULT_BASE_URL
    from ._stream import (
        Connected,
        Data,
        Disconnected,
        Gap,
        Refused,
        SnapshotDone,
        Stale,
        StreamClock,
        StreamEvent,
        StreamSession,
        StreamStatus,
        Subscribed,
        Unread,
        refusal_hint,
        stream_signature,
        ws_url_from_base,
    )
    from ._errors import (
        ApiError,
        BadRequest,
        ConfigError,
        ConnectError,
        ConnectionLost,
        Forbidden,
        NotFound,
        RateLimited,
        RequestTimeout,
        ResponseFormatError,
        ServerError,
        TransportError,
        TrueXError,
        Unauthorized,
    )
    from .dropcopy import DropCopyReport, read_dropcopy
