"""Reading descriptors: JSON/YAML text into data, a map of key paths to line numbers, and the
``spec`` models, with every problem an error record that names the file and the line."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..core.errors import Code, ErrorRecord, FactpackError
from ..spec.models import unknown_properties


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` for messages (as written: a link is not followed)."""
    for candidate in (Path(os.path.abspath(path)), path.resolve()):
        try:
            return str(candidate.relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


DESCRIPTOR_LIMIT = 64 << 20  # bytes: far above any real descriptor, bounded against a hostile one
MAX_DEPTH = 64  # nesting levels: a Table Schema needs about 8
MAX_NUMBER = 100  # characters of one number: float64 needs 24, a 5,000-digit int is an attack


class DescriptorError(FactpackError):
    """A descriptor that cannot be read: not JSON or YAML, too large, too deep, or aliased."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def read_descriptor(path: Path) -> tuple[Any, Mapping[tuple, int]]:
    """Parse a descriptor: YAML for ``.yaml``/``.yml``, strict JSON otherwise (as frictionless-py
    decides). Return the data and a map from key paths to 1-based line numbers.

    Bounded by design: at most :data:`DESCRIPTOR_LIMIT` bytes and :data:`MAX_DEPTH` levels,
    and no YAML aliases (a kilobyte of nested aliases expands to gigabytes).
    """
    with path.open("rb") as f:
        raw = f.read(DESCRIPTOR_LIMIT + 1)
    if len(raw) > DESCRIPTOR_LIMIT:
        raise DescriptorError(f"larger than {DESCRIPTOR_LIMIT >> 20} MiB, more than a descriptor "
                              "needs")
    text = raw.decode("utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data, lines = _read_yaml(text)
        else:
            try:
                data = json.loads(text, parse_int=_number(int), parse_float=_number(float))
            except json.JSONDecodeError as exc:
                raise DescriptorError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column "
                                      f"{exc.colno})", exc.lineno) from None
            lines = Lines(text)
    except RecursionError:
        raise DescriptorError(f"nested more than {MAX_DEPTH} levels deep") from None
    if _depth(data) > MAX_DEPTH:
        raise DescriptorError(f"nested more than {MAX_DEPTH} levels deep")
    return data, lines


def _read_yaml(text: str) -> tuple[Any, Mapping[tuple, int]]:
    """YAML text into data and its line map; PyYAML's problems as :class:`DescriptorError`.
    PyYAML is imported here: a JSON descriptor never needs it to be valid."""
    import yaml

    loader = _loader()
    if _flow_depth(text) > MAX_DEPTH:  # PyYAML takes minutes on deep flow nesting
        raise DescriptorError(f"nested more than {MAX_DEPTH} levels deep")
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                raise DescriptorError("YAML aliases (*name) are not allowed in a "
                                      "descriptor: write the value out",
                                      event.start_mark.line + 1)
            if (isinstance(event, yaml.ScalarEvent) and not event.style  # plain: None or ''
                    and len(event.value) > MAX_NUMBER and _is_yaml_number(event.value)):
                raise DescriptorError(_too_long(event.value), event.start_mark.line + 1)
        node = yaml.compose(text, Loader=loader)
        data = yaml.load(text, Loader=loader) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = [getattr(exc, k, None) for k in ("context", "problem")]  # one line, not a drawing
        raise DescriptorError(f"not valid YAML: {'; '.join(w for w in what if w) or exc}"
                              + (f" (column {mark.column + 1})" if mark is not None else ""),
                              mark.line + 1 if mark is not None else None) from None
    return data, _lines(node)


class Lines(Mapping):
    """Key paths of a JSON descriptor → 1-based line numbers, worked out only when an error
    asks for one: the composer that knows them (PyYAML's, which reads JSON too) costs more
    than validating a small package, and a valid descriptor never needs them."""

    def __init__(self, text: str, prefix: tuple = ()) -> None:
        self._text, self._prefix, self._map = text, prefix, None

    def under(self, prefix: tuple) -> Lines:
        """The same map with ``prefix`` put before every key path (a resource put in a list)."""
        return Lines(self._text, prefix + self._prefix)

    def _lines(self) -> dict[tuple, int]:
        if self._map is None:
            import yaml

            try:  # strict JSON has no raw tab inside a string; YAML refuses tab indentation
                node = yaml.compose(self._text.replace("\t", " "), Loader=_loader())
            except (yaml.YAMLError, RecursionError):  # valid JSON YAML cannot read: no lines
                node = None
            self._map = {self._prefix + k: v for k, v in _lines(node).items()}
        return self._map

    def __getitem__(self, key: tuple) -> int:
        return self._lines()[key]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._lines())

    def __len__(self) -> int:
        return len(self._lines())


def _loader() -> type:
    """PyYAML's safe loader on libyaml (C, ~13x faster on a schema) where PyYAML was built
    with it, as its wheels are; the pure-Python one otherwise. Both resolve tags alike."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _is_yaml_number(plain: str) -> bool:
    """Whether YAML reads this plain scalar as an int or a float."""
    import yaml

    return yaml.SafeLoader.resolve(yaml.SafeLoader, yaml.ScalarNode, plain,
                                   (True, False)) in _NUMBER_TAGS


def _too_long(token: str) -> str:
    return (f"a number of {len(token)} characters ({token[:20]}…); a descriptor's numbers are "
            f"at most {MAX_NUMBER} characters long")


def _number(kind: type) -> Any:
    """A JSON number parser that refuses number tokens longer than :data:`MAX_NUMBER`."""
    def parse(token: str) -> Any:
        if len(token) > MAX_NUMBER:
            raise DescriptorError(_too_long(token))
        return kind(token)
    return parse


_QUOTED_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\n]|\'\')*\'|#[^\n]*')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _flow_depth(text: str) -> int:
    """How deeply YAML flow brackets nest (quoted text and comments left out), in one pass."""
    brackets = _NOT_BRACKET.sub("", _QUOTED_OR_COMMENT.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in ``data`` (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, level + 1) for v in items)
    return deepest


def read_or_report(errors: list[ErrorRecord], path: Path, relpath: str, code: str,
                   resource: str | None = None,
                   target: bool = False) -> tuple[Any, Mapping[tuple, int]] | None:
    """:func:`read_descriptor`, or None with the syntax or encoding error recorded (and its line).

    ``target``: the descriptor is what the user asked to validate, so one that cannot be
    read as an object is unusable input (exit 2): :class:`FactpackError` with the file, the
    line and the problem, instead of a record.

    Text holding a NUL character is read but recorded as an error: it would reach SQLite,
    the website and other people's tools (frictionless-py accepts it)."""
    problem: tuple[str, int | None] | None = None
    try:
        data, lines = read_descriptor(path)
    except DescriptorError as exc:
        problem = str(exc), exc.line
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text: {exc}", None
    else:
        if target and not isinstance(data, dict):
            problem = (f"a descriptor is a JSON or YAML object ({{…}}), not "
                       f"{'empty' if data is None else type(data).__name__}"), 1
    if problem is not None:
        message, line = problem
        if target:
            raise FactpackError(f"{relpath}" + (f":{line}" if line else "") + f": {message}")
        errors.append(ErrorRecord(code=code, resource=resource, path=relpath, line=line,
                                  message=f"{relpath}: {message}"))
        return None
    for loc in _nul_text(data):
        where = ".".join(str(x) for x in loc) or "(top level)"
        errors.append(ErrorRecord(
            code=code, resource=resource, path=relpath, line=line_for(lines, loc),
            field=where, message=f"{relpath}: '{where}' holds a NUL character (\\0); "
                                 "metadata text may not: remove it"))
    return data, lines


def _nul_text(data: Any) -> list[tuple]:
    """Key paths of the strings (values or keys) holding a NUL character, in document order."""
    found, stack = [], [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if "\0" in value:
                found.append(loc)
        elif isinstance(value, dict):
            for k, v in reversed(value.items()):
                if isinstance(k, str) and "\0" in k:
                    found.append(loc + (k,))
                stack.append((loc + (k,), v))
        elif isinstance(value, list):
            stack.extend((loc + (i,), v) for i, v in reversed(list(enumerate(value))))
    return found


def _lines(node: Any, prefix: tuple = ()) -> dict[tuple, int]:
    import yaml

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


def shifted(lines: Mapping[tuple, int], prefix: tuple) -> Mapping[tuple, int]:
    """``lines`` with ``prefix`` put before every key path, still worked out on demand."""
    if isinstance(lines, Lines):
        return lines.under(prefix)
    return {prefix + k: v for k, v in lines.items()}


def line_for(lines: Mapping[tuple, int], loc: tuple) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None


def parse_model(
    model: type[BaseModel], data: Any, code: str, relpath: str, lines: Mapping[tuple, int],
    strict: bool, resource: str | None = None, prefix: tuple = (),
) -> tuple[BaseModel | None, list[ErrorRecord]]:
    """Validate ``data`` as ``model``; every problem is an error record with file and line."""
    errors: list[ErrorRecord] = []
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        found = exc.errors()
        if any(_field_or(code, tuple(e["loc"])) == Code.FIELD for e in found):
            # as frictionless-py: keys are checked against the fields once the fields are valid
            found = [e for e in found if e["type"] != "value_error"
                     or _field_or(code, tuple(e["loc"])) == Code.FIELD]
        for e in found:
            own = tuple(x for x in e["loc"] if not isinstance(x, str) or x[0:1] != "_")
            loc = prefix + own
            where = ".".join(str(x) for x in e["loc"]) or "(top level)"
            errors.append(ErrorRecord(
                code=_field_or(code, own), resource=resource, path=relpath, line=line_for(lines, loc),
                field=where, value=_short(e.get("input")),
                message=f"{relpath}: '{where}'"
                        + (f" = {_short(e.get('input'))!r}" if _short(e.get("input")) else "")
                        + f": {e['msg']}",
            ))
        return None, errors
    if strict:
        for dotted in unknown_properties(obj):
            own = tuple(_loc_parts(dotted))
            loc = prefix + own
            errors.append(ErrorRecord(
                code=_field_or(code, own), resource=resource, path=relpath, line=line_for(lines, loc),
                field=dotted,
                message=f"{relpath}: unknown property '{dotted}' (a typo? the spec does not "
                        "define it, and factpack does not ignore what it does not understand)",
            ))
    return obj, errors


# a dialect's CSV controls: frictionless-py reports their problems as control-error
CSV_CONTROLS = {"delimiter", "lineTerminator", "quoteChar", "doubleQuote", "escapeChar",
                "nullSequence", "skipInitialSpace", "csv"}


def _field_or(code: str, loc: tuple) -> str:
    """The code frictionless-py gives a problem at ``loc``: a ``field-error`` inside one field
    of a schema, a ``control-error`` in a dialect's CSV controls, else ``code``."""
    if code == Code.SCHEMA and len(loc) >= 2 and loc[0] == "fields" and isinstance(loc[1], int):
        return Code.FIELD
    if code == Code.DIALECT and loc[:1] and loc[0] in CSV_CONTROLS:
        return Code.CONTROL
    return code


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
