"""Seeded generator of synthetic Frictionless data packages for the benchmark.

A package holds two CSV tables:

* ``actors`` (10 000 rows by default): ``id`` primary key, a non-ASCII ``name``,
  an enum ``country``, a ``born`` date with a minimum, a ``url`` (format uri);
* ``statements`` (``size`` rows): a composite primary key
  ``(actor_id, date, seq)``, ``id`` with ``unique`` and a ``pattern``, a foreign
  key ``actor_id`` → ``actors.id``, bounded ``date``/``amount``/``confidence``,
  an enum ``kind``, a pattern ``code``, a required ``source_url`` (format uri),
  free text ``quote`` with non-ASCII, commas, quotes and a few newlines
  (``maxLength`` 200), and an optional ``note``.

Variant ``valid`` has no error. Variant ``errors`` puts one error on about 1 % of
the rows of each table, cycling through every kind in :data:`KINDS` (type-error,
constraint-error required/enum/pattern/minimum/maximum/maxLength, unique-error,
primary-key, foreign-key, missing-cell, extra-cell, blank-row). The expected
error set, as ``(resource, row, field, code)`` normalised like
``tests/test_conformance.py`` (no field for row-level codes), is written to
``expected-errors.csv`` next to the descriptor. It is what frictionless-py
reports, including its one surprise: a blank row in a table with a primary key
is also a ``primary-key`` error (its key cells are all null). Keys stay unique
where they are not meant to repeat (a row whose date is not valid gets a
``seq`` of its own), so no error appears by chance, at any size.

Everything is drawn from ``numpy.random.default_rng(seed)`` and the tables are
written in chunks of rows (polars string columns, one pre-quoted CSV line per
row), so 10 M rows take a minute or two and little memory. The same
``(seed, size, variant)`` gives byte-identical files.

    python bench/generate.py --size 100000 --variant errors --out /tmp/pkg
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "build" / "bench" / "data"
GENERATOR_VERSION = 1  # bump when the output changes, so cached packages are rebuilt
CHUNK = 500_000
ERROR_RATE = 0.01

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
    actors: int = 10_000

    @property
    def key(self) -> str:
        return f"s{self.seed}-n{self.size}-a{self.actors}-{self.variant}-g{GENERATOR_VERSION}"


def descriptor(spec: Spec) -> dict:
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


# ---------------------------------------------------------------- helpers


def _sentences(rng: np.random.Generator, n: int, newline_every: int = 40) -> list[str]:
    """A pool of free-text cells (≤ 200 characters), some with commas, quotes, newlines."""
    out = []
    for i in range(n):
        k = int(rng.integers(3, 16))
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
    """Row indices (sorted) that get an error, and the kind index of each."""
    count = round(n * rate)
    if count == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rows = np.sort(rng.choice(np.arange(first, n), size=count, replace=False))
    kind = np.arange(count) % len(kinds)
    rng.shuffle(kind)
    return rows.astype(np.int64), kind.astype(np.int64)


# ---------------------------------------------------------------- tables


def write_actors(path: Path, spec: Spec, rng: np.random.Generator) -> list[tuple]:
    n = spec.actors
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
    n, width = spec.size, len(STATEMENT_FIELDS)
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
    expected = []
    for r, k in zip(plan_rows.tolist(), plan_kinds.tolist()):
        _, code, fld = KINDS[k]
        expected.append(("statements", r + 2, fld, code))
        if code == "blank-row":  # frictionless: a blank row's primary key is all null
            expected.append(("statements", r + 2, None, "primary-key"))

    with open(path, "wb") as fh:
        fh.write((",".join(STATEMENT_FIELDS) + "\n").encode())
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            m = stop - start
            idx = np.arange(start, stop, dtype=np.int64)
            actor = _actor_of(spec, idx)
            days = idx // 1000
            seq = idx % 1000 + 1
            in_chunk = (plan_rows >= start) & (plan_rows < stop)
            sel, kinds = plan_rows[in_chunk], plan_kinds[in_chunk]
            id_src = idx.copy()
            for r, k in zip(sel.tolist(), kinds.tolist()):
                i = r - start
                if names[k] == "unique":  # the id of an earlier clean row
                    id_src[i] = sources[r]
                elif names[k] == "primary-key":  # the key of an earlier clean row
                    s = sources[r]
                    actor[i], days[i], seq[i] = _actor_of(spec, s), s // 1000, s % 1000 + 1
                elif names[k] == "foreign-key":  # an actor that does not exist
                    actor[i] = spec.actors + r % 1000
                elif names[k] in ("type-date", "maximum-date"):
                    seq[i] = 1000 + r  # keeps the key unique although its date is not valid
            df = pl.DataFrame({
                "id": _ids("S", id_src, 9),
                "actor_id": _ids("A", actor, 5),
                "date": pl.Series((DATE0 + days).astype("datetime64[D]")).cast(pl.String),
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
            df = _inject(df, sel - start, kinds, long_text)
            quoted = [_quote(pl.col(c)) for c in STATEMENT_FIELDS]
            line = pl.concat_str(quoted, separator=",")
            short = pl.concat_str(quoted[:-1], separator=",")
            row_kind = pl.Series("_k", np.full(m, -1, dtype=np.int64))
            row_kind[sel - start] = kinds
            df = df.with_columns(row_kind)
            lines = df.select(
                pl.when(pl.col("_k") == names.index("missing-cell")).then(short)
                .when(pl.col("_k") == names.index("extra-cell")).then(line + pl.lit(",surplus"))
                .when(pl.col("_k") == names.index("blank-row")).then(pl.lit("," * (width - 1)))
                .otherwise(line)).to_series()
            _write_lines(fh, lines)
    return expected


def _actor_of(spec: Spec, idx):
    """A row's actor, a pure function of the row index (so a copied key is reproducible)."""
    x = np.asarray(idx, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(spec.seed)
    return (x % np.uint64(spec.actors)).astype(np.int64)


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


def _inject(df: pl.DataFrame, rows: np.ndarray, kinds: np.ndarray, long_text: str) -> pl.DataFrame:
    """Set the erroneous cells (row-shape errors are made when the lines are written)."""
    cells: dict[str, tuple[list[int], list[str]]] = {}
    for r, k in zip(rows.tolist(), kinds.tolist()):
        hit = _bad_value(KINDS[k][0], r, long_text)
        if hit:
            where, values = cells.setdefault(hit[0], ([], []))
            where.append(r)
            values.append(hit[1])
    return df.with_columns(df.get_column(c).scatter(where, pl.Series(values, dtype=pl.String))
                           for c, (where, values) in cells.items())


# ---------------------------------------------------------------- entry points


def generate(spec: Spec, out: Path) -> Path:
    """Write the package of ``spec`` into ``out`` (replaced); return the descriptor path."""
    rng = np.random.default_rng(spec.seed)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    expected = write_actors(tmp / "actors.csv", spec, np.random.default_rng([spec.seed, 1]))
    expected += write_statements(tmp / "statements.csv", spec, rng)
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
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--variant", choices=["valid", "errors"], default="errors")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--actors", type=int, default=10_000)
    ap.add_argument("--out", type=Path, help="folder (default: the cache under build/bench/data)")
    a = ap.parse_args(argv)
    spec = Spec(a.size, a.variant, a.seed, a.actors)
    path = generate(spec, a.out) if a.out else ensure(spec)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
