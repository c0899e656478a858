"""Header labels against the schema's fields (frictionless's label errors), field names
for a header with no schema, and Table Schema v2 ``fieldsMatch``."""

from __future__ import annotations

import polars as pl

from ...core.errors import Code
from ...descriptors.load import LoadedResource
from ...spec.models import Field, Schema
from .result import empty_errors, single_error


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


def infer_schema(header: list[str] | None, sample: list[list[str]], schema: Schema) -> Schema:
    """No schema was given: one field of type ``any`` per column, named like frictionless."""
    labels = header if header is not None else [""] * max(len(r) for r in sample)
    names = label_names(labels)
    return Schema(fields=[Field(name=n, type="any") for n in names],
                  missingValues=schema.missingValues)


def match_fields_by_name(res: LoadedResource, header: list[str], at: int) -> pl.DataFrame:
    """Table Schema v2 ``fieldsMatch`` other than ``exact``: labels find their fields by name.

    The resource's schema becomes the fields in the file's column order; a label with no
    field gets an ``any`` field named after it, a field with no label is not checked.
    ``equal`` and ``superset`` report extra labels, ``equal`` and ``subset`` missing ones
    (as frictionless-py 5.21 does).
    """
    schema, mode = res.schema, res.schema.fieldsMatch
    labels = [label.strip() for label in header]
    fabricated = label_names(labels)
    expected = [schema.field(label) or Field(name=name, type="any")
                for label, name in zip(labels, fabricated)]
    missing = [f for f in schema.fields if f.name not in labels]
    out = []
    if mode in ("equal", "superset"):
        for i, label in enumerate(labels):
            if schema.field(label) is None:
                out.append(single_error(
                    res, Code.EXTRA_LABEL, f"{res.relpath}:{at}: column {i + 1} '{label}' is not "
                    f"a field of the schema (fieldsMatch '{mode}'); remove the column or add "
                    "the field", row=at, line=at, fieldname=label, field_number=i + 1,
                    value=label))
    if mode in ("equal", "subset"):
        for j, f in enumerate(missing):
            out.append(single_error(
                res, Code.MISSING_LABEL, f"{res.relpath}:{at}: the header has no column "
                f"'{f.name}' (fieldsMatch '{mode}' needs every field of the schema)", row=at,
                line=at, fieldname=f.name, field_number=len(labels) + j + 1))
    res.schema = schema.model_copy(update={"fields": expected})
    return pl.concat(out) if out else empty_errors()


def check_labels(res: LoadedResource, header: list[str], at: int = 1) -> pl.DataFrame:
    """Header labels against the schema's field names (frictionless label errors)."""
    out = []
    fields = res.schema.fields
    seen: dict[str, int] = {}
    norm = (lambda s: s) if res.dialect.caseSensitiveHeader else str.lower
    for i, label in enumerate(header):
        label = label.strip()  # frictionless compares labels without surrounding spaces
        f = fields[i] if i < len(fields) else None
        name = f.name if f else None
        code, text = None, ""
        if not label:
            code = Code.BLANK_LABEL
            text = f"column {i + 1} has no label" + (f"; expected '{name}'" if name else "")
        elif f is None:  # frictionless: a label beyond the schema is extra, even if repeated
            code = Code.EXTRA_LABEL
            text = (f"column {i + 1} '{label}' is not a field of the schema; remove the "
                    "column or add the field")
        elif label in seen:
            code = Code.DUPLICATE_LABEL
            text = f"label '{label}' of column {i + 1} repeats column {seen[label]}"
        elif norm(label) != norm(name):
            code = Code.INCORRECT_LABEL
            text = f"column {i + 1} is labelled '{label}' but the schema's field {i + 1} is '{name}'"
        if code is not None:
            out.append(single_error(res, code, f"{res.relpath}:{at}: {text}", row=at, line=at,
                                    fieldname=name or label, field_number=i + 1, value=label))
        seen.setdefault(label, i + 1)
    for j in range(len(header), len(fields)):
        out.append(single_error(res, Code.MISSING_LABEL, f"{res.relpath}:{at}: the header has no "
                                f"column for field '{fields[j].name}' (field {j + 1})", row=at,
                                line=at, fieldname=fields[j].name, field_number=j + 1))
    return pl.concat(out) if out else empty_errors()
