"""factpack: publish hand-checked records as versioned, validated Frictionless data packages.

``factpack.check(TARGET)`` validates a data package as ``factpack validate`` does and
returns a :class:`Result` (``.valid``, ``.errors``, ``.counts``). It is not called
``factpack.validate``: that name is the validation stage's package (``factpack.validate``),
and a module attribute cannot be both.

``factpack.load(NAME_OR_PATH_OR_URL)`` returns a published package's tables as
typed polars DataFrames, verified against their hashes (see :mod:`factpack.access`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Package", "Result", "check", "load"]

if TYPE_CHECKING:
    from .access.load import Package, load
    from .validate.run import Result, check

# Imported on first use, so ``import factpack`` stays light (no polars, no httpx).
_LAZY = {"load": "access.load", "Package": "access.load", "check": "validate.run",
         "Result": "validate.run"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
