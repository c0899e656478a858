"""One reader per input form (CSV, Parquet), each giving the same :data:`Cells`: the data
records in chunks of text columns, the header labels, the header's row number and width.

The header is found as frictionless finds it; rows before it and comment rows are not
data. A Parquet file's columns are turned into their Table Schema lexical form, so the
same checks apply to both.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

import polars as pl
import pyarrow as pa

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from ...spec.models import Field, Schema
from .integrity import check_encoding, is_encoding_error, quotes_paired, utf8
from .labels import infer_schema
from .ranges import read_ranges, splittable
from .read import (
    READ_BLOCK,
    Ragged,
    mark_last,
    missing_to_null,
    prefetch,
    python_records,
    read_chunks,
)
from .records import read_record_cells
from .result import LINE, ROW, TableResult, single_error
from .sniff import dialect_problem, sniffed
from .sources import complete

# Each chunk's frame (c0…, _row, _line) with its ragged records, then the header labels,
# the header's row number and the header's width.
Chunks = Iterable[tuple[pl.DataFrame, Ragged]]
Cells = tuple[Chunks, "list[str] | None", int, int]


def _sample(res: LoadedResource, size: int = 100) -> list[list[str]]:
    """The first records (up to ``size``), parsed by Python's csv module, to find the header."""
    with open(res.path, encoding=res.encoding, errors="replace", newline="") as fh:
        text = fh.read(1 << 20)
    text = text.removeprefix("\ufeff")
    out = []
    try:
        for record in python_records(text, res):
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


def read_csv_cells(res: LoadedResource, result: TableResult, strict: bool,
                   block: int = READ_BLOCK) -> Cells | None:
    """A CSV file's data records as text columns, its header, and its ragged records.

    Problems that stop the reading are added to ``result`` (and None is returned).
    """
    if (bad := dialect_problem(res)) is not None:
        result.errors.append(single_error(res, Code.SOURCE, f"{res.relpath}: {bad}"))
        return None
    enc = check_encoding(res, strict, decode=strict or not utf8(res.encoding))
    if enc is not None:
        result.errors.append(enc)
        if is_encoding_error(enc):
            return None
    dialect = res.dialect
    sample = _sample(res)
    if not sample:
        result.errors.append(single_error(res, Code.SOURCE, f"{res.relpath}: no records"))
        return None
    declared = header_rows(res, sample)
    if len(sample) < 100 and any(n > len(sample) for n in declared):  # the sample is the file
        result.errors.append(single_error(
            res, Code.SOURCE, f"{res.relpath}: headerRows {declared} but the file has only "
            f"{len(sample)} rows"))
        return None
    hrows = [n for n in declared if n <= len(sample)]
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
    # A large local file is parsed on every core (:mod:`.ranges`).
    read = read_ranges if splittable(res) else read_chunks
    for (frame, ragged), is_last in mark_last(prefetch(read(res, width, block))):
        swallowed = False
        if is_last and frame.height:
            last = frame.filter(pl.col(ROW) == pl.col(ROW).max())  # ragged records come last
            if last.select(pl.any_horizontal(
                    [pl.col(n).str.contains("\n", literal=True) for n in names])).item():
                complete(res)  # quotes are counted over the whole file
                swallowed = not quotes_paired(res)
        if swallowed:
            # An odd number of quotes and a last record spanning lines: a quote was left open
            # and the record swallowed the rest of the file. Report where it starts, drop it.
            last_row, last_line = last.select(ROW, LINE).row(0)
            result.errors.append(single_error(
                res, Code.SOURCE, f"{res.relpath}:{last_line}: a quote ({dialect.quoteChar}) "
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


def read_parquet_cells(res: LoadedResource, result: TableResult, strict: bool,
                       block: int = READ_BLOCK) -> Cells | None:
    """A Parquet file's columns as text in Table Schema lexical form, so the same checks apply.

    A column stored with another type than its field's shows as type errors: an integer
    field read back as floats (frictionless-py reads nullable integers so) gives '1.0'.
    """
    try:
        frame = pl.read_parquet(res.path)
    except (pl.exceptions.PolarsError, OSError, pa.ArrowException) as exc:
        result.errors.append(single_error(res, Code.SOURCE, f"{res.relpath}: cannot be "
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


def reader_for(res: LoadedResource):
    """The reader of the resource's form (:data:`factpack.descriptors.forms.TABULAR`)."""
    if res.format == "parquet":
        return read_parquet_cells
    if res.format in ("json", "ndjson", "inline", "excel"):
        return read_record_cells
    return read_csv_cells


def streamed(res: LoadedResource, strict: bool) -> bool:
    """Whether the table is read in one pass from its start (a CSV in UTF-8, not a dataset
    table, whose encoding and line endings are checked first), so its file can still be
    being written while it is read (:class:`.sources.Filling`)."""
    return res.format == "csv" and not strict and utf8(res.encoding)


def prepared(res: LoadedResource, strict: bool) -> LoadedResource:
    """A CSV resource with what it leaves undeclared sniffed as frictionless-py does
    (:mod:`.sniff`); a dataset's tables declare everything (UTF-8, commas)."""
    if res.format != "csv" or strict or res.path is None or dialect_problem(res):
        return res
    return sniffed(res)
