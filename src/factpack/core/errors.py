"""Error records: the one shape every validation layer reports problems in.

Codes are frictionless-py's where one exists; layer-3 domain rules use
``rule-error`` with a ``rule`` name. Row numbers follow frictionless (header row
is 1); ``line`` is the physical line in the file where that row starts.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Code(StrEnum):
    """Error codes: frictionless-py's names, plus ``rule-error`` for layer 3.

    A ``StrEnum``, so a code compares equal to its text and is written as it in reports.
    """

    # the package and its descriptors
    PACKAGE = "package-error"
    RESOURCE = "resource-error"
    SCHEMA = "schema-error"
    FIELD = "field-error"
    DIALECT = "dialect-error"
    CONTROL = "control-error"  # a CSV control of a dialect (delimiter, quoteChar…)
    SOURCE = "source-error"
    SCHEME = "scheme-error"
    ENCODING = "encoding-error"
    COMPRESSION = "compression-error"
    HASH_COUNT = "hash-count"
    BYTE_COUNT = "byte-count"
    # labels
    BLANK_LABEL = "blank-label"
    DUPLICATE_LABEL = "duplicate-label"
    EXTRA_LABEL = "extra-label"
    MISSING_LABEL = "missing-label"
    INCORRECT_LABEL = "incorrect-label"
    UNMATCHED_HEADER = "unmatched-header"  # v2 fieldsMatch "partial": no label names a field
    # rows and cells
    BLANK_ROW = "blank-row"
    EXTRA_CELL = "extra-cell"
    MISSING_CELL = "missing-cell"
    TYPE = "type-error"
    CONSTRAINT = "constraint-error"
    UNIQUE = "unique-error"
    PRIMARY_KEY = "primary-key"
    UNIQUE_KEY = "unique-key"
    FOREIGN_KEY = "foreign-key"
    # layer 3
    RULE = "rule-error"


class ErrorRecord(BaseModel):
    """One problem found in one place."""

    # built when the first record is made: a valid package makes none from this model
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    code: str
    message: str
    resource: str | None = None
    path: str | None = None  # file, relative to the repository (or the descriptor's folder)
    row: int | None = None
    line: int | None = None
    field: str | None = None
    field_number: int | None = None
    value: str | None = None
    rule: str | None = None

    def key(self) -> tuple:
        """Sort key: file order first, so reports read top to bottom."""
        return (
            self.path or "",
            self.resource or "",
            self.row or 0,
            self.field_number or 0,
            self.code,
            self.field or "",
        )


class FactpackError(Exception):
    """Unusable input or usage (exit code 2): a message for the user, never a traceback."""
