"""Sources: what a record quotes (evidence, direct quotes, a figure's text) is found in the
source's archived text, and each archive's file and sha256 are as ``sources`` says.

These search archived texts, so they look at rows one by one (few rows, cached texts).
"""

from __future__ import annotations

import polars as pl

from ...core.errors import ErrorRecord
from ...core.hashing import file_digest
from .context import Context, normalise


def _with_archive(ctx: Context, name: str, source_col: str = "source_id") -> pl.DataFrame | None:
    """Rows of ``name`` whose source has an archived text, with its path in ``_archive``."""
    archives = ctx.archives()
    if archives is None or not ctx.has(name, source_col):
        return None
    return ctx.tables[name].join(archives, left_on=source_col, right_on="_source", how="inner",
                                 maintain_order="left")


def _not_in_archive(ctx: Context, rows: pl.DataFrame, col: str) -> pl.DataFrame:
    """Rows whose ``col`` text is absent from their (readable) archived text."""
    missing = []
    for text, archive in rows.select(col, "_archive").iter_rows():
        source = ctx.archive_text(archive)
        missing.append(source is not None and text is not None and normalise(text) not in source)
    return rows.filter(pl.Series(missing, dtype=pl.Boolean))


def _not_found(ctx: Context, rule: str, name: str, rows: pl.DataFrame, col: str, what: str,
               advice: str) -> list[ErrorRecord]:
    """An error for each row whose ``col`` is not in its source's archived text."""
    return ctx.errors(rule, name, _not_in_archive(ctx, rows, col), col, lambda r: (
        f"{what} {r['_archive']} (archived text of '{r['source_id']}'); {advice}"))


def rule_evidence_in_source(ctx: Context) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name in ctx.tables:
        if not ctx.has(name, "source_id", "evidence"):
            continue
        rows = _with_archive(ctx, name)
        if rows is None:
            continue
        out += ctx.errors("evidence-in-source", name, rows.filter(pl.col("evidence").is_null()),
                          "evidence", lambda r: (
                              f"source '{r['source_id']}' has an archived text ({r['_archive']}); "
                              "quote the excerpt that supports this row, verbatim"))
        out += _not_found(ctx, "evidence-in-source", name, rows, "evidence", "not found in",
                          "copy the excerpt verbatim from that file")
    return out


def rule_quote_in_source(ctx: Context) -> list[ErrorRecord]:
    name = "statements"
    rows = _with_archive(ctx, name) if ctx.has(name, "mode", "text") else None
    if rows is None:
        return []
    return _not_found(ctx, "quote-in-source", name, rows.filter(pl.col("mode") == "direct-quote"),
                      "text", "this direct quote is not in",
                      "give the quoted words exactly as the source prints them, or use mode "
                      "paraphrase")


def rule_value_text_in_source(ctx: Context) -> list[ErrorRecord]:
    name = "figures"
    rows = _with_archive(ctx, name) if ctx.has(name, "value_text") else None
    if rows is None:
        return []
    return _not_found(ctx, "value-text-in-source", name, rows, "value_text", "not found in",
                      "value_text is the figure verbatim as the source writes it")


def rule_archive_hash(ctx: Context) -> list[ErrorRecord]:
    name = "sources"
    if not ctx.has(name, "archive_path"):
        return []
    has_hash = ctx.has(name, "archive_sha256")
    out: list[ErrorRecord] = []
    rule = "archive-hash"
    for r in ctx.tables[name].iter_rows(named=True):
        given = r.get("archive_sha256") if has_hash else None
        if r["archive_path"] is None:
            if given is not None:
                out.append(ctx.error(rule, name, r, "archive_sha256",
                                     "a hash without archive_path; give the archived file's path or drop the hash"))
            continue
        full, problem = ctx.archive_file(r["archive_path"])
        if full is None:
            out.append(ctx.error(rule, name, r, "archive_path", f"archive_path {problem}"))
            continue
        if not has_hash:
            continue
        actual = file_digest(full)[0]
        if given is None:
            out.append(ctx.error(rule, name, r, "archive_sha256",
                                 f"required with archive_path; the file's sha256 is {actual}"))
        elif given.lower() != actual:
            out.append(ctx.error(rule, name, r, "archive_sha256", (
                f"does not match {r['archive_path']} (sha256 {actual}); the archived text changed "
                "or the hash is wrong: re-check the records that quote it, then update the hash")))
    return out
