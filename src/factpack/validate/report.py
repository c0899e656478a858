"""Print validation reports: a rich table, JSON error records, or GitHub annotations.

``--max-errors`` caps the records listed; the counts per code and per field are
always exact. JSON is streamed (10 000 records at a time), so a million errors never sit in one string.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

import polars as pl
from rich.console import Console
from rich.table import Table

from .run import Report


def counts(report: Report) -> dict[str, dict[str, int]]:
    """Exact error counts per code and per resource/field."""
    e = report.errors
    by_code = dict(e.group_by("code").len().sort("code").iter_rows())
    by_field = (e.with_columns(pl.format("{}.{}", pl.col("resource").fill_null("-"),
                                          pl.col("field").fill_null("-")).alias("f"))
                .group_by("f").len().sort("f").iter_rows())
    return {"by_code": by_code, "by_field": dict(by_field)}


def write_json(reports: list[Report], max_errors: int, out: TextIO | None = None) -> None:
    """``{"valid":…, "packages":[{…, "errors":[…], "counts":{…}}]}``, streamed."""
    out = out or sys.stdout  # looked up at call time, so redirection and capture work
    out.write(f'{{"valid": {json.dumps(all(r.valid for r in reports))}, "packages": [')
    for i, report in enumerate(reports):
        pkg = report.package
        head = {"name": pkg.name, "descriptor": pkg.descriptor_path, "valid": report.valid,
                "error_count": report.errors.height, "counts": counts(report),
                "truncated": report.errors.height > max_errors}
        out.write(("," if i else "") + json.dumps(head, ensure_ascii=False)[:-1] + ', "errors": [')
        listed = report.errors.head(max_errors)
        keys, encode = listed.columns, json.JSONEncoder(ensure_ascii=False).encode
        for start in range(0, listed.height, 10_000):  # a block of records at a time
            out.write("".join(
                ("," if start + j else "") + "\n  "
                + encode({k: v for k, v in zip(keys, row) if v is not None})
                for j, row in enumerate(listed.slice(start, 10_000).iter_rows())))
        out.write("]}")
    out.write("]}\n")


def write_github(reports: list[Report], max_errors: int, out: TextIO | None = None) -> None:
    """GitHub Actions workflow commands: each error annotates its CSV line."""
    out = out or sys.stdout
    for report in reports:
        for row in report.errors.head(max_errors).iter_rows(named=True):
            parts = [f"file={row['path']}"] if row["path"] else []
            if row["line"]:
                parts.append(f"line={row['line']}")
            if row["field_number"]:
                parts.append(f"col={row['field_number']}")
            title = row["code"] + (f" ({row['rule']})" if row["rule"] else "")
            parts.append(f"title={_esc_prop(title)}")
            out.write(f"::error {','.join(parts)}::{_esc(row['message'])}\n")
        _summary_line(report, max_errors, out)


def _esc(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(s: str) -> str:
    return _esc(s).replace(":", "%3A").replace(",", "%2C")


def _summary_line(report: Report, max_errors: int, out: TextIO) -> None:
    n = report.errors.height
    state = "valid" if n == 0 else f"INVALID: {n} error(s)"
    extra = f" (first {max_errors} listed)" if n > max_errors else ""
    out.write(f"{report.package.descriptor_path}: {state}{extra}\n")


def write_text(reports: list[Report], max_errors: int, console: Console | None = None) -> None:
    """A rich table per invalid package, then exact counts per code."""
    console = console or Console(soft_wrap=False)
    for report in reports:
        pkg = report.package
        if report.valid:
            console.print(f"[green]✓[/green] {pkg.name} ({pkg.descriptor_path}): valid, "
                          f"{len(pkg.resources)} table(s)")
            continue
        n = report.errors.height
        console.print(f"[red]✗[/red] {pkg.name} ({pkg.descriptor_path}): {n} error(s)")
        t = Table(show_lines=False, expand=False)
        for col in ("file:line", "row", "field", "code", "message"):
            t.add_column(col, overflow="fold")
        for row in report.errors.head(max_errors).iter_rows(named=True):
            loc = f"{row['path'] or ''}:{row['line'] or ''}"
            code = row["code"] + (f" ({row['rule']})" if row["rule"] else "")
            t.add_row(loc, str(row["row"] or ""), row["field"] or "", code, row["message"])
        console.print(t)
        if n > max_errors:
            console.print(f"… {n - max_errors} more not listed (--max-errors {max_errors})")
        c = counts(report)["by_code"]
        console.print("counts: " + ", ".join(f"{k} {v}" for k, v in c.items()))
