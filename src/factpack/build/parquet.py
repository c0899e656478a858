"""Typed tables: CSV text → polars columns typed from the Table Schema → Parquet, and back.

Only types that every reader (pandas, polars, R arrow, DuckDB and frictionless-py
5.21's Parquet reader) round-trips exactly get a native Parquet type; every other
Table Schema type stays text in its lexical form, which the schema still
describes. Partial-precision dates such as ``2025-06`` are ``string`` fields with
a pattern, so they stay text too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.errors import Code, ErrorRecord
from ..core.hashing import file_digest
from ..core.paths import resolve_inside
from ..spec import fieldtypes
from ..spec.models import Field, Package, Resource, Schema
from ..spec.tables import PARQUET_SUFFIX, group_tables

# Fixed writer options: the same frame always gives the same bytes (pyarrow stores
# no timestamp, only its version in ``created_by``).
WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd", "compression_level": 9, "version": "2.6", "use_dictionary": True,
    "write_statistics": True, "data_page_version": "1.0", "store_schema": True,
    "row_group_size": 1 << 20,
}


def twin_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The Table Schema of a CSV resource's Parquet twin (descriptor dicts).

    Two differences, both about frictionless-py 5.21 rather than the data:
    foreign keys point at the other Parquet resources, so that set stands alone;
    and each integer and number field also lists ``"nan"`` as a missing value,
    because that reader turns a missing value of a numeric column into the float
    NaN and would otherwise call it a type error (integer) or break a bound
    (number). An int64 column cannot hold NaN, and :func:`verify_package` tells a
    NaN from a missing value when it compares every cell with the CSV, so
    nothing is hidden.
    """
    twin = json.loads(json.dumps(schema))
    table_missing = twin.get("missingValues", [""])
    for f in twin.get("fields", []):
        if f.get("type") in ("integer", "number"):
            missing = f.get("missingValues", table_missing)
            f["missingValues"] = missing + (["nan"] if "nan" not in missing else [])
    for fk in twin.get("foreignKeys", []):
        if fk["reference"].get("resource"):
            fk["reference"]["resource"] += PARQUET_SUFFIX
    return twin


def dtypes(field: Field) -> tuple[pl.DataType, pa.DataType]:
    """The polars and Arrow types a field is stored as in Parquet (its type's registry entry)."""
    kind = fieldtypes.TYPES[field.type]
    return kind.polars, pa.type_for_alias(kind.parquet)


def null_text(field: Field, schema: Schema) -> list[str]:
    """The cell texts that mean 'missing' for a field."""
    return field.missingValues if field.missingValues is not None else schema.missingValues


def read_text(path: Path, schema: Schema) -> pl.DataFrame:
    """A CSV written by factpack, every cell as text; missing values are null."""
    frame = pl.read_csv(path, infer_schema=False, empty_string_is_null=False,
                        raise_if_empty=False)
    return frame.with_columns(
        pl.when(pl.col(f.name).is_in(null_text(f, schema))).then(None)
        .otherwise(pl.col(f.name)).alias(f.name)
        for f in schema.fields if f.name in frame.columns)


def typed(text: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Text cells (missing values already null) typed from the schema, as Parquet will hold them.

    Each field's full parse (:func:`fieldtypes.parse`), run only on the cells its type's
    fast path (:func:`fieldtypes.fast`, right wherever it gives a value) leaves null: the
    same values, for a fraction of the CPU on plain numbers.
    """
    natives = {f.name: fieldtypes.TYPES[f.type].native for f in schema.fields}
    quick = {f.name: fieldtypes.fast(f, pl.col(f.name)) if natives[f.name] else None
             for f in schema.fields}
    out = text.select(
        (quick[f.name] if quick[f.name] is not None
         else fieldtypes.parse(f, pl.col(f.name)) if natives[f.name] else pl.col(f.name))
        .alias(f.name) for f in schema.fields)
    for f in schema.fields:
        if quick[f.name] is None:
            continue
        got, cells = out.get_column(f.name), text.get_column(f.name)
        left = cells.is_not_null() & got.is_null()  # not read by the fast path
        if left.any():
            slow = text.filter(left).select(fieldtypes.parse(f, pl.col(f.name))).to_series()
            out = out.with_columns(got.scatter(left.arg_true(), slow.cast(got.dtype)))
    return out.select(pl.col(f.name).cast(dtypes(f)[0]) for f in schema.fields)


def arrow_schema(schema: Schema) -> pa.Schema:
    """Arrow schema with each field's title and description kept as Parquet metadata."""
    fields = []
    for f in schema.fields:
        meta = {k: v for k, v in (("title", f.title), ("description", f.description),
                                  ("tableschema:type", f.type)) if v}
        fields.append(pa.field(f.name, dtypes(f)[1], nullable=True, metadata=meta))
    meta = {k: v for k, v in (("title", schema.title), ("description", schema.description)) if v}
    return pa.schema(fields, metadata=meta)


def write(frame: pl.DataFrame, schema: Schema, path: Path) -> None:
    """Write a typed frame (see :func:`typed`) to Parquet with fixed options."""
    table = frame.to_arrow().cast(arrow_schema(schema))
    pq.write_table(table, path, **WRITE_OPTIONS)


def read(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path)


def first_difference(a: pl.DataFrame, b: pl.DataFrame) -> tuple[int, str] | None:
    """(row index, column) of the first cell where two frames of equal shape differ."""
    for name in a.columns:
        diff = a.get_column(name).ne_missing(b.get_column(name))
        if diff.any():
            return int(diff.arg_true()[0]), name
    return None


# ---------------------------------------------------------------- verification


def file_hash(path: Path) -> str:
    """``sha256:<hex>`` of a file, as Data Package descriptors write it."""
    return "sha256:" + file_digest(path)[0]


def verify_package(folder: Path, csv_hashes: bool = True) -> list[ErrorRecord]:
    """factpack's check of a built package, covering what frictionless-py 5.21 skips.

    For every resource: the file's ``hash`` (and ``bytes`` where declared); without
    ``csv_hashes``, for the Parquet resources only (factpack's validator has just checked
    the others'). For
    every Parquet resource: its columns and Arrow types are those its Table Schema
    gives (see :func:`dtypes`), and its rows equal its CSV twin's, typed from the
    CSV's schema — value for value, in order.
    """
    folder = Path(folder)
    where = "datapackage.json"
    try:
        desc = json.loads((folder / where).read_text(encoding="utf-8"))
        resources = desc["resources"]
        tables = group_tables(Package.model_validate(desc)).values()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [ErrorRecord(code=Code.PACKAGE, path=where, message=f"{where}: {exc}")]
    errors: list[ErrorRecord] = []
    twins = {t.parquet.path: t.csv for t in tables if t.parquet}  # Parquet path -> CSV twin
    for res in resources:
        name, rel = res.get("name"), res.get("path")
        path = resolve_inside(folder, rel)
        if path is None:
            errors.append(ErrorRecord(code=Code.PACKAGE, resource=name, path=where,
                                      message=f"resource '{name}': path {rel!r} is not a file "
                                              "inside the package"))
            continue
        if not path.is_file():
            errors.append(ErrorRecord(code=Code.SOURCE, resource=name, path=rel,
                                      message=f"{rel}: the file is missing"))
            continue
        if csv_hashes or res.get("format") == "parquet":
            errors += _file_problems(path, res)
        if res.get("format") == "parquet":
            errors += _verify_parquet(folder, res, twins.get(rel))
    return errors


def _file_problems(path: Path, res: dict) -> list[ErrorRecord]:
    """The file's size and sha256 against the resource's ``bytes`` and ``hash``."""
    name, rel, size = res.get("name"), res.get("path"), path.stat().st_size
    errors = []
    if "bytes" in res and res["bytes"] != size:
        errors.append(ErrorRecord(
            code=Code.BYTE_COUNT, resource=name, path=rel,
            message=f"{rel}: {size} bytes, but the descriptor says {res['bytes']}"))
    actual = file_hash(path)
    if res.get("hash") is None and res.get("format") == "parquet":
        errors.append(ErrorRecord(code=Code.HASH_COUNT, resource=name, path=rel,
                                  message=f"{rel}: the descriptor declares no hash"))
    elif res.get("hash") is not None and res["hash"] != actual:
        errors.append(ErrorRecord(
            code=Code.HASH_COUNT, resource=name, path=rel,
            message=f"{rel}: sha256 is {actual.split(':', 1)[1]}, but the descriptor says "
                    f"{res['hash']}: the file was changed after the build"))
    return errors


def _verify_parquet(folder: Path, res: dict, twin: Resource | None) -> list[ErrorRecord]:
    name, rel = res["name"], res["path"]

    def err(code: str, message: str, **kw) -> list[ErrorRecord]:
        return [ErrorRecord(code=code, resource=name, path=rel, message=f"{rel}: {message}",
                            **kw)]

    if twin is None:
        return err(Code.PACKAGE, "no CSV resource with the same table to compare it with")
    try:
        schema = Schema.model_validate(twin.schema_)
        # The footer's schema only: pq.read_table would import pyarrow.dataset, and so pandas
        # (seconds), before polars reads the rows below.
        arrow = pq.read_schema(folder / rel)
    except (ValueError, TypeError, KeyError, OSError, pa.ArrowException) as exc:
        return err(Code.SOURCE, f"cannot be read as Parquet with a Table Schema: {exc}")
    out: list[ErrorRecord] = []
    if res.get("schema") != twin_schema(twin.schema_):
        out += err(Code.SCHEMA, f"its Table Schema is not that of {twin.path} (with "
                                "the two documented differences, see twin_schema)")
    expected = arrow_schema(schema)
    if arrow.names != expected.names:
        return out + err(Code.INCORRECT_LABEL, f"columns {arrow.names} differ from "
                                                f"the schema's fields {expected.names}")
    for f, want in zip(schema.fields, expected):
        got = arrow.field(f.name).type
        if got != want.type:
            out += err(Code.TYPE, f"column '{f.name}' is {got} but the schema's type "
                                  f"'{f.type}' is stored as {want.type}", field=f.name)
    if out:
        return out
    try:
        frame = read(folder / rel)
        csv = typed(read_text(folder / str(twin.path), schema), schema)
    except (pl.exceptions.PolarsError, OSError) as exc:
        return err(Code.SOURCE, f"cannot compare it with {twin.path}: {exc}")
    if frame.height != csv.height:
        return err(Code.SOURCE, f"{frame.height} rows, but {twin.path} has {csv.height}")
    diff = first_difference(csv, frame)
    if diff is not None:
        i, col = diff
        return err(Code.SOURCE, f"row {i + 2} column '{col}' holds "
                               f"{frame[i, col]!r}, but {twin.path} has {csv[i, col]!r}",
                   row=i + 2, field=col, value=str(frame[i, col]))
    return []
