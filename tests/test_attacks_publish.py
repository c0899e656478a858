"""Attacks on publish (issue 16): links planted in the store, a store that refuses writes,
and a publish killed with SIGKILL at every step, then finished by the next publish.

A toy repository (``attackkit.toy_repo``) has 1.0.0 published and 1.1.0 committed; each
test works on its own copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from attackkit import DAY, git, publish_killed, toy_repo, toy_version

from factpack.core.errors import FactpackError
from factpack.release import ledger, publish, store


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    """(repository, store): 1.0.0 published, its ledger committed, 1.1.0 committed."""
    root = tmp_path_factory.mktemp("toy")
    repo = toy_repo(root / "repo")
    publish.publish(repo, root / "site", today=DAY)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ledger 1.0.0")
    toy_version(repo, "1.1.0", 5)
    return repo, root / "site"


@pytest.fixture
def toy(base, tmp_path) -> tuple[Path, Path]:
    repo, site = tmp_path / "repo", tmp_path / "site"
    shutil.copytree(base[0], repo, symlinks=True)
    shutil.copytree(base[1], site, symlinks=True)
    return repo, site


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.name != store.LOCK}


def ledger_versions(repo: Path) -> set[str]:
    path = ledger.ledger_path(repo, "toy")
    return {r["version"] for r in json.loads(path.read_text())["releases"]}


def catalog_versions(site: Path) -> set[str]:
    catalog = json.loads((site / "catalog.json").read_text())
    return set(catalog["datasets"].get("toy", {}).get("versions", {}))


def assert_complete(repo: Path, site: Path, versions: set[str]) -> None:
    """The store lists exactly ``versions``, every listed file is there with its hash, nothing
    unlisted is left (no staging or work folder, no stray version), and the ledger agrees."""
    catalog = json.loads((site / "catalog.json").read_text())
    listed: dict[str, str] = {}
    for v in catalog["datasets"]["toy"]["versions"].values():
        for f in [v["zip"], *v["files"]]:
            listed[f["path"]] = f["sha256"]
        if v["diff"]:
            listed[v["diff"]] = ""
    assert set(catalog["datasets"]["toy"]["versions"]) == versions == ledger_versions(repo)
    present = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()
               and p.relative_to(site).parts[0] == "toy"}
    assert present == set(listed), present ^ set(listed)
    for rel, sha in listed.items():
        if sha:
            assert hashlib.sha256((site / rel).read_bytes()).hexdigest() == sha, rel
    assert not [p for p in site.iterdir() if p.name.startswith((".staging-", ".work-"))]


# -- links planted in the store ---------------------------------------------------------------------

def _render(site: Path) -> None:
    """What the website writer does: pages and assets into the store."""
    (site / "assets").mkdir(exist_ok=True)
    (site / "assets" / "site.css").write_text("body {}")
    (site / "index.html").write_text("<html></html>")


@pytest.mark.parametrize("planted", ["index.html", "assets", store.LOCK, "toy/1.1.0"])
def test_publish_never_writes_through_a_link_planted_in_the_store(toy, tmp_path, planted):
    repo, site = toy
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("mine")
    target = victim / "precious.txt" if planted in ("index.html", store.LOCK) else victim
    (site / planted).parent.mkdir(parents=True, exist_ok=True)
    (site / planted).unlink(missing_ok=True)  # the lock file exists already: replace it
    (site / planted).symlink_to(target, target_is_directory=target.is_dir())
    before = snapshot(site)
    with pytest.raises(FactpackError) as exc:
        publish.publish(repo, site, today=DAY, render=_render)
    assert "symbolic link" in str(exc.value) and planted.split("/")[-1] in str(exc.value)
    assert sorted(p.name for p in victim.iterdir()) == ["precious.txt"]
    assert (victim / "precious.txt").read_text() == "mine"
    assert snapshot(site) == before and ledger_versions(repo) == {"1.0.0"}


# -- a store that refuses writes ------------------------------------------------------------------------

def test_a_read_only_store_is_one_line_naming_the_file_and_changes_nothing(toy, monkeypatch):
    repo, site = toy
    before = snapshot(site)
    if os.geteuid() != 0:  # a real read-only store (root writes through permissions)
        for p in [site, *site.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    else:  # as root: the file system's refusal, at the step that writes into the store
        def refuse(src: Path, dst: Path) -> None:
            raise PermissionError(13, "Permission denied", str(dst))
        monkeypatch.setattr(store, "move", refuse)
    try:
        with pytest.raises(FactpackError) as exc:
            publish.publish(repo, site, today=DAY)
    finally:
        for p in [site, *site.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    message = str(exc.value)
    assert "Permission denied" in message and str(site) in message and "[Errno" not in message
    assert snapshot(site) == before and ledger_versions(repo) == {"1.0.0"}


# -- SIGKILL at every step --------------------------------------------------------------------------

KILL_POINTS = [
    ("build", "after", 1),  # the new version built in the work folder
    ("ledger", "after", 1),  # the ledger records 1.1.0; the store does not yet
    ("move", "before", 1),  # nothing moved into the store yet
    ("move", "before", 2),  # the version folder in place, not listed
    ("move", "before", 4),  # everything in place but the catalog: complete but unlisted
    ("move", "after", 4),  # the catalog replaced, staging not yet removed
    ("render", "before", 1),  # the website half-written
]


@pytest.mark.parametrize(("kind", "when", "nth"), KILL_POINTS)
def test_a_publish_killed_at_any_point_is_finished_by_the_next(toy, tmp_path, kind, when, nth):
    repo, site = toy
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = publish_killed(repo, site, kind, when, nth, tmp)
    assert done.returncode == -9, (done.stdout, done.stderr)  # killed at that very point
    # What the kill left: the previous state or the new one, never a catalog ahead of the ledger.
    assert catalog_versions(site) <= ledger_versions(repo)
    assert catalog_versions(site) in ({"1.0.0"}, {"1.0.0", "1.1.0"})
    assert not [p for p in tmp.iterdir() if p.name.startswith("factpack")]  # nothing in /tmp
    publish.publish(repo, site, today=DAY)  # the next publish recovers or completes it
    assert_complete(repo, site, {"1.0.0", "1.1.0"})
    assert publish.publish(repo, site, today=DAY)[0].startswith("nothing to publish")


def test_the_site_renderer_run_alone_refuses_a_planted_link(tmp_path: Path) -> None:
    # `python -m factpack.site STORE` writes index.html and assets/ into the store: a link
    # planted there must not send a write outside it (issue 16).
    from factpack.site.render import main
    from factpack.spec.catalog import Catalog

    outside = tmp_path / "outside.html"
    outside.write_text("keep me")
    store = tmp_path / "store"
    store.mkdir()
    (store / "catalog.json").write_text(Catalog.empty().model_dump_json())
    (store / "index.html").symlink_to(outside)
    assert main([str(store)]) == 2
    assert outside.read_text() == "keep me"
