"""The stream's settings: organization_id, ws_url (checked, or derived from base_url) and stream."""

import os

import pytest

from blotter.api import ConfigError, ws_url_from_base
from blotter.config import load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("TRUEX_", "BLOTTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BLOTTER_CONFIG", str(tmp_path / "absent.toml"))
    return monkeypatch


def test_defaults_stream_when_it_can_and_derive_the_address():
    settings = load_settings()
    assert settings.stream == "auto" and settings.organization_id is None and settings.ws_url is None
    assert settings.stream_url == "wss://prod.truex.co/api/v1"


@pytest.mark.parametrize(("base", "expected"), [
    ("https://uat.truex.co/api/v1/", "wss://uat.truex.co/api/v1"),
    ("http://127.0.0.1:9742", "ws://127.0.0.1:9742/api/v1"),
    ("https://api.uat.truex.co/v1/cefi", "wss://api.uat.truex.co/api/v1"),
])
def test_the_address_follows_the_base_url(clean_env, base, expected):
    clean_env.setenv("TRUEX_BASE_URL", base)
    assert load_settings().stream_url == expected
    assert ws_url_from_base(base) == expected


@pytest.mark.parametrize(("word", "mode"), [("off", "off"), ("OFF", "off"), ("0", "off"), ("false", "off"),
                                            ("on", "on"), ("1", "on"), ("auto", "auto")])
def test_stream_words(clean_env, word, mode):
    clean_env.setenv("TRUEX_STREAM", word)
    assert load_settings().stream == mode


def test_an_unknown_stream_word_says_what_is_allowed(clean_env):
    clean_env.setenv("TRUEX_STREAM", "sometimes")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "stream" in str(caught.value) and "auto" in str(caught.value)


def test_a_pasted_https_address_as_ws_url_is_refused_with_an_example(clean_env):
    clean_env.setenv("TRUEX_WS_URL", "https://uat.truex.co/api/v1")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "wss://" in str(caught.value) and "TRUEX_WS_URL" in str(caught.value)
    assert "did you mean wss://uat.truex.co/api/v1?" in str(caught.value)


def test_the_given_ws_url_and_organization_win(clean_env):
    clean_env.setenv("TRUEX_WS_URL", "wss://uat.truex.co/wssuat")
    clean_env.setenv("TRUEX_ORGANIZATION_ID", "5b1f6f0e-2a3c-4d5e-8f90-a1b2c3d4e5f6")
    settings = load_settings()
    assert settings.stream_url == "wss://uat.truex.co/wssuat"
    assert settings.organization_id == "5b1f6f0e-2a3c-4d5e-8f90-a1b2c3d4e5f6"


def test_an_empty_ws_url_is_unset(clean_env):
    clean_env.setenv("TRUEX_WS_URL", "")
    assert load_settings().ws_url is None
