"""Differential corpus: small packages written from frictionless-py's spec tests and the
Table Schema / Data Package specs, validated by frictionless-py and by factpack on the fly.

Each case in ``tests/conformance/cases/*.yaml`` is one mapping:

- ``name``: unique, ``area/what-it-checks``;
- ``files``: file name → text, written as UTF-8 into a temporary folder
  (``binary``: file name → base64, for bytes that are not UTF-8);
- one of ``resource`` (a resource descriptor, wrapped in a package named ``case``),
  ``package`` (a whole package descriptor) or ``datapackage`` (the raw text of
  ``datapackage.json``, for syntax cases); ``target`` names another file to validate;
- ``intended``: only where frictionless-py is wrong or silent, why factpack differs.
  An intended case must still differ, so the divergence stays pinned.

The error sets ``(resource, row, field, code)`` are compared as in
``test_conformance.py``. Run ``python tests/test_differential.py [NAME…]`` to print both.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("frictionless")

from test_conformance import factpack_errors, frictionless_errors

CASES_DIR = Path(__file__).parent / "conformance" / "cases"


def load_cases() -> list[dict]:
    cases: list[dict] = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            case["_file"] = file.name
            cases.append(case)
    return cases


def materialise(case: dict, tmp: Path) -> Path:
    """Write the case's files and descriptor into ``tmp``; the path to validate."""
    for name, text in (case.get("files") or {}).items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text, encoding="utf-8", newline="")
    for name, b64 in (case.get("binary") or {}).items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(base64.b64decode(b64))
    descriptor = tmp / "datapackage.json"
    if "datapackage" in case:
        descriptor.write_text(case["datapackage"], encoding="utf-8", newline="")
    elif "package" in case:
        descriptor.write_text(json.dumps(case["package"], indent=2), encoding="utf-8")
    elif "resource" in case:
        package = {"name": "case", "resources": [case["resource"]]}
        descriptor.write_text(json.dumps(package, indent=2), encoding="utf-8")
    return tmp / case["target"] if "target" in case else descriptor


def run_case(case: dict, tmp: Path) -> tuple[set, set]:
    target = materialise(case, tmp)
    return frictionless_errors(target), factpack_errors(target)[0]


CASES = load_cases()
_tally: dict[str, int] = {}


def test_names_unique() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict, tmp_path: Path) -> None:
    theirs, ours = run_case(case, tmp_path)
    for code in (e[3] for e in ours):
        assert "internal" not in code, f"{case['name']}: factpack ended in {code}"
    same = theirs == ours
    _tally["same" if same else "intended"] = _tally.get("same" if same else "intended", 0) + 1
    if "intended" in case:
        assert not same, f"{case['name']} is listed as intended but both tools now agree"
        return
    assert same, (f"{case['name']} ({case['_file']}): only frictionless: "
                  f"{sorted(theirs - ours, key=str)}; only factpack: {sorted(ours - theirs, key=str)}")


def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the cases (file order): the share of identical verdicts, ≥ 96 %."""
    n = sum(_tally.values())
    if n == 0:
        pytest.skip("no differential case ran in this session (deselected?)")
    with capsys.disabled():
        print(f"\ndifferential corpus: {_tally.get('same', 0)}/{n} cases identical to "
              f"frictionless-py, {_tally.get('intended', 0)} intended divergences")
    assert _tally.get("same", 0) / n >= 0.96


if __name__ == "__main__":
    import tempfile

    wanted = sys.argv[1:]
    totals: dict[str, int] = {}
    for case in CASES:
        if wanted and not any(w in case["name"] for w in wanted):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            try:
                theirs, ours = run_case(case, Path(tmp))
                outcome = "same" if theirs == ours else ("intended" if "intended" in case else "DIFF")
            except Exception as exc:  # noqa: BLE001
                outcome, theirs, ours = "CRASH", {repr(exc)[:300]}, set()
        totals[outcome] = totals.get(outcome, 0) + 1
        if outcome != "same" or wanted:
            print(f"== {outcome}: {case['name']}")
            print("   only frictionless:", sorted(theirs - ours, key=str)[:12])
            print("   only factpack:    ", sorted(ours - theirs, key=str)[:12])
    print(totals)
