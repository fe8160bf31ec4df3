"""Settings precedence (flags, env, profile, defaults), secret handling, and the permission warning."""

import json
import os
import sys

import pytest

from blotter.api import ConfigError
from blotter.config import load_settings, permission_warning

CONFIG = """
default_profile = "uat"
[profiles.uat]
base_url = "https://api.uat.truex.co"
api_prefix = "/v1/cefi"
user_id = "111"
api_key = "key-from-file"
theme = "amber"
[profiles.uat.poll]
orders = 0.5
[profiles.other]
base_url = "https://other.example"
"""


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("TRUEX_") or name.startswith("BLOTTER_"):
            monkeypatch.delenv(name)
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    path.chmod(0o600)
    return path


def test_profile_over_defaults(config_file):
    settings = load_settings(config_path=config_file)
    assert settings.base_url == "https://api.uat.truex.co"
    assert settings.api_prefix == "/v1/cefi"
    assert settings.poll.orders == 0.5 and settings.poll.trades == 2.0  # default kept
    assert settings.api_version == "v2026_01_23"
    assert settings.environment_label == "UAT"


def test_env_over_profile_and_flags_over_env(config_file, monkeypatch):
    monkeypatch.setenv("TRUEX_BASE_URL", "https://from-env.example")
    monkeypatch.setenv("TRUEX_API_KEY", "key-from-env")
    settings = load_settings(config_path=config_file)
    assert settings.base_url == "https://from-env.example"
    assert settings.api_key == "key-from-env"
    settings = load_settings(config_path=config_file, overrides={"base_url": "https://from-flag.example"})
    assert settings.base_url == "https://from-flag.example"


def test_named_profile_and_unknown_profile(config_file):
    assert load_settings(config_path=config_file, profile="other").base_url == "https://other.example"
    with pytest.raises(ConfigError, match="Profile 'nope' not found"):
        load_settings(config_path=config_file, profile="nope")


def test_secret_is_refused_in_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\napi_secret = "oops"\n')
    with pytest.raises(ConfigError, match="must not be stored in the file") as caught:
        load_settings(config_path=path, profile="p")
    assert "oops" not in str(caught.value)


def test_missing_credentials_message_names_what_is_missing(config_file):
    settings = load_settings(config_path=config_file)
    with pytest.raises(ConfigError) as caught:
        settings.credentials()
    message = str(caught.value)
    assert "TRUEX_API_SECRET" in message and "TRUEX_API_KEY" not in message and "\n" not in message


def test_secret_from_env_and_from_command(config_file, monkeypatch):
    monkeypatch.setenv("TRUEX_API_SECRET", "env-secret-value")
    creds = load_settings(config_path=config_file).credentials()
    assert creds.secret.get_secret_value() == "env-secret-value"
    assert "env-secret-value" not in repr(creds) and "env-secret-value" not in repr(load_settings(config_path=config_file))
    monkeypatch.delenv("TRUEX_API_SECRET")
    command = f"{sys.executable} -c \"print('cmd-secret-value')\""
    creds = load_settings(config_path=config_file, overrides={"secret_command": command}).credentials()
    assert creds.secret.get_secret_value() == "cmd-secret-value"


def test_permission_warning(config_file):
    assert permission_warning(config_file) is None
    config_file.chmod(0o644)
    warning = permission_warning(config_file)
    assert warning and "chmod 600" in warning


@pytest.mark.parametrize("before", [True, False], ids=["flag-before-command", "flag-after-command"])
def test_config_init_writes_where_config_points_and_show_reads_it(tmp_path, capsys, monkeypatch, before):
    from blotter.cli import main

    monkeypatch.delenv("BLOTTER_CONFIG", raising=False)
    monkeypatch.delenv("BLOTTER_PROFILE", raising=False)
    path = tmp_path / "c.toml"
    argv = ["--config", str(path), "config", "init"] if before else ["config", "init", "--config", str(path)]
    assert main(argv) == 0
    assert path.exists() and (path.stat().st_mode & 0o077) == 0
    assert main(["--config", str(path), "config", "show"]) == 0
    shown = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert shown["environment"] == "UAT" and shown["config_file"] == str(path)


def test_config_init_honours_blotter_config_like_show_and_the_flag_beats_it(tmp_path, capsys, monkeypatch):
    from blotter.cli import main

    monkeypatch.delenv("BLOTTER_PROFILE", raising=False)
    from_env = tmp_path / "env" / "blotter.toml"
    monkeypatch.setenv("BLOTTER_CONFIG", str(from_env))
    assert main(["config", "init"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {from_env}"
    assert from_env.exists() and (from_env.stat().st_mode & 0o077) == 0
    assert main(["config", "init"]) == 2  # the same file: refused without --force
    assert "exists; use --force" in capsys.readouterr().err
    assert main(["config", "show"]) == 0
    assert json.loads(capsys.readouterr().out)["config_file"] == str(from_env)
    from_flag = tmp_path / "flag.toml"
    assert main(["config", "init", "--config", str(from_flag)]) == 0
    assert from_flag.exists()
