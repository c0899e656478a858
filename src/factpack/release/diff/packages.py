"""Opening the two sides of a diff: a package folder, descriptor, URL, ``NAME@VERSION`` or
dataset folder, parsed into the Data Package model once, with one data file per table."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ...core.errors import FactpackError
from ...core.hashing import files_digest, split_hash
from ...core.paths import is_relative_inside, locate
from ...core.transfer import Store
from ...core.unpack import DESCRIPTOR_LIMIT, MAX_PACKAGE_BYTES, check_files, unpack
from ...descriptors.load import repo_root
from ...descriptors.read import read_descriptor
from ...spec.models import Package, Schema
from ...spec.parse import parse_package, parse_schema
from ...spec.tables import group_tables
from ..ledger import build_version, locate_version

Locate = Callable[[str], Path]  # a path the descriptor names -> the local file


@dataclass
class DiffTable:
    """One table of a package: its Table Schema and the data file to read (Parquet preferred)."""

    name: str
    schema: Schema
    path: Path
    format: str  # "parquet" or "csv"

    def scan(self) -> pl.LazyFrame:
        if self.format == "parquet":
            return pl.scan_parquet(self.path)
        missing = self.schema.missingValues
        return pl.scan_csv(self.path, infer_schema=False, empty_string_is_null="" in missing,
                           null_values=[m for m in missing if m != ""] or None)


@dataclass
class DiffPackage:
    """One side of a diff."""

    label: str  # how reports name it: "name@version" or the argument as given
    package: Package
    tables: dict[str, DiffTable]


def open_package(spec: str, root: Path, workdir: Path, store: Path | str | None = None
                 ) -> DiffPackage:
    """A built package folder, ``datapackage.json`` path or URL, a zipped package,
    ``name@version`` (in a store folder, or at an http(s):// or s3:// store), or a dataset
    folder (``datasets/<name>``, built first)."""
    if spec.startswith(("http://", "https://", "s3://")):
        return open_url(spec, workdir)
    if "@" in spec and str(store or "").startswith(("http://", "https://", "s3://")):
        name, _, version = spec.partition("@")  # the store's layout: <name>/<version>/
        return open_url(f"{str(store).rstrip('/')}/{name}/{version}/datapackage.json", workdir)
    store = Path(store) if store is not None else None
    path = Path(spec)
    if path.is_file() and path.suffix.lower() == ".zip":  # unpacked safely into the workdir
        folder = Path(tempfile.mkdtemp(prefix="zip-", dir=workdir))
        unpack(path, folder, own_sizes=True)
        return open_local(folder / "datapackage.json", spec)
    if (path / "dataset.yaml").is_file() and not (path / "datapackage.json").exists():
        out = Path(tempfile.mkdtemp(prefix="work-", dir=workdir))  # a working tree: build it
        folder, _ = build_version(repo_root(path), path.resolve().name, out)
        return open_local(folder / "datapackage.json", spec)
    if path.is_dir():
        path = path / "datapackage.json"
    if path.is_file():
        return open_local(path, spec)
    if "@" in spec and not path.exists():
        name, _, version = spec.partition("@")
        folder = locate_version(name, version, root, workdir, store)
        return open_local(folder / "datapackage.json", spec)
    raise FactpackError(f"{spec}: not a package folder, datapackage.json, URL, NAME@VERSION or "
                        "dataset folder")


def _read(path: Path, label: str, what: str) -> Any:
    """A JSON or YAML descriptor; any syntax or encoding error is unusable input."""
    try:
        data, _ = read_descriptor(path)
    except Exception as exc:  # YAML, JSON and encoding errors alike
        raise FactpackError(f"{label}: cannot read {what}{path.name}: {exc}") from exc
    return data


def _package(path: Path, label: str) -> Package:
    data = _read(path, label, "")
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise FactpackError(f"{label}: {path.name} is not a data package (no 'resources' list)")
    return parse_package(data, f"{label}: {path.name}")


def open_local(path: Path, label: str) -> DiffPackage:
    if path.is_symlink():  # the one path policy (core.paths): no link is followed
        raise FactpackError(f"{label}: {path} is a symbolic link, which is not followed")
    package = _package(path, label)
    _check_declared(package, path.parent, label)
    return DiffPackage(label, package,
                       _tables(package, label, lambda rel: _inside(path.parent, rel, label)))


def _check_declared(package: Package, folder: Path, label: str) -> None:
    """Every local file is what its resource's ``bytes`` and ``hash`` declare: a CSV changed
    after its Parquet twin was made must not be reported as unchanged."""
    for res in package.resources:
        if res.path is None or (res.bytes is None and res.hash is None):
            continue
        paths = [res.path] if isinstance(res.path, str) else list(res.path)
        if any("://" in p for p in paths):
            continue  # a remote resource is not part of the folder
        files = [_inside(folder, rel, label) for rel in paths]
        algorithm, want = split_hash(res.hash)
        got, n = files_digest(files, algorithm)
        where = paths[0] if len(paths) == 1 else f"resource {res.name}"
        if res.bytes is not None and n != res.bytes:
            raise FactpackError(f"{label}: {where} has {n} bytes, datapackage.json says "
                                f"{res.bytes}: the file changed after it was described, so the "
                                "package cannot be compared")
        if want is not None and got != want.lower():
            raise FactpackError(f"{label}: {where} has {algorithm} {got}, datapackage.json says "
                                f"{want}: the file changed after it was described, so the "
                                "package cannot be compared")


def _inside(base: Path, rel: str, label: str) -> Path:
    """A resource path, refused if it is absolute or leaves the package folder."""
    full, why = locate(base, rel)
    if full is None:
        raise FactpackError(f"{label}: resource path '{rel}' must be relative to the package "
                            f"and followed by no link: it {why}")
    if not full.is_file():
        raise FactpackError(f"{label}: resource file '{rel}' does not exist")
    return full


def open_url(url: str, workdir: Path) -> DiffPackage:
    """A package on a web server: its descriptor, and the one data file of each table, each
    checked against the ``bytes`` and ``hash`` the descriptor declares."""
    if not url.endswith(".json"):
        url = url.rstrip("/") + "/datapackage.json"
    base, _, leaf = url.rpartition("/")
    store = Store(base + "/", progress=False)
    folder = Path(tempfile.mkdtemp(prefix="remote-", dir=workdir))
    (folder / "datapackage.json").write_bytes(store.read(leaf, DESCRIPTOR_LIMIT))
    package = _package(folder / "datapackage.json", url)
    declared = {r.path: r for r in package.resources if isinstance(r.path, str)}
    fetched: dict[str, int] = {}  # path -> bytes; all together at most MAX_PACKAGE_BYTES

    def fetch(rel: str) -> Path:
        if not is_relative_inside(rel):
            raise FactpackError(f"{url}: resource path '{rel}' must be relative to the package")
        res = declared.get(rel)
        out = folder / rel
        if rel in fetched:
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        left = MAX_PACKAGE_BYTES - sum(fetched.values())
        fetched[rel] = store.download(rel, out, res.bytes if res else None, left).bytes
        if res is not None:
            check_files(folder, [rel], res.bytes, res.hash, f"{url}: '{rel}'")
        return out

    tables = _tables(package, url, fetch)
    for rel, res in declared.items():  # the CSV of a Parquet twin too: both must be as declared
        if "://" not in rel and (res.hash or res.bytes is not None):
            fetch(rel)
    return DiffPackage(url, package, tables)


def _tables(package: Package, label: str, locate: Locate) -> dict[str, DiffTable]:
    """Each table (:func:`factpack.spec.tables.group_tables`) with its schema and the file to
    compare: the Parquet twin when there is one (typed), else the CSV."""
    tables: dict[str, DiffTable] = {}
    for name, twins in group_tables(package).items():
        raw = twins.main.schema_  # the CSV's: a Parquet twin's may be adapted to its reader
        if isinstance(raw, str):
            raw = _read(locate(raw), label, "schema ")
        schema = parse_schema(raw if isinstance(raw, dict) else {}, f"{label}: table '{name}'")
        data = twins.parquet or twins.main
        fmt = "parquet" if twins.parquet is not None else "csv"
        tables[name] = DiffTable(name, schema, locate(str(data.path)), fmt)
    return tables
