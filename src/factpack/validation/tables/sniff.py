"""What a CSV file does not declare, found as frictionless-py finds it: the encoding
(chardet over the first bytes) and the dialect (Python's ``csv.Sniffer`` over the first
lines: delimiter among ``, TAB ; |``, quote character, initial spaces). Also the dialect
checks that keep a bad dialect from crashing the reader.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses

from ...descriptors.load import LoadedResource

BUFFER_BYTES = 100_000  # frictionless-py's buffer: what encoding detection looks at
SAMPLE_LINES = 100  # frictionless-py's sample: what the dialect sniffer looks at
CONFIDENCE = 0.5  # frictionless-py's encoding_confidence


def dialect_problem(res: LoadedResource) -> str | None:
    """Why the dialect cannot be read (a character that must be one character long)."""
    d = res.dialect
    for name, value, optional in (("delimiter", d.delimiter, False),
                                  ("quoteChar", d.quoteChar, False),
                                  ("escapeChar", d.escapeChar, True)):
        if optional and value is None:
            continue
        if not isinstance(value, str) or len(value) != 1:
            return (f"the dialect's {name} is {value!r}; it must be exactly one character")
        if value in "\r\n":
            return f"the dialect's {name} may not be a line break"
    return None


def sniffed(res: LoadedResource) -> LoadedResource:
    """The resource with its undeclared encoding and dialect properties detected."""
    assert res.path is not None
    with open(res.path, "rb") as f:
        buffer = f.read(BUFFER_BYTES)
    encoding = res.encoding if res.encoding_declared else detect_encoding(buffer)
    res = dataclasses.replace(res, encoding=encoding)
    declared = res.dialect.model_fields_set
    if {"delimiter", "quoteChar", "skipInitialSpace"} <= declared:
        return res
    lines = buffer.decode(encoding, errors="replace").removeprefix("\ufeff") \
        .splitlines(keepends=True)[:SAMPLE_LINES]
    if len(lines) == SAMPLE_LINES or not buffer.endswith((b"\n", b"\r")):
        lines = lines[:-1] or lines  # the last may be cut by the buffer
    candidates = res.dialect.delimiter if "delimiter" in declared else ",\t;|"
    try:
        found = csv.Sniffer().sniff("".join(lines), candidates)
    except csv.Error:
        return res
    changes = {}
    if "delimiter" not in declared and found.delimiter != res.dialect.delimiter:
        changes["delimiter"] = found.delimiter
    if "quoteChar" not in declared and found.quotechar not in ("'", res.dialect.quoteChar):
        changes["quoteChar"] = found.quotechar  # frictionless-py does not trust a sniffed '
    if "skipInitialSpace" not in declared and found.skipinitialspace:
        changes["skipInitialSpace"] = True
    if not changes:
        return res
    return dataclasses.replace(res, dialect=res.dialect.model_copy(update=changes))


def detect_encoding(buffer: bytes) -> str:
    """frictionless-py's detection: chardet over the buffer's lines; under the confidence
    threshold UTF-8 when the buffer decodes as UTF-8. UTF-8 is tried first, as the
    answer for any buffer that decodes as UTF-8 (chardet then says utf-8 or ascii)."""
    try:
        buffer.decode("utf-8")
        return "utf-8-sig" if buffer.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(buffer) - 3:  # a character cut by the end of the buffer
            return "utf-8"
    import chardet  # only for files that are not UTF-8

    detector = chardet.UniversalDetector()
    for line in buffer.splitlines():
        detector.feed(line)
    detector.close()
    encoding = detector.result["encoding"] or "utf-8"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return "utf-8"
    if name.startswith("utf-16") and buffer[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    return "utf-8" if name == "ascii" else name
