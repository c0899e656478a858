"""Atomic writes (a file is its old content or its new one, never half of either) and
temporary folders that a killed process does not leave behind for good."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = ".lock"  # held by a temp_folder's owner while it lives


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, rename it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def temp_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new private folder in ``parent``, removed on any exit. A process killed with SIGKILL
    cannot remove its own, so each call first removes the ``prefix`` folders whose owner is
    gone: every owner holds a ``flock`` on the folder's ``.lock`` while it lives."""
    parent.mkdir(parents=True, exist_ok=True)
    clear_dead(parent, prefix)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    fd = os.open(path / LOCK, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def clear_dead(parent: Path, prefix: str) -> None:
    """Remove the :func:`temp_folder` folders under ``parent`` whose process has died."""
    for folder in parent.glob(glob.escape(prefix) + "*"):
        try:
            fd = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # being made right now (no lock yet), or not one of ours
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # its owner is alive
        finally:
            os.close(fd)  # (closing releases a lock we took)
        shutil.rmtree(folder, ignore_errors=True)
