"""Descriptor checks beyond the models: properties frictionless-py reports as misplaced,
constraints a field type does not take, and features that need Data Package v2."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..core.errors import Code, ErrorRecord
from ..spec import fieldtypes
from ..spec.models import SUPPORTED_CONSTRAINTS
from .read import line_for

# Properties frictionless-py reports as misplaced (they belong one level down).
MISPLACED_PACKAGE = {"missingValues": "resources[].schema.missingValues",
                     "fields": "resources[].schema.fields"}
MISPLACED_RESOURCE = {"missingValues": "schema.missingValues", "fields": "schema.fields",
                      "primaryKey": "schema.primaryKey", "foreignKeys": "schema.foreignKeys"}
MISPLACED_FIELD = {"required": "constraints.required"}


def misplaced_properties(data: dict, relpath: str, lines: dict, single: bool) -> list[ErrorRecord]:
    """Well-known properties put at the wrong level, and resources without a name."""
    out = []

    def add(loc: tuple, message: str) -> None:
        out.append(ErrorRecord(code=Code.PACKAGE, path=relpath, line=line_for(lines, loc),
                               field=".".join(str(x) for x in loc) or None,
                               message=f"{relpath}: {message}"))

    if not single:
        for key, where in MISPLACED_PACKAGE.items():
            if key in data:
                add((key,), f"'{key}' is not a package property; set it as '{where}'")
    for i, res in enumerate(data.get("resources") or []):
        if not isinstance(res, dict):
            continue
        what = "the resource" if single else f"resource {i + 1}"
        if not res.get("name"):
            add(("resources", i), f"{what} has no 'name'; give it one such as "
                                  f"'{Path(str(res.get('path') or 'data')).stem.lower()}'")
        for key, where in MISPLACED_RESOURCE.items():
            if key in res:
                add(("resources", i, key), f"'{key}' of {what} belongs in its schema: set it "
                                           f"as '{where}'")
        if res.get("profile") == "tabular-data-resource" and not res.get("schema"):
            add(("resources", i), f"{what} has profile 'tabular-data-resource' but no 'schema'")
        if isinstance(res.get("schema"), dict):
            version = spec_version(data.get("$schema") or (res.get("$schema") if single else None))
            out += misplaced_field_properties(res["schema"], relpath, lines,
                                              ("resources", i, "schema"), version)
    if data.get("profile") == "tabular-data-package" and any(
            isinstance(r, dict) and r.get("profile") != "tabular-data-resource"
            for r in data.get("resources") or []):
        add(("profile",), "profile 'tabular-data-package' requires every resource to have "
                          "profile 'tabular-data-resource'")
    return out


def spec_version(profile: Any) -> str:
    """'v1', 'v2' or 'unknown' from a ``$schema`` URL, as frictionless resolves it."""
    if not profile:
        return "v1"  # the spec: no $schema means version 1
    m = re.search(r"datapackage\.org/profiles/(\d+)\.\d+/", str(profile))
    return {"1": "v1", "2": "v2"}.get(m.group(1), "unknown") if m else "unknown"


def misplaced_field_properties(schema: dict, relpath: str, lines: dict, prefix: tuple,
                               version: str = "v1") -> list[ErrorRecord]:
    """Field properties at the wrong level, constraints a type does not take, v2-only features."""
    out = []

    def add(j: int, f: dict, key: str, message: str) -> None:
        loc = prefix + ("fields", j, key)
        out.append(ErrorRecord(
            code=Code.SCHEMA, path=relpath, line=line_for(lines, loc), field=f.get("name"),
            message=f"{relpath}: field '{f.get('name')}': {message}"))

    for j, f in enumerate(schema.get("fields") or []):
        if not isinstance(f, dict):
            continue
        for key, where in MISPLACED_FIELD.items():
            if key in f:
                add(j, f, key, f"'{key}' is not a field property; set it as '{where}'")
        ftype = f.get("type") or "any"
        allowed = SUPPORTED_CONSTRAINTS.get(ftype)
        constraints = f.get("constraints") if isinstance(f.get("constraints"), dict) else {}
        for name in constraints:
            if allowed is not None and name not in allowed + ["required", "enum", "unique"]:
                add(j, f, "constraints", f"constraint '{name}' does not apply to type "
                    f"'{ftype}' (it takes {', '.join(['required', 'unique', 'enum'] + allowed)})")
            if version == "v1" and name in ("exclusiveMinimum", "exclusiveMaximum", "jsonSchema"):
                add(j, f, "constraints", f"constraint '{name}' needs Data Package v2: declare "
                    "\"$schema\": \"https://datapackage.org/profiles/2.0/datapackage.json\"")
        pattern = constraints.get("pattern")
        problem = fieldtypes.regex_problem(pattern) if isinstance(pattern, str) else None
        if problem:
            add(j, f, "constraints", problem)
        if version == "v1" and any(isinstance(e, dict) for e in f.get("missingValues") or []):
            add(j, f, "missingValues", "missing values as objects need Data Package v2")
    if version == "v1" and any(isinstance(e, dict) for e in schema.get("missingValues") or []):
        out.append(ErrorRecord(code=Code.SCHEMA, path=relpath,
                               line=line_for(lines, prefix + ("missingValues",)),
                               message=f"{relpath}: missing values as objects need Data Package v2"))
    return out
