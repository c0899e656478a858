"""Descriptor checks beyond the models, as frictionless-py 5.21's ``metadata_validate`` makes
them: v1 name patterns, unique resource names, licences, ``created``, e-mail addresses,
safe paths, properties reported as misplaced, field formats, constraints a field type does
not take, and features that need Data Package v2. Each problem gets frictionless's code:
``package-error``, ``resource-error``, ``schema-error`` or ``field-error``."""

from __future__ import annotations

import codecs
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..core.errors import Code, ErrorRecord
from ..spec import fieldtypes
from ..spec.fieldtypes.text import EMAIL
from ..spec.models import SUPPORTED_CONSTRAINTS
from .read import line_for

NAME_V1 = re.compile(r"^([-a-z0-9._/])+$")  # Data Package v1 names; v2 allows any string
# the algorithms of a resource's ``hash`` that give a fixed-length hex digest
HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
# the formats frictionless-py's field profiles enumerate (other types take any format)
FORMATS = {"string": ("default", "email", "uri", "binary", "uuid", "wkt"),
           "geojson": ("default", "topojson")}

# Properties frictionless-py reports as misplaced (they belong one level down).
MISPLACED_PACKAGE = {"missingValues": "resources[].schema.missingValues",
                     "fields": "resources[].schema.fields"}
# (a resource's own primaryKey or foreignKeys is a custom property to frictionless-py)
MISPLACED_RESOURCE = {"missingValues": "schema.missingValues", "fields": "schema.fields"}
MISPLACED_FIELD = {"required": "constraints.required"}


def misplaced_properties(data: dict, relpath: str, lines: dict, single: bool) -> list[ErrorRecord]:
    """Every check of a package descriptor (or a lone resource's, ``single``) beyond its model."""
    out = []
    version = spec_version(data.get("$schema") or (
        (data.get("resources") or [{}])[0].get("$schema") if single else None))

    def add(loc: tuple, message: str, code: Code = Code.PACKAGE) -> None:
        out.append(ErrorRecord(code=code, path=relpath, line=line_for(lines, loc),
                               field=".".join(str(x) for x in loc) or None,
                               message=f"{relpath}: {message}"))

    if not single:
        for key, where in MISPLACED_PACKAGE.items():
            if key in data:
                add((key,), f"'{key}' is not a package property; set it as '{where}'")
        _common(data, (), "the package", version, add, Code.PACKAGE)
        names = [r.get("name") for r in data.get("resources") or [] if isinstance(r, dict)]
        repeated = sorted({str(n) for n in names if n is not None and names.count(n) > 1})
        if repeated:
            add(("resources",), f"resource names must be unique; repeated: {', '.join(repeated)}")
        created = data.get("created")
        if isinstance(created, str) and created and not _is_datetime(created):
            add(("created",), f"'created' = {created!r} is not a datetime; write it as "
                              "2024-05-31T12:00:00Z")
    for i, res in enumerate(data.get("resources") or []):
        if not isinstance(res, dict):
            continue
        what = "the resource" if single else f"resource {i + 1}"
        at = ("resources", i)
        if not res.get("name"):
            add(at, f"{what} has no 'name'; give it one such as "
                    f"'{Path(str(res.get('path') or 'data')).stem.lower()}'", Code.RESOURCE)
        _common(res, at, what, version, add, Code.RESOURCE)
        if res.get("path") is None and res.get("data") is None and not res.get("url"):
            add(at, f"{what} needs 'path' or 'data'", Code.RESOURCE)  # (url: v0's path)
        elif res.get("path") is not None and res.get("data") is not None:
            add(at, f"{what} has both 'path' and 'data'; give one", Code.RESOURCE)
        for key in ("path", "schema", "dialect"):
            items = res.get(key) if isinstance(res.get(key), list) else [res.get(key)]
            for item in items:
                why = _unsafe(item) if isinstance(item, str) and item else None
                if why:
                    add(at + (key,), f"{what}: {key} '{item}' {why}; give a path relative to "
                        "the descriptor's folder", Code.RESOURCE)
        for key, where in MISPLACED_RESOURCE.items():
            if key in res:
                add(at + (key,), f"'{key}' of {what} belongs in its schema: set it as "
                                 f"'{where}'", Code.RESOURCE)
        out += _hash_and_encoding(res, at, what, relpath, lines)
        if res.get("profile") == "tabular-data-resource" and not res.get("schema"):
            add(at, f"{what} has profile 'tabular-data-resource' but no 'schema'", Code.RESOURCE)
        if isinstance(res.get("schema"), dict):
            out += misplaced_field_properties(res["schema"], relpath, lines,
                                              ("resources", i, "schema"), version)
    if data.get("profile") == "tabular-data-package" and any(
            isinstance(r, dict) and r.get("profile") != "tabular-data-resource"
            for r in data.get("resources") or []):
        add(("profile",), "profile 'tabular-data-package' requires every resource to have "
                          "profile 'tabular-data-resource'")
    return out


def _common(d: dict, at: tuple, what: str, version: str, add: Any, code: Code) -> None:
    """Checks a package and a resource share: v1 name, licences, e-mail addresses."""
    name = d.get("name")
    if version == "v1" and isinstance(name, str) and not NAME_V1.match(name):
        add(at + ("name",), f"{what}: name {name!r} does not match {NAME_V1.pattern} (Data "
            "Package v1: lowercase letters, digits, '-', '.', '_', '/'); rename it, or declare "
            "\"$schema\": \"https://datapackage.org/profiles/2.0/datapackage.json\"", code)
    licenses = d.get("licenses")
    for j, lic in enumerate(licenses if isinstance(licenses, list) else []):
        if isinstance(lic, dict) and not lic.get("name") and not lic.get("path"):
            add(at + ("licenses", j), f"{what}: licence {j + 1} needs a 'name' or a 'path'", code)
    for key in ("contributors", "sources"):
        items = d.get(key)
        for j, item in enumerate(items if isinstance(items, list) else []):
            email = item.get("email") if isinstance(item, dict) else None
            if isinstance(email, str) and email and not re.match(EMAIL, email):
                add(at + (key, j, "email"), f"{what}: {key}[{j}].email {email!r} is not an "
                    "e-mail address", code)


def _hash_and_encoding(res: dict, at: tuple, what: str, relpath: str,
                       lines: dict) -> list[ErrorRecord]:
    """A ``hash`` factpack can compute, and an ``encoding`` that decodes bytes to text."""
    out = []
    name = res.get("name") if isinstance(res.get("name"), str) else None
    value = res.get("hash")
    if isinstance(value, str) and value:
        algorithm = value.rpartition(":")[0].lower() or "md5"
        if algorithm not in HASHES:  # frictionless-py 5.21 skips such a hash silently
            out.append(ErrorRecord(
                code=Code.RESOURCE, resource=name, path=relpath,
                line=line_for(lines, at + ("hash",)), field="hash", value=value[:80],
                message=f"{relpath}: {what}: hash algorithm '{algorithm}' is not one of "
                        f"{', '.join(HASHES)}; it cannot be checked"))
    encoding = res.get("encoding")
    if isinstance(encoding, str) and encoding:
        try:
            text = codecs.lookup(encoding)._is_text_encoding
        except LookupError:
            text = True  # an unknown encoding: layer 2's encoding-error, as frictionless
        if not text:  # frictionless-py: a source-error, the table is not read
            out.append(ErrorRecord(
                code=Code.SOURCE, resource=name, path=relpath,
                line=line_for(lines, at + ("encoding",)), field="encoding", value=encoding[:80],
                message=f"{relpath}: {what}: '{encoding}' is not a text encoding (it does not "
                        "decode bytes to text); declare the file's character encoding, such "
                        "as utf-8"))
    return out


def _is_datetime(text: str) -> bool:
    """An ISO 8601 date and time, with seconds (frictionless's default datetime format)."""
    if len(text) < 19 or text[16] != ":":
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _unsafe(path: str) -> str | None:
    """Why frictionless-py's ``is_safe_path`` refuses ``path``, or None."""
    if os.path.isabs(path) or urlparse(path).scheme == "file":
        return "is an absolute path"
    if f"..{os.path.sep}" in path:
        return "leaves its folder ('..')"
    if path.startswith("~"):
        return "starts with '~'"
    if os.path.expandvars(path) != path or re.match(r"%.+%", path) or re.match(r"\$.+", path):
        return "holds a variable ('$' or '%')"
    return None


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

    def add(j: int, f: dict, key: str, message: str, code: Code = Code.FIELD) -> None:
        loc = prefix + ("fields", j, key)
        out.append(ErrorRecord(
            code=code, path=relpath, line=line_for(lines, loc), field=f.get("name"),
            message=f"{relpath}: field '{f.get('name')}': {message}"))

    for j, f in enumerate(schema.get("fields") or []):
        if not isinstance(f, dict):
            continue
        for key, where in MISPLACED_FIELD.items():
            if key in f:
                add(j, f, key, f"'{key}' is not a field property; set it as '{where}'")
        ftype = f.get("type") or "any"
        fmt = f.get("format")
        if isinstance(fmt, str) and fmt not in FORMATS.get(ftype, (fmt,)):
            add(j, f, "format", f"format '{fmt}' is not one of type '{ftype}' (it takes "
                f"{', '.join(FORMATS[ftype])})")
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
