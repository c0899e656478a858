"""``factpack diff OLD NEW``: what changed between two versions of a data package.

Schema changes (tables and columns added, removed or renamed-looking, types and
constraints changed) and, per table, rows added, removed and changed, matched on
the primary key, with the changed cells. Every change carries the version bump
it requires (the Data Package version recipe): breaking → major, new columns,
tables or rows → minor, corrected values and descriptive metadata → patch.

Rows are compared with lazy polars queries (Parquet preferred over CSV). To keep
memory bounded the key space is split into buckets by a hash of the primary key,
about 1.25 million rows per bucket, and each bucket is joined on its own with the
streaming engine: two 10-million-row versions diff in under 1 GiB. Counts are
exact; at most ``limit`` rows of each kind are listed.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from ..core.errors import FactpackError
from ..core.paths import is_relative_inside, resolve_inside
from ..core.versions import BUMPS
from ..descriptors.load import repo_root
from ..descriptors.read import read_descriptor

REPORT_VERSION = 1
ROWS_PER_BUCKET = 1_250_000
# Package properties that follow from the data or the release, not changes of their own.
DERIVED = {"version", "created", "resources", "$schema", "profile"}
DESCRIPTIVE_FIELD_KEYS = {"title", "description", "example", "rdfType"}
LOWER_BOUNDS = {"minLength", "minimum", "exclusiveMinimum"}
UPPER_BOUNDS = {"maxLength", "maximum", "exclusiveMaximum"}


# --------------------------------------------------------------------------- opening packages


@dataclass
class Table:
    """One table of a package: its Table Schema and the data file to read (Parquet preferred)."""

    name: str
    schema: dict[str, Any]
    path: Path
    format: str  # "parquet" or "csv"

    def scan(self) -> pl.LazyFrame:
        if self.format == "parquet":
            return pl.scan_parquet(self.path)
        missing = self.schema.get("missingValues", [""])
        return pl.scan_csv(self.path, infer_schema=False, empty_string_is_null="" in missing,
                           null_values=[m for m in missing if m != ""] or None)

    def fields(self) -> list[dict[str, Any]]:
        return list(self.schema.get("fields") or [])

    def primary_key(self) -> list[str]:
        pk = self.schema.get("primaryKey") or []
        return [pk] if isinstance(pk, str) else list(pk)


@dataclass
class Package:
    label: str  # how reports name it: "name@version" or the argument as given
    descriptor: dict[str, Any]
    tables: dict[str, Table]


def open_package(spec: str, root: Path, workdir: Path, store: Path | None = None) -> Package:
    """A built package folder, ``datapackage.json`` path or URL, ``name@version``, or a dataset
    folder (``datasets/<name>``, built first)."""
    if spec.startswith(("http://", "https://")):
        return _open_url(spec, workdir)
    path = Path(spec)
    if (path / "dataset.yaml").is_file() and not (path / "datapackage.json").exists():
        from .ledger import build_version  # a dataset's working tree: build it first

        out = Path(tempfile.mkdtemp(prefix="work-", dir=workdir))
        folder, _ = build_version(repo_root(path), path.resolve().name, out)
        return open_local(folder / "datapackage.json", spec)
    if path.is_dir():
        path = path / "datapackage.json"
    if path.is_file():
        return open_local(path, spec)
    if "@" in spec and not path.exists():
        name, _, version = spec.partition("@")
        from .ledger import locate_version  # the ledger imports this module

        folder = locate_version(name, version, root, workdir, store)
        return open_local(folder / "datapackage.json", spec)
    raise FactpackError(f"{spec}: not a package folder, datapackage.json, URL, NAME@VERSION or "
                        "dataset folder")


def _load_descriptor(path: Path, label: str) -> dict[str, Any]:
    try:
        data, _ = read_descriptor(path)
    except Exception as exc:  # YAML, JSON and encoding errors alike are unusable input
        raise FactpackError(f"{label}: cannot read {path.name}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise FactpackError(f"{label}: {path.name} is not a data package (no 'resources' list)")
    return data


def open_local(path: Path, label: str) -> Package:
    desc = _load_descriptor(path, label)
    return Package(label, desc, _tables(desc, label, lambda rel: _inside(path.parent, rel, label)))


def _inside(base: Path, rel: str, label: str) -> Path:
    """A resource path, refused if it is absolute or leaves the package folder."""
    full = resolve_inside(base, rel)
    if full is None:
        raise FactpackError(f"{label}: resource path '{rel}' must be relative to the package")
    if not full.is_file():
        raise FactpackError(f"{label}: resource file '{rel}' does not exist")
    return full


def _open_url(url: str, workdir: Path) -> Package:
    import hashlib

    import httpx

    base = url if url.endswith(("/", ".json")) else url + "/"
    if not base.endswith(".json"):
        base += "datapackage.json"
    folder = Path(tempfile.mkdtemp(prefix="remote-", dir=workdir))

    def get(u: str) -> bytes:
        try:
            r = httpx.get(u, follow_redirects=True, timeout=60)
            r.raise_for_status()
        except httpx.HTTPError as exc:
            raise FactpackError(f"{url}: cannot download {u}: {exc}") from exc
        return r.content

    (folder / "datapackage.json").write_bytes(get(base))
    desc = _load_descriptor(folder / "datapackage.json", url)
    hashes = {r.get("path"): r for r in desc["resources"] if isinstance(r, dict)}

    def fetch(rel: str) -> Path:
        if not is_relative_inside(rel):
            raise FactpackError(f"{url}: resource path '{rel}' must be relative to the package")
        data = get(httpx.URL(base).join(rel).__str__())
        want = (hashes.get(rel) or {}).get("hash")
        if (isinstance(want, str) and want.startswith("sha256:")
                and hashlib.sha256(data).hexdigest() != want.removeprefix("sha256:")):
            raise FactpackError(f"{url}: '{rel}' does not match its sha256 in the descriptor")
        out = folder / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        return out

    return Package(url, desc, _tables(desc, url, fetch))


def _tables(desc: dict[str, Any], label: str, locate) -> dict[str, Table]:
    """Group resources by table: a CSV and a Parquet of the same path stem are one table."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for i, res in enumerate(desc["resources"]):
        if not isinstance(res, dict) or not isinstance(res.get("path"), str):
            continue  # inline or multipart data: not a table factpack can diff
        fmt = (res.get("format") or PurePosixPath(res["path"]).suffix.lstrip(".")).lower()
        if fmt in {"csv", "parquet"}:
            stem = str(PurePosixPath(res["path"]).with_suffix(""))
            groups.setdefault(stem, {})[fmt] = res
    tables: dict[str, Table] = {}
    for by_fmt in groups.values():
        res = by_fmt.get("parquet") or by_fmt["csv"]
        name = (by_fmt.get("csv") or res).get("name") or PurePosixPath(res["path"]).stem
        # The CSV's schema is the dataset's own; a Parquet twin's may be adapted to its reader.
        schema = (by_fmt.get("csv") or res).get("schema") or {}
        if isinstance(schema, str):
            schema = _load_descriptor_plain(locate(schema), label)
        fmt = "parquet" if "parquet" in by_fmt else "csv"
        tables[name] = Table(name, schema, locate(res["path"]), fmt)
    return tables


def _load_descriptor_plain(path: Path, label: str) -> dict[str, Any]:
    try:
        data, _ = read_descriptor(path)
    except Exception as exc:
        raise FactpackError(f"{label}: cannot read schema {path.name}: {exc}") from exc
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- schema changes


def _change(kind: str, bump: str, message: str, table: str | None = None,
            column: str | None = None, old: Any = None, new: Any = None) -> dict[str, Any]:
    return {"kind": kind, "bump": bump, "table": table, "column": column,
            "old": old, "new": new, "message": message}


def metadata_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Package-level properties (title, licences, sources…): descriptive, so patch; a new
    name or id breaks every reference to the package, so major."""
    out = []
    for key in sorted((set(old) | set(new)) - DERIVED):
        if old.get(key) != new.get(key):
            bump = "major" if key in {"name", "id"} else "patch"  # users refer to it by name
            out.append(_change("metadata-changed", bump, f"package '{key}' changed",
                               old=old.get(key), new=new.get(key)) | {"property": key})
    return out


def _constraint(key: str, old: Any, new: Any) -> str:
    """'tightened' or 'loosened' for one constraint (unknown changes count as tightened)."""
    if key in {"required", "unique"}:
        return "tightened" if bool(new) and not bool(old) else "loosened"
    if old is None:
        return "tightened"
    if new is None:
        return "loosened"
    if key == "enum" and isinstance(old, list) and isinstance(new, list):
        return "loosened" if set(map(str, old)) <= set(map(str, new)) else "tightened"
    try:
        if key in LOWER_BOUNDS:
            return "tightened" if new > old else "loosened"
        if key in UPPER_BOUNDS:
            return "tightened" if new < old else "loosened"
    except TypeError:
        pass
    return "tightened"  # a new pattern, or bounds that do not compare: assume it can break


def _same_constraint(key: str, old: Any, new: Any) -> bool:
    """Equal in meaning: ``required: false`` is no constraint, an enum's order does not matter."""
    if key in {"required", "unique"}:
        return bool(old) == bool(new)
    if key == "enum" and isinstance(old, list) and isinstance(new, list):
        return sorted(map(str, old)) == sorted(map(str, new))
    return old == new


def field_changes(table: str, name: str, old: dict[str, Any], new: dict[str, Any]) -> list[dict]:
    out = []
    if (old.get("type") or "any") != (new.get("type") or "any"):
        out.append(_change("type-changed", "major",
                           f"{table}.{name}: type {old.get('type')} → {new.get('type')}",
                           table, name, old.get("type"), new.get("type")))
    oc, nc = old.get("constraints") or {}, new.get("constraints") or {}
    for key in sorted(set(oc) | set(nc)):
        if _same_constraint(key, oc.get(key), nc.get(key)):
            continue
        how = _constraint(key, oc.get(key), nc.get(key))
        out.append(_change(f"constraint-{how}", "major" if how == "tightened" else "minor",
                           f"{table}.{name}: constraint '{key}' {how} "
                           f"({oc.get(key)!r} → {nc.get(key)!r})",
                           table, name, {key: oc.get(key)}, {key: nc.get(key)}))
    for key in sorted((set(old) | set(new)) - {"name", "type", "constraints"}):
        if old.get(key) != new.get(key):
            descriptive = key in DESCRIPTIVE_FIELD_KEYS
            out.append(_change("field-metadata-changed" if descriptive else "field-changed",
                               "patch" if descriptive else "major",
                               f"{table}.{name}: '{key}' changed", table, name,
                               {key: old.get(key)}, {key: new.get(key)}))
    return out


def renames(old_fields: list[dict], new_fields: list[dict]) -> dict[str, str]:
    """Old → new names of columns that look renamed: one removed and one added column of the
    same type, at the same position or with the same title or description."""
    new_names = {f["name"] for f in new_fields}
    old_names = {f["name"] for f in old_fields}
    removed = [(i, f) for i, f in enumerate(old_fields) if f["name"] not in new_names]
    added = [(i, f) for i, f in enumerate(new_fields) if f["name"] not in old_names]
    pairs: dict[str, str] = {}
    for i, r in removed:
        same_type = [(j, a) for j, a in added
                     if a.get("type") == r.get("type") and a["name"] not in pairs.values()]
        alike = [a for j, a in same_type if j == i or any(
            r.get(k) and r.get(k) == a.get(k) for k in ("title", "description"))]
        if len(alike) == 1 or (len(same_type) == 1 and len(removed) == 1):
            pairs[r["name"]] = (alike or [same_type[0][1]])[0]["name"]
    return pairs


def table_changes(name: str, old: Table, new: Table) -> tuple[list[dict], dict[str, str]]:
    """Schema changes of one table, and the rename map used to match its columns."""
    out: list[dict] = []
    of, nf = {f["name"]: f for f in old.fields()}, {f["name"]: f for f in new.fields()}
    mapping = renames(old.fields(), new.fields())
    for o, n in mapping.items():
        out.append(_change("column-renamed", "major",
                           f"{name}: column '{o}' looks renamed to '{n}'", name, n, o, n))
        out += field_changes(name, n, of[o], nf[n])
    for col, f in nf.items():
        if col not in of and col not in mapping.values():
            out.append(_change("column-added", "minor", f"{name}: column '{col}' added",
                               name, col, None, f.get("type")))
    for col, f in of.items():
        if col not in nf and col not in mapping:
            out.append(_change("column-removed", "major", f"{name}: column '{col}' removed",
                               name, col, f.get("type"), None))
    for col, f in nf.items():
        if col in of:
            out += field_changes(name, col, of[col], f)
    common_old = [mapping.get(c, c) for c in of if mapping.get(c, c) in nf]
    common_new = [c for c in nf if c in common_old]
    if common_old != common_new:
        out.append(_change("columns-reordered", "major", f"{name}: columns reordered",
                           name, None, common_old, common_new))
    opk = [mapping.get(c, c) for c in old.primary_key()]
    if opk != new.primary_key():
        out.append(_change("primary-key-changed", "major",
                           f"{name}: primary key {old.primary_key()} → {new.primary_key()}",
                           name, None, old.primary_key(), new.primary_key()))
    for key, kind in (("foreignKeys", "foreign-key"), ("uniqueKeys", "unique-key")):
        before = {json.dumps(k, sort_keys=True) for k in old.schema.get(key) or []}
        after = {json.dumps(k, sort_keys=True) for k in new.schema.get(key) or []}
        for k in sorted(after - before):
            out.append(_change(f"{kind}-added", "major", f"{name}: {kind} added {k}",
                               name, None, None, json.loads(k)))
        for k in sorted(before - after):
            out.append(_change(f"{kind}-removed", "minor", f"{name}: {kind} removed {k}",
                               name, None, json.loads(k), None))
    if (old.schema.get("missingValues") or [""]) != (new.schema.get("missingValues") or [""]):
        out.append(_change("missing-values-changed", "major", f"{name}: missingValues changed",
                           name, None, old.schema.get("missingValues"),
                           new.schema.get("missingValues")))
    for key in ("title", "description"):
        if old.schema.get(key) != new.schema.get(key):
            out.append(_change("table-metadata-changed", "patch", f"{name}: '{key}' changed",
                               name, None, old.schema.get(key), new.schema.get(key)))
    return out, mapping


# --------------------------------------------------------------------------- row changes


def _json_value(v: Any) -> Any:
    if isinstance(v, (date, datetime, time)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    return v


def row_changes(name: str, old: Table, new: Table, mapping: dict[str, str],
                limit: int) -> dict[str, Any]:
    """Rows added, removed and changed in one table, matched on the primary key."""
    o_scan, n_scan = old.scan(), new.scan()
    o_cols = o_scan.collect_schema()
    n_cols = n_scan.collect_schema()
    # Old columns under their new names; the old-only ones keep theirs.
    o_scan = o_scan.rename({o: n for o, n in mapping.items() if o in o_cols})
    o_cols = o_scan.collect_schema()
    common = [c for c in n_cols if c in o_cols]
    # A column whose type changed is compared as numbers when both are numeric, else as text.
    casts = {c: pl.Float64 if o_cols[c].is_numeric() and n_cols[c].is_numeric() else pl.String
             for c in common if o_cols[c] != n_cols[c]}
    o_scan = o_scan.with_columns(pl.col(c).cast(t) for c, t in casts.items())
    n_scan = n_scan.with_columns(pl.col(c).cast(t) for c, t in casts.items())
    rows_old, rows_new = (s.select(pl.len()).collect().item() for s in (o_scan, n_scan))
    entry: dict[str, Any] = {"name": name, "rows_old": rows_old, "rows_new": rows_new,
                             "primary_key": [], "matched_on": "primary-key", "note": None,
                             "added": 0, "removed": 0, "changed": 0, "changed_by_column": {},
                             "added_rows": [], "removed_rows": [], "changed_rows": [],
                             "truncated": False}
    pk = new.primary_key()
    if not pk or not all(c in common for c in pk):
        pk = [mapping.get(c, c) for c in old.primary_key()]
    if not pk or not all(c in common for c in pk):
        if new.primary_key() or old.primary_key():
            entry.update(matched_on="none", note="the primary key is not common to both "
                         "versions: rows are counted, not matched")
            return entry
        pk = common
        entry.update(matched_on="all-columns",
                     note="no primary key: rows are matched on all their common columns")
    entry["primary_key"] = pk
    values = [c for c in common if c not in pk]
    old_only = [c for c in o_cols if c not in n_cols]
    buckets = max(1, math.ceil(max(rows_old, rows_new) / ROWS_PER_BUCKET))
    totals = {"added": 0, "removed": 0, "changed": 0} | {c: 0 for c in values}
    lists: dict[str, list[pl.DataFrame]] = {"added": [], "removed": [], "changed": []}
    for k in range(buckets):
        agg, found = _bucket(o_scan, n_scan, pk, values, old_only, k, buckets, limit)
        for key in totals:
            totals[key] += agg[key]
        for key, frames in lists.items():
            frames.append(found[key])
    entry.update(added=totals["added"], removed=totals["removed"], changed=totals["changed"],
                 changed_by_column={c: totals[c] for c in values if totals[c]})
    picked = {key: pl.concat(frames, how="vertical_relaxed").sort(pk).head(limit)
              for key, frames in lists.items()}
    entry["added_rows"] = [_json_value(r) for r in picked["added"].to_dicts()]
    entry["removed_rows"] = [_json_value(r) for r in picked["removed"].to_dicts()]
    entry["changed_rows"] = [
        {"key": {c: _json_value(r[c]) for c in pk},
         "cells": {c: {"old": _json_value(r[f"{c}__old"]), "new": _json_value(r[c])}
                   for c in values if r[f"{c}__flag"]}}
        for r in picked["changed"].to_dicts()]
    entry["truncated"] = any(entry[k] > limit for k in ("added", "removed", "changed"))
    return entry


def _bucket(o_scan: pl.LazyFrame, n_scan: pl.LazyFrame, pk: list[str], values: list[str],
            old_only: list[str], k: int, buckets: int, limit: int):
    """One slice of the key space: a full join on the key, counted and listed in one go."""
    def part(lf: pl.LazyFrame) -> pl.LazyFrame:
        return lf if buckets == 1 else lf.filter(pl.struct(pk).hash(42) % buckets == k)

    # Repeats of a key (identical rows of a table without a primary key) are told apart by
    # their occurrence number, so removing one duplicate is a removed row, not "identical".
    nth = pl.int_range(pl.len()).over(pk).alias("__nth")
    new = part(n_scan).with_columns(pl.lit(True).alias("__in_new"), nth)
    old = part(o_scan).select(*pk, *values, *old_only, pl.lit(True).alias("__in_old"), nth)
    joined = new.join(old, on=[*pk, "__nth"], how="full", coalesce=True, suffix="__old",
                      nulls_equal=True)
    both = pl.col("__in_new").is_not_null() & pl.col("__in_old").is_not_null()
    joined = joined.with_columns(
        (both & pl.col(c).ne_missing(pl.col(f"{c}__old"))).alias(f"{c}__flag") for c in values)
    flags = [pl.col(f"{c}__flag") for c in values]
    is_changed = pl.any_horizontal(flags) if values else pl.lit(False)
    added, removed = pl.col("__in_old").is_null(), pl.col("__in_new").is_null()
    counts = joined.select(added.sum().alias("added"), removed.sum().alias("removed"),
                           is_changed.sum().alias("changed"),
                           *[f.sum().alias(c) for f, c in zip(flags, values)])
    new_cols = [c for c in n_scan.collect_schema() if c not in pk]
    queries = [
        counts,
        joined.filter(added).select(*pk, *new_cols).sort(pk).head(limit),
        joined.filter(removed).select(*pk, *[pl.col(f"{c}__old").alias(c) for c in values],
                                      *old_only).sort(pk).head(limit),
        joined.filter(is_changed).select(*pk, *values, *[f"{c}__old" for c in values],
                                         *[f"{c}__flag" for c in values]).sort(pk).head(limit),
    ]
    counts_df, added_df, removed_df, changed_df = pl.collect_all(queries, engine="streaming")
    agg = {c: int(v or 0) for c, v in counts_df.row(0, named=True).items()}
    return agg, {"added": added_df, "removed": removed_df, "changed": changed_df}


# --------------------------------------------------------------------------- the report


def diff_packages(old: Package, new: Package, limit: int = 100) -> dict[str, Any]:
    """The diff report (``schemas/diff-report.schema.json``)."""
    changes = metadata_changes(old.descriptor, new.descriptor)
    tables = []
    for name, table in new.tables.items():
        if name not in old.tables:
            changes.append(_change("table-added", "minor", f"table '{name}' added", name))
    gone = [n for n in old.tables if n not in new.tables]
    added = [n for n in new.tables if n not in old.tables]
    for name in gone:
        alike = [n for n in added if [f["name"] for f in new.tables[n].fields()]
                 == [f["name"] for f in old.tables[name].fields()]]
        how = f" (looks renamed to '{alike[0]}')" if len(alike) == 1 else ""
        changes.append(_change("table-removed", "major", f"table '{name}' removed{how}",
                               name, None, name, alike[0] if len(alike) == 1 else None))
    for name, table in new.tables.items():
        if name in old.tables:
            found, mapping = table_changes(name, old.tables[name], table)
            changes += found
            try:
                tables.append(row_changes(name, old.tables[name], table, mapping, limit))
            except (pl.exceptions.PolarsError, OSError) as exc:  # a corrupt or ragged file
                raise FactpackError(
                    f"table '{name}': cannot compare {old.tables[name].path.name} of {old.label} "
                    f"with {table.path.name} of {new.label}: {exc}") from None
    bump = required_bump(changes, tables)
    return {
        "report_version": REPORT_VERSION,
        "old": _side(old), "new": _side(new),
        "identical": bump == "none", "bump": bump, "limit": limit,
        "schema_changes": [c for c in changes if c["kind"] != "metadata-changed"],
        "metadata_changes": [c for c in changes if c["kind"] == "metadata-changed"],
        "tables": tables,
    }


def _side(p: Package) -> dict[str, Any]:
    return {"label": p.label, "name": p.descriptor.get("name"),
            "version": p.descriptor.get("version")}


def required_bump(changes: list[dict], tables: list[dict]) -> str:
    """The largest bump any change requires: removed rows break citations, so they are major."""
    needed = [c["bump"] for c in changes]
    for t in tables:
        needed += ["major"] * bool(t["removed"]) + ["minor"] * bool(t["added"])
        needed += ["patch"] * bool(t["changed"])
        if t["matched_on"] == "none" and t["rows_old"] != t["rows_new"]:
            needed.append("major")
    return max(needed, key=BUMPS.index, default="none")


def text(report: dict[str, Any]) -> str:
    o, n = report["old"], report["new"]
    lines = [f"{o['label']} → {n['label']}: "
             + ("identical" if report["identical"] else f"different (a {report['bump']} bump)")]
    for c in report["schema_changes"] + report["metadata_changes"]:
        lines.append(f"  {c['bump']:<5}  {c['message']}")
    for t in report["tables"]:
        if not (t["added"] or t["removed"] or t["changed"] or t["note"]):
            continue
        by_col = ", ".join(f"{c} {k}" for c, k in t["changed_by_column"].items())
        lines.append(f"  {t['name']}: {t['rows_old']} → {t['rows_new']} rows, "
                     f"+{t['added']} added, -{t['removed']} removed, ~{t['changed']} changed"
                     + (f" ({by_col})" if by_col else ""))
        if t["note"]:
            lines.append(f"    note: {t['note']}")
        key = t["primary_key"]
        for r in t["added_rows"]:
            lines.append("    + " + ", ".join(f"{c}={r[c]!r}" for c in key))
        for r in t["removed_rows"]:
            lines.append("    - " + ", ".join(f"{c}={r[c]!r}" for c in key))
        for r in t["changed_rows"]:
            cells = "; ".join(f"{c}: {v['old']!r} → {v['new']!r}" for c, v in r["cells"].items())
            lines.append("    ~ " + ", ".join(f"{c}={v!r}" for c, v in r["key"].items())
                         + f": {cells}")
        if t["truncated"]:
            lines.append(f"    (listing at most {report['limit']} rows of each kind)")
    return "\n".join(lines)


def diff_specs(old: str, new: str, root: Path, limit: int = 100,
               store: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="factpack-diff-") as tmp:
        a = open_package(old, root, Path(tmp), store)
        b = open_package(new, root, Path(tmp), store)
        return diff_packages(a, b, limit)
