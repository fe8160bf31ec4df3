"""timezone, export_dir and max_requests_per_minute; an empty TRUEX_* variable counts as unset."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs
import pytest

from blotter import config
from blotter.api import ConfigError
from blotter.config import Settings, load_settings

SUMMER = datetime(2026, 7, 1, 12, tzinfo=UTC)
WINTER = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("TRUEX_", "BLOTTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "absent.toml"))
    return monkeypatch


# --- timezone -----------------------------------------------------------------------------------

def test_timezone_defaults_to_utc():
    zone = load_settings().time_zone()
    assert zone.utcoffset(SUMMER) == timedelta(0)


def test_an_iana_zone_keeps_its_daylight_saving(clean_env):
    clean_env.setenv("TRUEX_TIMEZONE", "Europe/London")
    zone = load_settings().time_zone()
    assert SUMMER.astimezone(zone).utcoffset() == timedelta(hours=1)
    assert WINTER.astimezone(zone).utcoffset() == timedelta(0)


def test_local_is_this_machines_zone(clean_env):
    clean_env.setenv("TZ", "America/New_York")
    settings = load_settings(overrides={"timezone": "Local"})
    assert settings.timezone == "local"
    assert SUMMER.astimezone(settings.time_zone()).utcoffset() == timedelta(hours=-4)
    assert WINTER.astimezone(settings.time_zone()).utcoffset() == timedelta(hours=-5)


def test_timezone_env_beats_the_profile(clean_env, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\ntimezone = "Asia/Tokyo"\n')
    assert load_settings(config_path=path, profile="p").timezone == "Asia/Tokyo"
    clean_env.setenv("TRUEX_TIMEZONE", "Europe/Paris")
    assert load_settings(config_path=path, profile="p").timezone == "Europe/Paris"


@pytest.mark.parametrize("name", ["Europe/Londn", "../etc/passwd", "Europe", "GMT+25"])
def test_a_bad_timezone_is_a_config_error_naming_it(name):
    with pytest.raises(ConfigError) as caught:
        load_settings(overrides={"timezone": name})
    message = str(caught.value)
    assert repr(name) in message and "TRUEX_TIMEZONE" in message and "Europe/London" in message
    assert "\n" not in message


# --- export_dir ---------------------------------------------------------------------------------

def test_export_dir_given_is_expanded(clean_env, tmp_path):
    clean_env.setenv("HOME", str(tmp_path))
    clean_env.setenv("TRUEX_EXPORT_DIR", "~/desk-exports")
    assert load_settings().resolve_export_dir() == tmp_path / "desk-exports"


def test_export_dir_unset_is_the_downloads_directory_when_it_exists(clean_env, tmp_path):
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    clean_env.setattr(platformdirs, "user_downloads_dir", lambda: str(downloads))
    clean_env.chdir(tmp_path)
    assert Settings(_env_file=None).resolve_export_dir() == downloads


def test_export_dir_unset_without_downloads_is_in_the_state_directory(clean_env, tmp_path):
    clean_env.setattr(platformdirs, "user_downloads_dir", lambda: str(tmp_path / "no-such-Downloads"))
    clean_env.setattr(config, "state_dir", lambda: tmp_path / "state")
    clean_env.chdir(tmp_path)
    resolved = Settings(_env_file=None).resolve_export_dir()
    assert resolved == tmp_path / "state" / "exports"
    assert resolved != Path.cwd()


def test_export_dir_empty_variable_is_unset(clean_env, tmp_path):
    clean_env.setattr(platformdirs, "user_downloads_dir", lambda: str(tmp_path))
    clean_env.setenv("TRUEX_EXPORT_DIR", "")
    settings = load_settings()
    assert settings.export_dir is None and settings.resolve_export_dir() == tmp_path


# --- max_requests_per_minute --------------------------------------------------------------------

def test_max_requests_per_minute_default_env_and_minimum(clean_env):
    assert load_settings().max_requests_per_minute == 90
    clean_env.setenv("TRUEX_MAX_REQUESTS_PER_MINUTE", "120")
    assert load_settings().max_requests_per_minute == 120
    clean_env.setenv("TRUEX_MAX_REQUESTS_PER_MINUTE", "0")
    with pytest.raises(ConfigError, match=r"max_requests_per_minute \(TRUEX_MAX_REQUESTS_PER_MINUTE\)"):
        load_settings()


def test_new_settings_are_described():
    for name in ("timezone", "export_dir", "max_requests_per_minute", "base_url", "api_prefix"):
        assert Settings.model_fields[name].description, name


def test_starter_config_shows_the_new_settings_as_commented_examples():
    import tomllib

    from blotter.cli import STARTER_CONFIG

    for name in ("timezone", "export_dir", "max_requests_per_minute"):
        assert f"# {name} = " in STARTER_CONFIG, name
    uat = tomllib.loads(STARTER_CONFIG)["profiles"]["uat"]
    assert not {"timezone", "export_dir", "max_requests_per_minute"} & set(uat)  # commented out


# --- empty variables ----------------------------------------------------------------------------

def test_empty_secret_counts_as_missing(clean_env):
    clean_env.setenv("TRUEX_USER_ID", "42")
    clean_env.setenv("TRUEX_API_KEY", "00000000-0000-4000-8000-000000000000")
    clean_env.setenv("TRUEX_API_SECRET", "")
    settings = load_settings()
    assert settings.api_secret is None
    with pytest.raises(ConfigError, match="Missing credentials: TRUEX_API_SECRET"):
        settings.credentials()


def test_empty_nested_variable_leaves_the_profile_value(clean_env, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\ntheme = "amber"\n[profiles.p.poll]\norders = 2\n')
    clean_env.setenv("TRUEX_POLL__ORDERS", "")
    clean_env.setenv("TRUEX_THEME", "")
    settings = load_settings(config_path=path, profile="p")
    assert settings.poll.orders == 2.0 and settings.theme == "amber"


def test_empty_blotter_config_is_the_platform_default(clean_env):
    clean_env.setenv("BLOTTER_CONFIG", "")
    assert config.config_path() == config.default_config_path()
