"""``factpack publish --store s3://BUCKET/PREFIX``: the release store on object storage.

Object storage has no rename and many writers, so the promises of the folder store
(:mod:`factpack.release.store`) are kept another way:

1. a **lease** (``.publish-lock``, created with ``If-None-Match: *``, renewed and
   released by ``If-Match``) serialises publishers; a lease whose holder died (same host,
   no such process) or expired is taken over, so a killed publish blocks nobody for long;
2. the publish runs as on disk against a **local mirror** holding the store's catalog
   and only the files it reads (the latest version of each dataset published, every
   file checked against the catalog's sha256 and size: a tampered store is refused);
3. the **objects of each new version go up first**, each with ``If-None-Match: *``: a
   listed version is never written; an object already there is one that a killed publish
   left (the catalog does not list it) and is replaced, under the lease;
4. **catalog.json last**, as a compare-and-swap on the ETag it was read with
   (``If-Match``): if it changed meanwhile the publish is refused and the ledger put back;
5. the website, if asked for, is rendered in the mirror and its changed pages uploaded.

A publish killed at any point leaves a valid store (the old catalog, perhaps objects
it does not list); the next publish takes over the lease and completes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Self

from ..core.errors import FactpackError
from ..core.s3 import Bucket, Changed, Exists
from ..core.versions import parse_version
from ..descriptors.load import dataset_dirs
from ..spec.catalog import CATALOG, CATALOG_LIMIT, Catalog, CatalogFile
from . import ledger

LOCK = ".publish-lock"
LEASE = 600.0  # seconds a lease lasts unless renewed (renewed at half-time while publishing)
DIFF_LIMIT = 64 << 20  # bytes of a diff report read back for the website
UNREAD = (".sqlite", ".md", ".zip")  # files of a version that a publish never reads back
WAIT = 120.0  # seconds to wait for another publisher's lease before refusing
WORKERS = 4  # objects uploaded or downloaded at once
Say = Callable[[str], None]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lease:
    """The store's publish lock: one object, written only by compare-and-swap."""

    def __init__(self, bucket: Bucket, wait: float = WAIT, lease: float = LEASE) -> None:
        self.bucket, self.wait, self.lease = bucket, wait, lease
        self.owner = uuid.uuid4().hex
        self.etag: str | None = None
        self.renewed = 0.0

    def _body(self) -> bytes:
        return json.dumps({"owner": self.owner, "host": socket.gethostname(),
                           "pid": os.getpid(), "expires": time.time() + self.lease}).encode()

    def _stale(self, raw: bytes) -> bool:
        try:
            held = json.loads(raw)
            if held["expires"] < time.time():
                return True
            return held["host"] == socket.gethostname() and not _alive(int(held["pid"]))
        except (ValueError, KeyError, TypeError):
            return True  # not a lease factpack wrote: nobody is publishing under it

    def __enter__(self) -> Self:
        ends = time.monotonic() + self.wait
        while True:
            try:
                self.etag = self.bucket.swap(LOCK, self._body(), None)
                break
            except Changed:
                pass
            raw, etag = self.bucket.read_tagged(LOCK, 4096)
            if raw is not None and self._stale(raw):
                try:  # take it over; of two takers, If-Match lets one win
                    self.etag = self.bucket.swap(LOCK, self._body(), etag)
                    break
                except Changed:
                    continue
            if time.monotonic() > ends:
                raise FactpackError(
                    f"{self.bucket.url(LOCK)}: another publish holds the store's lock "
                    f"({_holder(raw)}); nothing was published: try again once it is done")
            time.sleep(0.5)
        self.renewed = time.monotonic()
        return self

    def keep(self) -> None:
        """Renew the lease at half-time; refuse to go on if someone took it over."""
        if time.monotonic() - self.renewed < self.lease / 2:
            return
        try:
            self.etag = self.bucket.swap(LOCK, self._body(), self.etag)
        except Changed:
            raise FactpackError(f"{self.bucket.url(LOCK)}: the publish lock was taken over "
                                "(this publish took longer than its lease); the catalog was "
                                "not changed: publish again") from None
        self.renewed = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        try:
            _, etag = self.bucket.read_tagged(LOCK, 4096)
            if etag == self.etag:  # still ours: not taken over after it expired
                self.bucket.delete(LOCK)
        except FactpackError:
            pass  # the store is unreachable: the lease runs out by itself


def _holder(raw: bytes | None) -> str:
    try:
        held = json.loads(raw or b"")
        until = time.strftime("%H:%M:%S UTC", time.gmtime(held["expires"]))
        return f"process {held['pid']} on {held['host']}, until {until} at the latest"
    except (ValueError, KeyError, TypeError):
        return "unknown holder"


# --------------------------------------------------------------------------- the mirror


def mirrored(root: Path, catalog: Catalog, names: list[str], site: bool
             ) -> dict[str, CatalogFile | None]:
    """The store files a publish reads (path -> its catalog entry; None for a diff report,
    which the catalog names but does not hash): of each dataset being published, the
    descriptor and tables of its latest version, of the ledger's latest (another clone may
    have published since) and of the version before each ledger version the store lacks
    (bumps and diffs are judged against them), and every latest descriptor
    (titles); for the website, the descriptors, CSV files and diffs of every version."""
    out: dict[str, CatalogFile | None] = {}
    for name, ds in catalog.datasets.items():
        full = set()
        if name in names:
            full.add(ds.latest)
            listed = sorted(ds.versions, key=parse_version)
            book = ledger.read_ledger(root, name)
            if (mine := book.latest()) is not None and mine.version in ds.versions:
                full.add(mine.version)  # the bump is judged against this clone's latest
            for rel in book.releases:
                before = [v for v in listed if parse_version(v) < parse_version(rel.version)]
                if rel.version not in ds.versions and before:
                    full.add(before[-1])
        for ver, entry in ds.versions.items():
            for f in entry.files:
                if (ver in full and not f.path.endswith(UNREAD)) \
                        or (site and f.path.endswith((".json", ".csv"))) \
                        or (ver == ds.latest and f.path.endswith("/datapackage.json")):
                    out[f.path] = f
            if site and entry.diff:
                out[entry.diff] = None
    return out


def _mirror(bucket: Bucket, files: dict[str, CatalogFile | None], mirror: Path) -> None:
    def one(rel: str, f: CatalogFile | None) -> None:
        dest = mirror / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if f is None:  # a diff report: small, and the website checks what it reads of it
            dest.write_bytes(bucket.read(rel, DIFF_LIMIT))
            return
        got = bucket.download(rel, dest, f.bytes, lambda n=0, reset=False: None)
        if (got.sha256, got.bytes) != (f.sha256.lower(), f.bytes):
            raise FactpackError(
                f"{bucket.url(rel)}: sha256 {got.sha256[:12]}… ({got.bytes} bytes), the "
                f"catalog says {f.sha256[:12]}… ({f.bytes} bytes): the store was changed "
                "behind the catalog's back; refusing to publish on top of it")

    _each(one, list(files.items()))


def _each(work: Callable[..., None], items: list[tuple], between: Callable[[], None] = lambda: None
          ) -> None:
    """``work(*item)`` for every item, :data:`WORKERS` at a time (each request to object
    storage waits on the network, so they overlap; memory is a part per worker); the first
    failure is raised once the running ones are done, and no new one starts after it.
    ``between`` runs in this thread after each one (renewing the lease)."""
    with ThreadPoolExecutor(WORKERS) as pool:
        running = [pool.submit(work, *item) for item in items]
        try:
            for done in as_completed(running):
                done.result()
                between()
        except BaseException:
            for future in running:
                future.cancel()
            raise


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _md5(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


# --------------------------------------------------------------------------- publishing


def publish_to_bucket(root: Path, url: str, names: list[str] | None = None,
                      today: str | None = None, render: Callable[[Path], None] | None = None,
                      say: Say = lambda message: None, wait: float = WAIT) -> list[str]:
    """:func:`factpack.release.publish.publish` into ``s3://BUCKET/PREFIX``."""
    from .publish import publish, render_site

    bucket = Bucket.from_url(url)
    names = names or [d.name for d in dataset_dirs(root)]
    with tempfile.TemporaryDirectory(prefix="factpack-s3-") as tmp, Lease(bucket, wait) as lease:
        mirror = Path(tmp) / "store"
        mirror.mkdir()
        raw, etag = bucket.read_tagged(CATALOG, CATALOG_LIMIT)
        old = Catalog.empty()
        if raw is not None:
            (mirror / CATALOG).write_bytes(raw)
            old = Catalog.parse(raw, bucket.url(CATALOG))
            _mirror(bucket, mirrored(root, old, names, render is not None), mirror)
        ledgers = {p: p.read_bytes() for p in (root / "datasets").glob(f"*/{ledger.LEDGER}")}
        try:
            lines = publish(root, mirror, names, today, None, say)
            _upload_versions(bucket, old, mirror, lease, say)
            new = (mirror / CATALOG).read_bytes()
            if new != raw:
                lease.keep()
                try:
                    bucket.swap(CATALOG, new, etag)
                except Changed:
                    raise FactpackError(
                        f"{bucket.url(CATALOG)} changed while this publish ran (a publisher "
                        "that does not take the lock?); it was left as the other wrote it: "
                        "publish again") from None
        except BaseException:
            for path, data in ledgers.items():  # the release did not happen: nor in the ledger
                path.write_bytes(data)
            raise
        lines = [line.replace(str(mirror), bucket.url()) for line in lines]
        if render_site(mirror, render):
            _upload_site(bucket, mirror, lease, say)
            lines.append(f"rendered the website in {bucket.url()}")
    return lines


def _upload_versions(bucket: Bucket, old: Catalog, mirror: Path, lease: Lease, say: Say) -> None:
    """Every object of every version the old catalog does not list, never over a listed one."""
    new = Catalog.parse((mirror / CATALOG).read_bytes(), str(mirror / CATALOG))
    for name, ds in new.datasets.items():
        listed = old.datasets[name].versions if name in old.datasets else {}
        for ver, entry in ds.versions.items():
            if ver in listed:
                continue
            say(f"uploading {name} {ver} to {bucket.url()}")
            rels = [f.path for f in (*entry.files, entry.zip)] + ([entry.diff] if entry.diff else [])
            lease.keep()
            _each(lambda rel: _upload(bucket, mirror / rel, rel), [(r,) for r in rels],
                  lease.keep)


def _upload(bucket: Bucket, path: Path, rel: str) -> None:
    sha = _sha256(path)
    try:
        bucket.put_file(rel, path, sha)
    except Exists:  # left by a killed publish (no catalog lists it) unless the same
        if bucket.sha256_of(rel) != sha:
            bucket.put_file(rel, path, sha, overwrite=True)


def _upload_site(bucket: Bucket, mirror: Path, lease: Lease, say: Say) -> None:
    """The website's pages and pictures that differ from what the store holds (by MD5 ETag)."""
    catalog = Catalog.parse((mirror / CATALOG).read_bytes(), str(mirror / CATALOG))
    versioned = {CATALOG} | {f.path for ds in catalog.datasets.values()
                             for v in ds.versions.values() for f in (*v.files, v.zip)} \
        | {v.diff for ds in catalog.datasets.values() for v in ds.versions.values() if v.diff}
    there = bucket.etags()
    changed = [p for p in sorted(mirror.rglob("*")) if p.is_file()
               and (rel := p.relative_to(mirror).as_posix()) not in versioned
               and not rel.startswith(".") and there.get(rel, "").strip('"') != _md5(p)]
    say(f"uploading {len(changed)} changed pages of the website")
    lease.keep()
    _each(lambda path: bucket.put_file(path.relative_to(mirror).as_posix(), path, _sha256(path),
                                       overwrite=True), [(p,) for p in changed], lease.keep)
