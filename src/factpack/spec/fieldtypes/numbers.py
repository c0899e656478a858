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
MAX_INT_DIGITS = 4300  # Python's int() refuses longer texts (sys.int_info.default_max_str_digits)
# The zero of every run of Unicode decimal digits (category Nd, Unicode 14, as Python
# 3.11 has them): int() and Decimal() read "١٢٣" (Arabic-Indic) as 123.
ND_ZEROS = (
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
    0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0,
    0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
    0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
)
_DIGITS_FROM = [chr(z + k) for z in ND_ZEROS[1:] for k in range(10)]
_DIGITS_TO = [str(k) for _ in ND_ZEROS[1:] for k in range(10)]


def ascii_digits(text: pl.Expr) -> pl.Expr:
    """Unicode decimal digits as ASCII ones, as Python's int() and Decimal() read them."""
    return pl.when(text.str.contains(r"[^\x00-\x7f]")).then(
        text.str.replace_many(_DIGITS_FROM, _DIGITS_TO)).otherwise(text)


def _bare(col: pl.Expr) -> pl.Expr:
    """``bareNumber: false``: drop leading text up to a digit or '-', and trailing non-digits."""
    return col.str.replace(r"^[^\-0-9]*", "").str.replace(r"[^0-9]*$", "")


def decimal_value(text: pl.Expr) -> pl.Expr:
    """Float of a Decimal()-valid text (underscores dropped, Infinity/NaN spelled for polars)."""
    t = text.str.replace_all("_", "", literal=True)
    t = t.str.replace(r"^([+-]?)(?i:inf|infinity)$", "${1}inf").str.replace(r"^[+-]?(?i:s?nan[0-9]*)$", "NaN")
    return t.cast(pl.Float64, strict=False)


def _integer_text(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """The text Python's int() reads of each cell (sign and digits), null where it fails."""
    # frictionless applies bareNumber to integers, not groupChar
    text = ascii_digits(col.str.strip_chars())
    if not field.bareNumber:
        text = _bare(text)
    return pl.when(text.str.contains(INTEGER_TEXT)).then(text.str.replace_all("_", "", literal=True))


def _integer(field: FieldLike, col: pl.Expr) -> pl.Expr:
    return _integer_text(field, col).cast(pl.Int64, strict=False)


def wide_integer(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """Any integer int() reads, also beyond int64, as its plain text ('-' only when negative,
    no leading zeros): equal texts are equal values, as Python compares its ints."""
    return _integer_text(field, col).map_batches(_plain_integers, return_dtype=pl.String)


def _plain_integers(text: pl.Series) -> pl.Series:
    # on the text read once (an expression would read each cell again for each use)
    t = pl.col("t")
    digits = t.str.strip_chars_start("+-")
    size = digits.str.strip_chars_start("0")
    plain = pl.when(size == "").then(pl.lit("0")).when(t.str.starts_with("-")).then(
        "-" + size).otherwise(size)
    # int() refuses more than 4300 digits (leading zeros count)
    return text.to_frame("t").select(
        pl.when(digits.str.len_bytes() <= MAX_INT_DIGITS).then(plain)).to_series()


def any_integer(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """True where int() reads the cell, at any size (null elsewhere): list items."""
    size = _integer_text(field, col).str.replace(r"^[+-]", "").str.len_bytes()
    return pl.when(size <= MAX_INT_DIGITS).then(pl.lit(True))


def integer_below(plain: pl.Expr, bound: str) -> pl.Expr:
    """Whether each plain integer text (:func:`wide_integer`) is less than ``bound`` (one
    too): by sign, then number of digits, then the digits."""
    negative, n, b = plain.str.starts_with("-"), plain.str.len_bytes(), len(bound)
    if bound.startswith("-"):  # of two negatives, the longer, or the larger digits, is less
        return negative & ((n > b) | ((n == b) & (plain > bound)))
    return negative | (n < b) | ((n == b) & (plain < bound))


def _number(field: FieldLike, col: pl.Expr) -> pl.Expr:
    text = ascii_digits(col.str.strip_chars())
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
    wide=wide_integer, polars=pl.Int64(), parquet="int64", sqlite="INTEGER")

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
