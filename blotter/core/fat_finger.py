"""Fat-finger guards: a soft limit needs a second confirmation naming it; a hard limit refuses.
Either way the order is restated (side, quantity, symbol, price, notional) beside the limits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..config import Guards
from .format import fmt_amount, fmt_decimal, fmt_derived
from .order_ticket import OrderTerms


@dataclass(frozen=True)
class Breach:
    name: str  # the setting, e.g. "max_notional"
    what: str  # "notional", "quantity", "distance from mid"
    limit: Decimal
    value: Decimal
    hard: bool

    @property
    def message(self) -> str:
        if self.what == "distance from mid":
            shown, unit = fmt_decimal(self.value, 2), "%"  # a ratio: rounding it hides no amount
        else:
            shown, unit = fmt_derived(self.value, 2) if self.what == "notional" else fmt_amount(self.value), ""
        kind = "hard limit" if self.hard else "limit"
        limit = fmt_decimal(self.limit, None)
        return f"{self.what.capitalize()} {shown}{unit} exceeds the {kind} {self.name} = {limit}{unit}"


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


def check_terms(guards: Guards, terms: OrderTerms) -> list[Breach]:
    return check_guards(guards, qty=terms.qty, notional=terms.notional, distance_pct=terms.distance_pct)


def restate(terms: OrderTerms, breaches: list[Breach]) -> list[str]:
    """The order and each breached limit, as a guard's question or refusal shows them."""
    lines = [terms.headline()]
    figures = terms.figures()
    if figures:
        lines.append(figures)
    return lines + [f"• {b.message}" for b in breaches]
