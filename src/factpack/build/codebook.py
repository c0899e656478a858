"""The built package's README: a codebook generated from its descriptor (jinja2).

Tables, columns, types, allowed values and keys come from the Table Schemas
written into ``datapackage.json``; how to cite from :mod:`factpack.spec.citation` (the
website cites the version the same way). The template is ``templates/README.md.j2``.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2

from ..spec import fieldtypes
from ..spec.citation import Citation
from ..spec.models import Package
from ..spec.tables import group_tables


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|") if value is not None else ""


def anchor(name: str) -> str:
    """The HTML id of a table's section."""
    return "table-" + re.sub(r"[^a-z0-9-]+", "-", name.lower())


def constraints(field: dict[str, Any]) -> str:
    """Constraints other than required and enum (those have their own columns)."""
    c = field.get("constraints", {})
    parts = []
    if c.get("unique"):
        parts.append("unique")
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("exclusiveMinimum", ">"),
                       ("exclusiveMaximum", "<")):
        if key in c:
            parts.append(f"{label} {c[key]}")
    for key, label in (("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in c:
            parts.append(f"{label} {c[key]}")
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    return "; ".join(parts)


def storage(field: dict[str, Any]) -> str:
    """How the field is stored in Parquet and in SQLite."""
    t = field.get("type", "any")
    kind = fieldtypes.TYPES.get(t, fieldtypes.TYPES["any"])
    return f"{kind.parquet} / {kind.sqlite}" + (" (0/1)" if t == "boolean" else "")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("factpack.build", "templates"), autoescape=False,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.filters |= {"cell": cell, "anchor": anchor, "constraints": constraints,
                    "storage": storage}
    return env


def render(desc: dict[str, Any], counts: dict[str, int]) -> str:
    """The README of a built package from its descriptor and row counts."""
    package = Package.model_validate(desc)
    raw = {r["name"]: r for r in desc["resources"]}  # the template reads the descriptor as written
    tables = [{**raw[t.csv.name], "rows": counts[t.csv.name],
               "parquet": raw[t.parquet.name] if t.parquet else None}
              for t in group_tables(package).values() if t.csv and t.csv.name]
    return environment().get_template("README.md.j2").render(
        pkg=desc, tables=tables, first=tables[0]["name"],
        citation=Citation.from_package(package, desc["name"], desc["version"]))
