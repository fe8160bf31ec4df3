"""What the data a session is meant to keep costs in memory: a probe for the soak bench (not shipped).

Headless (no Textual). `store_bytes` sums `sys.getsizeof` over everything a store's containers
reach, each object once, without crossing into code, classes or modules (a row's render function
and the catalog behind it are not data kept). It walks every object and builds a set of them all:
call it rarely, since the set's own table is a large allocation of its own.
"""

from __future__ import annotations

import gc
import sys
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

__all__ = ["deep_size", "held", "store_bytes"]

_NOT_DATA = (type, ModuleType, FunctionType, MethodType, BuiltinFunctionType)


def deep_size(*roots: Any, seen: set[int] | None = None) -> int:
    """Bytes of `roots` and of every object they reach, each counted once (pass `seen` to share
    the count across calls: an interned symbol held by two stores is one object)."""
    seen = set() if seen is None else seen
    total = 0
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _NOT_DATA):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def store_bytes(store: Any, seen: set[int] | None = None) -> int:
    """Bytes held by a `KeyedStore` (or `TradeStore`): its records, formatted rows, view and indexes."""
    names = ("items", "rows", "view", "unreadable", "_prints", "_search_cache", "_order")
    return deep_size(*(getattr(store, name) for name in names if hasattr(store, name)), seen=seen)


def held(stores: dict[str, Any], also: dict[str, Any] | None = None) -> dict[str, tuple[int, int]]:
    """Per pane: the records held and the bytes they take with their rows and indexes (an object
    two panes share is counted once, in the first). `also` adds, per pane, what is kept elsewhere
    for each of its records (the client's copy of the last listing, which grows with the orders
    resting): counted after every store, so a record the two share is the store's."""
    seen: set[int] = set()
    sizes = {name: store_bytes(store, seen) for name, store in stores.items()}
    for name, roots in (also or {}).items():
        sizes[name] += deep_size(roots, seen=seen)
    return {name: (len(store.items), sizes[name]) for name, store in stores.items()}
