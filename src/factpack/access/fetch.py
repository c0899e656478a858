"""``factpack fetch NAME[@VERSION|@latest]``: download a published package, verified.

Reads ``catalog.json`` from a release store, downloads the version's zip into
a private work folder in the cache, checks its sha256 and byte count, unpacks
it safely, checks every file against the catalog and every resource against
``datapackage.json``, and only then renames it into
``<cache>/packages/<zip sha256>/``. Any failure removes the work folder, so the
cache holds verified packages or nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..core.atomic import temp_folder
from ..core.errors import FactpackError
from ..core.hashing import file_digest
from ..core.transfer import Store, safe_relpath
from ..core.unpack import (
    MAX_PACKAGE_BYTES,
    Expected,
    check_resources,
    mismatch,
    read_package_json,
    unpack,
)
from ..spec.catalog import CATALOG, CATALOG_LIMIT, Catalog, CatalogVersion

SPEC = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:@(?P<version>[^@\s]+))?$")


# -- where things are --------------------------------------------------------------------------

def cache_dir() -> Path:
    """``$FACTPACK_CACHE``, else the platform's user cache folder for factpack."""
    if os.environ.get("FACTPACK_CACHE"):
        return Path(os.environ["FACTPACK_CACHE"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("factpack"))


def default_store() -> str:
    """``$FACTPACK_STORE``, else ``build/site`` of the repository we are in."""
    if os.environ.get("FACTPACK_STORE"):
        return os.environ["FACTPACK_STORE"]
    from ..descriptors.load import repo_root

    return str(repo_root() / "build" / "site")


def parse_spec(spec: str, version: str | None = None) -> tuple[str, str | None]:
    """``NAME``, ``NAME@VERSION`` or ``NAME@latest`` -> (name, version or None for latest)."""
    m = SPEC.match(spec)
    if not m:
        raise FactpackError(f"{spec!r} is not NAME, NAME@VERSION or NAME@latest")
    name, at = m["name"], m["version"]
    if at and version and at != version:
        raise FactpackError(f"{spec!r} names version {at} but version={version!r} was also given")
    chosen = at or version
    return name, None if chosen in (None, "latest") else chosen


def read_catalog(store: Store) -> Catalog:
    """The store's ``catalog.json``, at most :data:`CATALOG_LIMIT` bytes of it."""
    return Catalog.parse(store.read(CATALOG, CATALOG_LIMIT), store.where(CATALOG))


def resolve(catalog: Catalog, name: str, version: str | None) -> CatalogVersion:
    """The release a name and version (None = latest) refer to, or a message listing choices."""
    ds = catalog.datasets.get(name)
    if ds is None:
        known = ", ".join(sorted(catalog.datasets)) or "none"
        raise FactpackError(f"no dataset {name!r} in the store (it has: {known})")
    chosen = version or ds.latest
    release = ds.versions.get(chosen)
    if release is None:
        known = ", ".join(sorted(ds.versions)) or "none"
        raise FactpackError(f"{name} has no version {chosen!r} (published: {known})")
    return release


# -- fetching ----------------------------------------------------------------------------------

def fetch(spec: str, version: str | None = None, store: str | Path | None = None,
          to: str | Path | None = None, progress: bool = True,
          max_bytes: int = MAX_PACKAGE_BYTES, **transfer: Any) -> Path:
    """Download, verify and unpack a published package; return its folder.

    The folder is in the cache unless ``to`` names a new or empty folder to copy it into.
    A package larger than ``max_bytes`` (zipped or unpacked) is refused before downloading.
    ``transfer`` passes ``retries``/``backoff`` to :class:`factpack.core.transfer.Store`.
    """
    name, wanted = parse_spec(spec, version)
    src = Store(store or default_store(), progress=progress, **transfer)
    release = resolve(read_catalog(src), name, wanted)
    with file_errors():
        folder = cached_release(src, name, release, max_bytes)
        return copy_to(folder, Path(to)) if to is not None else folder


@contextmanager
def file_errors() -> Iterator[None]:
    """A file-system refusal (a read-only cache or ``--to`` folder, a full disk) as one line
    naming the file; the work folder is removed all the same."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None:
            raise
        raise FactpackError(f"{exc.filename or cache_dir()}: cannot write ({exc.strerror}); "
                            "nothing was kept") from None


def _expected_files(name: str, release: CatalogVersion) -> dict[str, Expected]:
    """Catalog files keyed by their path inside the package folder."""
    prefix = safe_relpath(release.path).rstrip("/") + "/"
    files = {}
    for f in release.files:
        if not f.path.startswith(prefix):
            raise FactpackError(f"catalog entry {f.path!r} of {name} {release.version} is not "
                                f"under {prefix}")
        files[safe_relpath(f.path[len(prefix):])] = Expected(f.sha256.lower(), f.bytes)
    return files


def cached_release(store: Store, name: str, release: CatalogVersion,
                   max_bytes: int = MAX_PACKAGE_BYTES) -> Path:
    """The verified package folder in the cache, downloading it if it is not there yet."""
    expected = _expected_files(name, release)
    if max(release.zip.bytes, sum(e.bytes for e in expected.values())) > max_bytes:
        raise FactpackError(f"{name} {release.version} is larger than factpack's cap of "
                            f"{max_bytes} bytes; download {release.zip.path} yourself")
    final = cache_dir() / "packages" / release.zip.sha256.lower()
    if final.is_dir():
        if still_intact(final, expected):
            return final
        # Someone changed the cache behind our back: never hand that out; fetch it again.
        print(f"factpack: cached {name} {release.version} was modified; downloading again",
              file=sys.stderr)
        shutil.rmtree(final)
    with work_dir() as work:
        part = work / (Path(release.zip.path).name + ".part")
        got = store.download(release.zip.path, part, release.zip.bytes)
        if got.bytes != release.zip.bytes:
            raise mismatch(f"{release.zip.path}: byte count", str(release.zip.bytes),
                           str(got.bytes))
        if got.sha256 != release.zip.sha256.lower():
            raise mismatch(f"{release.zip.path}: sha256", release.zip.sha256, got.sha256)
        unpacked = work / "package"
        unpacked.mkdir()
        unpack(part, unpacked, expected, max_bytes)
        check_package(unpacked, name, release.version)
        return install(unpacked, final)


def check_package(folder: Path, name: str | None, version: str | None) -> dict[str, Any]:
    """The descriptor names this package and every resource matches its bytes and hash;
    returns the descriptor."""
    descriptor = read_package_json(folder)
    for key, want in (("name", name), ("version", version)):
        if want is not None and descriptor.get(key) != want:
            raise FactpackError(f"datapackage.json: {key} is {descriptor.get(key)!r}, the catalog "
                                f"says {want!r}; nothing was kept")
    check_resources(folder, descriptor)
    return descriptor


def still_intact(folder: Path, expected: dict[str, Expected]) -> bool:
    """Whether a cached folder holds exactly the ``expected`` files (catalog or zip entries),
    byte for byte, and no link."""
    found = list(folder.rglob("*"))
    if any(p.is_symlink() for p in found):
        return False
    present = {p.relative_to(folder).as_posix() for p in found if not p.is_dir()}
    if present != set(expected):
        return False
    return all(file_digest(folder / rel) == (e.sha256, e.bytes) for rel, e in expected.items())


@contextmanager
def work_dir() -> Iterator[Path]:
    """A private folder in the cache, removed whatever happens (renamed-out content survives;
    one left by a killed process goes at the next fetch: :func:`core.atomic.temp_folder`)."""
    with temp_folder(cache_dir() / "tmp", "work-") as path:
        yield path


def install(unpacked: Path, final: Path) -> Path:
    """Rename a verified folder into place; if a concurrent fetch won, keep theirs."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        unpacked.rename(final)
    except OSError:
        if not final.is_dir():
            raise
    return final


def copy_to(folder: Path, target: Path) -> Path:
    """Copy a package folder to ``target`` (new or empty) through a temporary sibling, renamed
    into place when complete: ``target`` is never half-written."""
    if target.is_symlink() or (target.exists() and (not target.is_dir()
                                                    or any(target.iterdir()))):
        raise FactpackError(f"{target}: exists and is not an empty folder; choose a new one")
    with temp_folder(target.parent, f".{target.name}.partial-") as tmp:
        shutil.copytree(folder, tmp / "p", symlinks=True)
        if target.exists():
            target.rmdir()
        (tmp / "p").rename(target)
    return target
