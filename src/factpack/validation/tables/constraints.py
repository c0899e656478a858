"""The constraints of one field as masks over its cells: where each holds, it is broken.

Shared by a table's own fields (:mod:`.cells`) and by the items of a v2 ``arrayItem``
(:mod:`.items`). Each mask reads the cell text ``col`` and the typed value ``v`` (null
where the cell is empty or does not parse), and is null where the value is, so a
type-error cell never breaks a constraint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import polars as pl

from ...spec import fieldtypes
from ...spec.fieldtypes import fallback, numbers
from ...spec.models import Field


@dataclass
class Broken:
    """One constraint's mask and the message of the cells where it holds."""

    name: str
    mask: pl.Expr
    text: str
    args: tuple[pl.Expr, ...]


def short(col: pl.Expr) -> pl.Expr:
    return pl.when(col.str.len_chars() > 60).then(col.str.slice(0, 57) + "...").otherwise(col)


def constraint_masks(f: Field, col: pl.Expr, v: pl.Expr, wide: bool = False) -> list[Broken]:
    """Every constraint of ``f`` but ``required`` (whose blank cells depend on the caller).

    ``wide``: an integer field whose values are text (a chunk with integers beyond int64,
    :func:`fieldtypes.parse_frame`); its bounds are then compared in an order-keeping text.
    """
    c, kind = f.constraints, fieldtypes.TYPES[f.type]
    out: list[Broken] = []

    def add(name: str, mask: pl.Expr, text: str, *args: pl.Expr) -> None:
        out.append(Broken(name, mask, text, args))

    if c.enum is not None:
        shown = ", ".join(fieldtypes.json_text(x) for x in c.enum)
        add("enum", v.is_not_null() & ~_in(f, v, c.enum, wide),
            "'{}' is not one of the allowed values: {}", col, pl.lit(shown[:300]))
    if c.pattern is not None and "pattern" in kind.constraints:
        add("pattern", v.is_not_null() & ~_matches(col, c.pattern),
            "'{}' does not match the pattern {}", short(col), pl.lit(c.pattern))
    length = kind.length(v) if kind.length is not None else None
    if c.minLength is not None and length is not None:
        add("minLength", length < c.minLength, "'{}' is shorter than the minimum length {}",
            short(col), pl.lit(c.minLength))
    if c.maxLength is not None and length is not None:
        add("maxLength", length > c.maxLength, "'{}' is longer than the maximum length {}",
            short(col), pl.lit(c.maxLength))
    bounds = [("minimum", v.__lt__, "is less than the minimum"),
              ("maximum", v.__gt__, "is more than the maximum"),
              ("exclusiveMinimum", v.__le__, "is not more than the exclusive minimum"),
              ("exclusiveMaximum", v.__ge__, "is not less than the exclusive maximum")]
    for key, cmp, words in bounds:
        bound = getattr(c, key)
        if bound is not None and key in kind.constraints:
            mask = _wide_bound(f, v, key, bound) if wide else cmp(_bound(f, bound))
            add(key, mask, "'{}' " + words + " {}", col, pl.lit(str(bound)))
    if f.categories is not None and f.type in ("string", "integer"):
        values = [x.get("value") if isinstance(x, dict) else x for x in f.categories]
        shown = ", ".join(fieldtypes.json_text(x) for x in values)
        add("categories", v.is_not_null() & ~_in(f, v, values, wide),
            "'{}' is not one of the categories: {}", short(col), pl.lit(shown[:300]))
    if c.jsonSchema is not None and f.type in ("object", "array"):
        problem = fallback.by_distinct(v, _schema_check(json.dumps(c.jsonSchema)), pl.String())
        add("jsonSchema", problem.is_not_null(), "'{}' does not match its jsonSchema: {}",
            short(col), problem)
    return out


def _in(f: Field, v: pl.Expr, allowed: list, wide: bool = False) -> pl.Expr:
    """Whether each value is one of ``allowed`` (read like cells of the field)."""
    if f.type in ("object", "array"):  # Python compares the decoded JSON, not its text
        canon = fallback.by_distinct(v, _canonical_json, pl.String())
        return canon.is_in(pl.Series([_canonical(x) for x in allowed], dtype=pl.String).implode())
    return v.is_in(enum_values(f, allowed, wide).implode())


def _integer_bound(f: Field, value: object) -> str | None:
    """An integer bound as plain text (read like a cell of the field), None if not one."""
    if type(value) is int:  # a JSON integer reads as its own text in every number form
        return str(value)
    return pl.select(numbers.wide_integer(f, pl.lit(fieldtypes.json_text(value)))).item()


def _bound(f: Field, value: object) -> pl.Expr:
    """A bound as a literal comparable with the typed values. An integer bound beyond
    int64 (frictionless compares Python ints) is an Int128 just outside int64, in order
    with every int64 value."""
    if f.type != "integer" or (plain := _integer_bound(f, value)) is None:
        return fieldtypes.constraint_value(f, value)
    n = min(max(int(plain), -(2**63) - 1), 2**63)
    return pl.lit(n, pl.Int64 if -(2**63) <= n < 2**63 else pl.Int128)


def _wide_bound(f: Field, v: pl.Expr, key: str, value: object) -> pl.Expr:
    """Where an integer bound is broken in a chunk of integers as text (beyond int64)."""
    if (plain := _integer_bound(f, value)) is None:  # not an integer: compares with no cell
        return pl.lit(None, pl.Boolean)
    below, equal = numbers.integer_below(v, plain), v == plain
    return {"minimum": below, "maximum": ~below & ~equal,
            "exclusiveMinimum": below | equal, "exclusiveMaximum": ~below}[key]


def _canonical(value: object) -> str:
    return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)


def _canonical_json(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True)


@cache
def _schema_check(schema_text: str):
    """A reader giving the first jsonSchema violation of a JSON text (None: it conforms)."""
    import jsonschema  # only for fields with a jsonSchema constraint

    schema = json.loads(schema_text)
    validator = jsonschema.validators.validator_for(schema)(schema)

    def first_error(text: str) -> str | None:
        error = next(iter(validator.iter_errors(json.loads(text))), None)
        return None if error is None else error.message[:200]
    return first_error


def enum_values(f: Field, enum: list, wide: bool = False) -> pl.Series:
    """An enum's values typed like the field's cells: text is read as a cell would be,
    JSON booleans and numbers are taken as they are (as frictionless does). ``wide``:
    integers as text, as in a chunk with integers beyond int64."""
    texts = [x if isinstance(x, str) else fieldtypes.json_text(x) for x in enum]
    parse = numbers.wide_integer if wide else fieldtypes.parse
    parsed = pl.DataFrame({"a": texts}, schema={"a": pl.String}).select(
        parse(f, pl.col("a"))).to_series()
    if f.type == "boolean":
        return pl.Series([x if isinstance(x, bool) else p for x, p in zip(enum, parsed)],
                         dtype=pl.Boolean)
    return parsed


def _matches(col: pl.Expr, pattern: str) -> pl.Expr:
    """Whole-cell match of a Table Schema pattern, in polars' linear-time regex engine.

    A pattern that engine cannot compile (look-around, backreferences, or not a regex at
    all) is reported by layer 1 (:func:`fieldtypes.regex_problem`) and never run here.
    """
    if fieldtypes.regex_problem(pattern) is not None:
        return pl.lit(None, pl.Boolean)
    return col.str.contains(f"^(?:{pattern})$")
