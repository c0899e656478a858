"""A table's bytes as one local, plain file, whatever form the resource gives them in.

Remote parts are downloaded with :mod:`factpack.core.transfer` (its timeouts, retries,
resumes and deadline, as ``fetch``), multipart files are joined (the header only in the
first part, as frictionless-py joins them) and compressed files are decompressed, each
streamed into a temporary file under a size bound, so memory stays that of a chunk.
The copy runs in a background thread (:class:`Filling`); the CSV reader can read the
file as it grows (:meth:`Filling.open`), so downloading or decompressing overlaps
parsing instead of coming before it. The temporary files are removed when the table has
been checked.
"""

from __future__ import annotations

import bz2
import dataclasses
import io
import lzma
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from ...core.errors import Code, FactpackError
from ...descriptors.forms import COMPRESSIONS, is_remote, suffix
from ...descriptors.load import LoadedResource

MAX_SOURCE_BYTES = 64 << 30  # a download or decompressed table larger than this is refused
COPY_BLOCK = 1 << 20
# What is read of a table before its rows, from the file's start: the sniffed encoding
# and dialect (100 kB) and the header sample (1 Mi characters, at most 4 bytes each).
HEAD_BYTES = (4 << 20) + (64 << 10)
POLL = 0.002  # seconds a reader waits for the copy to write more


def _gunzip(path: Path, mode: str):
    """ISA-L's gzip, ~2.5x zlib; loaded only for a gzip table (its import takes time)."""
    from isal import igzip

    return igzip.open(path, mode)


OPENERS = {"gz": _gunzip, "bz2": bz2.open, "xz": lzma.open}


class SourceProblem(Exception):
    """The table's bytes cannot be had: the message names the path or URL and why."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code


class Filling:
    """A temporary file that a background thread writes (download, decompression, join)
    while the table is read from it."""

    def __init__(self, path: Path, write: Callable[[threading.Event], None]) -> None:
        self.path = path
        path.touch()  # a reader may open it before the writer does (same inode: "wb" truncates)
        self.done, self._stop = threading.Event(), threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(write,), daemon=True)
        self._thread.start()

    def _run(self, write: Callable[[threading.Event], None]) -> None:
        try:
            write(self._stop)
        except BaseException as exc:  # noqa: BLE001 - raised again by wait(), in the reader
            self._error = exc
        finally:
            self.done.set()

    def wait(self) -> None:
        """Until the file is complete; raises what stopped the copy (a truncated gzip, a
        failed download), so a bad source is its one error."""
        self.done.wait()
        if self._error is not None:
            raise self._error

    def head(self) -> None:
        """Until the file holds :data:`HEAD_BYTES` or is complete (a copy that failed this
        early, a 404 say, raises here)."""
        while not self.done.is_set() and self.path.stat().st_size < HEAD_BYTES:
            self.done.wait(POLL)
        if self.done.is_set():
            self.wait()

    def open(self) -> io.RawIOBase:
        """The file read as it grows: a read at its current end waits for the copy; the
        end of the file is where the copy ended (if it failed, :meth:`wait` says why)."""
        return _Following(self)

    def close(self) -> None:
        """Stop the copy (a decompression stops at its next block, a download runs to its
        end or deadline) before the temporary folder goes."""
        self._stop.set()
        self._thread.join()


class _Following(io.RawIOBase):
    def __init__(self, filling: Filling) -> None:
        self._filling = filling
        self._file = filling.path.open("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        """Fill ``buffer``, short only at the end, as a complete file would."""
        view, got = memoryview(buffer).cast("B"), 0
        while got < len(view):
            done = self._filling.done.is_set()  # before reading: no byte written is missed
            n = self._file.readinto(view[got:]) or 0
            got += n
            if not n and done:
                break
            if not n:
                self._filling.done.wait(POLL)
        return got

    def read_buffer(self, size: int) -> pa.Buffer:
        """What pyarrow's reader calls: the bytes in arrow's memory, not a Python copy."""
        buffer = pa.allocate_buffer(size, resizable=True)
        with memoryview(buffer) as view:
            got = self.readinto(view)
        buffer.resize(got)
        return buffer

    def close(self) -> None:
        self._file.close()
        super().close()


def complete(res: LoadedResource) -> None:
    """Wait until the resource's file is complete (for a reader of the whole file)."""
    if res.filling is not None:
        res.filling.wait()


@contextmanager
def local_table(res: LoadedResource, follow: bool = False
                ) -> Iterator[tuple[LoadedResource, LoadedResource]]:
    """``(raw, plain)``: the resource with ``path`` set to its bytes as published (for the
    declared ``bytes`` and ``hash``) and to them decompressed (for the readers).

    With ``follow``, ``plain`` is yielded once the file's head is written, the copy still
    running (``plain.filling``): read it through :meth:`Filling.open`, and call
    :func:`complete` before reading all of it or ``raw``. Otherwise both are complete.
    """
    if not res.parts or (len(res.parts) == 1 and not is_remote(res.parts[0])
                         and not res.compression):
        yield res, res
        return
    with tempfile.TemporaryDirectory(prefix="factpack-table-") as tmp:
        raw, plain, write = _plan(res, Path(tmp))
        filling = Filling(plain, write)
        try:
            filling.head() if follow else filling.wait()
            yield (dataclasses.replace(res, path=raw, filling=filling if raw == plain else None),
                   dataclasses.replace(res, path=plain, filling=filling))
        finally:
            filling.close()


def _plan(res: LoadedResource, folder: Path
          ) -> tuple[Path, Path, Callable[[threading.Event], None]]:
    """Where the raw and plain bytes will be, and the copy that writes them."""
    parts = res.parts
    if len(parts) > 1:  # each part decompressed by its own extension, as frictionless-py does
        joined = folder / "joined"

        def join(stop: threading.Event) -> None:
            files = [_fetch(part, folder / f"part{i}") for i, part in enumerate(parts)]
            _join([_decompress(f, folder / f"plain{i}", res, suffix(part), stop)
                   if suffix(part) in COMPRESSIONS else f
                   for i, (f, part) in enumerate(zip(files, parts))], joined, res)
        return joined, joined, join
    part, kind = parts[0], res.compression
    if not kind:  # a remote plain file: downloaded straight into the file read
        return folder / "part0", folder / "part0", lambda stop: _fetch(part, folder / "part0")
    raw = folder / "part0" if is_remote(part) else Path(part)
    return raw, folder / "plain", lambda stop: _decompress(
        _fetch(part, raw), folder / "plain", res, kind, stop)


def _fetch(part: str, dest: Path) -> Path:
    if not is_remote(part):
        return Path(part)
    from ...core.transfer import Store  # HTTP is loaded only for remote tables

    base, _, name = part.rpartition("/")
    try:
        Store(base + "/", progress=False).download(name, dest, None, limit=MAX_SOURCE_BYTES,
                                                   hashed=False)  # a declared hash: integrity
    except FactpackError as exc:  # not found, refused, timed out, too large
        raise SourceProblem(Code.SCHEME, f"{part}: cannot be read: {exc}") from None
    return dest


def _join(files: list[Path], dest: Path, res: LoadedResource) -> Path:
    """The parts one after another; a part after the first loses its first line (its
    header) unless the dialect says there is none."""
    skip_header = res.dialect.header
    with dest.open("wb") as out:
        for i, file in enumerate(files):
            with file.open("rb") as f:
                if i and skip_header:
                    f.readline(MAX_SOURCE_BYTES)
                shutil.copyfileobj(f, out, COPY_BLOCK)
    return dest


def _decompress(raw: Path, dest: Path, res: LoadedResource, kind: str,
                stop: threading.Event) -> Path:
    try:
        if kind == "zip":
            with zipfile.ZipFile(raw) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) != 1:
                    held = ", ".join(m.filename for m in members[:5]) or "no file"
                    raise SourceProblem(Code.COMPRESSION, f"{res.relpath}: a zipped table must "
                                        f"hold exactly one file; this zip holds {held}"
                                        f"{' …' if len(members) > 5 else ''}")
                with archive.open(members[0]) as src:
                    _copy(src, dest, res, stop)
        elif kind in OPENERS:
            with OPENERS[kind](raw, "rb") as src:
                _copy(src, dest, res, stop)
        else:
            raise SourceProblem(Code.COMPRESSION, f"{res.relpath}: compression '{kind}' is "
                                "not supported (use gz, bz2, xz or zip)")
    except (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile,
            NotImplementedError, RuntimeError) as exc:
        raise SourceProblem(Code.COMPRESSION, f"{res.relpath}: cannot be decompressed as "
                            f"{kind}: {exc or type(exc).__name__} (truncated or not {kind}?)"
                            ) from None
    return dest


def _copy(src, dest: Path, res: LoadedResource, stop: threading.Event) -> None:
    """Copy a decompressing stream, refusing more than :data:`MAX_SOURCE_BYTES`."""
    total = 0
    with dest.open("wb") as out:
        while not stop.is_set() and (block := src.read(COPY_BLOCK)):
            total += len(block)
            if total > MAX_SOURCE_BYTES:
                raise SourceProblem(Code.COMPRESSION, f"{res.relpath}: decompresses to more "
                                    f"than {MAX_SOURCE_BYTES / 2**30:g} GiB; refusing it")
            out.write(block)
