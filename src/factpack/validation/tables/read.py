"""Reading a CSV file in chunks: pyarrow's streaming reader, every cell as text, with
frictionless row numbers and the physical line where each row starts.

Rows whose cell count differs from the header are handed to us by the reader (ragged
records); they are put back in place, cut or padded to the header's width, so that
their cells still go through the type and constraint checks. Memory grows with the
chunk size, not with the file.
"""

from __future__ import annotations

import csv
import io
import queue
import sys
import threading
from collections.abc import Iterable, Iterator

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from ...descriptors.load import LoadedResource
from .result import LINE, ROW

CHUNK_BYTES = 1 << 23  # text checked at a time (arrow bytes): memory grows with this, not the file
READ_BLOCK = 1 << 20  # pyarrow's block: a record must fit in one (else read again with larger)
Ragged = list[tuple[int, list[str]]]  # (row number, cells) of the records of another width


def python_records(text: str, res: LoadedResource) -> Iterator[list[str]]:
    """The records of ``text`` read by Python's csv module with the resource's dialect
    (for what pyarrow does not read: the header sample, a ragged record, a probe)."""
    d = res.dialect
    return csv.reader(io.StringIO(text, newline=""), delimiter=d.delimiter, quotechar=d.quoteChar,
                      doublequote=d.doubleQuote, escapechar=d.escapeChar,
                      skipinitialspace=d.skipInitialSpace)


def _parse_text(text: str, res: LoadedResource) -> list[str]:
    return [c for r in python_records(text, res) for c in r]


class BlockTooSmall(Exception):
    """A record is longer than the reader's block: read again with larger blocks."""


def read_chunks(res: LoadedResource, width: int, block_size: int = READ_BLOCK,
                ) -> Iterator[tuple[pl.DataFrame, Ragged]]:
    """The records in chunks of about :data:`CHUNK_BYTES`, as text columns c0…c{width-1}
    with frictionless row numbers and lines: a streaming read, so memory does not grow
    with the file.

    Yields each chunk's frame and the ragged records (row number, cells) the reader set
    aside there; those are also in the frame, cut or padded to ``width`` cells. pyarrow
    parses ``block_size`` bytes at a time.
    """
    names = [f"c{i}" for i in range(width)]
    # The common case, every column's missing value is the empty cell: the reader itself
    # reads empty cells (quoted or not) as null, sparing a pass over every column.
    native = empty_is_missing(res, width)
    # a file still being written (remote, compressed) is read as it grows
    source = res.filling.open() if res.filling is not None else res.path
    try:
        yield from read_serial(res, source, names, native, block_size)
    finally:
        if res.filling is not None:
            source.close()


def read_serial(res: LoadedResource, source, names: list[str], native: bool, block_size: int,
                numbering: Numbering | None = None) -> Iterator[tuple[pl.DataFrame, Ragged]]:
    """The records of ``source`` read in one pass, numbered on from ``numbering`` (the
    records and lines before ``source``'s first byte)."""
    ragged: list[tuple[int, str]] = []  # in file order: the reader is single-threaded
    numbering = numbering or Numbering()
    try:
        reader = open_reader(res, source, names, native, block_size, ragged)
        yield from numbering.chunks(res, frames(batched(reader, CHUNK_BYTES)), ragged, names,
                                    native)
    except pa.ArrowInvalid as exc:
        if straddles(exc, block_size):
            raise BlockTooSmall(str(exc)) from exc
        raise
    if not numbering.records:  # no record at all: one empty chunk
        frame, bad, numbering.newlines = _finish_chunk(res, _empty(names), [], names,
                                                       numbering.newlines)
        yield frame, bad


def _empty(names: list[str]) -> pl.DataFrame:
    return pl.DataFrame(schema={**{n: pl.String for n in names}, ROW: pl.Int64})


def frames(groups: Iterable[list[pa.RecordBatch]]) -> Iterator[tuple[pl.DataFrame, pl.Series]]:
    """Each group of record batches as one frame, with the newlines each row's cells hold
    (the work of a chunk that needs no other chunk, so a range's reader does it)."""
    for batches in groups:
        frame = pl.from_arrow(pa.Table.from_batches(batches))
        assert isinstance(frame, pl.DataFrame)
        counted = [frame.columns[i] for i in _newline_columns(batches)]
        nl = (frame.select(pl.sum_horizontal(
            [pl.col(n).str.count_matches("\n", literal=True).fill_null(0) for n in counted]))
            .to_series().cast(pl.Int64) if counted else pl.zeros(frame.height, pl.Int64, eager=True))
        yield frame, nl


def straddles(exc: Exception, block_size: int) -> bool:
    """Whether the reader failed on a record longer than its block."""
    return "straddl" in str(exc) and block_size < 1 << 30


def open_reader(res: LoadedResource, source, names: list[str], native: bool, block_size: int,
                ragged: list[tuple[int, str]]) -> pacsv.CSVStreamingReader:
    """pyarrow's streaming reader of ``source``, every cell as text; the records of another
    width are appended to ``ragged`` as (number, text), numbered from 1 at ``source``'s start."""

    def keep(bad: pacsv.InvalidRow) -> str:
        ragged.append((bad.number, bad.text))
        return "skip"

    d = res.dialect
    return pacsv.open_csv(
        source,
        # single-threaded: only then does the reader number the ragged records
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                       encoding=res.encoding, block_size=block_size),
        parse_options=pacsv.ParseOptions(
            delimiter=d.delimiter, quote_char=d.quoteChar or False,
            double_quote=d.doubleQuote, escape_char=d.escapeChar or False,
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=keep),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=native, quoted_strings_can_be_null=native,
            null_values=[""] if native else None),
    )


class Numbering:
    """Row numbers and physical lines across the parts of a file read one after another:
    ``records`` and ``lines`` (newlines held inside records) counted so far."""

    def __init__(self) -> None:
        self.records = 0
        self.newlines = 0

    def chunks(self, res: LoadedResource, parts: Iterable[tuple[pl.DataFrame, pl.Series]],
               ragged: list[tuple[int, str]], names: list[str], native: bool,
               ) -> Iterator[tuple[pl.DataFrame, Ragged]]:
        """One part's chunks (:func:`frames`), numbered on from the parts before;
        ``ragged`` (numbered from 1 at the part's start) may grow while reading."""
        base, parsed, emitted = self.records, 0, 0
        for frame, nl in parts:
            # Row numbers: ragged records (numbers known) interleave with the parsed ones.
            inserted_before = pl.Series([n - j for j, (n, _) in enumerate(ragged)], dtype=pl.Int64)
            idx = pl.int_range(parsed + 1, parsed + frame.height + 1, dtype=pl.Int64, eager=True)
            rows = idx + inserted_before.search_sorted(idx, side="right").cast(pl.Int64)
            parsed += frame.height
            last = int(rows[-1]) if len(rows) else 0
            mine = [(n + base, t) for n, t in ragged[emitted:] if n < last]
            if not frame.height and not mine:
                continue
            emitted += len(mine)
            frame, bad, self.newlines = _finish_chunk(
                res, frame.with_columns(pl.Series(ROW, rows + base)), mine, names,
                self.newlines, nl, native)
            yield frame, bad
        if ragged[emitted:]:  # ragged records after the last parsed one
            frame, bad, self.newlines = _finish_chunk(
                res, _empty(names), [(n + base, t) for n, t in ragged[emitted:]], names,
                self.newlines)
            yield frame, bad
        self.records = base + parsed + len(ragged)


def quiet_decode_errors(unraisable: object) -> None:
    """``sys.unraisablehook`` while reading: a ragged record that is not UTF-8 cannot reach
    the reader's handler, and pyarrow would print that; the reader then fails instead."""
    if not isinstance(getattr(unraisable, "exc_value", None), UnicodeDecodeError):
        sys.__unraisablehook__(unraisable)


def _finish_chunk(res: LoadedResource, frame: pl.DataFrame, ragged: list[tuple[int, str]],
                  names: list[str], nl_before: int, nl: pl.Series | None = None,
                  native: bool = False) -> tuple[pl.DataFrame, Ragged, int]:
    """One chunk: text columns (missing values as null), its ragged records put in place,
    physical lines. ``nl``: the newlines in each row's cells (:func:`frames`); ``native``:
    the reader has already read empty cells as null."""
    cast = [n for n in names if frame.schema[n] != pl.String]  # arrow's string needs none
    if cast:
        frame = frame.with_columns(pl.col(cast).cast(pl.String))
    if res.dialect.skipInitialSpace:
        # pyarrow has no skipInitialSpace: strip the spaces, then the quotes they hid
        q = res.dialect.quoteChar or '"'
        stripped = pl.col(names).str.strip_chars_start(" ")
        quoted = stripped.str.starts_with(q) & stripped.str.ends_with(q) & (stripped.str.len_chars() > 1)
        frame = frame.with_columns(
            pl.when(quoted).then(stripped.str.slice(1, stripped.str.len_chars() - 2)
                                 .str.replace_all(q + q, q, literal=True))
            .otherwise(stripped).name.keep())
    if not native:
        frame = missing_to_null(res, frame, names)
    bad_rows = sorted((n, _parse_text(t, res), t.count("\n")) for n, t in ragged)
    if bad_rows:
        extra = missing_to_null(res, pl.DataFrame(
            {**{n: [(cells[i] if i < len(cells) else None) for _, cells, _ in bad_rows]
                for i, n in enumerate(names)},
             ROW: [n for n, _, _ in bad_rows]},
            schema={**{n: pl.String for n in names}, ROW: pl.Int64}), names)
    # Physical lines: a record starts after every newline held inside earlier records,
    # parsed (in row order) or ragged (in row order, appended after the parsed ones).
    rows = frame.get_column(ROW)
    if nl is None:
        nl = pl.zeros(len(rows), pl.Int64, eager=True)
    bad_at = pl.Series([n for n, _, _ in bad_rows], dtype=pl.Int64)
    bad_nl = pl.Series([k for _, _, k in bad_rows], dtype=pl.Int64)
    before = nl.cum_sum() - nl + _running(bad_nl).gather(bad_at.search_sorted(rows, side="left"))
    bad_before = bad_nl.cum_sum() - bad_nl + _running(nl).gather(
        rows.search_sorted(bad_at, side="left"))
    frame = frame.with_columns(pl.Series(LINE, rows + nl_before + before))
    if bad_rows:
        # rechunked: a filter of differently chunked columns can break pl.format (polars 2.1)
        frame = pl.concat(rechunk=True, items=[frame, extra.with_columns(
            pl.Series(LINE, bad_at + nl_before + bad_before))])
    nl_after = nl_before + int(nl.sum()) + int(bad_nl.sum())
    return frame, [(n, cells) for n, cells, _ in bad_rows], nl_after


def _missing_values(res: LoadedResource, column: int) -> list[str]:
    """The missing values of a column: its field's, else the schema's."""
    fields = res.schema.fields
    f = fields[column] if column < len(fields) else None
    return f.missingValues if f and f.missingValues is not None else res.schema.missingValues


def empty_is_missing(res: LoadedResource, width: int) -> bool:
    """Whether every column's only missing value is the empty cell (and the reader sees
    cells as written: with skipInitialSpace, ' ""' is empty only after stripping)."""
    return not res.dialect.skipInitialSpace and all(
        _missing_values(res, i) == [""] for i in range(width))


def missing_to_null(res: LoadedResource, frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Cells that are one of their column's missing values, as null."""
    cells = {}
    for i, n in enumerate(names):
        missing, col = _missing_values(res, i), pl.col(n)
        if missing:
            hit = col == missing[0] if len(missing) == 1 else col.is_in(missing)
            cells[n] = pl.when(hit).then(None).otherwise(col)
    return frame.with_columns(**cells) if cells else frame


def _running(counts: pl.Series) -> pl.Series:
    """0, then the running total of ``counts``: the sum of the counts before each position."""
    return pl.concat([pl.Series([0], dtype=pl.Int64), counts.cum_sum()])


def _newline_columns(batches: list[pa.RecordBatch]) -> list[int]:
    """Columns whose text may hold a newline (a byte scan of the arrow buffers, cheap)."""
    out = []
    for i in range(batches[0].num_columns if batches else 0):
        for b in batches:
            data = b.column(i).buffers()[2]
            if data is not None and data.size and b"\n" in data.to_pybytes():
                out.append(i)
                break
    return out


def batched(reader: Iterable[pa.RecordBatch], size: int) -> Iterator[list[pa.RecordBatch]]:
    """The reader's record batches, grouped into lists of about ``size`` bytes."""
    group, total = [], 0
    for batch in reader:
        group.append(batch)
        total += batch.nbytes
        if total >= size:
            yield group
            group, total = [], 0
    if group:
        yield group


def prefetch(items: Iterator, depth: int = 1) -> Iterator:
    """``items``, produced one step ahead in a background thread (pyarrow releases the GIL)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer
            q.put(exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.01)


def mark_last(items: Iterator) -> Iterator[tuple]:
    """``(item, is_last)`` for each item (one item is held back to know)."""
    prev, have = None, False
    for item in items:
        if have:
            yield prev, False
        prev, have = item, True
    if have:
        yield prev, True
