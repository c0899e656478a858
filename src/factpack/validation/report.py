"""Print validation reports: text (a rich table on a terminal, one line per error in a log),
JSON error records, GitHub annotations with a job summary, or JUnit XML.

``--max-errors`` caps the records listed; the counts per code and per field are
always exact. JSON is streamed (10 000 records at a time), so a million errors never sit in one string.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, TextIO

from .run import Report

if TYPE_CHECKING:
    from rich.console import Console


def counts(report: Report) -> dict[str, dict[str, int]]:
    """Exact error counts per code and per resource/field."""
    return report.counts


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
    """GitHub Actions workflow commands: each error annotates its CSV line (escaped as GitHub's
    workflow-command rules say, so no file name or message can start a command of its own);
    with ``GITHUB_STEP_SUMMARY`` set, a Markdown table of the counts is appended to it."""
    out = out or sys.stdout
    for report in reports:
        for row in report.errors.head(max_errors).iter_rows(named=True):
            parts = [f"file={_esc_prop(row['path'])}"] if row["path"] else []
            if row["line"]:  # no col: the field number is not the character column GitHub reads
                parts.append(f"line={row['line']}")
            title = row["code"] + (f" ({row['rule']})" if row["rule"] else "")
            parts.append(f"title={_esc_prop(title)}")
            out.write(f"::error {','.join(parts)}::{_esc(row['message'])}\n")
        out.write(_esc(_summary(report, max_errors)) + "\n")
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as f:
            f.write(job_summary(reports))


def _esc(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(s: str) -> str:
    return _esc(s).replace(":", "%3A").replace(",", "%2C")


def _md(s: str) -> str:
    """Text for a Markdown table cell: no line break, no cell separator, no markup."""
    import html  # here and in write_junit: only the forms that use them pay the import
    return html.escape(" ".join(s.split())).replace("|", "&#124;")


def job_summary(reports: list[Report]) -> str:
    """A Markdown section for the job summary: one row per package, errors counted by code."""
    lines = ["## factpack validate", "", "| package | result | errors by code |", "|---|---|---|"]
    for report in reports:
        by_code = counts(report)["by_code"]
        result = "valid" if report.valid else f"**{report.errors.height} error(s)**"
        lines.append(f"| `{_md(report.package.descriptor_path)}` | {result} | "
                     + ", ".join(f"{_md(k)} {v}" for k, v in by_code.items()) + " |")
    return "\n".join(lines) + "\n\n"


def write_junit(reports: list[Report], max_errors: int, out: TextIO | None = None) -> None:
    """JUnit XML (GitLab, Jenkins): a test suite per package, a test case per resource, one
    failure per listed error (at most ``max_errors`` per package), and one more failure for
    the errors of a resource left unlisted, so that no resource with errors reads as passed."""
    out = out or sys.stdout
    import xml.etree.ElementTree as ET

    suites = ET.Element("testsuites", name="factpack validate")
    for report in reports:
        pkg, listed = report.package, report.errors.head(max_errors)
        totals = dict(report.errors.group_by("resource").len().iter_rows())
        names = [r.name for r in pkg.resources]
        names += sorted(r for r in totals if r is not None and r not in names)
        if None in totals:
            names.insert(0, None)
        rows_of: dict[str | None, list[dict]] = {name: [] for name in names}
        for row in listed.iter_rows(named=True):
            rows_of[row["resource"]].append(row)
        suite = ET.SubElement(suites, "testsuite", name=pkg.descriptor_path, tests=str(len(names)),
                              failures=str(len(totals)))
        for name, rows in rows_of.items():
            case = ET.SubElement(suite, "testcase", classname=pkg.name, name=name or "(package)")
            for row in rows:
                failure = ET.SubElement(case, "failure", type=row["code"],
                                        message=_message(row, pkg.descriptor_path))
                failure.text = _line(row, pkg.descriptor_path)
            if (rest := totals.get(name, 0) - len(rows)) > 0:
                ET.SubElement(case, "failure", type="not-listed",
                              message=f"{rest} more error(s) not listed (--max-errors {max_errors})")
        ET.SubElement(suite, "system-out").text = _summary(report, max_errors)
    ET.indent(suites)
    out.write(ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")


def _where(row: dict, descriptor: str) -> str:
    return ":".join(str(x) for x in (row["path"] or descriptor, row["line"]) if x)


def _message(row: dict, descriptor: str) -> str:
    """The message on one line, without the ``path:line`` it may already start with."""
    message = " ".join(row["message"].split())
    where = _where(row, descriptor)
    if message.startswith(where):
        message = message[len(where):].lstrip(": ")
    return message


def _line(row: dict, descriptor: str) -> str:
    """``path:line: code field: message``, as compilers write a diagnostic."""
    code = row["code"] + (f" ({row['rule']})" if row["rule"] else "")
    field = f" {row['field']}" if row["field"] else ""
    return f"{_where(row, descriptor)}: {code}{field}: {_message(row, descriptor)}"


def _summary(report: Report, max_errors: int) -> str:
    """One line: the package, its verdict, how many errors are listed, the counts per code."""
    n = report.errors.height
    if n == 0:
        return f"{report.package.descriptor_path}: valid, {len(report.package.resources)} table(s)"
    listed = f" (first {max_errors} listed, {n - max_errors} more not listed)" \
        if n > max_errors else ""
    by_code = ", ".join(f"{k} {v}" for k, v in counts(report)["by_code"].items())
    return f"{report.package.descriptor_path}: INVALID: {n} error(s){listed}; counts: {by_code}"


def write_lines(reports: list[Report], max_errors: int, out: TextIO | None = None) -> None:
    """For logs and editors: one line per error in the form compilers use,
    ``path:line: code field: message``, then one summary line per package."""
    out = out or sys.stdout
    for report in reports:
        path = report.package.descriptor_path
        out.writelines(_line(row, path) + "\n"
                       for row in report.errors.head(max_errors).iter_rows(named=True))
        out.write(_summary(report, max_errors) + "\n")


def write_text(reports: list[Report], max_errors: int, console: Console | None = None) -> None:
    """On a terminal, a rich table per invalid package, then exact counts per code; elsewhere
    (a CI log, a pipe) :func:`write_lines`."""
    if console is None and not sys.stdout.isatty():
        return write_lines(reports, max_errors)
    from rich.console import Console  # a terminal only: a log never pays for rich's tables
    from rich.markup import escape  # names, paths and messages are text, never markup
    from rich.table import Table

    console = console or Console(soft_wrap=False)
    for report in reports:
        pkg = report.package
        if report.valid:
            console.print(f"[green]✓[/green] {escape(f'{pkg.name} ({pkg.descriptor_path})')}: "
                          f"valid, {len(pkg.resources)} table(s)")
            continue
        n = report.errors.height
        console.print(f"[red]✗[/red] {escape(f'{pkg.name} ({pkg.descriptor_path})')}: "
                      f"{n} error(s)")
        t = Table(show_lines=False, expand=False)
        for col in ("file:line", "row", "field", "code", "message"):
            t.add_column(col, overflow="fold")
        for row in report.errors.head(max_errors).iter_rows(named=True):
            loc = f"{row['path'] or ''}:{row['line'] or ''}"
            code = row["code"] + (f" ({row['rule']})" if row["rule"] else "")
            t.add_row(*(escape(x) for x in (loc, str(row["row"] or ""), row["field"] or "", code,
                                             row["message"])))
        console.print(t)
        if n > max_errors:
            console.print(f"… {n - max_errors} more not listed (--max-errors {max_errors})")
        c = counts(report)["by_code"]
        console.print("counts: " + ", ".join(f"{k} {v}" for k, v in c.items()))
