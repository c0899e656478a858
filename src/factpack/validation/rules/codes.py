"""Codes from standard code lists: ISO 3166-1 countries, ISO 4217 currencies, BCP 47
language tags."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl

from ...core.errors import ErrorRecord
from .context import Context


def _code_rule(ctx: Context, rule: str, columns: Iterable[str],
               valid: Callable[[list[str]], set[str]], what: str) -> list[ErrorRecord]:
    """Codes checked against a code list; a cell failing its field's own pattern is layer 2's."""
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        for col in columns:
            if col not in df.columns:
                continue
            constraints = ctx.field(name, col).get("constraints")
            pattern = constraints.get("pattern") if isinstance(constraints, dict) else None
            candidates = df.filter(pl.col(col).is_not_null())
            if isinstance(pattern, str):
                try:
                    candidates = candidates.filter(pl.col(col).str.contains(pattern))
                except pl.exceptions.PolarsError:  # a pattern polars cannot run: check every code
                    pass
            good = valid(candidates.get_column(col).unique().to_list())
            hits = candidates.filter(~pl.col(col).is_in(sorted(good)))
            out += ctx.errors(rule, name, hits, col, lambda r, c=col: f"'{r[c]}' is not {what}")
    return out


def rule_iso_country(ctx: Context) -> list[ErrorRecord]:
    import pycountry

    codes = {c.alpha_2 for c in pycountry.countries}
    return _code_rule(ctx, "iso-country", ("country", "jurisdiction"),
                      lambda values: codes & set(values),
                      "an ISO 3166-1 alpha-2 country code (e.g. UA, US)")


def rule_iso_currency(ctx: Context) -> list[ErrorRecord]:
    import pycountry

    codes = {c.alpha_3 for c in pycountry.currencies}
    return _code_rule(ctx, "iso-currency", ("currency",),
                      lambda values: codes & set(values), "an ISO 4217 currency code (e.g. USD)")


def rule_bcp47_language(ctx: Context) -> list[ErrorRecord]:
    import langcodes

    return _code_rule(ctx, "bcp47-language", ("language",),
                      lambda values: {v for v in values if langcodes.tag_is_valid(v)},
                      "a valid BCP 47 language tag (e.g. en, uk)")
