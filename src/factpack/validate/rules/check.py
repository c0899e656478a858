"""Layer 3: the domain rules of DATA_MODEL.md, over the tables' raw text.

Every rule reports ``rule-error`` records (see :mod:`factpack.errors`) with the
rule's name, and applies only where its tables and columns exist, so the same
call works on any package. Tables arrive as layer 2 read them: every column is
text (empty cell → null) plus ``_row`` (frictionless row number, header = 1) and
``_line`` (physical line where the row starts). Layer 2 has already reported
type and pattern errors, so a rule skips a cell it cannot read rather than
raising or reporting it twice.

Whole-column rules are polars expressions; only the checks that search archived
texts (evidence, quotes, discrepancies) look at rows one by one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

import polars as pl

from ...core.errors import ErrorRecord
from ...core.hashing import file_digest
from ...core.paths import locate

ROW, LINE = "_row", "_line"
DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
FORMULA_PREFIX = r"^[=+\-@\t\r]"
SEEDS = "seeds"

# Straight and curly quotes are treated alike when text is searched in a source.
_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
})


def normalise(text: str) -> str:
    """NFC, curly quotes as straight ones, runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_QUOTES).split())


# --------------------------------------------------------------------------- helpers


class _Ctx:
    """What every rule needs: the tables, their paths, the repo, and the archive cache."""

    def __init__(self, tables: dict[str, pl.DataFrame], paths: dict[str, str],
                 repo_root: Path, schemas: dict[str, dict] | None):
        self.tables = {name: _prepare(df) for name, df in tables.items()}
        self.paths = paths
        self.root = Path(repo_root)
        self.schemas = schemas
        self._texts: dict[str, str | None] = {}

    def has(self, name: str, *cols: str) -> bool:
        df = self.tables.get(name)
        return df is not None and all(c in df.columns for c in cols)

    def error(self, rule: str, resource: str, row: dict, field: str, message: str) -> ErrorRecord:
        """One rule-error at ``row`` (a dict with ``_row``/``_line``) of ``resource``."""
        path = self.paths.get(resource)
        cell = row.get(field)
        number = None
        df = self.tables.get(resource)
        if df is not None and field in df.columns:
            number = [c for c in df.columns if not c.startswith("_")].index(field) + 1
        where = f"{path or resource}, row {row.get(ROW)}, field '{field}'"
        return ErrorRecord(
            code="rule-error", rule=rule, resource=resource, path=path,
            row=row.get(ROW), line=row.get(LINE), field=field, field_number=number,
            value=None if cell is None else str(cell), message=f"{where}: {message}",
        )

    def errors(self, rule: str, resource: str, hits: pl.DataFrame, field: str,
               message: Callable[[dict], str]) -> list[ErrorRecord]:
        return [self.error(rule, resource, r, field, message(r))
                for r in hits.iter_rows(named=True)]

    def archive_file(self, raw: str | None) -> tuple[Path | None, str | None]:
        """The archived file for ``archive_path``, or why it is not acceptable."""
        if raw is None:
            return None, "is empty"
        full, why = locate(self.root, raw)
        if full is None:
            return None, f"{why}; give a path under seeds/"
        if PurePosixPath(raw).parts[0] != SEEDS or len(PurePosixPath(raw).parts) < 2:
            return None, "is not under seeds/; archived texts live in seeds/"
        if not full.is_file():
            return None, "does not exist; archive the text at that path or correct the path"
        return full, None

    def archive_text(self, raw: str | None) -> str | None:
        """Normalised archived text, or None when it cannot be read (archive-hash says why)."""
        if raw not in self._texts:
            full, _ = self.archive_file(raw)
            text = None
            if full is not None:
                try:
                    text = normalise(full.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    text = None
            self._texts[raw] = text
        return self._texts[raw]

    def archives(self) -> pl.DataFrame | None:
        """sources.id → archive_path, for the sources that have an archived text."""
        if not self.has("sources", "id", "archive_path"):
            return None
        return (self.tables["sources"].filter(pl.col("archive_path").is_not_null())
                .select(pl.col("id").alias("_source"), pl.col("archive_path").alias("_archive"))
                .unique("_source", keep="first"))

    def field(self, name: str, col: str) -> dict:
        """The schema's descriptor of a column, or {} when there is none."""
        schema = (self.schemas or {}).get(name) or {}
        fields = schema.get("fields") if isinstance(schema, dict) else None
        for f in fields if isinstance(fields, list) else []:
            if isinstance(f, dict) and f.get("name") == col:
                return f
        return {}

    def string_fields(self, name: str) -> list[str]:
        """Columns typed string (or untyped) by the schema, unless they allow formula prefixes."""
        return [c for c in self.tables[name].columns if not c.startswith("_")
                and self.field(name, c).get("type", "string") in ("string", "any")
                and not self.field(name, c).get("allowFormulaPrefix", False)]


def _prepare(df: pl.DataFrame) -> pl.DataFrame:
    """Text columns plus _row/_line, whatever the caller handed in."""
    cols = [pl.col(c) if df.schema[c] == pl.String else pl.col(c).cast(pl.String, strict=False)
            for c in df.columns if c not in (ROW, LINE)]
    extra = [pl.col(c).cast(pl.Int64, strict=False) if c in df.columns
             else pl.lit(None, pl.Int64).alias(c) for c in (ROW, LINE)]
    return df.select(cols + extra)


def date_bounds(col: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(well-formed, earliest day, latest day) of a partial ISO date column.

    ``2025`` spans the year, ``2025-06`` the month; an impossible date such as
    ``2025-02-30`` is well-formed with null bounds.
    """
    s = pl.col(col)
    n = s.str.len_chars()
    ok = s.str.contains(DATE_PATTERN).fill_null(False)
    start = pl.when(n == 4).then(s + "-01-01").when(n == 7).then(s + "-01").otherwise(s)
    lo = pl.when(ok).then(start).str.to_date("%Y-%m-%d", strict=False)
    hi = (pl.when(n == 4).then(lo.dt.offset_by("1y").dt.offset_by("-1d"))
          .when(n == 7).then(lo.dt.month_end()).otherwise(lo))
    return ok, lo, hi


def _date_columns(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if c.endswith("_on") or c == "as_of"]


# --------------------------------------------------------------------------- rules


def rule_date_calendar(ctx: _Ctx) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        for col in _date_columns(df):
            ok, lo, _ = date_bounds(col)
            hits = df.filter(ok & lo.is_null())
            out += ctx.errors("date-calendar", name, hits, col, lambda r, c=col: (
                f"'{r[c]}' is not a real calendar date; give an existing date at the precision "
                "the source gives (YYYY, YYYY-MM or YYYY-MM-DD)"))
    return out


_ORDERED = [("roles", "start_on", "end_on"), ("statements", "said_on", "reported_on")]


def rule_date_order(ctx: _Ctx) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, first, last in _ORDERED:
        if not ctx.has(name, first, last):
            continue
        _, first_lo, _ = date_bounds(first)
        _, _, last_hi = date_bounds(last)
        hits = ctx.tables[name].filter((first_lo > last_hi).fill_null(False))
        out += ctx.errors("date-order", name, hits, last, lambda r, a=first, b=last: (
            f"{b} '{r[b]}' is before {a} '{r[a]}'; {b} must be on or after {a}"))
    return out


def rule_figure_range(ctx: _Ctx) -> list[ErrorRecord]:
    name = "figures"
    cols = [c for c in ("value_low", "value", "value_high") if ctx.has(name, c)]
    if len(cols) < 2:
        return []
    df = ctx.tables[name].with_columns(
        [pl.col(c).cast(pl.Float64, strict=False).alias(f"_{c}") for c in cols])
    out: list[ErrorRecord] = []
    checks = [("value_low", "value_high", "value_high"),
              ("value_low", "value", "value"), ("value", "value_high", "value")]
    for low, high, field in checks:
        if low in cols and high in cols:
            hits = df.filter((pl.col(f"_{low}") > pl.col(f"_{high}")).fill_null(False))
            out += ctx.errors("figure-range", name, hits, field, lambda r, lo=low, hi=high: (
                f"{lo} {r[lo]} is greater than {hi} {r[hi]}; need value_low <= value <= value_high "
                "(amounts in whole units, e.g. 10 billion = 10000000000)"))
    return out


def rule_figure_currency(ctx: _Ctx) -> list[ErrorRecord]:
    name = "figures"
    if not ctx.has(name, "quantity"):
        return []
    df = ctx.tables[name].filter(pl.col("quantity").is_not_null())
    money = pl.col("quantity") == "money"
    out: list[ErrorRecord] = []
    if "currency" in df.columns:
        out += ctx.errors("figure-currency", name, df.filter(money & pl.col("currency").is_null()),
                          "currency", lambda r: "a money figure needs its ISO 4217 currency (e.g. USD)")
        out += ctx.errors("figure-currency", name, df.filter(~money & pl.col("currency").is_not_null()),
                          "currency", lambda r: (
                              f"currency is only for money, but quantity is '{r['quantity']}'; "
                              "leave currency empty and give the unit"))
    if "unit" in df.columns:
        out += ctx.errors("figure-currency", name, df.filter(~money & pl.col("unit").is_null()),
                          "unit", lambda r: (
                              f"a '{r['quantity']}' figure needs a unit saying what is counted "
                              "(e.g. drone, year)"))
        out += ctx.errors("figure-currency", name, df.filter(money & pl.col("unit").is_not_null()),
                          "unit", lambda r: "a money figure takes a currency, not a unit; leave unit empty")
    return out


_SCALES = {"thousand": 10**3, "million": 10**6, "mn": 10**6, "billion": 10**9, "bn": 10**9,
           "trillion": 10**12}
_SCALE_RE = re.compile(r"(?i)\b(" + "|".join(_SCALES) + r")\b")
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _scaled_minimum(text: str | None) -> float | None:
    """Least amount a text such as "10-20-30 billion" can mean in whole units, if it names a scale."""
    if not text:
        return None
    scales = [_SCALES[m.lower()] for m in _SCALE_RE.findall(text)]
    numbers = [float(n) for n in _NUMBER_RE.findall(text)]
    return min(scales) * min(numbers) if scales and numbers else None


def rule_figure_units(ctx: _Ctx) -> list[ErrorRecord]:
    """Amounts are in whole units: "10 billion" is 10000000000, not 10."""
    name = "figures"
    cols = [c for c in ("value_low", "value", "value_high") if ctx.has(name, c)]
    if not cols or not ctx.has(name, "value_text"):
        return []
    df = ctx.tables[name]
    if "quantity" in df.columns:
        df = df.filter(pl.col("quantity").fill_null("") != "years")
    df = df.with_columns(pl.col("value_text").map_elements(
        _scaled_minimum, return_dtype=pl.Float64, skip_nulls=True).alias("_min"))
    out: list[ErrorRecord] = []
    for col in cols:
        hits = df.filter((pl.col(col).cast(pl.Float64, strict=False) < pl.col("_min")).fill_null(False))
        out += ctx.errors("figure-units", name, hits, col, lambda r, c=col: (
            f"{r[c]} is too small for '{r['value_text']}' (at least {r['_min']:.0f}); give "
            "amounts in whole units, e.g. 10 billion = 10000000000"))
    return out


def _code_rule(ctx: _Ctx, rule: str, columns: Iterable[str],
               valid: Callable[[list[str]], set[str]], what: str) -> list[ErrorRecord]:
    """Codes checked against a code list; a cell failing its field's own pattern is layer 2's."""
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        for col in columns:
            if col not in df.columns:
                continue
            constraints = ctx.field(name, col).get("constraints")
            pattern = constraints.get("pattern") if isinstance(constraints, dict) else None
            candidates = df.filter(pl.col(col).is_not_null())
            if isinstance(pattern, str):
                try:
                    candidates = candidates.filter(pl.col(col).str.contains(pattern))
                except pl.exceptions.PolarsError:  # a pattern polars cannot run: check every code
                    pass
            good = valid(candidates.get_column(col).unique().to_list())
            hits = candidates.filter(~pl.col(col).is_in(sorted(good)))
            out += ctx.errors(rule, name, hits, col, lambda r, c=col: f"'{r[c]}' is not {what}")
    return out


def rule_iso_country(ctx: _Ctx) -> list[ErrorRecord]:
    import pycountry

    codes = {c.alpha_2 for c in pycountry.countries}
    return _code_rule(ctx, "iso-country", ("country", "jurisdiction"),
                      lambda values: codes & set(values),
                      "an ISO 3166-1 alpha-2 country code (e.g. UA, US)")


def rule_iso_currency(ctx: _Ctx) -> list[ErrorRecord]:
    import pycountry

    codes = {c.alpha_3 for c in pycountry.currencies}
    return _code_rule(ctx, "iso-currency", ("currency",),
                      lambda values: codes & set(values), "an ISO 4217 currency code (e.g. USD)")


def rule_bcp47_language(ctx: _Ctx) -> list[ErrorRecord]:
    import langcodes

    return _code_rule(ctx, "bcp47-language", ("language",),
                      lambda values: {v for v in values if langcodes.tag_is_valid(v)},
                      "a valid BCP 47 language tag (e.g. en, uk)")


def _with_archive(ctx: _Ctx, name: str, source_col: str = "source_id") -> pl.DataFrame | None:
    """Rows of ``name`` whose source has an archived text, with its path in ``_archive``."""
    archives = ctx.archives()
    if archives is None or not ctx.has(name, source_col):
        return None
    return ctx.tables[name].join(archives, left_on=source_col, right_on="_source", how="inner",
                                 maintain_order="left")


def _not_in_archive(ctx: _Ctx, rows: pl.DataFrame, col: str) -> pl.DataFrame:
    """Rows whose ``col`` text is absent from their (readable) archived text."""
    missing = []
    for text, archive in rows.select(col, "_archive").iter_rows():
        source = ctx.archive_text(archive)
        missing.append(source is not None and text is not None and normalise(text) not in source)
    return rows.filter(pl.Series(missing, dtype=pl.Boolean))


def rule_evidence_in_source(ctx: _Ctx) -> list[ErrorRecord]:
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
        out += ctx.errors("evidence-in-source", name, _not_in_archive(ctx, rows, "evidence"),
                          "evidence", lambda r: (
                              f"not found in {r['_archive']} (archived text of '{r['source_id']}'); "
                              "copy the excerpt verbatim from that file"))
    return out


def rule_quote_in_source(ctx: _Ctx) -> list[ErrorRecord]:
    name = "statements"
    if not ctx.has(name, "mode", "text"):
        return []
    rows = _with_archive(ctx, name)
    if rows is None:
        return []
    rows = rows.filter(pl.col("mode") == "direct-quote")
    return ctx.errors("quote-in-source", name, _not_in_archive(ctx, rows, "text"), "text",
                      lambda r: (f"this direct quote is not in {r['_archive']} (archived text of "
                                 f"'{r['source_id']}'); give the quoted words exactly as the source "
                                 "prints them, or use mode paraphrase"))


def rule_value_text_in_source(ctx: _Ctx) -> list[ErrorRecord]:
    name = "figures"
    if not ctx.has(name, "value_text"):
        return []
    rows = _with_archive(ctx, name)
    if rows is None:
        return []
    return ctx.errors("value-text-in-source", name, _not_in_archive(ctx, rows, "value_text"),
                      "value_text", lambda r: (
                          f"not found in {r['_archive']} (archived text of '{r['source_id']}'); "
                          "value_text is the figure verbatim as the source writes it"))


def rule_role_held(ctx: _Ctx) -> list[ErrorRecord]:
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


def rule_discrepancy_target(ctx: _Ctx) -> list[ErrorRecord]:
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


def rule_no_draft(ctx: _Ctx) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        if "review_status" in df.columns:
            out += ctx.errors("no-draft", name, df.filter(pl.col("review_status") == "draft"),
                              "review_status", lambda r: (
                                  "a release contains no draft rows; review the row and mark it "
                                  "checked or disputed (with a note), or leave it out"))
    return out


def rule_archive_hash(ctx: _Ctx) -> list[ErrorRecord]:
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


def rule_formula(ctx: _Ctx) -> list[ErrorRecord]:
    out: list[ErrorRecord] = []
    for name, df in ctx.tables.items():
        for col in ctx.string_fields(name):
            hits = df.filter(pl.col(col).str.contains(FORMULA_PREFIX).fill_null(False))
            out += ctx.errors("formula", name, hits, col, lambda r, c=col: (
                f"starts with {r[c][:1]!r}; a spreadsheet would run it as a formula. "
                "Reword it, or set allowFormulaPrefix: true on the field if such text is expected"))
    return out


RULES: dict[str, Callable[[_Ctx], list[ErrorRecord]]] = {
    "date-calendar": rule_date_calendar,
    "date-order": rule_date_order,
    "figure-range": rule_figure_range,
    "figure-currency": rule_figure_currency,
    "figure-units": rule_figure_units,
    "iso-country": rule_iso_country,
    "iso-currency": rule_iso_currency,
    "bcp47-language": rule_bcp47_language,
    "evidence-in-source": rule_evidence_in_source,
    "quote-in-source": rule_quote_in_source,
    "value-text-in-source": rule_value_text_in_source,
    "role-held": rule_role_held,
    "discrepancy-target": rule_discrepancy_target,
    "archive-hash": rule_archive_hash,
    "formula": rule_formula,
}


def check_rules(tables: dict[str, pl.DataFrame], paths: dict[str, str], repo_root: Path,
                release: bool = True, schemas: dict[str, dict] | None = None) -> list[ErrorRecord]:
    """Every layer-3 rule over ``tables``; ``no-draft`` only for a release."""
    ctx = _Ctx(tables, paths, repo_root, schemas)
    out: list[ErrorRecord] = []
    for rule in RULES.values():
        out += rule(ctx)
    if release:
        out += rule_no_draft(ctx)
    return sorted(out, key=ErrorRecord.key)
