"""Header labels against the schema's fields (frictionless's label errors), field names
for a header with no schema, and Table Schema v2 ``fieldsMatch``.

As frictionless-py 5.21 (``table/header.py``): labels are compared with field names
case-sensitively unless the v2 dialect says ``headerCase: false`` (the v1
``caseSensitiveHeader`` is not read); ``exact`` pairs labels and fields by position,
every other ``fieldsMatch`` by name.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from ...spec.models import Field, Schema
from .result import empty_errors, single_error

# fieldsMatch modes that accept a label with no field, and a field with no label (unless
# the field is required or part of the primary key)
TOLERATES_EXTRA_LABELS = ("subset", "partial")
TOLERATES_MISSING_FIELDS = ("superset", "partial")


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


def unique_names(names: list[str]) -> list[str]:
    """A repeated name becomes the first free ``name2``, ``name3``… (frictionless's
    ``deduplicate_names``, for the fields that name matching fabricates)."""
    used: set[str] = set()
    out = []
    for name in names:
        new, n = name, 2
        while new in used:
            new, n = f"{name}{n}", n + 1
        used.add(new)
        out.append(new)
    return out


def infer_schema(header: list[str] | None, sample: list[list[str]], schema: Schema) -> Schema:
    """No schema was given: one field of type ``any`` per column, named like frictionless."""
    labels = header if header is not None else [""] * max(len(r) for r in sample)
    names = label_names(labels)
    return Schema(fields=[Field(name=n, type="any") for n in names],
                  missingValues=schema.missingValues)


def _fold(res: LoadedResource) -> Callable[[str], str]:
    """How labels and field names are compared: exactly, or ignoring case (v2 ``headerCase``)."""
    return (lambda s: s) if res.dialect.headerCase else str.lower


def match_fields_by_name(res: LoadedResource, header: list[str], at: int) -> pl.DataFrame:
    """Table Schema v2 ``fieldsMatch`` other than ``exact``: labels find their fields by name.

    The resource's schema becomes the fields in the file's column order; a label with no
    field gets an ``any`` field named after it, a field with no label is not checked.
    ``exact``, ``equal`` and ``superset`` report extra labels; every mode reports missing
    fields, ``superset`` and ``partial`` only the required and primary-key ones;
    ``partial`` needs at least one label that names a field.
    """
    schema, mode, fold = res.schema, res.schema.fieldsMatch, _fold(res)
    labels = [label.strip() for label in header]
    by_key: dict[str, Field] = {}
    for f in schema.fields:
        if fold(f.name) in by_key:
            return _header_problem(res, at, Code.SCHEMA, f"fields '{by_key[fold(f.name)].name}' "
                                   f"and '{f.name}' differ only in case, which the dialect's "
                                   "headerCase: false ignores: matching labels by name is "
                                   "ambiguous")
        by_key[fold(f.name)] = f
    keys = [fold(label) for label in labels]
    repeated = sorted({label for label, k in zip(labels, keys) if keys.count(k) > 1})
    if repeated:  # frictionless-py raises a bare error here; the label is the problem
        return _header_problem(res, at, Code.DUPLICATE_LABEL, f"label '{repeated[0]}' repeats: "
                               f"fieldsMatch '{mode}' matches labels to fields by name, so "
                               "each label must be unique")
    matched = [by_key.get(k) for k in keys]
    out = []
    if mode not in TOLERATES_EXTRA_LABELS:
        for i, (label, f) in enumerate(zip(labels, matched)):
            if f is None:
                out.append(single_error(
                    res, Code.EXTRA_LABEL, f"{res.relpath}:{at}: column {i + 1} '{label}' is not "
                    f"a field of the schema (fieldsMatch '{mode}'); remove the column or add "
                    "the field", row=at, line=at, fieldname=label, field_number=i + 1,
                    value=label))
    if mode == "partial" and schema.fields and not any(matched):
        out.append(single_error(
            res, Code.UNMATCHED_HEADER, f"{res.relpath}:{at}: no label names a field of the "
            "schema (fieldsMatch 'partial' needs at least one)", row=at, line=at))
    missing = [f for f in schema.fields if fold(f.name) not in set(keys)]
    if mode in TOLERATES_MISSING_FIELDS:
        missing = [f for f in missing if f.constraints.required or f.name in schema.primaryKey]
    for j, f in enumerate(missing):
        out.append(single_error(
            res, Code.MISSING_LABEL, f"{res.relpath}:{at}: the header has no column "
            f"'{f.name}' (fieldsMatch '{mode}' needs "
            + ("every field of the schema)" if mode not in TOLERATES_MISSING_FIELDS
               else "its required and primary-key fields)"), row=at,
            line=at, fieldname=f.name, field_number=len(labels) + j + 1))
    names = unique_names([f.name if f is not None else label for f, label in zip(matched, labels)])
    expected = [f if f is not None else Field(name=name, type="any")
                for f, name in zip(matched, names)]
    res.schema = schema.model_copy(update={"fields": expected})
    return pl.concat(out) if out else empty_errors()


def _header_problem(res: LoadedResource, at: int, code: Code, text: str) -> pl.DataFrame:
    """One error for a header the fields cannot be matched to; no row is checked."""
    res.schema = res.schema.model_copy(update={"fields": []})
    return single_error(res, code, f"{res.relpath}:{at}: {text}", row=at, line=at)


def check_labels(res: LoadedResource, header: list[str], at: int = 1) -> pl.DataFrame:
    """Header labels against the schema's field names, by position (``fieldsMatch: exact``)."""
    out = []
    fields, fold = res.schema.fields, _fold(res)
    labels = [label.strip() for label in header]  # compared without surrounding spaces

    def error(code: Code, i: int, text: str, name: str | None, value: str | None) -> None:
        out.append(single_error(res, code, f"{res.relpath}:{at}: {text}", row=at, line=at,
                                fieldname=name, field_number=i + 1, value=value))

    for i in range(len(fields), len(labels)):  # beyond the schema: extra, even blank or repeated
        error(Code.EXTRA_LABEL, i, f"column {i + 1} '{labels[i]}' is not a field of the schema; "
              "remove the column or add the field", labels[i] or None, labels[i])
    for j in range(len(labels), len(fields)):
        error(Code.MISSING_LABEL, j, f"the header has no column for field '{fields[j].name}' "
              f"(field {j + 1})", fields[j].name, None)
    for i, (f, label) in enumerate(zip(fields, labels)):
        if not label:
            error(Code.BLANK_LABEL, i, f"column {i + 1} has no label; expected '{f.name}'",
                  f.name, label)
        elif label in labels[:i]:
            error(Code.DUPLICATE_LABEL, i, f"label '{label}' of column {i + 1} repeats column "
                  f"{labels.index(label) + 1}", f.name, label)
        elif fold(label) != fold(f.name):
            case = " (labels are compared case-sensitively)" if label.lower() == f.name.lower() \
                else ""
            error(Code.INCORRECT_LABEL, i, f"column {i + 1} is labelled '{label}' but the "
                  f"schema's field {i + 1} is '{f.name}'{case}", f.name, label)
    return pl.concat(out) if out else empty_errors()
