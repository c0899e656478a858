"""A table's file as bytes: its encoding (and, for a dataset, UTF-8 without BOM and LF line
endings), the declared ``bytes`` and ``hash``, and whether its quotes pair up."""

from __future__ import annotations

import codecs

import polars as pl

from ...core.errors import Code
from ...core.hashing import file_digest
from ...descriptors.load import LoadedResource
from .result import single_error


def unknown_encoding(res: LoadedResource) -> str | None:
    """Why the resource's encoding cannot be used (Python has no codec by that name)."""
    try:
        codecs.lookup(res.encoding)
    except LookupError:
        return f"{res.relpath}: unknown encoding '{res.encoding}'"
    return None


def check_encoding(res: LoadedResource, strict: bool,
                   decode: bool = True) -> pl.DataFrame | None:
    """The file must decode in its declared encoding; a dataset must be plain UTF-8 with LF.

    ``decode=False`` skips decoding (the CSV reader checks UTF-8 itself, much faster;
    this is run again to locate the bad byte if the reader fails).
    """
    try:
        decoder = codecs.getincrementaldecoder(res.encoding)()
    except LookupError:
        return single_error(res, Code.ENCODING, f"{res.relpath}: unknown encoding "
                            f"'{res.encoding}'")
    if not decode and not strict:
        return None  # nothing else to look at: spare a read of the whole file
    line, offset = 1, 0
    with open(res.path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        if strict and head.startswith(codecs.BOM_UTF8):
            return single_error(res, Code.ENCODING, f"{res.relpath}:1: the file starts with a "
                                "byte-order mark (BOM); save it as UTF-8 without BOM", row=1,
                                line=1)
        crlf_seen = False
        while chunk := fh.read(1 << 22):
            try:
                if decode:
                    decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = chunk[: exc.start]
                where = line + bad.count(b"\n")
                return single_error(
                    res, Code.ENCODING,
                    f"{res.relpath}:{where}: byte {chunk[exc.start:exc.start + 1]!r} at offset "
                    f"{offset + exc.start} is not valid {res.encoding}; save the file as "
                    f"{res.encoding}", line=where)
            if strict and not crlf_seen and b"\r\n" in chunk:  # a lone CR in a cell is text
                crlf_seen = True
                where = line + chunk[: chunk.index(b"\r\n")].count(b"\n")
                crlf = single_error(
                    res, Code.RULE, f"{res.relpath}:{where}: carriage return (CRLF line "
                    "endings?); dataset files use LF line endings only", line=where,
                    rule="lf-line-endings")
            line += chunk.count(b"\n")
            offset += len(chunk)
    return crlf if crlf_seen else None


def is_encoding_error(problem: pl.DataFrame | None) -> bool:
    return problem is not None and problem["code"][0] == Code.ENCODING


def quotes_paired(res: LoadedResource) -> bool:
    """Whether the file's quote characters pair up: an odd count means a quote is left
    open and the reader took the rest of the file as one cell."""
    quote = (res.dialect.quoteChar or "").encode("latin-1", "ignore")
    if len(quote) != 1 or res.dialect.escapeChar or "16" in res.encoding or "32" in res.encoding:
        return True  # not countable byte by byte
    quotes = 0
    with open(res.path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            quotes += chunk.count(quote)
    return quotes % 2 == 0


def utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def check_integrity(res: LoadedResource) -> list[pl.DataFrame]:
    """The declared ``bytes`` and ``hash`` (md5 unless prefixed, e.g. ``sha256:…``)."""
    out = []
    declared = res.descriptor
    size = res.path.stat().st_size
    if declared.get("bytes") is not None and declared["bytes"] != size:
        out.append(single_error(res, Code.BYTE_COUNT, f"{res.relpath}: the file has {size} "
                                f"bytes but the descriptor declares {declared['bytes']}; update "
                                "'bytes' or restore the file"))
    if declared.get("hash"):
        algo, _, expected = str(declared["hash"]).rpartition(":")
        algo = algo or "md5"
        try:
            actual = file_digest(res.path, algo)[0]
        except ValueError:  # hashlib has no such algorithm
            return out + [single_error(res, Code.HASH_COUNT, f"{res.relpath}: unknown hash "
                                       f"algorithm '{algo}' (use md5 or sha256)")]
        if actual != expected.lower():
            out.append(single_error(res, Code.HASH_COUNT, f"{res.relpath}: the file's {algo} is "
                                    f"{actual} but the descriptor declares {expected}; "
                                    "update 'hash' or restore the file"))
    return out
