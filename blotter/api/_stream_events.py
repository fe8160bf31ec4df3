"""What a stream session tells its listener, and its state: plain frozen records, no I/O.

`refusal_hint` says in words what to check after a refused subscription.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .stream_models import Channel, Confirmation, StreamMessage, SubscriptionStatus, Unreadable, Welcome

__all__ = [
    "Connected", "Data", "Disconnected", "Gap", "Refused", "SnapshotDone", "Stale", "State", "StreamEvent",
    "StreamStatus", "Subscribed", "Unread", "refusal_hint",
]

_DROPCOPY = str(Channel.DROPCOPY)

# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connected:
    """WELCOME read (or its wait timed out). `reconnect`: an earlier connection of this session
    was up, so what arrived meanwhile was missed: reconcile over REST now."""

    welcome: Welcome
    reconnect: bool


@dataclass(frozen=True)
class Subscribed:
    """A subscribe was accepted; `confirmation.subscriptions` is the whole current set."""

    confirmation: Confirmation
    authenticated: bool


@dataclass(frozen=True)
class Refused:
    """A subscribe was refused: nothing flows for these channels x items (until `hint` is acted on)."""

    status: str
    channels: tuple[str, ...]
    items: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class Data:
    """An INSTRUMENT, EBBO, DEPTH, TRADE or DROPCOPY SNAPSHOT or UPDATE, in arrival order."""

    message: StreamMessage


@dataclass(frozen=True)
class SnapshotDone:
    """SNAPSHOT_COMPLETE: the snapshot of `item` on `channel` is whole."""

    channel: str
    item: str | None


@dataclass(frozen=True)
class Gap:
    """Messages were missed. `item` None: the channel's one counter cannot say whose, so every item
    of the channel is suspect. DEPTH is re-snapshotted by the session; for the others, reconcile."""

    channel: str
    item: str | None
    expected: int
    got: int


@dataclass(frozen=True)
class Unread:
    unreadable: Unreadable


@dataclass(frozen=True)
class Stale:
    silent_for: float


@dataclass(frozen=True)
class Disconnected:
    reason: str
    retry_in: float


StreamEvent = Connected | Subscribed | Refused | Data | SnapshotDone | Gap | Unread | Stale | Disconnected

State = Literal["connecting", "live", "stale", "down", "refused", "off"]


@dataclass(frozen=True)
class StreamStatus:
    state: State
    authenticated: bool
    since_monotonic: float  # when `state` was entered
    detail: str
    last_message_monotonic: float | None
    reconnects: int


def refusal_hint(status: str, channels: Iterable[str], items: Iterable[str], signed: bool) -> str:
    """What to check after a refused subscription, in plain words. Never contains a credential."""
    channels, items = tuple(channels), tuple(items)
    listed = ", ".join(items) or "(none)"
    if status == SubscriptionStatus.UNAUTHENTICATED:
        if signed:
            return ("the signature or timestamp was refused: check TRUEX_API_KEY, the secret (TRUEX_API_SECRET), "
                    "TRUEX_ORGANIZATION_ID and this machine's clock")
        return "this subscription needs authentication: set TRUEX_ORGANIZATION_ID, TRUEX_API_KEY and the secret"
    if status == SubscriptionStatus.UNAUTHORIZED:
        if _DROPCOPY in channels:
            return (f"this key may not see client {listed}: check the client ids and the key's rights; "
                    "DROPCOPY needs an authenticated subscription")
        return f"this key may not subscribe to {', '.join(channels)} for {listed}"
    if status == SubscriptionStatus.INVALID:
        return f"the exchange found the request malformed: check the symbols / client ids {listed}"
    if status == SubscriptionStatus.ERROR:
        return "the exchange reported an error on its side; the blotter keeps polling over REST"
    return f"the exchange answered {status!r}; the blotter keeps polling over REST"
