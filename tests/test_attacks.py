"""Attacks on fetch, load and diff: hostile archives, servers and caches (issue 16).

Each test plays the attacker with its own input, on 127.0.0.1 only, and checks the
defence: one clean error naming the file or URL, nothing written outside the target,
nothing half-written in the cache or ``--to`` folder. The publish side (links planted
in the store, SIGKILL at any point) is in ``test_attacks_publish.py``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
from attackkit import (
    add_bomb,
    file_route,
    http,
    redirect,
    send,
    silent_server,
    trickle,
)
from packstore import factpack, sha256, write_package, write_zip

import factpack as fp
from factpack.access import load as load_module
from factpack.core import transfer
from factpack.core.errors import FactpackError
from factpack.core.transfer import Store
from factpack.release.diff import diff_specs

QUICK = {"retries": 2, "backoff": 0.05, "progress": False}
LOAD = """\
import sys, factpack
from factpack.core.errors import FactpackError
try:
    factpack.load(sys.argv[1], progress=False)
except FactpackError as exc:
    print(f"factpack: {exc}", file=sys.stderr)
    sys.exit(2)
print("loaded")
"""


def one_clean_line(done: subprocess.CompletedProcess, *names: str) -> str:
    """The command failed with exit 2 and one line naming every one of ``names``."""
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert len(lines) == 1, lines
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def leftovers(cache: Path) -> list[Path]:
    """Anything in the cache but finished packages (a work folder, a half-unpacked file)."""
    tmp = cache / "tmp"
    return [p for p in tmp.iterdir()] if tmp.is_dir() else []


# -- zip bombs and lying sizes ------------------------------------------------------------------

def test_a_1_gib_zip_bomb_is_never_written_to_the_cache(tmp_path):
    """A package zip with one extra entry of 1 GiB of zeros (1 MiB packed). The loader runs
    with a 64 MiB file-size limit: were the bomb written out, the write would fail."""
    archive = write_zip(write_package(tmp_path / "pkg"), tmp_path / "bomb.zip")
    add_bomb(archive, "bomb.bin", 1024)
    cache = tmp_path / "cache"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))

    done = subprocess.run([sys.executable, "-c", LOAD, str(archive)], capture_output=True,
                          text=True, timeout=300, check=False, preexec_fn=limit,
                          env={**os.environ, "FACTPACK_CACHE": str(cache)})
    line = one_clean_line(done, "bomb.bin", "bomb.zip")
    assert "zip bomb" in line
    assert not (cache / "packages").exists() and leftovers(cache) == []


def test_validate_of_a_zip_bomb_is_one_line(tmp_path):
    archive = write_zip(write_package(tmp_path / "pkg"), tmp_path / "bomb.zip")
    add_bomb(archive, "data/bomb.bin", 1024)
    done = factpack("validate", str(archive), cwd=tmp_path)
    assert "zip bomb" in one_clean_line(done, "data/bomb.bin", "bomb.zip")


def test_a_file_larger_than_its_declared_bytes_stops_at_the_declared_size(tmp_path, cache):
    pkg = write_package(tmp_path / "pkg")
    declared = json.loads((pkg / "datapackage.json").read_text())["resources"][0]
    entries = {p.relative_to(pkg).as_posix(): p.read_bytes() for p in pkg.rglob("*")
               if p.is_file()}
    entries["data/places.csv"] += b"".join(b"x%d,y,,,,\n" % i for i in range(20_000))
    archive = write_zip(pkg, tmp_path / "long.zip", entries)
    with pytest.raises(FactpackError) as exc:
        fp.load(archive)
    assert f"data/places.csv: unpacks to more than the {declared['bytes']} bytes declared" \
        in str(exc.value)
    assert not (cache / "packages").exists() and leftovers(cache) == []


def test_a_descriptor_url_cannot_declare_its_way_past_the_overall_cap(tmp_path, cache,
                                                                       monkeypatch):
    pkg = write_package(tmp_path / "pkg")
    desc = json.loads((pkg / "datapackage.json").read_text())
    desc["resources"][0]["bytes"] = 5 << 30  # 5 GiB declared: above factpack's 4 GiB cap
    (pkg / "datapackage.json").write_text(json.dumps(desc))
    with http({"/pkg/datapackage.json": file_route(pkg / "datapackage.json"),
               "/pkg/data/places.csv": file_route(pkg / "data/places.csv")}) as (url, server):
        with pytest.raises(FactpackError) as exc:
            fp.load(url + "pkg/datapackage.json", progress=False)
        assert "data/places.csv" in str(exc.value) and str(4 << 30) in str(exc.value)
        assert "/pkg/data/places.csv" not in server.hits  # refused before downloading

    # No bytes declared at all: the whole package is still capped while it streams in.
    for res in desc["resources"]:
        res.pop("bytes", None)
    (pkg / "datapackage.json").write_text(json.dumps(desc))
    monkeypatch.setattr(load_module, "MAX_PACKAGE_BYTES", 1000)
    routes = {f"/pkg/{p.relative_to(pkg).as_posix()}": file_route(p)
              for p in pkg.rglob("*") if p.is_file()}
    with http(routes) as (url, _), pytest.raises(FactpackError) as exc:
        fp.load(url + "pkg/datapackage.json", progress=False)
    assert "more than the" in str(exc.value) and "allowed" in str(exc.value)
    assert not (cache / "descriptors").exists() and leftovers(cache) == []


# -- time ---------------------------------------------------------------------------------------

def test_a_server_sending_a_byte_at_a_time_is_cut_off_at_the_deadline(tmp_path):
    said: list[str] = []
    with http({"/slow.csv": trickle(10_000)}) as (url, _):
        store = Store(url, deadline=1.0, say=said.append, **QUICK)
        with pytest.raises(FactpackError) as exc:
            store.download("slow.csv", tmp_path / "slow.part", 10_000)
    assert f"{url}slow.csv: not finished within 1 s" in str(exc.value)


def test_a_server_that_never_answers_is_given_up_and_the_retries_are_said(tmp_path):
    said: list[str] = []
    with silent_server() as (url, conns):
        store = Store(url, timeout=0.3, answer_deadline=1.0, say=said.append,
                      **{**QUICK, "retries": 50})
        with pytest.raises(FactpackError) as exc:
            store.read("catalog.json", 1000)
    assert f"{url}catalog.json: no answer within 1 s" in str(exc.value)
    assert said and all("retrying" in s and "catalog.json" in s for s in said)
    assert 2 <= len(conns) < 50  # retried, but far fewer times than allowed: the answer deadline


def test_the_answer_deadline_bounds_every_request_by_default():
    clock = transfer._Clock(Store("http://127.0.0.1:9/"))
    waits = clock.timeout()
    assert max(waits.connect, waits.read) <= transfer.ANSWER_DEADLINE <= transfer.DEADLINE


# -- redirects and encodings ----------------------------------------------------------------------

def test_a_redirect_to_another_port_is_refused_and_never_followed(tmp_path):
    (tmp_path / "catalog.json").write_text('{"catalog_version": 1, "datasets": {}}')
    with http({"/catalog.json": file_route(tmp_path / "catalog.json")}) as (other, elsewhere), \
            http({"/catalog.json": redirect(other + "catalog.json")}) as (url, _), \
            pytest.raises(FactpackError) as exc:
        Store(url, **QUICK).read("catalog.json", 1000)
    assert "another host or port" in str(exc.value) and other in str(exc.value)
    assert elsewhere.hits == []


def test_a_redirect_on_the_same_server_is_followed(tmp_path):
    (tmp_path / "catalog.json").write_text('{"catalog_version": 1, "datasets": {}}')
    with http({"/old/catalog.json": redirect("/new/catalog.json"),
               "/new/catalog.json": file_route(tmp_path / "catalog.json")}) as (url, _):
        assert Store(url + "old/", **QUICK).read("catalog.json", 1000) == \
            (tmp_path / "catalog.json").read_bytes()


def test_a_redirect_loop_is_one_line_naming_the_url(cache):
    with http({"/a/catalog.json": redirect("/b/catalog.json"),
               "/b/catalog.json": redirect("/a/catalog.json")}) as (url, _):
        done = factpack("fetch", "demo", "--store", url + "a/",
                        env={**os.environ, "FACTPACK_CACHE": str(cache)})
    assert "redirect loop" in one_clean_line(done, url + "a/catalog.json")


def test_a_body_whose_content_encoding_lies_is_one_line(cache):
    body = b'{"catalog_version": 1, "datasets": {}}'  # plain text sent as "gzip"
    with http({"/catalog.json": lambda h: send(h, body, headers={"Content-Encoding": "gzip"})}
              ) as (url, _):
        done = factpack("fetch", "demo", "--store", url,
                        env={**os.environ, "FACTPACK_CACHE": str(cache)})
    assert "Content-Encoding" in one_clean_line(done, url + "catalog.json")


# -- links and edited caches ------------------------------------------------------------------------

@pytest.mark.parametrize("linked", ["data/places.csv", "datapackage.json", "data"])
def test_load_of_a_folder_never_follows_a_link_out_of_it(tmp_path, linked):
    pkg = write_package(tmp_path / "pkg")
    outside = tmp_path / "outside"
    shutil.move(pkg / linked, outside)  # the very same bytes, hashes and all, but elsewhere
    (pkg / linked).symlink_to(outside, target_is_directory=outside.is_dir())
    with pytest.raises(FactpackError) as exc:
        fp.load(pkg)
    assert "symbolic link" in str(exc.value) and str(pkg) in str(exc.value)
    other = write_package(tmp_path / "other")
    with pytest.raises(FactpackError, match="symbolic link"):
        diff_specs(str(other), str(pkg), tmp_path)


def _edit_consistently(folder: Path) -> None:
    """Change a value in the cached CSV and Parquet and fix datapackage.json's hashes, so the
    copy is consistent with itself, but no longer what was published."""
    csv = folder / "data/places.csv"
    csv.write_text(csv.read_text().replace("Kyiv", "Evil"))
    pq = folder / "data/places.parquet"
    pl.read_parquet(pq).with_columns(pl.col("name").str.replace("Kyiv", "Evil")).write_parquet(pq)
    desc = json.loads((folder / "datapackage.json").read_text())
    for res in desc["resources"]:
        path = folder / res["path"]
        res["hash"] = "sha256:" + sha256(path)
        if "bytes" in res:
            res["bytes"] = path.stat().st_size
    (folder / "datapackage.json").write_text(json.dumps(desc))


def test_an_edited_cached_copy_of_a_zip_is_never_served(tmp_path, cache):
    archive = write_zip(write_package(tmp_path / "pkg"), tmp_path / "demo.zip")
    first = fp.load(archive)
    assert "Kyiv" in first["places"]["name"].to_list()
    _edit_consistently(first.path)
    again = fp.load(archive)
    assert again["places"]["name"].to_list() == first["places"]["name"].to_list()
    assert "Evil" not in (again.path / "data/places.csv").read_text()


def test_an_edited_cached_copy_of_a_descriptor_url_is_never_served(tmp_path, cache):
    pkg = write_package(tmp_path / "pkg")
    routes = {f"/pkg/{p.relative_to(pkg).as_posix()}": file_route(p)
              for p in pkg.rglob("*") if p.is_file()}
    with http(routes) as (url, _):
        first = fp.load(url + "pkg/datapackage.json", progress=False)
        _edit_consistently(first.path)
        again = fp.load(url + "pkg/datapackage.json", progress=False)
    assert "Evil" not in (again.path / "data/places.csv").read_text()
    assert again["places"]["name"].to_list() == first["places"]["name"].to_list()


def test_diff_never_calls_a_package_with_a_changed_csv_identical(tmp_path):
    old = write_package(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    csv = new / "data/places.csv"  # its Parquet twin and datapackage.json left as they were
    csv.write_text(csv.read_text().replace("Kyiv", "Kiev"))
    done = factpack("diff", str(old), str(new))
    line = one_clean_line(done, "data/places.csv")
    assert "identical" not in done.stdout and "changed" in line
    routes = {f"/new/{p.relative_to(new).as_posix()}": file_route(p)
              for p in new.rglob("*") if p.is_file()}
    with http(routes) as (url, _):  # the same package on a web server
        done = factpack("diff", str(old), url + "new/datapackage.json")
    line = one_clean_line(done, "data/places.csv", url)
    assert "identical" not in done.stdout


def test_a_local_store_never_serves_a_linked_file(tmp_path, cache):
    from packstore import write_store

    store = write_store(tmp_path)
    zip_path = store / "demo" / "demo-1.1.0.zip"
    outside = tmp_path / "outside.zip"
    shutil.move(zip_path, outside)
    zip_path.symlink_to(outside)
    with pytest.raises(FactpackError) as exc:
        fp.load("demo", store=store, progress=False)
    assert "symbolic link" in str(exc.value) and "demo-1.1.0.zip" in str(exc.value)


# -- nothing half-written in --to or the cache --------------------------------------------------------

FETCH_KILLED = """\
import os, signal, shutil, sys
from factpack.access import fetch
calls = [0]
real = shutil.copyfile
def copyfile(*args, **kwargs):
    calls[0] += 1
    if calls[0] == 3:  # a few files copied into --to, the rest not
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
shutil.copyfile = copyfile
fetch.fetch("demo", store=sys.argv[1], to=sys.argv[2], progress=False)
"""


def test_a_fetch_killed_while_copying_to_its_folder_leaves_nothing_half_written(tmp_path, cache):
    from packstore import write_store

    store = write_store(tmp_path)
    to = tmp_path / "out" / "demo"
    env = {**os.environ, "FACTPACK_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", FETCH_KILLED, str(store), str(to)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == -9, done.stderr
    assert not to.exists()  # never half a package under the name asked for
    left = [p.name for p in (tmp_path / "out").iterdir()]  # what SIGKILL leaves: a hidden sibling
    assert len(left) == 1 and left[0].startswith(".demo.partial-")
    again = factpack("fetch", "demo", "--store", str(store), "--to", str(to), env=env)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["demo"]  # leftover gone
    assert (to / "datapackage.json").is_file()


def test_a_fetch_killed_mid_download_leaves_no_work_folder_for_good(tmp_path, cache):
    from packstore import write_store

    store = write_store(tmp_path)
    killed = ("import os, signal, sys\nfrom factpack.core import transfer\n"
              "transfer._copy_local = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
              "from factpack.access import fetch\n"
              "fetch.fetch('demo', store=sys.argv[1], progress=False)\n")
    env = {**os.environ, "FACTPACK_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", killed, str(store)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == -9 and len(leftovers(cache)) == 1  # what SIGKILL leaves
    assert factpack("fetch", "demo", "--store", str(store), env=env).returncode == 0
    assert leftovers(cache) == []  # the next fetch removed the dead one
    assert [p.name for p in (cache / "packages").iterdir()]


def test_a_zip_with_a_link_or_a_path_outside_is_refused(tmp_path, cache):
    pkg = write_package(tmp_path / "pkg")
    archive = write_zip(pkg, tmp_path / "evil.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("../escaped.txt", b"x")
    with pytest.raises(FactpackError, match="outside the target"):
        fp.load(archive)
    assert not (tmp_path / "escaped.txt").exists() and leftovers(cache) == []


# -- errors that name their file ---------------------------------------------------------------------

@pytest.mark.parametrize("catalog", ["[" * 100_000 + "]" * 100_000,
                                     '{"catalog_version": 1, "n": ' + "9" * 5000 + "}"],
                         ids=["nested-100000-deep", "5000-digit-number"])
def test_a_hostile_catalog_is_one_line_naming_it(tmp_path, cache, catalog):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "catalog.json").write_text(catalog)
    with http({"/catalog.json": file_route(tmp_path / "store" / "catalog.json")}) as (url, _):
        for where in (str(tmp_path / "store"), url):
            done = factpack("fetch", "demo", "--store", where,
                            env={**os.environ, "FACTPACK_CACHE": str(cache)})
            one_clean_line(done, "catalog.json")


def test_a_cache_that_cannot_be_written_is_one_line_naming_it(tmp_path):
    from packstore import write_store

    store = write_store(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache would have to be a folder under this file")
    env = {**os.environ, "FACTPACK_CACHE": str(blocker / "cache")}
    line = one_clean_line(factpack("fetch", "demo", "--store", str(store), env=env), str(blocker))
    assert "cannot write" in line and "[Errno" not in line
