"""Python's own readers (strptime, dateutil, json) for the cells polars cannot judge alike.

The vectorised parse handles the common spellings; what it leaves null goes through the
reader frictionless-py uses, once per *distinct* text, never once per row. Valid data in
the usual forms never gets here; invalid cells do, and a column has few distinct ones.
"""

from __future__ import annotations

import _strptime  # the regex Python's strptime matches a format with: its exact grammar
import datetime as dt
from collections.abc import Callable
from functools import cache

import polars as pl


def by_distinct(col: pl.Expr, fn: Callable[[str], object], dtype: pl.DataType,
                done: pl.Expr | None = None) -> pl.Expr:
    """``fn`` of each distinct text of ``col`` (None: not valid), as a column of ``dtype``.

    ``done``: values already found by a vectorised parse; only the cells it leaves null
    are read by ``fn``.
    """
    done = pl.lit(None, dtype) if done is None else done.cast(dtype)

    def run(s: pl.Series) -> pl.Series:
        frame = s.struct.unnest()
        return fill_distinct(frame.get_column("t"), frame.get_column("v"), fn).alias(s.name)

    both = pl.struct(col.cast(pl.String).alias("t"), done.alias("v"))
    return both.map_batches(run, return_dtype=dtype)


def fill_distinct(text: pl.Series, value: pl.Series, fn: Callable[[str], object]) -> pl.Series:
    """``value``, its nulls where ``text`` is not null filled by ``fn`` of each distinct text."""
    todo = text.filter(text.is_not_null() & value.is_null()).unique()
    if todo.is_empty():
        return value
    table = pl.DataFrame({"t": todo, "p": pl.Series([_safe(fn, x) for x in todo.to_list()],
                                                     dtype=value.dtype)})
    frame = pl.DataFrame({"t": text, "v": value})
    return (frame.join(table, on="t", how="left", maintain_order="left", nulls_equal=False)
            .select(pl.coalesce("v", "p")).to_series())


def _safe(fn: Callable[[str], object], text: str) -> object:
    try:
        return fn(text)
    except Exception:  # noqa: BLE001 - any failure of Python's reader means "not valid"
        return None


@cache
def strptime_regex(fmt: str) -> str | None:
    """A regex every text it matches ``datetime.strptime`` also matches with ``fmt``: the
    one strptime builds, anchored as it is, narrowed to ASCII digits and single spaces (a
    cheaper one for polars; what it leaves out goes to strptime itself). None where
    strptime refuses the format."""
    try:
        body = _strptime.TimeRE().pattern(fmt)
    except (KeyError, IndexError, ValueError):  # a bad directive or a stray '%'
        return None
    body = body.replace(r"\d", "[0-9]").replace(r"\s+", " +")
    # names (months, days, am/pm, zones) are matched case-insensitively, as strptime does
    nocase = "(?i)" if any(f"%{d}" in fmt for d in "aAbBpZcxX") else ""
    return f"{nocase}^(?:{body})$"


def naive_utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime as the naive UTC one factpack keeps (offsets applied)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def strptime_reader(kind: str, fmt: str) -> Callable[[str], object]:
    """frictionless: ``datetime.strptime(cell, format)`` then ``.date()``/``.timetz()``."""
    def read(text: str) -> object:
        value = dt.datetime.strptime(text, fmt)
        return _as_kind(kind, value)
    return read


def dateutil_reader(kind: str) -> Callable[[str], object]:
    """frictionless's ``format: any``: ``dateutil.parser.parse(cell)``."""
    from dateutil import parser  # imported when a field asks for it

    def read(text: str) -> object:
        return _as_kind(kind, parser.parse(text))
    return read


def _as_kind(kind: str, value: dt.datetime) -> object:
    if kind == "date":
        return value.date()
    if kind == "time":
        return value.time()
    return naive_utc(value)
