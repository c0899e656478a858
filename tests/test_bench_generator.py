"""The benchmark's generator (bench/generate.py): seeded, and its injected errors are real.

On a tiny package (3 000 statements, 500 actors): the same seed gives the same
bytes, another seed other bytes; every error kind is injected; and the expected
error set it writes is exactly what frictionless-py, the reference, reports.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def tiny(gen, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "pkg"
    return gen.generate(gen.Spec(3000, "errors", seed=7, actors=500), out)


def test_seeded_and_deterministic(gen, tiny, tmp_path):
    again = gen.generate(gen.Spec(3000, "errors", seed=7, actors=500), tmp_path / "again")
    assert _files(again.parent) == _files(tiny.parent)
    other = gen.generate(gen.Spec(3000, "errors", seed=8, actors=500), tmp_path / "other")
    assert _files(other.parent)["statements.csv"] != _files(tiny.parent)["statements.csv"]


def test_every_kind_is_injected(gen, tiny):
    expected = gen.expected_errors(tiny)
    codes = {code for *_, code in expected}
    assert codes == {"type-error", "constraint-error", "unique-error", "primary-key",
                     "foreign-key", "missing-cell", "extra-cell", "blank-row"}
    by_field = {(res, field) for res, _, field, code in expected if code == "constraint-error"}
    assert {("statements", f) for f in ("source_url", "kind", "code", "amount", "confidence",
                                        "date", "quote")} <= by_field
    rows = len(tiny.with_name("statements.csv").read_bytes().splitlines())
    assert 0.005 < sum(r == "statements" for r, *_ in expected) / rows < 0.03


def test_valid_variant_has_no_errors(gen, tmp_path):
    pkg = gen.generate(gen.Spec(2000, "valid", seed=7, actors=300), tmp_path / "valid")
    assert gen.expected_errors(pkg) == set()
    assert json.loads(pkg.read_text())["resources"][1]["schema"]["primaryKey"] == [
        "actor_id", "date", "seq"]


def test_expected_errors_are_what_frictionless_reports(gen, tiny):
    frictionless = pytest.importorskip("frictionless")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.validate(str(tiny), limit_errors=10**9)
    row_level = {"extra-cell", "blank-row", "primary-key", "foreign-key"}
    found = {(task.name, e.row_number, None if e.type in row_level else e.field_name, e.type)
             for task in report.tasks for e in task.errors}
    assert not report.errors
    assert found == gen.expected_errors(tiny)
