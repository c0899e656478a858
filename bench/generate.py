"""Seeded generator of synthetic Frictionless data packages for the benchmark.

Three schema profiles, so that no figure is tuned to one kind of table
(:data:`PROFILES`; ``size`` is the row count of the profile's main table):

* ``key-heavy`` (the default, and the only profile before issue 15, so earlier
  figures stay comparable): ``actors`` (``min(10 000, size)`` rows): ``id``
  primary key, a non-ASCII ``name``, an enum ``country``, a ``born`` date with a
  minimum, a ``url`` (format uri); and ``statements`` (``size`` rows): a
  composite primary key ``(actor_id, date, seq)``, ``id`` with ``unique`` and a
  ``pattern``, a foreign key ``actor_id`` → ``actors.id``, bounded
  ``date``/``amount``/``confidence``, an enum ``kind``, a pattern ``code``, a
  required ``source_url`` (format uri), free text ``quote`` with non-ASCII,
  commas, quotes and a few newlines (``maxLength`` 200), and an optional
  ``note``. About 190 bytes a row.
* ``narrow-numeric``: one table ``readings`` of 7 columns: an integer primary
  key ``id``, bounded integers ``station`` and ``count``, a bounded ``day``
  date, bounded numbers ``value`` and ``share``, a boolean ``ok``. About 50
  bytes a row.
* ``wide-text``: one table ``records`` of 30 string columns: free non-ASCII
  text with quotes, commas and quoted newlines (``body_1`` … ``body_8``,
  ``summary`` with ``minLength``, ``title`` and bodies with ``maxLength``),
  patterns (``id``, ``country``, ``region``, ``postcode``, ``phone``), enums
  (``status``, ``language``, ``category`` with non-ASCII values, ``license``),
  an ``email`` (format email) and a ``homepage`` (format uri). No key. About
  600 bytes a row.

Variant ``valid`` has no error. Variant ``errors`` puts one error on about 1 %
of the rows of each table (at least one), cycling through every kind the
profile can produce (:data:`KINDS`, :data:`ACTOR_KINDS`, :data:`NARROW_KINDS`,
:data:`WIDE_KINDS`: type-error, constraint-error, unique-error, primary-key,
foreign-key, missing-cell, extra-cell, blank-row, as the schema allows). The
expected error set, as ``(resource, row, field, code)`` normalised like
``tests/test_conformance.py`` (no field for row-level codes), is written to
``expected-errors.csv`` next to the descriptor. It is what frictionless-py
reports, including its one surprise: a blank row in a table with a primary key
is also a ``primary-key`` error (its key cells are all null). Keys stay unique
where they are not meant to repeat (a row whose date is not valid gets a
``seq`` of its own), so no error appears by chance, at any size.

Everything is drawn from ``numpy.random.default_rng(seed)`` and the tables are
written in chunks of rows (polars string columns, one pre-quoted CSV line per
row), so 10 M rows take a minute or two and little memory. The same
``(profile, seed, size, variant)`` gives byte-identical files.

    python bench/generate.py --size 100000 --variant errors --out /tmp/pkg
    python bench/generate.py --profile wide-text --size 2000 --out /tmp/wide
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "build" / "bench" / "data"
GENERATOR_VERSION = 2  # bump when the output changes, so cached packages are rebuilt
CHUNK = 500_000
ERROR_RATE = 0.01
ACTORS = 10_000  # rows of key-heavy's actors table (fewer when the package is smaller)
DEFAULT_PROFILE = "key-heavy"

STATEMENT_FIELDS = ["id", "actor_id", "date", "seq", "kind", "code", "amount", "confidence",
                    "source_url", "quote", "note"]
ACTOR_FIELDS = ["id", "name", "country", "born", "url"]
KINDS_ENUM = ["claim", "promise", "denial", "estimate", "correction"]
COUNTRIES = ["UA", "US", "PL", "DE", "FR", "GB", "JP", "TR", "RO", "MD", "LT", "LV", "EE",
             "FI", "SE", "NO", "DK", "NL", "BE", "CZ", "SK", "HU", "IT", "ES", "PT", "CA"]
DATE0 = np.datetime64("1999-01-01")

# Error kinds of the statements table: (name, code, field or None).
KINDS = [
    ("type-date", "type-error", "date"),
    ("type-number", "type-error", "amount"),
    ("type-integer", "type-error", "confidence"),
    ("type-uri", "type-error", "source_url"),
    ("required", "constraint-error", "source_url"),
    ("enum", "constraint-error", "kind"),
    ("pattern", "constraint-error", "code"),
    ("minimum", "constraint-error", "amount"),
    ("maximum", "constraint-error", "confidence"),
    ("maximum-date", "constraint-error", "date"),
    ("maxLength", "constraint-error", "quote"),
    ("unique", "unique-error", "id"),
    ("primary-key", "primary-key", None),
    ("foreign-key", "foreign-key", None),
    ("missing-cell", "missing-cell", "note"),
    ("extra-cell", "extra-cell", None),
    ("blank-row", "blank-row", None),
]
ACTOR_KINDS = [
    ("type-date", "type-error", "born"),
    ("required", "constraint-error", "name"),
    ("enum", "constraint-error", "country"),
    ("minimum-date", "constraint-error", "born"),
]

# Free text: words from several scripts, with commas, quotes and (rarely) newlines.
WORDS = ["Київ", "Харків", "дрони", "угода", "постачання", "заява", "міністр", "Зеленський", "оборона", "Ukraine", "drones", "deal", "supply", "statement", "minister", "said", "billion", "production", "contrat", "livraison", "négociation", "président", "déclaré", "été", "prévu", "Vertrag", "Lieferung", "Drohnen", "Übereinkunft", "Größe", "für", "später", "ドローン", "合意", "供給", "大臣", "発表", "Σύμβαση", "Πολωνία", "ŁÓDŹ", "Kraków", "Žilina", "Čerkasy", "Dnipró", "ğüşıöç", "€1.2bn", "50%", "№3", "«quoted»", "—dash", "🚁", "✓"]


@dataclass(frozen=True)
class Spec:
    size: int
    variant: str = "errors"
    seed: int = 42
    actors: int | None = None  # key-heavy's actors rows; None: min(ACTORS, size)
    profile: str = DEFAULT_PROFILE

    @property
    def n_actors(self) -> int:
        return self.actors if self.actors is not None else max(1, min(ACTORS, self.size))

    @property
    def rows(self) -> int:
        """Data rows in all tables."""
        return self.size + (self.n_actors if self.profile == "key-heavy" else 0)

    @property
    def key(self) -> str:
        actors = f"-a{self.n_actors}" if self.profile == "key-heavy" else ""
        return (f"{self.profile}-s{self.seed}-n{self.size}{actors}-{self.variant}"
                f"-g{GENERATOR_VERSION}")


# ---------------------------------------------------------------- helpers


def _sentences(rng: np.random.Generator, n: int, newline_every: int = 40,
               n_words: tuple[int, int] = (3, 16)) -> list[str]:
    """A pool of free-text cells (≤ 200 characters, ``n_words`` [low, high) words), some with
    commas, quotes, newlines."""
    out = []
    for i in range(n):
        k = int(rng.integers(*n_words))
        words = [WORDS[j] for j in rng.integers(0, len(WORDS), k)]
        if i % 5 == 0:
            words.insert(int(rng.integers(0, k)), ",")
        if i % 7 == 0:
            words.insert(0, '"')
            words.append('"')
        text = " ".join(words).replace(" ,", ",")
        if i % newline_every == 0:
            text = text.replace(" ", "\n", 1)
        out.append(text[:200])
    return out


def _quote(col: pl.Expr) -> pl.Expr:
    """RFC 4180: quote a cell holding a delimiter, quote or newline; double inner quotes."""
    needs = col.str.contains(r'[",\n\r]')
    return (pl.when(needs).then(pl.lit('"') + col.str.replace_all('"', '""', literal=True)
                                + pl.lit('"')).otherwise(col))


def _ids(prefix: str, idx: np.ndarray, width: int) -> pl.Series:
    return pl.select(pl.lit(prefix) + pl.Series(idx).cast(pl.String).str.zfill(width)).to_series()


def _write_lines(fh, lines: pl.Series) -> None:
    """One pre-quoted CSV record per line (records may hold quoted newlines)."""
    lines.to_frame("line").write_csv(fh, include_header=False, quote_style="never")


def _pick_sources(rng: np.random.Generator, targets: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """For each target row, an earlier row without an error (its key is copied)."""
    src = np.empty(len(targets), dtype=np.int64)
    for i, t in enumerate(targets):
        s = int(t) - int(rng.integers(1, 5000))
        if s < 0:
            s = int(rng.integers(0, int(t)))
        while bad[s]:  # row 0 never has an error, so this stops
            s -= 1
        src[i] = s
    return src


def _plan(rng: np.random.Generator, n: int, kinds: list, rate: float,
          first: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (sorted) that get an error, and the kind index of each.

    About ``rate`` of the rows, and at least one where the table has a row after ``first``,
    so that the ``errors`` variant of a tiny package still differs from ``valid``.
    """
    count = round(n * rate)
    if count == 0 and n > first:
        count = 1
    if count == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rows = np.sort(rng.choice(np.arange(first, n), size=count, replace=False))
    kind = np.arange(count) % len(kinds)
    rng.shuffle(kind)
    return rows.astype(np.int64), kind.astype(np.int64)


def _render(df: pl.DataFrame, fields: list[str], rows: np.ndarray, kinds: np.ndarray,
            names: list[str]) -> pl.Series:
    """The CSV lines of a chunk; rows of kind missing-cell, extra-cell, blank-row get that shape."""
    width = len(fields)
    quoted = [_quote(pl.col(c)) for c in fields]
    line = pl.concat_str(quoted, separator=",")
    short = pl.concat_str(quoted[:-1], separator=",")
    row_kind = pl.Series("_k", np.full(df.height, -1, dtype=np.int64))
    row_kind[rows] = kinds
    df = df.with_columns(row_kind)
    return df.select(
        pl.when(pl.col("_k") == names.index("missing-cell")).then(short)
        .when(pl.col("_k") == names.index("extra-cell")).then(line + pl.lit(",surplus"))
        .when(pl.col("_k") == names.index("blank-row")).then(pl.lit("," * (width - 1)))
        .otherwise(line)).to_series()


Bad = Callable[[int, int], "tuple[str, str] | None"]


def _inject(df: pl.DataFrame, rows: np.ndarray, kinds: np.ndarray, bad: Bad) -> pl.DataFrame:
    """Set the erroneous cells (row-shape errors are made when the lines are written).

    ``bad(kind, row)`` gives ``(column, erroneous cell)`` for a cell-level kind, else None.
    """
    cells: dict[str, tuple[list[int], list[str]]] = {}
    for r, k in zip(rows.tolist(), kinds.tolist()):
        hit = bad(k, r)
        if hit:
            where, values = cells.setdefault(hit[0], ([], []))
            where.append(r)
            values.append(hit[1])
    return df.with_columns(df.get_column(c).scatter(where, pl.Series(values, dtype=pl.String))
                           for c, (where, values) in cells.items())


def _expected(resource: str, rows: np.ndarray, kinds: np.ndarray, table_kinds: list,
              primary_key: bool) -> list[tuple]:
    out = []
    for r, k in zip(rows.tolist(), kinds.tolist()):
        _, code, fld = table_kinds[k]
        out.append((resource, r + 2, fld, code))
        if code == "blank-row" and primary_key:  # frictionless: a blank row's key is all null
            out.append((resource, r + 2, None, "primary-key"))
    return out


def _write_chunked(path: Path, fields: list[str], n: int, rows: np.ndarray, kinds: np.ndarray,
                   names: list[str], chunk: Callable[[int, int, np.ndarray, np.ndarray],
                                                     pl.DataFrame], bad: Bad) -> None:
    """Write a table of ``n`` rows, ``CHUNK`` at a time: ``chunk(start, stop, rows, kinds)``
    makes the clean string cells (with the rows' errors in the chunk, relative to ``start``),
    ``bad`` the erroneous ones."""
    with open(path, "wb") as fh:
        fh.write((",".join(fields) + "\n").encode())
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            in_chunk = (rows >= start) & (rows < stop)
            sel, ks = rows[in_chunk] - start, kinds[in_chunk]
            df = _inject(chunk(start, stop, sel, ks), sel, ks, bad)
            _write_lines(fh, _render(df, fields, sel, ks, names))


def _pick(rng: np.random.Generator, pool: pl.Series, m: int) -> pl.Series:
    return pool[rng.integers(0, len(pool), m)]


def _blank_some(rng: np.random.Generator, s: pl.Series, share: float) -> pl.Series:
    """``s`` with about ``share`` of its cells empty (an optional cell left out)."""
    return pl.select(pl.when(pl.Series(rng.random(len(s)) < share)).then(pl.lit(""))
                     .otherwise(s)).to_series().rename(s.name)


def _decimals(ints: np.ndarray, places: int) -> pl.Series:
    """Integers as fixed-point text with ``places`` decimals: -12345, 2 → ``-123.45``."""
    a = np.abs(ints)
    sign = pl.Series(np.where(ints < 0, "-", ""))
    whole = pl.Series(a // 10**places).cast(pl.String)
    frac = pl.Series(a % 10**places).cast(pl.String).str.zfill(places)
    return pl.select(sign + whole + pl.lit(".") + frac).to_series()


def _dates(start: np.datetime64, days: np.ndarray) -> pl.Series:
    return pl.Series((start + days).astype("datetime64[D]")).cast(pl.String)


# ---------------------------------------------------------------- key-heavy


def key_heavy_descriptor(spec: Spec) -> dict:
    uri = {"type": "string", "format": "uri"}
    return {
        "name": "factpack-bench",
        "title": f"factpack benchmark package ({spec.size} statements, {spec.variant})",
        "resources": [
            {
                "name": "actors", "path": "actors.csv", "format": "csv", "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": "id", "type": "string",
                         "constraints": {"required": True, "pattern": "A[0-9]{5}"}},
                        {"name": "name", "type": "string", "constraints": {"required": True}},
                        {"name": "country", "type": "string",
                         "constraints": {"enum": COUNTRIES}},
                        {"name": "born", "type": "date",
                         "constraints": {"minimum": "1900-01-01"}},
                        {"name": "url", **uri},
                    ],
                    "primaryKey": ["id"],
                },
            },
            {
                "name": "statements", "path": "statements.csv", "format": "csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": "id", "type": "string",
                         "constraints": {"required": True, "unique": True,
                                         "pattern": "S[0-9]{9}"}},
                        {"name": "actor_id", "type": "string", "constraints": {"required": True}},
                        {"name": "date", "type": "date",
                         "constraints": {"required": True, "minimum": "1990-01-01",
                                         "maximum": "2026-12-31"}},
                        {"name": "seq", "type": "integer",
                         "constraints": {"required": True, "minimum": 1}},
                        {"name": "kind", "type": "string",
                         "constraints": {"required": True, "enum": KINDS_ENUM}},
                        {"name": "code", "type": "string",
                         "constraints": {"pattern": "[A-Z]{2}-[0-9]{4}"}},
                        {"name": "amount", "type": "number",
                         "constraints": {"minimum": 0, "maximum": 1000000}},
                        {"name": "confidence", "type": "integer",
                         "constraints": {"minimum": 0, "maximum": 100}},
                        {"name": "source_url", **uri, "constraints": {"required": True}},
                        {"name": "quote", "type": "string", "constraints": {"maxLength": 200}},
                        {"name": "note", "type": "string"},
                    ],
                    "primaryKey": ["actor_id", "date", "seq"],
                    "foreignKeys": [{"fields": ["actor_id"],
                                     "reference": {"resource": "actors", "fields": ["id"]}}],
                },
            },
        ],
    }


def write_actors(path: Path, spec: Spec, rng: np.random.Generator) -> list[tuple]:
    n = spec.n_actors
    idx = np.arange(n)
    names = _sentences(rng, 997, newline_every=10**9)
    df = pl.DataFrame({
        "id": _ids("A", idx, 5),
        "name": pl.Series([names[i % 997][:60] + f" {i}" for i in idx]),
        "country": pl.Series(COUNTRIES)[rng.integers(0, len(COUNTRIES), n)],
        "born": pl.Series((np.datetime64("1930-01-01") + rng.integers(0, 27000, n))
                          .astype("datetime64[D]")).cast(pl.String),
        "url": pl.select(pl.lit("https://example.org/actors/") + _ids("A", idx, 5)).to_series(),
    })
    expected = []
    if spec.variant == "errors":
        rows, kinds = _plan(rng, n, ACTOR_KINDS, ERROR_RATE)
        cols = {c: df.get_column(c).to_list() for c in df.columns}
        for r, k in zip(rows.tolist(), kinds.tolist()):
            name, code, fld = ACTOR_KINDS[k]
            if name == "type-date":
                cols["born"][r] = ["1970-02-31", "31/12/1970", "1970-00-10"][r % 3]
            elif name == "required":
                cols["name"][r] = ""
            elif name == "enum":
                cols["country"][r] = ["XX", "ua", "USA"][r % 3]
            elif name == "minimum-date":
                cols["born"][r] = "1899-12-31"
            expected.append(("actors", r + 2, fld, code))
        df = pl.DataFrame(cols)
    lines = df.select(pl.concat_str([_quote(pl.col(c)) for c in ACTOR_FIELDS], separator=","))
    with open(path, "wb") as fh:
        fh.write((",".join(ACTOR_FIELDS) + "\n").encode())
        _write_lines(fh, lines.to_series())
    return expected


def write_statements(path: Path, spec: Spec, rng: np.random.Generator) -> list[tuple]:
    n = spec.size
    pool = pl.Series(_sentences(rng, 4999))
    long_text = ("Довгий текст — " + " ".join(WORDS)) * 3
    plan_rows, plan_kinds = ((np.empty(0, np.int64), np.empty(0, np.int64))
                             if spec.variant != "errors" else _plan(rng, n, KINDS, ERROR_RATE))
    bad = np.zeros(n, dtype=bool)
    bad[plan_rows] = True
    names = [k[0] for k in KINDS]
    dup_kinds = {names.index("unique"), names.index("primary-key")}
    dup_mask = np.isin(plan_kinds, list(dup_kinds))
    sources = dict(zip(plan_rows[dup_mask].tolist(),
                       _pick_sources(rng, plan_rows[dup_mask], bad).tolist()))
    expected = _expected("statements", plan_rows, plan_kinds, KINDS, primary_key=True)

    def chunk(start: int, stop: int, sel: np.ndarray, kinds: np.ndarray) -> pl.DataFrame:
        m = stop - start
        idx = np.arange(start, stop, dtype=np.int64)
        actor = _actor_of(spec, idx)
        days = idx // 1000
        seq = idx % 1000 + 1
        id_src = idx.copy()
        for i, k in zip(sel.tolist(), kinds.tolist()):
            r = start + i
            if names[k] == "unique":  # the id of an earlier clean row
                id_src[i] = sources[r]
            elif names[k] == "primary-key":  # the key of an earlier clean row
                s = sources[r]
                actor[i], days[i], seq[i] = _actor_of(spec, s), s // 1000, s % 1000 + 1
            elif names[k] == "foreign-key":  # an actor that does not exist
                actor[i] = spec.n_actors + r % 1000
            elif names[k] in ("type-date", "maximum-date"):
                seq[i] = 1000 + r  # keeps the key unique although its date is not valid
        return pl.DataFrame({
            "id": _ids("S", id_src, 9),
            "actor_id": _ids("A", actor, 5),
            "date": _dates(DATE0, days),
            "seq": pl.Series(seq).cast(pl.String),
            "kind": pl.Series(KINDS_ENUM)[rng.integers(0, len(KINDS_ENUM), m)],
            "code": _codes(rng, m),
            "amount": _amounts(rng, m),
            "confidence": pl.Series(rng.integers(0, 101, m)).cast(pl.String),
            "source_url": pl.select(pl.lit("https://example.org/s/")
                                    + pl.Series(idx).cast(pl.String)
                                    + pl.lit("?lang=uk#п")).to_series(),
            "quote": pool[rng.integers(0, len(pool), m)],
            "note": pl.Series(np.where(rng.random(m) < 0.1, "перевірено ✓", "")),
        })

    _write_chunked(path, STATEMENT_FIELDS, n, plan_rows, plan_kinds, names, chunk,
                   lambda k, r: _bad_value(KINDS[k][0], r, long_text))
    return expected


def _actor_of(spec: Spec, idx):
    """A row's actor, a pure function of the row index (so a copied key is reproducible)."""
    x = np.asarray(idx, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(spec.seed)
    return (x % np.uint64(spec.n_actors)).astype(np.int64)


def _codes(rng: np.random.Generator, m: int) -> pl.Series:
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    a = letters[rng.integers(0, 26, m)]
    b = letters[rng.integers(0, 26, m)]
    digits = pl.Series(rng.integers(0, 10000, m)).cast(pl.String).str.zfill(4)
    return pl.select(pl.Series(a) + pl.Series(b) + pl.lit("-") + digits).to_series()


def _amounts(rng: np.random.Generator, m: int) -> pl.Series:
    cents = rng.integers(0, 100_000_000, m)
    whole = pl.Series(cents // 100).cast(pl.String)
    frac = pl.Series(cents % 100).cast(pl.String).str.zfill(2)
    return pl.select(whole + pl.lit(".") + frac).to_series()


def _bad_value(name: str, r: int, long_text: str) -> tuple[str, str] | None:
    """(column, erroneous cell) for a cell-level error kind, None for row-level kinds."""
    v = r % 3
    return {
        "type-date": ("date", ["2021-02-30", "31/12/2020", "2021-13-01"][v]),
        "type-number": ("amount", ["1.2.3", "abc", "12 000"][v]),
        "type-integer": ("confidence", ["high", "4.5", "1e2"][v]),
        "type-uri": ("source_url", ["not a uri", "www.example.org/page", "//example.org"][v]),
        "required": ("source_url", ""),
        "enum": ("kind", ["rumour", "Claim", "claims"][v]),
        "pattern": ("code", ["ua-1234", "UA1234", "UAX-12"][v]),
        "minimum": ("amount", ["-0.01", "-5", "-100.50"][v]),
        "maximum": ("confidence", ["101", "150", "1000"][v]),
        "maximum-date": ("date", ["2027-01-01", "2030-06-15", "2099-12-31"][v]),
        "maxLength": ("quote", long_text[: 201 + 20 * v]),
    }.get(name)


def write_key_heavy(folder: Path, spec: Spec) -> list[tuple]:
    expected = write_actors(folder / "actors.csv", spec, np.random.default_rng([spec.seed, 1]))
    return expected + write_statements(folder / "statements.csv", spec,
                                       np.random.default_rng(spec.seed))


# ---------------------------------------------------------------- narrow-numeric

NARROW_FIELDS = ["id", "station", "day", "value", "count", "ok", "share"]
NARROW_DAY0 = np.datetime64("2000-01-01")
NARROW_KINDS = [
    ("type-integer", "type-error", "station"),
    ("type-number", "type-error", "value"),
    ("type-boolean", "type-error", "ok"),
    ("type-date", "type-error", "day"),
    ("required", "constraint-error", "station"),
    ("minimum-integer", "constraint-error", "station"),
    ("maximum-integer", "constraint-error", "count"),
    ("minimum-number", "constraint-error", "value"),
    ("maximum-number", "constraint-error", "share"),
    ("minimum-date", "constraint-error", "day"),
    ("maximum-date", "constraint-error", "day"),
    ("primary-key", "primary-key", None),
    ("missing-cell", "missing-cell", "share"),
    ("extra-cell", "extra-cell", None),
    ("blank-row", "blank-row", None),
]


def narrow_descriptor(spec: Spec) -> dict:
    return {
        "name": "factpack-bench-narrow-numeric",
        "title": f"factpack benchmark package, narrow-numeric ({spec.size} rows, {spec.variant})",
        "resources": [{
            "name": "readings", "path": "readings.csv", "format": "csv", "encoding": "utf-8",
            "schema": {
                "fields": [
                    {"name": "id", "type": "integer",
                     "constraints": {"required": True, "minimum": 1}},
                    {"name": "station", "type": "integer",
                     "constraints": {"required": True, "minimum": 1, "maximum": 999}},
                    {"name": "day", "type": "date",
                     "constraints": {"required": True, "minimum": "2000-01-01",
                                     "maximum": "2030-12-31"}},
                    {"name": "value", "type": "number",
                     "constraints": {"minimum": -1000, "maximum": 1000}},
                    {"name": "count", "type": "integer",
                     "constraints": {"minimum": 0, "maximum": 100000}},
                    {"name": "ok", "type": "boolean"},
                    {"name": "share", "type": "number",
                     "constraints": {"minimum": 0, "maximum": 1}},
                ],
                "primaryKey": ["id"],
            },
        }],
    }


def _narrow_bad(name: str, r: int) -> tuple[str, str] | None:
    v = r % 3
    return {
        "type-integer": ("station", ["x12", "4.5", "1e2"][v]),
        "type-number": ("value", ["1.2.3", "abc", "12 000"][v]),
        "type-boolean": ("ok", ["yes", "t", "2"][v]),
        "type-date": ("day", ["2021-02-30", "31/12/2020", "2021-13-01"][v]),
        "required": ("station", ""),
        "minimum-integer": ("station", ["0", "-3", "-999"][v]),
        "maximum-integer": ("count", ["100001", "250000", "999999"][v]),
        "minimum-number": ("value", ["-1000.01", "-5000", "-99999.99"][v]),
        "maximum-number": ("share", ["1.001", "2", "1.5"][v]),
        "minimum-date": ("day", ["1999-12-31", "1980-06-15", "1900-01-01"][v]),
        "maximum-date": ("day", ["2031-01-01", "2045-06-15", "2099-12-31"][v]),
    }.get(name)


def write_narrow(folder: Path, spec: Spec) -> list[tuple]:
    rng = np.random.default_rng([spec.seed, 2])
    n = spec.size
    rows, kinds = ((np.empty(0, np.int64), np.empty(0, np.int64)) if spec.variant != "errors"
                   else _plan(rng, n, NARROW_KINDS, ERROR_RATE))
    names = [k[0] for k in NARROW_KINDS]
    bad = np.zeros(n, dtype=bool)
    bad[rows] = True
    dup = kinds == names.index("primary-key")
    sources = dict(zip(rows[dup].tolist(), _pick_sources(rng, rows[dup], bad).tolist()))
    flags = pl.Series(["true", "false", "true", "false", "1", "0"])

    def chunk(start: int, stop: int, sel: np.ndarray, ks: np.ndarray) -> pl.DataFrame:
        m = stop - start
        ids = np.arange(start + 1, stop + 1, dtype=np.int64)
        for i, k in zip(sel.tolist(), ks.tolist()):
            if names[k] == "primary-key":  # the id of an earlier clean row
                ids[i] = sources[start + i] + 1
        return pl.DataFrame({
            "id": pl.Series(ids).cast(pl.String),
            "station": pl.Series(rng.integers(1, 1000, m)).cast(pl.String),
            "day": _dates(NARROW_DAY0, rng.integers(0, 11_000, m)),
            "value": _blank_some(rng, _decimals(rng.integers(-100_000, 100_001, m), 2), 0.03),
            "count": pl.Series(rng.integers(0, 100_001, m)).cast(pl.String),
            "ok": _pick(rng, flags, m),
            "share": _blank_some(rng, _decimals(rng.integers(0, 1001, m), 3), 0.05),
        })

    _write_chunked(folder / "readings.csv", NARROW_FIELDS, n, rows, kinds, names, chunk,
                   lambda k, r: _narrow_bad(names[k], r))
    return _expected("readings", rows, kinds, NARROW_KINDS, primary_key=True)


# ---------------------------------------------------------------- wide-text

BODIES = [f"body_{i}" for i in range(1, 9)]
WIDE_FIELDS = ["id", "title", "summary", "status", "language", "category", "author", "email",
               "homepage", "city", "country", "region", "postcode", "phone", "org", "tags",
               *BODIES, "keywords", "source", "license", "channel", "place", "remarks"]
STATUS = ["draft", "published", "retracted", "archived"]
LANGUAGES = ["uk", "en", "de", "fr", "pl", "ja", "el"]
CATEGORIES = ["політика", "економіка", "оборона", "культура", "наука", "спорт", "énergie",
              "santé", "Verkehr", "教育", "περιβάλλον", "transport"]
LICENSES = ["CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0"]
CHANNELS = ["web", "print", "tv", "radio", "telegram", "x.com", "podcast"]
CITIES = ["Київ", "Львів", "Харків", "Kraków", "München", "Zürich", "東京", "Αθήνα",
          "São Paulo", "Washington, D.C.", "Saint-Étienne", "Chișinău", "İstanbul", "Vilnius"]
AUTHORS = ["Олена Коваль", "Іван Петренко", "Jean-Luc Dupont", "Łukasz Żółć", "佐藤 健二",
           "Γιώργος Παπαδόπουλος", "O'Brien, Seán", "Anna-Lena Müller", "Zoë \"Zo\" Smith",
           "Ахмед Алієв", "Maria Nowak", "Ayşe Yılmaz"]
ORGS = ['ТОВ "Дрони України"', "Acme, Inc.", '"Skyline" GmbH', "Fundacja „Wolność”",
        "株式会社ドローン", "Société Générale des Drones", "Міністерство оборони України",
        "U.S. Department of Defense", "Ñandú S.A.", "Ørsted & Co."]
MAILBOXES = ["olena.koval", "ivan.petrenko", "jl.dupont", "lukasz.zolc", "kenji.sato",
             "g.papadopoulos", "sean.obrien", "a.mueller", "zoe+news", "maria_nowak"]
DOMAINS = ["example.org", "example.com.ua", "mail.example.de", "news.example.co.jp"]
WIDE_KINDS = [
    ("type-email", "type-error", "email"),
    ("type-uri", "type-error", "homepage"),
    ("required", "constraint-error", "title"),
    ("enum", "constraint-error", "status"),
    ("enum-category", "constraint-error", "category"),
    ("pattern", "constraint-error", "postcode"),
    ("pattern-phone", "constraint-error", "phone"),
    ("maxLength", "constraint-error", "body_3"),
    ("maxLength-title", "constraint-error", "title"),
    ("minLength", "constraint-error", "summary"),
    ("missing-cell", "missing-cell", "remarks"),
    ("extra-cell", "extra-cell", None),
    ("blank-row", "blank-row", None),
]


def wide_descriptor(spec: Spec) -> dict:
    def text(name: str, **constraints) -> dict:
        field = {"name": name, "type": "string"}
        return field | ({"constraints": constraints} if constraints else {})

    fields = [
        text("id", required=True, pattern="R[0-9]{8}"),
        text("title", required=True, maxLength=120),
        text("summary", minLength=10, maxLength=300),
        text("status", required=True, enum=STATUS),
        text("language", enum=LANGUAGES),
        text("category", enum=CATEGORIES),
        text("author", maxLength=80),
        {"name": "email", "type": "string", "format": "email"},
        {"name": "homepage", "type": "string", "format": "uri"},
        text("city"),
        text("country", pattern="[A-Z]{2}"),
        text("region", pattern="[A-Z]{2}-[A-Z0-9]{1,3}"),
        text("postcode", pattern="[0-9]{5}"),
        text("phone", pattern="\\+[0-9]{7,14}"),
        text("org"),
        text("tags", maxLength=200),
        *(text(b, maxLength=400) for b in BODIES),
        text("keywords"),
        text("source"),
        text("license", enum=LICENSES),
        text("channel"),
        text("place"),
        text("remarks"),
    ]
    assert [f["name"] for f in fields] == WIDE_FIELDS
    return {
        "name": "factpack-bench-wide-text",
        "title": f"factpack benchmark package, wide-text ({spec.size} rows, {spec.variant})",
        "resources": [{"name": "records", "path": "records.csv", "format": "csv",
                       "encoding": "utf-8", "schema": {"fields": fields}}],
    }


LONG_TEXT = ("Довгий текст, «з лапками» і \"quoted\" — " + " ".join(WORDS) + ". ") * 3


def _wide_bad(name: str, r: int) -> tuple[str, str] | None:
    v = r % 3
    return {
        "type-email": ("email", ["ivan.petrenko.example.org", "ivan@@example.org",
                                 "ivan petrenko@example.org"][v]),
        "type-uri": ("homepage", ["not a uri", "www.example.org/page", "//example.org"][v]),
        "required": ("title", ""),
        "enum": ("status", ["Draft", "deleted", "publish"][v]),
        "enum-category": ("category", ["Політика", "economy", "науки"][v]),
        "pattern": ("postcode", ["1234", "ABCDE", "123456"][v]),
        "pattern-phone": ("phone", ["380501234567", "+38 050 123", "+"][v]),
        "maxLength": ("body_3", LONG_TEXT[: 401 + 20 * v]),
        "maxLength-title": ("title", LONG_TEXT[: 121 + 5 * v]),
        "minLength": ("summary", ["short", "ok ✓", "дрони"][v]),
    }.get(name)


def write_wide(folder: Path, spec: Spec) -> list[tuple]:
    rng = np.random.default_rng([spec.seed, 3])
    n = spec.size
    rows, kinds = ((np.empty(0, np.int64), np.empty(0, np.int64)) if spec.variant != "errors"
                   else _plan(rng, n, WIDE_KINDS, ERROR_RATE))
    names = [k[0] for k in WIDE_KINDS]
    texts = pl.Series(_sentences(rng, 4999))
    notes = pl.Series(_sentences(rng, 4999, n_words=(2, 8)))  # shorter, for the 8 bodies
    summaries = texts.filter(texts.str.len_chars() >= 10)
    titles = pl.Series([t[:100] for t in _sentences(rng, 1999, newline_every=10**9)])
    tags = pl.Series([";".join(WORDS[j] for j in rng.integers(0, len(WORDS), int(k)))
                      for k in rng.integers(1, 6, 997)])
    keywords = pl.Series([", ".join(WORDS[j] for j in rng.integers(0, len(WORDS), int(k)))
                          for k in rng.integers(1, 5, 997)])
    pools = {name: pl.Series(values) for name, values in (
        ("status", STATUS), ("language", LANGUAGES), ("category", CATEGORIES),
        ("license", LICENSES), ("channel", CHANNELS), ("city", CITIES), ("author", AUTHORS),
        ("org", ORGS), ("mailbox", MAILBOXES), ("domain", DOMAINS), ("country", COUNTRIES))}
    upper = pl.Series(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))

    def chunk(start: int, stop: int, sel: np.ndarray, ks: np.ndarray) -> pl.DataFrame:
        m = stop - start
        idx = pl.Series(np.arange(start, stop, dtype=np.int64)).cast(pl.String)
        p = {name: _pick(rng, pool, m) for name, pool in pools.items()}
        cols = {
            "id": _ids("R", np.arange(start, stop, dtype=np.int64), 8),
            "title": _pick(rng, titles, m),
            "summary": _blank_some(rng, _pick(rng, summaries, m), 0.1),
            "status": p["status"],
            "language": p["language"],
            "category": p["category"],
            "author": p["author"],
            "email": _blank_some(rng, pl.select(p["mailbox"] + idx + pl.lit("@")
                                                + p["domain"]).to_series(), 0.05),
            "homepage": pl.select(pl.lit("https://example.org/r/") + idx + pl.lit("?lang=")
                                  + p["language"] + pl.lit("#п")).to_series(),
            "city": p["city"],
            "country": p["country"],
            "region": pl.select(p["country"] + pl.lit("-") + _pick(rng, upper, m)
                                + _pick(rng, upper, m)).to_series(),
            "postcode": pl.Series(rng.integers(0, 100_000, m)).cast(pl.String).str.zfill(5),
            "phone": pl.select(pl.lit("+380") + pl.Series(rng.integers(10**8, 10**9, m))
                               .cast(pl.String)).to_series(),
            "org": p["org"],
            "tags": _pick(rng, tags, m),
            **{b: _blank_some(rng, _pick(rng, notes, m), 0.3) for b in BODIES},
            "keywords": _pick(rng, keywords, m),
            "source": _pick(rng, texts, m),
            "license": p["license"],
            "channel": p["channel"],
            "place": pl.select(p["city"] + pl.lit(", ") + p["country"]).to_series(),
            "remarks": _blank_some(rng, _pick(rng, texts, m), 0.8),
        }
        return pl.DataFrame({name: s.rename(name) for name, s in cols.items()})

    _write_chunked(folder / "records.csv", WIDE_FIELDS, n, rows, kinds, names, chunk,
                   lambda k, r: _wide_bad(names[k], r))
    return _expected("records", rows, kinds, WIDE_KINDS, primary_key=False)


# ---------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    descriptor: Callable[[Spec], dict]
    write: Callable[[Path, Spec], list[tuple]]  # the CSV files into a folder → expected errors
    kinds: dict[str, list]  # resource → its error kinds (name, code, field)


PROFILES = {p.name: p for p in (
    Profile("key-heavy", "actors + statements: composite primary key, unique, foreign key",
            key_heavy_descriptor, write_key_heavy,
            {"actors": ACTOR_KINDS, "statements": KINDS}),
    Profile("narrow-numeric", "7 columns: integers, numbers, booleans, dates with bounds, "
            "integer primary key", narrow_descriptor, write_narrow, {"readings": NARROW_KINDS}),
    Profile("wide-text", "30 string columns: non-ASCII free text, patterns, enums, "
            "min/maxLength, email and uri formats", wide_descriptor, write_wide,
            {"records": WIDE_KINDS}),
)}


def descriptor(spec: Spec) -> dict:
    return PROFILES[spec.profile].descriptor(spec)


# ---------------------------------------------------------------- entry points


def generate(spec: Spec, out: Path) -> Path:
    """Write the package of ``spec`` into ``out`` (replaced); return the descriptor path."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    expected = PROFILES[spec.profile].write(tmp, spec)
    (tmp / "datapackage.json").write_text(json.dumps(descriptor(spec), indent=2) + "\n")
    with open(tmp / "expected-errors.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["resource", "row", "field", "code"])
        w.writerows((r, row, f or "", c) for r, row, f, c in expected)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out / "datapackage.json"


def ensure(spec: Spec, root: Path = DATA) -> Path:
    """The cached package of ``spec`` under ``build/bench/data/``, generated if missing."""
    out = root / spec.key
    if not (out / "datapackage.json").is_file():
        generate(spec, out)
    return out / "datapackage.json"


def expected_errors(package: Path) -> set[tuple]:
    """The injected errors, as ``(resource, row, field or None, code)``."""
    with open(Path(package).parent / "expected-errors.csv", encoding="utf-8") as fh:
        return {(r["resource"], int(r["row"]), r["field"] or None, r["code"])
                for r in csv.DictReader(fh)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=list(PROFILES), default=DEFAULT_PROFILE)
    ap.add_argument("--size", type=int, default=100_000, help="rows of the main table")
    ap.add_argument("--variant", choices=["valid", "errors"], default="errors")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--actors", type=int, default=None,
                    help=f"key-heavy: rows of actors (default min({ACTORS}, size))")
    ap.add_argument("--out", type=Path, help="folder (default: the cache under build/bench/data)")
    a = ap.parse_args(argv)
    spec = Spec(a.size, a.variant, a.seed, a.actors, a.profile)
    path = generate(spec, a.out) if a.out else ensure(spec)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
