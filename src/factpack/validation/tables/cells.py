"""Type and constraint checks of each field's cells, as polars expressions.

Each :class:`Check` is a mask over a chunk (text in column ``<field name>``, typed value in
``_typed<number>``) and the error record of the rows where it holds; a table's checks are
built once and run on every chunk in one select.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dcfield

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from ...spec import fieldtypes
from ...spec.models import Field
from .constraints import constraint_masks, short
from .items import item_field, item_verdict
from .result import BLANK, LINE, error_columns


def _msg(res: LoadedResource, f: Field, text: str, *args: pl.Expr) -> pl.Expr:
    return pl.format("{}:{} field '{}': " + text, pl.lit(res.relpath), pl.col(LINE),
                     pl.lit(f.name), *args)


@dataclass
class Check:
    """One check of one field: the rows where ``mask`` holds are errors; ``record()`` gives
    their :data:`ERROR_COLUMNS`, built only for a check that finds an error (most never do,
    and the expressions of a record cost more to build than a small table to check)."""

    mask: pl.Expr
    build: Callable[[], list[pl.Expr]]
    _record: list[pl.Expr] | None = dcfield(default=None, repr=False)

    def record(self) -> list[pl.Expr]:
        """The error columns, built on the first chunk that needs them and kept."""
        if self._record is None:
            self._record = self.build()
        return self._record


def typed_column(number: int) -> str:
    """The column that holds field ``number``'s typed values beside the text."""
    return f"_typed{number}"


def field_checks(res: LoadedResource, f: Field, number: int, wide: bool = False) -> list[Check]:
    """Type and constraint checks of one field; a cell with a type error is not checked further.

    The masks read the cell text (column ``f.name``) and the typed value (column
    ``_typed<number>``, null where the cell is empty or does not parse). A constraint's
    mask is null where the value is, so a type-error cell never breaks a constraint.
    ``wide``: an integer field typed as text (its chunk holds integers beyond int64).
    """
    col, v, c = pl.col(f.name), pl.col(typed_column(number)), f.constraints

    def check(code: Code, mask: pl.Expr, text: str, *args: pl.Expr) -> Check:
        return Check(mask, lambda: error_columns(res, code, _msg(res, f, text, *args), f.name,
                                                 number, col))

    out = [check(Code.TYPE, col.is_not_null() & v.is_null(), "'{}' is not {} (type {})",
                 short(col), pl.lit(fieldtypes.describe(f)),
                 pl.lit(f.type + (f"/{f.format}" if f.format else "")))]
    if c.required:  # an empty primary-key cell is a primary-key error, as in frictionless
        out.append(check(Code.CONSTRAINT, col.is_null() & ~pl.col(BLANK),
                         "is required but the cell is empty; fill it in"))
    broken = constraint_masks(f, col, v, wide)
    out += [check(Code.CONSTRAINT, b.mask, b.text, *b.args) for b in broken]
    item = item_field(f)
    if item is not None:  # items are read only in a cell that breaks none of its constraints
        fine = ~pl.any_horizontal([b.mask.fill_null(False) for b in broken]) if broken else pl.lit(True)
        verdict = pl.when(v.is_not_null() & fine).then(item_verdict(item, v))
        out.append(check(Code.TYPE, verdict.struct.field("type"),
                         "'{}' has an item that is not {} (arrayItem type {})", short(col),
                         pl.lit(fieldtypes.describe(item)), pl.lit(item.type)))
        out.append(check(Code.CONSTRAINT, verdict.struct.field("constraint"),
                         "'{}' has an item that breaks a constraint of its arrayItem",
                         short(col)))
    return out


class TableChecks:
    """The checks of a table's fields, built once for each form its chunks take: an
    integer field is typed as text in a chunk that holds an integer beyond int64
    (:func:`fieldtypes.parse_frame`), and compared as such.

    ``strict`` (a dataset's table): such an integer is an error, as a dataset's integers
    are stored as int64 (Parquet, SQLite).
    """

    def __init__(self, res: LoadedResource, fields: list[Field], strict: bool = False) -> None:
        self.res, self.fields, self.strict = res, fields, strict
        self.built: dict[frozenset[int], list[Check]] = {}

    def of(self, parsed: pl.DataFrame) -> list[Check]:
        """The checks of a chunk whose typed columns are ``parsed``."""
        wide = frozenset(i for i, f in enumerate(self.fields)
                         if f.type == "integer" and parsed.schema[f.name] == pl.String)
        if wide not in self.built:
            self.built[wide] = [c for i, f in enumerate(self.fields)
                                for c in field_checks(self.res, f, i + 1, i in wide)]
            if self.strict:
                self.built[wide] += [_beyond_int64(self.res, self.fields[i], i + 1)
                                     for i in sorted(wide)]
        return self.built[wide]


def _beyond_int64(res: LoadedResource, f: Field, number: int) -> Check:
    col, v = pl.col(f.name), pl.col(typed_column(number))
    text = ("'{}' is beyond the 64-bit integers a dataset stores (Parquet int64, SQLite "
            "INTEGER: -9223372036854775808 to 9223372036854775807); declare the field a string "
            "to keep it as text")
    return Check(v.is_not_null() & v.cast(pl.Int64, strict=False).is_null(),
                 lambda: error_columns(res, Code.TYPE, _msg(res, f, text, short(col)), f.name,
                                       number, col))


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
    return [pl.concat([rows.filter(pl.col(f"_hit{i}")).select(checks[int(i)].record())
                       for i in hits]).collect()]
