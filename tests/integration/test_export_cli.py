"""`blotter export` as a subprocess against the simulator: CSV and JSON, --since, file and stdout."""

import csv
import io
import json
import subprocess
from decimal import Decimal

import pytest

from blotter.api import TrueXClient
from cli_runner import run_cli


async def _wire(sim, credentials, what):
    async with TrueXClient(sim.base_url, credentials=credentials) as client:
        if what == "trades":
            await client.sync_clock()
            day_ago = int(client.clock.now() * 1e9) - 24 * 3600 * 10**9
            return (await client.all_trades(day_ago)).items
        if what == "orders":
            return (await client.active_orders()).items
        return (await client.balances(client_id=credentials.user_id)).items


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("version", ["v2024_01_01", "v2026_01_23"])
async def test_export_trades_csv_to_stdout_is_every_trade_exact_and_in_time_order(sim, credentials, version):
    result = run_cli(sim, "export", "trades", "--api-version", version)
    assert result.returncode == 0, result.stderr
    exported = rows(result.stdout)
    wire = await _wire(sim, credentials, "trades")
    assert len(exported) == len(wire) >= 250  # every page, not the first
    assert [int(r["time_ns"]) for r in exported] == sorted(t.timestamp for t in wire)
    by_match = {t.match_id: t for t in wire}
    for row in exported:
        trade = by_match[row["match_id"]]
        assert row["trade_price"] == format(trade.trade_price, "f")
        assert row["trade_qty"] == format(trade.trade_qty, "f")
        assert Decimal(row["notional"]) == trade.trade_price * trade.trade_qty
        assert row["order_id"] == trade.order_id and row["symbol"].endswith("-PYUSD")
        assert row["time"].endswith("Z") and len(row["time"]) == len("2026-09-21T14:13:20.123456789Z")


def test_export_trades_since_filters_json_to_a_file(sim, tmp_path):
    everything = rows(run_cli(sim, "export", "trades").stdout)
    cut = sorted(int(r["time_ns"]) for r in everything)[len(everything) // 2]
    out = tmp_path / "trades.json"
    result = run_cli(sim, "export", "trades", "--since", str(cut), "--format", "json", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and str(out) in result.stderr
    records = json.loads(out.read_text())
    assert records and all(int(r["time_ns"]) >= cut for r in records)
    assert len(records) == sum(1 for r in everything if int(r["time_ns"]) >= cut)
    assert all(isinstance(r["trade_price"], str) and isinstance(r["time_ns"], str) for r in records)


def test_export_trades_since_duration(sim):
    result = run_cli(sim, "export", "trades", "--since", "1h", "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    everything = rows(run_cli(sim, "export", "trades").stdout)
    assert len(records) < len(everything)
    newest = max(int(r["time_ns"]) for r in everything)
    assert all(int(r["time_ns"]) >= newest - 3600 * 10**9 - 5 * 10**9 for r in records)


@pytest.fixture(scope="module")
def resting_orders(sim):
    sim.exchange.seed_orders(6)
    return sim


async def test_export_orders_csv_and_since_by_creation_time(resting_orders, credentials, tmp_path):
    sim = resting_orders
    wire = await _wire(sim, credentials, "orders")
    assert wire
    out = tmp_path / "orders.csv"
    result = run_cli(sim, "export", "orders", "-o", str(out))
    assert result.returncode == 0, result.stderr
    exported = rows(out.read_bytes().decode())
    assert out.read_bytes().count(b"\r\n") == len(exported) + 1  # RFC 4180 line ends
    assert {r["id"] for r in exported} == {o.id for o in wire}
    assert [int(r["created_ns"]) for r in exported] == sorted(o.timestamp for o in wire)
    first = next(o for o in wire if o.id == exported[0]["id"])
    assert exported[0]["price"] == format(first.price, "f") and exported[0]["status"] == str(first.status)
    cut = int(exported[-1]["created_ns"])
    result = run_cli(sim, "export", "orders", "--since", str(cut), "--format", "json")
    assert [r["id"] for r in json.loads(result.stdout)] == [r["id"] for r in exported if int(r["created_ns"]) >= cut]


async def test_export_balances_json(sim, credentials):
    result = run_cli(sim, "export", "balances", "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    wire = await _wire(sim, credentials, "balances")
    lines = [(b.id, line) for b in wire for line in b.balances]
    assert [(r["client_id"], r["asset_id"]) for r in records] == [(cid, line.asset_id) for cid, line in lines]
    for record, (_, line) in zip(records, lines, strict=True):
        assert record["balance"] == format(line.balance, "f")
        assert Decimal(record["available"]) == line.available
        assert record["asset"]


@pytest.mark.parametrize("what", ["trades", "orders", "balances"])
def test_export_missing_credentials_is_one_line(sim, what):
    result = run_cli(sim, "export", what, env_extra={"TRUEX_API_SECRET": ""})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TRUEX_API_SECRET" in lines[0]
    assert result.stdout == ""


def test_export_bad_since_is_one_line(sim):
    result = run_cli(sim, "export", "trades", "--since", "yesterday")
    assert result.returncode == 2 and "--since" in result.stderr and result.stdout == ""


def test_export_help_lists_every_option():
    from blotter.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")  # noqa: SLF001
    text = sub.choices["export"].format_help()
    for word in ("trades", "orders", "balances", "--since", "--format", "--output", "ISO-8601", "24h"):
        assert word in text


def test_export_to_an_unwritable_path_is_one_line(sim, tmp_path):
    out = tmp_path / "missing-dir" / "trades.csv"
    result = run_cli(sim, "export", "trades", "-o", str(out))
    assert result.returncode == 2 and "cannot write" in result.stderr and str(out) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.parent.exists()
