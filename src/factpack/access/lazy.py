"""``factpack.load(..., lazy=True)``: a published package's tables read in place, not downloaded.

Each table is a polars LazyFrame scanning the published Parquet file where it lies (a store
folder, ``http(s)://`` or ``s3://``): a query reads the Parquet footer and then only the
row groups and columns it needs. What is checked before any table is handed out:

* from a store (``NAME@VERSION``): ``datapackage.json`` against the catalog's sha256 and
  size, and its ``name`` and ``version`` against the catalog, as :func:`fetch` does;
* each Parquet file's size against the ``bytes`` its descriptor declares (one ``HEAD``),
  and its columns and their types against the Table Schema (its footer).

The Parquet bytes themselves are not hashed (that would mean reading them all, which is
what reading in place avoids): ``load(...)`` without ``lazy`` downloads and verifies
everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import polars as pl

from ..core.errors import FactpackError
from ..core.hashing import data_digest
from ..core.transfer import Store, safe_relpath
from ..core.unpack import DESCRIPTOR_LIMIT, mismatch, resource_paths
from ..spec import fieldtypes
from ..spec.parse import parse_package, parse_schema
from ..spec.tables import group_tables
from .fetch import default_store, parse_spec, read_catalog, resolve
from .tables import TableMapping


@dataclass(frozen=True, repr=False)
class LazyPackage(TableMapping):
    """``tables`` (name -> polars LazyFrame over the published Parquet), ``urls`` (name -> where
    that Parquet file lies, for DuckDB or any Parquet reader) and ``metadata`` (the descriptor)."""

    location: str
    metadata: dict[str, Any]
    tables: dict[str, pl.LazyFrame] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<LazyPackage {self.name} {self.version} at {self.location}: {', '.join(self)}>"


def scan(source: str, version: str | None = None, *, store: str | None = None) -> LazyPackage:
    """``NAME[@VERSION]`` in a store, or the URL or path of a ``datapackage.json``."""
    text = str(source)
    if text.endswith("datapackage.json"):
        if version is not None:
            raise FactpackError("version= goes with a package name, not with a path or URL")
        base, _, leaf = text.rpartition("/")
        where = Store(base + "/" if base else ".", progress=False)
        return _scan(where, "", where.read(leaf, DESCRIPTOR_LIMIT))
    name, wanted = parse_spec(text, version)
    where = Store(store or default_store(), progress=False)
    release = resolve(read_catalog(where), name, wanted)
    folder = safe_relpath(release.path).rstrip("/") + "/"
    entry = next((f for f in release.files if f.path == folder + "datapackage.json"), None)
    if entry is None:
        raise FactpackError(f"the catalog lists no {folder}datapackage.json for {name} "
                            f"{release.version}")
    raw = where.read(entry.path, DESCRIPTOR_LIMIT)
    if len(raw) != entry.bytes:
        raise mismatch(f"{entry.path}: byte count", str(entry.bytes), str(len(raw)))
    if data_digest(raw) != entry.sha256.lower():
        raise mismatch(f"{entry.path}: sha256", entry.sha256, data_digest(raw))
    package = _scan(where, folder, raw)
    for key, want in (("name", name), ("version", release.version)):
        if package.metadata.get(key) != want:
            raise FactpackError(f"{entry.path}: {key} is {package.metadata.get(key)!r}, the "
                                f"catalog says {want!r}")
    return package


def _scan(where: Store, folder: str, raw: bytes) -> LazyPackage:
    import json

    label = where.where(folder + "datapackage.json")
    try:
        descriptor = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactpackError(f"{label}: not valid JSON: {exc}") from None
    tables, urls = {}, {}
    for name, table in group_tables(parse_package(descriptor, label)).items():
        res = table.parquet
        if res is None:
            continue  # a CSV-only table has no typed file to scan in place
        rel = folder + safe_relpath(resource_paths(res.path, res.name)[0])
        size = _size(where, rel)
        if res.bytes is not None and size != res.bytes:
            raise mismatch(f"{where.where(rel)}: byte count", str(res.bytes), str(size),
                           "datapackage.json")
        urls[name] = where.where(rel)
        frame = pl.scan_parquet(urls[name], storage_options=_options(where))
        _check_columns(frame, table.main.schema_, where.where(rel), name)
        tables[name] = frame
    if not tables:
        raise FactpackError(f"{label}: no Parquet table to read in place; load() without "
                            "lazy=True reads CSV tables")
    return LazyPackage(where.where(folder) if folder else label.rpartition("/")[0] + "/",
                       descriptor, tables, urls)


def _options(where: Store) -> dict[str, str] | None:
    if where.bucket is None:
        return None
    from ..core.s3 import storage_options

    return storage_options()


def _size(where: Store, rel: str) -> int | None:
    """An object's size: HEAD on S3, a one-byte range over http(s), stat in a folder."""
    if where.bucket is not None:
        size = where.bucket.size(rel)
    elif where.root is not None:
        path = where.root / rel
        size = path.stat().st_size if path.is_file() else None
    else:
        size = _http_size(where.where(rel))
    if size is None:
        raise FactpackError(f"{where.where(rel)}: not found in the store")
    return size


def _http_size(url: str) -> int | None:
    """The size a server gives for ``url``: its first byte asked for, the total read from
    ``Content-Range`` (any server that serves Parquet in place honours ranges; some refuse
    HEAD to anonymous readers); the body is never read."""
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=30.0,
                          headers={"Range": "bytes=0-0", "Accept-Encoding": "identity"}) as r:
            if r.status_code == 206:
                total = r.headers.get("content-range", "").rpartition("/")[2]
                return int(total) if total.isdigit() else None
            length = r.headers.get("content-length")
            return int(length) if r.status_code == 200 and length else None
    except httpx.HTTPError as exc:
        raise FactpackError(f"{url}: cannot reach it: {exc}") from None


def _check_columns(frame: pl.LazyFrame, raw_schema: Any, where: str, table: str) -> None:
    """The Parquet footer's columns and types against the Table Schema."""
    if not isinstance(raw_schema, dict):
        return
    schema = parse_schema(raw_schema, f"{where}: table {table!r}")
    try:
        found = frame.collect_schema()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise FactpackError(f"{where}: cannot read the Parquet file ({exc})") from None
    names = [f.name for f in schema.fields]
    if names and list(found.names()) != names:
        raise FactpackError(f"{where}: columns {list(found.names())} differ from the Table "
                            f"Schema's {names}")
    for f in schema.fields:
        if not fieldtypes.TYPES[f.type].accepts(found[f.name]):
            raise FactpackError(f"{where}: column {f.name!r} is {found[f.name]} in Parquet, "
                                f"but the Table Schema says {f.type}")
