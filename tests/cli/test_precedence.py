"""One order of precedence for every key, nested ones too: flag, then TRUEX_*, then the chosen
profile, then the default. Each case sets any combination of the first three and asserts the winner."""

import itertools
import json
import os
from decimal import Decimal

import pytest

from blotter.api import ConfigError
from blotter.config import Settings, load_settings

LAYERS = list(itertools.product([False, True], repeat=3))  # (flag, env, profile) set or not


def layer_id(layers):
    return "+".join(name for name, on in zip(("flag", "env", "profile"), layers) if on) or "none"


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("TRUEX_", "BLOTTER_")):
            monkeypatch.delenv(name)
    return monkeypatch


def write_profile(tmp_path, body: str):
    path = tmp_path / "config.toml"
    path.write_text('default_profile = "p"\n[profiles.p]\n' + body)
    return path


TOP_LEVEL = {
    # key: env var, default
    "theme": ("TRUEX_THEME", "desk-dark"),  # a key with a default
    "client_id": ("TRUEX_CLIENT_ID", None),  # a key whose default is None
}


@pytest.mark.parametrize("layers", LAYERS, ids=layer_id)
@pytest.mark.parametrize("key", list(TOP_LEVEL))
def test_top_level_key(key, layers, tmp_path, clean_env):
    flag, env, profile = layers
    env_name, default = TOP_LEVEL[key]
    path = write_profile(tmp_path, (f'{key} = "profile-{key}"\n' if profile else "") + 'environment = "UAT"\n')
    if env:
        clean_env.setenv(env_name, f"env-{key}")
    # An unset flag is passed as None, as the command line passes it.
    settings = load_settings(config_path=path, overrides={key: f"flag-{key}" if flag else None})
    expected = f"flag-{key}" if flag else f"env-{key}" if env else f"profile-{key}" if profile else default
    assert getattr(settings, key) == expected
    assert settings.environment == "UAT"  # the rest of the profile still applies


NESTED = {
    # (table, key): env var, the three values, default, a sibling the profile always sets and its value
    ("poll", "orders"): ("TRUEX_POLL__ORDERS", (9.0, 7.0, 2.0), 1.0, ("quotes", 3.0)),
    ("guards", "max_qty"): ("TRUEX_GUARDS__MAX_QTY", (Decimal("9"), Decimal("7"), Decimal("2")), None,
                            ("max_distance_pct", Decimal("3"))),
}


@pytest.mark.parametrize("layers", LAYERS, ids=layer_id)
@pytest.mark.parametrize("table,key", list(NESTED), ids=lambda v: v if isinstance(v, str) else None)
def test_nested_key_and_its_siblings_merge(table, key, layers, tmp_path, clean_env):
    flag, env, profile = layers
    env_name, (flag_value, env_value, profile_value), default, (sibling, sibling_value) = NESTED[(table, key)]
    lines = [f"[profiles.p.{table}]", f'{sibling} = "{sibling_value}"']
    if profile:
        lines.append(f'{key} = "{profile_value}"')
    path = write_profile(tmp_path, "\n".join(lines) + "\n")
    if env:
        clean_env.setenv(env_name, str(env_value))
    overrides = {table: {key: str(flag_value)}} if flag else None
    settings = load_settings(config_path=path, overrides=overrides)
    expected = flag_value if flag else env_value if env else profile_value if profile else default
    group = getattr(settings, table)
    assert getattr(group, key) == expected
    assert getattr(group, sibling) == sibling_value  # the profile's other keys in the table survive


def test_the_reported_case_env_poll_orders_beats_the_profile_and_quotes_still_apply(tmp_path, clean_env):
    path = write_profile(tmp_path, "[profiles.p.poll]\norders = 2\nquotes = 3\n")
    clean_env.setenv("TRUEX_POLL__ORDERS", "7")
    settings = load_settings(config_path=path)
    assert (settings.poll.orders, settings.poll.quotes, settings.poll.trades) == (7.0, 3.0, 2.0)


def test_env_json_for_a_table_merges_with_the_profile(tmp_path, clean_env):
    path = write_profile(tmp_path, "[profiles.p.poll]\norders = 2\nquotes = 3\n")
    clean_env.setenv("TRUEX_POLL", '{"orders": 7}')
    settings = load_settings(config_path=path)
    assert (settings.poll.orders, settings.poll.quotes) == (7.0, 3.0)


def test_cli_flags_env_and_profile_through_config_show(tmp_path, clean_env, capsys):
    from blotter.cli import main

    path = write_profile(tmp_path, 'base_url = "https://profile.example"\ntheme = "profile-theme"\n'
                                   'api_version = "v2024_01_01"\n')
    clean_env.setenv("TRUEX_BASE_URL", "https://env.example")
    clean_env.setenv("TRUEX_API_VERSION", "v2026_01_23")
    assert main(["--config", str(path), "config", "show", "--api-version", "v2024_01_01"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["base_url"] == "https://env.example"  # env over profile
    assert shown["api_version"] == "v2024_01_01"  # flag over env
    assert shown["theme"] == "profile-theme"  # profile over default
    assert shown["api_prefix"] == "/api/v1"  # default


def test_profile_choice_flag_then_blotter_profile_then_default_profile(tmp_path, clean_env):
    path = tmp_path / "c.toml"
    path.write_text(
        'default_profile = "a"\n[profiles.a]\ntheme = "a"\n[profiles.b]\ntheme = "b"\n[profiles.c]\ntheme = "c"\n'
    )
    assert load_settings(config_path=path).theme == "a"
    clean_env.setenv("BLOTTER_PROFILE", "b")
    assert load_settings(config_path=path).theme == "b"
    assert load_settings(config_path=path, profile="c").theme == "c"
    clean_env.setenv("BLOTTER_PROFILE", "")  # empty is unset
    assert load_settings(config_path=path).theme == "a"


def test_unknown_profile_names_the_known_ones(tmp_path, clean_env):
    path = write_profile(tmp_path, "")
    with pytest.raises(ConfigError, match=r"Profile 'nope' not found .*\(profiles: p\)"):
        load_settings(config_path=path, profile="nope")


def test_missing_config_flag_file_is_an_error_but_a_missing_default_file_is_not(tmp_path, clean_env):
    with pytest.raises(ConfigError, match="Config file not found"):
        load_settings(config_path=tmp_path / "absent.toml")
    clean_env.setenv("BLOTTER_CONFIG", str(tmp_path / "absent.toml"))
    assert load_settings().theme == "desk-dark"


def test_blotter_config_env_chooses_the_file(tmp_path, clean_env):
    path = write_profile(tmp_path, 'theme = "from-env-file"\n')
    clean_env.setenv("BLOTTER_CONFIG", str(path))
    assert load_settings().theme == "from-env-file"


def test_the_secret_in_the_profile_is_refused_even_when_the_env_has_one(tmp_path, clean_env):
    path = write_profile(tmp_path, 'api_secret = "file-secret-zz"\n')
    clean_env.setenv("TRUEX_API_SECRET", "env-secret-zz")
    with pytest.raises(ConfigError, match="must not be stored in the file") as caught:
        load_settings(config_path=path)
    assert "zz" not in str(caught.value)


def test_settings_built_directly_take_init_values_over_env(clean_env):
    clean_env.setenv("TRUEX_USER_ID", "from-env")
    clean_env.setenv("TRUEX_THEME", "env-theme")
    settings = Settings(_env_file=None, user_id="42", environment="UAT")
    assert (settings.user_id, settings.theme, settings.environment) == ("42", "env-theme", "UAT")


def test_a_bad_value_is_a_one_line_config_error_naming_the_variable(tmp_path, clean_env):
    path = write_profile(tmp_path, "[profiles.p.poll]\norders = 2\n")
    clean_env.setenv("TRUEX_POLL__ORDERS", "soon")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=path)
    message = str(caught.value)
    assert "poll.orders (TRUEX_POLL__ORDERS)" in message and "'soon'" in message and "\n" not in message


def test_a_validation_error_never_echoes_the_secret(clean_env):
    clean_env.setenv("TRUEX_POLL__ORDERS", "-1")
    with pytest.raises(ConfigError) as caught:
        load_settings(overrides={"api_secret": ["canary-secret-q"]})
    assert "api_secret" in str(caught.value) and "canary-secret-q" not in str(caught.value)


@pytest.mark.parametrize(
    "document",
    ['api_secret = "top-level-zz"\n', '[profiles.p]\n[profiles.q]\napi_secret = "other-profile-zz"\n'],
    ids=["top-level", "another-profile"],
)
def test_the_secret_anywhere_in_the_file_is_refused(tmp_path, clean_env, document):
    path = tmp_path / "c.toml"
    path.write_text(document)
    with pytest.raises(ConfigError, match="must not be stored in the file") as caught:
        load_settings(config_path=path, profile="p")
    assert "zz" not in str(caught.value)
