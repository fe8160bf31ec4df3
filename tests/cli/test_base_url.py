"""The base URL is checked and normalised: a scheme and a host are required, and an API prefix pasted
from the docs (`https://prod.truex.co/api/v1/`) is taken off once, and noted."""

import json
import os
import subprocess
import sys

import pytest

from blotter.api import ConfigError
from blotter.config import Settings, load_settings
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("TRUEX_", "BLOTTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "absent.toml"))
    return monkeypatch


@pytest.mark.parametrize(
    "given,base_url",
    [
        ("https://prod.truex.co", "https://prod.truex.co"),
        ("https://prod.truex.co/", "https://prod.truex.co"),
        ("  https://prod.truex.co  ", "https://prod.truex.co"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("HTTPS://prod.truex.co", "https://prod.truex.co"),
    ],
)
def test_a_host_alone_is_kept_without_a_note(given, base_url):
    settings = load_settings(overrides={"base_url": given})
    assert settings.base_url == base_url and settings.api_prefix == "/api/v1" and settings.notes == []


@pytest.mark.parametrize("suffix", ["/api/v1", "/api/v1/"])
def test_the_docs_prod_url_is_taken_apart_and_noted(suffix):
    given = "https://prod.truex.co" + suffix
    settings = load_settings(overrides={"base_url": given})
    assert settings.base_url == "https://prod.truex.co" and settings.api_prefix == "/api/v1"
    assert settings.notes == [
        f"base_url: removed the API prefix /api/v1 from {given} (it is added to every request); "
        "api_prefix set to /api/v1"
    ]


@pytest.mark.parametrize("suffix", ["/v1/cefi", "/v1/cefi/"])
def test_the_docs_cefi_url_sets_the_prefix_when_none_was_given(suffix, clean_env):
    clean_env.setenv("TRUEX_BASE_URL", "https://api.uat.truex.co" + suffix)
    settings = load_settings()
    assert settings.base_url == "https://api.uat.truex.co" and settings.api_prefix == "/v1/cefi"
    assert "api_prefix set to /v1/cefi" in settings.notes[0]


@pytest.mark.parametrize("where", ["flag", "env", "profile"])
def test_an_explicit_api_prefix_that_agrees_is_kept(where, clean_env, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\n' + ('api_prefix = "/v1/cefi/"\n' if where == "profile" else ""))
    if where == "env":
        clean_env.setenv("TRUEX_API_PREFIX", "/v1/cefi")
    overrides = {"base_url": "https://api.truex.co/v1/cefi/", "api_prefix": "v1/cefi" if where == "flag" else None}
    settings = load_settings(config_path=path, profile="p", overrides=overrides)
    assert settings.base_url == "https://api.truex.co" and settings.api_prefix == "/v1/cefi"
    assert settings.notes == [
        "base_url: removed the API prefix /v1/cefi from https://api.truex.co/v1/cefi/ (it is added to every request)"
    ]


@pytest.mark.parametrize("where", ["flag", "env", "profile"])
def test_an_explicit_api_prefix_that_differs_is_an_error_naming_both(where, clean_env, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\n' + ('api_prefix = "/api/v1"\n' if where == "profile" else ""))
    if where == "env":
        clean_env.setenv("TRUEX_API_PREFIX", "/api/v1")
    overrides = {"base_url": "https://api.truex.co/v1/cefi", "api_prefix": "/api/v1" if where == "flag" else None}
    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=path, profile="p", overrides=overrides)
    message = str(caught.value)
    assert "https://api.truex.co/v1/cefi" in message and "/api/v1" in message and "api_prefix" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "given",
    [
        "prod.truex.co",
        "prod.truex.co/api/v1",
        "ftp://prod.truex.co",
        "https://",
        "https:///api/v1",
        "//prod.truex.co",
        "https://prod.truex.co:port",
        "https://prod.truex.co/api/v2",
        "https://prod.truex.co/api",
        "https://prod.truex.co/api/v1/api/v1",
        "https://prod.truex.co/api/v1?x=1",
    ],
)
def test_a_bad_base_url_is_one_line_naming_the_setting_with_an_example(given):
    with pytest.raises(ConfigError) as caught:
        load_settings(overrides={"base_url": given})
    message = str(caught.value)
    assert "base_url" in message and "TRUEX_BASE_URL" in message and "--base-url" in message
    assert "e.g. https://prod.truex.co" in message and "\n" not in message


def test_an_unknown_path_says_what_was_expected():
    with pytest.raises(ConfigError, match=r"has the path /trade; expected only the host.*/api/v1 or /v1/cefi"):
        load_settings(overrides={"base_url": "https://prod.truex.co/trade"})


def test_a_host_without_scheme_gets_a_suggestion():
    with pytest.raises(ConfigError, match=r"did you mean https://prod\.truex\.co\?"):
        load_settings(overrides={"base_url": "prod.truex.co"})


def test_a_password_in_the_url_is_refused_without_echoing_it():
    with pytest.raises(ConfigError, match="user:password@") as caught:
        load_settings(overrides={"base_url": "https://me:hunter2zz@prod.truex.co"})
    assert "hunter2zz" not in str(caught.value)


def test_an_empty_variable_is_unset(clean_env):
    clean_env.setenv("TRUEX_BASE_URL", "")
    clean_env.setenv("TRUEX_API_PREFIX", "")
    settings = load_settings()
    assert settings.base_url == "https://prod.truex.co" and settings.api_prefix == "/api/v1"


def test_notes_are_on_the_settings_but_not_in_their_values():
    settings = Settings(_env_file=None, base_url="https://prod.truex.co/api/v1/")
    assert settings.notes and "notes" not in settings.model_dump() and "_notes" not in settings.model_dump()


def test_config_show_prints_the_notes(clean_env, capsys):
    from blotter.cli import main

    clean_env.setenv("TRUEX_BASE_URL", "https://prod.truex.co/api/v1/")
    assert main(["config", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["base_url"] == "https://prod.truex.co"
    assert shown["notes"] == [
        "base_url: removed the API prefix /api/v1 from https://prod.truex.co/api/v1/ (it is added to every request); "
        "api_prefix set to /api/v1"
    ]
    assert main(["--base-url", "https://prod.truex.co", "config", "show"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == []


@pytest.fixture(scope="module")
def sim():
    with SimServer(Exchange(seed=3), auto_tick=False) as server:
        yield server


@pytest.mark.parametrize("prefix", ["/api/v1/", "/v1/cefi/"])
def test_blotter_call_with_the_pasted_base_url_reaches_the_api(sim, prefix, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUEX_", "BLOTTER_"))}
    env.update(
        TRUEX_BASE_URL=sim.base_url + prefix,
        TRUEX_USER_ID=DEMO_CREDENTIALS.user_id,
        TRUEX_API_KEY=DEMO_CREDENTIALS.key,
        TRUEX_API_SECRET=DEMO_CREDENTIALS.secret,
        BLOTTER_CONFIG=str(tmp_path / "absent.toml"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "blotter", "call", "GET", "orders/active"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)
    assert f"note: base_url: removed the API prefix {prefix.rstrip('/')}" in result.stderr
