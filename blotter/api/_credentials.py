"""The client's credentials: its id, the HMAC key's UUID and the secret (never shown)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class Credentials:
    user_id: str
    key_id: str
    secret: SecretStr

    def __repr__(self) -> str:  # the dataclass repr would still be safe; say so explicitly
        return f"Credentials(user_id={self.user_id!r}, key_id={self.key_id!r}, secret='**********')"
