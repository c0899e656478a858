"""Readers of tables that are not CSV text: inline ``data``, JSON and NDJSON files, Excel
and ODS workbooks. Each gives the same :data:`~factpack.validation.tables.readers.Cells` as
the CSV reader, with frictionless-py's row numbers (the header is row 1).

JSON values become their Table Schema lexical form (``true``, ``1.5``, JSON text for
arrays and objects), so the same checks apply; a value that is not text in a ``string``
field is a type-error, as in frictionless-py. Rows given as objects are read by the
schema's field names (else the first object's keys), so a missing key is an empty cell.
Workbooks are read by fastexcel (calamine, the reader polars uses) into string columns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from .labels import infer_schema
from .read import missing_to_null
from .result import ERROR_COLUMNS, LINE, ROW, TableResult, single_error

MAX_JSON_BYTES = 512 << 20  # a JSON table is parsed whole: larger ones are refused
MAX_WORKBOOK_BYTES = 256 << 20  # a workbook is read whole (its sheets unzipped in memory)


class Unreadable(Exception):
    """The table cannot be read in its form (the message says where and why)."""


def read_record_cells(res: LoadedResource, result: TableResult, strict: bool, block: int):
    """Inline data, a JSON/NDJSON file or a workbook sheet as :data:`Cells` (None, with the
    error in ``result``, when it cannot be read)."""
    try:
        if res.format == "excel":
            return _excel(res, result)
        rows = _json_rows(res)
        return _rows_cells(res, result, rows)
    except Unreadable as exc:
        result.errors.append(single_error(res, Code.SOURCE, f"{res.relpath}: {exc}"))
        return None


def _json_rows(res: LoadedResource) -> list:
    if res.format == "inline":
        return res.data if isinstance(res.data, list) else [res.data]
    assert res.path is not None
    if res.path.stat().st_size > MAX_JSON_BYTES:
        raise Unreadable(f"a JSON table larger than {MAX_JSON_BYTES >> 20} MiB; "
                         "publish it as CSV or Parquet")
    try:
        text = res.path.read_text(encoding=res.encoding or "utf-8").removeprefix("\ufeff")
        if res.format == "ndjson":
            rows = []
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise Unreadable(f"line {number} is not JSON: {exc.msg}") from None
            return rows
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"not valid JSON: {exc.msg} at line {exc.lineno}, column "
                         f"{exc.colno}") from None
    except (UnicodeDecodeError, LookupError) as exc:
        raise Unreadable(f"cannot be decoded as {res.encoding}: {exc}") from None
    if not isinstance(data, list):
        raise Unreadable("a JSON table must be an array of rows (arrays or objects); this "
                         f"file holds a JSON {type(data).__name__.replace('dict', 'object')}")
    return data


def _text(value: Any) -> str | None:
    """A JSON value in Table Schema lexical form."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def _rows_cells(res: LoadedResource, result: TableResult, rows: list):
    """Rows (arrays, or objects read by field name) as :data:`Cells`."""
    if not rows:
        raise Unreadable("the table has no rows")
    first = rows[0]
    keyed = isinstance(first, dict)
    want = dict if keyed else list
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, want):
            raise Unreadable(f"row {number + keyed}: every row must be "
                             f"{'an object' if keyed else 'an array'} like the first; this one "
                             f"is {json.dumps(row)[:80]}")
    if keyed:
        declared = [f.name for f in res.schema.fields] if not res.schema_inferred else []
        header = declared or [str(k) for k in first]
        table = [header] + [[r.get(h) for h in header] for r in rows]
    else:
        table = rows
    width = max(len(r) for r in table)
    frame = pl.DataFrame({f"c{i}": [_text(r[i]) if i < len(r) else None for r in table]
                          for i in range(width)}, schema={f"c{i}": pl.String
                                                          for i in range(width)})
    lengths = pl.Series([len(r) for r in table], dtype=pl.Int64)
    cells = _frame_cells(res, frame, lengths, keyed)
    _string_types(res, result, list(enumerate(table, start=1))[1 if keyed else
                                                               max(cells[2], 0):], cells[3])
    return cells


def _frame_cells(res: LoadedResource, table: pl.DataFrame, lengths: pl.Series | None,
                 keyed: bool = False):
    """A whole table as text columns (the frame's first row is row 1), header rows
    included, as :data:`Cells`; ``lengths``: the cells each row has (None: every row is
    as wide as the table, as in a sheet, where an empty cell is a missing value)."""
    d = res.dialect
    height = table.height
    hrows = [1] if keyed else [n for n in d.headerRows if n <= height] if d.header else []
    heads = [[v or "" for v in table.row(n - 1)][: (int(lengths[n - 1]) if lengths is not None
                                                  else table.width)] for n in hrows]
    header = None
    if len(heads) == 1:
        header = heads[0]
    elif heads:
        header = [d.headerJoin.join(h[i] for h in heads if i < len(h) and h[i])
                  for i in range(max(len(h) for h in heads))]
    if res.schema_inferred:
        res.schema = infer_schema(header, [[""] * table.width], res.schema)
    width = len(header) if header is not None else max(table.width, len(res.schema.fields))
    names = [f"c{i}" for i in range(width)]
    start = max(hrows) if hrows else 0
    frame = table.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias(ROW)).slice(start)
    frame = frame.select([pl.col(n) if n in table.columns else pl.lit(None, pl.String).alias(n)
                          for n in names] + [ROW, pl.col(ROW).alias(LINE)])
    ragged = []
    if lengths is not None:
        odd = [(i + 1, int(k)) for i, k in enumerate(lengths.to_list()[start:], start=start)
               if k != width]
        for number, k in odd:
            ragged.append((number, [v or "" for v in table.row(number - 1)][:k]))
    return iter([(missing_to_null(res, frame, names), ragged)]), header, start if hrows else 0, \
        width


def _string_types(res: LoadedResource, result: TableResult, data: list, width: int) -> None:
    """A number, boolean, array or object in a ``string`` field is a type-error."""
    out = []
    for i, f in enumerate(res.schema.fields[:width]):
        if f.type != "string":
            continue
        for number, row in data:
            value = row[i] if i < len(row) else None
            if value is not None and not isinstance(value, str):
                out.append({"code": str(Code.TYPE), "resource": res.name, "path": res.relpath,
                            "row": number, "line": number, "field": f.name,
                            "field_number": i + 1, "value": _text(value),
                            "message": f"{res.relpath}: row {number} field '{f.name}': "
                                       f"{_text(value)} is a JSON {type(value).__name__}, not "
                                       "text; quote it"})
    if out:
        result.errors.append(pl.DataFrame(out, schema=ERROR_COLUMNS))


def _sheet(extra: dict) -> int | str:
    for control in ("excel", "ods"):
        if isinstance(extra.get(control), dict) and "sheet" in extra[control]:
            return extra[control]["sheet"]
    for key in ("sheetName", "sheetNumber", "sheet"):
        if key in extra:
            return extra[key]
    return 1


def _excel(res: LoadedResource, result: TableResult):
    """A workbook's sheet: a name or a 1-based number (frictionless-py's ``excel: {sheet}`` or
    ``ods: {sheet}``, Table Dialect v2's ``sheetName``/``sheetNumber``, or ``sheet``);
    default the first."""
    import fastexcel  # loaded only for workbooks

    assert res.path is not None
    sheet = _sheet(res.dialect.model_extra or {})
    if res.path.stat().st_size > MAX_WORKBOOK_BYTES:
        raise Unreadable(f"a workbook larger than {MAX_WORKBOOK_BYTES >> 20} MiB; publish "
                         "the table as CSV or Parquet")
    try:
        reader = fastexcel.read_excel(Path(res.path).read_bytes())
        names = reader.sheet_names
        if isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 1 <= sheet <= len(names):
                raise Unreadable(f"the workbook has no sheet {sheet} (it has {len(names)}: "
                                 f"{', '.join(names)})")
            chosen: int | str = sheet - 1
        elif str(sheet) in names:
            chosen = str(sheet)
        else:
            raise Unreadable(f"the workbook has no sheet '{sheet}' (it has: {', '.join(names)})")
        frame = reader.load_sheet(chosen, header_row=None, skip_rows=0,
                                  dtypes="string").to_polars()
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - fastexcel's errors share no base class but this
        raise Unreadable(f"cannot be read as a workbook: {exc}".splitlines()[0]) from None
    # calamine writes date cells as 'YYYY-MM-DD HH:MM:SS': a date at midnight is a date
    # (as frictionless-py reads it), another a datetime in ISO form.
    cols = frame.columns
    frame = frame.with_columns(
        pl.col(cols).str.replace(r"^(\d{4}-\d\d-\d\d) 00:00:00$", "$1")
        .str.replace(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)$", "${1}T$2"))
    if not frame.height:
        raise Unreadable("the sheet is empty")
    return _frame_cells(res, frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)}),
                        None)
