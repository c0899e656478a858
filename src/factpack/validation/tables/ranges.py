"""Reading a large CSV file on more than one core: the file is cut into ranges of about
:data:`RANGE_BYTES` at what look like record starts, and pyarrow parses the ranges side by
side (it parses one stream on one core only, and must, to number ragged records).

A cut is a guess: a newline inside a quoted cell looks like any other. So each range but
the last is parsed with one extra line after it, a sentinel of characters no record holds;
the range ended where a record ends exactly when that line comes back as a record of its
own (inside an open quote it would be read as part of the cell). If it does not, the
range is parsed again joined to the next one (up to :data:`JOINED_BYTES`, so memory stays
bounded); past that, or if a range cannot be read, the rest of the file from its start is
read in one pass (:func:`.read.read_serial`), which reports any problem as one reader does.
So the records, their numbers and the errors are one reader's, wherever the cuts fall.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow as pa

from ...descriptors.load import LoadedResource
from .integrity import utf8
from .read import (
    CHUNK_BYTES,
    BlockTooSmall,
    Numbering,
    Ragged,
    batched,
    empty_is_missing,
    frames,
    open_reader,
    python_records,
    read_serial,
    straddles,
)

RANGE_BYTES = 1 << 25  # parsed by one worker at a time; memory grows with this x (AHEAD + 1)
MIN_SPLIT_BYTES = 1 << 26  # smaller files are read in one pass
AHEAD = 2  # ranges being parsed while the one before is checked
JOINED_BYTES = 4 * RANGE_BYTES  # ranges joined for want of a record end: at most this, then one pass
WINDOW = 1 << 18  # bytes searched for a record start after each cut
CANDIDATES = 64  # newlines tried as a record start in a window
PROBE = 8  # records that must parse to the header's width after a candidate


def workers() -> int:
    """The processors this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def splittable(res: LoadedResource) -> bool:
    """Whether the table is a large, complete, local UTF-8 file whose records a newline can
    end (no escape character) on a machine with more than one processor."""
    return (res.format == "csv" and res.path is not None and res.filling is None
            and utf8(res.encoding) and not res.dialect.escapeChar and workers() > 1
            and res.path.stat().st_size >= MIN_SPLIT_BYTES)


def read_ranges(res: LoadedResource, width: int, block_size: int,
                ) -> Iterator[tuple[pl.DataFrame, Ragged]]:
    """:func:`.read.read_chunks` of a :func:`splittable` file, its ranges parsed side by side."""
    names = [f"c{i}" for i in range(width)]
    native = empty_is_missing(res, width)
    path, size = res.path, res.path.stat().st_size
    sentinel = _sentinel(res)
    numbering = Numbering()
    stop = threading.Event()
    spans = _spans(res, width, size)
    pending: deque[tuple[int, int, Future]] = deque()
    with ThreadPoolExecutor(max_workers=min(AHEAD, workers()),
                            thread_name_prefix="factpack-csv") as pool:

        def parse(start: int, end: int) -> Future:
            return pool.submit(_parse, res, names, native, block_size, start, end,
                               sentinel if end < size else "", stop)

        def submit() -> None:
            if (span := next(spans, None)) is not None:
                pending.append((*span, parse(*span)))

        try:
            for _ in range(AHEAD):
                submit()
            while pending:
                start, end, future = pending.popleft()
                submit()
                got = _outcome(future, block_size)
                while got is False and pending and pending[0][1] - start <= JOINED_BYTES:
                    # The range did not end a record: read it joined to the next one.
                    _, end, future = pending.popleft()
                    future.cancel()
                    submit()
                    got = _outcome(parse(start, end), block_size)
                if not got:  # a range that cannot be read (or still no record end): the
                    stop.set()  # rest in one pass, which reports a problem as one reader does
                    source = _Slice(path, start, size) if start else path
                    yield from read_serial(res, source, names, native, block_size, numbering)
                    return
                parts, ragged = got
                yield from numbering.chunks(res, parts, ragged, names, native)
        finally:
            stop.set()
            spans.close()  # its file
            for _, _, future in pending:
                future.cancel()


class NotARecordEnd(Exception):
    """A range's sentinel line was read as part of a cell: its cut is inside a record."""


def _outcome(future: Future, block_size: int):
    """A range's batches and ragged records; False if its cut is inside a record, None if
    it cannot be read."""
    try:
        return future.result()
    except NotARecordEnd:
        return False
    except pa.ArrowInvalid as exc:
        if straddles(exc, block_size):
            raise BlockTooSmall(str(exc)) from exc
        return None
    except (pa.ArrowException, OSError, ValueError):
        return None


def _parse(res: LoadedResource, names: list[str], native: bool, block_size: int, start: int,
           end: int, sentinel: str, stop: threading.Event,
           ) -> tuple[list[tuple[pl.DataFrame, pl.Series]], list[tuple[int, str]]] | None:
    """One range's chunks (:func:`.read.frames`) and ragged records (numbered from 1 at
    ``start``); None if the read was stopped. Raises :class:`NotARecordEnd` if ``end`` is
    inside a record."""
    got = _batches(res, names, native, block_size, start, end, sentinel, stop)
    if got is None:
        return None
    batches, ragged = got
    return list(frames(batched(batches, CHUNK_BYTES))), ragged


def _batches(res: LoadedResource, names: list[str], native: bool, block_size: int, start: int,
             end: int, sentinel: str, stop: threading.Event,
             ) -> tuple[list[pa.RecordBatch], list[tuple[int, str]]] | None:
    """One range's record batches and ragged records, its sentinel checked and dropped."""
    ragged: list[tuple[int, str]] = []
    batches = []
    with _Slice(res.path, start, end, sentinel.encode() + b"\n" if sentinel else b"") as source:
        for batch in open_reader(res, source, names, native, block_size, ragged):
            if stop.is_set():
                return None
            batches.append(batch)
    if not sentinel:
        return batches, ragged
    parsed = sum(b.num_rows for b in batches)
    if len(names) > 1:  # the sentinel, one cell wide, is a ragged record: the last one
        if not ragged or ragged[-1] != (parsed + len(ragged), sentinel):
            raise NotARecordEnd
        return batches, ragged[:-1]
    last = batches[-1] if batches else None
    if (last is None or (ragged and ragged[-1][0] == parsed + len(ragged))
            or last.column(0)[last.num_rows - 1].as_py() != sentinel):
        raise NotARecordEnd
    return batches[:-1] + [last.slice(0, last.num_rows - 1)], ragged


def _sentinel(res: LoadedResource) -> str:
    """Control characters that are neither the delimiter nor the quote character."""
    d = res.dialect
    return "".join(c for c in "\x01\x02\x03\x04\x05\x06" if c not in (d.delimiter, d.quoteChar))


def _spans(res: LoadedResource, width: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each range, cut at what looks like a record start."""
    start = 0
    with open(res.path, "rb") as fh:
        at = RANGE_BYTES
        while at + RANGE_BYTES // 2 < size:
            cut = _record_start(res, fh, at, width)
            if cut is None:  # no record start found here: a longer range
                at += RANGE_BYTES
                continue
            yield start, cut
            start, at = cut, cut + RANGE_BYTES
    yield start, size


def _record_start(res: LoadedResource, fh: io.BufferedReader, at: int, width: int) -> int | None:
    """The offset of the first newline after ``at`` followed by :data:`PROBE` records of
    ``width`` cells (Python's csv module), plus one: likely a record start."""
    fh.seek(at)
    window = fh.read(WINDOW)
    pos = window.find(b"\n")
    for _ in range(CANDIDATES):
        if pos < 0:
            return None
        text = window[pos + 1:].decode("utf-8", errors="replace")
        try:
            probe = list(itertools.islice(python_records(text, res), PROBE))
        except csv.Error:
            probe = []
        if len(probe) == PROBE and all(len(r) == width for r in probe):
            return at + pos + 1
        pos = window.find(b"\n", pos + 1)
    return None


class _Slice(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a file, then ``tail``: what one range's reader reads."""

    def __init__(self, path: Path, start: int, end: int, tail: bytes = b"") -> None:
        self._fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with this object
        self._fh.seek(start)
        self._left = end - start
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer)
        if self._left > 0:
            got = self._fh.readinto(view[:min(len(view), self._left)]) or 0
            self._left = self._left - got if got else 0
            return got
        n = min(len(view), len(self._tail))
        view[:n] = self._tail[:n]
        self._tail = self._tail[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()
