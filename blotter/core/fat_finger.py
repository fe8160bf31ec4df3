"""Fat-finger guards: a soft limit needs a second confirmation naming it; a hard limit refuses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..config import Guards
from .format import fmt_decimal


@dataclass(frozen=True)
class Breach:
    name: str  # the setting, e.g. "max_notional"
    what: str  # "notional", "quantity", "distance from mid"
    limit: Decimal
    value: Decimal
    hard: bool

    @property
    def message(self) -> str:
        unit = "%" if self.what == "distance from mid" else ""
        kind = "hard limit" if self.hard else "limit"
        return (
            f"{self.what.capitalize()} {fmt_decimal(self.value, 2)}{unit} exceeds the {kind} "
            f"{self.name} = {fmt_decimal(self.limit, None)}{unit}"
        )


def check_guards(
    guards: Guards, *, qty: Decimal | None, notional: Decimal | None, distance_pct: Decimal | None
) -> list[Breach]:
    """Every breached guard, hard ones first. Missing values (no quote yet) are not guessed at."""
    checks = (
        ("notional", notional, guards.max_notional, guards.hard_max_notional, "max_notional", "hard_max_notional"),
        ("quantity", qty, guards.max_qty, guards.hard_max_qty, "max_qty", "hard_max_qty"),
        ("distance from mid", abs(distance_pct) if distance_pct is not None else None, guards.max_distance_pct,
         guards.hard_max_distance_pct, "max_distance_pct", "hard_max_distance_pct"),
    )
    breaches: list[Breach] = []
    for what, value, soft, hard, soft_name, hard_name in checks:
        if value is None:
            continue
        if hard is not None and value > hard:
            breaches.append(Breach(hard_name, what, hard, value, True))
        elif soft is not None and value > soft:
            breaches.append(Breach(soft_name, what, soft, value, False))
    return sorted(breaches, key=lambda b: not b.hard)
