"""Descriptors: resolve a validation target into descriptor models and safe file paths (layer 1).

A target is a dataset folder (``datasets/<name>``), a dataset name, any
``datapackage.json``/``.yaml`` (Data Package v1 or v2), a resource or Table Schema
descriptor, or a bare CSV/TSV file (structure only, see :func:`load_bare_table`). Every descriptor is
parsed into the pydantic models of :mod:`factpack.models`; problems become
error records (``package-error``, ``schema-error``, ``source-error``) that name
the file and, for YAML/JSON, the line of the offending property.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..core.errors import ErrorRecord, FactpackError
from ..core.paths import locate
from ..spec import fieldtypes
from ..spec.models import (
    SUPPORTED_CONSTRAINTS,
    DatasetMeta,
    Dialect,
    Package,
    Resource,
    Schema,
    unknown_properties,
)

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

    def show(self, path: Path) -> str:
        """How a file is named in error records: relative to the repository if inside it."""
        return rel(path, self.shown or self.root)


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


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` for messages (as written: a link is not followed)."""
    for candidate in (Path(os.path.abspath(path)), path.resolve()):
        try:
            return str(candidate.relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


def read_descriptor(path: Path) -> tuple[Any, dict[tuple, int]]:
    """Parse JSON or YAML; return the data and a map from key paths to 1-based line numbers."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)  # JSON is YAML: one parser, line numbers
    data = yaml.safe_load(text) if node is not None else None
    return data, _lines(node)


def _read_or_report(pkg: LoadedPackage, path: Path, relpath: str, code: str,
                    resource: str | None = None) -> tuple[Any, dict[tuple, int]] | None:
    """:func:`read_descriptor`, or None with the syntax or encoding error recorded (and its line)."""
    try:
        return read_descriptor(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        pkg.errors.append(ErrorRecord(
            code=code, resource=resource, path=relpath,
            line=mark.line + 1 if mark is not None else None,
            message=f"{relpath}: not valid JSON/YAML: {exc}"))
        return None


def _lines(node: Any, prefix: tuple = ()) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = prefix + (k.value,)
            out[key] = k.start_mark.line + 1
            out.update(_lines(v, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[prefix + (i,)] = v.start_mark.line + 1
            out.update(_lines(v, prefix + (i,)))
    return out


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None


def parse_model(
    model: type[BaseModel], data: Any, code: str, relpath: str, lines: dict[tuple, int],
    strict: bool, resource: str | None = None, prefix: tuple = (),
) -> tuple[BaseModel | None, list[ErrorRecord]]:
    """Validate ``data`` as ``model``; every problem is an error record with file and line."""
    errors: list[ErrorRecord] = []
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = prefix + tuple(x for x in e["loc"] if not isinstance(x, str) or x[0:1] != "_")
            where = ".".join(str(x) for x in e["loc"]) or "(top level)"
            errors.append(ErrorRecord(
                code=code, resource=resource, path=relpath, line=_line_for(lines, loc),
                field=where, value=_short(e.get("input")),
                message=f"{relpath}: '{where}'"
                        + (f" = {_short(e.get('input'))!r}" if _short(e.get("input")) else "")
                        + f": {e['msg']}",
            ))
        return None, errors
    if strict:
        for dotted in unknown_properties(obj):
            loc = prefix + tuple(_loc_parts(dotted))
            errors.append(ErrorRecord(
                code=code, resource=resource, path=relpath, line=_line_for(lines, loc),
                field=dotted,
                message=f"{relpath}: unknown property '{dotted}' (a typo? the spec does not "
                        "define it, and factpack does not ignore what it does not understand)",
            ))
    return obj, errors


def _loc_parts(dotted: str) -> list[Any]:
    parts: list[Any] = []
    for piece in dotted.split("."):
        name = piece.split("(")[0]
        if "[" in name:
            key, idx = name.rstrip("]").split("[")
            parts += [key, int(idx)]
        else:
            parts.append(name)
    return parts


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    s = str(value)
    return s if len(s) <= 200 else s[:200] + "…"


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
    if (parsed := _read_or_report(pkg, meta_path, relmeta, "package-error")) is None:
        return pkg
    data, lines = parsed
    meta, errs = parse_model(DatasetMeta, data, "package-error", relmeta, lines, strict=True)
    pkg.errors += errs
    if meta is None:
        return pkg
    pkg.meta, pkg.name = meta, meta.name
    for i, table in enumerate(meta.resources):
        schema_file, err = safe_path(f"schemas/{table}.yaml", root)
        if err:
            pkg.errors.append(ErrorRecord(
                code="schema-error", resource=table, path=relmeta, line=lines.get(("resources", i)),
                field=f"resources[{i}]", value=table, message=f"{relmeta}: table '{table}': {err}"))
            continue
        schema = _load_schema_file(pkg, schema_file, table, root, strict=True)
        csv_file, err = safe_path(f"data/{table}.csv", folder)
        if err:
            pkg.errors.append(ErrorRecord(
                code="source-error", resource=table, path=rel(folder / "data" / f"{table}.csv", root),
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
    if (parsed := _read_or_report(pkg, path, relpath, "schema-error", resource)) is None:
        return None
    data, lines = parsed
    schema, errs = parse_model(Schema, data, "schema-error", relpath, lines, strict, resource)
    if schema is not None:  # factpack's schemas are Table Schema v2 (DESIGN.md): no v1 gates
        errs += misplaced_field_properties(data, relpath, lines, (), "v2")
    pkg.errors += errs
    if schema is not None:
        pkg.schemas[resource] = data
    return schema if not errs else None


def load_package(path: Path, repo: Path | None = None) -> LoadedPackage:
    """Any Data Package descriptor (v1 or v2); paths may not leave its folder.

    Files are named relative to ``repo`` when the descriptor is inside it (so GitHub
    annotations point at the right file), else relative to the descriptor's folder.
    """
    path = path.resolve()
    base = path.parent
    shown = repo.resolve() if repo is not None and base.is_relative_to(repo.resolve()) else base
    relpkg = rel(path, shown)
    pkg = LoadedPackage(name=path.stem, kind="package", root=base, descriptor_path=relpkg,
                        shown=shown)
    if (parsed := _read_or_report(pkg, path, relpkg, "package-error")) is None:
        return pkg
    data, lines = parsed
    if (isinstance(data, dict) and "resources" not in data and "fields" in data
            and "path" not in data and "data" not in data):
        return _load_schema_only(pkg, path, data, lines)
    single = isinstance(data, dict) and "resources" not in data and ("path" in data or "data" in data)
    if single:
        data, lines = {"resources": [data]}, {("resources", 0) + k: v for k, v in lines.items()}
    package, errs = parse_model(Package, data, "package-error", relpkg, lines, strict=False)
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
    if any(e.code in ("package-error", "schema-error") for e in pkg.errors):
        pkg.resources = []  # like frictionless: a broken descriptor is fixed before data is read
    return pkg


def _load_schema_only(pkg: LoadedPackage, path: Path, data: dict, lines: dict) -> LoadedPackage:
    """A bare Table Schema: its metadata is checked, there is no table to read."""
    pkg.kind = "schema"
    schema, errs = parse_model(Schema, data, "schema-error", pkg.descriptor_path, lines, False)
    pkg.errors += errs
    if schema is not None:
        pkg.errors += misplaced_field_properties(data, pkg.descriptor_path, lines, (),
                                                 spec_version(data.get("$schema")))
    return pkg


# Properties frictionless-py reports as misplaced (they belong one level down).
MISPLACED_PACKAGE = {"missingValues": "resources[].schema.missingValues",
                     "fields": "resources[].schema.fields"}
MISPLACED_RESOURCE = {"missingValues": "schema.missingValues", "fields": "schema.fields",
                      "primaryKey": "schema.primaryKey", "foreignKeys": "schema.foreignKeys"}
MISPLACED_FIELD = {"required": "constraints.required"}


def misplaced_properties(data: dict, relpath: str, lines: dict, single: bool) -> list[ErrorRecord]:
    """Well-known properties put at the wrong level, and resources without a name."""
    out = []

    def add(loc: tuple, message: str) -> None:
        out.append(ErrorRecord(code="package-error", path=relpath, line=_line_for(lines, loc),
                               field=".".join(str(x) for x in loc) or None,
                               message=f"{relpath}: {message}"))

    if not single:
        for key, where in MISPLACED_PACKAGE.items():
            if key in data:
                add((key,), f"'{key}' is not a package property; set it as '{where}'")
    for i, res in enumerate(data.get("resources") or []):
        if not isinstance(res, dict):
            continue
        what = "the resource" if single else f"resource {i + 1}"
        if not res.get("name"):
            add(("resources", i), f"{what} has no 'name'; give it one such as "
                                  f"'{Path(str(res.get('path') or 'data')).stem.lower()}'")
        for key, where in MISPLACED_RESOURCE.items():
            if key in res:
                add(("resources", i, key), f"'{key}' of {what} belongs in its schema: set it "
                                           f"as '{where}'")
        if res.get("profile") == "tabular-data-resource" and not res.get("schema"):
            add(("resources", i), f"{what} has profile 'tabular-data-resource' but no 'schema'")
        if isinstance(res.get("schema"), dict):
            version = spec_version(data.get("$schema") or (res.get("$schema") if single else None))
            out += misplaced_field_properties(res["schema"], relpath, lines,
                                              ("resources", i, "schema"), version)
    if data.get("profile") == "tabular-data-package" and any(
            isinstance(r, dict) and r.get("profile") != "tabular-data-resource"
            for r in data.get("resources") or []):
        add(("profile",), "profile 'tabular-data-package' requires every resource to have "
                          "profile 'tabular-data-resource'")
    return out


def spec_version(profile: Any) -> str:
    """'v1', 'v2' or 'unknown' from a ``$schema`` URL, as frictionless resolves it."""
    if not profile:
        return "v1"  # the spec: no $schema means version 1
    m = re.search(r"datapackage\.org/profiles/(\d+)\.\d+/", str(profile))
    return {"1": "v1", "2": "v2"}.get(m.group(1), "unknown") if m else "unknown"


def misplaced_field_properties(schema: dict, relpath: str, lines: dict, prefix: tuple,
                               version: str = "v1") -> list[ErrorRecord]:
    """Field properties at the wrong level, constraints a type does not take, v2-only features."""
    out = []

    def add(j: int, f: dict, key: str, message: str) -> None:
        loc = prefix + ("fields", j, key)
        out.append(ErrorRecord(
            code="schema-error", path=relpath, line=_line_for(lines, loc), field=f.get("name"),
            message=f"{relpath}: field '{f.get('name')}': {message}"))

    for j, f in enumerate(schema.get("fields") or []):
        if not isinstance(f, dict):
            continue
        for key, where in MISPLACED_FIELD.items():
            if key in f:
                add(j, f, key, f"'{key}' is not a field property; set it as '{where}'")
        ftype = f.get("type") or "any"
        allowed = SUPPORTED_CONSTRAINTS.get(ftype)
        constraints = f.get("constraints") if isinstance(f.get("constraints"), dict) else {}
        for name in constraints:
            if allowed is not None and name not in allowed + ["required", "enum", "unique"]:
                add(j, f, "constraints", f"constraint '{name}' does not apply to type "
                    f"'{ftype}' (it takes {', '.join(['required', 'unique', 'enum'] + allowed)})")
            if version == "v1" and name in ("exclusiveMinimum", "exclusiveMaximum"):
                add(j, f, "constraints", f"constraint '{name}' needs Data Package v2: declare "
                    "\"$schema\": \"https://datapackage.org/profiles/2.0/datapackage.json\"")
        pattern = constraints.get("pattern")
        if isinstance(pattern, str) and not fieldtypes.regex_ok(pattern):
            add(j, f, "constraints", f"pattern {pattern!r} is not a valid regular expression")
        if version == "v1" and any(isinstance(e, dict) for e in f.get("missingValues") or []):
            add(j, f, "missingValues", "missing values as objects need Data Package v2")
    if version == "v1" and any(isinstance(e, dict) for e in schema.get("missingValues") or []):
        out.append(ErrorRecord(code="schema-error", path=relpath,
                               line=_line_for(lines, prefix + ("missingValues",)),
                               message=f"{relpath}: missing values as objects need Data Package v2"))
    return out


def _load_resource(pkg: LoadedPackage, res: Resource, i: int, base: Path,
                   lines: dict[tuple, int]) -> LoadedResource | None:
    name = res.name or f"resource{i + 1}"
    at = lines.get(("resources", i, "path")) or lines.get(("resources", i))
    where = {"resource": name, "path": pkg.descriptor_path, "line": at}

    def unsupported(why: str) -> None:
        pkg.errors.append(ErrorRecord(code="source-error", message=f"resource '{name}': {why}",
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
    schema = _resource_part(pkg, res.schema_, Schema, "schema-error", name, base, lines, i, "schema")
    dialect = _resource_part(pkg, res.dialect, Dialect, "package-error", name, base, lines, i,
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
        if (parsed := _read_or_report(pkg, file, relpath, code, name)) is None:
            return None
        value, lines = parsed
    obj, errs = parse_model(model, value, code, relpath, lines, False, name, prefix)
    pkg.errors += errs
    if obj is not None and key == "schema":
        pkg.schemas[name] = value
    return obj


def _check_references(pkg: LoadedPackage) -> None:
    """Foreign keys must name a resource of the package and fields it has."""
    by_name = {r.name: r for r in pkg.resources}
    for res in pkg.resources:
        for fk in res.schema.foreignKeys:
            target = by_name.get(fk.reference.resource) if fk.reference.resource else res
            if fk.reference.resource and target is None:
                continue  # reported by layer 2 as a foreign-key error on every row, like frictionless
            missing = [f for f in fk.reference.fields if target.schema.field(f) is None]
            if missing:
                pkg.errors.append(ErrorRecord(
                    code="schema-error", resource=res.name, path=res.relpath,
                    message=f"foreign key {fk.fields} → {fk.reference.resource or res.name}"
                            f"{fk.reference.fields}: the referenced table has no field "
                            f"{', '.join(missing)}"))


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False)
