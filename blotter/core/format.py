"""Display formatting shared by panes, forms and exports. Headless: no Textual here."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, DecimalException

from ..api.models import NS_PER_SECOND

DEFAULT_PLACES = 8


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


def wire_text(value: object) -> str | None:
    """An enum member's wire string, anything else as `str`; None stays None."""
    return None if value is None else str(getattr(value, "value", value))


def fmt_time(ns: int | None, *, with_date: bool = False) -> str:
    """HH:MM:SS.mmm in UTC from epoch nanoseconds (converted once, here)."""
    if ns is None:
        return ""
    try:
        moment = datetime.fromtimestamp(ns / NS_PER_SECOND, tz=UTC)
    except (OverflowError, ValueError, OSError):
        return f"?{ns}"  # out of the calendar's range: shown raw, so the row is still shown
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
    return f"{text}.{(ns // 1_000_000) % 1000:03d}"


def fmt_bps(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} bp"
