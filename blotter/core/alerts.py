"""Price alerts: "tell me when BTC-PYUSD's mid goes above 97,000". Headless (no Textual).

An alert watches one instrument's reference price (the `mid` of the book, or the `last` trade)
against a level, in one direction. It fires once, then stays in the list marked fired (when, at
what price) until the trader re-arms or removes it.

The firing rule: an armed alert fires on the first poll that sees its reference **at or beyond**
its level (`above`: price >= level; `below`: price <= level). So:
- a price that moves from one side to the other between two polls fires ("crossed above 97,000"),
  and one that stops exactly on the level fires too ("reached 97,000"): touching a round number
  is what such an alert is for;
- an alert set (or re-armed, or loaded at start-up) while the price is already beyond its level
  fires on the very next poll, worded as such ("is already above 97,000"): the trader is told at
  once rather than left waiting for a crossing that may never come;
- an empty book side (no mid) or no last trade is not a price: it never fires and never counts as
  a side; the next real price is compared with the last real one seen.
Comparisons are exact (`Decimal`); a poll is the only observation, so a move that goes beyond the
level and back between two polls is not seen.

Alerts persist in `alerts.json` in the state directory (atomic write; amounts as decimal
strings); a missing file is a first run, an unreadable one gives an empty book, a reason to
show, and the bad file set aside as `alerts.json.bad` so the next save cannot destroy it.

`parse_alert` reads what the trader types in the alert dialog: "> 97000", "above 97000",
"< 3,400.5", "below 3400.5 last".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from ..api.models import NS_PER_SECOND, MarketQuote
from .format import fmt_derived
from ..paths import write_atomically
from .rows import mid_of

__all__ = [
    "ALERTS_FILE",
    "MAX_ALERTS",
    "Alert",
    "AlertBook",
    "AlertInputError",
    "AlertSpec",
    "Direction",
    "Fired",
    "LoadedAlerts",
    "Reference",
    "load_alerts",
    "parse_alert",
    "reference_price",
    "save_alerts",
]

ALERTS_FILE = "alerts.json"
FILE_VERSION = 1
MAX_ALERTS = 200  # beyond this, adding drops the oldest fired alert (or refuses when all are armed)


class Reference(StrEnum):
    MID = "mid"
    LAST = "last"


class Direction(StrEnum):
    ABOVE = "above"
    BELOW = "below"


def reference_price(quote: MarketQuote, reference: Reference) -> Decimal | None:
    """The price an alert watches: the mid (None when a side is empty) or the last trade (None
    when there is none)."""
    if reference is Reference.MID:
        return mid_of(quote)
    trade = quote.info.last_trade
    return trade.price if trade is not None else None


def _amount(value: Decimal) -> str:
    return fmt_derived(value)  # exact, grouped, no trailing zeros: 97,012.5


def _clock(ns: int, now_ns: int, zone: tzinfo) -> str:
    """HH:MM:SS, with the date when it is not the same day as `now_ns`."""
    try:
        moment = datetime.fromtimestamp(ns // NS_PER_SECOND, tz=zone)
        today = datetime.fromtimestamp(now_ns // NS_PER_SECOND, tz=zone).date()
    except (OverflowError, ValueError, OSError):
        return f"?{ns}"
    return moment.strftime("%H:%M:%S" if moment.date() == today else "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Alert:
    id: str
    instrument_id: str
    symbol: str
    reference: Reference
    direction: Direction
    level: Decimal
    armed_ns: int  # when it was set, or last re-armed
    fired_ns: int | None = None
    fired_price: Decimal | None = None

    @property
    def active(self) -> bool:
        return self.fired_ns is None

    @property
    def label(self) -> str:
        """'BTC-PYUSD mid above 97,000'"""
        return f"{self.symbol or self.instrument_id} {self.reference} {self.direction} {_amount(self.level)}"

    def beyond(self, price: Decimal) -> bool:
        """At or beyond the level, in the alert's direction."""
        return price >= self.level if self.direction is Direction.ABOVE else price <= self.level


@dataclass(frozen=True)
class Fired:
    """One alert that fired on this poll: `alert` as it is now (marked fired), the price that fired
    it, and whether it was seen crossing (False: already at or beyond on the first look)."""

    alert: Alert
    price: Decimal
    at_ns: int
    crossed: bool
    text: str  # one line, for the events line and the toast

    @property
    def title(self) -> str:
        return f"Alert {self.alert.symbol or self.alert.instrument_id}"


def _describe(alert: Alert, price: Decimal, crossed: bool, now_ns: int, zone: tzinfo) -> str:
    who = f"{alert.symbol or alert.instrument_id} {alert.reference}"
    level = _amount(alert.level)
    since = _clock(alert.armed_ns, now_ns, zone)
    if price == alert.level:
        verb = "reached" if crossed else "is already at"
        return f"{who} {verb} {level} (alert {alert.direction}, set {since})"
    verb = "crossed" if crossed else "is already"
    return f"{who} {_amount(price)} {verb} {alert.direction} {level} (alert set {since})"


class AlertBook:
    """The trader's alerts, in the order they were set. `zone` is the zone times are written in
    (the `timezone` setting); ids are short ("A1", "A2", ...) and never reused within a book."""

    def __init__(self, zone: tzinfo = UTC) -> None:
        self.zone = zone
        self._alerts: dict[str, Alert] = {}
        self._next = 1
        self._seen: dict[str, Decimal] = {}  # alert id -> the last real price seen while armed

    # --- reading ----------------------------------------------------------------------------------

    @property
    def alerts(self) -> list[Alert]:
        return list(self._alerts.values())

    @property
    def active(self) -> list[Alert]:
        return [a for a in self._alerts.values() if a.active]

    @property
    def fired(self) -> list[Alert]:
        return [a for a in self._alerts.values() if not a.active]

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def for_instrument(self, instrument_id: str) -> list[Alert]:
        return [a for a in self._alerts.values() if a.instrument_id == instrument_id]

    def __len__(self) -> int:
        return len(self._alerts)

    def summary(self, alert: Alert, now_ns: int) -> str:
        """One line for the list of alerts: 'A1  BTC-PYUSD mid above 97,000 · armed since 10:02:03'
        or '... · fired 10:05:01 at 97,012.5'."""
        if alert.active:
            state = f"armed since {_clock(alert.armed_ns, now_ns, self.zone)}"
        else:
            assert alert.fired_ns is not None and alert.fired_price is not None
            state = f"fired {_clock(alert.fired_ns, now_ns, self.zone)} at {_amount(alert.fired_price)}"
        return f"{alert.id}  {alert.label} · {state}"

    # --- changing ---------------------------------------------------------------------------------

    def add(self, instrument_id: str, symbol: str, reference: Reference | str, direction: Direction | str,
            level: Decimal, now_ns: int) -> Alert:
        """A new armed alert. `AlertInputError` for a level that is not a positive number, or when
        the book is full of armed alerts (a fired one is dropped to make room, oldest first)."""
        if not isinstance(level, Decimal) or not level.is_finite() or level <= 0:
            raise AlertInputError("Level must be greater than zero")
        if len(self._alerts) >= MAX_ALERTS:
            oldest_fired = min(self.fired, key=lambda a: a.fired_ns or 0, default=None)
            if oldest_fired is None:
                raise AlertInputError(f"There are already {MAX_ALERTS} armed alerts; remove some first")
            self.remove(oldest_fired.id)
        alert = Alert(f"A{self._next}", instrument_id, symbol, Reference(reference), Direction(direction), level,
                      now_ns)
        self._next += 1
        self._alerts[alert.id] = alert
        return alert

    def remove(self, alert_id: str) -> Alert | None:
        """The alert removed, or None when there was none by that id."""
        self._seen.pop(alert_id, None)
        return self._alerts.pop(alert_id, None)

    def rearm(self, alert_id: str, now_ns: int) -> Alert | None:
        """Armed again from now (its fired mark cleared). Like a new alert, it fires on the next poll
        if the price is already beyond its level. None when there is no alert by that id."""
        alert = self._alerts.get(alert_id)
        if alert is None:
            return None
        alert = replace(alert, armed_ns=now_ns, fired_ns=None, fired_price=None)
        self._alerts[alert_id] = alert
        self._seen.pop(alert_id, None)
        return alert

    def observe(self, quotes: Iterable[MarketQuote], now_ns: int) -> list[Fired]:
        """Check a poll's quotes against the armed alerts; those that fire are marked fired (save
        the book afterwards when this returns anything)."""
        latest = {quote.id: quote for quote in quotes}
        fired: list[Fired] = []
        for alert in list(self._alerts.values()):
            quote = latest.get(alert.instrument_id)
            if not alert.active or quote is None:
                continue
            price = reference_price(quote, alert.reference)
            if price is None:
                continue  # an empty side or no trade: not a price, not a side
            previous = self._seen.get(alert.id)
            if not alert.beyond(price):
                self._seen[alert.id] = price
                continue
            crossed = previous is not None  # it was seen on the other side before
            symbol = alert.symbol or quote.symbol or ""
            done = replace(alert, symbol=symbol, fired_ns=now_ns, fired_price=price)
            self._alerts[alert.id] = done
            self._seen.pop(alert.id, None)
            fired.append(Fired(done, price, now_ns, crossed, _describe(done, price, crossed, now_ns, self.zone)))
        return fired

    # --- the file ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        def entry(a: Alert) -> dict[str, Any]:
            return {
                "id": a.id, "instrument_id": a.instrument_id, "symbol": a.symbol,
                "reference": a.reference.value, "direction": a.direction.value, "level": format(a.level, "f"),
                "armed_ns": a.armed_ns, "fired_ns": a.fired_ns,
                "fired_price": None if a.fired_price is None else format(a.fired_price, "f"),
            }

        return {"version": FILE_VERSION, "next_id": self._next, "alerts": [entry(a) for a in self._alerts.values()]}

    @classmethod
    def from_json(cls, document: Any, zone: tzinfo = UTC) -> tuple[AlertBook, int]:
        """A book from the file's contents, and how many entries were left out as unreadable.
        `ValueError` when the document is not an alerts file at all."""
        if not isinstance(document, dict) or not isinstance(document.get("alerts"), list):
            raise ValueError("not an alerts file")
        book = cls(zone)
        skipped = 0
        for item in document["alerts"]:
            try:
                alert = _alert_from(item)
            except (KeyError, TypeError, ValueError, InvalidOperation):
                skipped += 1
                continue
            if alert.id in book._alerts:
                skipped += 1
                continue
            book._alerts[alert.id] = alert
        numbers = [int(m.group(1)) for a in book._alerts.values() if (m := _ID.fullmatch(a.id))]
        next_id = document.get("next_id")
        book._next = max([next_id if isinstance(next_id, int) and not isinstance(next_id, bool) else 1,
                          *(n + 1 for n in numbers)])
        return book, skipped


_ID = re.compile(r"A(\d{1,9})")


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("amounts are decimal strings")
    number = Decimal(value)
    if not number.is_finite() or number <= 0:
        raise ValueError("not a positive amount")
    return number


def _nanos(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("times are integers")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def _alert_from(item: Any) -> Alert:
    if not isinstance(item, dict):
        raise ValueError("an alert is an object")
    fired_ns = item.get("fired_ns")
    fired_price = item.get("fired_price")
    if (fired_ns is None) != (fired_price is None):
        raise ValueError("fired needs both a time and a price")
    alert_id = _text(item["id"])
    if not alert_id:
        raise ValueError("empty id")
    return Alert(
        id=alert_id,
        instrument_id=_text(item["instrument_id"]),
        symbol=_text(item.get("symbol", "")),
        reference=Reference(item["reference"]),
        direction=Direction(item["direction"]),
        level=_decimal(item["level"]),
        armed_ns=_nanos(item["armed_ns"]),
        fired_ns=None if fired_ns is None else _nanos(fired_ns),
        fired_price=None if fired_price is None else _decimal(fired_price),
    )


class LoadedAlerts(NamedTuple):
    book: AlertBook
    problem: str | None  # for the trader (a warning toast or the events line); None when all is well


def _set_aside(path: Path) -> str:
    bad = path.with_name(path.name + ".bad")
    try:
        os.replace(path, bad)
    except OSError:
        return "it will be replaced when an alert is next saved"
    return f"it was kept as {bad.name}"


def load_alerts(path: Path, zone: tzinfo = UTC) -> LoadedAlerts:
    """The saved alerts. Never raises: a missing file is an empty book (no problem: a first run); a
    file that cannot be read or parsed is an empty book, a reason, and the file set aside; entries
    that cannot be read are left out, with a reason, the whole file set aside as well."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LoadedAlerts(AlertBook(zone), None)
    except OSError as error:
        return LoadedAlerts(AlertBook(zone), f"Could not read the saved alerts ({error.strerror or error}); "
                                             "starting with none")
    try:
        book, skipped = AlertBook.from_json(json.loads(data), zone)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        kept = _set_aside(path)
        reason = "not JSON" if isinstance(error, json.JSONDecodeError | UnicodeDecodeError) else str(error)
        return LoadedAlerts(AlertBook(zone), f"The saved alerts could not be read ({path.name}: {reason}); "
                                             f"starting with none; {kept}")
    if skipped:
        kept = _set_aside(path)
        alerts = "alert" if skipped == 1 else "alerts"
        return LoadedAlerts(book, f"{skipped} saved {alerts} could not be read and were left out; {kept}")
    return LoadedAlerts(book, None)


def save_alerts(path: Path, book: AlertBook) -> None:
    """Write atomically (temp file, flushed to disk, then renamed): a crash never leaves half a
    file. Raises `OSError` (the UI tells the trader the alerts were not saved)."""
    write_atomically(path, json.dumps(book.to_json(), indent=2).encode())


# --- what the trader types ------------------------------------------------------------------------


class AlertInputError(ValueError):
    """What is wrong with the typed alert, in the trader's words (str(error) is the message)."""


class AlertSpec(NamedTuple):
    direction: Direction
    level: Decimal
    reference: Reference


_DIRECTIONS = {">": Direction.ABOVE, ">=": Direction.ABOVE, "above": Direction.ABOVE,
               "<": Direction.BELOW, "<=": Direction.BELOW, "below": Direction.BELOW}
_REFERENCES = {"mid": Reference.MID, "last": Reference.LAST}
_TOKEN = re.compile(r"[<>]=?|[^\s<>]+")
_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")  # as the order ticket: 1,250.5
EXAMPLE = "e.g. > 97000, above 97000, < 3,400.5 or below 3400.5 last"
SAY_DIRECTION = "Say above or below (or > / <)"
LEVEL_NUMBER = "Level must be a number, like 97000 or 3,400.5"


def parse_alert(text: str) -> AlertSpec:
    """(direction, level, reference) from the alert dialog's text, in any order; the reference is
    the mid unless `last` is said. `AlertInputError` with the trader's words otherwise. At-or-beyond
    is the rule either way, so `>=` reads as `>` and `<=` as `<`."""
    tokens = _TOKEN.findall(text.strip().lower())
    if not tokens:
        raise AlertInputError(f"Type a direction and a level, {EXAMPLE}")
    direction: Direction | None = None
    reference: Reference | None = None
    level: Decimal | None = None
    unknown: list[str] = []
    for token in tokens:
        if token in _DIRECTIONS:
            if direction is not None and _DIRECTIONS[token] is not direction:
                raise AlertInputError("Say above or below, not both")
            direction = _DIRECTIONS[token]
        elif token in _REFERENCES:
            if reference is not None and _REFERENCES[token] is not reference:
                raise AlertInputError("Say mid or last, not both")
            reference = _REFERENCES[token]
        elif _AMOUNT.fullmatch(token.lstrip("+-")):
            if level is not None:
                raise AlertInputError("Give one level only")
            if token.startswith("-"):
                raise AlertInputError("Level must be greater than zero")
            level = Decimal(token.lstrip("+").replace(",", ""))
        else:
            unknown.append(token)
    if direction is None:
        raise AlertInputError(f"{SAY_DIRECTION}, {EXAMPLE}")
    if level is None:
        raise AlertInputError(LEVEL_NUMBER if unknown else f"Give a level, {EXAMPLE}")
    if unknown:
        raise AlertInputError(f"Not understood: {' '.join(unknown)!r}; the price watched is mid (the default) "
                              "or last")
    if level <= 0:
        raise AlertInputError("Level must be greater than zero")
    return AlertSpec(direction, level, reference or Reference.MID)
