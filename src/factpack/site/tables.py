"""A version's tables for its page: the data dictionary (columns, keys, links between
them) and a preview of the rows, each table once (:func:`~factpack.spec.tables.group_tables`:
the rows come from its CSV, its Parquet twin is a download)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..core.errors import FactpackError
from ..spec.models import Constraints, Package, Resource, Schema
from ..spec.models import Field as SchemaField
from ..spec.tables import group_tables, resource_format
from .downloads import FileEntry
from .store import inside

LONG_TEXT = 40  # characters: a column with longer cells is running text
CONSTRAINT_LABELS = {"pattern": "pattern", "minimum": "≥", "maximum": "≤",
                     "exclusiveMinimum": ">", "exclusiveMaximum": "<",
                     "minLength": "min length", "maxLength": "max length"}


@dataclass
class Column:
    name: str
    title: str
    type: str
    description: str
    required: bool
    unique: bool
    constraints: list[tuple[str, str]]  # (label, value) such as ("pattern", "^[a-z]+$")
    allowed: list[str]  # enum
    references: list[tuple[str, str]] = field(default_factory=list)  # (table, column) it points to
    referenced_by: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ForeignKey:
    fields: list[str]
    table: str  # the table it refers to (itself when the reference names no resource)
    ref_fields: list[str]


@dataclass
class Table:
    name: str
    title: str
    description: str
    columns: list[Column]
    primary_key: list[str]
    foreign_keys: list[ForeignKey]
    rows: list[list[str]]  # the preview: the first rows, every cell as text
    row_count: int
    files: list[FileEntry]  # its CSV and Parquet downloads
    row_ids: list[str | None] = field(default_factory=list)  # row anchors (a one-column key)
    links: dict[int, str] = field(default_factory=dict)  # column index → table its values key
    long: set[int] = field(default_factory=set)  # columns of running text, shown wider


def row_anchor(table: str, key: str) -> str:
    """The HTML id of one row of a preview (ids may hold any character but white space)."""
    return f"row-{table}-" + re.sub(r"\s", "_", key)


def read_tables(store: Path, pkg_dir: str, package: Package, files: list[FileEntry],
                preview_limit: int) -> list[Table]:
    """Every table of a package, in the package's order (the publisher's reading order),
    with up to ``preview_limit`` rows."""
    groups = group_tables(package)
    by_resource = {r.name: name for name, g in groups.items() for r in (g.csv, g.parquet)
                   if r is not None and r.name}
    where = f"{pkg_dir}datapackage.json"
    tables = []
    for name, group in groups.items():
        res = group.main
        schema = _schema(res, where)
        df = _read_rows(inside(store, pkg_dir + str(res.path), where), res,
                        [f.name for f in schema.fields])
        rows = [["" if v is None else str(v) for v in row]
                for row in df.head(preview_limit).iter_rows()]
        paths = {pkg_dir + str(r.path) for r in (group.csv, group.parquet) if r is not None}
        tables.append(Table(
            name=name, title=res.title or name,
            description=res.description or schema.description or "",
            columns=[_column(f, schema.primaryKey) for f in schema.fields],
            primary_key=schema.primaryKey,
            foreign_keys=[ForeignKey(fk.fields, by_resource.get(target, target),
                                     fk.reference.fields)
                          for fk in schema.foreignKeys
                          for target in [fk.reference.resource or res.name or name]],
            rows=rows, row_count=df.height, files=[f for f in files if f.path in paths],
            long={i for i in range(len(schema.fields))
                  if any(len(row[i]) > LONG_TEXT for row in rows)}))
    _link(tables)
    return tables


def _schema(res: Resource, where: str) -> Schema:
    if not isinstance(res.schema_, dict):  # none, or a path to one: no dictionary to show
        return Schema()
    try:
        return Schema.model_validate(res.schema_)
    except ValueError as exc:
        raise FactpackError(f"{where}: resource '{res.name}': not a Table Schema: {exc}") \
            from None


def _column(f: SchemaField, pk: list[str]) -> Column:
    c: Constraints = f.constraints
    ftype = f.type + (f" ({f.format})" if f.format not in (None, "default") else "")
    return Column(
        name=f.name, title=f.title or "", type=ftype, description=f.description or "",
        required=bool(c.required) or f.name in pk, unique=bool(c.unique) or pk == [f.name],
        constraints=[(label, str(getattr(c, key))) for key, label in CONSTRAINT_LABELS.items()
                     if getattr(c, key) is not None],
        allowed=[str(v) for v in c.enum or []])


def _read_rows(path: Path, res: Resource, names: list[str]) -> pl.DataFrame:
    """Cells as text, exactly as published: partial dates such as 2025-06 stay as they are."""
    if not path.is_file():
        raise FactpackError(f"{path}: listed in datapackage.json but missing from the store")
    if resource_format(res) == "parquet":
        return pl.read_parquet(path).select(pl.all().cast(pl.String))
    df = pl.read_csv(path, infer_schema=False, null_values=[""], encoding="utf8")
    return df.select([c for c in names if c in df.columns] or pl.all())


def _link(tables: list[Table]) -> None:
    """Foreign keys become links: in the dictionary between columns, in previews between rows."""
    by_name = {t.name: t for t in tables}
    for t in tables:
        names = [c.name for c in t.columns]
        if len(t.primary_key) == 1 and t.primary_key[0] in names:
            i = names.index(t.primary_key[0])
            t.row_ids = [row_anchor(t.name, row[i]) if row[i] else None for row in t.rows]
        else:
            t.row_ids = [None] * len(t.rows)
    for t in tables:
        names = [c.name for c in t.columns]
        for fk in t.foreign_keys:
            target = by_name.get(fk.table)
            for src, dst in zip(fk.fields, fk.ref_fields, strict=True):
                if src in names:
                    t.columns[names.index(src)].references.append((fk.table, dst))
                if target:
                    for c in target.columns:
                        if c.name == dst:
                            c.referenced_by.append((t.name, src))
            if (target and len(fk.fields) == 1 and fk.fields[0] in names
                    and target.primary_key == fk.ref_fields):
                t.links[names.index(fk.fields[0])] = target.name
    for t in tables:
        for c in t.columns:
            c.referenced_by.sort()
