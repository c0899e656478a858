"""The diff report (``schemas/diff-report.schema.json``), its text form and its one-line bump."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from ...core.atomic import temp_folder
from ...core.errors import FactpackError
from .packages import DiffPackage, open_package
from .rows import ROWS_PER_BUCKET, row_changes
from .rules import NEW_TABLE, REMOVED_TABLE, Kind, change, decide
from .schema import metadata_changes, table_changes

REPORT_VERSION = 1


def diff_packages(old: DiffPackage, new: DiffPackage, limit: int = 100,
                  rows_per_bucket: int = ROWS_PER_BUCKET) -> dict[str, Any]:
    """The diff report of two opened packages."""
    changes = metadata_changes(old.package, new.package)
    tables = []
    gone = [n for n in old.tables if n not in new.tables]
    added = [n for n in new.tables if n not in old.tables]
    for name in added:
        changes.append(change(Kind.TABLE_ADDED, NEW_TABLE, f"table '{name}' added", name))
    for name in gone:
        fields = [f.name for f in old.tables[name].schema.fields]
        alike = [n for n in added if [f.name for f in new.tables[n].schema.fields] == fields]
        how = f" (looks renamed to '{alike[0]}')" if len(alike) == 1 else ""
        changes.append(change(Kind.TABLE_REMOVED, REMOVED_TABLE, f"table '{name}' removed{how}",
                              name, None, name, alike[0] if len(alike) == 1 else None))
    for name, table in new.tables.items():
        if name not in old.tables:
            continue
        found, mapping = table_changes(name, old.tables[name], table)
        changes += found
        try:
            tables.append(row_changes(name, old.tables[name], table, mapping, limit,
                                      rows_per_bucket))
        except (pl.exceptions.PolarsError, OSError) as exc:  # a corrupt or ragged file
            raise FactpackError(
                f"table '{name}': cannot compare {old.tables[name].path.name} of {old.label} "
                f"with {table.path.name} of {new.label}: {exc}") from None
    bump, decided_by = decide(changes, tables)
    return {
        "report_version": REPORT_VERSION,
        "old": _side(old), "new": _side(new),
        "identical": bump == "none", "bump": bump, "decided_by": decided_by, "limit": limit,
        "schema_changes": [c for c in changes if c["kind"] != Kind.METADATA],
        "metadata_changes": [c for c in changes if c["kind"] == Kind.METADATA],
        "tables": tables,
    }


def _side(p: DiffPackage) -> dict[str, Any]:
    return {"label": p.label, "name": p.package.name, "version": p.package.version}


def because(report: dict[str, Any], at_most: int = 3) -> str:
    """Why the report's bump: the reasons of the changes that require it."""
    reasons = [d["reason"] for d in report["decided_by"]]
    if not reasons:
        return "no changes"
    more = len(reasons) - at_most
    return "; ".join(reasons[:at_most]) + (f" (and {more} more)" if more > 0 else "")


def bump_line(report: dict[str, Any]) -> str:
    """``factpack diff --bump``: the bump first (for scripts), then the rule that decided it,
    e.g. ``minor: new table deal_status_history``."""
    return f"{report['bump']}: {because(report)}"


def text(report: dict[str, Any]) -> str:
    o, n = report["old"], report["new"]
    lines = [f"{o['label']} → {n['label']}: "
             + ("identical" if report["identical"] else f"different (a {report['bump']} bump)")]
    if not report["identical"]:
        lines.append(f"  {report['bump']} because: {because(report)}")
    for c in report["schema_changes"] + report["metadata_changes"]:
        lines.append(f"  {c['bump']:<5}  {c['message']}")
    for t in report["tables"]:
        if not (t["added"] or t["removed"] or t["changed"] or t["note"]):
            continue
        by_col = ", ".join(f"{c} {k}" for c, k in t["changed_by_column"].items())
        lines.append(f"  {t['name']}: {t['rows_old']} → {t['rows_new']} rows, "
                     f"+{t['added']} added, -{t['removed']} removed, ~{t['changed']} changed"
                     + (f" ({by_col})" if by_col else ""))
        if t["note"]:
            lines.append(f"    note: {t['note']}")
        key = t["primary_key"]
        for r in t["added_rows"]:
            lines.append("    + " + ", ".join(f"{c}={r[c]!r}" for c in key))
        for r in t["removed_rows"]:
            lines.append("    - " + ", ".join(f"{c}={r[c]!r}" for c in key))
        for r in t["changed_rows"]:
            cells = "; ".join(f"{c}: {v['old']!r} → {v['new']!r}" for c, v in r["cells"].items())
            lines.append("    ~ " + ", ".join(f"{c}={v!r}" for c, v in r["key"].items())
                         + f": {cells}")
        if t["truncated"]:
            lines.append(f"    (listing at most {report['limit']} rows of each kind)")
    return "\n".join(lines)


def diff_specs(old: str, new: str, root: Path, limit: int = 100,
               store: Path | str | None = None,
               rows_per_bucket: int = ROWS_PER_BUCKET) -> dict[str, Any]:
    """The diff report of two versions given as ``factpack diff`` takes them."""
    with temp_folder(Path(tempfile.gettempdir()), "factpack-diff-") as tmp:
        a = open_package(old, root, tmp, store)
        b = open_package(new, root, tmp, store)
        return diff_packages(a, b, limit, rows_per_bucket)
