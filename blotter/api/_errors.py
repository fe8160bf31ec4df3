"""Typed errors. Messages carry method, path and the server's problem details, never headers or secrets."""

from __future__ import annotations

from typing import Any


class TrueXError(Exception):
    """Base of every error the client raises."""


class ConfigError(TrueXError):
    """Settings or credentials are missing or invalid."""


class ApiError(TrueXError):
    """The server answered with an error status and (usually) RFC 7807 problem details."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        instance: str | None = None,
        extensions: dict[str, Any] | None = None,
        method: str = "",
        path: str = "",
        payload: Any = None,
    ) -> None:
        self.status = status
        self.payload = payload  # the decoded body, for answers that carry data with an error status
        self.title = title or f"HTTP {status}"
        self.detail = detail
        self.type = type
        self.instance = instance
        self.extensions = extensions or {}
        self.method = method
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.status} {self.title}"
        if self.detail:
            text += f": {self.detail}"
        if self.method:
            text += f" ({self.method} {self.path})"
        return text


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class RateLimited(ApiError):
    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ApiError):
    pass


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
}


def api_error_class(status: int) -> type[ApiError]:
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


class TransportError(TrueXError):
    """No usable HTTP response. `outcome_unknown` is True when the server may have acted on it."""

    outcome_unknown = True

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        self.method = method
        self.path = path
        self.title = type(self).__name__
        super().__init__(f"{message} ({method} {path})" if method else message)


class ConnectError(TransportError):
    """The request never reached the server: safe to send again."""

    outcome_unknown = False


class RequestTimeout(TransportError):
    """The server did not answer in time; it may still have processed the request."""


class ConnectionLost(TransportError):
    """The connection broke before a complete response arrived."""


class ResponseFormatError(TrueXError):
    """The server answered 2xx but with malformed JSON or a body of the wrong shape."""

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        self.method = method
        self.path = path
        self.title = "Malformed response"
        super().__init__(f"{message} ({method} {path})" if method else message)
