"""A release zip holds its package at the root, as frictionless-py reads a zipped package, and
``factpack validate``, ``diff`` and ``load`` take a zip. Released zips made with the earlier
layout (every file under ``<name>-<version>/``) keep their bytes."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from test_build import build_repo, copy_repo

import factpack
from factpack.build.output import write_zip
from factpack.release.diff import diff_specs
from factpack.validation.run import validate_target

FRICTIONLESS = Path(sys.executable).with_name("frictionless")


@pytest.fixture(scope="module")
def zipped(tmp_path_factory) -> tuple[Path, Path]:
    repo = copy_repo(tmp_path_factory.mktemp("z") / "repo")
    folder = build_repo(repo)
    return folder, folder.parent / f"{folder.parent.name}-{folder.name}.zip"


def test_the_zip_holds_the_package_at_its_root(zipped):
    folder, archive = zipped
    names = zipfile.ZipFile(archive).namelist()
    assert "datapackage.json" in names and not any(n.startswith(f"{folder.parent.name}-")
                                                   for n in names)


def test_frictionless_validates_every_resource_of_the_zip(zipped):
    folder, archive = zipped
    resources = json.loads((folder / "datapackage.json").read_text())["resources"]
    done = subprocess.run([str(FRICTIONLESS), "validate", "--json", str(archive)],
                          capture_output=True, text=True, check=False, timeout=600)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["valid"]
    assert len(report["tasks"]) == len(resources)  # every resource, not only CHANGELOG.md


def test_factpack_validate_takes_a_zip_and_names_files_inside_it(zipped, tmp_path):
    _, archive = zipped
    assert validate_target(str(archive), tmp_path).valid
    bad = tmp_path / "bad.zip"  # a CSV inside no longer matches its declared hash
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data + b"x,y\n" if info.filename.endswith("places.csv") else data)
    before = set(Path(tempfile.gettempdir()).glob("factpack-zip-*"))
    report = validate_target(str(bad), tmp_path)
    paths = set(report.errors.get_column("path").drop_nulls())
    assert not report.valid and "bad.zip/data/places.csv" in paths
    assert set(Path(tempfile.gettempdir()).glob("factpack-zip-*")) == before  # removed


def test_validate_of_a_broken_zip_is_unusable_input(tmp_path):
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 not really")
    done = subprocess.run([sys.executable, "-m", "factpack", "validate", str(tmp_path / "not.zip")],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 2 and "not.zip" in done.stderr and "Traceback" not in done.stderr


def test_diff_and_load_take_a_zip(zipped, tmp_path):
    folder, archive = zipped
    assert diff_specs(str(archive), str(folder), tmp_path)["identical"]
    pkg = factpack.load(archive)
    assert set(pkg.tables) == {"places", "readings", "visits"}


def test_the_earlier_nested_layout_is_still_read(zipped, tmp_path):
    folder, _ = zipped
    nested = tmp_path / "old.zip"
    write_zip(folder, nested, "mini-places-0.1.0")
    assert all(n.startswith("mini-places-0.1.0/") for n in zipfile.ZipFile(nested).namelist())
    assert validate_target(str(nested), tmp_path).valid
    assert diff_specs(str(nested), str(folder), tmp_path)["identical"]
