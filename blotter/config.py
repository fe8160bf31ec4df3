"""Settings: flags, then environment (`TRUEX_*`), then the TOML profile, then defaults.

Each of those is a pydantic-settings source (see `Settings.settings_customise_sources`), merged key
by key, nested tables included: `TRUEX_POLL__ORDERS` replaces the profile's `[poll] orders` and
leaves its `[poll] quotes` alone.

The HMAC secret is never read from the file. It comes from `TRUEX_API_SECRET`, from the profile's
`secret_command` (e.g. a password manager), or from the system keyring when one is installed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tomllib
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import (
    BaseModel, Field, PrivateAttr, SecretStr, StringConstraints, ValidationError, field_validator, model_validator,
)
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from .api._credentials import Credentials
from .api._defaults import DEFAULT_API_PREFIX, DEFAULT_API_VERSION, DEFAULT_BASE_URL
from .api._errors import ConfigError
from .paths import APP_NAME, config_path, default_config_path, permission_warning, state_dir  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from .api import TrueXClient

# The path prefixes TrueX serves its API under (reference §1.3); the docs write base URLs with them.
API_PREFIXES = ("/api/v1", "/v1/cefi")
BASE_URL_NAMES = "base_url (TRUEX_BASE_URL, --base-url)"
_DAY_START = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")  # HH:MM, 24-hour


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


# The chosen profile's table, set by `load_settings` for the one `Settings(...)` it builds. A
# context variable because `settings_customise_sources` is a classmethod with a fixed signature.
_profile_values: ContextVar[dict[str, Any] | None] = ContextVar("blotter_profile_values", default=None)


class ProfileSettingsSource(InitSettingsSource):
    """The chosen profile of the TOML config file: below the environment, above the defaults.

    `TomlConfigSettingsSource` is not used: `load_settings` must parse the file itself first (the
    profile's name can come from `default_profile` in it, and the errors name the known profiles),
    and that source would read the file a second time."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls, init_kwargs=values)


class Settings(BaseSettings):
    # env_ignore_empty: `TRUEX_BASE_URL=""` means unset, not "no URL".
    model_config = SettingsConfigDict(
        env_prefix="TRUEX_", env_nested_delimiter="__", env_ignore_empty=True, extra="ignore"
    )

    base_url: str = Field(
        DEFAULT_BASE_URL,
        description="The API host, e.g. https://prod.truex.co. A trailing API prefix (/api/v1 or /v1/cefi, "
        "as the docs write it) is removed and, unless api_prefix is given, becomes the api_prefix.",
    )
    api_prefix: str = Field(
        DEFAULT_API_PREFIX,
        description="The path prefix added to every request and signed: /api/v1 on prod.truex.co, "
        "/v1/cefi on api.truex.co and api.uat.truex.co.",
    )
    api_version: str = DEFAULT_API_VERSION
    # Ids as pasted: a space or newline at an end made a header no HTTP library sends. The secret
    # is kept as given (it is signed byte for byte) and flagged in `notes` instead.
    user_id: Annotated[str, StringConstraints(strip_whitespace=True)] | None = None
    api_key: Annotated[str, StringConstraints(strip_whitespace=True)] | None = None  # the HMAC key's UUID
    api_secret: SecretStr | None = None
    secret_command: str | None = None
    client_id: str | None = None  # default client for new orders; the user id when unset
    environment: str | None = None  # DEMO / UAT / PROD label; derived from base_url when unset
    poll: PollIntervals = Field(default_factory=PollIntervals)
    guards: Guards = Field(default_factory=Guards)
    theme: str = "desk-dark"
    # `[]` and `{}`, not `default_factory=list`: pydantic copies a mutable default for each instance, and
    # reading a builtin's signature (to see whether the factory takes data) costs 7 ms at start.
    theme_files: list[str] = []
    trades_display_cap: int = Field(1000, ge=1)
    bell: bool = False
    bindings: dict[str, str] = {}
    timezone: str = Field(
        "UTC",
        description='The time zone the dashboard shows times in: an IANA name such as "Europe/London" or '
        '"America/New_York", or "local" for this machine\'s zone. Env TRUEX_TIMEZONE.',
    )
    export_dir: str | None = Field(
        None,
        description=(
            "Directory where the dashboard's `e` (export pane to CSV) writes "
            "blotter-<pane>-<UTC yyyymmdd-HHMMSS>.csv and `S` its screenshots; `~` is expanded and the directory is "
            "created if missing. Default (unset): the user's downloads directory when it exists, else "
            "<state dir>/exports; never the current directory. Env TRUEX_EXPORT_DIR."
        ),
    )
    day_start: str = Field(
        "00:00",
        description="When the trading day starts for positions and P&L, as HH:MM in UTC: the positions pane "
        "counts the fills since the latest such time (never before the 24 h the API returns). Env TRUEX_DAY_START.",
    )
    max_requests_per_minute: int = Field(
        90,
        ge=1,
        description="The request budget per minute that polling keeps within when the server does not announce "
        "its own rate limit (x-ratelimit-* headers). Env TRUEX_MAX_REQUESTS_PER_MINUTE.",
    )

    organization_id: str | None = Field(
        None,
        description="The organization's UUID, for the WebSocket stream's signed subscriptions (DROPCOPY and real-time "
        "market data). Without it only the public channels are streamed, batched about once a second, and orders "
        "stay on REST polling. Env TRUEX_ORGANIZATION_ID.",
    )
    ws_url: str | None = Field(
        None,
        description="The WebSocket address; default: base_url's host over ws(s) with the path /api/v1 "
        "(e.g. wss://prod.truex.co/api/v1). Env TRUEX_WS_URL.",
    )
    stream: Literal["auto", "on", "off"] = Field(
        "auto",
        description="auto: stream what the exchange offers and poll the rest, falling back to polling by itself; "
        "on: the same, and say loudly on screen when the stream fails; off: REST polling only. Env TRUEX_STREAM.",
    )

    _notes: list[str] = PrivateAttr(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Highest first: flags (init kwargs), environment, the chosen profile; defaults come last.
        # No .env file and no secrets directory.
        return (init_settings, env_settings, ProfileSettingsSource(settings_cls, _profile_values.get() or {}))

    @field_validator("api_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: Any) -> Any:
        return value or None  # an empty flag or init value; the environment's are dropped before

    @model_validator(mode="after")
    def _flag_a_padded_secret(self) -> Self:
        if self.api_secret is not None and secret_is_padded(self.api_secret.get_secret_value()):
            self._notes.append(PADDED_SECRET)
        return self

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        text = value.strip()
        try:
            parts = urlsplit(text)
            _ = parts.port  # raises ValueError for a port that is not a number
        except ValueError:
            raise ValueError(f"{BASE_URL_NAMES} is not a valid URL: {value!r}; e.g. https://prod.truex.co") from None
        if parts.username is not None or parts.password is not None:
            # Not echoed: it holds a password.
            raise ValueError(f"{BASE_URL_NAMES} must not carry user:password@; e.g. https://prod.truex.co")
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            hint = f"; did you mean https://{text}?" if text and "://" not in text and text[0] != "/" else ""
            raise ValueError(
                f"{BASE_URL_NAMES} must start with https:// (or http://) and name a host, "
                f"e.g. https://prod.truex.co; got {value!r}{hint}"
            )
        if parts.query or parts.fragment:
            raise ValueError(
                f"{BASE_URL_NAMES} must not carry a query or fragment; e.g. https://prod.truex.co; got {value!r}"
            )
        return text

    @field_validator("ws_url")
    @classmethod
    def _check_ws_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        text = value.strip()
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("ws", "wss") or not parts.hostname:
            # The REST address pasted here is the likely slip: say the WebSocket one.
            scheme = {"https": "wss", "http": "ws"}.get(parts.scheme.lower())
            suggested = f"{scheme}://{parts.netloc}{parts.path or '/api/v1'}" if scheme and parts.hostname else None
            hint = f"; did you mean {suggested}?" if suggested else ""
            raise ValueError(f"ws_url (TRUEX_WS_URL) must start with wss:// (or ws://) and name a host, "
                             f"e.g. wss://prod.truex.co/api/v1; got {value!r}{hint}")
        if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
            raise ValueError("ws_url (TRUEX_WS_URL) must not carry user:password@, a query or a fragment")
        return text

    @field_validator("stream", mode="before")
    @classmethod
    def _stream_words(cls, value: Any) -> Any:
        # TOML's `stream = true` and TRUEX_STREAM=1 mean on.
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, str):
            word = value.strip().lower()
            return {"true": "on", "1": "on", "yes": "on", "false": "off", "0": "off", "no": "off"}.get(word, word)
        return value

    @property
    def stream_url(self) -> str:
        """Where the stream connects: `ws_url`, or base_url's host over ws(s) at /api/v1."""
        if self.ws_url:
            return self.ws_url
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme.lower() == "https" else "ws"
        return f"{scheme}://{parts.netloc}/api/v1"

    @field_validator("api_prefix")
    @classmethod
    def _normalise_api_prefix(cls, value: str) -> str:
        # The form the client uses: one leading slash, none trailing; empty means no prefix.
        stripped = value.strip().strip("/")
        return "/" + stripped if stripped else ""

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        name = value.strip()
        if name.lower() == "local":
            return "local"
        _zone(name)
        return name

    @field_validator("day_start", mode="before")
    @classmethod
    def _check_day_start(cls, value: Any) -> Any:
        if isinstance(value, dt_time):  # TOML's unquoted `day_start = 08:00` is a local time
            if value.second or value.microsecond or value.tzinfo is not None:
                raise ValueError(f"day_start (TRUEX_DAY_START) must be HH:MM in UTC, e.g. \"00:00\"; got {value}")
            return f"{value.hour:02d}:{value.minute:02d}"
        if not isinstance(value, str):
            return value  # the type check says what is wrong
        match = _DAY_START.fullmatch(value.strip())
        if match is None:
            raise ValueError(
                f"day_start (TRUEX_DAY_START) must be HH:MM in UTC between 00:00 and 23:59, e.g. \"00:00\" or "
                f"\"22:00\"; got {value!r}"
            )
        return f"{int(match[1]):02d}:{match[2]}"

    @model_validator(mode="after")
    def _api_prefix_in_base_url(self) -> Self:
        """Accept the base URL as the docs write it (`https://prod.truex.co/api/v1/`): the prefix is
        added to every request, so it is taken off the host once and noted."""
        given = self.base_url
        parts = urlsplit(given)
        path = parts.path.rstrip("/")
        host_url = f"{parts.scheme}://{parts.netloc}"
        if not path:
            self.base_url = host_url
            return self
        if path not in API_PREFIXES:
            raise ValueError(
                f"{BASE_URL_NAMES} {given} has the path {parts.path}; expected only the host, e.g. "
                f"https://prod.truex.co, optionally followed by the API prefix {' or '.join(API_PREFIXES)}"
            )
        note = f"base_url: removed the API prefix {path} from {given} (it is added to every request)"
        if "api_prefix" in self.model_fields_set:
            if self.api_prefix != path:
                raise ValueError(
                    f"{BASE_URL_NAMES} {given} ends in the API prefix {path} but api_prefix (TRUEX_API_PREFIX, "
                    f"--api-prefix) is {self.api_prefix or 'empty'}; make them agree, or give the host alone "
                    f"({host_url}) and set api_prefix"
                )
        else:
            self.api_prefix = path
            note += f"; api_prefix set to {path}"
        self.base_url = host_url
        self._notes.append(note)
        return self

    @property
    def notes(self) -> list[str]:
        """What was changed on the way in (e.g. a prefix taken off base_url), for `config show` and the
        dashboard. Not a setting: left out of `model_dump`."""
        return list(self._notes)

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

    def time_zone(self) -> tzinfo:
        """The zone to show times in (`timezone`)."""
        return _local_zone() if self.timezone == "local" else _zone(self.timezone)

    def resolve_export_dir(self) -> Path:
        """Where exports and screenshots go: `export_dir` (with `~` expanded) when given, else the user's
        downloads directory when it exists, else `<state dir>/exports`. Never the current directory,
        which for a desk app started from a launcher or a shell is arbitrary. Not created here."""
        if self.export_dir:
            return Path(self.export_dir).expanduser()
        downloads = Path(platformdirs.user_downloads_dir())
        if downloads.is_dir():
            return downloads
        return state_dir() / "exports"

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

    def client(self, credentials: Credentials | None, **options: Any) -> TrueXClient:
        """A client for the configured host, prefix and API version (every command builds it here)."""
        from .api import TrueXClient  # the HTTP stack: only when a client is made

        return TrueXClient(self.base_url, api_prefix=self.api_prefix, credentials=credentials,
                           api_version=self.api_version, **options)

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


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z"):
        return UTC  # needs no tz database
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"timezone (TRUEX_TIMEZONE) {name!r} is not a known time zone; use an IANA name such as "
            'Europe/London or America/New_York, or "local"'
        ) from None


def _local_zone() -> tzinfo:
    """This machine's zone, with its daylight-saving rules where they can be found ($TZ, then
    /etc/localtime); else its current UTC offset. (tzlocal does this more thoroughly; not a dependency.)"""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return _zone(name)
        except ValueError:
            pass
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        pass
    return datetime.now().astimezone().tzinfo or UTC


def expected_api_prefix(base_url: str) -> str | None:
    """The prefix TrueX serves on this host (reference §1.3), or None for a host it does not know."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host in ("api.truex.co", "api.uat.truex.co"):
        return "/v1/cefi"
    if host == "prod.truex.co" or (host.endswith(".truex.co") and host.split(".")[0].startswith(("uat", "dev"))):
        return "/api/v1"
    return None


PADDED_SECRET = (
    "TRUEX_API_SECRET starts or ends with a space, a line break or a quote. It is signed as given, so the "
    "exchange will likely refuse it: paste the secret again without them."
)


def secret_is_padded(secret: str) -> bool:
    """Whitespace or a quote at an end: what a paste or a quoted shell line leaves (never shown)."""
    return bool(secret) and (secret != secret.strip() or secret[0] in "'\"" or secret[-1] in "'\"")


def unauthorized_help(settings: Settings) -> str:
    """What to check after a 401, naming the settings involved. Never contains the secret."""
    if settings.api_secret is not None:
        secret_from = "it now comes from TRUEX_API_SECRET"
    elif settings.secret_command:
        secret_from = "it now comes from secret_command"
    else:
        secret_from = "it now comes from the system keyring"
    prefix = settings.api_prefix or "empty"
    expected = expected_api_prefix(settings.base_url)
    host = urlsplit(settings.base_url).hostname
    prefix_hint = ""
    if expected and expected != settings.api_prefix:
        prefix_hint = f"; {host} expects {expected}"
    lines = [
        "The exchange refused the request's signature or credentials (401). Check:",
        *([f"  - {PADDED_SECRET}"] if PADDED_SECRET in settings.notes else []),
        f"  - TRUEX_API_KEY (api_key, now {settings.api_key or 'unset'}): the UUID of your HMAC key",
        f"  - TRUEX_API_SECRET (or secret_command): the secret of that same key, whole, without extra spaces "
        f"or quotes; {secret_from}",
        f"  - TRUEX_USER_ID (user_id, now {settings.user_id or 'unset'}): your client id",
        f"  - api_prefix (TRUEX_API_PREFIX, currently {prefix}) must match the host {host}: /api/v1 on "
        f"prod.truex.co and the uat hosts, /v1/cefi on api.truex.co and api.uat.truex.co{prefix_hint}",
        "  - this machine's clock: the server accepts a request signed at most 15 s behind its clock and "
        "1 s ahead; keep the clock synchronised (NTP)",
    ]
    return "\n".join(lines)


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
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def chosen_profile(path: Path, profile: str | None = None) -> tuple[str | None, dict[str, Any]]:
    """The profile's name (`profile`, else $BLOTTER_PROFILE, else the file's `default_profile`) and its table."""
    document = read_config_file(path)
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: profiles must be tables such as [profiles.uat]")
    # Anywhere in the file, not only in the chosen profile: the file is not a place for it.
    if "api_secret" in document or any(isinstance(t, dict) and "api_secret" in t for t in profiles.values()):
        raise ConfigError(f"{path}: api_secret must not be stored in the file; use TRUEX_API_SECRET or secret_command")
    name = profile or os.environ.get("BLOTTER_PROFILE") or document.get("default_profile")
    if not name:
        return None, {}
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"Profile {name!r} not found in {path} (profiles: {known})")
    if not isinstance(profiles[name], dict):
        raise ConfigError(f"{path}: profile {name!r} must be a table, [profiles.{name}]")
    return name, dict(profiles[name])


def load_settings(
    *,
    profile: str | None = None,
    config_path: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Flags (`overrides`; None means not given) win over the environment, which wins over the chosen
    profile of the config file, which wins over the defaults."""
    path = _config_file(config_path)
    if config_path is not None and not path.exists():
        raise ConfigError(f"Config file not found: {path}")
    _, values = chosen_profile(path, profile)
    flags = {key: value for key, value in (overrides or {}).items() if value is not None}
    token = _profile_values.set(values)
    try:
        return Settings(**flags)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    finally:
        _profile_values.reset(token)


_config_file = config_path  # `load_settings` has a parameter of that name


def _describe(error: ValidationError) -> str:
    """One line per problem, joined: the setting, its variable and what is wrong. Never the secret."""
    problems = []
    for item in error.errors(include_url=False):
        if item["type"] == "value_error":  # our validators write whole sentences
            problems.append(str(item["ctx"]["error"]))
            continue
        loc = [str(part) for part in item["loc"]]
        name = ".".join(loc)
        env = "TRUEX_" + "__".join(loc).upper()
        text = f"{name} ({env}): {item['msg']}"
        if loc and loc[0] != "api_secret" and isinstance(item.get("input"), str | int | float | bool):
            text += f"; got {item['input']!r}"
        problems.append(text)
    return "; ".join(problems)
