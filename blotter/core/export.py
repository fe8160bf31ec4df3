"""Exports of orders, trades, balances, quotes and positions to CSV or JSON: one code path for the CLI and the UI.

Headless (no Textual). The CLI (`blotter export ...`) fetches the models and passes them here in
time order; the dashboard (`e`) passes the models behind the focused pane's rows in the pane's view
order (filtered and sorted as shown). Either way the *models* are exported, never display strings:

* amounts are `Decimal`s written as plain decimal strings at full wire precision (`format(x, "f")`:
  no exponent, no rounding to display places, no thousands separators, never via float);
  derived amounts (notional, fee, available, on hold, spread) are computed exactly; positions are
  computed by core.positions (average cost: its one rounding, to 18 decimals, is named in `rounded`);
* ids are strings, exactly as received;
* every timestamp is written twice: `<name>_ns`, the integer epoch nanoseconds as the wire has them
  (a string in JSON, so 19-digit values survive JavaScript), and `<name>`, the same instant as
  ISO-8601 UTC with all nine fractional digits, e.g. `2026-09-21T12:34:56.123456789Z`;
* enums are their wire value; a missing value is an empty cell in CSV and `null` in JSON.

CSV: a header row of plain snake_case names, RFC 4180 quoting, CRLF line ends, UTF-8. Text cells
that come from the wire and start with `=`, `+`, `-`, `@`, a tab or a carriage return get a leading
apostrophe so a spreadsheet does not run them as a formula (CSV injection); numeric and timestamp
columns are produced here and are never altered, so `-1.5` stays `-1.5`.

JSON: an array of objects with the same keys as the CSV header, in the same order; amounts and
nanosecond timestamps are strings; text is not apostrophe-guarded (JSON is not run by spreadsheets).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any, Literal

from ..api.models import NS_PER_SECOND, Balances, MarketQuote
from .format import wire_text
from .positions import Position, PositionTotal
from .reference import Catalog
from .rows import BalanceRow, BalanceTotal, QuoteRow, balance_rows

Kind = Literal["text", "decimal", "time"]
FORMATS = ("csv", "json")
KINDS = ("orders", "trades", "balances", "quotes", "positions")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WIDE = 100  # digits for derived amounts: a product of two wire decimals is never rounded


@dataclass(frozen=True)
class ExportField:
    """One exported value. A `time` field (epoch ns) becomes two columns: `<name>_ns` and `<name>`."""

    name: str
    kind: Kind
    get: Callable[[Any], Any]

    @property
    def headers(self) -> tuple[str, ...]:
        return (f"{self.name}_ns", self.name) if self.kind == "time" else (self.name,)


# --- value helpers ------------------------------------------------------------------------------


def iso_ns(ns: int) -> str:
    """ISO-8601 UTC with nanoseconds from epoch nanoseconds, computed in integers (exact)."""
    seconds, fraction = divmod(ns, NS_PER_SECOND)
    moment = _EPOCH + timedelta(seconds=seconds)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{fraction:09d}Z"


def decimal_text(value: Decimal) -> str:
    """A plain decimal string at full precision: never exponent notation, never rounded."""
    return format(value, "f")


def guard_text(text: str) -> str:
    """Neutralise a spreadsheet formula in a text cell (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _mul(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None or b is None:
        return None
    with localcontext() as ctx:
        ctx.prec = _WIDE
        return a * b


def _sub(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None or b is None:
        return None
    with localcontext() as ctx:
        ctx.prec = _WIDE
        return a - b


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    """A sum where a missing term counts as none, unless both are missing."""
    if a is None and b is None:
        return None
    with localcontext() as ctx:
        ctx.prec = _WIDE
        return (a or Decimal(0)) + (b or Decimal(0))


# --- what each kind exports ---------------------------------------------------------------------


def order_fields(catalog: Catalog | None = None) -> tuple[ExportField, ...]:
    symbol = _symbol(catalog)
    return (
        ExportField("created", "time", lambda o: o.timestamp),
        ExportField("updated", "time", lambda o: o.update_timestamp),
        ExportField("id", "text", lambda o: o.id),
        ExportField("external_id", "text", lambda o: o.external_id),
        ExportField("client_id", "text", lambda o: o.order_info.client_id),
        ExportField("instrument_id", "text", lambda o: o.order_info.instrument_id),
        ExportField("symbol", "text", lambda o: symbol(o.order_info.instrument_id)),
        ExportField("side", "text", lambda o: wire_text(o.order_info.side)),
        ExportField("type", "text", lambda o: wire_text(o.order_info.type)),
        ExportField("tif", "text", lambda o: wire_text(o.order_info.tif)),
        ExportField("status", "text", lambda o: wire_text(o.status)),
        ExportField("price", "decimal", lambda o: o.price),  # the pending modify's price when there is one
        ExportField("qty", "decimal", lambda o: o.qty),
        ExportField("executed_qty", "decimal", lambda o: o.executed_qty),
        ExportField("leaves_qty", "decimal", lambda o: o.leaves_qty),
        ExportField("pending_qty", "decimal", lambda o: o.pending_qty),
        ExportField("executed_vwap", "decimal", lambda o: o.executed_vwap),
    )


def trade_fields(catalog: Catalog | None = None) -> tuple[ExportField, ...]:
    symbol = _symbol(catalog)
    return (
        ExportField("time", "time", lambda t: t.timestamp),
        ExportField("match_id", "text", lambda t: t.match_id),
        ExportField("order_id", "text", lambda t: t.order_id),
        ExportField("external_id", "text", lambda t: t.external_id),
        ExportField("client_id", "text", lambda t: t.client_id),
        ExportField("instrument_id", "text", lambda t: t.instrument_id),
        ExportField("symbol", "text", lambda t: symbol(t.instrument_id)),
        ExportField("side", "text", lambda t: wire_text(t.side)),
        ExportField("liq_flag", "text", lambda t: wire_text(t.liq_flag)),
        ExportField("trade_price", "decimal", lambda t: t.trade_price),
        ExportField("trade_qty", "decimal", lambda t: t.trade_qty),
        ExportField("notional", "decimal", lambda t: _mul(t.trade_price, t.trade_qty)),
        ExportField("trade_fee_rate", "decimal", lambda t: t.trade_fee_rate),
        ExportField("fee", "decimal", lambda t: _mul(_mul(t.trade_price, t.trade_qty), t.trade_fee_rate)),
    )


def balance_fields(catalog: Catalog | None = None) -> tuple[ExportField, ...]:
    asset = _asset(catalog)
    return (
        ExportField("client_id", "text", lambda r: r.client_id),
        ExportField("asset_id", "text", lambda r: r.line.asset_id),
        ExportField("asset", "text", lambda r: asset(r.line.asset_id)),
        ExportField("balance", "decimal", lambda r: r.line.balance),
        ExportField("available", "decimal", lambda r: _sub(r.line.balance, _on_hold(r) or Decimal(0))),
        ExportField("on_hold", "decimal", _on_hold),
        ExportField("order_hold", "decimal", lambda r: r.line.order_hold),
        ExportField("transfer_hold", "decimal", lambda r: r.line.transfer_hold),
        ExportField("unsettled", "decimal", lambda r: r.line.unsettled),
        ExportField("state", "text", lambda r: r.line.state),
    )


def quote_fields(catalog: Catalog | None = None) -> tuple[ExportField, ...]:
    symbol = _symbol(catalog)

    def level(name: str, attr: str) -> Callable[[MarketQuote], Any]:
        return lambda q: getattr(getattr(q.info, name), attr) if getattr(q.info, name) else None

    bid, ask = level("best_bid", "price"), level("best_ask", "price")
    return (
        ExportField("instrument_id", "text", lambda q: q.id),
        ExportField("symbol", "text", lambda q: q.symbol or symbol(q.id)),
        ExportField("bid_qty", "decimal", level("best_bid", "qty")),
        ExportField("bid", "decimal", bid),
        ExportField("ask", "decimal", ask),
        ExportField("ask_qty", "decimal", level("best_ask", "qty")),
        ExportField("spread", "decimal", lambda q: _sub(ask(q), bid(q))),
        ExportField("last", "decimal", level("last_trade", "price")),
        ExportField("last_qty", "decimal", level("last_trade", "qty")),
        ExportField("last_trade_time", "time", level("last_trade", "timestamp")),
        ExportField("last_update", "time", lambda q: q.info.last_update),
    )


def position_fields(catalog: Catalog | None = None) -> tuple[ExportField, ...]:
    """One row per instrument, then one total per quote asset (`row` says which). Unknown values are
    empty (CSV) or null (JSON), never zero; `fees_complete` is false when a fill had no fee rate;
    `rounded` names the values rounded to 18 decimals (see core.positions)."""
    symbol, asset = _symbol(catalog), _asset(catalog)

    def of(name: str, *, total: bool = True) -> Callable[[Any], Any]:
        return lambda p: getattr(p, name) if total or isinstance(p, Position) else None

    def is_total(p: Any) -> bool:
        return isinstance(p, PositionTotal)

    return (
        ExportField("row", "text", lambda p: "total" if is_total(p) else "position"),
        ExportField("window_start", "time", lambda p: p.since_ns),
        ExportField("instrument_id", "text", of("instrument_id", total=False)),
        ExportField("symbol", "text", lambda p: None if is_total(p) else symbol(p.instrument_id)),
        ExportField("quote_asset_id", "text", lambda p: p.quote_asset_id),
        ExportField("quote_asset", "text", lambda p: asset(p.quote_asset_id)),
        ExportField("net_qty", "decimal", of("net_qty", total=False)),
        ExportField("avg_cost", "decimal", of("avg_cost", total=False)),
        ExportField("mid", "decimal", of("mid", total=False)),
        ExportField("realized_pnl", "decimal", of("realized")),
        ExportField("unrealized_pnl", "decimal", of("unrealized")),
        ExportField("fees", "decimal", of("fees")),
        ExportField("fees_complete", "text", lambda p: "true" if p.fees_complete else "false"),
        ExportField("fills_without_fee_rate", "decimal", lambda p: Decimal(p.unknown_fees)),
        ExportField("total_pnl", "decimal", of("total")),
        ExportField("bought_qty", "decimal", of("bought_qty", total=False)),
        ExportField("avg_buy_price", "decimal", of("avg_buy", total=False)),
        ExportField("sold_qty", "decimal", of("sold_qty", total=False)),
        ExportField("avg_sell_price", "decimal", of("avg_sell", total=False)),
        ExportField("fills", "decimal", lambda p: Decimal(p.fills)),
        ExportField("notional", "decimal", of("notional")),
        ExportField("unreadable_fills", "decimal", lambda p: Decimal(p.unreadable_fills)),
        ExportField("rounded", "text", lambda p: " ".join(sorted(_EXPORT_NAMES.get(n, n) for n in p.approximate))),
    )


_EXPORT_NAMES = {"realized": "realized_pnl", "unrealized": "unrealized_pnl", "total": "total_pnl",
                 "avg_buy": "avg_buy_price", "avg_sell": "avg_sell_price"}


def _on_hold(row: BalanceRow) -> Decimal | None:
    return _add(row.line.order_hold, row.line.transfer_hold)


def _symbol(catalog: Catalog | None) -> Callable[[str | None], str | None]:
    if catalog is None:
        return lambda instrument_id: None
    return lambda instrument_id: catalog.symbol(instrument_id) or None


def _asset(catalog: Catalog | None) -> Callable[[str | None], str | None]:
    if catalog is None:
        return lambda asset_id: None
    return lambda asset_id: catalog.asset_name(asset_id) or None


def book_fields(catalog: Catalog | None = None) -> tuple[ExportField, ...]:
    """The depth ladder as shown (`6`): asks, the spread line, bids; `mine` is the trader's resting quantity."""
    symbol = _symbol(catalog)
    return (
        ExportField("symbol", "text", lambda line: symbol(line.instrument_id)),
        ExportField("side", "text", lambda line: line.side),
        ExportField("price", "decimal", lambda line: line.price),
        ExportField("qty", "decimal", lambda line: line.qty),
        ExportField("order_count", "text", lambda line: None if line.orders is None else str(line.orders)),
        ExportField("mine", "decimal", lambda line: line.mine),
    )


FIELDS: dict[str, Callable[[Catalog | None], tuple[ExportField, ...]]] = {
    "orders": order_fields,
    "trades": trade_fields,
    "balances": balance_fields,
    "quotes": quote_fields,
    "positions": position_fields,
    "book": book_fields,  # from the dashboard only (`e` on the Book pane): the ladder is the stream's, not a listing
}


def normalise(kind: str, items: Iterable[Any]) -> list[Any]:
    """The objects one row each, in the given order: `Balances` entities become one `BalanceRow`
    per asset line and `QuoteRow`s their `MarketQuote`; orders and trades pass through."""
    items = list(items)
    if kind == "balances":  # the pane's total row is derived: a file of balances holds the balances
        items = [item for item in items if not isinstance(item, BalanceTotal)]
    if kind == "balances" and any(isinstance(item, Balances) for item in items):
        rows: list[Any] = []
        for item in items:
            rows.extend(balance_rows([item]) if isinstance(item, Balances) else [item])
        return rows
    if kind == "quotes":
        return [item.quote if isinstance(item, QuoteRow) else item for item in items]
    return items


# --- the table and its two encodings ------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Raw values (str, Decimal, ns int or None) under their fields, rows in export order."""

    fields: tuple[ExportField, ...]
    rows: list[tuple[Any, ...]]

    @property
    def headers(self) -> list[str]:
        return [name for f in self.fields for name in f.headers]

    def __len__(self) -> int:
        return len(self.rows)


def build_table(kind: str, items: Iterable[Any], catalog: Catalog | None = None) -> Table:
    if kind not in FIELDS:
        raise ValueError(f"cannot export {kind!r}; choose one of {', '.join(KINDS)}")
    fields = FIELDS[kind](catalog)
    return Table(fields, [tuple(f.get(item) for f in fields) for item in normalise(kind, items)])


def _cells(field: ExportField, value: Any, *, csv_text: bool) -> list[Any]:
    """The encoded cells of one value: strings, or None for a missing value."""
    if field.kind == "time":
        if value is None:
            return [None, None]
        return [str(int(value)), iso_ns(int(value))]
    if value is None:
        return [None]
    if field.kind == "decimal":
        return [decimal_text(Decimal(value))]
    text = wire_text(value) or ""
    return [guard_text(text) if csv_text else text]


def write_csv(table: Table, stream: Any) -> int:
    """Write `table` as CSV to a text stream (opened with newline=''); returns the rows written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        cells: list[Any] = []
        for field, value in zip(table.fields, row, strict=True):
            cells.extend(_cells(field, value, csv_text=True))
        writer.writerow(["" if cell is None else cell for cell in cells])
    return len(table)


def json_records(table: Table) -> list[dict[str, str | None]]:
    records = []
    for row in table.rows:
        cells: list[Any] = []
        for field, value in zip(table.fields, row, strict=True):
            cells.extend(_cells(field, value, csv_text=False))
        records.append(dict(zip(table.headers, cells, strict=True)))
    return records


def write_json(table: Table, stream: Any) -> int:
    json.dump(json_records(table), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
    return len(table)


def render(table: Table, fmt: str = "csv") -> str:
    """The whole export as one string (CSV or JSON)."""
    buffer = io.StringIO(newline="")
    if fmt == "csv":
        write_csv(table, buffer)
    elif fmt == "json":
        write_json(table, buffer)
    else:
        raise ValueError(f"unknown format {fmt!r}; choose csv or json")
    return buffer.getvalue()


def export_text(kind: str, items: Iterable[Any], fmt: str = "csv", catalog: Catalog | None = None) -> str:
    """`items` (models, in the order wanted) of one kind as CSV or JSON text."""
    return render(build_table(kind, items, catalog), fmt)


# --- the two sources ----------------------------------------------------------------------------


def view_items(store: Any) -> list[Any]:
    """The objects behind a pane's rows, in its view order: filtered and sorted, as shown."""
    return [store.items[key] for key in store.view if key in store.items]


def in_time_order(kind: str, items: Sequence[Any]) -> list[Any]:
    """The CLI's order: trades by time then key, orders by creation time then id; others as given."""
    if kind == "trades":
        return sorted(items, key=lambda t: (t.timestamp or 0, t.key))
    if kind == "orders":
        return sorted(items, key=lambda o: (o.timestamp or 0, o.id))
    return list(items)


def since_filter(kind: str, items: Iterable[Any], since_ns: int | None) -> list[Any]:
    """Trades at or after `since_ns`; orders created at or after it. Balances have no time; positions
    take their window when they are computed (`core.positions.day_window(since_ns=...)`)."""
    items = list(items)
    if since_ns is None:
        return items
    if kind == "trades":
        return [t for t in items if t.timestamp is not None and t.timestamp >= since_ns]
    if kind == "orders":
        return [o for o in items if o.timestamp is not None and o.timestamp >= since_ns]
    return items


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(w|d|h|m|s)", re.IGNORECASE)
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:w|d|h|m|s))+", re.IGNORECASE)
_FRACTION = re.compile(r"(?<=\d\d:\d\d:\d\d)[.,](\d+)")
_UNIT_NS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_since(text: str, now_ns: int) -> int:
    """`--since` as epoch nanoseconds. Accepts epoch nanoseconds (digits only), a duration back from
    now (`24h`, `90m`, `1h30m`, `2d`, `45s`, `1w`; `m` is minutes) or an ISO-8601 date/time (UTC when no zone is
    given: `2026-09-21`, `2026-09-21T08:00`, `2026-09-21T08:00:00.5+02:00`, `...Z`)."""
    raw = text.strip()
    if not raw:
        raise ValueError("--since is empty")
    if raw.isdigit():
        return int(raw)
    compact = raw.replace(" ", "")
    if _DURATION.fullmatch(compact):
        total = Decimal(0)
        for number, unit in _DURATION_PART.findall(compact):
            total += Decimal(number) * _UNIT_NS[unit.lower()]
        return now_ns - int(total * NS_PER_SECOND)
    # Python reads at most six fractional digits: nanoseconds are added back exactly.
    iso = raw[:-1] + "+00:00" if raw[-1:] in ("z", "Z") else raw
    fraction_ns = 0
    fraction = _FRACTION.search(iso)
    if fraction:
        digits = fraction.group(1)
        fraction_ns = int(digits[:9].ljust(9, "0"))
        iso = iso[: fraction.start()] + iso[fraction.end() :]
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(
            f"--since {text!r} is not epoch nanoseconds, a duration like 24h or 90m, or an ISO-8601 time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * NS_PER_SECOND + fraction_ns
