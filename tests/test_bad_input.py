"""Bad input gets a clear error record (code, file, line), never a traceback.

Each test builds a tiny repository (``schemas/``, ``datasets/<name>/``) in a
temporary folder and runs ``factpack validate --format json`` there through the
CLI's entry point (in-process, so the suite stays quick; ``test_cli.py`` runs the
real ``python -m factpack``), then checks the exit code and the error records.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from factpack.cli import main

SCHEMA = """\
fields:
  - name: id
    type: string
    constraints: {required: true, pattern: "^[a-z0-9-]+$"}
  - name: kind
    type: string
    constraints: {enum: [person, state]}
  - name: born_on
    type: date
  - name: parent_id
    type: string
primaryKey: [id]
foreignKeys:
  - fields: [parent_id]
    reference: {resource: things, fields: [id]}
"""

DATASET = """\
name: demo
title: Demo
version: 1.0.0
description: A dataset for tests.
created: "2026-01-01"
licenses:
  - name: CC-BY-4.0
contributors:
  - title: Tester
resources: [things]
"""

GOOD_ROWS = "id,kind,born_on,parent_id\nann,person,1990-01-02,\nua,state,1991-08-24,ann\n"


def make_repo(root: Path, csv: str | bytes = GOOD_ROWS, schema: str = SCHEMA,
              dataset: str = DATASET) -> Path:
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    (root / "schemas" / "things.yaml").write_text(schema, encoding="utf-8")
    data = root / "datasets" / "demo" / "data"
    data.mkdir(parents=True, exist_ok=True)
    (root / "datasets" / "demo" / "dataset.yaml").write_text(dataset, encoding="utf-8")
    raw = csv.encode("utf-8") if isinstance(csv, str) else csv
    (data / "things.csv").write_bytes(raw)
    return root


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``factpack validate … --format json`` in ``root`` (in-process, as the CLI entry point).

    Returns the exit code, the parsed JSON report (or {}) and stderr.
    """
    def _run(root: Path, *targets: str) -> tuple[int, dict, str]:
        monkeypatch.chdir(root)
        monkeypatch.delenv("FACTPACK_DEBUG", raising=False)
        monkeypatch.setattr(sys, "argv", ["factpack", "validate", *targets, "--format", "json"])
        with pytest.raises(SystemExit) as exit_:
            main()
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err, out.err
        try:
            report = json.loads(out.out)
        except json.JSONDecodeError:
            report = {}
        return exit_.value.code, report, out.err
    return _run


def errors(report: dict) -> list[dict]:
    return [e for p in report.get("packages", []) for e in p["errors"]]


def only(report: dict, code: str) -> list[dict]:
    found = [e for e in errors(report) if e["code"] == code]
    assert found, f"no {code} in {errors(report)}"
    return found


CSV_PATH = "datasets/demo/data/things.csv"


def test_good_dataset_is_valid(run, tmp_path: Path) -> None:
    code, report, _ = run(make_repo(tmp_path))
    assert (code, errors(report)) == (0, [])


def test_ragged_rows(run, tmp_path: Path) -> None:
    rows = "id,kind,born_on,parent_id\nann,person,1990-01-02\nua,state,1991-08-24,ann,extra\n"
    code, report, _ = run(make_repo(tmp_path, rows))
    assert code == 1
    missing = only(report, "missing-cell")
    assert [(e["path"], e["row"], e["line"], e["field"]) for e in missing] == [
        (CSV_PATH, 2, 2, "parent_id")]
    extra = only(report, "extra-cell")
    assert [(e["path"], e["row"], e["line"], e["value"]) for e in extra] == [
        (CSV_PATH, 3, 3, "extra")]


def test_wrong_and_missing_header(run, tmp_path: Path) -> None:
    rows = "id,type,born_on\nann,person,1990-01-02\n"
    code, report, _ = run(make_repo(tmp_path, rows))
    assert code == 1
    wrong = only(report, "incorrect-label")[0]
    assert (wrong["path"], wrong["line"], wrong["field"], wrong["value"]) == (
        CSV_PATH, 1, "kind", "type")
    assert "'kind'" in wrong["message"] and "'type'" in wrong["message"]
    gone = only(report, "missing-label")[0]
    assert (gone["path"], gone["line"], gone["field"]) == (CSV_PATH, 1, "parent_id")


def test_bad_enum_value(run, tmp_path: Path) -> None:
    rows = GOOD_ROWS + "kyiv,city,1991-08-24,\n"
    code, report, _ = run(make_repo(tmp_path, rows))
    e = only(report, "constraint-error")[0]
    assert (code, e["path"], e["row"], e["line"], e["field"], e["value"]) == (
        1, CSV_PATH, 4, 4, "kind", "city")
    assert "person, state" in e["message"]  # says what would be right


def test_duplicate_primary_key(run, tmp_path: Path) -> None:
    rows = GOOD_ROWS + "ann,person,1990-01-02,\n"
    code, report, _ = run(make_repo(tmp_path, rows))
    e = only(report, "primary-key")[0]
    assert (code, e["path"], e["row"], e["line"], e["value"]) == (1, CSV_PATH, 4, 4, "ann")
    assert "row 2" in e["message"]  # names the row it repeats


def test_broken_foreign_key(run, tmp_path: Path) -> None:
    rows = GOOD_ROWS + "kyiv,state,1991-08-24,nobody\n"
    code, report, _ = run(make_repo(tmp_path, rows))
    e = only(report, "foreign-key")[0]
    assert (code, e["path"], e["row"], e["line"], e["value"]) == (1, CSV_PATH, 4, 4, "nobody")


def test_impossible_date(run, tmp_path: Path) -> None:
    rows = GOOD_ROWS + "kyiv,state,2025-02-30,\n"
    code, report, _ = run(make_repo(tmp_path, rows))
    e = only(report, "type-error")[0]
    assert (code, e["path"], e["row"], e["line"], e["field"], e["value"]) == (
        1, CSV_PATH, 4, 4, "born_on", "2025-02-30")
    assert "YYYY-MM-DD" in e["message"]


def test_not_utf8(run, tmp_path: Path) -> None:
    rows = (GOOD_ROWS + "kyiv,state,1991-08-24,\n").replace("kyiv", "kyïv").encode("latin-1")
    code, report, _ = run(make_repo(tmp_path, rows))
    e = only(report, "encoding-error")[0]
    assert (code, e["path"], e["line"]) == (1, CSV_PATH, 4)
    assert "utf-8" in e["message"].lower()


def test_byte_order_mark(run, tmp_path: Path) -> None:
    code, report, _ = run(make_repo(tmp_path, b"\xef\xbb\xbf" + GOOD_ROWS.encode()))
    e = only(report, "encoding-error")[0]
    assert (code, e["path"], e["line"]) == (1, CSV_PATH, 1)
    assert "BOM" in e["message"]


def test_crlf_line_endings(run, tmp_path: Path) -> None:
    code, report, _ = run(make_repo(tmp_path, GOOD_ROWS.replace("\n", "\r\n")))
    e = only(report, "rule-error")[0]
    assert (code, e["path"], e["line"], e["rule"]) == (1, CSV_PATH, 1, "lf-line-endings")
    assert [x for x in errors(report) if x["code"] != "rule-error"] == []  # read correctly


def test_empty_file(run, tmp_path: Path) -> None:
    code, report, _ = run(make_repo(tmp_path, ""))
    e = only(report, "source-error")[0]
    assert (code, e["path"]) == (1, CSV_PATH)
    assert "empty" in e["message"]


def test_quote_left_open(run, tmp_path: Path) -> None:
    rows = GOOD_ROWS + 'kyiv,"state,1991-08-24,\nlviv,state,1991-08-24,\n'
    code, report, _ = run(make_repo(tmp_path, rows))
    e = only(report, "source-error")[0]
    assert (code, e["path"], e["row"], e["line"]) == (1, CSV_PATH, 4, 4)  # where it opens
    assert "never closed" in e["message"]
    assert [x["code"] for x in errors(report)] == ["source-error"]  # no knock-on errors


def test_two_megabyte_cell(run, tmp_path: Path) -> None:
    big = "x" * 2_000_000
    rows = GOOD_ROWS + f"kyiv,state,1991-08-24,{big}\n"
    code, report, _ = run(make_repo(tmp_path, rows))
    e = only(report, "source-error")[0]
    assert (code, e["path"], e["row"], e["line"], e["field"]) == (1, CSV_PATH, 4, 4, "parent_id")
    assert "2000000 bytes" in e["message"]


def test_schema_unknown_property(run, tmp_path: Path) -> None:
    schema = SCHEMA.replace("constraints: {enum", "requried: true\n    constraints: {enum")
    code, report, _ = run(make_repo(tmp_path, schema=schema))
    e = only(report, "field-error")[0]  # inside a field, as frictionless-py codes it
    assert (code, e["path"], e["line"]) == (1, "schemas/things.yaml", 7)
    assert "requried" in e["message"]


def test_schema_unknown_field_type(run, tmp_path: Path) -> None:
    schema = SCHEMA.replace("type: date", "type: dat")
    code, report, _ = run(make_repo(tmp_path, schema=schema))
    e = only(report, "field-error")[0]
    assert (code, e["path"], e["line"]) == (1, "schemas/things.yaml", 9)
    assert "'dat'" in e["message"] and "'date'" in e["message"]  # what would be right


def test_dataset_unknown_key(run, tmp_path: Path) -> None:
    dataset = DATASET.replace("title: Demo", "title: Demo\ntitel: Demo")
    code, report, _ = run(make_repo(tmp_path, dataset=dataset))
    e = only(report, "package-error")[0]
    assert (code, e["path"], e["line"]) == (1, "datasets/demo/dataset.yaml", 3)
    assert "titel" in e["message"]


@pytest.mark.parametrize("table", ["../../etc/passwd", "/etc/passwd"])
def test_dataset_table_path_leaves_repo(run, tmp_path: Path, table: str) -> None:
    dataset = DATASET.replace("resources: [things]", f'resources: [things, "{table}"]')
    code, report, _ = run(make_repo(tmp_path, dataset=dataset))
    e = only(report, "package-error")[0]
    assert (code, e["path"], e["line"]) == (1, "datasets/demo/dataset.yaml", 10)
    assert table in e["message"]


def test_dataset_names_missing_table(run, tmp_path: Path) -> None:
    dataset = DATASET.replace("resources: [things]", "resources: [things, places]")
    code, report, _ = run(make_repo(tmp_path, dataset=dataset))
    e = only(report, "schema-error")[0]
    assert (code, e["path"], e["line"]) == (1, "datasets/demo/dataset.yaml", 10)
    assert "places" in e["message"] and "does not exist" in e["message"]


def package(root: Path, path: str) -> Path:
    make_repo(root)
    desc = {"name": "p", "resources": [{"name": "things", "path": path, "schema": {
        "fields": [{"name": "id", "type": "string"}]}}]}
    folder = root / "pkg"
    folder.mkdir(exist_ok=True)
    (folder / "datapackage.json").write_text(json.dumps(desc, indent=2))
    return folder / "datapackage.json"


@pytest.mark.parametrize("path,words,error", [
    ("../../../../etc/passwd", "leaves", "resource-error"),  # as frictionless-py reports it
    ("/etc/passwd", "absolute", "resource-error"),
    ("missing.csv", "does not exist", "scheme-error"),  # as frictionless-py reports it
    ("linked.csv", "symbolic link", "source-error"),
])
def test_descriptor_path_refused(run, tmp_path: Path, path: str, words: str,
                                 error: str) -> None:
    descriptor = package(tmp_path, path)
    (descriptor.parent / "linked.csv").symlink_to(tmp_path / CSV_PATH)
    code, report, _ = run(tmp_path, str(descriptor))
    e = only(report, error)[0]
    # named from the repository root, on the line of the resource's "path"
    assert (code, e["path"], e["line"]) == (1, "pkg/datapackage.json", 6)
    assert words in e["message"] and path in e["message"]


def test_missing_target_is_usage_error(run, tmp_path: Path) -> None:
    make_repo(tmp_path)
    code, report, err = run(tmp_path, "no-such-dataset")
    assert code == 2 and report == {}
    assert "no-such-dataset" in err


@pytest.mark.parametrize("cell", ["=SUM(A1)", "+1", "-x", "@me", "\tx", "\rx"])
def test_formula_prefix_is_rule_error(run, tmp_path: Path, cell: str) -> None:
    rows = GOOD_ROWS + f'kyiv,state,1991-08-24,"{cell}"\n'
    schema = SCHEMA.replace("foreignKeys:", "foreignKeysOff:").split("foreignKeysOff:")[0]
    code, report, _ = run(make_repo(tmp_path, rows, schema=schema))
    e = next(x for x in only(report, "rule-error") if x["rule"] == "formula")
    assert (code, e["path"], e["row"], e["line"], e["field"], e["rule"]) == (
        1, CSV_PATH, 4, 4, "parent_id", "formula")


def test_formula_prefix_allowed_by_field(run, tmp_path: Path) -> None:
    rows = GOOD_ROWS + 'kyiv,state,1991-08-24,=x\n'
    schema = SCHEMA.split("foreignKeys:")[0].replace(
        "  - name: parent_id\n    type: string\n",
        "  - name: parent_id\n    type: string\n    allowFormulaPrefix: true\n")
    code, report, _ = run(make_repo(tmp_path, rows, schema=schema))
    assert (code, errors(report)) == (0, [])


def test_dataset_csv_through_symlink_refused(run, tmp_path: Path) -> None:
    make_repo(tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.csv"
    outside.write_text(GOOD_ROWS)
    csv = tmp_path / CSV_PATH
    csv.unlink()
    csv.symlink_to(outside)
    code, report, _ = run(tmp_path)
    e = only(report, "source-error")[0]
    assert (code, e["path"]) == (1, CSV_PATH)
    assert "symbolic link" in e["message"] or "leaves the repository" in e["message"]


def test_schema_pattern_that_is_not_a_regex(run, tmp_path: Path) -> None:
    schema = SCHEMA.replace('pattern: "^[a-z0-9-]+$"', 'pattern: "[a-z"')
    code, report, _ = run(make_repo(tmp_path, schema=schema))
    e = only(report, "field-error")[0]
    assert (code, e["path"], e["line"], e["field"]) == (1, "schemas/things.yaml", 4, "id")
    assert "not a valid regular expression" in e["message"]


def test_pattern_with_lookahead_is_refused(run, tmp_path: Path) -> None:
    # polars' linear-time engine cannot run look-around; Python's re would backtrack over
    # strangers' cells without bound (issue 16): one field error naming field and pattern.
    schema = SCHEMA.replace('pattern: "^[a-z0-9-]+$"', 'pattern: "(?!x)[a-z0-9-]+"')
    code, report, _ = run(make_repo(tmp_path, GOOD_ROWS + "xy,state,1991-08-24,\n",
                                    schema=schema))
    e = only(report, "field-error")[0]
    assert (code, e["path"], e["field"]) == (1, "schemas/things.yaml", "id")
    assert "(?!x)[a-z0-9-]+" in e["message"] and "look-around" in e["message"]
