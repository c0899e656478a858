"""`factpack validate` loads only what validation uses: a list of modules it must not import,
checked in a fresh process (what it imports, not how long it takes)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "factpack"
NOT_ON_THE_VALIDATE_PATH = [
    "pandas", "duckdb", "jinja2", "matplotlib", "markdown_it", "frictionless", "httpx",
    "pycountry", "langcodes", "pyarrow.parquet",
    "yaml",  # a JSON descriptor is read without PyYAML; its line map is made only for an error
    # the command line's own: a plain `validate` runs without the typer app (commands/fast.py)
    "typer", "click", "rich", "pygments", "shellingham",
    "factpack.build", "factpack.release", "factpack.access", "factpack.site",
    "factpack.commands.build", "factpack.commands.diff", "factpack.commands.publish",
    "factpack.commands.fetch", "factpack.commands.app", "factpack.commands.validate",
    "factpack.validation.rules",
]
# modules only a report form needs: the others must not load them
ONLY_FOR_THEIR_FORM = {form: [m for uses, m in (("github", "html"), ("junit", "xml.etree"))
                              if uses != form] for form in ("text", "json", "github", "junit")}
PROBE = """
import json, sys
sys.argv = ["factpack", "validate", *sys.argv[1:]]
from factpack.cli import main
try:
    main()
except SystemExit:
    pass
from factpack.spec import models
built = [m for m in ("DatasetMeta", "TitledContributor", "TitledSource")
         if getattr(models, m).__pydantic_complete__]
print(json.dumps(built), file=sys.stderr)
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "d.csv").write_text("id,name,born\n1,a,2020-01-02\nx,b,2020-13-01\n")
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [{
        "name": "d", "path": "d.csv", "schema": {"primaryKey": ["id"], "fields": [
            {"name": "id", "type": "integer"}, {"name": "name", "type": "string"},
            {"name": "born", "type": "date"}]}}]}))
    return tmp_path / "datapackage.json"


@pytest.mark.parametrize("form", ["text", "json", "github", "junit"])
def test_validate_imports_nothing_it_does_not_use(package, form):
    done = subprocess.run([sys.executable, "-c", PROBE, str(package), "--format", form],
                          capture_output=True, text=True, check=True, timeout=300)
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "type-error" in done.stdout  # it did validate
    wrong = [m for m in NOT_ON_THE_VALIDATE_PATH + ONLY_FOR_THEIR_FORM.get(form, [])
             if m in loaded]
    assert not wrong, f"factpack validate imported {wrong}"
    # a repository's own dataset models are built when first used, not at start-up
    assert json.loads(done.stderr.strip().splitlines()[-2]) == []


@pytest.mark.parametrize("stage", ["core", "spec", "descriptors", "validation"])
def test_the_validate_stages_never_import_numpy(stage):
    # pyarrow loads numpy by itself where it is installed; a core install has none.
    for path in (SRC / stage).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "numpy" for n in names), path
