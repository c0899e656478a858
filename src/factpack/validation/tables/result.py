"""What layer 2 reports of a table: error rows as polars frames, and :class:`TableResult`.

Errors are collected as frames of :data:`ERROR_COLUMNS`, so that a million errors cost
columns, not Python objects. The frames checked carry ``_row`` (frictionless row number,
header = 1) and ``_line`` (the physical line where the row starts) beside the cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dcfield

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource

ERROR_COLUMNS = {
    "code": pl.String, "resource": pl.String, "path": pl.String, "row": pl.Int64,
    "line": pl.Int64, "field": pl.String, "field_number": pl.Int64, "value": pl.String,
    "message": pl.String, "rule": pl.String,
}
ROW, LINE = "_row", "_line"
BLANK = "_blank"  # beside a chunk's cells while it is checked: the row is blank


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
    return _EMPTY  # polars frames are immutable: one serves every caller


_EMPTY = pl.DataFrame(schema=ERROR_COLUMNS)


def errors_from(frame: pl.DataFrame, res: LoadedResource, code: Code, message: pl.Expr,
                fieldname: str | None = None, field_number: int | None = None,
                value: pl.Expr | None = None) -> pl.DataFrame:
    """Error rows for every row of ``frame`` (which carries _row and _line)."""
    return frame.select(error_columns(res, code, message, fieldname, field_number, value))


def error_columns(res: LoadedResource, code: Code, message: pl.Expr,
                  fieldname: str | None = None, field_number: int | None = None,
                  value: pl.Expr | None = None) -> list[pl.Expr]:
    """The :data:`ERROR_COLUMNS` of an error, as expressions over its rows."""
    return [
        pl.lit(str(code)).alias("code"),
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


def single_error(res: LoadedResource, code: Code, message: str, row: int | None = None,
                 line: int | None = None, fieldname: str | None = None,
                 field_number: int | None = None, value: str | None = None,
                 rule: str | None = None) -> pl.DataFrame:
    return pl.DataFrame([{
        "code": str(code), "resource": res.name, "path": res.relpath, "row": row, "line": line,
        "field": fieldname, "field_number": field_number, "value": value, "message": message,
        "rule": rule,
    }], schema=ERROR_COLUMNS)
