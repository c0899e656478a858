"""The version rule: which bump each kind of change requires, and why.

The Data Package Version recipe (datapackage.org/recipes/data-package-version):
adding, removing or re-ordering fields, renaming a package, resource or field, changing
a type or format and tightening a constraint are **major**; a new resource, new rows
and a loosened constraint **minor**; corrected data and descriptive metadata **patch**.
Stricter than the recipe, removed rows are major: people cite rows by their key.

Every change names its :class:`Rule`; the report's ``decided_by`` lists the changes
whose rule sets the bump, so ``factpack diff --bump`` can say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ...core.errors import Code
from ...core.versions import BUMPS


class Kind(StrEnum):
    """What changed (the report's ``kind``)."""

    METADATA = "metadata-changed"
    TABLE_ADDED = "table-added"
    TABLE_REMOVED = "table-removed"
    TABLE_METADATA = "table-metadata-changed"
    COLUMN_ADDED = "column-added"
    COLUMN_REMOVED = "column-removed"
    COLUMN_RENAMED = "column-renamed"
    COLUMNS_REORDERED = "columns-reordered"
    TYPE_CHANGED = "type-changed"
    FORMAT_CHANGED = "format-changed"
    CONSTRAINT_TIGHTENED = "constraint-tightened"
    CONSTRAINT_LOOSENED = "constraint-loosened"
    FIELD_CHANGED = "field-changed"
    FIELD_METADATA = "field-metadata-changed"
    PRIMARY_KEY_CHANGED = "primary-key-changed"
    FOREIGN_KEY_ADDED = "foreign-key-added"
    FOREIGN_KEY_REMOVED = "foreign-key-removed"
    UNIQUE_KEY_ADDED = "unique-key-added"
    UNIQUE_KEY_REMOVED = "unique-key-removed"
    MISSING_VALUES_CHANGED = "missing-values-changed"


class MatchedOn(StrEnum):
    """How a table's rows were matched (the report's ``matched_on``)."""

    PRIMARY_KEY = Code.PRIMARY_KEY.value  # the Table Schema's term, written once in Code
    ALL_COLUMNS = "all-columns"
    NONE = "none"


@dataclass(frozen=True)
class Rule:
    """One line of the version rule: its name, the bump it requires, and how a change it
    decides is told (``{table}``, ``{column}``, ``{where}``, ``{key}``, ``{old}``, ``{new}``)."""

    name: str
    bump: str
    reason: str


MAJOR, MINOR, PATCH = "major", "minor", "patch"

RENAMED_PACKAGE = Rule("renamed package", MAJOR, "renamed package ({key} {old} → {new})")
DESCRIPTIVE = Rule("descriptive metadata", PATCH, "changed {key} of {where}")
NEW_TABLE = Rule("new table", MINOR, "new table {table}")
REMOVED_TABLE = Rule("removed table", MAJOR, "removed table {table}")
NEW_FIELD = Rule("new field", MAJOR, "new field {where}")
REMOVED_FIELD = Rule("removed field", MAJOR, "removed field {where}")
RENAMED_FIELD = Rule("renamed field", MAJOR, "renamed field {table}.{old} → {new}")
REORDERED_FIELDS = Rule("re-ordered fields", MAJOR, "re-ordered fields of {table}")
CHANGED_TYPE = Rule("changed type", MAJOR, "changed type of {where}")
CHANGED_FORMAT = Rule("changed format", MAJOR, "changed format of {where}")
TIGHTENED = Rule("tightened constraint", MAJOR, "tightened {key} of {where}")
LOOSENED = Rule("loosened constraint", MINOR, "loosened {key} of {where}")
# missingValues, trueValues, decimalChar…: the same text may read as another value
CHANGED_READING = Rule("changed field property", MAJOR, "changed {key} of {where}")
CHANGED_PRIMARY_KEY = Rule("changed primary key", MAJOR, "changed primary key of {table}")
NEW_ROWS = Rule("new rows", MINOR, "new rows in {table}")
REMOVED_ROWS = Rule("removed rows", MAJOR, "removed rows from {table}")
CORRECTED_VALUES = Rule("corrected values", PATCH, "corrected values in {table}")
UNMATCHED_ROWS = Rule("unmatched rows", MAJOR,
                      "changed row count of {table}, whose rows cannot be matched")
RULES = (RENAMED_PACKAGE, DESCRIPTIVE, NEW_TABLE, REMOVED_TABLE, NEW_FIELD, REMOVED_FIELD,
         RENAMED_FIELD, REORDERED_FIELDS, CHANGED_TYPE, CHANGED_FORMAT, TIGHTENED, LOOSENED,
         CHANGED_READING, CHANGED_PRIMARY_KEY, NEW_ROWS, REMOVED_ROWS, CORRECTED_VALUES,
         UNMATCHED_ROWS)


def change(kind: Kind, rule: Rule, message: str, table: str | None = None,
           column: str | None = None, old: Any = None, new: Any = None,
           key: str | None = None) -> dict[str, Any]:
    """One schema or metadata change as the report lists it."""
    where = f"{table}.{column}" if table and column else table or "the package"
    return {"kind": kind, "bump": rule.bump, "rule": rule.name,
            "reason": rule.reason.format(table=table, column=column, where=where, key=key,
                                         old=old, new=new),
            "table": table, "column": column, "old": old, "new": new, "message": message}


def decide(changes: list[dict[str, Any]], tables: list[dict[str, Any]]
           ) -> tuple[str, list[dict[str, str]]]:
    """The largest bump the changes and row counts require, and what requires it (each
    ``{"rule", "reason"}``, in report order)."""
    needed = [(c["bump"], c["rule"], c["reason"]) for c in changes]
    for t in tables:
        unmatched = t["matched_on"] == MatchedOn.NONE and t["rows_old"] != t["rows_new"]
        found = [(REMOVED_ROWS, t["removed"]), (NEW_ROWS, t["added"]),
                 (CORRECTED_VALUES, t["changed"]), (UNMATCHED_ROWS, unmatched)]
        needed += [(r.bump, r.name, r.reason.format(table=t["name"])) for r, hit in found if hit]
    bump = max((b for b, _, _ in needed), key=BUMPS.index, default="none")
    return bump, [{"rule": rule, "reason": reason} for b, rule, reason in needed if b == bump]
