"""Display formatting shared by panes, forms and exports. Headless: no Textual here."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, DecimalException

from ..api._defaults import NS_PER_SECOND

DEFAULT_PLACES = 8
UNREADABLE_SHOWN = 20  # characters of an unreadable value shown in a cell (the detail shows it all)


def places_of(increment: Decimal | None, default: int = DEFAULT_PLACES) -> int:
    """Decimal places an increment implies: 0.5 -> 1, 0.0001 -> 4, 1 -> 0."""
    if increment is None or increment <= 0:
        return default
    exponent = increment.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else default


def fmt_decimal(value: Decimal | None, places: int | None = None, *, grouping: bool = True) -> str:
    """A fixed-point string with `places` decimals (never exponent notation); '' for None."""
    if value is None:
        return ""
    if not value.is_finite():
        return str(value)
    spec = ",f" if grouping else "f"
    if places is None:
        return format(value.normalize(), spec)
    quantum = Decimal(1).scaleb(-places)
    try:
        rounded = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
    except DecimalException:  # more digits than the context holds: show it unrounded
        return format(value, spec)
    return format(rounded, spec)


def decimals_of(value: Decimal | None) -> int:
    """Decimal places the value was written with: "96925.50" -> 2, "1E+2" -> 0."""
    if value is None or not value.is_finite():
        return 0
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def fmt_amount(value: Decimal | None, places: int = 0, *, grouping: bool = True) -> str:
    """The exact value, digits grouped, with zeros added up to `places` decimals so a column lines
    up; never rounded (a value with more decimals shows them all). '' for None."""
    if value is None:
        return ""
    if not value.is_finite():
        return str(value)
    shown = max(places, decimals_of(value))
    return format(value, f"{',' if grouping else ''}.{shown}f")


def fmt_derived(value: Decimal | None, places: int = 0) -> str:
    """An amount we computed (a notional, a fee, a spread): exact, without the trailing zeros
    arithmetic adds, aligned to `places`."""
    if value is None or not value.is_finite():
        return fmt_amount(value)
    return fmt_amount(value.normalize() if value else Decimal(0), places)


def unreadable_text(raw: str) -> str:
    """What a cell shows for a value that did not parse: its raw text, cut, marked with `?`."""
    from .store import printable  # the store owns the one rule for control characters

    text = printable(raw)
    if len(text) > UNREADABLE_SHOWN:
        text = text[: UNREADABLE_SHOWN - 1] + "…"
    return f"{text}?"


def wire_text(value: object) -> str | None:
    """An enum member's wire string, anything else as `str`; None stays None."""
    return None if value is None else str(getattr(value, "value", value))


def _moment(ns: int, zone: tzinfo) -> datetime | None:
    try:
        return datetime.fromtimestamp(ns // NS_PER_SECOND, tz=zone)
    except (OverflowError, ValueError, OSError):
        return None


def fmt_time(ns: int | None, *, with_date: bool = False, zone: tzinfo = UTC) -> str:
    """HH:MM:SS.mmm from epoch nanoseconds (in UTC unless `zone` is given)."""
    if ns is None:
        return ""
    moment = _moment(ns, zone)
    if moment is None:
        return f"?{ns}"  # out of the calendar's range: shown raw, so the row is still shown
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
    return f"{text}.{(ns // 1_000_000) % 1000:03d}"


class TimeFormat:
    """Times as a trader reads them: today's as HH:MM:SS.mmm, older ones with their date, in one
    zone (UTC unless the `timezone` setting says otherwise). A time the exchange did not give,
    only when the blotter first saw the record, is marked with a leading `~`."""

    def __init__(self, zone: tzinfo = UTC, now_ns: Callable[[], int] = time.time_ns) -> None:
        self.zone = zone
        self.now_ns = now_ns
        self.today: date = self._date(now_ns())

    def _date(self, ns: int) -> date:
        moment = _moment(ns, self.zone)
        return moment.date() if moment is not None else date.min

    @property
    def label(self) -> str:
        """The zone's name for the header: UTC, or e.g. Europe/London."""
        return "UTC" if self.zone in (UTC,) else str(getattr(self.zone, "key", None) or self.zone)

    def roll(self) -> bool:
        """Move `today` to the current date; True when the day changed (rows need redrawing)."""
        today = self._date(self.now_ns())
        changed = today != self.today
        self.today = today
        return changed

    def __call__(self, ns: int | None, *, estimated: bool = False) -> str:
        if ns is None:
            return ""
        moment = _moment(ns, self.zone)
        if moment is None:
            return f"?{ns}"
        text = fmt_time(ns, with_date=moment.date() != self.today, zone=self.zone)
        return f"~{text}" if estimated else text


def fmt_bps(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} bp"
