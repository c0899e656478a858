"""factpack: publish hand-checked records as versioned, validated Frictionless data packages.

``factpack.load(NAME_OR_PATH_OR_URL)`` returns a published package's tables as
typed polars DataFrames, verified against their hashes (see :mod:`factpack.access`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Package", "load"]

if TYPE_CHECKING:
    from .access.load import Package, load

# Imported on first use, so ``import factpack`` stays light (no polars, no httpx).
_LAZY = {"load": "access.load", "Package": "access.load"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
