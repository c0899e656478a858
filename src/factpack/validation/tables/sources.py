"""A table's bytes as one local, plain file, whatever form the resource gives them in.

Remote parts are downloaded with :mod:`factpack.core.transfer` (its timeouts, retries,
resumes and deadline, as ``fetch``), multipart files are joined (the header only in the
first part, as frictionless-py joins them) and compressed files are decompressed, each
streamed into a temporary file under a size bound, so memory stays that of a chunk and
the CSV reader, which reads a file more than once, reads a local file. The temporary
files are removed when the table has been checked.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import lzma
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...core.errors import Code, FactpackError
from ...descriptors.forms import COMPRESSIONS, is_remote, suffix
from ...descriptors.load import LoadedResource

MAX_SOURCE_BYTES = 64 << 30  # a download or decompressed table larger than this is refused
COPY_BLOCK = 1 << 20
OPENERS = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}


class SourceProblem(Exception):
    """The table's bytes cannot be had: the message names the path or URL and why."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def local_table(res: LoadedResource) -> Iterator[tuple[LoadedResource, LoadedResource]]:
    """``(raw, plain)``: the resource with ``path`` set to its bytes as published (for the
    declared ``bytes`` and ``hash``) and to them decompressed (for the readers)."""
    if not res.parts or (len(res.parts) == 1 and not is_remote(res.parts[0])
                         and not res.compression):
        yield res, res
        return
    with tempfile.TemporaryDirectory(prefix="factpack-table-") as tmp:
        folder = Path(tmp)
        files = [_fetch(part, folder / f"part{i}", res) for i, part in enumerate(res.parts)]
        if len(files) == 1:
            raw = plain = files[0]
            if res.compression:
                plain = _decompress(raw, folder / "plain", res, res.compression)
        else:  # each part decompressed by its own extension, as frictionless-py reads parts
            plain = raw = _join([_decompress(f, folder / f"plain{i}", res, suffix(part))
                                 if suffix(part) in COMPRESSIONS else f
                                 for i, (f, part) in enumerate(zip(files, res.parts))],
                                folder / "joined", res)
        yield (dataclasses.replace(res, path=raw), dataclasses.replace(res, path=plain))


def _fetch(part: str, dest: Path, res: LoadedResource) -> Path:
    if not is_remote(part):
        return Path(part)
    from ...core.transfer import Store  # HTTP is loaded only for remote tables

    base, _, name = part.rpartition("/")
    try:
        Store(base + "/", progress=False).download(name, dest, None, limit=MAX_SOURCE_BYTES)
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


def _decompress(raw: Path, dest: Path, res: LoadedResource, kind: str) -> Path:
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
                    _copy(src, dest, res)
        elif kind in OPENERS:
            with OPENERS[kind](raw, "rb") as src:
                _copy(src, dest, res)
        else:
            raise SourceProblem(Code.COMPRESSION, f"{res.relpath}: compression '{kind}' is "
                                "not supported (use gz, bz2, xz or zip)")
    except (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile,
            NotImplementedError, RuntimeError) as exc:
        raise SourceProblem(Code.COMPRESSION, f"{res.relpath}: cannot be decompressed as "
                            f"{kind}: {exc or type(exc).__name__} (truncated or not {kind}?)"
                            ) from None
    return dest


def _copy(src, dest: Path, res: LoadedResource) -> None:
    """Copy a decompressing stream, refusing more than :data:`MAX_SOURCE_BYTES`."""
    total = 0
    with dest.open("wb") as out:
        while block := src.read(COPY_BLOCK):
            total += len(block)
            if total > MAX_SOURCE_BYTES:
                raise SourceProblem(Code.COMPRESSION, f"{res.relpath}: decompresses to more "
                                    f"than {MAX_SOURCE_BYTES >> 30} GiB; refusing it")
            out.write(block)
