"""The release store on S3-compatible object storage, against a real S3 server on 127.0.0.1.

moto's standalone server (``moto[server]``) is started once for the module and stopped at
its end; every test gets a bucket of its own. The server's request log (werkzeug's) is read
to show that listing, fetching and loading touch only the objects they need.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin

import boto3
import httpx
import polars as pl
import pyarrow.fs as pafs
import pytest
from fsspec.implementations.arrow import ArrowFSWrapper
from fsspec.implementations.http import HTTPFileSystem
from moto.server import ThreadedMotoServer
from test_release import DAY, ROWS_1_0_0, ROWS_1_1_0, git, write_version

from factpack import load
from factpack.access.fetch import fetch
from factpack.core import s3 as objects
from factpack.core.errors import FactpackError
from factpack.release import ledger
from factpack.release.s3publish import LOCK, Lease, publish_to_bucket

SRC = Path(__file__).resolve().parents[1] / "src"
REQUEST = re.compile(r"(GET|HEAD|PUT|POST|DELETE) (/\S*) HTTP")


class RequestLog(logging.Handler):
    """Every request the S3 server answers, as (method, path without the query)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = REQUEST.search(record.getMessage())
        if found:
            self.seen.append((found[1], found[2].split("?")[0]))

    def keys(self, bucket: str, method: str = "GET") -> list[str]:
        """Store-relative keys requested with ``method`` in ``bucket``'s ``st/`` prefix."""
        start = f"/{bucket}/st/"
        return [p[len(start):] for m, p in self.seen if m == method and p.startswith(start)]


@pytest.fixture(scope="module")
def server():
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    log = RequestLog()
    logger = logging.getLogger("werkzeug")  # the server logs each request at INFO
    logger.addHandler(log)
    logger.setLevel(logging.INFO)
    try:
        yield f"http://{host}:{port}", log
    finally:
        logging.getLogger("werkzeug").removeHandler(log)
        srv.stop()


@pytest.fixture
def bucket(server, monkeypatch, tmp_path):
    """A new bucket; the AWS variables point at the server (and nothing else AWS is read)."""
    endpoint, log = server
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("FACTPACK_CACHE", str(tmp_path / "cache"))
    name = f"b-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3")
    client.create_bucket(Bucket=name)
    # readable by anyone, as a bucket serving a website or http(s) downloads is
    client.put_bucket_policy(Bucket=name, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*"}]}))
    log.seen.clear()
    return name, client, log


@pytest.fixture
def repo(tmp_path) -> Path:
    """The toy dataset of the release tests at 1.0.0, committed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("/build/\n")
    write_version(repo, "1.0.0", ROWS_1_0_0)
    return repo


def commit_ledger(repo: Path) -> None:
    if git(repo, "status", "--porcelain", "--", "datasets/toy/releases.json"):
        git(repo, "add", "datasets/toy/releases.json")
        git(repo, "commit", "-q", "-m", "ledger")


def objects_of(client, name: str) -> dict[str, str]:
    """Every object of the bucket -> its ETag."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=name)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def catalog_of(client, name: str) -> dict:
    return json.loads(client.get_object(Bucket=name, Key="st/catalog.json")["Body"].read())


def factpack(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "factpack", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def test_publish_fetch_load_diff_through_the_command_line(bucket, repo):
    name, client, log = bucket
    url = f"s3://{name}/st"
    done = factpack("publish", "--store", url, "--no-site", "--date", DAY, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "published toy 1.0.0" in done.stdout
    commit_ledger(repo)
    write_version(repo, "1.1.0", ROWS_1_1_0)
    first = objects_of(client, name)
    log.seen.clear()
    done = factpack("publish", "--store", url, "--no-site", "--date", DAY, cwd=repo)
    assert done.returncode == 0, done.stderr
    # publishing 1.1.0 read the catalog and the latest version's files, never a zip
    read = log.keys(name)
    assert "catalog.json" in read and "toy/1.0.0/data/items.parquet" in read
    assert not [k for k in read if k.endswith(".zip") or k.startswith("toy/1.1.0")]
    after = objects_of(client, name)
    assert {k: after[k] for k in first if k != "st/catalog.json"} == \
        {k: v for k, v in first.items() if k != "st/catalog.json"}  # 1.0.0 untouched
    catalog = catalog_of(client, name)
    assert list(catalog["datasets"]["toy"]["versions"]) == ["1.0.0", "1.1.0"]
    assert not [k for k in after if k.endswith(LOCK)]  # the lease was released

    log.seen.clear()
    done = factpack("fetch", "toy@1.1.0", "--store", url, "-q", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert sorted(log.keys(name)) == ["catalog.json", "toy/toy-1.1.0.zip"]  # and nothing else
    folder = Path(done.stdout.strip())
    assert pl.read_csv(folder / "data" / "items.csv")["id"].to_list() == list("abcde")

    diff = factpack("diff", "toy@1.0.0", "toy@1.1.0", "--store", url, "--format", "json",
                    cwd=repo)
    assert diff.returncode == 1, diff.stderr
    report = json.loads(diff.stdout)
    assert report["bump"] == "minor" and not report["identical"]


def test_validate_an_s3_descriptor(bucket, repo, monkeypatch, tmp_path):
    name, client, _ = bucket
    publish_to_bucket(repo, f"s3://{name}/st", today=DAY)
    target = f"s3://{name}/st/toy/1.0.0/datapackage.json"
    ok = factpack("validate", target, cwd=repo)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert load(target, progress=False)["items"]["id"].to_list() == list("abc")  # by its URL
    key = "st/toy/1.0.0/data/items.csv"
    text = client.get_object(Bucket=name, Key=key)["Body"].read().replace(b"alpha", b"alpHa")
    client.put_object(Bucket=name, Key=key, Body=text)  # same size, other bytes
    bad = factpack("validate", target, "--format", "json", cwd=repo)
    assert bad.returncode == 1
    codes = {(e["code"], e["path"]) for e in json.loads(bad.stdout)["packages"][0]["errors"]}
    assert ("hash-count", f"s3://{name}/{key}") in codes
    monkeypatch.setenv("FACTPACK_CACHE", str(tmp_path / "fresh"))  # not the verified copy
    with pytest.raises(FactpackError, match="hash|sha256"):
        load(target, progress=False)  # the descriptor's hash refuses the changed CSV
    missing = factpack("validate", f"s3://{name}/st/nothing/datapackage.json", cwd=repo)
    assert missing.returncode == 2
    assert f"s3://{name}/st/nothing/datapackage.json: not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_s3_without_boto3_is_one_clear_error(monkeypatch, tmp_path):
    from factpack.validation.run import validate_target

    monkeypatch.setattr(objects, "find_spec", lambda name: None)  # as if boto3 were absent
    with pytest.raises(FactpackError, match=r"needs boto3: pip install 'factpack\[s3\]'"):
        validate_target("s3://bucket/pkg/datapackage.json", tmp_path)
    with pytest.raises(FactpackError, match="needs boto3"):
        fetch("toy", store="s3://bucket/st", progress=False)


def test_a_published_version_is_never_overwritten(bucket, repo):
    name, client, _ = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    commit_ledger(repo)
    before = objects_of(client, name)
    # another clone releases 1.0.0 with other content: refused, nothing written
    write_version(repo, "1.0.0", ROWS_1_1_0)
    git(repo, "checkout", "-q", "--", "datasets/toy/releases.json")
    with pytest.raises(FactpackError, match="already published|not bumped"):
        publish_to_bucket(repo, url, today=DAY)
    assert objects_of(client, name) == before
    # and a bare write over a listed object is refused by the server itself
    with pytest.raises(objects.Exists):
        objects.Bucket(name, "st").put_file("toy/1.0.0/README.md", repo / ".gitignore", "x")


def test_a_killed_publish_leaves_a_valid_store_and_the_next_completes_it(bucket, repo, tmp_path):
    name, client, _ = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    commit_ledger(repo)
    write_version(repo, "1.1.0", ROWS_1_1_0)
    # a publish killed (os._exit, no cleanup) after its third upload
    script = (
        "import os, sys; from pathlib import Path\n"
        "from factpack.core import s3\n"
        "from factpack.release import s3publish\n"
        "s3publish.WORKERS = 1  # one upload at a time: killed after exactly three\n"
        "put, count = s3.Bucket.put_file, [0]\n"
        "def dying(self, *a, **k):\n"
        "    count[0] += 1\n"
        "    if count[0] > 3: os._exit(9)\n"
        "    return put(self, *a, **k)\n"
        "s3.Bucket.put_file = dying\n"
        f"s3publish.publish_to_bucket(Path(sys.argv[1]), {url!r}, today={DAY!r})\n")
    env = os.environ | {"PYTHONPATH": str(SRC)}
    killed = subprocess.run([sys.executable, "-c", script, str(repo)], env=env,
                            capture_output=True, text=True, check=False)
    assert killed.returncode == 9, killed.stderr
    left = objects_of(client, name)
    assert f"st/{LOCK}" in left  # the dead publisher's lease
    assert len([k for k in left if k.startswith("st/toy/1.1.0/")]) == 3
    assert list(catalog_of(client, name)["datasets"]["toy"]["versions"]) == ["1.0.0"]
    assert fetch("toy", store=url, progress=False).is_dir()  # the store is still valid
    # a leftover that differs from what the next publish writes is replaced, not kept
    leftover = min(k for k in left if k.startswith("st/toy/1.1.0/"))
    client.put_object(Bucket=name, Key=leftover, Body=b"half-written by someone")

    lines = publish_to_bucket(repo, url, today=DAY)  # takes over the dead process's lease
    assert "published toy 1.1.0" in lines
    catalog = catalog_of(client, name)
    assert catalog["datasets"]["toy"]["latest"] == "1.1.0"
    assert f"st/{LOCK}" not in objects_of(client, name)
    package = load("toy@1.1.0", store=url, progress=False)  # every file verified
    assert package["items"]["id"].to_list() == list("abcde")


def test_concurrent_publishers_are_serialised_by_the_lease(bucket, repo):
    name, client, _ = bucket
    url = f"s3://{name}/st"
    ledger_before = (repo / "datasets/toy/releases.json").exists()
    with Lease(objects.Bucket(name, "st")):
        with pytest.raises(FactpackError, match="another publish holds the store's lock"):
            publish_to_bucket(repo, url, today=DAY, wait=0.5)
        assert [k for k in objects_of(client, name)] == [f"st/{LOCK}"]
    assert (repo / "datasets/toy/releases.json").exists() == ledger_before
    assert "published toy 1.0.0" in publish_to_bucket(repo, url, today=DAY, wait=0.5)


def test_concurrent_publishers_of_different_versions(bucket, repo, tmp_path):
    """Two clones publish at once, one 1.1.0 (rows added), the other 2.0.0 (a column
    renamed): the lease serialises them, so both are published, whichever came first, and
    the store ends valid: every version it lists loads, every file verified. (The second
    clone's bump is judged against its own latest release, 1.0.0, as on a folder store.)"""
    name, client, _ = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    commit_ledger(repo)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(repo), str(other))
    write_version(repo, "1.1.0", ROWS_1_1_0)
    write_version(other, "2.0.0", ROWS_1_0_0, label="title")
    env = os.environ | {"PYTHONPATH": str(SRC)}
    runs = [subprocess.Popen([sys.executable, "-m", "factpack", "publish", "--store", url,
                              "--no-site", "--date", DAY], cwd=where, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for where in (repo, other)]
    done = [(r.wait(timeout=300), *r.communicate()) for r in runs]
    published = []
    for (code, out, err), version in zip(done, ("1.1.0", "2.0.0"), strict=True):
        assert "Traceback" not in err and "internal error" not in err, err
        if code == 0:
            assert f"published toy {version}" in out
            published.append(version)
    # serialised: the second waited for the lease, then published on top of the first
    assert sorted(published) == ["1.1.0", "2.0.0"], done
    catalog = catalog_of(client, name)
    versions = catalog["datasets"]["toy"]["versions"]
    assert set(versions) == {"1.0.0", "1.1.0", "2.0.0"}
    assert catalog["datasets"]["toy"]["latest"] == "2.0.0"
    assert f"st/{LOCK}" not in objects_of(client, name)
    for version in versions:  # the store is valid: each listed version verifies
        package = load(f"toy@{version}", store=url, progress=False)
        assert package.version == version
    listed = {f["path"] for v in versions.values() for f in (*v["files"], v["zip"])}
    assert {f"st/{p}" for p in listed} <= set(objects_of(client, name))


def test_a_fetch_killed_mid_download_leaves_nothing_and_the_next_completes(bucket, repo):
    name, _, _ = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    cache = Path(os.environ["FACTPACK_CACHE"])
    # a fetch killed (os._exit, no cleanup) after its first chunk of the zip was written
    script = (
        "import os, sys\n"
        "from factpack.core import s3\n"
        "from factpack.access.fetch import fetch\n"
        "s3.CHUNK = 512\n"
        "down = s3.Bucket.download\n"
        "def dying(self, rel, dest, cap, advance):\n"
        "    def step(n=0, reset=False):\n"
        "        if n: os._exit(9)\n"
        "    return down(self, rel, dest, cap, step)\n"
        "s3.Bucket.download = dying\n"
        f"fetch('toy', store={url!r}, progress=False)\n")
    env = os.environ | {"PYTHONPATH": str(SRC)}
    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, check=False)
    assert killed.returncode == 9, killed.stderr
    left = [p for p in (cache / "tmp").rglob("*.zip.part")]
    assert len(left) == 1  # the dead fetch's partial zip, in its work folder
    assert not (cache / "packages").exists() or not any((cache / "packages").iterdir())
    folder = fetch("toy", store=url, progress=False)  # the next fetch completes
    assert pl.read_csv(folder / "data" / "items.csv")["id"].to_list() == list("abc")
    assert [p.name for p in (cache / "packages").iterdir()] == [folder.name]
    assert not list((cache / "tmp").rglob("*.part"))  # the dead one's leftovers are gone


def test_a_body_broken_off_is_resumed_and_a_short_one_refused(bucket, repo, monkeypatch):
    """A response body that breaks off mid-way is resumed with a Range request pinned by
    ETag; a zip shorter than the catalog says is refused, nothing kept."""
    from botocore.exceptions import ResponseStreamingError
    from botocore.response import StreamingBody

    name, client, log = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    monkeypatch.setattr(objects, "CHUNK", 512)
    chunks, broken = StreamingBody.iter_chunks, []

    def breaking(self, chunk_size=1024):
        for i, chunk in enumerate(chunks(self, chunk_size)):
            if i == 1 and not broken:  # once: after the first chunk
                broken.append(True)
                raise ResponseStreamingError(error="connection reset by peer")
            yield chunk

    monkeypatch.setattr(StreamingBody, "iter_chunks", breaking)
    log.seen.clear()
    folder = fetch("toy", store=url, progress=False)
    assert broken and pl.read_csv(folder / "data" / "items.csv")["id"].to_list() == list("abc")
    assert log.keys(name).count("toy/toy-1.0.0.zip") == 2  # the first GET, then the resumed
    monkeypatch.setattr(StreamingBody, "iter_chunks", chunks)
    cache = Path(os.environ["FACTPACK_CACHE"])
    shutil.rmtree(cache)
    key = "st/toy/toy-1.0.0.zip"
    whole = client.get_object(Bucket=name, Key=key)["Body"].read()
    client.put_object(Bucket=name, Key=key, Body=whole[:-100])  # cut short on the store
    with pytest.raises(FactpackError, match="byte count"):
        fetch("toy", store=url, progress=False)
    assert not list((cache / "packages").glob("*")) and not list((cache / "tmp").rglob("*.part"))


def test_a_catalog_changed_behind_the_lease_refuses_the_publish(bucket, repo, monkeypatch):
    name, client, _ = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    commit_ledger(repo)
    write_version(repo, "1.1.0", ROWS_1_1_0)
    book = (repo / "datasets/toy/releases.json").read_bytes()
    swap = objects.Bucket.swap

    def rogue_then_swap(self, rel, data, etag):
        if rel == "catalog.json":  # a writer that ignores the lease gets in first
            client.put_object(Bucket=name, Key="st/catalog.json", Body=b'{"rogue": 1}')
        return swap(self, rel, data, etag)

    monkeypatch.setattr(objects.Bucket, "swap", rogue_then_swap)
    with pytest.raises(FactpackError, match="changed while this publish ran"):
        publish_to_bucket(repo, url, today=DAY)
    assert client.get_object(Bucket=name, Key="st/catalog.json")["Body"].read() == b'{"rogue": 1}'
    assert (repo / "datasets/toy/releases.json").read_bytes() == book  # the ledger put back
    assert [r.version for r in ledger.read_ledger(repo, "toy").releases] == ["1.0.0"]


def test_tampering_on_the_store_is_refused(bucket, repo):
    name, client, _ = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    client.put_object(Bucket=name, Key="st/toy/toy-1.0.0.zip", Body=b"PK not the release")
    with pytest.raises(FactpackError, match="byte count|sha256"):
        fetch("toy@1.0.0", store=url, progress=False)
    assert not list((Path(os.environ["FACTPACK_CACHE"]) / "packages").glob("*"))
    key = "st/toy/1.0.0/datapackage.json"
    desc = client.get_object(Bucket=name, Key=key)["Body"].read()
    client.put_object(Bucket=name, Key=key, Body=desc.replace(b"Toy records", b"Toy recordz"))
    with pytest.raises(FactpackError, match="sha256"):
        load("toy@1.0.0", store=url, lazy=True)
    commit_ledger(repo)
    write_version(repo, "1.1.0", ROWS_1_1_0)
    with pytest.raises(FactpackError, match="changed behind the catalog's back"):
        publish_to_bucket(repo, url, today=DAY)


def test_lazy_load_reads_parquet_in_place_over_s3_and_http(bucket, repo, server):
    name, _, log = bucket
    url = f"s3://{name}/st"
    publish_to_bucket(repo, url, today=DAY)
    eager = load("toy@1.0.0", store=url, progress=False)["items"]
    log.seen.clear()
    lazy = load("toy", store=url, lazy=True)
    assert isinstance(lazy["items"], pl.LazyFrame)
    assert lazy.urls["items"] == f"s3://{name}/st/toy/1.0.0/data/items.parquet"
    assert lazy["items"].filter(pl.col("amount") > 1).collect().equals(
        eager.filter(pl.col("amount") > 1))
    touched = set(log.keys(name)) | set(log.keys(name, "HEAD"))
    assert touched == {"catalog.json", "toy/1.0.0/datapackage.json",
                       "toy/1.0.0/data/items.parquet"}  # no zip, no CSV, no other version
    # the same store served over plain HTTP (the bucket read anonymously, path-style)
    endpoint, _ = server
    http = load("toy@1.0.0", store=f"{endpoint}/{name}/st/", lazy=True)
    assert http["items"].collect().equals(eager)


class HTTPFiles(HTTPFileSystem):
    """fsspec's HTTP file system with the ``modified()`` DuckDB asks of every file system
    registered with it (fsspec leaves it unimplemented; see fsspec/s3fs#1021), taken from
    the ``Last-Modified`` header fsspec already reads."""

    def modified(self, path: str) -> dt.datetime:
        return parsedate_to_datetime(self.info(path)["Last-Modified"])


def test_duckdb_queries_a_published_table_by_url(bucket, repo, server):
    """DuckDB reads the published Parquet by its URL, over plain HTTP and over s3://, and
    touches nothing but that object. DuckDB's own httpfs extension is downloaded at run
    time, which tests cannot do: fsspec file systems registered with DuckDB stand in (the
    documented way to give DuckDB a file system from Python)."""
    import duckdb

    name, _, log = bucket
    endpoint, _ = server
    publish_to_bucket(repo, f"s3://{name}/st", today=DAY)
    local = load("toy@1.0.0", store=f"s3://{name}/st", progress=False)["items"]
    want = sorted(local.filter(pl.col("amount") > 1).select("id", "amount").rows())
    urls = {"s3": load("toy", store=f"s3://{name}/st", lazy=True).urls["items"],
            "http": load("toy", store=f"{endpoint}/{name}/st/", lazy=True).urls["items"]}
    assert urls == {"s3": f"s3://{name}/st/toy/1.0.0/data/items.parquet",
                    "http": f"{endpoint}/{name}/st/toy/1.0.0/data/items.parquet"}
    con = duckdb.connect()
    con.register_filesystem(HTTPFiles())
    # credentials from the AWS variables; pyarrow reads the endpoint only when given it
    con.register_filesystem(ArrowFSWrapper(pafs.S3FileSystem(endpoint_override=endpoint)))
    for how, url in urls.items():
        log.seen.clear()
        got = con.sql("SELECT id, amount FROM read_parquet($url) WHERE amount > 1 ORDER BY id",
                      params={"url": url}).fetchall()
        assert got == want, how
        touched = {p for _, p in log.seen}
        assert touched == {f"/{name}/st/toy/1.0.0/data/items.parquet"}, how  # that object only
    con.close()


def test_the_website_works_served_from_the_bucket(bucket, repo, server):
    from factpack.site.render import render

    name, client, _ = bucket
    endpoint, _ = server
    lines = publish_to_bucket(repo, f"s3://{name}/st", today=DAY, render=render)
    assert f"rendered the website in s3://{name}/st" in lines
    page = f"{endpoint}/{name}/st/toy/1.0.0.html"
    got = httpx.get(page)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
    catalog = catalog_of(client, name)
    sha = {f["path"]: f["sha256"] for v in catalog["datasets"]["toy"]["versions"].values()
           for f in (*v["files"], v["zip"])}
    links = {urljoin(page, h) for h in re.findall(r'href="([^"#:]+)"', got.text)}
    downloads = [u for u in links if u.startswith(f"{endpoint}/{name}/st/toy/1.0.0/")
                 or u.endswith(".zip")]
    assert any(u.endswith(".zip") for u in downloads) and len(downloads) >= 4
    import hashlib

    for link in links:  # every relative link of the page resolves on the object store
        answer = httpx.get(link)
        assert answer.status_code == 200, link
        rel = link.removeprefix(f"{endpoint}/{name}/st/")
        if rel in sha:
            assert hashlib.sha256(answer.content).hexdigest() == sha[rel]
    css = httpx.get(f"{endpoint}/{name}/st/assets/site.css")
    assert css.headers["content-type"].startswith("text/css")


def test_large_objects_go_up_in_parts_and_come_down_in_chunks(bucket, tmp_path, monkeypatch):
    name, client, log = bucket
    monkeypatch.setattr(objects, "PART", 5 << 20)  # S3's smallest part
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1 << 20) * 12)  # 12 MiB: three parts
    store = objects.Bucket(name, "st")
    from factpack.core.hashing import file_digest

    sha, size = file_digest(big)
    log.seen.clear()
    store.put_file("big.bin", big, sha)
    assert len([p for m, p in log.seen if m == "PUT" and p == f"/{name}/st/big.bin"]) == 3
    chunks: list[int] = []
    got = store.download("big.bin", tmp_path / "back.bin", size, lambda n=0, reset=False:
                         chunks.append(n))
    assert (got.sha256, got.bytes) == (sha, size)
    assert max(chunks) <= objects.CHUNK and len(chunks) >= 12
    with pytest.raises(objects.Exists):
        store.put_file("big.bin", big, sha)  # If-None-Match on the completed upload too
    assert client.list_multipart_uploads(Bucket=name).get("Uploads", []) == []
    with pytest.raises(FactpackError, match="larger than the 100 bytes"):
        store.download("big.bin", tmp_path / "capped.bin", 100, lambda n=0, reset=False: None)
