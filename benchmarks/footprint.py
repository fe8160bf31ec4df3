"""What the data a session is meant to keep costs in memory: a probe for the soak bench (not shipped).

Headless (no Textual). `store_bytes` sums what the allocator gave every object a store's
containers reach, each object once, without crossing into code, classes or modules (a row's render
function and the catalog behind it are not data kept). It walks every object and builds a set of
them all: call it rarely, since the set's own table is a large allocation of its own.
"""

from __future__ import annotations

import gc
import sys
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

__all__ = ["allocated", "bounded_caches", "cache_bytes", "cache_entries", "cache_text_bytes", "deep_size", "held", "store_bytes"]

LIBRARIES = ("rich", "textual")  # whose bounded caches fill over the first hour of churn

_NOT_DATA = (type, ModuleType, FunctionType, MethodType, BuiltinFunctionType)
SMALL = 512  # pymalloc serves requests up to this size, in blocks of 16 bytes; malloc the rest


def allocated(size: int) -> int:
    """What the allocator spends on an object `sys.getsizeof` says is `size` bytes: pymalloc's
    16-byte blocks, or malloc's chunk with its 16-byte header (the RSS a record costs, which a
    sum of `getsizeof` undercounts by several bytes an object)."""
    return (size + 15) & ~15 if size <= SMALL else ((size + 16 + 15) & ~15)


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
        total += allocated(sys.getsizeof(obj))
        stack.extend(gc.get_referents(obj))
    return total


def store_bytes(store: Any, seen: set[int] | None = None) -> int:
    """Bytes held by a `KeyedStore` (or `TradeStore`): its records, formatted rows, view and indexes."""
    names = ("items", "rows", "view", "unreadable", "_prints", "_search_cache", "_order", "_compact")
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


def bounded_caches() -> dict[str, Any]:
    """The `functools.lru_cache`s of Rich and Textual with a size bound, by qualified name. They
    fill as new text is drawn (`Segment._split_cells` holds 16,384 splits of a line into cells) and
    then stay at their bound: growth while they fill is not growth over a day."""
    found = {}
    for obj in gc.get_objects():
        if type(obj).__name__ == "_lru_cache_wrapper" and getattr(obj, "__module__", "").split(".")[0] in LIBRARIES:
            if obj.cache_parameters()["maxsize"] is not None:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def cache_entries(caches: dict[str, Any]) -> dict[str, int]:
    return {name: cache.cache_info().currsize for name, cache in caches.items()}


def _table(cache: Any) -> dict | None:
    """The dict the C `lru_cache` keeps its entries in, reached through `gc.get_referents`."""
    size = cache.cache_info().currsize
    return next((r for r in gc.get_referents(cache)
                 if type(r) is dict and len(r) == size and r is not getattr(cache, "__dict__", None)), None)


def _text_in(obj: Any, depth: int = 3) -> int:
    if isinstance(obj, str):
        return allocated(sys.getsizeof(obj))
    if depth and isinstance(obj, (tuple, list)):  # lru keys (a list), Segments (a tuple) and pairs of them
        return sum(_text_in(item, depth - 1) for item in obj)
    return 0


def cache_text_bytes(caches: dict[str, Any]) -> dict[str, int]:
    """Per cache: the bytes of the strings its keys and values hold, without a walk (cheap enough to
    take every minute). A full cache can still grow: its bound counts entries, and new entries may
    hold longer text than the ones they push out (Rich's cell lengths of whole status lines)."""
    sizes = {}
    for name, cache in caches.items():
        table = _table(cache) if cache.cache_info().currsize else None
        if table is not None:
            # A value is the cache's link to the entry: its referents are the key and the result.
            sizes[name] = sum(_text_in(key) + sum(_text_in(r) for r in gc.get_referents(link) if r is not key)
                              for key, link in table.items())
    return sizes


def cache_bytes(caches: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """Per cache: (entries, their bytes, the bound). The entries are the dict the C cache keeps,
    reached through `gc.get_referents`; an object an entry shares with the screen counts here."""
    sizes = {}
    for name, cache in caches.items():
        info = cache.cache_info()
        table = _table(cache) if info.currsize else None
        if table is not None:
            sizes[name] = (info.currsize, deep_size(*table.keys(), *table.values()), info.maxsize)
    return sizes
