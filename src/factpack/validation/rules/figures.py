"""Figures: low <= value <= high, a currency for money and a unit for the rest, and
amounts in whole units ("10 billion" is 10000000000)."""

from __future__ import annotations

import re

import polars as pl

from ...core.errors import ErrorRecord
from .context import Context


def rule_figure_range(ctx: Context) -> list[ErrorRecord]:
    name = "figures"
    cols = [c for c in ("value_low", "value", "value_high") if ctx.has(name, c)]
    if len(cols) < 2:
        return []
    df = ctx.tables[name].with_columns(
        [pl.col(c).cast(pl.Float64, strict=False).alias(f"_{c}") for c in cols])
    out: list[ErrorRecord] = []
    checks = [("value_low", "value_high", "value_high"),
              ("value_low", "value", "value"), ("value", "value_high", "value")]
    for low, high, field in checks:
        if low in cols and high in cols:
            hits = df.filter((pl.col(f"_{low}") > pl.col(f"_{high}")).fill_null(False))
            out += ctx.errors("figure-range", name, hits, field, lambda r, lo=low, hi=high: (
                f"{lo} {r[lo]} is greater than {hi} {r[hi]}; need value_low <= value <= value_high "
                "(amounts in whole units, e.g. 10 billion = 10000000000)"))
    return out


def rule_figure_currency(ctx: Context) -> list[ErrorRecord]:
    name = "figures"
    if not ctx.has(name, "quantity"):
        return []
    df = ctx.tables[name].filter(pl.col("quantity").is_not_null())
    money = pl.col("quantity") == "money"
    out: list[ErrorRecord] = []
    if "currency" in df.columns:
        out += ctx.errors("figure-currency", name, df.filter(money & pl.col("currency").is_null()),
                          "currency", lambda r: "a money figure needs its ISO 4217 currency (e.g. USD)")
        out += ctx.errors("figure-currency", name, df.filter(~money & pl.col("currency").is_not_null()),
                          "currency", lambda r: (
                              f"currency is only for money, but quantity is '{r['quantity']}'; "
                              "leave currency empty and give the unit"))
    if "unit" in df.columns:
        out += ctx.errors("figure-currency", name, df.filter(~money & pl.col("unit").is_null()),
                          "unit", lambda r: (
                              f"a '{r['quantity']}' figure needs a unit saying what is counted "
                              "(e.g. drone, year)"))
        out += ctx.errors("figure-currency", name, df.filter(money & pl.col("unit").is_not_null()),
                          "unit", lambda r: "a money figure takes a currency, not a unit; leave unit empty")
    return out


_SCALES = {"thousand": 10**3, "million": 10**6, "mn": 10**6, "billion": 10**9, "bn": 10**9,
           "trillion": 10**12}
_SCALE_RE = re.compile(r"(?i)\b(" + "|".join(_SCALES) + r")\b")
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _scaled_minimum(text: str | None) -> float | None:
    """Least amount a text such as "10-20-30 billion" can mean in whole units, if it names a scale."""
    if not text:
        return None
    scales = [_SCALES[m.lower()] for m in _SCALE_RE.findall(text)]
    numbers = [float(n) for n in _NUMBER_RE.findall(text)]
    return min(scales) * min(numbers) if scales and numbers else None


def rule_figure_units(ctx: Context) -> list[ErrorRecord]:
    """Amounts are in whole units: "10 billion" is 10000000000, not 10."""
    name = "figures"
    cols = [c for c in ("value_low", "value", "value_high") if ctx.has(name, c)]
    if not cols or not ctx.has(name, "value_text"):
        return []
    df = ctx.tables[name]
    if "quantity" in df.columns:
        df = df.filter(pl.col("quantity").fill_null("") != "years")
    df = df.with_columns(pl.col("value_text").map_elements(
        _scaled_minimum, return_dtype=pl.Float64, skip_nulls=True).alias("_min"))
    out: list[ErrorRecord] = []
    for col in cols:
        hits = df.filter((pl.col(col).cast(pl.Float64, strict=False) < pl.col("_min")).fill_null(False))
        out += ctx.errors("figure-units", name, hits, col, lambda r, c=col: (
            f"{r[c]} is too small for '{r['value_text']}' (at least {r['_min']:.0f}); give "
            "amounts in whole units, e.g. 10 billion = 10000000000"))
    return out
