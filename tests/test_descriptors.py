"""Descriptors are read as what they are (JSON as JSON, YAML as YAML) and bounded by design.

A descriptor comes from whoever wrote the package: a syntax error is reported with its
line, and one built to exhaust memory or the stack (nested aliases, deep nesting, sheer
size) is refused with a clear error before it can grow. A target descriptor that cannot
be read as an object is unusable input (:class:`FactpackError`, exit 2), naming the file
and line; a schema or dialect file that cannot be read is an error record of its package.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factpack.core.errors import FactpackError
from factpack.descriptors import read
from factpack.descriptors.load import load_package

CSV = "id,name\n1,a\n"
RESOURCE = {"name": "d", "path": "d.csv", "schema": {"fields": [
    {"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}}


def package(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "d.csv").write_text(CSV, encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only_error(path: Path):
    pkg = load_package(path)
    assert len(pkg.errors) == 1, pkg.errors
    return pkg.errors[0]


def refused(path: Path) -> str:
    """The one-line message a target descriptor that cannot be read is refused with."""
    with pytest.raises(FactpackError) as exc:
        load_package(path)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(path.name), message
    return message


def test_tab_indented_json_is_valid_json(tmp_path):
    text = json.dumps({"name": "p", "resources": [RESOURCE]}, indent="\t")
    pkg = load_package(package(tmp_path, "datapackage.json", text))
    assert pkg.errors == [] and [r.name for r in pkg.resources] == ["d"]
    _, lines = read.read_descriptor(tmp_path / "datapackage.json")
    assert lines[("resources", 0, "path")] == text.splitlines().index('\t\t\t"path": "d.csv",') + 1


def test_json_with_a_trailing_comma_is_an_error_with_its_line(tmp_path):
    text = '{\n  "name": "p",\n  "resources": [{"name": "d", "path": "d.csv",}]\n}\n'
    message = refused(package(tmp_path, "datapackage.json", text))
    assert message.startswith("datapackage.json:3: not valid JSON")


def test_yaml_is_read_as_yaml(tmp_path):
    text = "name: p\nresources:\n  - name: d\n    path: d.csv\n"
    pkg = load_package(package(tmp_path, "datapackage.yaml", text))
    assert pkg.errors == [] and pkg.resources[0].name == "d"


def test_yaml_aliases_are_refused_before_they_expand(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):  # 9**10 strings if expanded
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 9) + "]")
    lines.append("resources: [*l9]")
    message = refused(package(tmp_path, "datapackage.yaml", "\n".join(lines) + "\n"))
    assert message.startswith("datapackage.yaml:2:") and "aliases" in message


@pytest.mark.parametrize("name,depth", [("datapackage.json", 100_000), ("datapackage.json", 65),
                                        ("datapackage.yaml", 100_000)])
def test_deep_nesting_is_refused(tmp_path, name, depth):
    text = "[" * depth + "]" * depth
    assert "levels deep" in refused(package(tmp_path, name, text))


def test_an_oversized_descriptor_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "DESCRIPTOR_LIMIT", 1000)
    text = json.dumps({"name": "p", "resources": [RESOURCE], "description": "x" * 2000})
    assert "larger than" in refused(package(tmp_path, "datapackage.json", text))


def test_a_descriptor_that_is_not_utf8_is_an_error(tmp_path):
    path = package(tmp_path, "datapackage.json", "")
    path.write_bytes('{"name": "caf\u00e9", "resources": []}'.encode("latin-1"))
    assert "not UTF-8" in refused(path)


def test_a_lone_resource_descriptor_names_the_line_of_its_error(tmp_path):
    # the line map of a JSON descriptor is made only when an error asks for a line, and a
    # lone resource is read as the package of one: its key paths move under resources[0]
    (tmp_path / "d.csv").write_text("id\n1\n")
    text = json.dumps({"name": "d", "path": "d.csv", "schema": {"fields": [
        {"name": "id", "type": "integr"}]}}, indent=2)
    pkg = load_package(package(tmp_path, "resource.json", text))
    wrong = [e for e in pkg.errors if e.line is not None]
    assert wrong, pkg.errors
    at = next(i for i, x in enumerate(text.splitlines(), 1) if '"integr"' in x)
    assert wrong[0].line == at, (wrong[0], text)
