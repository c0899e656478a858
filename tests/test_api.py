"""The Python API: ``factpack.validate(target)`` gives what ``factpack validate`` reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import factpack
from factpack.core.errors import ErrorRecord, FactpackError


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "d.csv").write_text("id,born\n1,2020-01-02\nx,2020-13-01\n1,\n")
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [{
        "name": "d", "path": "d.csv", "schema": {"primaryKey": ["id"], "fields": [
            {"name": "id", "type": "integer"}, {"name": "born", "type": "date"}]}}]}))
    return tmp_path / "datapackage.json"


def test_validate_reports_what_the_command_line_reports(package: Path):
    result = factpack.validate(package)
    assert isinstance(result, factpack.Result) and result.valid is False
    assert all(isinstance(e, ErrorRecord) for e in result.errors)
    found = {(e.row, e.field, e.code) for e in result.errors}
    assert {(3, "id", "type-error"), (3, "born", "type-error"), (4, "id", "primary-key")} <= found
    done = subprocess.run([sys.executable, "-m", "factpack", "validate", "--format", "json",
                           str(package)], capture_output=True, text=True, check=False)
    doc = json.loads(done.stdout)["packages"][0]
    assert done.returncode == 1
    assert result.counts == doc["counts"]
    assert [e.model_dump(exclude_none=True) for e in result.errors] == [
        {k: v for k, v in e.items() if v is not None} for e in doc["errors"]]
    assert result.report.errors.height == len(result.errors)


def test_validate_of_a_valid_package(package: Path):
    (package.parent / "d.csv").write_text("id,born\n1,2020-01-02\n")
    result = factpack.validate(str(package))
    assert result.valid and result.errors == [] and result.counts["by_code"] == {}


def test_unusable_input_raises(tmp_path: Path):
    with pytest.raises(FactpackError, match="no such"):
        factpack.validate(tmp_path / "missing.json")


def test_the_function_survives_importing_the_stage():
    import factpack.validation.run  # the stage package has its own name: no clash

    assert callable(factpack.validate) and factpack.validate is factpack.validation.run.validate
