"""factpack in other people's CI, for real: the pre-commit hook through ``pre-commit try-repo``,
and the GitHub Action's own steps run by bash as a runner would (install from the action's
ref into a bare venv, then validate). Both install factpack from this repository with pip,
so they also show that ``pip install .`` gives a working ``factpack validate``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}


def write_package(folder: Path, rows: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text(rows, encoding="utf-8")
    (folder / "datapackage.json").write_text(json.dumps(
        {"name": "demo", "resources": [{"name": "data", "path": "data.csv", "schema": SCHEMA}]}))


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"})


def test_pre_commit_hook_fails_on_an_invalid_table_and_passes_once_fixed(tmp_path):
    user = tmp_path / "user"
    write_package(user, "id,name\n1,a\nx,b\n")
    git(user, "init", "-q")
    git(user, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def hook() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(Path(sys.executable).parent / "pre-commit"), "try-repo", str(REPO),
             "factpack-validate", "--all-files"],
            cwd=user, env=env, capture_output=True, text=True, timeout=1200, check=False)

    failed = hook()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "type-error" in failed.stdout and "data.csv" in failed.stdout
    (user / "data.csv").write_text("id,name\n1,a\n2,b\n", encoding="utf-8")
    git(user, "add", ".")
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "factpack validate" in passed.stdout and "Passed" in passed.stdout


def action_steps() -> list[dict]:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    return action["runs"]["steps"]


def run_step(step: dict, env: dict[str, str], cwd: Path, inputs: dict[str, str]) -> subprocess.CompletedProcess:
    """One composite step as the runner runs it: ``${{ … }}`` only in ``env``, the script by bash."""
    values = {"github.action_path": str(REPO), **{f"inputs.{k}": v for k, v in inputs.items()}}
    step_env = {k: values[v.strip("${} ")] for k, v in step.get("env", {}).items()}
    assert "${{" not in step["run"], "inputs must reach the script as environment variables"
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env={**env, **step_env},
                          capture_output=True, text=True, timeout=1200, check=False)


def test_github_action_installs_from_its_ref_and_annotates_errors(tmp_path):
    venv = tmp_path / "venv"  # a bare runner: only Python
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
           "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    work = tmp_path / "work"
    write_package(work / "good", "id,name\n1,a\n")
    write_package(work / "bad", "id,name\n1,a\nx,b\n")
    install, validate = action_steps()
    done = run_step(install, env, work, {})
    assert done.returncode == 0, done.stderr
    assert shutil.which("factpack", path=str(venv / "bin"))
    bad = run_step(validate, env, work, {"paths": "good/datapackage.json bad/datapackage.json",
                                         "max-errors": "1000"})
    assert bad.returncode == 1, bad.stderr
    annotations = [line for line in bad.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 1 and "file=bad/data.csv" in annotations[0]
    assert "line=3" in annotations[0] and "type-error" in annotations[0]
    good = run_step(validate, env, work, {"paths": "good/datapackage.json", "max-errors": "1000"})
    assert good.returncode == 0, good.stdout + good.stderr
    # What a CI user downloads for validation: the core, without the publishing extras.
    site_packages = next((venv / "lib").glob("python*/site-packages"))
    for heavy in ("pandas", "matplotlib", "jinja2", "frictionless"):
        assert not (site_packages / heavy).exists(), f"{heavy} is not needed to validate"
    # The rest of the command line works there too, and a command of a missing extra says
    # which extra to install (it printed 'internal error' for --version and -h).
    factpack = str(venv / "bin" / "factpack")
    for args in (["--version"], ["-h"], ["build", "-h"]):
        done = subprocess.run([factpack, *args], capture_output=True, text=True, cwd=work,
                              check=False, env=env, timeout=300)
        assert done.returncode == 0 and "internal error" not in done.stderr, (args, done.stderr)
    done = subprocess.run([factpack, "build"], capture_output=True, text=True, cwd=work,
                          check=False, env=env, timeout=300)
    assert done.returncode == 2 and "pip install 'factpack[publish]'" in done.stderr


@pytest.mark.parametrize("paths", ["good/datapackage.json; touch pwned", "$(touch pwned)"])
def test_action_inputs_are_data_not_code(tmp_path, paths):
    work = tmp_path / "work"
    write_package(work / "good", "id,name\n1,a\n")
    _, validate = action_steps()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run_step(validate, env, work, {"paths": paths, "max-errors": "1000"})
    assert not (work / "pwned").exists()
