"""Reading the release store for the website: the catalog, each version's descriptor and diff.

Everything is parsed into the models (:class:`~factpack.spec.catalog.Catalog`,
:class:`~factpack.spec.models.Package`) once, here; the pages work on those. A path the
catalog or a descriptor names is refused if it would leave the store.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..core.errors import FactpackError
from ..core.paths import resolve_inside
from ..spec.catalog import CATALOG, Catalog
from ..spec.models import Package

SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def inside(store: Path, rel: str, what: str) -> Path:
    """A path the catalog or a descriptor names, refused if it would leave the store."""
    path = resolve_inside(store, rel)
    if path is None:
        raise FactpackError(f"{what}: path {rel!r} leaves the store")
    return path


def segment(value: str, what: str) -> str:
    """A dataset name or version, which the site makes a file name."""
    if not SAFE_SEGMENT.match(value):
        raise FactpackError(f"{CATALOG}: {what} {value!r} cannot be a file name in the store")
    return value


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FactpackError(f"{path}: missing from the store") from None


def read_catalog(store: Path) -> Catalog:
    path = store / CATALOG
    return Catalog.parse(_read(path), str(path))


def read_package(store: Path, pkg_dir: str) -> Package:
    """A version's ``datapackage.json`` (``pkg_dir`` ends with a slash)."""
    path = inside(store, pkg_dir + "datapackage.json", CATALOG)
    try:
        return Package.model_validate(json.loads(_read(path)))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactpackError(f"{path}: not valid JSON: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise FactpackError(f"{path}: not a data package ({loc}: {first['msg']})") from None


def read_diff(store: Path, rel: str) -> dict[str, Any]:
    """A version's diff report (``schemas/diff-report.schema.json``), as publish wrote it."""
    path = inside(store, rel, CATALOG)
    try:
        report = json.loads(_read(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactpackError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(report, dict):
        raise FactpackError(f"{path}: not a factpack diff report")
    return report
