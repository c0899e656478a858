"""The release store: a plain folder tree any static host can serve, changed only under a lock.

::

    catalog.json
    <name>/<version>/                the built package folder
    <name>/<name>-<version>.zip
    <name>/<version>.diff.json       diff from the previous version (absent for the first)

A version is published when ``catalog.json`` lists it. A publish stages every new
file in a hidden folder inside the store (same file system), moves each into
place with rename(2) and replaces ``catalog.json`` last. A failure anywhere undoes
the moves, so the store is left exactly as it was; a crash can leave only files
the catalog does not list, which the next publish replaces.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..core.errors import FactpackError
from ..spec.catalog import CATALOG, Catalog

LOCK = ".lock"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing), held for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_NOFOLLOW: a link planted as the lock file is not followed
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise FactpackError(f"{path}: a symbolic link; factpack never writes through links "
                            "(remove it)") from None
    with os.fdopen(fd, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # waits for another publish to finish
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def clear_leftovers(store: Path) -> None:
    """Remove the staging and work folders of publishes that crashed (call with the lock
    held: only a publish holding it makes them)."""
    for pattern in (".staging-*", ".work-*"):
        for folder in store.glob(pattern):
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def work_dir(store: Path) -> Iterator[Path]:
    """A private work folder inside the store (never the system's temporary folder, where a
    killed publish would leave it forever), removed on any exit; call with the lock held."""
    store.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".work-", dir=store))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def refuse_links(store: Path) -> None:
    """Refuse a store holding a symbolic link anywhere: publishing writes into the store, and
    a planted link (``index.html``, ``assets/``, a dataset folder) would send it elsewhere."""
    for folder, dirs, files in os.walk(store):  # never descends into a linked folder
        for entry in [*dirs, *files]:
            path = Path(folder) / entry
            if path.is_symlink():
                raise FactpackError(
                    f"{path}: a symbolic link in the store; factpack never writes through "
                    "links (remove it, then publish again); nothing was published")


@contextmanager
def os_errors(store: Path) -> Iterator[None]:
    """A file-system refusal (read-only store, permission, full disk) as one line naming the
    file; the transaction has already put the store back."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None:
            raise
        where = exc.filename or store
        raise FactpackError(f"{where}: cannot write ({exc.strerror}); nothing was published "
                            f"to {store}") from None


def read_catalog(store: Path) -> Catalog:
    """The store's catalog; an empty one for a new store."""
    path = store / CATALOG
    if not path.is_file():
        return Catalog.empty()
    return Catalog.parse(path.read_bytes(), str(path))


def json_bytes(obj: Any) -> bytes:
    """A JSON file of the store (a diff report): indented UTF-8, one trailing newline, as
    :meth:`Catalog.dump` writes the catalog."""
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode()


def move(src: Path, dst: Path) -> None:
    """rename(2); the one step of a commit that tests make fail on purpose (they replace
    this function: the step is four calls below :func:`factpack.release.publish.publish`)."""
    os.replace(src, dst)


class Transaction:
    """Files staged inside the store, moved into place together, or not at all."""

    def __init__(self, store: Path) -> None:
        self.store = store
        store.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=store))
        self.staged: list[str] = []
        self.done: list[tuple[Path, Path | None]] = []  # (placed, what it replaced, set aside)
        self.made_dirs: list[Path] = []
        self.old_catalog: bytes | None = None
        self.catalog_replaced = False

    def add_tree(self, rel: str, src: Path) -> None:
        shutil.copytree(src, self._staged(rel))

    def add_file(self, rel: str, src: Path) -> None:
        shutil.copyfile(src, self._staged(rel))

    def add_bytes(self, rel: str, data: bytes) -> None:
        self._staged(rel).write_bytes(data)

    def _staged(self, rel: str) -> Path:
        path = self.staging / "new" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.staged.append(rel)
        return path

    def commit(self, catalog: Catalog) -> None:
        """Move the staged files into place, then the catalog; undo everything on failure."""
        try:
            for rel in self.staged:
                final = self.store / rel
                self._make_parents(final.parent)
                aside = None
                if final.exists():  # left by a crashed publish: the catalog does not list it
                    aside = self.staging / "old" / rel
                    aside.parent.mkdir(parents=True, exist_ok=True)
                    move(final, aside)
                self.done.append((final, aside))
                move(self.staging / "new" / rel, final)
            path = self.store / CATALOG
            self.old_catalog = path.read_bytes() if path.is_file() else None
            (self.staging / CATALOG).write_bytes(catalog.dump())
            with (self.staging / CATALOG).open("rb") as fh:
                os.fsync(fh.fileno())
            move(self.staging / CATALOG, path)
            self.catalog_replaced = True
        except BaseException:
            self.rollback()
            raise

    def _make_parents(self, folder: Path) -> None:
        missing = [p for p in [folder, *folder.parents] if p.is_relative_to(self.store)
                   and not p.exists()]
        for p in reversed(missing):
            p.mkdir()
            self.made_dirs.append(p)

    def rollback(self) -> None:
        """Put the store back as it was (plain renames: this must not fail the same way)."""
        if self.catalog_replaced:
            path = self.store / CATALOG
            if self.old_catalog is None:
                path.unlink(missing_ok=True)
            else:
                (self.staging / "catalog.old").write_bytes(self.old_catalog)
                os.replace(self.staging / "catalog.old", path)
            self.catalog_replaced = False
        for final, aside in reversed(self.done):
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            elif final.exists() or final.is_symlink():
                final.unlink()
            if aside is not None and aside.exists():
                os.replace(aside, final)
        self.done.clear()
        for folder in reversed(self.made_dirs):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        self.made_dirs.clear()

    def close(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
