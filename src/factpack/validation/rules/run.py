"""Layer 3: the domain rules of DATA_MODEL.md over the tables' text, each reporting
``rule-error`` records with its name.

A rule applies only where its tables and columns exist, so the same call works on any
package. Layer 2 has already reported type and pattern errors, so a rule skips a cell
it cannot read rather than raising or reporting it twice. Whole-column rules are
polars expressions; only those that search archived texts look at rows one by one.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ...core.errors import ErrorRecord
from .codes import rule_bcp47_language, rule_iso_country, rule_iso_currency
from .context import Context, Rule
from .dates import rule_date_calendar, rule_date_order
from .figures import rule_figure_currency, rule_figure_range, rule_figure_units
from .records import rule_discrepancy_target, rule_formula, rule_no_draft, rule_role_held
from .sources import (
    rule_archive_hash,
    rule_evidence_in_source,
    rule_quote_in_source,
    rule_value_text_in_source,
)

RULES: dict[str, Rule] = {
    "date-calendar": rule_date_calendar,
    "date-order": rule_date_order,
    "figure-range": rule_figure_range,
    "figure-currency": rule_figure_currency,
    "figure-units": rule_figure_units,
    "iso-country": rule_iso_country,
    "iso-currency": rule_iso_currency,
    "bcp47-language": rule_bcp47_language,
    "evidence-in-source": rule_evidence_in_source,
    "quote-in-source": rule_quote_in_source,
    "value-text-in-source": rule_value_text_in_source,
    "role-held": rule_role_held,
    "discrepancy-target": rule_discrepancy_target,
    "archive-hash": rule_archive_hash,
    "formula": rule_formula,
}


def check_rules(tables: dict[str, pl.DataFrame], paths: dict[str, str], repo_root: Path,
                release: bool = True, schemas: dict[str, dict] | None = None) -> list[ErrorRecord]:
    """Every layer-3 rule over ``tables``; ``no-draft`` only for a release."""
    ctx = Context(tables, paths, repo_root, schemas)
    out: list[ErrorRecord] = []
    for rule in RULES.values():
        out += rule(ctx)
    if release:
        out += rule_no_draft(ctx)
    return sorted(out, key=ErrorRecord.key)
