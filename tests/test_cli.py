"""The ``factpack validate`` command: output formats, --max-errors, exit codes.

One test runs the real ``python -m factpack`` in a subprocess (exit codes and no
traceback as a user sees them); the rest call the CLI's entry point in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factpack.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "validator"
CONSTRAINTS = FIXTURES / "constraints" / "datapackage.json"  # 22 errors, all kinds
TYPES = FIXTURES / "types" / "datapackage.json"


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["factpack", *args])
    monkeypatch.delenv("FACTPACK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return exit_.value.code, out.out, out.err


def test_python_dash_m_exit_codes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    env.pop("FACTPACK_DEBUG", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "factpack", "validate", *args],
                              cwd=tmp_path, capture_output=True, text=True, env=env,
                              timeout=300, check=False)

    bare_csv = FIXTURES / "missing" / "values.csv"  # a bare CSV: structure only, and sound
    # brackets in a message are text, not rich markup: '[data]' vanished, as did '[s3]'
    invalid, missing = run(str(CONSTRAINTS)), run(str(tmp_path / "nope[data].json"))
    valid = run(str(bare_csv))
    assert invalid.returncode == 1 and "constraint-error" in invalid.stdout
    assert missing.returncode == 2 and "nope[data].json" in missing.stderr
    assert valid.returncode == 0 and "valid" in valid.stdout
    for proc in (invalid, missing, valid):
        assert "Traceback" not in proc.stdout + proc.stderr
    # validate leaves the process without tearing the interpreter down: all output is there
    as_json = run(str(CONSTRAINTS), "--format", "json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["packages"][0]["error_count"] == 22


def test_valid_package_exits_0(monkeypatch, capsys, tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("id,name\n1,a\n2,b\n")
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "ok", "resources": [
        {"name": "data", "path": "data.csv", "schema": {"fields": [
            {"name": "id", "type": "integer"}, {"name": "name", "type": "string"}],
            "primaryKey": ["id"]}}]}))
    code, out, _ = cli(monkeypatch, capsys, "validate", str(tmp_path / "datapackage.json"))
    assert code == 0 and "valid" in out


def test_json_records_and_exact_counts(monkeypatch, capsys) -> None:
    code, out, _ = cli(monkeypatch, capsys, "validate", str(CONSTRAINTS), "--format", "json")
    report = json.loads(out)
    pkg = report["packages"][0]
    assert code == 1 and report["valid"] is False
    assert pkg["error_count"] == len(pkg["errors"]) > 10
    assert sum(pkg["counts"]["by_code"].values()) == pkg["error_count"]
    for e in pkg["errors"]:  # every record names code, file and (for a cell) row, line, field
        assert {"code", "message", "path"} <= e.keys()
        if e["code"] in ("type-error", "constraint-error"):
            assert {"row", "line", "field"} <= e.keys()
            assert f"{e['path']}:{e['line']}" in e["message"]


def test_max_errors_caps_listing_not_counts(monkeypatch, capsys) -> None:
    _, full, _ = cli(monkeypatch, capsys, "validate", str(CONSTRAINTS), "--format", "json")
    code, capped, _ = cli(monkeypatch, capsys, "validate", str(CONSTRAINTS), "--format",
                          "json", "--max-errors", "3")
    full_pkg, pkg = json.loads(full)["packages"][0], json.loads(capped)["packages"][0]
    assert code == 1 and len(pkg["errors"]) == 3 and pkg["truncated"] is True
    assert pkg["error_count"] == full_pkg["error_count"] > 3
    assert pkg["counts"] == full_pkg["counts"]
    assert pkg["errors"] == full_pkg["errors"][:3]


def test_github_annotations(monkeypatch, capsys) -> None:
    code, out, _ = cli(monkeypatch, capsys, "validate", str(TYPES), "--format", "github",
                       "--max-errors", "5")
    lines = out.splitlines()
    annotations = [x for x in lines if x.startswith("::error ")]
    assert code == 1 and len(annotations) == 5
    first = annotations[0]
    assert first.startswith("::error file=") and ",line=" in first
    assert ",col=" not in first  # GitHub reads col as a character column: none rather than wrong
    assert "::" in first[len("::error "):]  # properties, then the message
    assert "first 5 listed" in lines[-1]


def test_text_table_and_counts(monkeypatch, capsys) -> None:
    code, out, _ = cli(monkeypatch, capsys, "validate", str(CONSTRAINTS), "--max-errors", "2")
    assert len(out.splitlines()) == 3  # off a terminal: a line per listed error, one summary
    assert code == 1
    assert "22 error(s)" in out and "more not listed" in out
    assert "counts:" in out and "constraint-error 14" in out


@pytest.mark.parametrize("option,says", [(["--format", "xml"], "xml"),
                                         (["--max-errors", "-1"], "--max-errors")])
def test_bad_option_is_usage_error(monkeypatch, capsys, option: list[str], says: str) -> None:
    code, _, err = cli(monkeypatch, capsys, "validate", str(CONSTRAINTS), *option)
    assert code == 2 and says in err


def test_several_targets_one_invalid(monkeypatch, capsys, tmp_path: Path) -> None:
    code, out, _ = cli(monkeypatch, capsys, "validate", str(CONSTRAINTS), str(TYPES),
                       "--format", "json")
    report = json.loads(out)
    assert code == 1 and [p["name"] for p in report["packages"]] == ["constraints", "types"]


def test_output_cut_by_the_reader_is_not_an_error_message(tmp_path: Path) -> None:
    # `factpack validate … | head -1`: the reader closes the pipe early; factpack must stop
    # quietly, not print "[Errno 32] Broken pipe" into the CI log.
    rows = "".join(f"x{i}\n" for i in range(20000))
    (tmp_path / "d.csv").write_text("id\n" + rows)
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [{
        "name": "d", "path": "d.csv", "schema": {"fields": [{"name": "id", "type": "integer"}]}}]}))
    done = subprocess.run(f"'{sys.executable}' -m factpack validate datapackage.json | head -1",
                          shell=True, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.stdout.count("\n") == 1 and "type-error" in done.stdout
    assert "Broken pipe" not in done.stderr and "internal error" not in done.stderr, done.stderr


@pytest.mark.parametrize("given, seen", [(None, "1"), ("4", "4")])
def test_the_command_line_keeps_openblas_from_spinning_threads(given, seen) -> None:
    # numpy, where pyarrow loads it, would start OpenBLAS threads that compete for the cores
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(Path(__file__).parents[1] / "src")
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    probe = ("import os, factpack.cli as cli; "
             "cli.main = lambda: print(os.environ.get('OPENBLAS_NUM_THREADS')); cli.run()")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, timeout=300, check=True)
    assert done.stdout.strip() == seen
