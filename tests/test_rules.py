"""Layer 3: each rule is broken on a tiny table and must report where; the real dataset passes."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import polars as pl
import pytest
import yaml

from factpack.validation.rules.context import normalise
from factpack.validation.rules.run import check_rules

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO / "datasets" / "ukraine-us-drone-deal"
SEED_TEXT = 'Zelensky said: \u201cWe are ready.\u201d\nIt is a deal worth 10-20-30 billion USD,   he said.\n'


def frame(rows: list[dict], first_line: int = 2) -> pl.DataFrame:
    """A table as layer 2 hands it over: text columns, then _row and _line."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    df = pl.DataFrame({c: [r.get(c) for r in rows] for c in cols}, schema={c: pl.String for c in cols})
    return df.with_columns(
        pl.int_range(2, len(rows) + 2, dtype=pl.Int64).alias("_row"),
        pl.int_range(first_line, first_line + len(rows), dtype=pl.Int64).alias("_line"),
    )


def run(tables: dict[str, pl.DataFrame], root: Path = REPO, **kw):
    paths = {name: f"data/{name}.csv" for name in tables}
    return check_rules(tables, paths, root, **kw)


def only(errors, rule: str):
    found = [e for e in errors if e.rule == rule]
    assert all(e.code == "rule-error" for e in found)
    return found


def where(errors):
    return [(e.resource, e.row, e.line, e.field) for e in errors]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text(SEED_TEXT, encoding="utf-8")
    return tmp_path


def sources(root: Path, **extra) -> pl.DataFrame:
    digest = hashlib.sha256((root / "seeds" / "a.txt").read_bytes()).hexdigest()
    row = {"id": "art", "archive_path": "seeds/a.txt", "archive_sha256": digest, **extra}
    return frame([row, {"id": "web", "archive_path": None, "archive_sha256": None}])


# --------------------------------------------------------------------------- dates


def test_date_calendar_rejects_impossible_dates():
    roles = frame([{"id": "a", "start_on": "2025-02-30"}, {"id": "b", "start_on": "2024-02-29"},
                   {"id": "c", "start_on": "2025-13"}, {"id": "d", "start_on": "not-a-date"}])
    figures = frame([{"id": "f", "as_of": "2025-06-31"}], first_line=7)
    errors = only(run({"roles": roles, "figures": figures}), "date-calendar")
    assert where(errors) == [("figures", 2, 7, "as_of"), ("roles", 2, 2, "start_on"),
                             ("roles", 4, 4, "start_on")]
    assert errors[1].value == "2025-02-30" and "calendar" in errors[1].message


def test_date_order_compares_earliest_and_latest_day():
    roles = frame([
        {"id": "bad", "start_on": "2025-07-17", "end_on": "2025-07-16"},
        {"id": "month", "start_on": "2025-07-17", "end_on": "2025-07"},  # may end on 31 July
        {"id": "open", "start_on": "2025-07-17", "end_on": None},
    ])
    statements = frame([
        {"id": "s", "said_on": "2025-07-24", "reported_on": "2025-07-23"},
        {"id": "t", "said_on": "2025-07-24", "reported_on": "2025-07-25"},
        {"id": "u", "said_on": "2025-08", "reported_on": "2025-07"},
    ])
    errors = only(run({"roles": roles, "statements": statements}), "date-order")
    assert where(errors) == [("roles", 2, 2, "end_on"), ("statements", 2, 2, "reported_on"),
                             ("statements", 4, 4, "reported_on")]


# --------------------------------------------------------------------------- figures


def test_figure_range():
    figures = frame([
        {"id": "ok", "value_low": "10000000000", "value_high": "30000000000", "value": None},
        {"id": "swapped", "value_low": "30", "value_high": "10", "value": None},
        {"id": "outside", "value_low": "10", "value_high": "30", "value": "40"},
        {"id": "garbage", "value_low": "ten", "value_high": "3", "value": None},
    ])
    errors = only(run({"figures": figures}), "figure-range")
    assert where(errors) == [("figures", 3, 3, "value_high"), ("figures", 4, 4, "value")]


def test_figure_currency():
    figures = frame([
        {"id": "a", "quantity": "money", "currency": "USD", "unit": None},
        {"id": "b", "quantity": "money", "currency": None, "unit": None},
        {"id": "c", "quantity": "units", "currency": "USD", "unit": "drone"},
        {"id": "d", "quantity": "years", "currency": None, "unit": None},
        {"id": "e", "quantity": "money", "currency": "USD", "unit": "dollar"},
    ])
    errors = only(run({"figures": figures}), "figure-currency")
    assert where(errors) == [("figures", 3, 3, "currency"), ("figures", 4, 4, "currency"),
                             ("figures", 5, 5, "unit"), ("figures", 6, 6, "unit")]


def test_figure_units_amounts_in_whole_units():
    figures = frame([
        {"id": "ok", "quantity": "money", "value_low": "10000000000", "value_high": "30000000000",
         "value": None, "value_text": "10-20-30 billion USD"},
        {"id": "billions", "quantity": "money", "value_low": "10", "value_high": "30",
         "value": None, "value_text": "10-20-30 billion USD"},
        {"id": "half", "quantity": "money", "value_low": None, "value_high": None,
         "value": "500000000", "value_text": "0.5 billion"},
        {"id": "years", "quantity": "years", "value_low": None, "value_high": None,
         "value": "5", "value_text": "50 billion over 5 years"},
        {"id": "plain", "quantity": "units", "value_low": None, "value_high": None,
         "value": "12", "value_text": "12 drones"},
    ])
    errors = only(run({"figures": figures}), "figure-units")
    assert where(errors) == [("figures", 3, 3, "value_low"), ("figures", 3, 3, "value_high")]


# --------------------------------------------------------------------------- codes


def test_iso_country():
    actors = frame([{"id": "a", "country": "UA"}, {"id": "b", "country": "XX"}, {"id": "c", "country": None},
                    {"id": "d", "country": "usa"}])
    policies = frame([{"id": "p", "jurisdiction": "ZZ"}])
    errors = only(run({"actors": actors, "policies": policies}), "iso-country")
    assert where(errors) == [("actors", 3, 3, "country"), ("actors", 5, 5, "country"),
                             ("policies", 2, 2, "jurisdiction")]
    # A cell that fails the field's own pattern is reported by layer 2, not twice.
    schemas = {"actors": {"fields": [{"name": "country", "type": "string",
                                      "constraints": {"pattern": "^[A-Z]{2}$"}}]}}
    errors = only(run({"actors": actors}, schemas=schemas), "iso-country")
    assert where(errors) == [("actors", 3, 3, "country")]
    schemas["actors"]["fields"][0]["constraints"]["pattern"] = "^(?=[A-Z])[A-Z]{2}$"  # not runnable
    assert len(only(run({"actors": actors}, schemas=schemas), "iso-country")) == 2


def test_iso_currency():
    figures = frame([{"id": "a", "currency": "USD"}, {"id": "b", "currency": "ABC"}])
    assert where(only(run({"figures": figures}), "iso-currency")) == [("figures", 3, 3, "currency")]


def test_bcp47_language():
    names = frame([{"actor_id": "a", "language": "uk"}, {"actor_id": "b", "language": "en-US"},
                   {"actor_id": "c", "language": "english!"}])
    assert where(only(run({"actor_names": names}), "bcp47-language")) == [
        ("actor_names", 4, 4, "language")]


# --------------------------------------------------------------------------- archived text


def test_evidence_in_source(repo):
    statements = frame([
        {"id": "a", "source_id": "art", "evidence": "deal worth 10-20-30 billion USD, he said"},
        {"id": "b", "source_id": "art", "evidence": None},
        {"id": "c", "source_id": "art", "evidence": "a deal worth 50 billion"},
        {"id": "d", "source_id": "web", "evidence": None},  # no archived text: nothing to check
        {"id": "e", "source_id": "art", "evidence": '"We are ready."'},  # straight vs curly quotes
    ])
    errors = only(run({"sources": sources(repo), "statements": statements}, root=repo),
                  "evidence-in-source")
    assert where(errors) == [("statements", 3, 3, "evidence"), ("statements", 4, 4, "evidence")]
    assert "seeds/a.txt" in errors[1].message


def test_quote_in_source(repo):
    statements = frame([
        {"id": "a", "mode": "direct-quote", "source_id": "art", "text": "We are ready."},
        {"id": "b", "mode": "direct-quote", "source_id": "art", "text": "We are not ready."},
        {"id": "c", "mode": "paraphrase", "source_id": "art", "text": "He is ready."},
    ])
    errors = only(run({"sources": sources(repo), "statements": statements}, root=repo),
                  "quote-in-source")
    assert where(errors) == [("statements", 3, 3, "text")]


def test_value_text_in_source(repo):
    figures = frame([
        {"id": "a", "source_id": "art", "value_text": "10-20-30 billion USD"},
        {"id": "b", "source_id": "art", "value_text": "$10–30 billion"},
    ])
    errors = only(run({"sources": sources(repo), "figures": figures}, root=repo),
                  "value-text-in-source")
    assert where(errors) == [("figures", 3, 3, "value_text")]


def test_normalise_folds_quotes_whitespace_and_nfc():
    assert normalise("\u201cIt\u2019s\u201d \n\t ok") == '"It\'s" ok'
    assert normalise("Zelensk\u0301yi") == normalise("Zelens\u1e31yi") == "Zelens\u1e31yi"


def test_archive_hash(repo):
    (repo / "outside.txt").write_text("x", encoding="utf-8")
    os.symlink(repo / "seeds" / "a.txt", repo / "seeds" / "link.txt")
    rows = sources(repo).drop("_row", "_line").to_dicts()[:1]
    table = frame([
        rows[0],
        {"id": "bad-hash", "archive_path": "seeds/a.txt", "archive_sha256": "0" * 64},
        {"id": "escape", "archive_path": "seeds/../outside.txt", "archive_sha256": "0" * 64},
        {"id": "absolute", "archive_path": str(repo / "seeds" / "a.txt"), "archive_sha256": "0" * 64},
        {"id": "link", "archive_path": "seeds/link.txt", "archive_sha256": "0" * 64},
        {"id": "missing", "archive_path": "seeds/none.txt", "archive_sha256": "0" * 64},
        {"id": "no-hash", "archive_path": "seeds/a.txt", "archive_sha256": None},
    ])
    errors = only(run({"sources": table}, root=repo), "archive-hash")
    assert where(errors) == [
        ("sources", 3, 3, "archive_sha256"), ("sources", 4, 4, "archive_path"),
        ("sources", 5, 5, "archive_path"), ("sources", 6, 6, "archive_path"),
        ("sources", 7, 7, "archive_path"), ("sources", 8, 8, "archive_sha256"),
    ]
    assert "symbolic link" in errors[3].message and "does not exist" in errors[4].message


def test_unsafe_archive_is_never_read(repo):
    (repo / "secret.txt").write_text("top secret words", encoding="utf-8")
    table = frame([{"id": "art", "archive_path": "seeds/../secret.txt", "archive_sha256": None}])
    statements = frame([{"id": "s", "source_id": "art", "evidence": "top secret words",
                         "mode": "direct-quote", "text": "nothing like it"}])
    errors = run({"sources": table, "statements": statements}, root=repo)
    assert {e.rule for e in errors} == {"archive-hash"}


# --------------------------------------------------------------------------- roles


def test_role_held():
    roles = frame([
        {"id": "r1", "actor_id": "shmyhal", "start_on": "2025-07-17", "end_on": "2026-01"},
        {"id": "r2", "actor_id": "umerov", "start_on": "2025-07-18", "end_on": None},
        {"id": "r3", "actor_id": "zelensky", "start_on": None, "end_on": None},
    ])
    statements = frame([
        {"id": "a", "speaker_id": "shmyhal", "said_on": "2025-07-20", "notes": None},
        {"id": "b", "speaker_id": "shmyhal", "said_on": "2026-02-01", "notes": None},
        {"id": "c", "speaker_id": "umerov", "said_on": "2025-07-01", "notes": "spoke as Defence Minister"},
        {"id": "d", "speaker_id": "umerov", "said_on": "2025-07-01", "notes": None},
        {"id": "e", "speaker_id": "umerov", "said_on": "2025-07", "notes": None},  # may be 18-31 July
        {"id": "f", "speaker_id": "nobody", "said_on": "2025-07-01", "notes": None},  # no roles at all
        {"id": "g", "speaker_id": "zelensky", "said_on": "2025-07-24", "notes": None},
        {"id": "h", "speaker_id": "shmyhal", "said_on": None, "notes": None},
    ])
    errors = only(run({"roles": roles, "statements": statements}), "role-held")
    assert where(errors) == [("statements", 3, 3, "said_on"), ("statements", 5, 5, "said_on")]


# --------------------------------------------------------------------------- discrepancies


def test_discrepancy_target(repo):
    policies = frame([{"id": "eo", "title": "Unleashing American Drone Dominance"},
                      {"id": "wrong", "title": "Building American Drone Dominance"}])
    base = {"source_id": "art", "resource": "policies", "record_id": "eo", "field": "title",
            "reported_value": "We are ready.", "verified_value": "Unleashing American Drone Dominance"}
    discrepancies = frame([
        base,
        {**base, "resource": "nowhere"},
        {**base, "record_id": "missing"},
        {**base, "field": "colour"},
        {**base, "reported_value": "Building American Drone Dominance"},  # not in the article
        {**base, "record_id": "wrong", "reported_value": "We are ready.",
         "verified_value": "Unleashing American Drone Dominance"},  # record not corrected
    ])
    tables = {"sources": sources(repo), "policies": policies, "discrepancies": discrepancies}
    errors = only(run(tables, root=repo), "discrepancy-target")
    assert where(errors) == [
        ("discrepancies", 3, 3, "resource"), ("discrepancies", 4, 4, "record_id"),
        ("discrepancies", 5, 5, "field"), ("discrepancies", 6, 6, "reported_value"),
        ("discrepancies", 7, 7, "verified_value"),
    ]


def test_discrepancy_record_still_holding_reported_value(repo):
    policies = frame([{"id": "eo", "title": "We are ready."}])
    discrepancies = frame([{"source_id": "art", "resource": "policies", "record_id": "eo", "field": "title",
                            "reported_value": "We are ready.", "verified_value": "Checked title"}])
    tables = {"sources": sources(repo), "policies": policies, "discrepancies": discrepancies}
    errors = only(run(tables, root=repo), "discrepancy-target")
    assert where(errors) == [("discrepancies", 2, 2, "verified_value")]
    assert "still holds the reported value" in errors[0].message


# --------------------------------------------------------------------------- release, formula


def test_no_draft_only_in_a_release():
    deals = frame([{"id": "a", "review_status": "checked"}, {"id": "b", "review_status": "draft"}])
    assert where(only(run({"deals": deals}), "no-draft")) == [("deals", 3, 3, "review_status")]
    assert only(run({"deals": deals}, release=False), "no-draft") == []


def test_formula_in_any_table_string_fields_only():
    table = frame([{"name": "=HYPERLINK(1)", "amount": "-5", "note": "ok"},
                   {"name": "fine", "amount": "3", "note": "@SUM(A1)"},
                   {"name": "\tx", "amount": "1", "note": "+1"}])
    schemas = {"anything": {"fields": [{"name": "name", "type": "string"},
                                       {"name": "amount", "type": "integer"},
                                       {"name": "note", "type": "string", "allowFormulaPrefix": True}]}}
    errors = only(run({"anything": table}, schemas=schemas), "formula")
    assert where(errors) == [("anything", 2, 2, "name"), ("anything", 4, 4, "name")]
    # Without schemas every column counts as text, so the negative number is flagged too.
    untyped = only(run({"anything": table}), "formula")
    assert ("anything", 2, 2, "amount") in where(untyped) and len(untyped) == 5


def test_rules_tolerate_garbage_and_missing_columns(repo):
    tables = {
        "sources": frame([{"id": None, "archive_path": "../../etc/passwd"}]),
        "statements": frame([{"id": "x", "said_on": "2025-99-99", "speaker_id": None, "mode": None}]),
        "figures": frame([{"id": "f", "quantity": None, "value": "1e999"}]),
        "discrepancies": frame([{"id": "d", "resource": None}]),
        "roles": frame([{"id": "r"}]),
        "empty": pl.DataFrame({"a": []}, schema={"a": pl.String}),
    }
    errors = run(tables, root=repo)
    assert {e.rule for e in errors} <= {"archive-hash", "date-calendar"}


# --------------------------------------------------------------------------- the real dataset


def read_table(path: Path) -> pl.DataFrame:
    """A CSV as the validator hands it to the rules, with physical start lines."""
    starts, previous = [], 0
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        for _ in reader:
            starts.append(previous + 1)
            previous = reader.line_num
    df = pl.read_csv(path, infer_schema=False)
    return df.with_columns(pl.int_range(2, df.height + 2, dtype=pl.Int64).alias("_row"),
                           pl.Series("_line", starts[1:], dtype=pl.Int64))


def test_read_table_counts_quoted_newlines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,"two\nlines"\n3,x\n', encoding="utf-8")
    assert read_table(path).get_column("_line").to_list() == [2, 4]


def test_real_dataset_passes_every_rule():
    meta = yaml.safe_load((DATASET / "dataset.yaml").read_text(encoding="utf-8"))
    tables, paths, schemas = {}, {}, {}
    for name in meta["resources"]:
        path = DATASET / "data" / f"{name}.csv"
        tables[name] = read_table(path)
        paths[name] = str(path.relative_to(REPO))
        schemas[name] = yaml.safe_load((REPO / "schemas" / f"{name}.yaml").read_text(encoding="utf-8"))
    errors = check_rules(tables, paths, REPO, release=True, schemas=schemas)
    assert errors == [], "\n".join(e.message for e in errors)
