"""The benchmark's generator (bench/generate.py): seeded, and its injected errors are real.

For every schema profile (key-heavy, narrow-numeric, wide-text), on a small
package (2 000 rows): the same seed gives the same bytes, another seed other
bytes; every error kind of the profile is injected; and the expected error set
it writes is exactly what frictionless-py, the reference, reports. That last
check is what lets the benchmark compare factpack with frictionless-py like with
like: both are held to one known answer.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import warnings
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
PROFILES = ["key-heavy", "narrow-numeric", "wide-text"]
SIZE = 2000
ROW_LEVEL = {"extra-cell", "blank-row", "primary-key", "foreign-key"}


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _spec(gen, profile: str, size: int = SIZE, variant: str = "errors", seed: int = 7):
    actors = 500 if profile == "key-heavy" and size >= 500 else None
    return gen.Spec(size, variant, seed, actors, profile)


@pytest.fixture(scope="module")
def packages(gen, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    return {p: gen.generate(_spec(gen, p), root / p) for p in PROFILES}


def _frictionless_errors(package: Path) -> set[tuple]:
    frictionless = pytest.importorskip("frictionless")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.validate(str(package), limit_errors=10**9)
    assert not report.errors, [e.message for e in report.errors]
    return {(task.name, e.row_number, None if e.type in ROW_LEVEL else e.field_name, e.type)
            for task in report.tasks for e in task.errors}


def test_profiles_are_registered(gen):
    assert list(gen.PROFILES) == PROFILES
    assert gen.DEFAULT_PROFILE == "key-heavy"
    assert gen.Spec(1000).profile == "key-heavy"


@pytest.mark.parametrize("profile", PROFILES)
def test_seeded_and_deterministic(gen, packages, profile, tmp_path):
    first = packages[profile]
    again = gen.generate(_spec(gen, profile), tmp_path / "again")
    assert _files(again.parent) == _files(first.parent)
    other = gen.generate(_spec(gen, profile, seed=8), tmp_path / "other")
    data = [n for n in _files(first.parent) if n.endswith(".csv") and n != "expected-errors.csv"]
    assert data
    assert all(_files(other.parent)[n] != _files(first.parent)[n] for n in data)


def test_key_heavy_bytes_unchanged(gen, tmp_path):
    """key-heavy is the profile of the earlier figures: its files must not drift."""
    pkg = gen.generate(gen.Spec(3000, "errors", 7, 500), tmp_path / "kh")
    digest = {n: hashlib.sha256(b).hexdigest()[:16] for n, b in _files(pkg.parent).items()}
    assert digest["statements.csv"] == "0ca24efef3632784"
    assert digest["actors.csv"] == "84a18f86513cd7c4"


@pytest.mark.parametrize("profile", PROFILES)
def test_every_kind_is_injected(gen, packages, profile):
    expected = gen.expected_errors(packages[profile])
    injected = {(res, field, code) for res, _, field, code in expected}
    for resource, kinds in gen.PROFILES[profile].kinds.items():
        assert {(resource, field, code) for _, code, field in kinds} <= injected, resource
        rows = len({row for res, row, *_ in expected if res == resource})
        total = len(packages[profile].with_name(f"{resource}.csv").read_bytes().splitlines())
        assert 0.005 < rows / total < 0.03, resource
    if profile == "key-heavy":
        assert {code for *_, code in expected} == {
            "type-error", "constraint-error", "unique-error", "primary-key", "foreign-key",
            "missing-cell", "extra-cell", "blank-row"}


@pytest.mark.parametrize("profile", PROFILES)
def test_valid_variant_has_no_errors(gen, profile, tmp_path):
    pkg = gen.generate(_spec(gen, profile, variant="valid"), tmp_path / "valid")
    assert gen.expected_errors(pkg) == set()
    assert _frictionless_errors(pkg) == set()


def test_profile_schemas(gen, packages):
    res = {p: json.loads(packages[p].read_text())["resources"] for p in PROFILES}
    assert res["key-heavy"][1]["schema"]["primaryKey"] == ["actor_id", "date", "seq"]
    narrow = res["narrow-numeric"][0]["schema"]
    assert narrow["primaryKey"] == ["id"]
    assert {f["type"] for f in narrow["fields"]} == {"integer", "number", "boolean", "date"}
    wide = res["wide-text"][0]["schema"]["fields"]
    assert len(wide) == 30 and {f["type"] for f in wide} == {"string"}
    assert {f.get("format") for f in wide} >= {"email", "uri"}
    text = packages["wide-text"].with_name("records.csv").read_text(encoding="utf-8")
    assert '""' in text and '",' in text  # quoted cells with quotes and commas
    assert len(text.splitlines()) > SIZE + 1  # and quoted newlines
    assert any(ord(ch) > 127 for ch in text[:5000])


@pytest.mark.parametrize("profile", PROFILES)
def test_expected_errors_are_what_frictionless_reports(gen, packages, profile):
    pkg = packages[profile]
    assert _frictionless_errors(pkg) == gen.expected_errors(pkg)


@pytest.mark.parametrize("profile", PROFILES)
def test_tiny_errors_variant_still_has_an_error(gen, profile, tmp_path):
    """At 10 rows 1 % rounds to nothing: the errors variant still carries one error."""
    pkg = gen.generate(_spec(gen, profile, size=10), tmp_path / "tiny")
    expected = gen.expected_errors(pkg)
    assert expected
    assert _frictionless_errors(pkg) == expected
