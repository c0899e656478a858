"""Conformance: factpack reports the same errors as frictionless-py 5.21.

Every CSV-backed package, resource and schema of frictionless-py's own test
fixtures (``../shared/conformance/frictionless-py-data``) and of our fixtures
(``tests/fixtures/validator``) is validated by both tools; the sets of
``(resource, row, field, code)`` must be equal. A bare CSV is first described
by frictionless (schema, dialect and encoding inferred) and that descriptor is
then validated by both, so both tools judge the same file against the same
schema. Excel, remote http(s), compressed, multipart, inline and JSON tables are
read and compared like any other. Only where factpack does not read a source at
all (an ``sqlite://``, ``ftp://`` or ``s3://`` path, a compression other than gz,
bz2, xz or zip) must it say so with a ``source-error`` naming it "not supported";
that counts as a match for that resource, a silent pass does not.

Run ``python tests/test_conformance.py [NAME…]`` to print both error sets of
each case.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import warnings
from pathlib import Path

import pytest
import yaml

frictionless = pytest.importorskip("frictionless")

from factpack.core.errors import Code, FactpackError
from factpack.validation.run import validate_target

CORPUS = Path(__file__).parents[2] / "shared" / "conformance" / "frictionless-py-data"
FIXTURES = Path(__file__).parent / "fixtures" / "validator"

# Codes about descriptors: compared exactly, on no resource or row (the two tools split one
# metadata problem into different numbers of errors, and frictionless-py reports some on
# the package, some on the resource's task). Codes about reading the data: compared as a
# class, since what stops the reading first differs between the two readers.
METADATA = {"package-error", "resource-error", "schema-error", "field-error", "dialect-error",
            "control-error",
            "checklist-error", "inquiry-error", "report-error", "pipeline-error", "step-error"}
LOADING = {"source-error", "scheme-error", "format-error", "compression-error", "io-error",
           "encoding-error", "hash-count", "byte-count"}

# case name → why factpack differs from frictionless there (keep short and honest).
KNOWN_DIFFERENCES: dict[str, str] = {
    "validator/enum/datapackage.json":
        "v2 categories: Data Package 2.0 makes a value outside them invalid; factpack enforces "
        "them (pink, 3), frictionless 5.21 ignores categories (README, Conformance)",
    "validator/keys/unique-keys.json":
        "frictionless 5.21 does not check a schema's uniqueKeys; factpack does (Table Schema "
        "v2 and DESIGN.md), skipping rows with an empty key part",
    # read since issue 14 (inline data, Excel), so no longer excused as unsupported: the
    # package-level error is frictionless's v4 checks of 'created' (issue 12 item 5)
    "frictionless-py-data/issue-869.json":
        "frictionless checks that 'created' is a datetime (issue 12 item 5, descriptor checks)",
    "frictionless-py-data/multiple-errors.package.json":
        "frictionless checks that 'created' is a datetime (issue 12 item 5, descriptor checks)",
    "frictionless-py-data/number/datapackage.json":
        "NaN against bounds: frictionless's Decimal comparison raises and it reports NaN below "
        "minimum '-99.99' yet not above maximum '1000'; factpack compares as IEEE floats "
        "(NaN breaks no bound)",
}


def _descriptor_kind(path: Path) -> str | None:
    """'package', 'resource' or 'schema' for a Frictionless descriptor file, else None."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if "resources" in data:
        return "package"
    if "path" in data or "data" in data:
        return "resource"
    if "fields" in data:
        return "schema"
    return None


def discover(root: Path) -> list[tuple[str, Path, str]]:
    """(case name, file, kind) for every descriptor and CSV under ``root``."""
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = f"{root.name}/{path.relative_to(root)}"
        if path.suffix in (".json", ".yaml", ".yml"):
            kind = _descriptor_kind(path)
            if kind:
                out.append((name, path, kind))
        elif path.suffix in (".csv", ".tsv"):
            out.append((name, path, "csv"))
    return out


def _cases() -> list[tuple[str, Path, str]]:
    cases = discover(FIXTURES) if FIXTURES.is_dir() else []
    if CORPUS.is_dir():
        cases += discover(CORPUS)
    return cases


def described(csv_path: Path, tmp: Path) -> Path:
    """A resource descriptor for a bare CSV, inferred by frictionless, next to a copy of it."""
    copy = tmp / csv_path.name
    shutil.copyfile(csv_path, copy)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resource = frictionless.describe(copy.name, type="resource", basepath=str(tmp))
        descriptor = resource.to_descriptor()
    except frictionless.FrictionlessException:  # not even describable: both tools read it raw
        descriptor = {"name": "data", "path": copy.name}
    out = tmp / "resource.json"
    out.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return out


def _norm(code: str, resource: str | None, row: int | None, field: str | None) -> tuple:
    if code in METADATA:
        return (None, None, None, code)
    if code in LOADING:
        return (None, None, None, "source-error")
    if code.endswith(("-label", "-header")):
        row = None  # frictionless puts header errors on no row; factpack on the header row
    if code in ("extra-cell", "extra-label", "blank-row", "primary-key", "foreign-key"):
        field = None  # frictionless names no field for row-level errors ('' for an extra cell)
    return (resource, row, field or None, code)


def frictionless_errors(path: Path) -> set[tuple]:
    # frictionless is run from the descriptor's folder with a relative path: given an
    # absolute one it refuses some descriptors as unsafe before reading them
    with warnings.catch_warnings(), contextlib.chdir(path.parent):
        warnings.simplefilter("ignore")
        report = frictionless.validate(path.name, limit_errors=10**9)
    found = {_norm(e.type, None, None, None) for e in report.errors}
    for task in report.tasks:
        for e in task.errors:
            found.add(_norm(e.type, task.name, getattr(e, "row_number", None),
                            getattr(e, "field_name", None)))
    return found


def factpack_errors(path: Path) -> tuple[set[tuple], set[str]]:
    """The normalised error set, and the resources factpack says it does not support.

    A target descriptor factpack cannot read as an object (not JSON or YAML, not an object,
    beyond the size, depth or number bounds) is unusable input, refused in one line with
    exit 2; frictionless-py reports it as a package-error, the same verdict.
    """
    try:
        report = validate_target(path, path.parent)
    except FactpackError:
        return {_norm(Code.PACKAGE, None, None, None)}, set()
    found, unsupported = set(), set()
    for row in report.errors.iter_rows(named=True):
        found.add(_norm(row["code"], row["resource"], row["row"], row["field"]))
        if row["code"] == "source-error" and "not supported" in row["message"]:
            unsupported.add(row["resource"])
    return found, unsupported


def compare(name: str, path: Path, kind: str, tmp: Path) -> tuple[str, set, set]:
    """'match', 'unsupported' or 'mismatch', with both error sets.

    'unsupported': factpack named the unsupported feature in a source-error, and every
    resource it did read has the same errors as frictionless found there.
    """
    target = described(path, tmp) if kind == "csv" else path
    theirs = frictionless_errors(target)
    ours, unsupported = factpack_errors(target)
    if ours == theirs:
        return "match", theirs, ours
    if unsupported:
        def rest(errors: set) -> set:
            return {e for e in errors if e[0] is not None and e[0] not in unsupported}
        if rest(ours) == rest(theirs):
            return "unsupported", theirs, ours
    return "mismatch", theirs, ours


CASES = _cases()
_tally: dict[str, int] = {}


@pytest.mark.parametrize("name,path,kind", CASES, ids=[c[0] for c in CASES])
def test_case(name: str, path: Path, kind: str, tmp_path: Path) -> None:
    outcome, theirs, ours = compare(name, path, kind, tmp_path)
    _tally[outcome] = _tally.get(outcome, 0) + 1
    if outcome == "mismatch" and name in KNOWN_DIFFERENCES:
        _tally["known"] = _tally.get("known", 0) + 1
        pytest.xfail(KNOWN_DIFFERENCES[name])
    assert outcome != "mismatch", (
        f"{name}: only frictionless: {sorted(theirs - ours, key=str)}; "
        f"only factpack: {sorted(ours - theirs, key=str)}")


def test_corpus_present() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"conformance corpus not found at {CORPUS}: only our fixtures were compared")
    assert len([c for c in CASES if c[0].startswith(CORPUS.name)]) > 100


def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the cases (file order): print the tally where the user sees it."""
    n = sum(v for k, v in _tally.items() if k != "known")
    if n == 0:
        pytest.skip("no conformance case ran in this session (deselected?)")
    matched = _tally.get("match", 0) + _tally.get("unsupported", 0)
    with capsys.disabled():
        print(f"\nconformance: {matched}/{n} cases matched ({_tally.get('unsupported', 0)} of "
              f"them unsupported features reported as source-error; "
              f"{_tally.get('known', 0)} known differences, see KNOWN_DIFFERENCES)")
    assert matched + _tally.get("known", 0) == n


if __name__ == "__main__":
    import tempfile

    wanted = sys.argv[1:]
    totals: dict[str, int] = {}
    for name, path, kind in CASES:
        if wanted and not any(w in name for w in wanted):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            try:
                outcome, theirs, ours = compare(name, path, kind, Path(tmp))
            except Exception as exc:  # noqa: BLE001
                outcome, theirs, ours = "crash", {repr(exc)[:300]}, set()
        totals[outcome] = totals.get(outcome, 0) + 1
        if outcome != "match" or wanted:
            print(f"== {outcome}: {name} ({kind})")
            print("   only frictionless:", sorted(theirs - ours, key=str)[:12])
            print("   only factpack:    ", sorted(ours - theirs, key=str)[:12])
    print(totals)
