"""The dashboard's panes: their names, in screen order, and titles. Importable before anything heavy."""

from __future__ import annotations

PANES = ("orders", "trades", "quotes", "balances", "positions")  # numbered 1-5 in screen order
TITLES = {"orders": "Active orders", "trades": "Trades, last 24 h", "quotes": "Quotes", "balances": "Balances",
          "positions": "Positions"}
