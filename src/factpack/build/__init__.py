"""Stage 4, build: a validated dataset written as an immutable, reproducible package.

``package`` (the version folder, the build entry point), ``parquet`` and ``sqlite``
(the typed twins), ``codebook`` (the package README), ``check`` (layer 4), ``output``
(the zip, and the staged build put in place).
``factpack.build.build_dataset`` is the entry point that ledger rebuilds import from a
release's own commit, so it stays here, imported on first use.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "build_dataset":
        from .package import build_dataset

        return build_dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
