"""Schema and metadata changes between two versions, each with the rule that sets its bump."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from ...spec.models import Field, Package, Schema
from . import rules
from .packages import DiffTable
from .rules import Kind, change

# Package properties that follow from the data or the release, not changes of their own.
DERIVED = {"version", "created", "resources", "$schema", "profile"}
RENAMING = {"name", "id"}  # users refer to a package by these
DESCRIPTIVE_FIELD_KEYS = {"title", "description", "example", "rdfType"}
OWN_RULES = {"name", "type", "format", "constraints"}  # field keys compared on their own
LOWER_BOUNDS = {"minLength", "minimum", "exclusiveMinimum"}
UPPER_BOUNDS = {"maxLength", "maximum", "exclusiveMaximum"}
KEYS = (("foreignKeys", "foreign key", Kind.FOREIGN_KEY_ADDED, Kind.FOREIGN_KEY_REMOVED),
        ("uniqueKeys", "unique key", Kind.UNIQUE_KEY_ADDED, Kind.UNIQUE_KEY_REMOVED))


def _given(model: BaseModel) -> dict[str, Any]:
    """The properties a descriptor gave (and its unknown ones), as written."""
    return model.model_dump(by_alias=True, exclude_unset=True)


def metadata_changes(old: Package, new: Package) -> list[dict[str, Any]]:
    """Package-level properties (title, licences, sources…): descriptive, so patch; a new
    name or id breaks every reference to the package, so major."""
    before, after = _given(old), _given(new)
    out = []
    for key in sorted((set(before) | set(after)) - DERIVED):
        o, n = before.get(key), after.get(key)
        if o != n:
            rule = rules.RENAMED_PACKAGE if key in RENAMING else rules.DESCRIPTIVE
            out.append(change(Kind.METADATA, rule, f"package '{key}' changed", old=o, new=n,
                              key=key) | {"property": key})
    return out


def _constraint(key: str, old: Any, new: Any) -> rules.Rule:
    """Tightened or loosened, for one constraint (unknown changes count as tightened)."""
    if key in {"required", "unique"}:
        return rules.TIGHTENED if bool(new) and not bool(old) else rules.LOOSENED
    if old is None:
        return rules.TIGHTENED
    if new is None:
        return rules.LOOSENED
    if key == "enum" and isinstance(old, list) and isinstance(new, list):
        return rules.LOOSENED if set(map(str, old)) <= set(map(str, new)) else rules.TIGHTENED
    try:
        if key in LOWER_BOUNDS:
            return rules.TIGHTENED if new > old else rules.LOOSENED
        if key in UPPER_BOUNDS:
            return rules.TIGHTENED if new < old else rules.LOOSENED
    except TypeError:
        pass
    return rules.TIGHTENED  # a new pattern, or bounds that do not compare: assume it can break


def _same_constraint(key: str, old: Any, new: Any) -> bool:
    """Equal in meaning: ``required: false`` is no constraint, an enum's order does not matter."""
    if key in {"required", "unique"}:
        return bool(old) == bool(new)
    if key == "enum" and isinstance(old, list) and isinstance(new, list):
        return sorted(map(str, old)) == sorted(map(str, new))
    return old == new


def field_changes(table: str, name: str, old: Field, new: Field) -> list[dict[str, Any]]:
    out = []
    if old.type != new.type:
        out.append(change(Kind.TYPE_CHANGED, rules.CHANGED_TYPE,
                          f"{table}.{name}: type {old.type} → {new.type}",
                          table, name, old.type, new.type))
    if (old.format or "default") != (new.format or "default"):
        out.append(change(Kind.FORMAT_CHANGED, rules.CHANGED_FORMAT,
                          f"{table}.{name}: format {old.format} → {new.format}",
                          table, name, old.format, new.format))
    oc = old.constraints.model_dump(by_alias=True, exclude_none=True)
    nc = new.constraints.model_dump(by_alias=True, exclude_none=True)
    for key in sorted(set(oc) | set(nc)):
        if _same_constraint(key, oc.get(key), nc.get(key)):
            continue
        rule = _constraint(key, oc.get(key), nc.get(key))
        how = "tightened" if rule is rules.TIGHTENED else "loosened"
        kind = Kind.CONSTRAINT_TIGHTENED if rule is rules.TIGHTENED else Kind.CONSTRAINT_LOOSENED
        out.append(change(kind, rule, f"{table}.{name}: constraint '{key}' {how} "
                                      f"({oc.get(key)!r} → {nc.get(key)!r})",
                          table, name, {key: oc.get(key)}, {key: nc.get(key)}, key=key))
    before, after = _given(old), _given(new)
    for key in sorted((set(before) | set(after)) - OWN_RULES):
        if before.get(key) != after.get(key):
            descriptive = key in DESCRIPTIVE_FIELD_KEYS
            out.append(change(Kind.FIELD_METADATA if descriptive else Kind.FIELD_CHANGED,
                              rules.DESCRIPTIVE if descriptive else rules.CHANGED_READING,
                              f"{table}.{name}: '{key}' changed", table, name,
                              {key: before.get(key)}, {key: after.get(key)}, key=key))
    return out


def renames(old_fields: list[Field], new_fields: list[Field]) -> dict[str, str]:
    """Old → new names of columns that look renamed: one removed and one added column of the
    same type, at the same position or with the same title or description."""
    new_names = {f.name for f in new_fields}
    old_names = {f.name for f in old_fields}
    removed = [(i, f) for i, f in enumerate(old_fields) if f.name not in new_names]
    added = [(i, f) for i, f in enumerate(new_fields) if f.name not in old_names]
    pairs: dict[str, str] = {}
    for i, r in removed:
        same_type = [(j, a) for j, a in added if a.type == r.type and a.name not in pairs.values()]
        alike = [a for j, a in same_type if j == i or any(
            getattr(r, k) and getattr(r, k) == getattr(a, k) for k in ("title", "description"))]
        if len(alike) == 1 or (len(same_type) == 1 and len(removed) == 1):
            pairs[r.name] = (alike or [same_type[0][1]])[0].name
    return pairs


def table_changes(name: str, old: DiffTable, new: DiffTable
                  ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Schema changes of one table, and the rename map used to match its columns."""
    out: list[dict[str, Any]] = []
    os_, ns = old.schema, new.schema
    of, nf = {f.name: f for f in os_.fields}, {f.name: f for f in ns.fields}
    mapping = renames(os_.fields, ns.fields)
    for o, n in mapping.items():
        out.append(change(Kind.COLUMN_RENAMED, rules.RENAMED_FIELD,
                          f"{name}: column '{o}' looks renamed to '{n}'", name, n, o, n))
        out += field_changes(name, n, of[o], nf[n])
    for col, f in nf.items():
        if col not in of and col not in mapping.values():
            out.append(change(Kind.COLUMN_ADDED, rules.NEW_FIELD, f"{name}: column '{col}' added",
                              name, col, None, f.type))
    for col, f in of.items():
        if col not in nf and col not in mapping:
            out.append(change(Kind.COLUMN_REMOVED, rules.REMOVED_FIELD,
                              f"{name}: column '{col}' removed", name, col, f.type, None))
    for col, f in nf.items():
        if col in of:
            out += field_changes(name, col, of[col], f)
    common_old = [mapping.get(c, c) for c in of if mapping.get(c, c) in nf]
    common_new = [c for c in nf if c in common_old]
    if common_old != common_new:
        out.append(change(Kind.COLUMNS_REORDERED, rules.REORDERED_FIELDS,
                          f"{name}: columns reordered", name, None, common_old, common_new))
    if [mapping.get(c, c) for c in os_.primaryKey] != ns.primaryKey:
        out.append(change(Kind.PRIMARY_KEY_CHANGED, rules.CHANGED_PRIMARY_KEY,
                          f"{name}: primary key {os_.primaryKey} → {ns.primaryKey}",
                          name, None, os_.primaryKey, ns.primaryKey))
    out += _key_changes(name, os_, ns)
    if os_.missingValues != ns.missingValues:
        out.append(change(Kind.MISSING_VALUES_CHANGED, rules.CHANGED_READING,
                          f"{name}: missingValues changed", name, None, os_.missingValues,
                          ns.missingValues, key="missingValues"))
    for key in ("title", "description"):
        if getattr(os_, key) != getattr(ns, key):
            out.append(change(Kind.TABLE_METADATA, rules.DESCRIPTIVE, f"{name}: '{key}' changed",
                              name, None, getattr(os_, key), getattr(ns, key), key=key))
    return out, mapping


def _key_changes(name: str, old: Schema, new: Schema) -> list[dict[str, Any]]:
    """Foreign and unique keys: a new one is a tightened constraint, a dropped one loosened."""
    def texts(schema: Schema, key: str) -> set[str]:
        return {json.dumps(_given(k) if isinstance(k, BaseModel) else k, sort_keys=True)
                for k in getattr(schema, key)}

    out = []
    for key, what, added, removed in KEYS:
        before, after = texts(old, key), texts(new, key)
        for k in sorted(after - before):
            out.append(change(added, rules.TIGHTENED, f"{name}: {what} added {k}",
                              name, None, None, json.loads(k), key=f"{what}s"))
        for k in sorted(before - after):
            out.append(change(removed, rules.LOOSENED, f"{name}: {what} removed {k}",
                              name, None, json.loads(k), None, key=f"{what}s"))
    return out
