"""What one Table Schema field type is to factpack: a :class:`TypeEntry` in the registry.

Each entry holds everything the stages need to know of its type, so that adding a
type is one entry: how a cell is read (a polars expression over a text column, null
where the cell does not conform), its key form, the constraints it takes, how it is
stored (Parquet, SQLite) and read back, and what a valid cell looks like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import polars as pl


class FieldLike(Protocol):
    """The properties of a field that the types read: a :class:`factpack.spec.models.Field`
    (not imported here: the models take their list of type names from this registry)."""

    name: str
    type: str
    format: str | None
    decimalChar: str
    groupChar: str | None
    bareNumber: bool
    trueValues: list[str]
    falseValues: list[str]
    delimiter: str
    itemType: str | None
    model_fields_set: set[str]


Parse = Callable[[FieldLike, pl.Expr], pl.Expr]


def typed_key(field: FieldLike, parsed: pl.Expr) -> pl.Expr:
    """Key form of types whose values are equal exactly when their texts are: the typed
    value itself (an 8-byte integer or 4-byte date rather than a 16-byte string view)."""
    return parsed


def text_key(field: FieldLike, parsed: pl.Expr) -> pl.Expr:
    """Key form of the other types: the value as text (so -0.0 and 0.0 stay apart and
    NaN equals NaN, by their text)."""
    return parsed.cast(pl.String)


def text_or_nested(d: pl.DataType) -> bool:
    return d == pl.String or d.is_nested()


TEXT = pl.String()  # how a type without a native one is stored: its text
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
LENGTHS = ("minLength", "maxLength")


@dataclass(frozen=True)
class TypeEntry:
    """One field type. ``constraints`` are those it takes besides ``required``, ``unique``
    and ``enum``, as frictionless-py 5.21 accepts them."""

    name: str
    parse: Parse  # typed value of a text column, null where a cell does not conform
    describe: Callable[[FieldLike], str]  # what a valid cell looks like, for messages
    accepts: Callable[[pl.DataType], bool]  # Parquet column types that faithfully hold it
    constraints: tuple[str, ...] = ()
    # a cheaper parse, right wherever it gives a value (None: none for this field)
    fast: Callable[[FieldLike, pl.Expr], pl.Expr | None] | None = None
    # the values the native dtype cannot hold (integers beyond int64), as text; a column
    # with one is typed as text (see fieldtypes.parse_frame)
    wide: Parse | None = None
    key: Parse = text_key  # two cells are the same key when these are equal
    family: str | None = None  # foreign keys match values of one family (Python's ==)
    length: Callable[[pl.Expr], pl.Expr] | None = None  # of a typed value (minLength…)
    # As stored in a built package: polars dtype and Arrow/Parquet type name (text unless
    # every reader round-trips the native type exactly), SQLite column type.
    polars: pl.DataType = TEXT
    parquet: str = "string"
    sqlite: str = "TEXT"

    @property
    def native(self) -> bool:
        """Whether Parquet stores it typed (else as its text)."""
        return self.parquet != "string"

    @property
    def key_family(self) -> str:
        return self.family or self.name


def strftime_to_polars(fmt: str) -> str:
    """Table Schema uses Python strptime patterns; polars (chrono) takes nearly the same."""
    return fmt.replace("%f", "%.f") if "%.f" not in fmt else fmt
