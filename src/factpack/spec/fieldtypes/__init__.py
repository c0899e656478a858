"""Table Schema field types: the registry (:data:`TYPES`, one :class:`TypeEntry` each) and
what the stages ask of a field through it.

``parse(field, col)`` gives the typed value of a column of text cells (null where a cell
does not conform); the invalid cells are then ``col.is_not_null() & parsed.is_null()``.
Everything is a polars expression over whole columns; no Python runs per row. Adding a
type is adding its entry here (in the order of the spec, which the models' error
messages list).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import polars as pl

from . import numbers, structured, temporal, text
from .base import FieldLike, TypeEntry


def parse(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """Typed value of a text column, null where a cell does not conform to the field type."""
    return TYPES[field.type].parse(field, col)


def _item(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """A list item: null where not valid (an integer at any size, as Python's int())."""
    return numbers.any_integer(field, col) if field.type == "integer" else parse(field, col)


TYPES: dict[str, TypeEntry] = {t.name: t for t in (
    text.STRING, numbers.NUMBER, numbers.INTEGER, numbers.BOOLEAN, structured.OBJECT,
    structured.ARRAY, structured.list_type(_item), temporal.DATE, temporal.TIME,
    temporal.DATETIME, temporal.YEAR, temporal.YEARMONTH, temporal.DURATION,
    structured.GEOPOINT, structured.GEOJSON, text.ANY,
)}


def fast(field: FieldLike, col: pl.Expr) -> pl.Expr | None:
    """A cheaper parse that is right wherever it gives a value, for the common case;
    None: no fast path for this field (see the entries' ``fast``)."""
    quick = TYPES[field.type].fast
    return None if quick is None else quick(field, col)


def parse_frame(fields: list[FieldLike], frame: pl.DataFrame) -> pl.DataFrame:
    """Every field's typed column (columns named like the fields), as :func:`parse` gives.

    One select runs the fast path where there is one (polars runs the columns in
    parallel); only the cells it leaves null that are not empty go through the
    full parse, so valid data never pays for the rare spellings. A type with a ``wide``
    parse (integer) reads them with it instead: if one is beyond the native dtype (int64),
    the column becomes text, every value as that parse writes it.
    """
    quick = {f.name: fast(f, pl.col(f.name)) for f in fields}
    out = frame.select([(quick[f.name] if quick[f.name] is not None
                         else parse(f, pl.col(f.name))).alias(f.name) for f in fields])
    for f in fields:
        typed, wide = out.get_column(f.name), TYPES[f.type].wide
        if ((quick[f.name] is None and wide is None)
                or typed.null_count() == frame.get_column(f.name).null_count()):
            continue
        cells = frame.get_column(f.name)
        left = cells.is_not_null() & typed.is_null()
        rest = cells.filter(left).to_frame()
        if wide is None:
            slow = rest.select(parse(f, pl.col(f.name))).to_series()
        else:  # one reading for both: the native value where it fits, else the text
            slow = rest.select(wide(f, pl.col(f.name))).to_series()
            native = slow.cast(typed.dtype, strict=False)
            if native.null_count() == slow.null_count():
                slow = native
            else:
                typed = typed.cast(pl.String)
        out = out.with_columns(typed.scatter(left.arg_true(), slow).alias(f.name))
    return out


def canonical(field: FieldLike, parsed: pl.Expr) -> pl.Expr:
    """A key value: two cells are the same key when these are equal (the entry's ``key``).

    Keys of two fields of different types are compared by family
    (:func:`factpack.validation.tables.keys.check_foreign_keys`).
    """
    return TYPES[field.type].key(field, parsed)


def describe(field: FieldLike) -> str:
    """What a valid cell looks like, for messages."""
    return TYPES[field.type].describe(field)


def constraint_value(field: FieldLike, value: object) -> pl.Expr:
    """A constraint's value (from JSON) as a literal comparable with the parsed column."""
    # frictionless reads a bound like a cell of the field, so "-99.99" works as well as -99.99
    text_ = value if isinstance(value, str) else json_text(value)
    return parse(field, pl.lit(text_, pl.String))


def json_text(value: object) -> str:
    """A JSON scalar as the text a CSV cell would hold (true → 'true', 1.0 → '1.0')."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def regex_ok(pattern: str) -> bool:
    return regex_problem(pattern) is None


@lru_cache(maxsize=256)  # asked by the descriptor checks and again by each table's checks
def regex_problem(pattern: str) -> str | None:
    """Why a ``pattern`` constraint cannot be used, or None.

    Patterns run in polars' regex engine, which matches in linear time. One it cannot
    compile but Python's ``re`` can (look-around, backreferences) is refused rather than
    backtracked by Python over strangers' cells (a 32-character cell can take minutes).
    """
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"pattern {pattern!r} is not a valid regular expression ({exc})"
    try:
        pl.select(pl.lit("").str.contains(f"^(?:{pattern})$"))
    except pl.exceptions.PolarsError:
        return (f"pattern {pattern!r} uses look-around or backreferences, which cannot be "
                "matched in bounded time; rewrite it without them")
    return None


__all__ = ["TYPES", "FieldLike", "TypeEntry", "canonical", "constraint_value", "describe",
           "fast", "json_text", "parse", "parse_frame", "regex_ok", "regex_problem"]
