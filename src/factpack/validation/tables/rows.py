"""Checks of whole rows in a chunk: ragged rows (missing and extra cells), cells over the
size limit, and blank rows."""

from __future__ import annotations

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from .labels import label_names
from .read import Ragged
from .result import ERROR_COLUMNS, LINE, ROW, empty_errors, errors_from

MAX_CELL_BYTES = 1_000_000  # a cell larger than this is an error (protects memory and readers)


def check_ragged(res: LoadedResource, ragged: Ragged, width: int,
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

    def add(code: Code, message: str, **where: object) -> None:
        out.append({"code": str(code), "resource": res.name, "path": res.relpath, "message": message,
                    **where})

    for row, cells in ragged:
        line = lines.get(row)
        for i in range(len(cells), width):
            name = (fields[i].name if i < len(fields)
                    else extra_names[i] if i < len(extra_names) else None)
            add(Code.MISSING_CELL, f"{res.relpath}:{line}: row {row} has {len(cells)} cells "
                f"but the header has {width}; field '{name or i + 1}' (column {i + 1}) is "
                "missing", row=row, line=line, field=name, field_number=i + 1)
        for i in range(width, len(cells)):
            add(Code.EXTRA_CELL, f"{res.relpath}:{line}: row {row} has {len(cells)} cells but "
                f"the header has {width}; cell {i + 1} ('{cells[i][:50]}') has no column",
                row=row, line=line, field_number=i + 1, value=cells[i][:200])
    return pl.DataFrame(out, schema=ERROR_COLUMNS) if out else empty_errors()


def drop_oversized(res: LoadedResource, frame: pl.DataFrame, names: list[str],
                   errors: list[pl.DataFrame]) -> pl.DataFrame:
    """The chunk with cells over :data:`MAX_CELL_BYTES` as null; each is a source-error
    (added to ``errors``). A string's length is stored beside it: cheap to read."""
    # A column whose text totals no more than the limit holds no cell over it: its size is
    # stored, so most columns of most chunks need no pass.
    sized = [n for n in names if frame.get_column(n).estimated_size() > MAX_CELL_BYTES]
    longest = frame.select(pl.max_horizontal(pl.col(sized).str.len_bytes().max())).item() \
        if frame.height and sized else None
    if longest is None or longest <= MAX_CELL_BYTES:
        return frame
    fields = res.schema.fields
    big = frame.filter(pl.any_horizontal([pl.col(n).str.len_bytes() > MAX_CELL_BYTES
                                          for n in names]))
    for i, n in enumerate(names):
        hit = big.filter(pl.col(n).str.len_bytes() > MAX_CELL_BYTES)
        fname = fields[i].name if i < len(fields) else None
        errors.append(errors_from(
            hit, res, Code.SOURCE, pl.format(
                "{}:{} field '{}': the cell holds {} bytes, more than the limit of {}; "
                "store large text elsewhere and link to it",
                pl.lit(res.relpath), pl.col(LINE), pl.lit(fname or f"#{i + 1}"),
                pl.col(n).str.len_bytes(), pl.lit(MAX_CELL_BYTES)),
            fname, i + 1))
    return frame.with_columns([
        pl.when(pl.col(n).str.len_bytes() > MAX_CELL_BYTES).then(None).otherwise(pl.col(n))
        .alias(n) for n in names])


def blank_rows(res: LoadedResource, frame: pl.DataFrame, names: list[str],
               errors: list[pl.DataFrame]) -> tuple[pl.Series, pl.DataFrame]:
    """Which rows are blank (every cell missing, so null), and those rows; each is a
    blank-row error (added to ``errors``)."""
    if any(frame.get_column(n).null_count() == 0 for n in names):  # a count kept, not a pass
        return pl.repeat(False, frame.height, eager=True), frame.head(0)
    blank = frame.select(pl.all_horizontal([pl.col(n).is_null() for n in names])).to_series()
    rows = frame.filter(blank) if blank.any() else frame.head(0)
    if rows.height:
        errors.append(errors_from(rows, res, Code.BLANK_ROW, pl.format(
            "{}:{}: row {} is blank; delete it", pl.lit(res.relpath), pl.col(LINE), pl.col(ROW))))
    return blank, rows
