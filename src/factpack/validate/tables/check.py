"""Layer 2: one CSV file against its Table Schema, as vectorised polars expressions.

The file is parsed once by pyarrow's CSV reader (every cell as text). Rows whose
cell count differs from the header are handed to us by the reader and become
``missing-cell``/``extra-cell`` errors; their cells still go through the type and
constraint checks. Every check is a column expression; errors are collected as
polars frames (see :data:`ERROR_COLUMNS`) so that a million errors cost columns,
not Python objects. Row numbers follow frictionless (header row = 1); ``line``
is the physical line where the row starts (rows may hold quoted newlines).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import queue
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dcfield

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from ...descriptors.load import LoadedResource
from ...spec import fieldtypes
from ...spec.models import Field, Schema

ERROR_COLUMNS = {
    "code": pl.String, "resource": pl.String, "path": pl.String, "row": pl.Int64,
    "line": pl.Int64, "field": pl.String, "field_number": pl.Int64, "value": pl.String,
    "message": pl.String, "rule": pl.String,
}
MAX_CELL_BYTES = 1_000_000  # a cell larger than this is an error (protects memory and readers)
ROW, LINE = "_row", "_line"
BLANK = "_blank"  # beside a chunk's cells while it is checked: the row is blank
CHUNK_BYTES = 1 << 23  # text checked at a time (arrow bytes): memory grows with this, not the file
READ_BLOCK = 1 << 20  # pyarrow's block: a record must fit in one (else read again with larger)
# What a reader hands to the checks: the data records in chunks, each chunk's frame
# (c0…, _row, _line) with its ragged records (row, cells), then the header labels,
# the header's row number and the header's width.
Chunks = Iterable[tuple[pl.DataFrame, "list[tuple[int, list[str]]]"]]
Cells = tuple[Chunks, "list[str] | None", int, int]


@dataclass
class TableResult:
    """What layer 2 learned about one resource."""

    resource: LoadedResource
    errors: list[pl.DataFrame] = dcfield(default_factory=list)
    raw: pl.DataFrame | None = None  # field names → cell text (missing values as null), _row, _line
    canon: pl.DataFrame | None = None  # field names → key values (fieldtypes.canonical)

    def error_frame(self) -> pl.DataFrame:
        frames = [f for f in self.errors if f.height]
        if not frames:
            return empty_errors()
        return pl.concat([f.select(list(ERROR_COLUMNS)) for f in frames], how="vertical")


def empty_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_COLUMNS)


def errors_from(frame: pl.DataFrame, res: LoadedResource, code: str, message: pl.Expr,
                fieldname: str | None = None, field_number: int | None = None,
                value: pl.Expr | None = None) -> pl.DataFrame:
    """Error rows for every row of ``frame`` (which carries _row and _line)."""
    return frame.select(error_columns(res, code, message, fieldname, field_number, value))


def error_columns(res: LoadedResource, code: str, message: pl.Expr,
                  fieldname: str | None = None, field_number: int | None = None,
                  value: pl.Expr | None = None) -> list[pl.Expr]:
    """The :data:`ERROR_COLUMNS` of an error, as expressions over its rows."""
    return [
        pl.lit(code).alias("code"),
        pl.lit(res.name).alias("resource"),
        pl.lit(res.relpath).alias("path"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.lit(fieldname, pl.String).alias("field"),
        pl.lit(field_number, pl.Int64).alias("field_number"),
        (value if value is not None else pl.lit(None, pl.String)).cast(pl.String).alias("value"),
        message.cast(pl.String).alias("message"),
        pl.lit(None, pl.String).alias("rule"),
    ]


def single_error(res: LoadedResource, code: str, message: str, row: int | None = None,
                 line: int | None = None, fieldname: str | None = None,
                 field_number: int | None = None, value: str | None = None,
                 rule: str | None = None) -> pl.DataFrame:
    return pl.DataFrame([{
        "code": code, "resource": res.name, "path": res.relpath, "row": row, "line": line,
        "field": fieldname, "field_number": field_number, "value": value, "message": message,
        "rule": rule,
    }], schema=ERROR_COLUMNS)


# ---------------------------------------------------------------- reading


def check_encoding(res: LoadedResource, strict: bool,
                   decode: bool = True) -> pl.DataFrame | None:
    """The file must decode in its declared encoding; a dataset must be plain UTF-8 with LF.

    ``decode=False`` skips decoding (the CSV reader checks UTF-8 itself, much faster;
    this is run again to locate the bad byte if the reader fails).
    """
    try:
        decoder = codecs.getincrementaldecoder(res.encoding)()
    except LookupError:
        return single_error(res, "encoding-error", f"{res.relpath}: unknown encoding "
                            f"'{res.encoding}'")
    if not decode and not strict:
        return None  # nothing else to look at: spare a read of the whole file
    line, offset = 1, 0
    with open(res.path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        if strict and head.startswith(codecs.BOM_UTF8):
            return single_error(res, "encoding-error", f"{res.relpath}:1: the file starts with a "
                                "byte-order mark (BOM); save it as UTF-8 without BOM", row=1,
                                line=1)
        crlf_seen = False
        while chunk := fh.read(1 << 22):
            try:
                if decode:
                    decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = chunk[: exc.start]
                where = line + bad.count(b"\n")
                return single_error(
                    res, "encoding-error",
                    f"{res.relpath}:{where}: byte {chunk[exc.start:exc.start + 1]!r} at offset "
                    f"{offset + exc.start} is not valid {res.encoding}; save the file as "
                    f"{res.encoding}", line=where)
            if strict and not crlf_seen and b"\r\n" in chunk:  # a lone CR in a cell is text
                crlf_seen = True
                where = line + chunk[: chunk.index(b"\r\n")].count(b"\n")
                crlf = single_error(
                    res, "rule-error", f"{res.relpath}:{where}: carriage return (CRLF line "
                    "endings?); dataset files use LF line endings only", line=where,
                    rule="lf-line-endings")
            line += chunk.count(b"\n")
            offset += len(chunk)
    return crlf if crlf_seen else None


def quotes_paired(res: LoadedResource) -> bool:
    """Whether the file's quote characters pair up: an odd count means a quote is left
    open and the reader took the rest of the file as one cell."""
    quote = (res.dialect.quoteChar or "").encode("latin-1", "ignore")
    if len(quote) != 1 or res.dialect.escapeChar or "16" in res.encoding or "32" in res.encoding:
        return True  # not countable byte by byte
    quotes = 0
    with open(res.path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            quotes += chunk.count(quote)
    return quotes % 2 == 0


def _utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def check_integrity(res: LoadedResource) -> list[pl.DataFrame]:
    """The declared ``bytes`` and ``hash`` (md5 unless prefixed, e.g. ``sha256:…``)."""
    out = []
    declared = res.descriptor
    size = res.path.stat().st_size
    if declared.get("bytes") is not None and declared["bytes"] != size:
        out.append(single_error(res, "byte-count", f"{res.relpath}: the file has {size} bytes "
                                f"but the descriptor declares {declared['bytes']}; update "
                                "'bytes' or restore the file"))
    if declared.get("hash"):
        algo, _, expected = str(declared["hash"]).rpartition(":")
        algo = algo or "md5"
        try:
            h = hashlib.new(algo)
        except ValueError:
            return out + [single_error(res, "hash-count", f"{res.relpath}: unknown hash "
                                       f"algorithm '{algo}' (use md5 or sha256)")]
        with open(res.path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
        if h.hexdigest() != expected.lower():
            out.append(single_error(res, "hash-count", f"{res.relpath}: the file's {algo} is "
                                    f"{h.hexdigest()} but the descriptor declares {expected}; "
                                    "update 'hash' or restore the file"))
    return out


def _sample(res: LoadedResource, size: int = 100) -> list[list[str]]:
    """The first records (up to ``size``), parsed by Python's csv module, to find the header."""
    with open(res.path, encoding=res.encoding, errors="replace", newline="") as fh:
        text = fh.read(1 << 20)
    text = text.removeprefix("\ufeff")
    d = res.dialect
    reader = csv.reader(io.StringIO(text), delimiter=d.delimiter, quotechar=d.quoteChar,
                        doublequote=d.doubleQuote, escapechar=d.escapeChar,
                        skipinitialspace=d.skipInitialSpace)
    out = []
    try:
        for record in reader:
            out.append(record)
            if len(out) >= size:
                break
    except csv.Error:
        pass  # the full reader reports what is wrong; the sample only locates the header
    return out


def header_rows(res: LoadedResource, sample: list[list[str]]) -> list[int]:
    """Row numbers of the header: declared, or found like frictionless (see below)."""
    d = res.dialect
    if "header" in d.model_fields_set and not d.header:
        return []
    if "headerRows" in d.model_fields_set or "header" in d.model_fields_set or not sample:
        return list(d.headerRows) if d.header else []
    # frictionless skips leading rows (comments, titles) whose width is far from the
    # sample's average width: the header is the first row within 10% of it.
    widths = [len(r) for r in sample]
    width = round(sum(widths) / len(widths))
    drift = max(round(width * 0.1), 1)
    for number, cells in enumerate(sample, start=1):
        if _is_comment(d, number, cells):
            continue
        if width - drift <= len(cells) <= width + drift:
            return [number]
    return [1]


def _is_comment(d, number: int, cells: list[str]) -> bool:
    if number in d.commentRows:
        return True
    return bool(d.commentChar and cells and cells[0].startswith(d.commentChar))


def _parse_text(text: str, res: LoadedResource) -> list[str]:
    d = res.dialect
    rows = list(csv.reader(io.StringIO(text), delimiter=d.delimiter, quotechar=d.quoteChar,
                           doublequote=d.doubleQuote, escapechar=d.escapeChar,
                           skipinitialspace=d.skipInitialSpace))
    return [c for r in rows for c in r] if rows else []


class BlockTooSmall(Exception):
    """A record is longer than the reader's block: read again with larger blocks."""


def read_chunks(res: LoadedResource, width: int, block_size: int = READ_BLOCK,
                ) -> Iterator[tuple[pl.DataFrame, list[tuple[int, list[str]]]]]:
    """The records in chunks of about :data:`CHUNK_BYTES`, as text columns c0…c{width-1}
    with frictionless row numbers and lines: a streaming read, so memory does not grow
    with the file.

    Yields each chunk's frame and the ragged records (row number, cells) the reader set
    aside there; those are also in the frame, cut or padded to ``width`` cells. pyarrow
    parses ``block_size`` bytes at a time.
    """
    names = [f"c{i}" for i in range(width)]
    ragged: list[tuple[int, str]] = []  # in file order: the reader is single-threaded

    def keep(bad: pacsv.InvalidRow) -> str:
        ragged.append((bad.number, bad.text))
        return "skip"

    d = res.dialect
    # The common case, every column's missing value is the empty cell: the reader itself
    # reads empty cells (quoted or not) as null, sparing a pass over every column.
    native = _empty_is_missing(res, width)
    reader = pacsv.open_csv(
        res.path,
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
    parsed, emitted, nl_before, chunks = 0, 0, 0, 0
    try:
        for batches in _batched(reader, CHUNK_BYTES):
            frame = pl.from_arrow(pa.Table.from_batches(batches, schema=reader.schema))
            assert isinstance(frame, pl.DataFrame)
            # Row numbers: ragged records (numbers known) interleave with the parsed ones.
            inserted_before = np.array([n - j for j, (n, _) in enumerate(ragged)], dtype=np.int64)
            idx = np.arange(parsed + 1, parsed + frame.height + 1, dtype=np.int64)
            rows = idx + np.searchsorted(inserted_before, idx, side="right")
            parsed += frame.height
            last = int(rows[-1]) if len(rows) else 0
            mine = [r for r in ragged[emitted:] if r[0] < last]
            if not frame.height and not mine:
                continue
            emitted += len(mine)
            chunks += 1
            frame, bad, nl_before = _finish_chunk(
                res, frame.with_columns(pl.Series(ROW, rows)), mine, names, nl_before,
                _newline_columns(batches), native)
            yield frame, bad
    except pa.ArrowInvalid as exc:
        if "straddl" in str(exc) and block_size < 1 << 30:
            raise BlockTooSmall(str(exc)) from exc
        raise
    if ragged[emitted:] or not chunks:  # ragged records after the last parsed one
        empty = pl.DataFrame(schema={**{n: pl.String for n in names}, ROW: pl.Int64})
        frame, bad, nl_before = _finish_chunk(res, empty, ragged[emitted:], names, nl_before)
        yield frame, bad


def _quiet_decode_errors(unraisable: object) -> None:
    if not isinstance(getattr(unraisable, "exc_value", None), UnicodeDecodeError):
        sys.__unraisablehook__(unraisable)


def _finish_chunk(res: LoadedResource, frame: pl.DataFrame, ragged: list[tuple[int, str]],
                  names: list[str], nl_before: int, nl_columns: list[int] | None = None,
                  native: bool = False) -> tuple[pl.DataFrame, list[tuple[int, list[str]]], int]:
    """One chunk: text columns (missing values as null), its ragged records put in place,
    physical lines. ``native``: the reader has already read empty cells as null."""
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
    counted = names if nl_columns is None else [names[i] for i in nl_columns]
    rows = frame.get_column(ROW).to_numpy()
    nl = (frame.select(pl.sum_horizontal(
        [pl.col(n).str.count_matches("\n", literal=True).fill_null(0) for n in counted]))
        .to_series().to_numpy().astype(np.int64) if counted else np.zeros(len(rows), np.int64))
    bad_at = np.array([n for n, _, _ in bad_rows], dtype=np.int64)
    bad_nl = np.array([k for _, _, k in bad_rows], dtype=np.int64)
    before = np.cumsum(nl) - nl + np.concatenate([[0], np.cumsum(bad_nl)])[
        np.searchsorted(bad_at, rows)]
    bad_before = np.cumsum(bad_nl) - bad_nl + np.concatenate([[0], np.cumsum(nl)])[
        np.searchsorted(rows, bad_at)]
    frame = frame.with_columns(pl.Series(LINE, rows + nl_before + before))
    if bad_rows:
        frame = pl.concat([frame, extra.with_columns(
            pl.Series(LINE, bad_at + nl_before + bad_before))])
    nl_after = nl_before + int(nl.sum()) + int(bad_nl.sum())
    return frame, [(n, cells) for n, cells, _ in bad_rows], nl_after


def _missing_values(res: LoadedResource, column: int) -> list[str]:
    """The missing values of a column: its field's, else the schema's."""
    fields = res.schema.fields
    f = fields[column] if column < len(fields) else None
    return f.missingValues if f and f.missingValues is not None else res.schema.missingValues


def _empty_is_missing(res: LoadedResource, width: int) -> bool:
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


def _newline_columns(batches: list[pa.RecordBatch]) -> list[int]:
    """Columns whose text may hold a newline (a byte scan of the arrow buffers, cheap)."""
    out = []
    for i in range(batches[0].num_columns if batches else 0):
        for b in batches:
            data = b.column(i).buffers()[2]
            if data is not None and data.size and (np.frombuffer(data, np.uint8) == 10).any():
                out.append(i)
                break
    return out


def _batched(reader: pacsv.CSVStreamingReader, size: int) -> Iterator[list[pa.RecordBatch]]:
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


def _prefetch(items: Iterator, depth: int = 1) -> Iterator:
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


# ---------------------------------------------------------------- checks


def read_csv_cells(res: LoadedResource, result: TableResult, strict: bool,
                   block: int = READ_BLOCK) -> Cells | None:
    """A CSV file's data records as text columns, its header, and its ragged records.

    Problems that stop the reading are added to ``result`` (and None is returned).
    """
    enc = check_encoding(res, strict, decode=strict or not _utf8(res.encoding))
    if enc is not None:
        result.errors.append(enc)
        if enc["code"][0] == "encoding-error":
            return None
    dialect = res.dialect
    sample = _sample(res)
    if not sample:
        result.errors.append(single_error(res, "source-error", f"{res.relpath}: no records"))
        return None
    hrows = [n for n in header_rows(res, sample) if n <= len(sample)]
    header = ([dialect.headerJoin.join(c for c in cells if c)
               for cells in zip(*[sample[n - 1] for n in hrows])] if hrows else None)
    if header is not None and len(hrows) == 1:
        header = sample[hrows[0] - 1]
    if res.schema_inferred:
        res.schema = infer_schema(header, sample, res.schema)
    schema = res.schema
    width = len(header) if header is not None else max(len(sample[0]), len(schema.fields))
    chunks = _data_chunks(res, result, width, hrows, block)
    return chunks, header, (max(hrows) if hrows else 0), width


def _data_chunks(res: LoadedResource, result: TableResult, width: int, hrows: list[int],
                 block: int) -> Chunks:
    """The data records of :func:`read_chunks`, without header and comment rows; an odd
    number of quotes makes the last record, if it spans lines, a source-error."""
    dialect = res.dialect
    names = [f"c{i}" for i in range(width)]
    header_end = max(hrows) if hrows else 0
    # The reading (parsing, conversion to polars, row numbers) runs a chunk ahead in a
    # background thread, beside the checks of the chunk before.
    for (frame, ragged), is_last in _mark_last(_prefetch(read_chunks(res, width, block))):
        swallowed = False
        if is_last and frame.height:
            last = frame.filter(pl.col(ROW) == pl.col(ROW).max())  # ragged records come last
            swallowed = last.select(pl.any_horizontal(
                [pl.col(n).str.contains("\n", literal=True) for n in names])).item() and \
                not quotes_paired(res)
        if swallowed:
            # An odd number of quotes and a last record spanning lines: a quote was left open
            # and the record swallowed the rest of the file. Report where it starts, drop it.
            last_row, last_line = last.select(ROW, LINE).row(0)
            result.errors.append(single_error(
                res, "source-error", f"{res.relpath}:{last_line}: a quote ({dialect.quoteChar}) "
                "opened in this row is never closed, so the rest of the file was read as one cell; "
                f"close it, and write a quote inside a quoted cell as {dialect.quoteChar * 2}",
                row=last_row, line=last_line))
            frame = frame.filter(pl.col(ROW) != last_row)
            ragged = [(n, cells) for n, cells in ragged if n != last_row]

        # Rows before the header's last row, and comment rows, are not data.
        skip = pl.col(ROW) <= header_end
        if dialect.commentRows:
            skip = skip | pl.col(ROW).is_in(dialect.commentRows)
        if dialect.commentChar:
            skip = skip | pl.col(names[0]).str.starts_with(dialect.commentChar).fill_null(False)
        if (dialect.commentRows or dialect.commentChar
                or (frame.height and frame.get_column(ROW).min() <= header_end)):
            skipped = set(frame.filter(skip).get_column(ROW).to_list())
            frame = frame.filter(~skip)
            ragged = [(n, cells) for n, cells in ragged if n not in skipped]
        yield frame, ragged


def _mark_last(items: Iterator) -> Iterator[tuple]:
    """``(item, is_last)`` for each item (one item is held back to know)."""
    prev, have = None, False
    for item in items:
        if have:
            yield prev, False
        prev, have = item, True
    if have:
        yield prev, True


def read_parquet_cells(res: LoadedResource, result: TableResult, strict: bool,
                       block: int = READ_BLOCK) -> Cells | None:
    """A Parquet file's columns as text in Table Schema lexical form, so the same checks apply.

    A column stored with another type than its field's shows as type errors: an integer
    field read back as floats (frictionless-py reads nullable integers so) gives '1.0'.
    """
    try:
        frame = pl.read_parquet(res.path)
    except (pl.exceptions.PolarsError, OSError, pa.ArrowException) as exc:
        result.errors.append(single_error(res, "source-error", f"{res.relpath}: cannot be "
                                          f"read as Parquet: {exc}"))
        return None
    header = frame.columns
    if res.schema_inferred:
        res.schema = Schema(fields=[Field(name=n, type="any") for n in header])
    names = [f"c{i}" for i in range(len(header))]
    text = []
    for n, (name, dtype) in zip(names, frame.schema.items()):
        col = pl.col(name)
        if dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        elif dtype.is_temporal() and dtype != pl.Date:
            col = col.dt.to_string("%Y-%m-%dT%H:%M:%S%.f") if dtype != pl.Time else col.cast(
                pl.String)
        elif dtype.is_nested() or dtype == pl.Struct:
            col = col.cast(pl.String, strict=False)
        elif dtype.is_float():  # 3.0 is read as the integer 3, as frictionless does
            col = pl.when(col.is_finite() & (col == col.round())).then(
                col.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(col.cast(pl.String))
        text.append(col.cast(pl.String).alias(n))
    frame = frame.select(text).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias(ROW), pl.lit(None, pl.Int64).alias(LINE))

    def chunks() -> Chunks:  # run when read, once the columns are matched to their fields
        yield missing_to_null(res, frame, names), []

    return chunks(), header, 1, len(header)



def check_table(res: LoadedResource, strict: bool = False,
                referenced: set[str] | None = None) -> TableResult:
    """Every layer-2 check of one resource except foreign keys (see :func:`check_foreign_keys`).

    The file is read and checked in chunks; across chunks only what the checks across
    rows need is kept: the primary and unique keys, ``unique`` fields, foreign keys and
    the ``referenced`` fields other tables point to. With ``referenced=None`` (or a
    dataset table, ``strict``) ``raw`` and ``canon`` hold every field, as the rules and
    the build need.
    """
    block = READ_BLOCK
    while True:
        try:
            return _check_table(res, strict, referenced, block)
        except BlockTooSmall:
            block *= 16


def _check_table(res: LoadedResource, strict: bool, referenced: set[str] | None,
                 block: int) -> TableResult:
    result = TableResult(res)
    if res.path.stat().st_size == 0:
        result.errors.append(single_error(res, "source-error", f"{res.relpath}: the file is "
                                          "empty; it needs at least a header row"))
        return result
    result.errors += check_integrity(res)
    reader = read_parquet_cells if res.format == "parquet" else read_csv_cells
    got = reader(res, result, strict, block)
    if got is None:
        return result
    chunks, header, header_row, width = got
    labels = []
    if header is not None and res.schema.fieldsMatch != "exact":
        labels.append(match_fields_by_name(res, header, header_row))
    elif header is not None:
        labels.append(check_labels(res, header, header_row))
    schema = res.schema
    fields = schema.fields
    mapped = min(len(fields), width)
    keys = _key_fields(schema, referenced) if referenced is not None and not strict else None
    kept = [f for f in fields[:mapped] if keys is None or f.name in keys]
    checks = [c for i, f in enumerate(fields[:mapped]) for c in field_checks(res, f, i + 1)]
    before = list(result.errors)
    raw_parts, canon_parts, blank_parts = [], [], []
    # A ragged record that is not UTF-8 cannot reach the reader's handler (pyarrow would
    # print that): the reader then fails, and the encoding error is reported below.
    hook, sys.unraisablehook = sys.unraisablehook, _quiet_decode_errors
    try:
        for frame, ragged in chunks:
            n = len(result.errors)
            raw, canon, blank_rows = _check_chunk(res, result, frame, ragged, width, header,
                                                  kept, checks)
            # Copy what is kept out of the chunk's text buffers (a string view keeps its
            # whole buffer alive): memory then grows with the keys and errors only.
            result.errors[n:] = [f.with_columns(pl.col("value") + "")
                                 for f in result.errors[n:] if f.height]
            if keys is None:
                raw_parts.append(raw)
            else:
                canon = canon.with_columns(pl.col(pl.String) + "")
            canon_parts.append(canon)
            blank_parts.append(blank_rows)
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError) as exc:
        problem = single_error(res, "source-error", f"{res.relpath}: the CSV cannot be parsed: {exc}")
        if res.format != "parquet":  # a byte that is not UTF-8? (not decoded before reading)
            enc = check_encoding(res, strict)
            if enc is not None and enc["code"][0] == "encoding-error":
                problem = enc
        result.errors = before + [problem]
        return result
    finally:
        sys.unraisablehook = hook
    result.errors += labels
    if keys is None:  # in row order (a chunk's ragged records come after its parsed ones)
        blank_rows = pl.concat(blank_parts).get_column(ROW)
        result.raw = pl.concat(raw_parts).filter(~pl.col(ROW).is_in(blank_rows.implode())).sort(ROW)
    result.canon = pl.concat(canon_parts)
    for i, f in enumerate(fields[:mapped]):
        if f.constraints.unique:
            result.errors += _duplicates(res, result.canon.select(f.name, ROW, LINE), [f.name],
                                         "unique-error", i + 1)
    result.errors += check_keys(res, result.canon, schema)
    return result


def _key_fields(schema: Schema, referenced: set[str]) -> set[str]:
    """Fields whose values are kept across chunks: keys, unique fields, referenced fields."""
    out = set(schema.primaryKey) | set(referenced)
    out |= {k for uk in schema.uniqueKeys for k in uk}
    out |= {k for fk in schema.foreignKeys for k in fk.fields}
    out |= {f.name for f in schema.fields if f.constraints.unique}
    return out


def _check_chunk(res: LoadedResource, result: TableResult, frame: pl.DataFrame,
                 ragged: list[tuple[int, list[str]]], width: int, header: list[str] | None,
                 kept: list[Field], checks: list[Check],
                 ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Every check of one chunk of rows that needs no other row (errors go to ``result``).

    Returns the chunk's text (missing values as null), the key values
    (:func:`fieldtypes.canonical`) of the ``kept`` fields, and its blank rows: what the
    checks across rows need.
    """
    names = [f"c{i}" for i in range(width)]
    schema = res.schema
    result.errors.append(check_ragged(res, ragged, width, frame, header))

    # Cells that are too large (a string's length is stored beside it: cheap to read)
    longest = frame.select(pl.max_horizontal(pl.col(names).str.len_bytes().max())).item() \
        if frame.height and names else None
    if longest is not None and longest > MAX_CELL_BYTES:
        big = frame.filter(pl.any_horizontal([pl.col(n).str.len_bytes() > MAX_CELL_BYTES
                                              for n in names]))
        for i, n in enumerate(names):
            hit = big.filter(pl.col(n).str.len_bytes() > MAX_CELL_BYTES)
            fname = schema.fields[i].name if i < len(schema.fields) else None
            result.errors.append(errors_from(
                hit, res, "source-error", pl.format(
                    "{}:{} field '{}': the cell holds {} bytes, more than the limit of {}; "
                    "store large text elsewhere and link to it",
                    pl.lit(res.relpath), pl.col(LINE), pl.lit(fname or f"#{i + 1}"),
                    pl.col(n).str.len_bytes(), pl.lit(MAX_CELL_BYTES)),
                fname, i + 1))
        frame = frame.with_columns([
            pl.when(pl.col(n).str.len_bytes() > MAX_CELL_BYTES).then(None).otherwise(pl.col(n))
            .alias(n) for n in names])

    # Blank rows (every cell missing, so null) are reported once. They stay in the chunk
    # (removing them would copy it): no check but `required` can fire on null cells, and
    # that one skips them; keys see them as empty primary keys, as frictionless does.
    fields = schema.fields
    mapped = min(len(fields), width)
    blank = frame.select(pl.all_horizontal([pl.col(n).is_null() for n in names])).to_series()
    blank_rows = frame.filter(blank) if blank.any() else frame.head(0)
    if blank_rows.height:
        result.errors.append(errors_from(blank_rows, res, "blank-row", pl.format(
            "{}:{}: row {} is blank; delete it", pl.lit(res.relpath), pl.col(LINE), pl.col(ROW))))

    raw = frame.select([pl.col(names[i]).alias(fields[i].name) for i in range(mapped)]
                       + [ROW, LINE])
    # Every column is parsed once; the checks then see text and typed value side by side.
    parsed = fieldtypes.parse_frame(fields[:mapped], raw)
    both = raw.hstack([parsed.get_column(f.name).alias(_typed(i + 1))
                       for i, f in enumerate(fields[:mapped])] + [blank.alias(BLANK)])
    result.errors += run_checks(res, both, checks)
    number = {id(f): i + 1 for i, f in enumerate(fields)}
    canon = both.select([fieldtypes.canonical(f, pl.col(_typed(number[id(f)]))).alias(f.name)
                         for f in kept] + [ROW, LINE])
    return raw, canon, blank_rows.select(ROW, LINE)


def label_names(labels: list[str]) -> list[str]:
    """Field names for header labels, as frictionless makes them: blank → fieldN, repeats → name2."""
    names: list[str] = []
    seen: list[str] = []
    for i, label in enumerate(labels, start=1):
        name = label if label.strip() else f"field{i}"
        count = seen.count(name) + 1
        seen.append(name)
        names.append(f"{name}{count}" if count > 1 else name)
    return names


def infer_schema(header: list[str] | None, sample: list[list[str]], schema: Schema) -> Schema:
    """No schema was given: one field of type ``any`` per column, named like frictionless."""
    labels = header if header is not None else [""] * max(len(r) for r in sample)
    names = label_names(labels)
    return Schema(fields=[Field(name=n, type="any") for n in names],
                  missingValues=schema.missingValues)


def match_fields_by_name(res: LoadedResource, header: list[str], at: int) -> pl.DataFrame:
    """Table Schema v2 ``fieldsMatch`` other than ``exact``: labels find their fields by name.

    The resource's schema becomes the fields in the file's column order; a label with no
    field gets an ``any`` field named after it, a field with no label is not checked.
    ``equal`` and ``superset`` report extra labels, ``equal`` and ``subset`` missing ones
    (as frictionless-py 5.21 does).
    """
    schema, mode = res.schema, res.schema.fieldsMatch
    labels = [label.strip() for label in header]
    fabricated = label_names(labels)
    expected = [schema.field(label) or Field(name=name, type="any")
                for label, name in zip(labels, fabricated)]
    missing = [f for f in schema.fields if f.name not in labels]
    out = []
    if mode in ("equal", "superset"):
        for i, label in enumerate(labels):
            if schema.field(label) is None:
                out.append(single_error(
                    res, "extra-label", f"{res.relpath}:{at}: column {i + 1} '{label}' is not "
                    f"a field of the schema (fieldsMatch '{mode}'); remove the column or add "
                    "the field", row=at, line=at, fieldname=label, field_number=i + 1,
                    value=label))
    if mode in ("equal", "subset"):
        for j, f in enumerate(missing):
            out.append(single_error(
                res, "missing-label", f"{res.relpath}:{at}: the header has no column "
                f"'{f.name}' (fieldsMatch '{mode}' needs every field of the schema)", row=at,
                line=at, fieldname=f.name, field_number=len(labels) + j + 1))
    res.schema = schema.model_copy(update={"fields": expected})
    return pl.concat(out) if out else empty_errors()


def check_labels(res: LoadedResource, header: list[str], at: int = 1) -> pl.DataFrame:
    """Header labels against the schema's field names (frictionless label errors)."""
    out = []
    fields = res.schema.fields
    seen: dict[str, int] = {}
    norm = (lambda s: s) if res.dialect.caseSensitiveHeader else str.lower
    for i, label in enumerate(header):
        label = label.strip()  # frictionless compares labels without surrounding spaces
        f = fields[i] if i < len(fields) else None
        name = f.name if f else None
        where = {"row": at, "line": at, "fieldname": name or label, "field_number": i + 1, "value": label}
        if label.strip() == "":
            out.append(single_error(res, "blank-label", f"{res.relpath}:{at}: column {i + 1} has "
                                    f"no label; expected '{name}'" if name else
                                    f"{res.relpath}:{at}: column {i + 1} has no label", **where))
        elif f is None:  # frictionless: a label beyond the schema is extra, even if repeated
            out.append(single_error(res, "extra-label", f"{res.relpath}:{at}: column {i + 1} "
                                    f"'{label}' is not a field of the schema; remove the column "
                                    "or add the field", **where))
        elif label in seen:
            out.append(single_error(res, "duplicate-label", f"{res.relpath}:{at}: label '{label}' "
                                    f"of column {i + 1} repeats column {seen[label]}", **where))
        elif norm(label) != norm(name):
            out.append(single_error(res, "incorrect-label", f"{res.relpath}:{at}: column {i + 1} is "
                                    f"labelled '{label}' but the schema's field {i + 1} is "
                                    f"'{name}'", **where))
        seen.setdefault(label, i + 1)
    for j in range(len(header), len(fields)):
        out.append(single_error(res, "missing-label", f"{res.relpath}:{at}: the header has no "
                                f"column for field '{fields[j].name}' (field {j + 1})", row=at,
                                line=at, fieldname=fields[j].name, field_number=j + 1))
    return pl.concat(out) if out else empty_errors()


def check_ragged(res: LoadedResource, ragged: list[tuple[int, list[str]]], width: int,
                 frame: pl.DataFrame, header: list[str] | None = None) -> pl.DataFrame:
    """Rows with fewer or more cells than the header."""
    extra_names = label_names(header) if header is not None else []
    lines = dict(frame.tail(len(ragged)).select(ROW, LINE).iter_rows()) if ragged else {}
    if len(lines) < len(ragged) or any(r not in lines for r, _ in ragged):
        # A chunk's ragged records are its last rows; look them up if that ever changes.
        lines = dict(frame.filter(pl.col(ROW).is_in([r for r, _ in ragged]))
                     .select(ROW, LINE).iter_rows())
    fields = res.schema.fields
    out = []  # plain records, made into one frame: a chunk may hold thousands

    def add(code: str, message: str, **where: object) -> None:
        out.append({"code": code, "resource": res.name, "path": res.relpath, "message": message,
                    **where})

    for row, cells in ragged:
        line = lines.get(row)
        for i in range(len(cells), width):
            name = (fields[i].name if i < len(fields)
                    else extra_names[i] if i < len(extra_names) else None)
            add("missing-cell", f"{res.relpath}:{line}: row {row} has {len(cells)} cells "
                f"but the header has {width}; field '{name or i + 1}' (column {i + 1}) is "
                "missing", row=row, line=line, field=name, field_number=i + 1)
        for i in range(width, len(cells)):
            add("extra-cell", f"{res.relpath}:{line}: row {row} has {len(cells)} cells but "
                f"the header has {width}; cell {i + 1} ('{cells[i][:50]}') has no column",
                row=row, line=line, field_number=i + 1, value=cells[i][:200])
    return pl.DataFrame(out, schema=ERROR_COLUMNS) if out else empty_errors()


def _msg(res: LoadedResource, f: Field, text: str, *args: pl.Expr) -> pl.Expr:
    return pl.format("{}:{} field '{}': " + text, pl.lit(res.relpath), pl.col(LINE),
                     pl.lit(f.name), *args)


@dataclass
class Check:
    """One check of one field: the rows where ``mask`` holds are errors; ``record`` gives
    their :data:`ERROR_COLUMNS` (built once per table, used for every chunk)."""

    mask: pl.Expr
    record: list[pl.Expr]


def _typed(number: int) -> str:
    """The column that holds field ``number``'s typed values beside the text."""
    return f"_typed{number}"


def field_checks(res: LoadedResource, f: Field, number: int) -> list[Check]:
    """Type and constraint checks of one field; a cell with a type error is not checked further.

    The masks read the cell text (column ``f.name``) and the typed value (column
    ``_typed<number>``, null where the cell is empty or does not parse). A constraint's
    mask is null where the value is, so a type-error cell never breaks a constraint.
    """
    col, v, c = pl.col(f.name), pl.col(_typed(number)), f.constraints

    def check(code: str, mask: pl.Expr, text: str, *args: pl.Expr) -> Check:
        return Check(mask, error_columns(res, code, _msg(res, f, text, *args), f.name, number, col))

    out = [check("type-error", col.is_not_null() & v.is_null(), "'{}' is not {} (type {})",
                 _short(col), pl.lit(fieldtypes.describe(f)),
                 pl.lit(f.type + (f"/{f.format}" if f.format else "")))]

    def add(mask: pl.Expr, text: str, *args: pl.Expr) -> None:
        out.append(check("constraint-error", mask, text, *args))

    if c.required:  # an empty primary-key cell is a primary-key error, as in frictionless
        add(col.is_null() & ~pl.col(BLANK), "is required but the cell is empty; fill it in")
    if c.enum is not None:
        allowed_vals = enum_values(f, c.enum)
        shown = ", ".join(fieldtypes.json_text(x) for x in c.enum)
        add(v.is_not_null() & ~v.is_in(allowed_vals.implode()),
            "'{}' is not one of the allowed values: {}", col, pl.lit(shown[:300]))
    kind = fieldtypes.TYPES[f.type]
    if c.pattern is not None and "pattern" in kind.constraints:
        add(v.is_not_null() & ~_matches(col, c.pattern),
            "'{}' does not match the pattern {}", _short(col), pl.lit(c.pattern))
    length = kind.length(v) if kind.length is not None else None
    if c.minLength is not None and length is not None:
        add(length < c.minLength, "'{}' is shorter than the minimum length {}", _short(col),
            pl.lit(c.minLength))
    if c.maxLength is not None and length is not None:
        add(length > c.maxLength, "'{}' is longer than the maximum length {}", _short(col),
            pl.lit(c.maxLength))
    bounds = [("minimum", v.__lt__, "is less than the minimum"),
              ("maximum", v.__gt__, "is more than the maximum"),
              ("exclusiveMinimum", v.__le__, "is not more than the exclusive minimum"),
              ("exclusiveMaximum", v.__ge__, "is not less than the exclusive maximum")]
    for key, cmp, words in bounds:
        bound = getattr(c, key)
        if bound is not None and key in kind.constraints:
            add(cmp(fieldtypes.constraint_value(f, bound)),
                "'{}' " + words + " {}", col, pl.lit(str(bound)))
    return out


def run_checks(res: LoadedResource, frame: pl.DataFrame, checks: list[Check]) -> list[pl.DataFrame]:
    """Error rows of every check, in the order of ``checks``."""
    if not checks:
        return []
    # Each mask is evaluated once, in one select (in parallel), into a column of flags.
    flags = frame.select([c.mask.fill_null(False).alias(str(i)) for i, c in enumerate(checks)])
    hits = [str(i) for i, n in enumerate(flags.sum().row(0)) if n]
    if not hits:
        return []
    # The rows with an error (few, usually) first, then each check's rows among them, all
    # in one query (polars runs the parts in parallel).
    anywhere = flags.select(pl.any_horizontal(hits)).to_series()
    rows = frame.filter(anywhere).hstack(
        flags.filter(anywhere).select(pl.col(hits).name.prefix("_hit"))).lazy()
    return [pl.concat([rows.filter(pl.col(f"_hit{i}")).select(checks[int(i)].record)
                       for i in hits]).collect()]


def enum_values(f: Field, enum: list) -> pl.Series:
    """An enum's values typed like the field's cells: text is read as a cell would be,
    JSON booleans and numbers are taken as they are (as frictionless does)."""
    texts = [x if isinstance(x, str) else fieldtypes.json_text(x) for x in enum]
    parsed = pl.DataFrame({"a": texts}, schema={"a": pl.String}).select(
        fieldtypes.parse(f, pl.col("a"))).to_series()
    if f.type == "boolean":
        return pl.Series([x if isinstance(x, bool) else p for x, p in zip(enum, parsed)],
                         dtype=pl.Boolean)
    return parsed


def _matches(col: pl.Expr, pattern: str) -> pl.Expr:
    """Whole-cell match of a Table Schema pattern (XML Schema / Python syntax).

    Polars' regex engine runs it over the column; a pattern it cannot compile (look-around,
    backreferences) is run by Python's ``re`` once per distinct value instead. A pattern
    neither compiles is reported by layer 1, so here it matches nothing.
    """
    anchored = f"^(?:{pattern})$"
    try:
        pl.select(pl.lit("").str.contains(anchored))
        return col.str.contains(anchored)
    except pl.exceptions.PolarsError:
        try:
            rx = re.compile(anchored)
        except re.error:
            return pl.lit(False)

    def by_python(cells: pl.Series) -> pl.Series:
        good = [x for x in cells.drop_nulls().unique().to_list() if rx.match(x)]
        return cells.is_in(pl.Series(good, dtype=pl.String).implode())

    return col.map_batches(by_python, return_dtype=pl.Boolean)


def _short(col: pl.Expr) -> pl.Expr:
    return pl.when(col.str.len_chars() > 60).then(col.str.slice(0, 57) + "...").otherwise(col)


def _duplicates(res: LoadedResource, keys: pl.DataFrame, names: list[str], code: str,
                number: int | None = None) -> list[pl.DataFrame]:
    """Rows whose key repeats an earlier row (the first occurrence is not an error).

    A key whose cells are all empty repeats nothing (it is no key); its rows are
    dropped here, among the few the hashes pick, not by copying every key first.
    """
    # Only rows whose key hash repeats can repeat a key (equal keys, equal hashes): the
    # exact grouping then runs on those few, in little memory even for 10^7 keys.
    h = pl.col(names[0]).hash(0)
    for i, n in enumerate(names[1:], start=1):
        h = h ^ pl.col(n).hash(i)
    hashes = keys.select(h).to_series()
    # Repeated hashes by sorting a copy (8 bytes a key, polars sorts in parallel):
    # is_duplicated's table of groups costs ~100 bytes a key, too much for 10^7 keys in 2 GiB.
    ordered = hashes.sort()
    n = len(ordered)
    repeated = ordered.slice(1).filter(ordered.slice(1) == ordered.slice(0, max(n - 1, 0)))
    del ordered
    keys = keys.filter(hashes.is_in(repeated.unique().implode())
                       & ~pl.all_horizontal([pl.col(n).is_null() for n in names]))
    first = pl.col(ROW).min().over(names)
    dup = keys.with_columns(first.alias("_first")).filter(pl.col(ROW) != pl.col("_first"))
    if not dup.height:
        return []
    value = pl.concat_str([pl.col(n).cast(pl.String).fill_null("") for n in names],
                          separator=", ")
    label = ", ".join(names)
    what = {"primary-key": "primary key", "unique-error": "unique key"}[code]
    msg = pl.format("{}:{}: {} ({}) = ({}) repeats row {}; each row needs its own value",
                    pl.lit(res.relpath), pl.col(LINE), pl.lit(what), pl.lit(label), value,
                    pl.col("_first"))
    fieldname = names[0] if len(names) == 1 else label
    return [errors_from(dup, res, code, msg, fieldname, number, value)]


def check_keys(res: LoadedResource, canon: pl.DataFrame, schema: Schema) -> list[pl.DataFrame]:
    """Primary key and composite unique keys, with frictionless's treatment of nulls.

    A primary key whose cells are all empty is an error (blank rows included, they are
    in ``canon``); a partly empty one is compared as a value. A unique key skips rows
    with an empty part.
    """
    out = []
    present = set(canon.columns)
    pk = [k for k in schema.primaryKey if k in present]
    if pk and len(pk) == len(schema.primaryKey):
        keys = canon.select(pk + [ROW, LINE])
        empty = pl.all_horizontal([pl.col(k).is_null() for k in pk])
        hit = keys.filter(empty)
        if hit.height:
            out.append(errors_from(hit, res, "primary-key", pl.format(
                "{}:{}: the primary key ({}) is empty; every row needs one",
                pl.lit(res.relpath), pl.col(LINE), pl.lit(", ".join(pk))), ", ".join(pk)))
        out += _duplicates(res, keys, pk, "primary-key")
    for uk in schema.uniqueKeys:
        if all(k in present for k in uk):
            keys = canon.select(uk + [ROW, LINE]).drop_nulls(uk)
            out += _duplicates(res, keys, uk, "unique-error")
    return out


def _join_keys(pairs: list[tuple[str, Field | None, Field | None]],
               ) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Join keys (``_key0``…) for the two sides of a foreign key, comparable as
    frictionless compares the values (Python's ==): numbers (integer, number, year,
    boolean) by value, text with text, and values of other different types never
    (5 is not "5", a date is not a text)."""
    def family(f: Field | None) -> str:
        return fieldtypes.TYPES[f.type if f is not None else "string"].key_family

    mine, theirs = [], []
    for i, (name, a, b) in enumerate(pairs):
        x, y, key = pl.col(name), pl.col(name), f"_key{i}"
        if family(a) == family(b) == "number" and (a is None or b is None or a.type != b.type):
            x, y = x.cast(pl.Float64, strict=False), y.cast(pl.Float64, strict=False)
        elif family(a) != family(b):  # tagged with the type: equal text does not match
            x = pl.concat_str([pl.lit(family(a) + ":"), x.cast(pl.String)])
            y = pl.concat_str([pl.lit(family(b) + ":"), y.cast(pl.String)])
        mine.append(x.alias(key))
        theirs.append(y.alias(key))
    return mine, theirs



def check_foreign_keys(results: dict[str, TableResult]) -> list[pl.DataFrame]:
    """Every foreign key: referencing values must exist in the referenced fields (anti-join)."""
    out = []
    for name, result in results.items():
        res, canon = result.resource, result.canon
        if canon is None:
            continue
        for fk in res.schema.foreignKeys:
            target_name = fk.reference.resource or name
            target = results.get(target_name)
            if any(f not in canon.columns for f in fk.fields):
                continue
            # A row whose foreign-key cells are all empty refers to nothing. Such rows are
            # dropped from the result, not from the input (that would copy every key).
            given = ~pl.all_horizontal([pl.col(k).is_null() for k in fk.fields])
            rows = canon.select(fk.fields + [ROW, LINE])
            if target is None or target.canon is None:
                if fk.reference.resource and target is None:
                    msg = pl.format("{}:{}: foreign key ({}) refers to resource '{}', which the "
                                    "package does not have", pl.lit(res.relpath), pl.col(LINE),
                                    pl.lit(", ".join(fk.fields)), pl.lit(target_name))
                    out.append(errors_from(rows.filter(given), res, "foreign-key", msg,
                                           ", ".join(fk.fields)))
                continue
            mine, theirs = _join_keys([(f, res.schema.field(f), target.resource.schema.field(r))
                                       for f, r in zip(fk.fields, fk.reference.fields)])
            ref = target.canon.select(
                [pl.col(r).alias(f) for f, r in zip(fk.fields, fk.reference.fields)]
            ).select(theirs).unique()
            keys = [k.meta.output_name() for k in mine]
            missing = rows.with_columns(mine).join(ref, on=keys, how="anti", nulls_equal=True) \
                .filter(given)
            if missing.height:
                value = pl.concat_str([pl.col(n).cast(pl.String).fill_null("")
                                       for n in fk.fields], separator=", ")
                msg = pl.format("{}:{}: ({}) = ({}) is not found in {}.({}); add that row to "
                                "'{}' or correct the value", pl.lit(res.relpath), pl.col(LINE),
                                pl.lit(", ".join(fk.fields)), value, pl.lit(target_name),
                                pl.lit(", ".join(fk.reference.fields)), pl.lit(target_name))
                out.append(errors_from(missing.sort(ROW), res, "foreign-key", msg,
                                       ", ".join(fk.fields), None, value))
    return out
