"""Descriptors: resolve a validation target into descriptor models and safe file paths (layer 1).

A target is a dataset folder (``datasets/<name>``), a dataset name, any
``datapackage.json``/``.yaml`` (Data Package v1 or v2), a resource or Table Schema
descriptor, or a bare CSV/TSV file (structure only, see :func:`load_bare_table`). Every descriptor is
parsed into the pydantic models of :mod:`factpack.spec.models`; problems become
error records (``package-error``, ``schema-error``, ``source-error``) that name
the file and, for YAML/JSON, the line of the offending property.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..core.errors import Code, ErrorRecord, FactpackError
from ..core.paths import locate
from ..core.unpack import unpack
from ..spec.models import (
    DatasetMeta,
    Dialect,
    Package,
    Resource,
    Schema,
)
from .checks import misplaced_field_properties, misplaced_properties, spec_version
from .read import parse_model, read_or_report, rel

SUPPORTED_FORMATS = {"csv", "tsv", "parquet", None}
COMPRESSED = {"zip", "gz", "bz2", "xz", "zst", "7z", "tar"}


@dataclass
class LoadedResource:
    """One tabular resource, ready for layer 2."""

    name: str
    path: Path  # absolute, resolved, checked to stay inside the root
    relpath: str  # as shown in error records
    schema: Schema
    dialect: Dialect
    encoding: str = "utf-8"
    descriptor: dict[str, Any] = field(default_factory=dict)
    schema_inferred: bool = False  # no schema given: fields are named from the header, type any
    format: str = "csv"  # "csv" (also tsv) or "parquet"


@dataclass
class LoadedPackage:
    """A package (or dataset) after layer 1: models, resources and the errors found so far."""

    name: str
    kind: str  # "dataset" or "package"
    root: Path  # paths may not leave this folder
    descriptor_path: str
    package: Package | None = None
    meta: DatasetMeta | None = None
    resources: list[LoadedResource] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    shown: Path | None = None  # paths in messages are relative to this (default: root)
    label: str = ""  # put before those paths: a zipped package's files read as "pkg.zip/…"
    unpacked: tempfile.TemporaryDirectory | None = None  # a zip's content, removed by close()

    def show(self, path: Path) -> str:
        """How a file is named in error records: relative to the repository if inside it."""
        return self.label + rel(path, self.shown or self.root)

    def close(self) -> None:
        """Remove what loading unpacked (a zipped package), once validation has read it."""
        if self.unpacked is not None:
            self.unpacked.cleanup()
            self.unpacked = None


def repo_root(start: Path | None = None) -> Path:
    """The repository: the nearest folder upwards holding ``datasets/`` or ``pyproject.toml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "datasets").is_dir() or (folder / "pyproject.toml").is_file():
            return folder
    return here


def dataset_dirs(root: Path) -> list[Path]:
    """Every dataset folder under ``datasets/``, sorted by name."""
    return sorted(p.parent for p in (root / "datasets").glob("*/dataset.yaml"))


def load_target(target: str | Path, root: Path) -> LoadedPackage:
    """Resolve a target (dataset folder or name, or a package descriptor) and load it."""
    p = Path(target)
    if not p.exists() and (root / "datasets" / str(target) / "dataset.yaml").is_file():
        p = root / "datasets" / str(target)
    if p.is_dir():
        if (p / "dataset.yaml").is_file():
            return load_dataset(p, root)
        for name in ("datapackage.json", "datapackage.yaml", "datapackage.yml"):
            if (p / name).is_file():
                return load_package(p / name, root)
        raise FactpackError(f"{target}: no dataset.yaml or datapackage.json in this folder")
    if p.is_file() and p.suffix.lower() in (".csv", ".tsv"):
        return load_bare_table(p, root)
    if p.is_file() and p.suffix.lower() == ".zip":
        return load_zip(p, root)
    if p.is_file():
        return load_package(p, root)
    raise FactpackError(f"{target}: no such dataset, folder or descriptor")


def load_bare_table(path: Path, repo: Path | None = None) -> LoadedPackage:
    """A CSV/TSV file with no descriptor: its structure is checked (encoding, labels, ragged
    and blank rows) with one text field per header label, since there is no schema to type it.
    frictionless-py would infer types from a sample instead; for typed checks, describe the
    file in a datapackage.json."""
    path = path.resolve()
    dialect = Dialect(delimiter="\t") if path.suffix.lower() == ".tsv" else Dialect()
    shown = (repo.resolve() if repo is not None and path.is_relative_to(repo.resolve())
             else path.parent)
    pkg = LoadedPackage(name=path.stem, kind="package", root=path.parent,
                        descriptor_path=rel(path, shown), shown=shown)
    pkg.resources.append(LoadedResource(name=path.stem, path=path, relpath=pkg.show(path),
                                        schema=Schema(), dialect=dialect, schema_inferred=True))
    return pkg


def safe_path(raw: str, base: Path) -> tuple[Path | None, str | None]:
    """An existing file at ``raw`` under ``base`` (:func:`factpack.core.paths.locate`), or why not."""
    if raw.startswith(("http://", "https://", "ftp://", "s3://")):
        return None, f"remote path '{raw}' is not supported (factpack validates local files)"
    path, why = locate(base, raw)
    if path is None:
        return None, f"path '{raw}' {why}"
    if not path.is_file():
        return None, f"file '{raw}' does not exist"
    return path.resolve(), None


def load_dataset(folder: Path, root: Path) -> LoadedPackage:
    """A dataset: ``dataset.yaml`` + ``schemas/<table>.yaml`` + ``data/<table>.csv``."""
    folder = folder.resolve()
    meta_path = folder / "dataset.yaml"
    relmeta = rel(meta_path, root)
    pkg = LoadedPackage(name=folder.name, kind="dataset", root=root, descriptor_path=relmeta)
    parsed = read_or_report(pkg.errors, meta_path, relmeta, Code.PACKAGE, target=True)
    if parsed is None:
        return pkg
    data, lines = parsed
    meta, errs = parse_model(DatasetMeta, data, Code.PACKAGE, relmeta, lines, strict=True)
    pkg.errors += errs
    if meta is None:
        return pkg
    pkg.meta, pkg.name = meta, meta.name
    for i, table in enumerate(meta.resources):
        schema_file, err = safe_path(f"schemas/{table}.yaml", root)
        if err:
            pkg.errors.append(ErrorRecord(
                code=Code.SCHEMA, resource=table, path=relmeta, line=lines.get(("resources", i)),
                field=f"resources[{i}]", value=table, message=f"{relmeta}: table '{table}': {err}"))
            continue
        schema = _load_schema_file(pkg, schema_file, table, root, strict=True)
        csv_file, err = safe_path(f"data/{table}.csv", folder)
        if err:
            pkg.errors.append(ErrorRecord(
                code=Code.SOURCE, resource=table, path=rel(folder / "data" / f"{table}.csv", root),
                message=f"table '{table}': {err}"))
            continue
        if schema is not None:
            pkg.resources.append(LoadedResource(
                name=table, path=csv_file, relpath=rel(csv_file, root), schema=schema,
                dialect=Dialect()))
    _check_references(pkg)
    return pkg


def _load_schema_file(pkg: LoadedPackage, path: Path, resource: str, root: Path,
                      strict: bool) -> Schema | None:
    relpath = rel(path, root)
    if (parsed := read_or_report(pkg.errors, path, relpath, Code.SCHEMA, resource)) is None:
        return None
    data, lines = parsed
    schema, errs = parse_model(Schema, data, Code.SCHEMA, relpath, lines, strict, resource)
    if schema is not None:  # factpack's schemas are Table Schema v2 (DESIGN.md): no v1 gates
        errs += misplaced_field_properties(data, relpath, lines, (), "v2")
    pkg.errors += errs
    if schema is not None:
        pkg.schemas[resource] = data
    return schema if not errs else None


def load_zip(archive: Path, repo: Path | None = None) -> LoadedPackage:
    """A zipped package: unpacked safely (:func:`factpack.core.unpack.unpack`: no path out of
    the folder, no link, sizes counted while decompressing) into a temporary folder that
    :meth:`LoadedPackage.close` removes; its ``datapackage.json`` at the zip's root, or
    inside its one top folder. Files are named ``<zip>/<path inside it>``."""
    unpacked = tempfile.TemporaryDirectory(prefix="factpack-zip-")
    try:
        unpack(archive, Path(unpacked.name))
        folder = Path(unpacked.name)
        found = [folder / n for n in ("datapackage.json", "datapackage.yaml", "datapackage.yml")
                 if (folder / n).is_file()]
        if not found:
            raise FactpackError(f"{archive}: no datapackage.json at the zip's root (nor in its "
                                "one top folder)")
        shown = repo.resolve() if repo is not None and archive.resolve().is_relative_to(
            repo.resolve()) else archive.resolve().parent
        pkg = load_package(found[0], label=rel(archive, shown) + "/")
    except BaseException:
        unpacked.cleanup()
        raise
    pkg.unpacked = unpacked
    return pkg


def load_package(path: Path, repo: Path | None = None, label: str = "") -> LoadedPackage:
    """Any Data Package descriptor (v1 or v2); paths may not leave its folder.

    Files are named relative to ``repo`` when the descriptor is inside it (so GitHub
    annotations point at the right file), else relative to the descriptor's folder,
    after ``label`` (see :func:`load_zip`).
    """
    path = path.resolve()
    base = path.parent
    shown = repo.resolve() if repo is not None and base.is_relative_to(repo.resolve()) else base
    relpkg = label + rel(path, shown)
    pkg = LoadedPackage(name=path.stem, kind="package", root=base, descriptor_path=relpkg,
                        shown=shown, label=label)
    parsed = read_or_report(pkg.errors, path, relpkg, Code.PACKAGE, target=True)
    if parsed is None:
        return pkg
    data, lines = parsed
    if (isinstance(data, dict) and "resources" not in data and "fields" in data
            and "path" not in data and "data" not in data):
        return _load_schema_only(pkg, path, data, lines)
    single = isinstance(data, dict) and "resources" not in data and ("path" in data or "data" in data)
    if single:
        data, lines = {"resources": [data]}, {("resources", 0) + k: v for k, v in lines.items()}
    package, errs = parse_model(Package, data, Code.PACKAGE, relpkg, lines, strict=False)
    pkg.errors += errs
    if package is None:
        return pkg
    pkg.errors += misplaced_properties(data, relpkg, lines, single)
    if pkg.errors:  # like frictionless: tables are not read against a broken descriptor
        return pkg
    pkg.package = package
    pkg.name = package.name or path.stem
    for i, res in enumerate(package.resources):
        loaded = _load_resource(pkg, res, i, base, lines)
        if loaded is not None:
            pkg.resources.append(loaded)
    _check_references(pkg)
    if any(e.code in (Code.PACKAGE, Code.SCHEMA) for e in pkg.errors):
        pkg.resources = []  # like frictionless: a broken descriptor is fixed before data is read
    return pkg


def _load_schema_only(pkg: LoadedPackage, path: Path, data: dict, lines: dict) -> LoadedPackage:
    """A bare Table Schema: its metadata is checked, there is no table to read."""
    pkg.kind = "schema"
    schema, errs = parse_model(Schema, data, Code.SCHEMA, pkg.descriptor_path, lines, False)
    pkg.errors += errs
    if schema is not None:
        pkg.errors += misplaced_field_properties(data, pkg.descriptor_path, lines, (),
                                                 spec_version(data.get("$schema")))
    return pkg


def _load_resource(pkg: LoadedPackage, res: Resource, i: int, base: Path,
                   lines: dict[tuple, int]) -> LoadedResource | None:
    name = res.name or f"resource{i + 1}"
    at = lines.get(("resources", i, "path")) or lines.get(("resources", i))
    where = {"resource": name, "path": pkg.descriptor_path, "line": at}

    def unsupported(why: str) -> None:
        pkg.errors.append(ErrorRecord(code=Code.SOURCE, message=f"resource '{name}': {why}",
                                      **where))

    if res.data is not None:
        return unsupported("inline data is not supported (factpack validates CSV files)")
    if isinstance(res.path, list):
        return unsupported("multipart resources (a list of paths) are not supported")
    if not res.path:
        return unsupported("the resource has neither 'path' nor 'data'")
    fmt = (res.format or Path(res.path).suffix.lstrip(".")).lower() or None
    suffix = Path(res.path).suffix.lstrip(".").lower()
    if res.compression or fmt in COMPRESSED or suffix in COMPRESSED:
        return unsupported(f"compressed files ('{res.path}') are not supported")
    if fmt not in SUPPORTED_FORMATS:
        return unsupported(f"format '{fmt}' is not supported (factpack validates CSV and "
                           "Parquet files)")
    file, err = safe_path(res.path, base)
    if err:
        return unsupported(err)
    schema = _resource_part(pkg, res.schema_, Schema, Code.SCHEMA, name, base, lines, i, "schema")
    dialect = _resource_part(pkg, res.dialect, Dialect, Code.DIALECT, name, base, lines, i,
                             "dialect")
    if schema is None or dialect is None:
        return None
    if fmt == "tsv" and res.dialect is None:
        dialect.delimiter = "\t"
    return LoadedResource(name=name, path=file, relpath=pkg.show(file), schema=schema,
                          dialect=dialect, encoding=(res.encoding or "utf-8").lower(),
                          descriptor=res.model_dump(by_alias=True, exclude_none=True),
                          schema_inferred=res.schema_ is None,
                          format="parquet" if fmt == "parquet" else "csv")


def _resource_part(pkg: LoadedPackage, value: Any, model: type[BaseModel], code: str, name: str,
                   base: Path, lines: dict[tuple, int], i: int, key: str) -> Any:
    """A resource's schema or dialect: inline, or a path to a JSON/YAML file."""
    if value is None:
        return model()
    relpath, prefix = pkg.descriptor_path, ("resources", i, key)
    if isinstance(value, str):
        file, err = safe_path(value, base)
        if err:
            pkg.errors.append(ErrorRecord(code=code, resource=name, path=relpath,
                                          line=lines.get(prefix), message=f"{key}: {err}"))
            return None
        relpath, prefix = pkg.show(file), ()
        if (parsed := read_or_report(pkg.errors, file, relpath, code, name)) is None:
            return None
        value, lines = parsed
    obj, errs = parse_model(model, value, code, relpath, lines, False, name, prefix)
    pkg.errors += errs
    if obj is not None and key == "schema":
        pkg.schemas[name] = value
    return obj


def _check_references(pkg: LoadedPackage) -> None:
    """A foreign key must name a resource of the package (frictionless: a resource-error, and
    that table is not read). A referenced field the target lacks is not a descriptor error
    there: every row with a value is a foreign-key error (layer 2)."""
    names = {r.name for r in pkg.resources} | set(pkg.meta.resources if pkg.meta else []) | {
        r.name for r in (pkg.package.resources if pkg.package else []) if r.name}
    for res in list(pkg.resources):
        unknown = [fk.reference.resource for fk in res.schema.foreignKeys
                   if fk.reference.resource and fk.reference.resource not in names]
        if unknown:
            pkg.errors.append(ErrorRecord(
                code=Code.RESOURCE, resource=res.name, path=pkg.descriptor_path,
                message=f"resource '{res.name}': a foreign key refers to resource "
                        f"'{unknown[0]}', which the package does not have"))
            pkg.resources.remove(res)
