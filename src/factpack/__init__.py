"""factpack: publish hand-checked records as versioned, validated Frictionless data packages.

``factpack.validate(TARGET)`` validates a data package as ``factpack validate`` does and
returns a :class:`Result` (``.valid``, ``.errors``, ``.counts``); the validation stage
itself is the package ``factpack.validation``.

``factpack.load(NAME_OR_PATH_OR_URL)`` returns a published package's tables as
typed polars DataFrames, verified against their hashes (see :mod:`factpack.access`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Package", "Result", "load", "validate"]

if TYPE_CHECKING:
    from .access.load import Package, load
    from .validation.run import Result, validate

# Imported on first use, so ``import factpack`` stays light (no polars, no httpx).
_LAZY = {"load": "access.load", "Package": "access.load", "validate": "validation.run",
         "Result": "validation.run"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
