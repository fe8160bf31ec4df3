"""Settings: flags, then environment (`TRUEX_*`), then the TOML profile, then defaults.

The HMAC secret is never read from the file. It comes from `TRUEX_API_SECRET`, from the profile's
`secret_command` (e.g. a password manager), or from the system keyring when one is installed.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .api import DEFAULT_API_PREFIX, DEFAULT_API_VERSION, DEFAULT_BASE_URL, ConfigError, Credentials

APP_NAME = "blotter"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def config_path(explicit: Path | None = None) -> Path:
    """The config file in use: `--config`, else $BLOTTER_CONFIG, else the platform's config directory."""
    return explicit or Path(os.environ.get("BLOTTER_CONFIG", default_config_path()))


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


class PollIntervals(BaseModel):
    orders: float = Field(1.0, gt=0)
    quotes: float = Field(1.0, gt=0)
    trades: float = Field(2.0, gt=0)
    balances: float = Field(5.0, gt=0)


class Guards(BaseModel):
    """Fat-finger guards: a soft limit asks for a second confirmation, a hard limit refuses."""

    max_notional: Decimal | None = Decimal("250000")
    max_qty: Decimal | None = None
    max_distance_pct: Decimal | None = Decimal("5")
    hard_max_notional: Decimal | None = Decimal("1000000")
    hard_max_qty: Decimal | None = None
    hard_max_distance_pct: Decimal | None = Decimal("20")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRUEX_", env_nested_delimiter="__", extra="ignore")

    base_url: str = DEFAULT_BASE_URL
    api_prefix: str = DEFAULT_API_PREFIX
    api_version: str = DEFAULT_API_VERSION
    user_id: str | None = None
    api_key: str | None = None  # the HMAC key's UUID
    api_secret: SecretStr | None = None
    secret_command: str | None = None
    client_id: str | None = None  # default client for new orders; the user id when unset
    environment: str | None = None  # DEMO / UAT / PROD label; derived from base_url when unset
    poll: PollIntervals = Field(default_factory=PollIntervals)
    guards: Guards = Field(default_factory=Guards)
    theme: str = "desk-dark"
    theme_files: list[str] = Field(default_factory=list)
    trades_display_cap: int = Field(1000, ge=1)
    bell: bool = False
    bindings: dict[str, str] = Field(default_factory=dict)
    export_dir: str | None = Field(
        None,
        description=(
            "Directory where the dashboard's `e` (export pane to CSV) writes "
            "blotter-<pane>-<UTC yyyymmdd-HHMMSS>.csv and `S` its screenshots; `~` is expanded and the directory is created "
            "if missing. Default (unset): the current working directory. Env TRUEX_EXPORT_DIR."
        ),
    )

    @field_validator("api_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: Any) -> Any:
        return value or None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init_settings carries flags and, below them, the profile; see `load_settings`.
        return (init_settings, env_settings)

    @property
    def environment_label(self) -> str:
        if self.environment:
            return self.environment.upper()
        host = self.base_url.lower()
        if "127.0.0.1" in host or "localhost" in host:
            return "LOCAL"
        if "uat" in host:
            return "UAT"
        if "dev" in host:
            return "DEV"
        return "PROD"

    def resolve_secret(self) -> SecretStr | None:
        if self.api_secret is not None:
            return self.api_secret
        if self.secret_command:
            try:
                result = subprocess.run(
                    shlex.split(self.secret_command), capture_output=True, text=True, timeout=30, check=True
                )
            except (OSError, subprocess.SubprocessError) as exc:
                # Only the command's name: its output could hold the secret.
                raise ConfigError(f"secret_command failed: {type(exc).__name__}") from None
            return SecretStr(result.stdout.strip()) if result.stdout.strip() else None
        return _keyring_secret(self.api_key)

    def credentials(self) -> Credentials:
        secret = self.resolve_secret()
        missing = [
            name
            for name, value in (
                ("TRUEX_USER_ID (your client id)", self.user_id),
                ("TRUEX_API_KEY (the key's UUID)", self.api_key),
                ("TRUEX_API_SECRET (or secret_command in the profile)", secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                "Missing credentials: " + ", ".join(missing) + ". Set them in the environment or in a profile "
                f"of {default_config_path()} (see `blotter config init`)."
            )
        assert self.user_id and self.api_key and secret
        return Credentials(user_id=self.user_id, key_id=self.api_key, secret=secret)


def _keyring_secret(key_id: str | None) -> SecretStr | None:
    if not key_id:
        return None
    try:
        import keyring  # optional: used only when installed
    except ImportError:
        return None
    try:
        value = keyring.get_password(APP_NAME, key_id)
    except Exception:  # noqa: BLE001 - a broken keyring backend must not stop the app
        return None
    return SecretStr(value) if value else None


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def permission_warning(path: Path) -> str | None:
    """A warning when the config file can be read by other users (it names keys and commands)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return f"{path} is readable by other users; run: chmod 600 {path}"
    return None


def load_settings(
    *,
    profile: str | None = None,
    config_path: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Flags (`overrides`) win over the environment, which wins over the profile and defaults."""
    path = config_path or Path(os.environ.get("BLOTTER_CONFIG", default_config_path()))
    document = read_config_file(path) if (config_path is None or path.exists()) else {}
    if config_path is not None and not path.exists():
        raise ConfigError(f"Config file not found: {path}")
    profiles = document.get("profiles", {})
    name = profile or os.environ.get("BLOTTER_PROFILE") or document.get("default_profile")
    chosen: dict[str, Any] = {}
    if name:
        if name not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(f"Profile {name!r} not found in {path} (profiles: {known})")
        chosen = dict(profiles[name])
    if "api_secret" in chosen:
        raise ConfigError(f"{path}: api_secret must not be stored in the file; use TRUEX_API_SECRET or secret_command")
    env_names = {f"TRUEX_{field.upper()}" for field in Settings.model_fields}
    # The profile sits below the environment: drop profile keys the environment sets.
    for key in list(chosen):
        if f"TRUEX_{key.upper()}" in env_names and f"TRUEX_{key.upper()}" in os.environ:
            del chosen[key]
    values = {**chosen, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    # init values beat the environment in pydantic-settings; profile keys shadowed by env were removed.
    return Settings(**values)
