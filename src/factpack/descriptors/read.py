"""Reading descriptors: JSON/YAML text into data, a map of key paths to line numbers, and the
``spec`` models, with every problem an error record that names the file and the line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..core.errors import ErrorRecord
from ..spec.models import unknown_properties


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` for messages (as written: a link is not followed)."""
    for candidate in (Path(os.path.abspath(path)), path.resolve()):
        try:
            return str(candidate.relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


def read_descriptor(path: Path) -> tuple[Any, dict[tuple, int]]:
    """Parse JSON or YAML; return the data and a map from key paths to 1-based line numbers."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)  # JSON is YAML: one parser, line numbers
    data = yaml.safe_load(text) if node is not None else None
    return data, _lines(node)


def read_or_report(errors: list[ErrorRecord], path: Path, relpath: str, code: str,
                    resource: str | None = None) -> tuple[Any, dict[tuple, int]] | None:
    """:func:`read_descriptor`, or None with the syntax or encoding error recorded (and its line)."""
    try:
        return read_descriptor(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(ErrorRecord(
            code=code, resource=resource, path=relpath,
            line=mark.line + 1 if mark is not None else None,
            message=f"{relpath}: not valid JSON/YAML: {exc}"))
        return None


def _lines(node: Any, prefix: tuple = ()) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = prefix + (k.value,)
            out[key] = k.start_mark.line + 1
            out.update(_lines(v, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[prefix + (i,)] = v.start_mark.line + 1
            out.update(_lines(v, prefix + (i,)))
    return out


def line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None


def parse_model(
    model: type[BaseModel], data: Any, code: str, relpath: str, lines: dict[tuple, int],
    strict: bool, resource: str | None = None, prefix: tuple = (),
) -> tuple[BaseModel | None, list[ErrorRecord]]:
    """Validate ``data`` as ``model``; every problem is an error record with file and line."""
    errors: list[ErrorRecord] = []
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = prefix + tuple(x for x in e["loc"] if not isinstance(x, str) or x[0:1] != "_")
            where = ".".join(str(x) for x in e["loc"]) or "(top level)"
            errors.append(ErrorRecord(
                code=code, resource=resource, path=relpath, line=line_for(lines, loc),
                field=where, value=_short(e.get("input")),
                message=f"{relpath}: '{where}'"
                        + (f" = {_short(e.get('input'))!r}" if _short(e.get("input")) else "")
                        + f": {e['msg']}",
            ))
        return None, errors
    if strict:
        for dotted in unknown_properties(obj):
            loc = prefix + tuple(_loc_parts(dotted))
            errors.append(ErrorRecord(
                code=code, resource=resource, path=relpath, line=line_for(lines, loc),
                field=dotted,
                message=f"{relpath}: unknown property '{dotted}' (a typo? the spec does not "
                        "define it, and factpack does not ignore what it does not understand)",
            ))
    return obj, errors


def _loc_parts(dotted: str) -> list[Any]:
    parts: list[Any] = []
    for piece in dotted.split("."):
        name = piece.split("(")[0]
        if "[" in name:
            key, idx = name.rstrip("]").split("[")
            parts += [key, int(idx)]
        else:
            parts.append(name)
    return parts


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    s = str(value)
    return s if len(s) <= 200 else s[:200] + "…"
