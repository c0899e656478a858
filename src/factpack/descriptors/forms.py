"""The form a resource holds its data in: format, compression, parts, remote or local.

Found as frictionless-py finds it: a declared ``format`` or ``compression`` wins over the
path's extension; ``data.csv.gz`` is CSV compressed with gzip; ``mediatype`` decides nothing
(frictionless-py reads a ``.txt`` declared ``text/csv`` as text, not as a table). Only tabular
forms are read as tables; any other resource is a file whose bytes and hash are checked.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

COMPRESSIONS = ("gz", "bz2", "xz", "zip")
EXCEL = ("xlsx", "xlsm", "xls", "xlsb", "ods")  # read by fastexcel (calamine)
# format → reader: what factpack reads as a table (frictionless-py's tabular formats)
TABULAR = {"csv": "csv", "tsv": "csv", "parquet": "parquet", "jsonl": "ndjson",
           "ndjson": "ndjson", "inline": "inline", **{x: "excel" for x in EXCEL}}
REMOTE = ("http://", "https://", "s3://")  # s3: read through core.s3 (the s3 extra)


@dataclass(frozen=True)
class Form:
    """How to read a resource: ``reader`` is csv, parquet, json, ndjson, excel, inline or
    None (not a table: only its bytes and hash are checked)."""

    format: str | None
    compression: str | None
    reader: str | None


def is_remote(path: str) -> bool:
    return path.lower().startswith(REMOTE)


def suffix(path: str) -> str:
    """The path's extension, lower-cased, without the dot (of a URL: of its path part)."""
    if is_remote(path):
        path = urlsplit(path).path
    return PurePosixPath(path).suffix.lstrip(".").lower()


def detect(path: str | None, data: object, fmt: str | None, compression: str | None,
           kind: str | None) -> Form:
    """The resource's form from its first path (or inline ``data``), declared ``format``,
    ``compression`` and ``type``."""
    fmt = fmt.lower() if isinstance(fmt, str) and fmt else None
    compression = compression.lower() if isinstance(compression, str) and compression else None
    if path is None:
        if data is None:
            return Form(fmt, compression, None)
        if isinstance(data, list):
            return Form(fmt or "inline", None, "inline")
        return Form(fmt or "inline", None, "inline" if kind == "table" else None)
    ext = suffix(path)
    if ext in COMPRESSIONS:
        compression = compression or ext
        ext = suffix(path[: -len(ext) - 1])
    fmt = fmt or ext or None
    reader = TABULAR.get(fmt or "")
    if fmt == "json" and kind == "table":
        reader = "json"  # a JSON file is a table only when declared so (as frictionless-py)
    if fmt is None and kind == "table":
        reader = "csv"
    return Form(fmt, compression, reader)


def resolve_url(base_url: str, raw: str) -> tuple[str | None, str | None]:
    """``raw`` (relative) resolved against a remote descriptor's URL, or why not: it may
    not climb out of the descriptor's folder."""
    parts = PurePosixPath(raw).parts
    if raw.startswith("/") or ".." in parts or "\\" in raw or ":" in raw.split("/")[0]:
        return None, f"path '{raw}' must be relative and stay inside the package"
    if base_url.lower().startswith("s3://"):  # urljoin joins only the web's schemes
        return base_url + posixpath.normpath(raw), None
    return urljoin(base_url, raw), None
