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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
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
from .forms import detect, is_remote, resolve_url
from .read import DESCRIPTOR_LIMIT, parse_model, read_or_report, rel, shifted


@dataclass
class LoadedResource:
    """One tabular resource, ready for layer 2."""

    name: str
    path: Path | None  # absolute, resolved, inside the root; None for remote or inline data
    relpath: str  # as shown in error records
    schema: Schema
    dialect: Dialect
    encoding: str = "utf-8"
    descriptor: dict[str, Any] = field(default_factory=dict)
    schema_inferred: bool = False  # no schema given: fields are named from the header, type any
    # the reader (descriptors.forms.TABULAR): csv (also tsv), parquet, json, ndjson, excel,
    # inline; "file" for what is not a table (only its bytes and hash are checked)
    format: str = "csv"
    parts: list[str] = field(default_factory=list)  # local paths or URLs, in order (multipart)
    compression: str | None = None  # gz, bz2, xz or zip
    data: Any = None  # inline data
    encoding_declared: bool = True  # else sniffed from the bytes, as frictionless-py does


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
    base_url: str | None = None  # a remote descriptor's folder URL (ends with /)

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
    remote = is_remote(str(target))
    bare = detect(str(target), None, None, None, None)
    if bare.reader and (p.is_file() or remote) and not (bare.reader == "csv" and bare.format not
                                                        in ("csv", "tsv")):
        return load_bare_table(p, root) if not remote else load_bare_table(None, root, str(target))
    if remote:
        return load_remote(str(target))
    if p.is_file() and p.suffix.lower() == ".zip":
        return load_zip(p, root)
    if p.is_file():
        return load_package(p, root)
    raise FactpackError(f"{target}: no such dataset, folder or descriptor")


def load_bare_table(path: Path | None, repo: Path | None = None,
                    url: str | None = None) -> LoadedPackage:
    """A table file (CSV, TSV, compressed, a workbook; local or at ``url``) with no
    descriptor: its structure is checked (encoding, labels, ragged and blank rows) with one
    text field per header label, since there is no schema to type it. frictionless-py
    would infer types from a sample instead; for typed checks, describe the file in a
    datapackage.json (``factpack describe`` writes its schema)."""
    form = detect(url or str(path), None, None, None, None)
    dialect = Dialect(delimiter="\t") if form.format == "tsv" else Dialect()
    if url is not None:
        name = PurePosixPath(url.split("?")[0]).name.split(".")[0] or "table"
        pkg = LoadedPackage(name=name, kind="package", root=Path.cwd(), descriptor_path=url)
        relpath, parts = url, [url]
    else:
        path = path.resolve()
        shown = (repo.resolve() if repo is not None and path.is_relative_to(repo.resolve())
                 else path.parent)
        name = path.name.split(".")[0] or path.stem
        pkg = LoadedPackage(name=name, kind="package", root=path.parent,
                            descriptor_path=rel(path, shown), shown=shown)
        relpath, parts = pkg.show(path), [str(path)]
    pkg.resources.append(LoadedResource(
        name=name, path=path if url is None else None, relpath=relpath, schema=Schema(),
        dialect=dialect, schema_inferred=True, encoding_declared=False,
        format=form.reader or "csv", parts=parts, compression=form.compression))
    return pkg


def safe_path(raw: str, base: Path) -> tuple[Path | None, str | None]:
    """An existing file at ``raw`` under ``base`` (:func:`factpack.core.paths.locate`), or why not."""
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme and scheme not in ("http", "https"):
        return None, (f"path '{raw}': the {scheme} scheme is not supported (factpack reads "
                      "local files and http(s) URLs)")
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
        found = _zipped_descriptors(folder)
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


def _zipped_descriptors(folder: Path) -> list[Path]:
    """The package descriptor of an unpacked zip: at its root, else the one inside its one
    top folder (other people's zips: ``name/datapackage.yaml``, beside a ``__MACOSX/``)."""
    names = ("datapackage.json", "datapackage.yaml", "datapackage.yml")
    found = [folder / n for n in names if (folder / n).is_file()]
    if found:
        return found
    tops = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()
            and p.name != "__MACOSX"]
    if len(tops) == 1:
        return [tops[0] / n for n in names if (tops[0] / n).is_file()]
    return []


def load_package(path: Path, repo: Path | None = None, label: str = "",
                 base_url: str | None = None) -> LoadedPackage:
    """Any Data Package descriptor (v1 or v2); paths may not leave its folder.

    Files are named relative to ``repo`` when the descriptor is inside it (so GitHub
    annotations point at the right file), else relative to the descriptor's folder,
    after ``label`` (see :func:`load_zip`). ``base_url``: the descriptor was read from
    there (:func:`load_remote`); its files are named by their URL.
    """
    path = path.resolve()
    base = path.parent
    shown = repo.resolve() if repo is not None and base.is_relative_to(repo.resolve()) else base
    relpkg = (base_url + path.name) if base_url else label + rel(path, shown)
    pkg = LoadedPackage(name=path.stem, kind="package", root=base, descriptor_path=relpkg,
                        shown=shown, label=label, base_url=base_url)
    parsed = read_or_report(pkg.errors, path, relpkg, Code.PACKAGE, target=True)
    if parsed is None:
        return pkg
    data, lines = parsed
    if (isinstance(data, dict) and "resources" not in data and "fields" in data
            and "path" not in data and "data" not in data):
        return _load_schema_only(pkg, path, data, lines)
    single = isinstance(data, dict) and "resources" not in data and ("path" in data or "data" in data)
    if single:
        data, lines = {"resources": [data]}, shifted(lines, ("resources", 0))
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
                   lines: Mapping[tuple, int]) -> LoadedResource | None:
    name = res.name or f"resource{i + 1}"

    def problem(why: str, code: Code = Code.SOURCE) -> None:
        at = lines.get(("resources", i, "path")) or lines.get(("resources", i))
        pkg.errors.append(ErrorRecord(code=code, message=f"resource '{name}': {why}",
                                      resource=name, path=pkg.descriptor_path, line=at))

    paths = res.path if isinstance(res.path, list) else [res.path] if res.path else []
    if not paths and res.data is None:
        return problem("the resource has neither 'path' nor 'data'")
    if paths and not all(isinstance(p, str) and p for p in paths):
        return problem("'path' must be a non-empty string or a list of them")
    kind = res.type if isinstance(res.type, str) else None
    form = detect(paths[0] if paths else None, res.data, res.format, res.compression, kind)
    parts = []
    for raw in paths:
        if is_remote(raw):
            parts.append(raw)
            continue
        if pkg.base_url:  # a remote descriptor: relative paths are relative to its URL
            url, err = resolve_url(pkg.base_url, raw)
            if err:
                return problem(err)
            parts.append(url)
            continue
        file, err = safe_path(raw, base)
        if err:  # a missing file is a scheme-error, as frictionless-py reports it
            return problem(err, Code.SCHEME if err.endswith("does not exist") else Code.SOURCE)
        parts.append(str(file))
    schema = _resource_part(pkg, res.schema_, Schema, Code.SCHEMA, name, base, lines, i, "schema")
    layout = (res.model_extra or {}).get("layout")  # frictionless v4's name for header rows
    given = res.dialect if res.dialect is not None or not isinstance(layout, dict) else layout
    dialect = _resource_part(pkg, given, Dialect, Code.DIALECT, name, base, lines, i, "dialect")
    if schema is None or dialect is None:
        return None
    if form.format == "tsv" and res.dialect is None:
        dialect.delimiter = "\t"
    local = parts and not is_remote(parts[0])
    shown = (pkg.show(Path(parts[0])) if local else parts[0]) if parts else pkg.descriptor_path
    return LoadedResource(name=name, path=Path(parts[0]) if local else None, relpath=shown,
                          schema=schema, dialect=dialect,
                          encoding=(res.encoding or "utf-8").lower(),
                          descriptor=res.model_dump(by_alias=True, exclude_none=True),
                          schema_inferred=res.schema_ is None, format=form.reader or "file",
                          parts=parts, compression=form.compression, data=res.data,
                          encoding_declared=bool(res.encoding))


def load_remote(url: str) -> LoadedPackage:
    """A descriptor at an http(s) URL, read with the timeouts, retries and size bound of
    :mod:`factpack.core.transfer`; its relative paths are resolved against its URL."""
    from ..core.transfer import Store  # HTTP is loaded only for remote targets

    base, _, name = url.rpartition("/")
    name = name.split("?")[0].split("#")[0] or "datapackage.json"
    text = Store(base + "/", progress=False).read(url[len(base) + 1:], DESCRIPTOR_LIMIT)
    unpacked = tempfile.TemporaryDirectory(prefix="factpack-remote-")
    try:
        local = Path(unpacked.name) / PurePosixPath(name).name
        local.write_bytes(text)
        pkg = load_package(local, base_url=base + "/")
    except BaseException:
        unpacked.cleanup()
        raise
    pkg.unpacked = unpacked
    return pkg


def _resource_part(pkg: LoadedPackage, value: Any, model: type[BaseModel], code: str, name: str,
                   base: Path, lines: Mapping[tuple, int], i: int, key: str) -> Any:
    """A resource's schema or dialect: inline, or a path to a JSON/YAML file."""
    if value is None:
        return model()
    relpath, prefix = pkg.descriptor_path, ("resources", i, key)
    if isinstance(value, str):
        url, err = (value, None) if is_remote(value) else \
            resolve_url(pkg.base_url, value) if pkg.base_url else (None, None)
        file, err = (_download(pkg, url), None) if url else safe_path(value, base) if not err \
            else (None, err)
        if err:
            pkg.errors.append(ErrorRecord(code=code, resource=name, path=relpath,
                                          line=lines.get(prefix), message=f"{key}: {err}"))
            return None
        relpath, prefix = url or pkg.show(file), ()
        if (parsed := read_or_report(pkg.errors, file, relpath, code, name)) is None:
            return None
        value, lines = parsed
    obj, errs = parse_model(model, value, code, relpath, lines, False, name, prefix)
    pkg.errors += errs
    if obj is not None and key == "schema":
        pkg.schemas[name] = value
    return obj


def _download(pkg: LoadedPackage, url: str) -> Path:
    """A remote schema or dialect, into the package's temporary folder (bounded in size)."""
    from ..core.transfer import Store

    if pkg.unpacked is None:
        pkg.unpacked = tempfile.TemporaryDirectory(prefix="factpack-remote-")
    base, _, rest = url.rpartition("/")
    ext = PurePosixPath(rest.split("?")[0]).suffix.lower()
    local = Path(pkg.unpacked.name) / f"part{len(list(Path(pkg.unpacked.name).iterdir()))}{ext}"
    local.write_bytes(Store(base + "/", progress=False).read(rest, DESCRIPTOR_LIMIT))
    return local


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
