"""Type and constraint checks of each field's cells, as polars expressions.

Each :class:`Check` is a mask over a chunk (text in column ``<field name>``, typed value in
``_typed<number>``) and the error record of the rows where it holds; a table's checks are
built once and run on every chunk in one select.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from ...spec import fieldtypes
from ...spec.models import Field
from .result import BLANK, LINE, error_columns


def _msg(res: LoadedResource, f: Field, text: str, *args: pl.Expr) -> pl.Expr:
    return pl.format("{}:{} field '{}': " + text, pl.lit(res.relpath), pl.col(LINE),
                     pl.lit(f.name), *args)


@dataclass
class Check:
    """One check of one field: the rows where ``mask`` holds are errors; ``record`` gives
    their :data:`ERROR_COLUMNS` (built once per table, used for every chunk)."""

    mask: pl.Expr
    record: list[pl.Expr]


def typed_column(number: int) -> str:
    """The column that holds field ``number``'s typed values beside the text."""
    return f"_typed{number}"


def field_checks(res: LoadedResource, f: Field, number: int) -> list[Check]:
    """Type and constraint checks of one field; a cell with a type error is not checked further.

    The masks read the cell text (column ``f.name``) and the typed value (column
    ``_typed<number>``, null where the cell is empty or does not parse). A constraint's
    mask is null where the value is, so a type-error cell never breaks a constraint.
    """
    col, v, c = pl.col(f.name), pl.col(typed_column(number)), f.constraints
    kind = fieldtypes.TYPES[f.type]

    def check(code: Code, mask: pl.Expr, text: str, *args: pl.Expr) -> Check:
        return Check(mask, error_columns(res, code, _msg(res, f, text, *args), f.name, number, col))

    out = [check(Code.TYPE, col.is_not_null() & v.is_null(), "'{}' is not {} (type {})",
                 _short(col), pl.lit(fieldtypes.describe(f)),
                 pl.lit(f.type + (f"/{f.format}" if f.format else "")))]

    def add(mask: pl.Expr, text: str, *args: pl.Expr) -> None:
        out.append(check(Code.CONSTRAINT, mask, text, *args))

    if c.required:  # an empty primary-key cell is a primary-key error, as in frictionless
        add(col.is_null() & ~pl.col(BLANK), "is required but the cell is empty; fill it in")
    if c.enum is not None:
        allowed_vals = enum_values(f, c.enum)
        shown = ", ".join(fieldtypes.json_text(x) for x in c.enum)
        add(v.is_not_null() & ~v.is_in(allowed_vals.implode()),
            "'{}' is not one of the allowed values: {}", col, pl.lit(shown[:300]))
    if c.pattern is not None and "pattern" in kind.constraints:
        add(v.is_not_null() & ~_matches(col, c.pattern),
            "'{}' does not match the pattern {}", _short(col), pl.lit(c.pattern))
    length = kind.length(v) if kind.length is not None else None
    if c.minLength is not None and length is not None:
        add(length < c.minLength, "'{}' is shorter than the minimum length {}", _short(col),
            pl.lit(c.minLength))
    if c.maxLength is not None and length is not None:
        add(length > c.maxLength, "'{}' is longer than the maximum length {}", _short(col),
            pl.lit(c.maxLength))
    bounds = [("minimum", v.__lt__, "is less than the minimum"),
              ("maximum", v.__gt__, "is more than the maximum"),
              ("exclusiveMinimum", v.__le__, "is not more than the exclusive minimum"),
              ("exclusiveMaximum", v.__ge__, "is not less than the exclusive maximum")]
    for key, cmp, words in bounds:
        bound = getattr(c, key)
        if bound is not None and key in kind.constraints:
            add(cmp(fieldtypes.constraint_value(f, bound)),
                "'{}' " + words + " {}", col, pl.lit(str(bound)))
    return out


def run_checks(res: LoadedResource, frame: pl.DataFrame, checks: list[Check]) -> list[pl.DataFrame]:
    """Error rows of every check, in the order of ``checks``."""
    if not checks:
        return []
    # Each mask is evaluated once, in one select (in parallel), into a column of flags.
    flags = frame.select([c.mask.fill_null(False).alias(str(i)) for i, c in enumerate(checks)])
    hits = [str(i) for i, n in enumerate(flags.sum().row(0)) if n]
    if not hits:
        return []
    # The rows with an error (few, usually) first, then each check's rows among them, all
    # in one query (polars runs the parts in parallel).
    anywhere = flags.select(pl.any_horizontal(hits)).to_series()
    rows = frame.filter(anywhere).hstack(
        flags.filter(anywhere).select(pl.col(hits).name.prefix("_hit"))).lazy()
    return [pl.concat([rows.filter(pl.col(f"_hit{i}")).select(checks[int(i)].record)
                       for i in hits]).collect()]


def enum_values(f: Field, enum: list) -> pl.Series:
    """An enum's values typed like the field's cells: text is read as a cell would be,
    JSON booleans and numbers are taken as they are (as frictionless does)."""
    texts = [x if isinstance(x, str) else fieldtypes.json_text(x) for x in enum]
    parsed = pl.DataFrame({"a": texts}, schema={"a": pl.String}).select(
        fieldtypes.parse(f, pl.col("a"))).to_series()
    if f.type == "boolean":
        return pl.Series([x if isinstance(x, bool) else p for x, p in zip(enum, parsed)],
                         dtype=pl.Boolean)
    return parsed


def _matches(col: pl.Expr, pattern: str) -> pl.Expr:
    """Whole-cell match of a Table Schema pattern, in polars' linear-time regex engine.

    A pattern that engine cannot compile (look-around, backreferences, or not a regex at
    all) is reported by layer 1 (:func:`fieldtypes.regex_problem`) and never run here.
    """
    anchored = f"^(?:{pattern})$"
    if fieldtypes.regex_problem(pattern) is not None:
        return pl.lit(None, pl.Boolean)
    return col.str.contains(anchored)


def _short(col: pl.Expr) -> pl.Expr:
    return pl.when(col.str.len_chars() > 60).then(col.str.slice(0, 57) + "...").otherwise(col)
