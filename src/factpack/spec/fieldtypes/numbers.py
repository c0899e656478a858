"""``integer``, ``number`` and ``boolean``: read as Python reads them (int(), Decimal()),
as frictionless-py 5.21 does, stored natively in Parquet and SQLite."""

from __future__ import annotations

import polars as pl

from .base import BOUNDS, FieldLike, TypeEntry, typed_key

DIGITS = r"[0-9](?:_?[0-9])*"  # Python's int()/Decimal() take "_" between digits: 2020_10
INTEGER_TEXT = rf"^[+-]?{DIGITS}$"
# Decimal() (numbers, geopoints) drops every "_" first, then reads this:
DECIMAL = (r"^[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
           r"|(?i:inf|infinity|s?nan[0-9]*))$")
NUMBER_OPTIONS = {"groupChar", "decimalChar", "bareNumber"}


def _bare(col: pl.Expr) -> pl.Expr:
    """``bareNumber: false``: drop leading text up to a digit or '-', and trailing non-digits."""
    return col.str.replace(r"^[^\-0-9]*", "").str.replace(r"[^0-9]*$", "")


def decimal_value(text: pl.Expr) -> pl.Expr:
    """Float of a Decimal()-valid text (underscores dropped, Infinity/NaN spelled for polars)."""
    t = text.str.replace_all("_", "", literal=True)
    t = t.str.replace(r"^([+-]?)(?i:inf|infinity)$", "${1}inf").str.replace(r"^[+-]?(?i:s?nan[0-9]*)$", "NaN")
    return t.cast(pl.Float64, strict=False)


def _integer(field: FieldLike, col: pl.Expr) -> pl.Expr:
    text = col.str.strip_chars()  # frictionless applies bareNumber to integers, not groupChar
    if not field.bareNumber:
        text = _bare(text)
    return pl.when(text.str.contains(INTEGER_TEXT)).then(
        text.str.replace_all("_", "", literal=True).cast(pl.Int64, strict=False))


def _number(field: FieldLike, col: pl.Expr) -> pl.Expr:
    text = col.str.strip_chars()
    if field.model_fields_set & NUMBER_OPTIONS:
        if not field.bareNumber:
            text = _bare(text)
        if field.groupChar:
            text = text.str.replace_all(field.groupChar, "", literal=True)
        if field.decimalChar != ".":
            text = pl.when(text.str.contains(".", literal=True)).then(None).otherwise(
                text.str.replace_all(field.decimalChar, ".", literal=True))
    text = text.str.strip_chars().str.replace_all("_", "", literal=True)
    return pl.when(text.str.contains(DECIMAL)).then(decimal_value(text))


# The fast paths: polars' own cast takes plain numbers ("42", "-3.5", "1e5", "inf") and
# nothing the full parse refuses (checked by tests/test_table.py); the rarer spellings
# Python takes ("1_000", " 7 ", "snan") come back null and go to the full parse.
INTEGER = TypeEntry(
    "integer", _integer, describe=lambda f: "a whole number such as 42",
    accepts=lambda d: d.is_integer(), constraints=BOUNDS, key=typed_key, family="number",
    fast=lambda f, col: col.cast(pl.Int64, strict=False) if f.bareNumber else None,
    polars=pl.Int64(), parquet="int64", sqlite="INTEGER")

NUMBER = TypeEntry(
    "number", _number, describe=lambda f: f"a number such as 3{f.decimalChar}14",
    accepts=lambda d: d.is_float() or d.is_decimal(), constraints=BOUNDS, family="number",
    fast=lambda f, col: (None if f.model_fields_set & NUMBER_OPTIONS
                         else col.cast(pl.Float64, strict=False)),
    polars=pl.Float64(), parquet="double", sqlite="REAL")

BOOLEAN = TypeEntry(
    "boolean",
    lambda f, col: (pl.when(col.is_in(f.trueValues)).then(pl.lit(True))
                    .when(col.is_in(f.falseValues)).then(pl.lit(False))),
    describe=lambda f: f"one of {', '.join(f.trueValues + f.falseValues)}",
    accepts=lambda d: d == pl.Boolean, key=typed_key,
    family="number",  # Python: True == 1 == 1.0
    polars=pl.Boolean(), parquet="boolean", sqlite="INTEGER")
