"""Names a package loads on first use (PEP 562): `blotter.api` and `blotter.sim` use it so that
importing one name never imports the whole package (the first frame, the demo's start)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, where: Mapping[str, str],
               namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's `__getattr__` and `__dir__`. `where` maps each public name to the module,
    relative to `package`, that defines it; a name is imported on first use and then kept in
    `namespace` (the package's globals), so later lookups are plain module attributes."""
    names = sorted(where)

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(import_module(module, package), name)
        return value

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__
