"""``factpack fetch``: the published bytes or a clear error, and never a half-written cache.

Every download goes through a real HTTP server on 127.0.0.1 (see ``packstore.serve``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packstore import (
    Faults,
    add_release,
    factpack,
    release_store,
    serve,
    sha256,
    write_package,
    write_store,
    write_zip,
)

from factpack.access.fetch import fetch, parse_spec
from factpack.core.errors import FactpackError

FAST = {"retries": 2, "backoff": 0.01}


@dataclass
class Published:
    store: Path
    name: str
    latest: str
    versions: list[str]

    def folder(self, version: str | None = None) -> Path:
        return self.store / self.name / (version or self.latest)

    def zip(self, version: str | None = None) -> Path:
        return self.store / self.name / f"{self.name}-{version or self.latest}.zip"


@pytest.fixture(scope="module")
def published_source(tmp_path_factory) -> Path:
    return release_store(tmp_path_factory.mktemp("published"))[0]


@pytest.fixture(params=["contract", "published"])
def release(request, tmp_path) -> Published:
    """A store to attack: the synthetic one, and (a copy of) the one factpack publish makes."""
    if request.param == "contract":
        store = write_store(tmp_path)
    else:
        store = tmp_path / "store"
        shutil.copytree(request.getfixturevalue("published_source"), store)
    catalog = json.loads((store / "catalog.json").read_text())
    name = min(catalog["datasets"])
    ds = catalog["datasets"][name]
    return Published(store, name, ds["latest"], sorted(ds["versions"]))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def assert_cache_clean(cache: Path) -> None:
    """Nothing but empty folders: no package, no .part, no work folder with content."""
    left = [p for p in cache.rglob("*") if not p.is_dir()] if cache.exists() else []
    assert left == []
    assert not list((cache / "packages").glob("*")) if (cache / "packages").exists() else True


def zip_requests(faults: Faults) -> list[tuple[str, str | None]]:
    return [r for r in faults.requests if r[0].endswith(".zip")]


# -- fetching what was published --------------------------------------------------------------

@pytest.mark.parametrize("how", ["name", "name@latest", "name@version"])
def test_fetch_over_http_gives_the_published_folder(release, cache, how):
    versions = [release.latest] if how != "name@version" else release.versions
    for version in versions:
        spec = {"name": release.name, "name@latest": f"{release.name}@latest",
                "name@version": f"{release.name}@{version}"}[how]
        with serve(release.store) as (url, faults):
            folder = fetch(spec, store=url, progress=False, **FAST)
        assert folder == cache / "packages" / sha256(release.zip(version))
        assert files_of(folder) == files_of(release.folder(version))
        descriptor = json.loads((folder / "datapackage.json").read_text())
        assert (descriptor["name"], descriptor["version"]) == (release.name, version)
        assert not list((cache / "tmp").iterdir())  # the work folder is gone
        assert len(zip_requests(faults)) == 1


def test_latest_is_the_newest_version(store, cache):
    with serve(store) as (url, _):
        latest = fetch("demo@latest", store=url, progress=False)
        first = fetch("demo@1.0.0", store=url, progress=False)
    assert json.loads((latest / "datapackage.json").read_text())["version"] == "1.1.0"
    assert json.loads((first / "datapackage.json").read_text())["version"] == "1.0.0"


def test_second_fetch_uses_the_cache_and_repairs_a_modified_one(store, cache, capfd):
    with serve(store) as (url, faults):
        first = fetch("demo@1.0.0", store=url, progress=False)
        assert fetch("demo@1.0.0", store=url, progress=False) == first
        assert len(zip_requests(faults)) == 1  # no second download
        (first / "data" / "places.csv").write_text("id\nforged\n")
        again = fetch("demo@1.0.0", store=url, progress=False)
        assert len(zip_requests(faults)) == 2
    assert "modified; downloading again" in capfd.readouterr().err
    assert files_of(again) == files_of(store / "demo" / "1.0.0")


@pytest.mark.parametrize("as_url", [False, True])
def test_local_folder_and_file_url_stores(store, cache, as_url):
    location = store.as_uri() if as_url else str(store)
    folder = fetch("demo@1.0.0", store=location, progress=False)
    assert files_of(folder) == files_of(store / "demo" / "1.0.0")


def test_cli_fetch_to_a_folder(store, cache, tmp_path):
    target = tmp_path / "out" / "demo"
    env = {**os.environ, "FACTPACK_CACHE": str(cache)}
    with serve(store) as (url, _):
        done = factpack("fetch", "demo@1.0.0", "--store", url, "--to", str(target), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    assert "demo 1.0.0: every file matches the catalog and datapackage.json" in done.stderr
    assert files_of(target) == files_of(store / "demo" / "1.0.0")
    assert [p.name for p in target.parent.iterdir()] == ["demo"]  # no temporary left over


@pytest.mark.parametrize("terminal, quiet", [(True, False), (True, True), (False, False)])
def test_cli_progress_bar_only_on_a_terminal(store, cache, terminal, quiet):
    env = {**os.environ, "FACTPACK_CACHE": str(cache)}
    env.pop("TTY_COMPATIBLE", None)
    if terminal:  # rich treats stderr as a terminal
        env.update(TTY_COMPATIBLE="1", TTY_INTERACTIVE="1")
    done = factpack("fetch", "demo", "--store", str(store), *(["-q"] if quiet else []), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{cache / 'packages' / sha256(store / 'demo' / 'demo-1.1.0.zip')}\n"
    size = (store / "demo" / "demo-1.1.0.zip").stat().st_size
    bar = f"{size / 1000:.1f}/{size / 1000:.1f} kB"
    assert ("demo-1.1.0.zip" in done.stderr and bar in done.stderr) == (terminal and not quiet)


def test_cli_refuses_a_non_empty_target(store, cache, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    env = {**os.environ, "FACTPACK_CACHE": str(cache)}
    done = factpack("fetch", "demo", "--store", str(store), "--to", str(target), env=env)
    assert done.returncode == 2
    assert "not an empty folder" in done.stderr
    assert (target / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("spec, message", [
    ("nope", "no dataset 'nope' in the store (it has: demo)"),
    ("demo@9.9.9", "demo has no version '9.9.9' (published: 1.0.0, 1.1.0)"),
    ("demo@1@2", "is not NAME, NAME@VERSION or NAME@latest"),
])
def test_cli_unknown_name_or_version_is_a_clear_error(store, cache, spec, message):
    env = {**os.environ, "FACTPACK_CACHE": str(cache)}
    with serve(store) as (url, _):
        done = factpack("fetch", spec, "--store", url, env=env)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert_cache_clean(cache)


def test_missing_store_is_a_clear_error(tmp_path, cache):
    with pytest.raises(FactpackError, match="catalog.json: not found"):
        fetch("demo", store=tmp_path / "nowhere", progress=False)


def test_parse_spec():
    assert parse_spec("demo") == ("demo", None)
    assert parse_spec("demo@latest") == ("demo", None)
    assert parse_spec("demo@2.0.1") == ("demo", "2.0.1")
    assert parse_spec("demo", "1.0.0") == ("demo", "1.0.0")
    with pytest.raises(FactpackError, match="also given"):
        parse_spec("demo@1.0.0", "2.0.0")


# -- a download that is not what was published ------------------------------------------------

def test_tampered_zip_names_the_file_and_both_hashes(release, cache):
    zpath = release.zip()
    published = sha256(zpath)
    data = bytearray(zpath.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte different
    zpath.write_bytes(bytes(data))
    with serve(release.store) as (url, _), pytest.raises(FactpackError) as exc:
        fetch(release.name, store=url, progress=False, **FAST)
    message = str(exc.value)
    assert f"{release.name}/{zpath.name}: sha256: the catalog says {published}" in message
    assert f"the download has {sha256(zpath)}" in message
    assert "nothing was kept" in message
    assert_cache_clean(cache)


def _republish_zip(release: Published, entries: dict[str, bytes],
                   version: str | None = None) -> None:
    """Replace a release's zip with ``entries`` and update the catalog's zip entry to match.

    The catalog's per-file list stays as published: the zip is consistent with
    the catalog's zip hash, but its content is not what the catalog lists.
    """
    version = version or release.latest
    zpath = release.zip(version)
    write_zip(release.store, zpath, entries)
    catalog = json.loads((release.store / "catalog.json").read_text())
    catalog["datasets"][release.name]["versions"][version]["zip"].update(
        sha256=sha256(zpath), bytes=zpath.stat().st_size)
    (release.store / "catalog.json").write_text(json.dumps(catalog))


def test_file_inside_the_zip_differs_from_the_catalog(release, cache):
    entries = files_of(release.folder())
    original = entries["datapackage.json"]
    entries["datapackage.json"] = original[:-1]  # one byte short
    _republish_zip(release, entries)
    with serve(release.store) as (url, _), pytest.raises(FactpackError) as exc:
        fetch(release.name, store=url, progress=False)
    message = str(exc.value)
    assert message.startswith("datapackage.json: byte count: the catalog says "
                              f"{len(original)}, the download has {len(original) - 1}")
    assert_cache_clean(cache)


def test_file_of_the_same_size_differs_from_the_catalog(store, cache):
    release = Published(store, "demo", "1.1.0", ["1.0.0", "1.1.0"])
    entries = files_of(release.folder("1.0.0"))
    entries["data/places.csv"] = entries["data/places.csv"].replace(b"Kyiv", b"Kiev")
    _republish_zip(release, entries, "1.0.0")
    with serve(store) as (url, _), pytest.raises(FactpackError) as exc:
        fetch("demo@1.0.0", store=url, progress=False)
    message = str(exc.value)
    assert message.startswith("data/places.csv: sha256: the catalog says ")
    assert sha256(release.folder("1.0.0") / "data" / "places.csv") in message
    assert_cache_clean(cache)


def test_resource_differs_from_datapackage_json(tmp_path, cache):
    """Catalog and zip agree, but a table is not the one datapackage.json declares."""
    pkg = write_package(tmp_path / "pkg")
    csv = pkg / "data" / "visits.csv"
    csv.write_bytes(csv.read_bytes().replace(b"first line", b"FIRST LINE"))  # same size
    store = tmp_path / "store"
    add_release(store, pkg, "demo", "1.0.0")
    with serve(store) as (url, _), pytest.raises(FactpackError) as exc:
        fetch("demo", store=url, progress=False)
    message = str(exc.value)
    assert message.startswith("data/visits.csv: sha256: datapackage.json says ")
    assert sha256(csv) in message
    assert_cache_clean(cache)


def test_truncated_file_on_the_server(release, cache):
    zpath = release.zip()
    size = zpath.stat().st_size
    with serve(release.store, Faults(truncate={zpath.name: size // 2})) as (url, _), \
            pytest.raises(FactpackError) as exc:
        fetch(release.name, store=url, progress=False, **FAST)
    assert f"the server has only {size // 2} bytes, the catalog says {size}" in str(exc.value)
    assert_cache_clean(cache)


def test_refused_connection_fails_at_once_and_retries_are_said(release, cache, capsys):
    with serve(release.store) as (url, _):
        pass  # the server is gone: its port refuses connections
    said: list[str] = []
    with pytest.raises(FactpackError) as exc:
        fetch(release.name, store=url, progress=False, say=said.append, **FAST)
    assert "cannot connect to 127.0.0.1" in str(exc.value) and said == []  # no retry
    zpath = release.zip()
    with serve(release.store, Faults(drop={zpath.name: [0]})) as (url, _):  # once, no byte sent
        folder = fetch(release.name, store=url, progress=False, say=said.append, **FAST)
    assert files_of(folder) == files_of(release.folder())
    assert len(said) == 1 and zpath.name in said[0] and "retrying in" in said[0] \
        and "attempt 2 of 3" in said[0]


def test_a_trickling_server_is_cut_off_at_the_deadline(release, cache):
    zpath = release.zip()
    with serve(release.store, Faults(drop={zpath.name: [100] * 50})) as (url, _), \
            pytest.raises(FactpackError) as exc:
        fetch(release.name, store=url, progress=False, deadline=0.0, **FAST)
    assert "within 0 s" in str(exc.value)
    assert_cache_clean(cache)


def test_dropped_connection_is_resumed_with_range(release, cache):
    zpath = release.zip()
    half = zpath.stat().st_size // 2
    with serve(release.store, Faults(drop={zpath.name: [half, half + 100]})) as (url, faults):
        folder = fetch(release.name, store=url, progress=False, **FAST)
    assert files_of(folder) == files_of(release.folder())
    path = "/" + zpath.relative_to(release.store).as_posix()
    assert zip_requests(faults) == [(path, None), (path, f"bytes={half}-"),
                                    (path, f"bytes={half + 100}-")]


def test_server_that_goes_away_mid_download(release, cache):
    zpath = release.zip()
    with serve(release.store, Faults(die={zpath.name: 1000})) as (url, _), \
            pytest.raises(FactpackError) as exc:
        fetch(release.name, store=url, progress=False, **FAST)
    message = str(exc.value)  # a dropped connection is retried; a refused one ends it at once
    assert f"{zpath.name}: cannot connect to 127.0.0.1" in message
    assert f"after 1000 of {zpath.stat().st_size} bytes" in message
    assert_cache_clean(cache)


def test_server_that_sends_more_than_declared(store, cache):
    catalog = json.loads((store / "catalog.json").read_text())
    catalog["datasets"]["demo"]["versions"]["1.1.0"]["zip"]["bytes"] -= 10
    (store / "catalog.json").write_text(json.dumps(catalog))
    with serve(store) as (url, _), pytest.raises(FactpackError, match="more than the"):
        fetch("demo", store=url, progress=False)
    assert_cache_clean(cache)


# -- archives that try to escape ---------------------------------------------------------------

def _symlink_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("data/link")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    return buf.getvalue()


@pytest.mark.parametrize("evil, message", [
    ("../evil.txt", "would be written outside the target folder"),
    ("data/../../evil.txt", "would be written outside the target folder"),
    ("/tmp/evil.txt", "would be written outside the target folder"),
    ("symlink", "is a symbolic link"),
])
def test_zip_slip_and_links_are_refused(release, cache, tmp_path, evil, message):
    entries = files_of(release.folder())
    zpath = release.zip()
    if evil == "symlink":
        zpath.write_bytes(_symlink_zip(entries))
        catalog = json.loads((release.store / "catalog.json").read_text())
        catalog["datasets"][release.name]["versions"][release.latest]["zip"].update(
            sha256=sha256(zpath), bytes=zpath.stat().st_size)
        (release.store / "catalog.json").write_text(json.dumps(catalog))
    else:
        _republish_zip(release, {**entries, evil: b"owned"})
    before = sorted(p for p in tmp_path.rglob("*") if cache not in p.parents)
    with serve(release.store) as (url, _), pytest.raises(FactpackError, match=message):
        fetch(release.name, store=url, progress=False)
    after = sorted(p for p in tmp_path.rglob("*") if p != cache and cache not in p.parents)
    assert after == before  # nothing written outside the cache
    assert not Path("/tmp/evil.txt").exists()
    assert_cache_clean(cache)


def test_a_file_that_unpacks_larger_than_declared_is_cut_off(release, cache):
    entries = files_of(release.folder())
    declared = len(entries["README.md"])
    entries["README.md"] = b"#" * 50_000_000  # compresses to ~50 kB
    _republish_zip(release, entries)
    with serve(release.store) as (url, _), pytest.raises(FactpackError) as exc:
        fetch(release.name, store=url, progress=False)
    assert f"README.md: unpacks to more than the {declared} bytes declared" in str(exc.value)
    assert_cache_clean(cache)


def test_extra_file_in_the_zip_is_refused(release, cache):
    entries = {**files_of(release.folder()), "data/extra.csv": b"a\n1\n"}
    _republish_zip(release, entries)
    with serve(release.store) as (url, _), pytest.raises(
            FactpackError, match="files the catalog does not list: data/extra.csv"):
        fetch(release.name, store=url, progress=False)
    assert_cache_clean(cache)


def test_catalog_path_outside_the_store_is_refused(store, cache):
    catalog = json.loads((store / "catalog.json").read_text())
    catalog["datasets"]["demo"]["versions"]["1.1.0"]["zip"]["path"] = "../secret.zip"
    (store / "catalog.json").write_text(json.dumps(catalog))
    with pytest.raises(FactpackError, match="paths must stay inside the store"):
        fetch("demo", store=store, progress=False)
    assert_cache_clean(cache)


def test_catalog_hash_that_is_not_a_sha256_is_refused(store, cache):
    """The zip's sha256 names a cache folder, so it must be 64 hex digits, nothing else."""
    catalog = json.loads((store / "catalog.json").read_text())
    catalog["datasets"]["demo"]["versions"]["1.1.0"]["zip"]["sha256"] = "../../victim"
    (store / "catalog.json").write_text(json.dumps(catalog))
    with pytest.raises(FactpackError, match=r"not a factpack catalog \(datasets.demo.versions."
                                            r"1.1.0.zip.sha256: String should match pattern"):
        fetch("demo", store=store, progress=False)
    assert_cache_clean(cache)


def test_package_over_the_size_cap_is_refused_before_downloading(store, cache):
    with serve(store) as (url, faults), pytest.raises(FactpackError, match="larger than "
                                                      "factpack's cap of 1000 bytes"):
        fetch("demo", store=url, progress=False, max_bytes=1000)
    assert zip_requests(faults) == []
    assert_cache_clean(cache)


def test_default_store_is_build_site_of_the_repository(tmp_path, cache):
    repo = tmp_path / "repo"
    (repo / "build").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("")
    shutil.move(write_store(tmp_path), repo / "build" / "site")
    (repo / "notebooks").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "FACTPACK_STORE"}
    done = factpack("fetch", "demo@1.0.0", "-q", env={**env, "FACTPACK_CACHE": str(cache)},
                    cwd=repo / "notebooks")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == cache / "packages" / sha256(
        repo / "build" / "site" / "demo" / "demo-1.0.0.zip")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@example(names=["a", "a/b"]).via("a file that is also a folder")
@example(names=["."]).via("found by hypothesis: no path parts at all")
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(alphabet=["a", "b", ".", "/", "\\", ":", "~", " "], min_size=1,
                              max_size=12), min_size=1, max_size=4))
def test_unpack_never_writes_outside_its_target(tmp_path_factory, names):
    """Whatever the entry names, unpack refuses the archive or writes only inside the target."""
    from factpack.core.unpack import unpack

    root = tmp_path_factory.mktemp("slip")
    target = root / "deep" / "target"
    target.mkdir(parents=True)
    archive = root / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i, name in enumerate(names):
            zf.writestr(name, f"entry {i}")
    try:
        written = unpack(archive, target)
    except FactpackError:
        written = []
    outside = [p for p in root.rglob("*")
               if p not in (archive, root / "deep", target) and target not in p.parents]
    assert outside == []
    for rel in written:
        assert (target / rel).resolve().is_relative_to(target.resolve())
