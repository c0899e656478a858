"""Dates: partial ISO dates (YYYY, YYYY-MM, YYYY-MM-DD) are real calendar dates, and
each table's dates come in order."""

from __future__ import annotations

import polars as pl

from ...core.errors import ErrorRecord
from .context import Context

DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


def date_bounds(col: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(well-formed, earliest day, latest day) of a partial ISO date column.

    ``2025`` spans the year, ``2025-06`` the month; an impossible date such as
    ``2025-02-30`` is well-formed with null bounds.
    """
    s = pl.col(col)
    n = s.str.len_chars()
    ok = s.str.contains(DATE_PATTERN).fill_null(False)
    start = pl.when(n == 4).then(s + "-01-01").when(n == 7).then(s + "-01").otherwise(s)
    lo = pl.when(ok).then(start).str.to_date("%Y-%m-%d", strict=False)
    hi = (pl.when(n == 4).then(lo.dt.offset_by("1y").dt.offset_by("-1d"))
          .when(n == 7).then(lo.dt.month_end()).otherwise(lo))
    return ok, lo, hi


def _date_columns(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if c.endswith("_on") or c == "as_of"]


def rule_date_calendar(ctx: Context) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        for col in _date_columns(df):
            ok, lo, _ = date_bounds(col)
            hits = df.filter(ok & lo.is_null())
            out += ctx.errors("date-calendar", name, hits, col, lambda r, c=col: (
                f"'{r[c]}' is not a real calendar date; give an existing date at the precision "
                "the source gives (YYYY, YYYY-MM or YYYY-MM-DD)"))
    return out


_ORDERED = [("roles", "start_on", "end_on"), ("statements", "said_on", "reported_on")]


def rule_date_order(ctx: Context) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, first, last in _ORDERED:
        if not ctx.has(name, first, last):
            continue
        _, first_lo, _ = date_bounds(first)
        _, _, last_hi = date_bounds(last)
        hits = ctx.tables[name].filter((first_lo > last_hi).fill_null(False))
        out += ctx.errors("date-order", name, hits, last, lambda r, a=first, b=last: (
            f"{b} '{r[b]}' is before {a} '{r[a]}'; {b} must be on or after {a}"))
    return out
