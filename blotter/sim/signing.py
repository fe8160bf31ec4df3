"""The simulator's own signature checks (REST and WebSocket), written apart from the client's signer
on purpose."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

DEMO_ORGANIZATION_ID = "5b1f6f0e-2a3c-4d5e-8f90-a1b2c3d4e5f6"


@dataclass(frozen=True)
class AcceptedKey:
    """The one client id, key and secret the simulator accepts (the client side is `api.Credentials`)."""

    user_id: str
    key: str  # the HMAC key's UUID, sent as x-truex-auth-token
    secret: str
    organization_id: str = DEMO_ORGANIZATION_ID  # the WebSocket requests' organization_id (a UUID)

    def __repr__(self) -> str:
        return (f"AcceptedKey(user_id={self.user_id!r}, key={self.key!r}, "
                f"organization_id={self.organization_id!r}, secret='***')")


DEMO_CREDENTIALS = AcceptedKey(
    user_id="78932725357888855",
    key="6f1d2c3b-4a59-4e7f-8a1b-9c0d1e2f3a4b",
    secret="demo-secret-not-for-production",
    organization_id=DEMO_ORGANIZATION_ID,
)

MAX_AGE_SECONDS = 15
MAX_AHEAD_SECONDS = 1
WS_MAX_AHEAD_SECONDS = 1  # the WS rule is "not in the future"; whole-second stamps need this much slack
WS_MARKER = "TRUEXWS"


class AuthFailure(Exception):
    def __init__(self, title: str, detail: str) -> None:
        super().__init__(title)
        self.title = title
        self.detail = detail


def expected_signature(secret: str, message: bytes) -> str:
    mac = hmac.new(bytes(secret, "utf-8"), msg=message, digestmod=hashlib.sha256)
    return base64.standard_b64encode(mac.digest()).decode("ascii")


def verify(
    headers: dict[str, str],
    method: str,
    path: str,
    body: bytes,
    server_seconds: float,
    credentials: AcceptedKey,
    *,
    userid_optional: bool = False,
    lenient_userid: bool = False,
) -> None:
    """Raise `AuthFailure` naming the check that failed; never echo the secret."""
    userid = headers.get("x-truex-auth-userid")
    if userid is None and lenient_userid:
        userid = headers.get("x-truex-auth-user-id")
    token = headers.get("x-truex-auth-token")
    stamp = headers.get("x-truex-auth-timestamp")
    sent = headers.get("x-truex-auth-signature")
    missing = [
        name
        for name, value in (
            ("x-truex-auth-userid", userid if not userid_optional else "-"),
            ("x-truex-auth-timestamp", stamp),
            ("x-truex-auth-token", token),
            ("x-truex-auth-signature", sent),
        )
        if not value
    ]
    if missing:
        raise AuthFailure("Missing authentication headers", "missing: " + ", ".join(missing))
    assert token is not None and stamp is not None and sent is not None
    if token != credentials.key:
        raise AuthFailure("Unknown API key", "the x-truex-auth-token is not a known key")
    if userid is not None and userid != credentials.user_id:
        raise AuthFailure("User mismatch", "x-truex-auth-userid does not belong to this key")
    if not (stamp.isascii() and stamp.isdigit()):  # '²' is a digit to isdigit() but not to int()
        raise AuthFailure("Invalid timestamp", "x-truex-auth-timestamp must be whole seconds since the epoch")
    age = server_seconds - int(stamp)
    if age > MAX_AGE_SECONDS:
        raise AuthFailure("Stale timestamp", f"timestamp is {age:.0f}s old; the limit is {MAX_AGE_SECONDS}s")
    if -age > MAX_AHEAD_SECONDS:
        raise AuthFailure(
            "Timestamp in the future", f"timestamp is {-age:.0f}s ahead; the limit is {MAX_AHEAD_SECONDS}s"
        )
    message = stamp.encode() + method.upper().encode() + path.encode() + body
    if not hmac.compare_digest(expected_signature(credentials.secret, message), sent):
        raise AuthFailure("Invalid signature", "the signature does not match the request")


def _check_stamp(stamp: str, server_seconds: float, ahead: float) -> None:
    if not (stamp.isascii() and stamp.isdigit()):  # '²' is a digit to isdigit() but not to int()
        raise AuthFailure("Invalid timestamp", "the timestamp must be whole seconds since the epoch")
    age = server_seconds - int(stamp)
    if age > MAX_AGE_SECONDS:
        raise AuthFailure("Stale timestamp", f"timestamp is {age:.0f}s old; the limit is {MAX_AGE_SECONDS}s")
    if -age > ahead:
        raise AuthFailure("Timestamp in the future", f"timestamp is {-age:.0f}s ahead; the limit is {ahead:g}s")


def verify_stream(
    *,
    timestamp: str | None,
    key: str | None,
    signature: str | None,
    path: str,
    server_seconds: float,
    credentials: AcceptedKey,
    organization_id: str | None = None,
) -> None:
    """A signed WebSocket request: HMAC-SHA256 over `timestamp + "TRUEXWS" + key + path` (`path` the
    one connected to), standard Base64. `organization_id` is optional (older samples leave it out)
    but must be ours when sent. Raise `AuthFailure` naming the check; never echo the secret."""
    missing = [name for name, value in (("timestamp", timestamp), ("key", key), ("signature", signature))
               if not isinstance(value, str) or not value]
    if missing:
        raise AuthFailure("Missing credentials", "missing: " + ", ".join(missing))
    assert timestamp is not None and key is not None and signature is not None
    if key != credentials.key:
        raise AuthFailure("Unknown API key", "key is not a known key")
    if organization_id is not None and organization_id != credentials.organization_id:
        raise AuthFailure("Organization mismatch", "organization_id does not belong to this key")
    _check_stamp(timestamp, server_seconds, WS_MAX_AHEAD_SECONDS)
    message = (timestamp + WS_MARKER + key + path).encode()
    # As bytes: compare_digest refuses str with non-ASCII characters, which JSON can carry.
    if not hmac.compare_digest(expected_signature(credentials.secret, message).encode(), signature.encode()):
        raise AuthFailure("Invalid signature", "the signature does not match the request")
