"""A build's output on disk: the reproducible zip, and the staged folder put in place.

A build is staged in a temporary folder next to its target; only a complete, checked
build is renamed into place, and an identical earlier build is left untouched (same
bytes, same modification times).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..core.hashing import file_digest

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold: no clock in the output
COPY_BUFFER = 8 << 20


def archive_path(target: Path) -> Path:
    """``<name>/<name>-<version>.zip`` beside the version folder ``<name>/<version>``."""
    return target.parent / f"{target.parent.name}-{target.name}.zip"


def write_zip(folder: Path, dest: Path, prefix: str = "") -> None:
    """The folder as a zip with sorted entries, fixed dates and permissions.

    The files sit at the zip's root (``datapackage.json`` first-level), as frictionless-py
    expects of a zipped package: ``frictionless validate <zip>`` then checks every
    resource. ``prefix`` puts them under one folder instead, the layout of releases
    made before that (see :func:`factpack.release.ledger.rebuild`).

    Entries are stored, not deflated: deflate's bytes depend on the zlib build the
    interpreter links, and a release must rebuild byte for byte on another machine.
    (The Parquet files are already zstd-compressed.)
    """
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(f"{prefix}/{rel}" if prefix else rel, ZIP_DATE)
            info.create_system = 3  # unix, so the permissions below are read
            info.external_attr = 0o100644 << 16
            info.file_size = path.stat().st_size  # known up front, as writestr sets it: same bytes
            with path.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, COPY_BUFFER)  # streamed: a table is not held whole


def same_files(a: Path, b: Path) -> bool:
    """Whether two folders hold the same files with the same bytes."""
    def listing(folder: Path) -> dict[str, tuple[str, int]]:
        return {p.relative_to(folder).as_posix(): file_digest(p)
                for p in folder.rglob("*") if p.is_file()}
    return listing(a) == listing(b)


def swap(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by ``new``.

    rename(2) cannot replace a non-empty folder, so the old one is first renamed
    aside, and renamed back if the second rename fails.
    """
    aside = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
    os.replace(target, aside / target.name)
    try:
        os.replace(new, target)
    except OSError:
        os.replace(aside / target.name, target)
        raise
    shutil.rmtree(aside)


def put_folder(staged: Path, target: Path, force: bool) -> bool:
    """Rename ``staged`` to ``target``; False (nothing moved) when ``target`` holds a build
    with other content and ``force`` is off. An identical earlier build is left as it is."""
    if not target.exists():
        os.replace(staged, target)
    elif not same_files(staged, target):
        if not force:
            return False
        swap(staged, target)
    return True


def put_file(staged: Path, target: Path) -> None:
    """Rename ``staged`` to ``target`` unless ``target`` already has the same bytes."""
    if not target.is_file() or not filecmp.cmp(target, staged, shallow=False):
        os.replace(staged, target)
