"""After a 401, the trader is told what to check, by setting name; the secret never appears."""

import json
import os
import subprocess
import sys

import pytest

from blotter.config import PADDED_SECRET, Settings, unauthorized_help
from blotter.sim import DEMO_CREDENTIALS, Exchange, SimServer

CANARY = "canary-secret-5f1e"
KEY = "0b6c3c2e-8f5e-4a47-9d43-1f0e4b9a7c11"


def test_help_names_each_setting_to_check_and_their_current_values():
    settings = Settings(
        _env_file=None, base_url="https://prod.truex.co", user_id="78932725357888855", api_key=KEY,
        api_secret=CANARY,
    )
    text = unauthorized_help(settings)
    assert CANARY not in text
    assert f"TRUEX_API_KEY (api_key, now {KEY}): the UUID" in text
    assert "TRUEX_API_SECRET (or secret_command): the secret of that same key" in text
    assert "it now comes from TRUEX_API_SECRET" in text
    assert "TRUEX_USER_ID (user_id, now 78932725357888855): your client id" in text
    assert "api_prefix (TRUEX_API_PREFIX, currently /api/v1) must match the host prod.truex.co" in text
    assert "/v1/cefi on api.truex.co" in text
    assert "15 s behind" in text and "1 s ahead" in text and "NTP" in text
    assert "expects" not in text  # /api/v1 is right for prod.truex.co


def test_help_says_what_the_host_expects_when_the_prefix_does_not_match():
    settings = Settings(_env_file=None, base_url="https://api.truex.co", api_prefix="/api/v1")
    text = unauthorized_help(settings)
    assert "currently /api/v1" in text and "api.truex.co expects /v1/cefi" in text
    assert "TRUEX_API_KEY (api_key, now unset)" in text


def test_help_says_where_the_secret_comes_from_without_running_the_command():
    settings = Settings(_env_file=None, secret_command="/no/such/command-that-would-fail")
    assert "it now comes from secret_command" in unauthorized_help(settings)
    assert "the system keyring" in unauthorized_help(Settings(_env_file=None))


@pytest.fixture(scope="module")
def sim():
    with SimServer(Exchange(seed=5), auto_tick=False) as server:
        yield server


def run(sim, tmp_path, *args, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUEX_", "BLOTTER_"))}
    env.update(
        TRUEX_BASE_URL=sim.base_url,
        TRUEX_USER_ID=DEMO_CREDENTIALS.user_id,
        TRUEX_API_KEY=DEMO_CREDENTIALS.key,
        TRUEX_API_SECRET=DEMO_CREDENTIALS.secret,
        BLOTTER_CONFIG=str(tmp_path / "absent.toml"),
    )
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "blotter", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_blotter_call_prints_problem_details_then_what_to_check(sim, tmp_path):
    result = run(sim, tmp_path, "call", "GET", "/api/v1/balances", TRUEX_API_SECRET=CANARY)
    assert result.returncode == 1 and result.stdout == ""
    assert CANARY not in result.stderr
    problem_start = result.stderr.index("{")
    problem_end = result.stderr.index("\n}", problem_start) + 2
    assert json.loads(result.stderr[problem_start:problem_end])["status"] == 401
    help_text = result.stderr[problem_end:]
    assert "TRUEX_API_SECRET" in help_text and "TRUEX_API_KEY" in help_text and "TRUEX_USER_ID" in help_text
    assert "api_prefix (TRUEX_API_PREFIX, currently /api/v1)" in help_text


def test_other_errors_carry_no_credentials_help(sim, tmp_path):
    result = run(sim, tmp_path, "call", "GET", "/api/v1/orders/trade", "--query", "timestamp=12")
    assert result.returncode == 1 and "400" in result.stderr
    assert "TRUEX_API_SECRET" not in result.stderr


def test_ids_pasted_with_spaces_or_a_line_break_are_read_without_them(monkeypatch):
    monkeypatch.setenv("TRUEX_USER_ID", " 78932725357888855\n")
    monkeypatch.setenv("TRUEX_API_KEY", f"{KEY} ")
    settings = Settings(_env_file=None)
    assert (settings.user_id, settings.api_key) == ("78932725357888855", KEY)
    assert settings.notes == []


@pytest.mark.parametrize("pasted", [f" {CANARY}", f"{CANARY}\n", f"'{CANARY}'", f'"{CANARY}"', f"{CANARY}\t"])
def test_a_secret_with_spaces_or_quotes_at_an_end_is_kept_and_flagged_without_showing_it(monkeypatch, pasted):
    monkeypatch.setenv("TRUEX_API_SECRET", pasted)
    settings = Settings(_env_file=None, base_url="https://prod.truex.co", user_id="1", api_key=KEY)
    assert settings.api_secret.get_secret_value() == pasted  # signed as given: never changed behind the trader
    assert settings.notes == [PADDED_SECRET]
    help_text = unauthorized_help(settings)
    assert help_text.splitlines()[1] == f"  - {PADDED_SECRET}"  # the likely cause comes first
    assert CANARY not in help_text and CANARY not in " ".join(settings.notes)


def test_a_secret_with_inner_spaces_is_not_flagged():
    settings = Settings(_env_file=None, api_secret="two words")
    assert settings.notes == [] and PADDED_SECRET not in unauthorized_help(settings)


def test_blotter_call_signs_in_with_a_key_and_user_id_pasted_with_a_trailing_space(sim, tmp_path):
    # Before, the space reached the request's headers: "Transport error: LocalProtocolError".
    result = run(sim, tmp_path, "call", "GET", "/api/v1/balances", TRUEX_API_KEY=DEMO_CREDENTIALS.key + " ",
                 TRUEX_USER_ID=DEMO_CREDENTIALS.user_id + "\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)


def test_blotter_call_with_a_padded_secret_says_so_before_and_after_the_401(sim, tmp_path):
    result = run(sim, tmp_path, "call", "GET", "/api/v1/balances", TRUEX_API_SECRET=DEMO_CREDENTIALS.secret + " ")
    assert result.returncode == 1
    assert result.stderr.startswith(f"note: {PADDED_SECRET}\n")
    assert f"Check:\n  - {PADDED_SECRET}" in result.stderr
    assert DEMO_CREDENTIALS.secret not in result.stderr
