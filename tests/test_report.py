"""Reports for machines and logs: one line per error off a terminal, GitHub workflow commands
that no file name can forge, a job summary, and JUnit XML where no failing resource passes."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from factpack.cli import main

CONSTRAINTS = Path(__file__).parent / "fixtures" / "validator" / "constraints" / "datapackage.json"


def run(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["factpack", "validate", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return exit_.value.code, capsys.readouterr().out


def test_off_a_terminal_each_error_is_one_compiler_style_line(monkeypatch, capsys):
    code, out = run(monkeypatch, capsys, str(CONSTRAINTS), "--max-errors", "50")
    *errors, summary = out.splitlines()
    assert code == 1 and len(errors) == 22
    for line in errors:
        assert re.match(r"^\S+\.csv:\d+: [a-z-]+( [^:]+)?: \S", line), line
    assert summary.endswith("constraint-error 14, foreign-key 2, primary-key 2, type-error 2, "
                            "unique-error 2") and "INVALID: 22 error(s)" in summary


def hostile_package(tmp_path: Path) -> Path:
    folder = tmp_path / "evil\n::warning file=x::forged,name"
    folder.mkdir()
    name = "a%0A\n::add-mask::x,b:c.csv"  # a newline, a command, '%', ',' and ':' in a file name
    (folder / name).write_text("id\nx\n")
    (folder / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [
        {"name": "a", "path": name,
         "schema": {"fields": [{"name": "id", "type": "integer"}]}}]}))
    return folder / "datapackage.json"


def test_github_commands_cannot_be_forged_by_names(monkeypatch, capsys, tmp_path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = run(monkeypatch, capsys, str(hostile_package(tmp_path)), "--format", "github")
    lines = out.splitlines()
    assert code == 1 and [x for x in lines if x.startswith("::")] == [lines[0]]
    command, _, message = lines[0][len("::error "):].partition("::")
    props = dict(p.split("=", 1) for p in command.split(","))
    assert set(props) == {"file", "line", "title"} and props["line"] == "2"
    assert "%0A" in props["file"] and "%2C" in props["file"] and "%3A" in props["file"]
    assert "%250A" in props["file"]  # a literal '%' in the name is escaped first
    assert "\n" not in message and props["title"] == "type-error"
    table = summary.read_text(encoding="utf-8")
    assert "| package | result | errors by code |" in table and "type-error 1" in table
    assert "\n::" not in table


def test_junit_has_a_case_per_resource_and_no_failing_one_passes(monkeypatch, capsys):
    code, out = run(monkeypatch, capsys, str(CONSTRAINTS), "--format", "junit",
                    "--max-errors", "1")
    suite = ET.fromstring(out).find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert code == 1 and set(cases) == {"people", "teams"}
    assert suite.get("failures") == "2"
    for case in cases.values():  # one listed error in all: the rest say they are not listed
        assert case.findall("failure")
    listed = [f for c in cases.values() for f in c.findall("failure") if f.get("type") != "not-listed"]
    assert len(listed) == 1 and re.match(r"^\S+\.csv:\d+: [a-z-]+", listed[0].text)


def test_junit_of_a_valid_package_passes(monkeypatch, capsys, tmp_path):
    (tmp_path / "d.csv").write_text("id\n1\n")
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "ok", "resources": [
        {"name": "d", "path": "d.csv", "schema": {"fields": [{"name": "id", "type": "integer"}]}}]}))
    code, out = run(monkeypatch, capsys, str(tmp_path / "datapackage.json"), "--format", "junit")
    suite = ET.fromstring(out).find("testsuite")
    assert code == 0 and suite.get("failures") == "0" and suite.get("tests") == "1"
    assert suite.find("testcase").find("failure") is None


def test_on_a_terminal_names_and_messages_are_text_not_markup(tmp_path):
    # rich reads "[a-z]" as a style tag and "[/red]" as a closing one (an error if unopened):
    # a field name, a file name or a pattern in a message must reach the table as written
    import io

    from rich.console import Console

    import factpack
    from factpack.validation import report

    (tmp_path / "t[ab].csv").write_text("[/red]\nX1\n")
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [{
        "name": "t", "path": "t[ab].csv", "schema": {"fields": [{
            "name": "[/red]", "type": "string", "constraints": {"pattern": "[a-z]+"}}]}}]}))
    result = factpack.validate(tmp_path / "datapackage.json")
    assert not result.valid
    out = io.StringIO()
    report.write_text([result.report], 10, Console(file=out, width=400, force_terminal=True,
                                                    color_system=None))
    text = out.getvalue()
    assert "t[ab].csv" in text and "[/red]" in text and "[a-z]+" in text
