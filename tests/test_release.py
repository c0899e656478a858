"""Releases walked through a temporary git repository: 1.0.0 → 1.1.0 (rows added) → 1.1.1
(a value corrected) → 2.0.0 (a column renamed). Ledger, bump checks, refusals, byte-identical
rebuilds from history, an immutable and atomic store, and a store recreated from a clone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from factpack import cli
from factpack.core.errors import FactpackError
from factpack.release import diff, ledger, publish, store

SRC = Path(__file__).resolve().parents[1] / "src"
DAY = "2026-11-24"

DATASET = """\
name: toy
title: Toy records
version: {version}
description: A toy dataset for the release tests.
created: "2026-01-01T00:00:00Z"
keywords: [test]
licenses:
  - name: CC-BY-4.0
    path: https://creativecommons.org/licenses/by/4.0/
    title: Creative Commons Attribution 4.0 International
contributors:
  - title: factpack contributors
    roles: [creator]
sources:
  - title: Made up for tests
    path: https://example.org/toy
resources: [items]
"""

SCHEMA = """\
$schema: https://datapackage.org/profiles/2.0/tableschema.json
title: Items
description: Toy items.
fields:
  - name: id
    type: string
    title: ID
    description: Identifier.
    constraints: {{required: true, unique: true}}
  - name: {label}
    type: string
    title: Label
    description: A label.
  - name: amount
    type: integer
    title: Amount
    description: How many.
primaryKey: [id]
"""

ROWS_1_0_0 = [("a", "alpha", 1), ("b", "beta", 2), ("c", "gamma", 3)]
ROWS_1_1_0 = ROWS_1_0_0 + [("d", "delta", 4), ("e", "epsilon", 5)]
ROWS_1_1_1 = [r if r[0] != "b" else ("b", "beta", 20) for r in ROWS_1_1_0]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(autouse=True)
def git_identity(monkeypatch):
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "test@example.org")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


def write_version(repo: Path, version: str, rows, label: str = "label",
                  changelog: bool = True, commit: bool = True) -> str | None:
    """The toy dataset at ``version``; committed (returns the sha) unless told otherwise."""
    ds = repo / "datasets" / "toy"
    (ds / "data").mkdir(parents=True, exist_ok=True)
    (repo / "schemas").mkdir(exist_ok=True)
    (ds / "dataset.yaml").write_text(DATASET.format(version=version))
    (repo / "schemas" / "items.yaml").write_text(SCHEMA.format(label=label))
    lines = [f"id,{label},amount"] + [f"{i},{lab},{n}" for i, lab, n in rows]
    (ds / "data" / "items.csv").write_text("\n".join(lines) + "\n")
    log = ds / "CHANGELOG.md"
    text = log.read_text() if log.exists() else "# Changelog\n"
    if changelog and f"## {version}" not in text:
        head, _, rest = text.partition("\n")
        text = f"{head}\n\n## {version} — {DAY}\n\nChanges of {version}.\n{rest}"
    log.write_text(text)
    if not commit:
        return None
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"toy {version}")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("/build/\n")  # as the project's: src/factpack/build/ is code
    write_version(repo, "1.0.0", ROWS_1_0_0)
    return repo


def release(repo: Path, store_path: Path, **kw) -> list[str]:
    """Publish, then commit the ledger (as a maintainer would)."""
    done = publish.publish(repo, store_path, today=DAY, **kw)
    if git(repo, "status", "--porcelain", "--", "datasets/toy/releases.json"):
        git(repo, "add", "datasets/toy/releases.json")
        git(repo, "commit", "-q", "-m", "ledger")
    return done


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a store (its lock file aside), for before/after comparisons."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != store.LOCK}


def test_history_of_four_versions(repo, tmp_path):
    site = tmp_path / "site"
    c100 = git(repo, "rev-parse", "HEAD")
    assert release(repo, site) == ["published toy 1.0.0", ("released toy 1.0.0: appended to "
                                   "datasets/toy/releases.json (commit it)")]
    book = ledger.read_ledger(repo, "toy")
    assert [(r.version, r.commit, r.released_on) for r in book.releases] == [("1.0.0", c100, DAY)]
    assert set(book.releases[0].files) == {
        "datapackage.json", "data/items.csv", "data/items.parquet", "README.md", "CHANGELOG.md",
        "toy.sqlite", "toy-1.0.0.zip"}

    # Rows added without a bump: CI's check fails, and so does a publish.
    write_version(repo, "1.0.0", ROWS_1_1_0)
    problems = publish.check(repo)
    assert len(problems) == 1 and "not bumped" in problems[0] and "1.1.0" in problems[0]
    before = snapshot(site)
    with pytest.raises(FactpackError, match="not bumped"):
        release(repo, site)
    write_version(repo, "1.0.1", ROWS_1_1_0)
    with pytest.raises(FactpackError, match="too small.*minor bump, to at least 1.1.0"):
        release(repo, site)
    assert "too small" in publish.check(repo)[0]
    assert snapshot(site) == before

    write_version(repo, "1.1.0", ROWS_1_1_0)
    assert publish.check(repo) == []
    release(repo, site)
    write_version(repo, "1.1.1", ROWS_1_1_1)
    release(repo, site)
    write_version(repo, "1.2.0", ROWS_1_1_1, label="name")
    with pytest.raises(FactpackError, match="major bump, to at least 2.0.0"):
        release(repo, site)
    write_version(repo, "2.0.0", ROWS_1_1_1, label="name")
    release(repo, site)
    assert publish.check(repo) == []

    # Diffs and required bumps between released versions, as `factpack diff` finds them.
    def between(a: str, b: str) -> dict:
        return diff.diff_specs(f"toy@{a}", f"toy@{b}", repo, store=site)

    r = between("1.0.0", "1.1.0")
    assert r["bump"] == "minor" and r["tables"][0]["added"] == 2
    r = between("1.1.0", "1.1.1")
    assert r["bump"] == "patch"
    assert r["tables"][0]["changed_rows"] == [
        {"key": {"id": "b"}, "cells": {"amount": {"old": 2, "new": 20}}}]
    r = between("1.1.1", "2.0.0")
    assert r["bump"] == "major" and r["tables"][0]["changed"] == 0
    assert [(c["kind"], c["old"], c["new"]) for c in r["schema_changes"]] == [
        ("column-renamed", "label", "name")]

    # The store: every version, its diff from the previous one, hashes that match the files.
    catalog = json.loads((site / "catalog.json").read_text())
    toy = catalog["datasets"]["toy"]
    assert toy["latest"] == "2.0.0" and list(toy["versions"]) == ["1.0.0", "1.1.0", "1.1.1",
                                                                   "2.0.0"]
    assert toy["versions"]["1.0.0"]["diff"] is None
    assert toy["versions"]["1.1.1"]["changelog"].startswith("## 1.1.1")
    for ver, entry in toy["versions"].items():
        listed = entry["files"] + [entry["zip"]]
        assert {f["path"] for f in entry["files"]} == {
            f"toy/{ver}/{p}" for p in ledger.package_files(site / "toy" / ver)}
        for f in listed:
            h = ledger.file_hash(site / f["path"])
            assert (h.sha256, h.bytes) == (f["sha256"], f["bytes"])
        if entry["diff"]:
            report = json.loads((site / entry["diff"]).read_text())
            assert report["new"]["label"] == f"toy@{ver}"
    saved = json.loads((site / "toy" / "1.1.0.diff.json").read_text())
    assert saved["bump"] == "minor" and saved["old"]["label"] == "toy@1.0.0"

    # 1.0.0 rebuilds byte for byte from its commit, with today's code.
    book = ledger.read_ledger(repo, "toy")
    folder, zip_path = ledger.rebuild(repo, "toy", book.get("1.0.0"), tmp_path)
    assert ledger.file_hashes(folder, zip_path) == book.get("1.0.0").files
    assert (folder / "data" / "items.csv").read_bytes() == \
        (site / "toy" / "1.0.0" / "data" / "items.csv").read_bytes()

    # Publishing again is a no-op.
    before = snapshot(site)
    assert release(repo, site) == [f"nothing to publish: the store at {site} is up to date"]
    assert snapshot(site) == before

    # A fresh clone recreates the whole store from the ledger and git history alone.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    again = tmp_path / "again"
    done = publish.publish(clone, again, today="2030-01-01")
    assert done == [f"published toy {v}" for v in ("1.0.0", "1.1.0", "1.1.1", "2.0.0")]
    assert snapshot(again) == snapshot(site)


def test_changed_ledger_or_builder_output_fails_the_check(repo, tmp_path, monkeypatch):
    release(repo, tmp_path / "site")
    assert publish.check(repo) == []
    # A ledger entry edited by hand: its hashes no longer match, and history shows the edit.
    path = ledger.ledger_path(repo, "toy")
    path.write_text(path.read_text().replace('"bytes": ', '"bytes": 1', 1))
    problems = publish.check(repo)
    assert len(problems) == 2 and "1.0.0: its ledger entry" in problems[0]
    assert "its inputs or its ledger entry were changed" in problems[1]
    git(repo, "checkout", "-q", "--", str(path))

    # 1.0.1 is built from a commit that holds the code too; then the builder's output drifts.
    shutil.copytree(SRC / "factpack", repo / "src" / "factpack",
                    ignore=shutil.ignore_patterns("__pycache__"))
    write_version(repo, "1.0.1", ROWS_1_0_0)
    release(repo, tmp_path / "site")
    real = ledger.build

    def drifting(dataset_dir, root, out):  # a builder whose README changed format
        folder = real(dataset_dir, root, out)
        with (folder / "README.md").open("a") as fh:
            fh.write("\nnew footer\n")
        return folder

    monkeypatch.setattr(ledger, "build", drifting)
    problems = publish.check(repo)
    assert [p.split(" rebuilt from commit")[0] for p in problems] == ["toy 1.0.0", "toy 1.0.1"]
    assert all("README.md" in p for p in problems)
    assert "the builder's output changed" in problems[1]  # the commit's own code still matches
    with pytest.raises(FactpackError, match="differs from the ledger"):  # 1.0.0: no code
        publish.publish(repo, tmp_path / "fresh", today=DAY)
    assert not (tmp_path / "fresh" / "catalog.json").exists()
    # 1.0.1 can still go into a store: built by its own commit's code, it is the ledger's bytes.
    book = ledger.read_ledger(repo, "toy")
    folder, zip_path = ledger.rebuild(repo, "toy", book.get("1.0.1"), tmp_path, own_code=True)
    assert ledger.file_hashes(folder, zip_path) == book.get("1.0.1").files


def test_a_published_version_never_changes(repo, tmp_path):
    site = tmp_path / "site"
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    release(repo, site)
    # A clone without the ledger commit publishes the same content: the store is unchanged and
    # the clone's ledger records the release as the store lists it.
    before = snapshot(site)
    publish.publish(clone, site, today="2030-01-01")
    assert snapshot(site) == before
    assert ledger.read_ledger(clone, "toy") == ledger.read_ledger(repo, "toy")
    # Another repository releases different records as toy 1.0.0 into the same store.
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    (other / ".gitignore").write_text("/build/\n")
    write_version(other, "1.0.0", ROWS_1_1_1)
    before = snapshot(site)
    with pytest.raises(FactpackError, match="already published in the store with different "
                                            "content"):
        publish.publish(other, site, today=DAY)
    assert snapshot(site) == before
    assert not ledger.ledger_path(other, "toy").exists()


def test_a_failed_publish_leaves_store_and_ledger_as_they_were(repo, tmp_path, monkeypatch):
    site = tmp_path / "site"
    release(repo, site)
    write_version(repo, "1.1.0", ROWS_1_1_0)
    before, ledger_before = snapshot(site), ledger.ledger_path(repo, "toy").read_bytes()
    real_move, calls = store.move, []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # after the version folder, before the zip and the catalog
            raise OSError("disk full (injected)")
        real_move(src, dst)

    monkeypatch.setattr(store, "move", failing)
    with pytest.raises(OSError, match="injected"):
        publish.publish(repo, site, today=DAY)
    assert snapshot(site) == before
    assert sorted(p.name for p in site.iterdir()) == [store.LOCK, "catalog.json", "toy"]
    assert ledger.ledger_path(repo, "toy").read_bytes() == ledger_before

    # A ledger that cannot be written undoes the store too (the catalog already moved).
    monkeypatch.setattr(store, "move", real_move)

    def no_ledger(root, book):
        raise OSError("read-only (injected)")

    real_write = ledger.write_ledger
    monkeypatch.setattr(ledger, "write_ledger", no_ledger)
    with pytest.raises(OSError, match="read-only"):
        publish.publish(repo, site, today=DAY)
    assert snapshot(site) == before

    # What a crash (kill -9) can leave: a staging folder, files the catalog does not list.
    monkeypatch.setattr(ledger, "write_ledger", real_write)
    (site / ".staging-crashed" / "new").mkdir(parents=True)
    (site / "toy" / "1.1.0").mkdir()
    (site / "toy" / "1.1.0" / "half-written").write_text("x")
    release(repo, site)
    assert not (site / "toy" / "1.1.0" / "half-written").exists()
    assert (site / "toy" / "1.1.0" / "datapackage.json").is_file()
    assert not [p for p in site.iterdir() if p.name.startswith(".staging")]


def test_released_ledger_entries_never_change(repo, tmp_path):
    release(repo, tmp_path / "site")
    path = ledger.ledger_path(repo, "toy")
    book = json.loads(path.read_text())
    book["releases"][0]["released_on"] = "2026-11-25"
    path.write_text(json.dumps(book, indent=2))
    git(repo, "commit", "-qam", "rewrite history")
    problems = publish.check(repo)
    assert len(problems) == 1 and "toy 1.0.0: its ledger entry" in problems[0]
    assert "was changed" in problems[0]
    path.write_text(json.dumps({"dataset": "toy", "releases": []}))
    git(repo, "commit", "-qam", "drop it")
    assert ["was removed" in p for p in publish.check(repo)] == [True]


def test_release_preconditions(repo, tmp_path):
    site = tmp_path / "site"
    write_version(repo, "1.0.0", ROWS_1_1_0, commit=False)
    with pytest.raises(FactpackError, match="commit these first.*items.csv"):
        publish.publish(repo, site, today=DAY)
    git(repo, "checkout", "-q", "--", ".")
    log = repo / "datasets" / "toy" / "CHANGELOG.md"
    log.write_text("# Changelog\n")
    git(repo, "commit", "-qam", "no entry")
    with pytest.raises(FactpackError, match="no '## 1.0.0' entry"):
        publish.publish(repo, site, today=DAY)
    write_version(repo, "1.0.0", ROWS_1_0_0)
    meta = repo / "datasets" / "toy" / "dataset.yaml"
    meta.write_text(meta.read_text().split("sources:")[0] + "resources: [items]\n")
    git(repo, "commit", "-qam", "no sources")
    with pytest.raises(FactpackError, match="datapackage.json has no sources"):
        publish.publish(repo, site, today=DAY)
    assert not (site / "catalog.json").exists()


def test_changelog_entry():
    path = Path(__file__).resolve().parents[1] / "datasets" / "ukraine-us-drone-deal"
    entry = publish.changelog_entry(path / "CHANGELOG.md", "1.0.0")
    assert entry is not None and entry.startswith("## 1.0.0") and "## " not in entry[3:]
    assert publish.changelog_entry(path / "CHANGELOG.md", "1.0") is None


def test_concurrent_publishes_do_not_corrupt_the_store(repo, tmp_path):
    site = tmp_path / "site"
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(
        publish.publish(repo, site, today=DAY))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == [(f"nothing to publish: the store at {site} is up "
                                             "to date"), "published toy 1.0.0"]
    assert [r.version for r in ledger.read_ledger(repo, "toy").releases] == ["1.0.0"]
    assert list(store.read_catalog(site).datasets["toy"].versions) == ["1.0.0"]
    assert not [p for p in site.iterdir() if p.name.startswith(".staging")]


WRITER = """
import sys, time
from pathlib import Path
from factpack.release import store
from factpack.spec.catalog import CatalogDataset
site, i = Path(sys.argv[1]), sys.argv[2]
with store.locked(site / store.LOCK):
    catalog = store.read_catalog(site)
    time.sleep(0.2)  # widen the read-modify-write window a lost update would need
    catalog.datasets["d" + i] = CatalogDataset(latest="", versions={})
    tx = store.Transaction(site)
    tx.add_bytes(f"d{i}/file.txt", i.encode())
    tx.commit(catalog)
    tx.close()
"""


def test_store_lock_serialises_processes(tmp_path):
    site = tmp_path / "site"
    env = os.environ | {"PYTHONPATH": str(SRC)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(site), str(i)], env=env)
             for i in range(4)]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    assert sorted(store.read_catalog(site).datasets) == ["d0", "d1", "d2", "d3"]
    assert [(site / f"d{i}" / "file.txt").read_text() for i in range(4)] == ["0", "1", "2", "3"]
    assert not [p for p in site.iterdir() if p.name.startswith(".staging")]


def test_publish_check_cli_exit_codes(repo, tmp_path, monkeypatch, capsys):
    release(repo, tmp_path / "site")
    monkeypatch.chdir(repo)

    def main(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["factpack", "publish", *args])
        with pytest.raises(SystemExit) as exc:
            cli.main()
        out = capsys.readouterr()
        return exc.value.code, out.out, " ".join(out.err.split())  # rich wraps long messages

    code, out, _ = main("--check")
    assert code == 0 and "rebuilds to its ledger bytes" in out
    write_version(repo, "1.0.0", [("a", "alpha", 1), ("b", "beta", 20), ("c", "gamma", 3)])
    code, _, err = main("--check")
    assert code == 1 and "not bumped" in err and "a patch bump" in err, err
    # The working tree against the release, as `factpack diff` sees it.
    r = diff.diff_specs("toy@1.0.0", str(repo / "datasets" / "toy"), repo,
                        store=tmp_path / "site")
    assert r["bump"] == "patch" and r["tables"][0]["changed_by_column"] == {"amount": 1}
    code, _, err = main("--store", str(tmp_path / "site"), "--no-site")
    assert code == 2 and "not bumped" in err and "Traceback" not in err
    code, _, err = main("--date", "24/11/2026")
    assert code == 2 and "expected YYYY-MM-DD" in err


@pytest.mark.parametrize("text", ["2026-13-45", "2026-02-30", "2026-1-4", "20261124"])
def test_publish_refuses_a_date_that_is_not_a_real_yyyy_mm_dd(text):
    run = subprocess.run([sys.executable, "-m", "factpack", "publish", "--date", text],
                         check=False, capture_output=True, text=True,
                         cwd=Path(__file__).parents[1])
    assert run.returncode == 2 and "expected YYYY-MM-DD" in run.stderr
