"""Records: a speaker held a role on the date of a statement, a discrepancy points at a
record that holds its verified value, no draft rows in a release, and no text cell
that a spreadsheet would run as a formula."""

from __future__ import annotations

import polars as pl

from ...core.errors import ErrorRecord
from .context import Context, normalise
from .dates import date_bounds

FORMULA_PREFIX = r"^[=+\-@\t\r]"


def rule_role_held(ctx: Context) -> list[ErrorRecord]:
    if not (ctx.has("statements", "speaker_id", "said_on")
            and ctx.has("roles", "actor_id", "start_on", "end_on")):
        return []
    statements = ctx.tables["statements"]
    if "notes" not in statements.columns:
        statements = statements.with_columns(pl.lit(None, pl.String).alias("notes"))
    _, said_lo, said_hi = date_bounds("said_on")
    said = statements.with_columns(_id=pl.int_range(pl.len()), _lo=said_lo, _hi=said_hi).filter(
        pl.col("_lo").is_not_null() & pl.col("speaker_id").is_not_null())
    _, start_lo, _ = date_bounds("start_on")
    _, _, end_hi = date_bounds("end_on")
    roles = ctx.tables["roles"].filter(pl.col("actor_id").is_not_null()).select(
        pl.col("actor_id"), start_lo.alias("_start"), end_hi.alias("_end"))
    held = (pl.col("_start").is_null() | (pl.col("_start") <= pl.col("_hi"))) & (
        pl.col("_end").is_null() | (pl.col("_end") >= pl.col("_lo")))
    verdict = (said.join(roles, left_on="speaker_id", right_on="actor_id", how="inner")
               .group_by("_id").agg(held.any().alias("_held")))
    hits = (said.join(verdict, on="_id", how="inner")
            .filter(~pl.col("_held") & pl.col("notes").is_null()).sort("_id"))
    return ctx.errors("role-held", "statements", hits, "said_on", lambda r: (
        f"speaker '{r['speaker_id']}' held none of their roles on {r['said_on']}; correct the "
        "date or the roles, or say in notes why the speaker spoke without a recorded post"))


def rule_discrepancy_target(ctx: Context) -> list[ErrorRecord]:
    name = "discrepancies"
    need = ("resource", "record_id", "field", "reported_value", "verified_value")
    if not ctx.has(name, *need):
        return []
    frame = ctx.archives()
    archives = dict(frame.iter_rows()) if frame is not None else {}
    out: list[ErrorRecord] = []
    rule = "discrepancy-target"
    for r in ctx.tables[name].iter_rows(named=True):
        if any(r[c] is None for c in need):
            continue  # required cells: layer 2 reports them
        reported, verified = normalise(r["reported_value"]), normalise(r["verified_value"])
        archive = archives.get(r.get("source_id"))
        text = ctx.archive_text(archive) if archive else None
        if text is not None and reported not in text:
            out.append(ctx.error(rule, name, r, "reported_value", (
                f"not found in {archive} (archived text of '{r['source_id']}'); "
                "give what the source says, verbatim")))
        if reported == verified:
            out.append(ctx.error(rule, name, r, "verified_value",
                                 "is the same as reported_value; a discrepancy needs a different, checked value"))
        target = ctx.tables.get(r["resource"])
        if target is None:
            out.append(ctx.error(rule, name, r, "resource", (
                f"no table '{r['resource']}' in this package; name one of: "
                f"{', '.join(sorted(ctx.tables))}")))
            continue
        columns = [c for c in target.columns if not c.startswith("_")]
        if "id" not in columns:
            out.append(ctx.error(rule, name, r, "resource",
                                 f"table '{r['resource']}' has no id column to point at"))
            continue
        if r["field"] not in columns:
            out.append(ctx.error(rule, name, r, "field", (
                f"'{r['field']}' is not a column of {r['resource']}; use one of: {', '.join(columns)}")))
        records = target.filter(pl.col("id") == r["record_id"])
        if records.height == 0:
            out.append(ctx.error(rule, name, r, "record_id",
                                 f"no record with id '{r['record_id']}' in {r['resource']}"))
            continue
        if r["field"] not in columns:
            continue
        held = records.get_column(r["field"])[0]
        held_norm = None if held is None else normalise(held)
        if held_norm == reported and reported != verified:
            out.append(ctx.error(rule, name, r, "verified_value", (
                f"{r['resource']} '{r['record_id']}' still holds the reported value in "
                f"'{r['field']}'; correct the record to '{r['verified_value']}'")))
        elif held_norm != verified:
            out.append(ctx.error(rule, name, r, "verified_value", (
                f"{r['resource']} '{r['record_id']}' holds '{held}' in '{r['field']}', not the "
                "verified value; make the record and this row agree")))
    return out


def rule_no_draft(ctx: Context) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        if "review_status" in df.columns:
            out += ctx.errors("no-draft", name, df.filter(pl.col("review_status") == "draft"),
                              "review_status", lambda r: (
                                  "a release contains no draft rows; review the row and mark it "
                                  "checked or disputed (with a note), or leave it out"))
    return out


def rule_formula(ctx: Context) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        for col in ctx.string_fields(name):
            hits = df.filter(pl.col(col).str.contains(FORMULA_PREFIX).fill_null(False))
            out += ctx.errors("formula", name, hits, col, lambda r, c=col: (
                f"starts with {r[c][:1]!r}; a spreadsheet would run it as a formula. "
                "Reword it, or set allowFormulaPrefix: true on the field if such text is expected"))
    return out
