"""The dashboard's panes: their names, in screen order, and titles. Importable before anything heavy."""

from __future__ import annotations

PANES = ("orders", "trades", "quotes", "balances", "positions", "book")  # numbered 1-6
TITLES = {"orders": "Active orders", "trades": "Trades, last 24 h", "quotes": "Quotes", "balances": "Balances",
          "positions": "Positions", "book": "Book"}
