"""``factpack diff``: schema changes, primary-key-matched row changes, bumps, report schema."""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
from pathlib import Path

import jsonschema
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factpack import cli
from factpack.core.errors import FactpackError
from factpack.release import diff
from factpack.release.diff import rules

ROOT = Path(__file__).resolve().parents[1]
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "diff-report.schema.json").read_text())

ITEM_FIELDS = [
    {"name": "id", "type": "string", "constraints": {"required": True}},
    {"name": "label", "type": "string", "constraints": {"maxLength": 20}},
    {"name": "amount", "type": "integer"},
]
ITEMS = [{"id": "a", "label": "alpha", "amount": 1},
         {"id": "b", "label": "beta", "amount": 2},
         {"id": "c", "label": None, "amount": 3}]


def make_package(folder: Path, tables: dict, version: str = "1.0.0", parquet: bool = True,
                 **meta) -> Path:
    """A small built-package folder: CSV (+ Parquet) per table and a datapackage.json."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    resources = []
    for name, (fields, rows, pk) in tables.items():
        schema = {"fields": fields, "primaryKey": pk} if pk else {"fields": fields}
        types = {"string": pl.String, "integer": pl.Int64, "date": pl.Date}
        frame = pl.DataFrame(rows, schema={f["name"]: types[f["type"]] for f in fields},
                             orient="row")
        frame.write_csv(folder / "data" / f"{name}.csv")
        resources.append({"name": name, "path": f"data/{name}.csv", "format": "csv",
                          "schema": schema})
        if parquet:
            frame.write_parquet(folder / "data" / f"{name}.parquet")
            resources.append({"name": f"{name}-parquet", "path": f"data/{name}.parquet",
                              "format": "parquet", "schema": schema})
    desc = {"name": "demo", "version": version, "title": "Demo", "resources": resources} | meta
    (folder / "datapackage.json").write_text(json.dumps(desc, indent=2))
    return folder


def items(tmp: Path, name: str, rows=ITEMS, fields=ITEM_FIELDS, **kw) -> Path:
    return make_package(tmp / name, {"items": (fields, rows, ["id"])}, **kw)


def run(old: Path | str, new: Path | str, limit: int = 100,
        rows_per_bucket: int = diff.ROWS_PER_BUCKET) -> dict:
    report = diff.diff_specs(str(old), str(new), ROOT, limit=limit,
                             rows_per_bucket=rows_per_bucket)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    return report


def kinds(report: dict) -> dict[str, str]:
    return {c["kind"]: c["bump"] for c in report["schema_changes"]}


def test_identical(tmp_path):
    r = run(items(tmp_path, "a"), items(tmp_path, "b", version="1.0.1"))
    assert r["identical"] and r["bump"] == "none"
    assert r["tables"][0]["rows_old"] == 3 and r["tables"][0]["changed"] == 0


def test_rows_added_need_a_minor_bump(tmp_path):
    new = ITEMS + [{"id": "d", "label": "delta", "amount": 4}]
    r = run(items(tmp_path, "a"), items(tmp_path, "b", rows=new))
    t = r["tables"][0]
    assert (t["added"], t["removed"], t["changed"]) == (1, 0, 0)
    assert t["added_rows"] == [{"id": "d", "label": "delta", "amount": 4}]
    assert r["bump"] == "minor" and not r["identical"]


def test_corrected_value_is_a_patch_with_the_changed_cells(tmp_path):
    new = [dict(ITEMS[0], amount=10), ITEMS[1], dict(ITEMS[2], label="gamma")]
    r = run(items(tmp_path, "a"), items(tmp_path, "b", rows=new))
    t = r["tables"][0]
    assert t["changed"] == 2 and t["changed_by_column"] == {"amount": 1, "label": 1}
    assert t["changed_rows"] == [
        {"key": {"id": "a"}, "cells": {"amount": {"old": 1, "new": 10}}},
        {"key": {"id": "c"}, "cells": {"label": {"old": None, "new": "gamma"}}},
    ]
    assert r["bump"] == "patch"


def test_removed_rows_are_major(tmp_path):
    r = run(items(tmp_path, "a"), items(tmp_path, "b", rows=ITEMS[:2]))
    assert r["tables"][0]["removed_rows"] == [{"id": "c", "label": None, "amount": 3}]
    assert r["bump"] == "major"


def test_renamed_column_is_major_and_its_values_still_match(tmp_path):
    fields = [ITEM_FIELDS[0], dict(ITEM_FIELDS[1], name="name"), ITEM_FIELDS[2]]
    rows = [{"id": r["id"], "name": r["label"], "amount": r["amount"]} for r in ITEMS]
    rows[1]["amount"] = 20
    r = run(items(tmp_path, "a"), items(tmp_path, "b", rows=rows, fields=fields))
    renamed = [c for c in r["schema_changes"] if c["kind"] == "column-renamed"]
    assert [(c["old"], c["new"]) for c in renamed] == [("label", "name")]
    assert "column-added" not in kinds(r) and "column-removed" not in kinds(r)
    t = r["tables"][0]
    assert t["changed"] == 1 and t["changed_by_column"] == {"amount": 1}
    assert r["bump"] == "major"


@pytest.mark.parametrize("change, kind, bump", [
    (lambda f: f[:2], "column-removed", "major"),
    (lambda f: f + [{"name": "note", "type": "string"}], "column-added", "major"),
    (lambda f: [f[0], f[1], dict(f[2], type="number")], "type-changed", "major"),
    (lambda f: [f[0], dict(f[1], constraints={"maxLength": 10}), f[2]],
     "constraint-tightened", "major"),
    (lambda f: [f[0], dict(f[1], constraints={"maxLength": 50}), f[2]],
     "constraint-loosened", "minor"),
    (lambda f: [f[0], dict(f[1], constraints={"maxLength": 20, "required": True}), f[2]],
     "constraint-tightened", "major"),
    (lambda f: [f[0], dict(f[1], description="Its label."), f[2]],
     "field-metadata-changed", "patch"),
    (lambda f: [f[0], dict(f[1], constraints={"maxLength": 20, "enum": ["alpha", "beta"]}),
                f[2]], "constraint-tightened", "major"),
    (lambda f: [f[0], dict(f[1], constraints={"maxLength": 20, "required": False}), f[2]],
     None, "none"),
    (lambda f: [f[0], f[2], f[1]], "columns-reordered", "major"),
])
def test_schema_changes_and_their_bumps(tmp_path, change, kind, bump):
    fields = change([dict(f) for f in ITEM_FIELDS])
    names = [f["name"] for f in fields]
    rows = [{k: (r.get(k) if k != "amount" or kind != "type-changed" else float(r[k]))
             for k in names} for r in ITEMS]
    if kind == "type-changed":
        fields[2]["type"] = "number"
    types = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64}
    folder = tmp_path / "b"
    (folder / "data").mkdir(parents=True)
    frame = pl.DataFrame(rows, schema={f["name"]: types[f["type"]] for f in fields}, orient="row")
    frame.write_parquet(folder / "data" / "items.parquet")
    (folder / "datapackage.json").write_text(json.dumps({"name": "demo", "version": "2.0.0",
        "title": "Demo", "resources": [{"name": "items", "path": "data/items.parquet",
                                         "schema": {"fields": fields, "primaryKey": ["id"]}}]}))
    r = run(items(tmp_path, "a"), folder)
    assert kinds(r) == ({kind: bump} if kind else {})
    assert r["bump"] == bump
    if kind == "type-changed":  # 1 and 1.0 compare as text: the values did not change
        assert r["tables"][0]["changed"] == 0


def test_tables_added_removed_and_metadata(tmp_path):
    other = ([{"name": "k", "type": "string"}], [{"k": "x"}], ["k"])
    a = make_package(tmp_path / "a", {"items": (ITEM_FIELDS, ITEMS, ["id"])})
    b = make_package(tmp_path / "b", {"items": (ITEM_FIELDS, ITEMS, ["id"]), "more": other})
    assert kinds(run(a, b)) == {"table-added": "minor"} and run(a, b)["bump"] == "minor"
    assert run(b, a)["bump"] == "major" and kinds(run(b, a)) == {"table-removed": "major"}
    c = make_package(tmp_path / "c", {"items": (ITEM_FIELDS, ITEMS, ["id"])}, title="Demo 2")
    r = run(a, c)
    assert [m["property"] for m in r["metadata_changes"]] == ["title"] and r["bump"] == "patch"


def test_csv_only_package_diffs_against_parquet(tmp_path):
    a = items(tmp_path, "a", parquet=False)
    b = items(tmp_path, "b", rows=[dict(ITEMS[0], amount=5)] + ITEMS[1:])
    t = run(a, b)["tables"][0]
    assert t["changed_rows"] == [{"key": {"id": "a"}, "cells": {"amount": {"old": "1",
                                                                          "new": "5"}}}]


def test_no_primary_key_matches_whole_rows(tmp_path):
    a = make_package(tmp_path / "a", {"t": (ITEM_FIELDS, ITEMS, None)})
    b = make_package(tmp_path / "b", {"t": (ITEM_FIELDS, ITEMS[:2] + [dict(ITEMS[2], amount=9)],
                                            None)})
    t = run(a, b)["tables"][0]
    assert t["matched_on"] == "all-columns" and (t["added"], t["removed"]) == (1, 1)


def test_removing_a_duplicate_row_is_a_removed_row(tmp_path):
    rows = ITEMS[:1] * 2
    a = make_package(tmp_path / "a", {"t": (ITEM_FIELDS, rows, None)})
    b = make_package(tmp_path / "b", {"t": (ITEM_FIELDS, rows[:1], None)})
    r = run(a, b)
    t = r["tables"][0]
    assert (t["rows_old"], t["rows_new"], t["added"], t["removed"]) == (2, 1, 0, 1)
    assert not r["identical"] and r["bump"] == "major"


def test_limit_lists_few_rows_but_counts_all(tmp_path):
    old = [{"id": f"r{i:03}", "label": "x", "amount": i} for i in range(60)]
    new = [dict(r, amount=r["amount"] + (i % 3 == 0)) for i, r in enumerate(old[5:])]
    new += [{"id": f"s{i:03}", "label": "y", "amount": i} for i in range(9)]
    r = run(items(tmp_path, "a", rows=old), items(tmp_path, "b", rows=new), limit=4,
            rows_per_bucket=7)  # many buckets for 60 rows
    t = r["tables"][0]
    assert (t["added"], t["removed"], t["changed"]) == (9, 5, 19)
    assert [row["id"] for row in t["added_rows"]] == ["s000", "s001", "s002", "s003"]
    assert [row["key"]["id"] for row in t["changed_rows"]] == ["r005", "r008", "r011", "r014"]
    assert t["truncated"]


keys = st.lists(st.integers(0, 30), unique=True, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old_keys=keys, new_keys=keys, values=st.lists(st.integers(0, 2), min_size=31, max_size=31),
       buckets=st.sampled_from([1, 3, 1000]))
def test_counts_match_a_naive_diff(tmp_path_factory, old_keys, new_keys, values, buckets):
    tmp = tmp_path_factory.mktemp("h")
    old = [{"id": f"k{k}", "label": "l", "amount": 0} for k in old_keys]
    new = [{"id": f"k{k}", "label": "l", "amount": values[k] % 2} for k in new_keys]
    t = run(items(tmp, "a", rows=old), items(tmp, "b", rows=new),
            rows_per_bucket=buckets)["tables"][0]
    assert t["added"] == len(set(new_keys) - set(old_keys))
    assert t["removed"] == len(set(old_keys) - set(new_keys))
    assert t["changed"] == sum(values[k] % 2 for k in set(old_keys) & set(new_keys))


def test_url_against_folder(tmp_path):
    a = items(tmp_path, "a")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/a/datapackage.json"
        assert run(url, a)["identical"]
        bad = tmp_path / "a" / "datapackage.json"
        desc = json.loads(bad.read_text())
        desc["resources"][1]["hash"] = "sha256:" + "0" * 64
        bad.write_text(json.dumps(desc))
        with pytest.raises(FactpackError, match="sha256"):
            run(url, a)
    finally:
        server.shutdown()
        server.server_close()


def main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["factpack", "diff", *args])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    out = capsys.readouterr()
    return exc.value.code, out.out, " ".join(out.err.split())  # rich wraps long messages


def test_cli_exit_codes_and_formats(tmp_path, monkeypatch, capsys):
    a = items(tmp_path, "a")
    b = items(tmp_path, "b", rows=ITEMS + [{"id": "d", "label": "delta", "amount": 4}])
    code, out, _ = main(monkeypatch, capsys, str(a), str(a / "datapackage.json"))
    assert code == 0 and "identical" in out
    code, out, _ = main(monkeypatch, capsys, str(a), str(b))
    assert code == 1 and "+1 added" in out and "id='d'" in out
    code, out, _ = main(monkeypatch, capsys, "--bump", str(a), str(b))
    assert (code, out) == (0, "minor: new rows in items\n")  # the bump first, then its rule
    code, out, _ = main(monkeypatch, capsys, "--bump", str(a), str(a))
    assert (code, out) == (0, "none: no changes\n")
    code, out, _ = main(monkeypatch, capsys, "--format", "json", str(a), str(b))
    assert code == 1 and json.loads(out)["tables"][0]["added"] == 1
    code, out, err = main(monkeypatch, capsys, str(a), str(tmp_path / "missing"))
    assert code == 2 and "not a package folder" in err and "Traceback" not in err
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "datapackage.json").write_text("{not json")
    code, _, err = main(monkeypatch, capsys, str(a), str(tmp_path / "broken"))
    assert code == 2 and "cannot read" in err
    (b / "data" / "items.parquet").write_bytes(b"PAR1 not really")
    code, _, err = main(monkeypatch, capsys, str(a), str(b))
    assert code == 2 and "table 'items': cannot compare items.parquet" in err


def test_resource_paths_may_not_leave_the_package(tmp_path):
    a = items(tmp_path, "a")
    desc = json.loads((a / "datapackage.json").read_text())
    desc["resources"][0]["path"] = "../b/data/items.csv"
    desc["resources"] = desc["resources"][:1]
    (a / "datapackage.json").write_text(json.dumps(desc))
    with pytest.raises(FactpackError, match="relative to the package"):
        run(a, a)


# --- the version rule (issue 17): the Data Package Version recipe, removed rows major -----------

def _with(fields_change, rows_change=lambda r: r):
    fields = fields_change([dict(f) for f in ITEM_FIELDS])
    return fields, [rows_change(dict(r)) for r in ITEMS]


@pytest.mark.parametrize("fields, rows, tables, bump, rule, reason", [
    (*_with(lambda f: f + [{"name": "note", "type": "string"}], lambda r: r | {"note": None}),
     {}, "major", "new field", "new field items.note"),
    (*_with(lambda f: [f[1], f[0], f[2]]), {}, "major", "re-ordered fields",
     "re-ordered fields of items"),
    (*_with(lambda f: [f[0], dict(f[1], format="email"), f[2]]), {}, "major", "changed format",
     "changed format of items.label"),
    (*_with(lambda f: f), {"more": ([{"name": "k", "type": "string"}], [{"k": "x"}], ["k"])},
     "minor", "new table", "new table more"),
    (*_with(lambda f: [f[0], dict(f[1], constraints={"maxLength": 40}), f[2]]), {}, "minor",
     "loosened constraint", "loosened maxLength of items.label"),
    (*_with(lambda f: [f[0], dict(f[1], description="What it is called."), f[2]]), {}, "patch",
     "descriptive metadata", "changed description of items.label"),
    (*_with(lambda f: f, lambda r: r | {"amount": r["amount"] * 10}), {}, "patch",
     "corrected values", "corrected values in items"),
])
def test_the_version_rule(tmp_path, fields, rows, tables, bump, rule, reason):
    old = items(tmp_path, "a")
    new = make_package(tmp_path / "b", {"items": (fields, rows, ["id"]), **tables})
    r = run(old, new)
    assert r["bump"] == bump
    assert r["decided_by"] == [{"rule": rule, "reason": reason}]
    assert diff.bump_line(r) == f"{bump}: {reason}"


def test_removed_rows_are_major_even_with_new_ones(tmp_path):
    r = run(items(tmp_path, "a"), items(tmp_path, "b", rows=ITEMS[1:] + [
        {"id": "d", "label": "delta", "amount": 4}]))
    assert r["bump"] == "major"
    assert r["decided_by"] == [{"rule": "removed rows", "reason": "removed rows from items"}]


def test_the_report_schema_names_every_rule_and_kind():
    defs = REPORT_SCHEMA["$defs"]
    assert defs["rule"]["enum"] == [r.name for r in rules.RULES]
    assert sorted(defs["change"]["properties"]["kind"]["enum"]) == sorted(rules.Kind)
