"""Hostile or broken descriptors are refused cleanly by ``factpack validate`` (issues 13, 16).

Each case runs the command line as a user would (a subprocess) and checks its contract:
exit 2 and one line naming the file for a descriptor that cannot be used at all, exit 1
and an error record naming the resource or property for a descriptor that breaks a rule;
never a traceback, never ``internal error``, and the limit's reason in the message.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_bad_input import DATASET, make_repo

CSV = "id,name\n1,a\n2,b\n"
FIELDS = [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]


def validate(cwd: Path, *args: str) -> tuple[int, str, str]:
    """``factpack validate ARGS`` in ``cwd``: exit code, stdout, stderr."""
    run = subprocess.run([sys.executable, "-m", "factpack", "validate", *args], cwd=cwd,
                         capture_output=True, text=True, timeout=120, check=False,
                         env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    for text in (run.stdout, run.stderr):
        assert "Traceback" not in text and "internal error" not in text, text
    return run.returncode, run.stdout, run.stderr


def unusable(cwd: Path, name: str) -> str:
    """The target is refused as unusable input: exit 2, one line on stderr, nothing on stdout."""
    code, out, err = validate(cwd, name, "--format", "json")
    assert code == 2 and out == "", (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"factpack: {name}"), err
    return lines[0]


def records(cwd: Path, name: str) -> list[dict]:
    """The target is invalid: exit 1 and its error records (JSON)."""
    code, out, err = validate(cwd, name, "--format", "json")
    assert code == 1, (code, out, err)
    return [e for p in json.loads(out)["packages"] for e in p["errors"]]


def package(tmp_path: Path, text: str, name: str = "datapackage.json") -> str:
    (tmp_path / "data.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    return name


def resource(tmp_path: Path, **props: object) -> str:
    res = {"name": "data", "path": "data.csv", "schema": {"fields": FIELDS}, **props}
    return package(tmp_path, json.dumps({"name": "p", "resources": [res]}))


# Unusable input (exit 2): the descriptor cannot be read as an object at all.

@pytest.mark.parametrize("name,text,words", [
    ("datapackage.json", '{"name": "p", "resources": [{"name": "d", "path": "data.csv",}]}',
     "datapackage.json:1: not valid JSON"),
    ("datapackage.json", '[{"name": "d", "path": "data.csv"}]', "not list"),
    ("datapackage.json", "", "not valid JSON"),
    ("datapackage.yaml", "name: p\nresources: [\n", "datapackage.yaml:3: not valid YAML"),
    ("datapackage.yaml", "", "not empty"),
])
def test_malformed_descriptor_is_unusable_input(tmp_path: Path, name: str, text: str,
                                                words: str) -> None:
    assert words in unusable(tmp_path, package(tmp_path, text, name))


def test_unreadable_zip_is_unusable_input(tmp_path: Path) -> None:
    (tmp_path / "pkg.zip").write_bytes(b"PK\x03\x04 not really a zip")
    assert "zip" in unusable(tmp_path, "pkg.zip")


@pytest.mark.parametrize("name", ["datapackage.json", "datapackage.yaml"])
def test_nesting_100000_deep_is_refused(tmp_path: Path, name: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = (f'{{"name": "p", "resources": [{{"name": "d", "path": "data.csv", "x": {deep}}}]}}'
            if name.endswith(".json") else
            f"name: p\nresources:\n  - name: d\n    path: data.csv\n    x: {deep}\n")
    assert "nested more than 64 levels deep" in unusable(tmp_path, package(tmp_path, text, name))


@pytest.mark.parametrize("name", ["datapackage.json", "datapackage.yaml"])
def test_a_5000_digit_number_is_refused(tmp_path: Path, name: str) -> None:
    big = "9" * 5000
    text = (f'{{"name": "p", "resources": [{{"name": "d", "path": "data.csv", "bytes": {big}}}]}}'
            if name.endswith(".json") else
            f"name: p\nresources:\n  - name: d\n    path: data.csv\n    bytes: {big}\n")
    message = unusable(tmp_path, package(tmp_path, text, name))
    assert "a number of 5000 characters" in message and "at most 100" in message
    if name.endswith(".yaml"):
        assert message.startswith(f"factpack: {name}:5:")  # the line of the number


def test_a_long_yaml_text_starting_with_a_digit_is_text_not_a_number(tmp_path: Path) -> None:
    text = ("name: p\ndescription: 2 " + "words " * 50 + "\nresources:\n  - name: d\n"
            "    path: data.csv\n")
    code, out, err = validate(tmp_path, package(tmp_path, text, "datapackage.yaml"))
    assert code == 0, out + err


# Invalid (exit 1): the descriptor is read, and the rule it breaks is an error record.

def test_base64_encoding_is_a_source_error(tmp_path: Path) -> None:
    [e] = records(tmp_path, resource(tmp_path, encoding="base64"))
    assert (e["code"], e["resource"], e["field"]) == ("source-error", "data", "encoding")
    assert "'base64' is not a text encoding" in e["message"]


def test_unknown_encoding_is_an_encoding_error(tmp_path: Path) -> None:
    [e] = records(tmp_path, resource(tmp_path, encoding="no-such-encoding"))
    assert e["code"] == "encoding-error" and "no-such-encoding" in e["message"]


@pytest.mark.parametrize("value", ["shake_128:abcd", "whirlpool:abcd"])
def test_hash_algorithm_that_cannot_be_checked_is_a_resource_error(tmp_path: Path,
                                                                   value: str) -> None:
    [e] = records(tmp_path, resource(tmp_path, hash=value))
    assert (e["code"], e["field"]) == ("resource-error", "hash")
    assert f"hash algorithm '{value.split(':')[0]}'" in e["message"]


@pytest.mark.parametrize("where", ["title", "description", "field title", "key"])
def test_nul_in_metadata_text_is_refused(tmp_path: Path, where: str) -> None:
    res: dict = {"name": "data", "path": "data.csv", "schema": {"fields": [dict(f) for f in FIELDS]}}
    pkg: dict = {"name": "p", "resources": [res]}
    if where == "title":
        pkg["title"] = "Sales\x00"
    elif where == "description":
        res["description"] = "rows\x00 of sales"
    elif where == "field title":
        res["schema"]["fields"][0]["title"] = "\x00"
    else:
        pkg["x-\x00"] = "custom"
    errors = records(tmp_path, package(tmp_path, json.dumps(pkg)))
    assert [e["code"] for e in errors] == ["package-error"], errors
    assert "NUL character" in errors[0]["message"]
    expected = {"title": "title", "description": "resources.0.description",
                "field title": "resources.0.schema.fields.0.title", "key": "x-\x00"}[where]
    assert errors[0]["field"] == expected


def test_nul_in_a_dataset_is_refused_before_it_can_be_published(tmp_path: Path) -> None:
    make_repo(tmp_path, dataset=DATASET.replace("title: Demo", 'title: "Demo\\0"'))
    errors = records(tmp_path, "datasets/demo")
    assert [(e["code"], e["field"], e["line"]) for e in errors] == [("package-error", "title", 2)]


def test_a_schema_file_that_is_not_json_is_an_error_of_its_package(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"fields": [}', encoding="utf-8")
    [e] = records(tmp_path, resource(tmp_path, schema="schema.json"))
    assert e["code"] == "schema-error" and e["resource"] == "data"
    assert e["path"] == "schema.json" and "not valid JSON" in e["message"]
