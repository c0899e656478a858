"""The README's "Load a built package" snippets run, in a built package folder, and read it right.

The snippets live in docs/snippets/*.py and docs/load.R, and README.md includes
each verbatim (checked). Python blocks run in a subprocess; the R block runs with
Rscript (skipped, with the reason, where R is not installed; ``.ci/install-r.sh``
installs it). After each block the test reads back the tables it loaded and
requires the same typed rows as ``factpack.load``.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packstore import REPO, release_store, typed_rows

import factpack

HEADING = "## Load a built package"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)

# Appended to each Python block: every dict of tables it made, as plain rows.
PY_EPILOGUE = """
import pickle as _pickle, os as _os
_out = {}
for _var in ("tables", "csv_tables"):
    for _name, _df in dict(globals().get(_var) or {}).items():
        if hasattr(_df, "to_pandas"):  # polars
            _out[(_var, _name)] = (list(_df.columns), _df.rows())
        else:  # pandas
            _out[(_var, _name)] = (list(_df.columns),
                                   list(_df.astype(object).itertuples(index=False, name=None)))
with open(_os.environ["SNIPPET_OUT"], "wb") as _f:
    _pickle.dump(_out, _f)
"""
R_EPILOGUE = """
jsonlite::write_json(
  lapply(tables, function(t) list(columns = names(t), rows = t)),
  Sys.getenv("SNIPPET_OUT"), dataframe = "values", na = "null", digits = NA, Date = "ISO8601",
  auto_unbox = TRUE)
"""


def _section_of(path: Path) -> str | None:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if HEADING not in text.splitlines():
        return None
    body = text.split(HEADING + "\n", 1)[1]
    return re.split(r"^## ", body, maxsplit=1, flags=re.MULTILINE)[0]


def _blocks_of(text: str) -> list[tuple[str, str]]:
    return [(lang.lower(), code) for lang, code in FENCE.findall(text)
            if lang.lower() in ("python", "r")]


def _snippet_files() -> list[Path]:
    return [*sorted((REPO / "docs" / "snippets").glob("*.py")), REPO / "docs" / "load.R"]


def _missing_snippets(text: str) -> list[str]:
    codes = [code for _, code in _blocks_of(text)]
    return [f.relative_to(REPO).as_posix() for f in _snippet_files()
            if f.read_text(encoding="utf-8") not in codes]


def blocks() -> list[tuple[str, str]]:
    """The section's Python and R blocks (none if README.md lacks the section)."""
    return _blocks_of(_section_of(REPO / "README.md") or "")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> tuple[Path, factpack.Package]:
    """A built, published package fetched into a folder of its own, and what load reads."""
    root = tmp_path_factory.mktemp("snippets")
    store, name, version = release_store(root)
    folder = root / "package"
    shutil.copytree(store / name / version, folder)
    return folder, factpack.load(folder)


def test_readme_has_the_snippets():
    readme = _section_of(REPO / "README.md")
    assert readme is not None, f"README.md has no '{HEADING}' section"
    missing = _missing_snippets(readme)
    assert not missing, f"README.md's '{HEADING}' lacks the tested snippets {missing}"
    assert {lang for lang, _ in _blocks_of(readme)} == {"python", "r"}


def _run(cmd: list[str], folder: Path, out: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SNIPPET_OUT": str(out), "FACTPACK_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, f"snippet failed:\n{done.stdout}\n{done.stderr}"
    return done


def _expect_tables(got: dict[str, tuple[list, list]], pkg: factpack.Package, what: str) -> None:
    assert sorted(got) == sorted(pkg.tables), f"{what}: tables {sorted(got)}"
    for table, (columns, rows) in got.items():
        fields = pkg.schema(table)["fields"]
        expected = typed_rows(pkg[table].columns, pkg[table].rows(), fields)
        assert typed_rows(columns, rows, fields) == expected, f"{what}: table {table} differs"


@pytest.mark.parametrize("index", [i for i, (lang, _) in enumerate(blocks()) if lang == "python"])
def test_python_snippet(package, tmp_path, index):
    folder, pkg = package
    code = blocks()[index][1]
    script, out = tmp_path / "snippet.py", tmp_path / "out.pickle"
    script.write_text(code + PY_EPILOGUE, encoding="utf-8")
    done = _run([sys.executable, str(script)], folder, out, tmp_path)
    got = pickle.loads(out.read_bytes())
    if "every CSV opens safely in a spreadsheet" in done.stdout:
        return  # the spreadsheet check: its assertions ran in the block itself
    assert got, "the snippet made no 'tables'"
    for var in {var for var, _ in got}:
        _expect_tables({t: v for (k, t), v in got.items() if k == var}, pkg, var)


@pytest.mark.skipif(shutil.which("Rscript") is None,
                    reason="R is not installed (.ci/install-r.sh installs it from Debian)")
def test_r_snippet_reads_every_table_with_its_types(package, tmp_path):
    folder, pkg = package
    (code,) = [c for lang, c in blocks() if lang == "r"]
    script, out = tmp_path / "snippet.R", tmp_path / "out.json"
    script.write_text(code + R_EPILOGUE, encoding="utf-8")
    _run(["Rscript", "--vanilla", str(script)], folder, out, tmp_path)
    got = json.loads(out.read_text(encoding="utf-8"))
    _expect_tables({t: (v["columns"], v["rows"]) for t, v in got.items()}, pkg, "R")
