"""Layer 2 for one table: read it in chunks, check each chunk, then the keys across rows.

The file is parsed once (every cell as text) by the reader of its form; every check is
a column expression over a chunk; across chunks only what the checks across rows need
is kept. Foreign keys, across tables, are checked afterwards
(:func:`factpack.validation.tables.keys.check_foreign_keys`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import polars as pl
import pyarrow as pa

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from ...spec import fieldtypes
from ...spec.models import Field, Schema
from .cells import TableChecks, run_checks, typed_column
from .integrity import check_encoding, check_integrity, is_encoding_error, unknown_encoding
from .keys import check_keys, duplicates
from .labels import check_labels, match_fields_by_name
from .read import READ_BLOCK, BlockTooSmall, Ragged, quiet_decode_errors
from .readers import prepared, reader_for, streamed
from .result import BLANK, LINE, ROW, TableResult, single_error
from .rows import blank_rows, check_ragged, drop_oversized
from .sources import SourceProblem, complete, local_table


def check_table(res: LoadedResource, strict: bool = False,
                referenced: set[str] | None = None,
                tick: Callable[[int], None] | None = None) -> TableResult:
    """Every layer-2 check of one resource except foreign keys.

    The file is read and checked in chunks; across chunks only what the checks across
    rows need is kept: the primary and unique keys, ``unique`` fields, foreign keys and
    the ``referenced`` fields other tables point to. With ``referenced=None`` (or a
    dataset table, ``strict``) ``raw`` and ``canon`` hold every field, as the rules and
    the build need.
    """
    try:
        # A remote or compressed table is read while it is still being copied
        with local_table(res, follow=True) as (raw, plain):
            if (unknown := unknown_encoding(plain)) is not None:
                raise SourceProblem(Code.ENCODING, unknown)  # nothing can be read: as frictionless
            plain = prepared(plain, strict)
            if not streamed(plain, strict):
                complete(plain)  # its reader reads the whole file first
            block = READ_BLOCK
            while True:
                try:
                    result = _check_table(plain, strict, referenced, block, tick)
                    break
                except BlockTooSmall:
                    block *= 16
            complete(plain)  # a copy that failed (truncated gzip, download) is the one error
            result.errors[:0] = check_integrity(raw) if raw.path is not None else []
            return result
    except SourceProblem as exc:
        result = TableResult(res)
        result.errors.append(single_error(res, exc.code, str(exc)))
        return result


def _check_table(res: LoadedResource, strict: bool, referenced: set[str] | None,
                 block: int, tick: Callable[[int], None] | None = None) -> TableResult:
    result = TableResult(res)
    if res.format == "file":  # not a table: its bytes and hash only
        return result
    if res.path is not None and res.path.stat().st_size == 0:
        result.errors.append(single_error(res, Code.SOURCE, f"{res.relpath}: the file is "
                                          "empty; it needs at least a header row"))
        return result
    got = reader_for(res)(res, result, strict, block)
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
    checks = TableChecks(res, fields[:mapped], strict)
    before = list(result.errors)
    raw_parts, canon_parts, blank_parts = [], [], []
    # A ragged record that is not UTF-8 cannot reach the reader's handler (pyarrow would
    # print that): the reader then fails, and the encoding error is reported below.
    hook, sys.unraisablehook = sys.unraisablehook, quiet_decode_errors
    try:
        for frame, ragged in chunks:
            if tick is not None:  # progress (rows read), on a terminal
                tick(frame.height)
            n = len(result.errors)
            raw, canon, blanks = _check_chunk(res, result, frame, ragged, width, header,
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
            blank_parts.append(blanks)
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError) as exc:
        problem = single_error(res, Code.SOURCE,
                               f"{res.relpath}: the CSV cannot be parsed: {exc}")
        if res.format == "csv":  # a byte that is not UTF-8? (not decoded before reading)
            complete(res)
            enc = check_encoding(res, strict)
            if is_encoding_error(enc):
                problem = enc
        result.errors = before + [problem]
        return result
    finally:
        sys.unraisablehook = hook
    result.errors += labels
    if keys is None:  # in row order (a chunk's ragged records come after its parsed ones)
        blank = pl.concat(blank_parts).get_column(ROW)
        result.raw = pl.concat(raw_parts).filter(~pl.col(ROW).is_in(blank.implode())).sort(ROW)
    # relaxed: an integer column typed as text in some chunks (beyond int64) is text in all
    result.canon = pl.concat(canon_parts, how="vertical_relaxed")
    for i, f in enumerate(fields[:mapped]):
        if f.constraints.unique:
            result.errors += duplicates(res, result.canon.select(f.name, ROW, LINE), [f.name],
                                        Code.UNIQUE, i + 1)
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
                 ragged: Ragged, width: int, header: list[str] | None,
                 kept: list[Field], checks: TableChecks,
                 ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Every check of one chunk of rows that needs no other row (errors go to ``result``).

    Returns the chunk's text (missing values as null), the key values
    (:func:`fieldtypes.canonical`) of the ``kept`` fields, and its blank rows: what the
    checks across rows need.
    """
    names = [f"c{i}" for i in range(width)]
    result.errors.append(check_ragged(res, ragged, width, frame, header))
    frame = drop_oversized(res, frame, names, result.errors)
    # Blank rows are reported once. They stay in the chunk (removing them would copy
    # it): no check but `required` can fire on null cells, and that one skips them; keys
    # see them as empty primary keys, as frictionless does.
    blank, blanks = blank_rows(res, frame, names, result.errors)

    fields = res.schema.fields
    mapped = min(len(fields), width)
    raw = frame.select([pl.col(names[i]).alias(fields[i].name) for i in range(mapped)]
                       + [ROW, LINE])
    # Every column is parsed once; the checks then see text and typed value side by side.
    parsed = fieldtypes.parse_frame(fields[:mapped], raw)
    both = raw.hstack([parsed.get_column(f.name).alias(typed_column(i + 1))
                       for i, f in enumerate(fields[:mapped])] + [blank.alias(BLANK)])
    result.errors += run_checks(res, both, checks.of(parsed))
    number = {id(f): i + 1 for i, f in enumerate(fields)}
    canon = both.select([fieldtypes.canonical(f, pl.col(typed_column(number[id(f)])))
                         .alias(f.name) for f in kept] + [ROW, LINE])
    return raw, canon, blanks.select(ROW, LINE)
