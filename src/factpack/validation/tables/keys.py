"""Keys across rows: ``unique`` fields, the primary key and unique keys of a table, and
foreign keys across tables, with frictionless's treatment of empty cells and of values
of different types. Keys are compared in their canonical form (``fieldtypes.canonical``).
"""

from __future__ import annotations

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from ...spec import fieldtypes
from ...spec.models import Field, Schema
from .result import LINE, ROW, TableResult, errors_from


def duplicates(res: LoadedResource, keys: pl.DataFrame, names: list[str], code: Code,
               number: int | None = None) -> list[pl.DataFrame]:
    """Rows whose key repeats an earlier row (the first occurrence is not an error).

    A key whose cells are all empty repeats nothing (it is no key); its rows are
    dropped here, among the few the hashes pick, not by copying every key first.
    """
    # Only rows whose key hash repeats can repeat a key (equal keys, equal hashes): the
    # exact grouping then runs on those few, in little memory even for 10^7 keys.
    h = pl.col(names[0]).hash(0)
    for i, n in enumerate(names[1:], start=1):
        h = h ^ pl.col(n).hash(i)
    hashes = keys.select(h).to_series()
    # Repeated hashes by sorting a copy (8 bytes a key, polars sorts in parallel):
    # is_duplicated's table of groups costs ~100 bytes a key, too much for 10^7 keys in 2 GiB.
    ordered = hashes.sort()
    n = len(ordered)
    repeated = ordered.slice(1).filter(ordered.slice(1) == ordered.slice(0, max(n - 1, 0)))
    del ordered
    keys = keys.filter(hashes.is_in(repeated.unique().implode())
                       & ~pl.all_horizontal([pl.col(n).is_null() for n in names]))
    first = pl.col(ROW).min().over(names)
    dup = keys.with_columns(first.alias("_first")).filter(pl.col(ROW) != pl.col("_first"))
    if not dup.height:
        return []
    value = pl.concat_str([pl.col(n).cast(pl.String).fill_null("") for n in names],
                          separator=", ")
    label = ", ".join(names)
    what = {Code.PRIMARY_KEY: "primary key", Code.UNIQUE: "unique key"}[code]
    msg = pl.format("{}:{}: {} ({}) = ({}) repeats row {}; each row needs its own value",
                    pl.lit(res.relpath), pl.col(LINE), pl.lit(what), pl.lit(label), value,
                    pl.col("_first"))
    fieldname = names[0] if len(names) == 1 else label
    return [errors_from(dup, res, code, msg, fieldname, number, value)]


def check_keys(res: LoadedResource, canon: pl.DataFrame, schema: Schema) -> list[pl.DataFrame]:
    """Primary key and composite unique keys, with frictionless's treatment of nulls.

    A primary key whose cells are all empty is an error (blank rows included, they are
    in ``canon``); a partly empty one is compared as a value. A unique key skips rows
    with an empty part.
    """
    out = []
    present = set(canon.columns)
    pk = [k for k in schema.primaryKey if k in present]
    if pk and len(pk) == len(schema.primaryKey):
        keys = canon.select(pk + [ROW, LINE])
        empty = pl.all_horizontal([pl.col(k).is_null() for k in pk])
        hit = keys.filter(empty)
        if hit.height:
            out.append(errors_from(hit, res, Code.PRIMARY_KEY, pl.format(
                "{}:{}: the primary key ({}) is empty; every row needs one",
                pl.lit(res.relpath), pl.col(LINE), pl.lit(", ".join(pk))), ", ".join(pk)))
        out += duplicates(res, keys, pk, Code.PRIMARY_KEY)
    for uk in schema.uniqueKeys:
        if all(k in present for k in uk):
            keys = canon.select(uk + [ROW, LINE]).drop_nulls(uk)
            out += duplicates(res, keys, uk, Code.UNIQUE)
    return out


def _join_keys(pairs: list[tuple[str, Field | None, Field | None]],
               ) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Join keys (``_key0``…) for the two sides of a foreign key, comparable as
    frictionless compares the values (Python's ==): numbers (integer, number, year,
    boolean) by value, text with text, and values of other different types never
    (5 is not "5", a date is not a text)."""
    def family(f: Field | None) -> str:
        return fieldtypes.TYPES[f.type if f is not None else "string"].key_family

    mine, theirs = [], []
    for i, (name, a, b) in enumerate(pairs):
        x, y, key = pl.col(name), pl.col(name), f"_key{i}"
        if family(a) == family(b) == "number" and (a is None or b is None or a.type != b.type):
            x, y = x.cast(pl.Float64, strict=False), y.cast(pl.Float64, strict=False)
        elif family(a) != family(b):  # tagged with the type: equal text does not match
            x = pl.concat_str([pl.lit(family(a) + ":"), x.cast(pl.String)])
            y = pl.concat_str([pl.lit(family(b) + ":"), y.cast(pl.String)])
        mine.append(x.alias(key))
        theirs.append(y.alias(key))
    return mine, theirs


def check_foreign_keys(results: dict[str, TableResult]) -> list[pl.DataFrame]:
    """Every foreign key: referencing values must exist in the referenced fields (anti-join)."""
    out = []
    for name, result in results.items():
        res, canon = result.resource, result.canon
        if canon is None:
            continue
        for fk in res.schema.foreignKeys:
            target_name = fk.reference.resource or name
            target = results.get(target_name)
            if any(f not in canon.columns for f in fk.fields):
                continue
            # A row whose foreign-key cells are all empty refers to nothing. Such rows are
            # dropped from the result, not from the input (that would copy every key).
            given = ~pl.all_horizontal([pl.col(k).is_null() for k in fk.fields])
            rows = canon.select(fk.fields + [ROW, LINE])
            if target is None or target.canon is None:
                continue  # an unknown resource is a resource-error (layer 1); an unread one, no key
            absent = [r for r in fk.reference.fields if target.resource.schema.field(r) is None]
            if absent:  # like frictionless: no value is found in a field that does not exist
                msg = pl.format("{}:{}: foreign key ({}) refers to {}.({}), and '{}' has no field "
                                "{}", pl.lit(res.relpath), pl.col(LINE),
                                pl.lit(", ".join(fk.fields)), pl.lit(target_name),
                                pl.lit(", ".join(fk.reference.fields)), pl.lit(target_name),
                                pl.lit(", ".join(absent)))
                out.append(errors_from(rows.filter(given), res, Code.FOREIGN_KEY, msg,
                                       ", ".join(fk.fields)))
                continue
            mine, theirs = _join_keys([(f, res.schema.field(f), target.resource.schema.field(r))
                                       for f, r in zip(fk.fields, fk.reference.fields)])
            ref = target.canon.select(
                [pl.col(r).alias(f) for f, r in zip(fk.fields, fk.reference.fields)]
            ).select(theirs).unique()
            keys = [k.meta.output_name() for k in mine]
            rows = rows.with_columns(mine)
            # integers of a table that holds one beyond int64 are text: both sides as text
            text = [pl.col(k).cast(pl.String) for k in keys if rows.schema[k] != ref.schema[k]]
            if text:
                rows, ref = rows.with_columns(text), ref.with_columns(text)
            missing = rows.join(ref, on=keys, how="anti", nulls_equal=True).filter(given)
            if missing.height:
                value = pl.concat_str([pl.col(n).cast(pl.String).fill_null("")
                                       for n in fk.fields], separator=", ")
                msg = pl.format("{}:{}: ({}) = ({}) is not found in {}.({}); add that row to "
                                "'{}' or correct the value", pl.lit(res.relpath), pl.col(LINE),
                                pl.lit(", ".join(fk.fields)), value, pl.lit(target_name),
                                pl.lit(", ".join(fk.reference.fields)), pl.lit(target_name))
                out.append(errors_from(missing.sort(ROW), res, Code.FOREIGN_KEY, msg,
                                       ", ".join(fk.fields), None, value))
    return out
