"""How tall each pane is: the height its rows need, shared fairly when they do not all fit.

Headless. Two active orders take five lines, not half the screen, and the trades below them get the
rest; when every pane has more rows than fit, each gets its weighted share (weighted max-min
fairness: a pane that needs less than its share takes only what it needs, and the others share
what it leaves).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CHROME", "MINIMUM", "pane_heights"]

CHROME = 3  # a pane's border (2) and its column header (1)
MINIMUM = CHROME + 1  # one row always shows


def pane_heights(available: int, needs: Mapping[str, int], weights: Mapping[str, int]) -> dict[str, int]:
    """Lines for each pane (its `needs` include the chrome), summing to at most `available` when
    that holds a row of each; never below `MINIMUM`. Each pane first gets `MINIMUM`; the lines
    beyond are shared by weighted max-min fairness. The caller gives any spare lines to a pane of
    its choice (the trades feed)."""
    extra = {name: max(need - MINIMUM, 0) for name, need in needs.items()}
    space = max(available - MINIMUM * len(needs), 0)
    given: dict[str, int] = {}
    open_panes = dict(extra)
    while open_panes:
        weight = sum(weights.get(name, 1) for name in open_panes)
        settled = [name for name, want in open_panes.items() if want * weight <= space * weights.get(name, 1)]
        if not settled:
            break
        for name in settled:
            given[name] = open_panes.pop(name)
            space -= given[name]
    if open_panes:  # these all want more than their share: split what is left by weight
        weight = sum(weights.get(name, 1) for name in open_panes)
        shares = {name: space * weights.get(name, 1) // weight for name in open_panes}
        spare = space - sum(shares.values())
        for name in sorted(open_panes, key=lambda n: -weights.get(n, 1))[:spare]:  # integer leftovers
            shares[name] += 1
        given.update(shares)
    return {name: MINIMUM + given[name] for name in needs}
