"""Defaults and the API prefixes, importable without the HTTP stack (settings read them first)."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://prod.truex.co"
DEFAULT_API_PREFIX = "/api/v1"
DEFAULT_API_VERSION = "v2026_01_23"  # ApiVersion.V2026_01_23
KNOWN_PREFIXES = ("/api/v1", "/v1/cefi")
NS_PER_SECOND = 1_000_000_000  # wire times are epoch nanoseconds
NS_PER_DAY = 24 * 3600 * NS_PER_SECOND
