"""`blotter export` as a subprocess against the simulator: CSV and JSON, --since, file and stdout."""

import csv
import io
import json
import time
from decimal import Context, Decimal

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


@pytest.mark.parametrize("what", ["trades", "orders", "balances", "positions"])
def test_export_missing_credentials_is_one_line(sim, what):
    result = run_cli(sim, "export", what, env_extra={"TRUEX_API_SECRET": ""})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TRUEX_API_SECRET" in lines[0]
    assert result.stdout == ""


def test_export_bad_since_is_one_line(sim):
    result = run_cli(sim, "export", "trades", "--since", "yesterday")
    assert result.returncode == 2 and "--since" in result.stderr and result.stdout == ""


async def _positions_inputs(sim, credentials):
    from blotter.core.reference import Catalog

    async with TrueXClient(sim.base_url, credentials=credentials) as client:
        await client.sync_clock()
        day_ago = int(client.clock.now() * 1e9) - 24 * 3600 * 10**9
        trades = (await client.all_trades(day_ago)).items
        quotes = (await client.quotes()).items
        catalog = Catalog.build((await client.instruments()).items, (await client.assets()).items)
    return trades, quotes, catalog


async def test_export_positions_csv_is_the_average_cost_book_of_the_window(sim, credentials):
    from blotter.core.positions import positions

    # a day start two minutes ahead of now is the latest one about 23 h 58 min back: nearly all the fills
    day_start = time.strftime("%H:%M", time.gmtime(time.time() + 120))
    result = run_cli(sim, "export", "positions", env_extra={"TRUEX_DAY_START": day_start})
    assert result.returncode == 0, result.stderr
    exported = rows(result.stdout)
    trades, quotes, catalog = await _positions_inputs(sim, credentials)
    since = int(exported[0]["window_start_ns"])
    assert exported[0]["window_start"].endswith(f"T{day_start}:00.000000000Z")
    assert {int(r["window_start_ns"]) for r in exported} == {since}
    counted = [t for t in trades if t.timestamp >= since and t.client_id == credentials.user_id]
    assert 200 <= len(counted) <= len(trades)
    position_rows = [r for r in exported if r["row"] == "position"]
    total_rows = [r for r in exported if r["row"] == "total"]
    assert [r["symbol"] for r in position_rows] == sorted(r["symbol"] for r in position_rows)
    assert [r["quote_asset"] for r in total_rows] == ["PYUSD"]
    # the same book from the same fills and quotes, value for value
    expected = positions(trades, quotes, catalog, since_ns=since, client_ids=[credentials.user_id])
    assert [r["instrument_id"] for r in position_rows] == [p.instrument_id for p in expected]
    for row, p in zip(position_rows, expected, strict=True):
        for column, value in (("net_qty", p.net_qty), ("avg_cost", p.avg_cost), ("realized_pnl", p.realized),
                              ("unrealized_pnl", p.unrealized), ("fees", p.fees), ("total_pnl", p.total),
                              ("mid", p.mid), ("notional", p.notional)):
            assert row[column] == format(value, "f"), column
    # independently of the method: total + fees = sells' notional − buys' notional + net × mid, exactly
    exact = Context(prec=200)
    mids = {q.id: (q.info.best_bid.price + q.info.best_ask.price) / 2 for q in quotes}
    for row in position_rows:
        mine = [t for t in counted if t.instrument_id == row["instrument_id"]]
        cash = sum((exact.multiply(t.trade_price, t.trade_qty) * (1 if t.side == "SELL" else -1) for t in mine),
                   Decimal(0))
        net = sum((t.trade_qty * (1 if t.side == "BUY" else -1) for t in mine), Decimal(0))
        fees = sum((exact.multiply(exact.multiply(t.trade_price, t.trade_qty), t.trade_fee_rate) for t in mine),
                   Decimal(0))
        assert Decimal(row["mid"]) == mids[row["instrument_id"]]
        assert Decimal(row["net_qty"]) == net and Decimal(row["fees"]) == fees
        assert exact.add(Decimal(row["total_pnl"]), fees) == exact.add(cash, exact.multiply(net, Decimal(row["mid"])))
        assert int(row["fills"]) == len(mine) and row["fees_complete"] == "true"
    (total,) = total_rows
    assert int(total["fills"]) == len(counted)
    assert Decimal(total["total_pnl"]) == sum(Decimal(r["total_pnl"]) for r in position_rows)


async def test_export_positions_json_since_is_a_later_start(sim, credentials):
    ahead = {"TRUEX_DAY_START": time.strftime("%H:%M", time.gmtime(time.time() + 120))}  # ~24 h back
    result = run_cli(sim, "export", "positions", "--since", "1h", "--format", "json", env_extra=ahead)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert records and all(isinstance(v, str) or v is None for r in records for v in r.values())
    since = int(records[0]["window_start_ns"])
    trades, _, _ = await _positions_inputs(sim, credentials)
    newest = max(t.timestamp for t in trades)
    assert newest - 3600 * 10**9 - 5 * 10**9 <= since <= time.time_ns() - 3600 * 10**9 + 5 * 10**9
    (total,) = [r for r in records if r["row"] == "total"]
    assert int(total["fills"]) == sum(1 for t in trades if t.timestamp >= since)
    # an earlier --since than the day start does not move the start back, and says so
    result = run_cli(sim, "export", "positions", "--since", "2d", "--format", "json",
                     env_extra={"TRUEX_DAY_START": time.strftime("%H:%M", time.gmtime(time.time() - 60))})
    assert result.returncode == 0 and "later than --since" in result.stderr
    records = json.loads(result.stdout)  # the fills of the last minute or so: maybe none
    assert all(int(r["window_start_ns"]) >= time.time_ns() - 3 * 60 * 10**9 for r in records)


def test_export_positions_bad_day_start_is_one_line(sim):
    result = run_cli(sim, "export", "positions", env_extra={"TRUEX_DAY_START": "25:00"})
    assert result.returncode == 2 and "day_start (TRUEX_DAY_START)" in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_export_help_lists_every_option():
    from blotter.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")  # noqa: SLF001
    text = sub.choices["export"].format_help()
    for word in ("trades", "orders", "balances", "positions", "--since", "--format", "--output", "ISO-8601", "24h",
                 "day_start", "average-cost"):
        assert word in text


def test_export_to_an_unwritable_path_is_one_line(sim, tmp_path):
    out = tmp_path / "missing-dir" / "trades.csv"
    result = run_cli(sim, "export", "trades", "-o", str(out))
    assert result.returncode == 2 and "cannot write" in result.stderr and str(out) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.parent.exists()
