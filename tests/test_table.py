"""Layer 2 (validation/tables/, spec/fieldtypes/): row and line numbers, header handling, and each
field type judged exactly as frictionless-py judges a cell (property tests)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import frictionless
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factpack.spec import fieldtypes
from factpack.spec.fieldtypes import numbers
from factpack.spec.models import Field
from factpack.validation.run import validate_target
from factpack.validation.tables import read as table_read
from factpack.validation.tables import run as table_run
from factpack.validation.tables.result import ERROR_COLUMNS
from factpack.validation.tables.rows import MAX_CELL_BYTES


def package(tmp: Path, csv: str, fields: list[dict] | None, **schema) -> Path:
    (tmp / "data.csv").write_text(csv, encoding="utf-8")
    res = {"name": "data", "path": "data.csv"}
    if fields is not None:
        res["schema"] = {"fields": fields, **schema}
    (tmp / "datapackage.json").write_text(json.dumps({"name": "t", "resources": [res]}))
    return tmp / "datapackage.json"


def found(path: Path) -> list[tuple]:
    report = validate_target(path, path.parent)
    return report.errors.select("code", "row", "line", "field").rows()


def test_rows_and_lines_with_quoted_newlines_and_ragged_rows(tmp_path: Path) -> None:
    csv = ('id,text\n'
           '1,"two\nlines"\n'          # row 2 spans lines 2-3
           '2\n'                       # row 3, line 4: a cell is missing
           'x,"a\nb\nc"\n'             # row 4, lines 5-7: type error
           '4,ok,extra\n')             # row 5, line 8: an extra cell
    path = package(tmp_path, csv, [{"name": "id", "type": "integer"},
                                   {"name": "text", "type": "string"}])
    assert found(path) == [("missing-cell", 3, 4, "text"), ("type-error", 4, 5, "id"),
                           ("extra-cell", 5, 8, None)]


def test_comment_rows_before_the_header_are_skipped(tmp_path: Path) -> None:
    # frictionless takes as header the first row near the average width of the first rows
    csv = "# produced by hand\nid,name,size\n1,a,3\n2,b,x\n3,c,4\n4,d,5\n5,e,6\n"
    path = package(tmp_path, csv, [{"name": "id", "type": "integer"},
                                   {"name": "name", "type": "string"},
                                   {"name": "size", "type": "integer"}])
    assert found(path) == [("type-error", 4, 4, "size")]  # frictionless numbers: header row 2


def test_resource_without_schema_names_fields_from_the_header(tmp_path: Path) -> None:
    path = package(tmp_path, "id,,id\n1,2,3\n4,5\n", None)
    assert found(path) == [("blank-label", 1, 1, "field2"), ("duplicate-label", 1, 1, "id2"),
                           ("missing-cell", 3, 3, "id2")]


def test_errors_are_a_polars_frame_with_the_record_columns(tmp_path: Path) -> None:
    path = package(tmp_path, "id\n1\nx\n", [{"name": "id", "type": "integer"}])
    report = validate_target(path, path.parent)
    assert isinstance(report.errors, pl.DataFrame)
    assert report.errors.schema == pl.Schema(ERROR_COLUMNS)
    assert report.records()[0].message.startswith("data.csv:3 field 'id': 'x' is not")


def test_max_cell_size_is_enforced(tmp_path: Path) -> None:
    big = "y" * (MAX_CELL_BYTES + 1)
    path = package(tmp_path, f"id,text\n1,{big}\n", [{"name": "id", "type": "integer"},
                                                      {"name": "text", "type": "string"}])
    assert found(path) == [("source-error", 2, 2, "text")]


# ---------------------------------------------------------------- property tests


def agree(descriptor: dict, cells: list[str]) -> None:
    """factpack's parse and frictionless's read_cell accept exactly the same cells, and the
    validator's fast path (``parse_frame``) gives what the full parse gives."""
    theirs = frictionless.Field.from_descriptor(descriptor)
    field = Field.model_validate(descriptor).model_copy(update={"name": "c"})
    frame = pl.DataFrame({"c": cells}, schema={"c": pl.String})
    full = frame.select(fieldtypes.parse(field, pl.col("c"))).to_series()
    quick = fieldtypes.parse_frame([field], frame).to_series()
    assert quick.is_null().to_list() == full.is_null().to_list(), list(zip(cells, full, quick))
    # compared as text (lists as lists): NaN != NaN, and a year past 9999 has no Python date
    as_text = [s.to_list() if s.dtype.is_nested() else s.cast(pl.String).to_list()
               for s in (quick, full)]
    assert as_text[0] == as_text[1], list(zip(cells, *as_text))
    valid = full.is_not_null().to_list()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = [not theirs.read_cell(c)[1] for c in cells]
    wrong = [(c, e) for c, v, e in zip(cells, valid, expected) if v != e]
    assert not wrong, f"{descriptor}: (cell, frictionless accepts) where factpack differs: {wrong}"


def texts(alphabet: str, max_size: int = 12) -> st.SearchStrategy[list[str]]:
    return st.lists(st.text(alphabet=alphabet, min_size=1, max_size=max_size), min_size=1,
                    max_size=40)


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
CASES = {
    "integer": ({"type": "integer"}, "0123456789+-_ .e"),
    "integer-bare": ({"type": "integer", "bareNumber": False}, "0159-+$% x."),
    "number": ({"type": "number"}, "0129+-_.eEinfaINFNa "),
    "number-comma": ({"type": "number", "decimalChar": ",", "groupChar": "."}, "019,.-"),
    "number-bare": ({"type": "number", "bareNumber": False}, "019.,-€$% e"),
    "year": ({"type": "year"}, "0129+-_ "),
    "yearmonth": ({"type": "yearmonth"}, "0129-+_ "),
    "date": ({"type": "date"}, "0123-9 +"),
    "time": ({"type": "time"}, "0125:.Z+-"),
    "datetime": ({"type": "datetime"}, "0125-:T Z+."),
    "duration": ({"type": "duration"}, "PYMDTHS0159.,W-"),
    "geopoint": ({"type": "geopoint"}, "0189-., e"),
    "boolean": ({"type": "boolean"}, "trueTRUEfals01 "),
    "uuid": ({"type": "string", "format": "uuid"}, "0a9F-{}urn:id"),
}


@pytest.mark.parametrize("name", CASES)
def test_field_type_agrees_with_frictionless(name: str) -> None:
    descriptor, alphabet = CASES[name]

    @PROPERTY
    @given(texts(alphabet, 26 if name in ("datetime", "uuid") else 12))
    def check(cells: list[str]) -> None:
        agree({"name": "x", **descriptor}, cells)

    check()


@pytest.mark.parametrize("descriptor,cells", [
    ({"type": "date"}, ["2025-02-28", "2025-2-3", "2025-02-30", "2024-02-29", "20250228"]),
    ({"type": "datetime"}, ["2025-02-28T12:30:00Z", "2025-02-28 12:30:00", "2025-02-28T24:00:00",
                            "2025-02-28T12:30:00+0200", "2025-02-28T12:30", "2025-02-28T12:30:61"]),
    ({"type": "time"}, ["12:30:00", "24:00:00", "12:30:60", "12:30", "23:59:59.5+01:00"]),
    ({"type": "string", "format": "email"}, ["a@example.org", "a@b", "a b@c.de", "a@b.c"]),
    ({"type": "string", "format": "uri"}, ["https://x.org/a b", "x.org", "urn:isbn:1"]),
    ({"type": "string", "format": "binary"}, ["aGVsbG8=", "aGVsbG8", "aGVs\nbG8=", "YQ"]),
    ({"type": "geopoint", "format": "array"}, ["[90, 45]", "[200, 45]", '["90", "45"]', "[1]"]),
    ({"type": "geopoint", "format": "object"}, ['{"lat": 45, "lon": 90}', '{"lon": 90}']),
    ({"type": "geojson"}, ['{"type": "Point", "coordinates": [1, 2]}', '{"type": "Point"}', "{}"]),
    ({"type": "object"}, ['{"a": 1}', "[1]", "{bad", '"s"']),
    ({"type": "array"}, ["[1]", "[]", '{"a": 1}', "[1,"]),
    ({"type": "list", "itemType": "integer"}, ["1,2", "1,x", "5, 6"]),
    ({"type": "date", "format": "%d/%m/%Y"}, ["28/02/2025", "30/02/2025", "1/1/2025"]),
    ({"type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]}, ["yes", "no", "true"]),
])
def test_examples_agree_with_frictionless(descriptor: dict, cells: list[str]) -> None:
    agree({"name": "x", **descriptor}, cells)


def test_parquet_resource_is_checked_like_csv(tmp_path: Path) -> None:
    import datetime as dt

    pl.DataFrame({
        "id": [1, 2, 2, None],                      # nullable integers stay integers
        "score": [1.5, None, 3.0, 4.0],
        "ok": [True, False, None, True],
        "day": [dt.date(2025, 1, 1), None, dt.date(2025, 1, 3), dt.date(2025, 1, 4)],
        "count": [1.0, None, 3.0, 2.5],             # an integer field stored as floats
    }).write_parquet(tmp_path / "t.parquet")
    fields = [{"name": "id", "type": "integer"},
              {"name": "score", "type": "number", "constraints": {"maximum": 3}},
              {"name": "ok", "type": "boolean"}, {"name": "day", "type": "date"},
              {"name": "count", "type": "integer"}]
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [
        {"name": "t", "path": "t.parquet", "format": "parquet", "hash": "sha256:" + "0" * 64,
         "schema": {"fields": fields, "primaryKey": ["id"]}}]}))
    assert [(c, r, f) for c, r, _, f in found(tmp_path / "datapackage.json")] == [
        ("hash-count", None, None),
        ("primary-key", 4, "id"),
        ("primary-key", 5, "id"),
        ("constraint-error", 5, "score"),
        ("type-error", 5, "count"),
    ]


def test_bare_csv_target_checks_structure(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,,id\n1,2,3\n\n4,5\n")
    assert found(tmp_path / "t.csv") == [
        ("blank-label", 1, 1, "field2"), ("duplicate-label", 1, 1, "id2"),
        ("blank-row", 3, 3, None), ("missing-cell", 4, 4, "id2")]


def test_pattern_polars_cannot_run_is_refused_not_backtracked(tmp_path: Path) -> None:
    # Look-ahead is Python regex syntax that polars' linear-time engine refuses. Run by
    # Python's re, a pattern like this backtracks for minutes on a 32-character cell, so
    # factpack refuses it (a schema error naming the field and pattern) and reads no cell
    # with it (issue 16). frictionless-py runs it: an intended difference (README).
    csv = "code\nab1\nxb2\n\n" + "a" * 32 + "!\n"
    fields = [{"name": "code", "type": "string", "constraints": {"pattern": "(?!x)(a|a)*[0-9]"}}]
    path = package(tmp_path, csv, fields)
    report = validate_target(path, path.parent)
    rows = report.errors.select("code", "field", "message").rows()
    assert [(c, f) for c, f, _ in rows] == [("field-error", "code")]
    assert "(?!x)(a|a)*[0-9]" in rows[0][2] and "look-around" in rows[0][2]
    # (frictionless-py's side is pinned by constraints/pattern/lookahead, on benign cells)


def test_typed_keys_compare_values_not_spellings(tmp_path: Path) -> None:
    # Keys are kept typed: 2020-1-5 and 2020-01-05 are one date, 007 and 7 one integer,
    # as frictionless compares them; the message shows the value.
    csv = "day,n\n2020-01-05,7\n2020-1-5,007\n2020-01-06,7\n"
    path = package(tmp_path, csv, [{"name": "day", "type": "date"}, {"name": "n", "type": "integer"}],
                   primaryKey=["day", "n"])
    assert found(path) == [("primary-key", 3, 3, "day, n")]
    report = validate_target(path, path.parent)
    assert "(day, n) = (2020-01-05, 7) repeats row 2" in report.errors["message"][0]
    theirs = frictionless.validate(str(path))
    assert [(e.type, e.row_number) for e in theirs.tasks[0].errors] == [("primary-key", 3)]


@pytest.mark.parametrize("parent,child,cells", [
    ("string", "integer", ["5", "7"]),      # 5 is not "5": both rows are errors
    ("number", "integer", ["5", "7"]),      # 5 == 5.0: only 7 is an error
    ("integer", "integer", ["05", "7"]),    # 05 is 5
    ("string", "date", ["2020-01-05"]),     # a date is not a text
    ("string", "string", ["5", "7"]),
])
def test_foreign_keys_across_types_agree_with_frictionless(tmp_path: Path, parent: str,
                                                           child: str, cells: list[str]) -> None:
    (tmp_path / "parents.csv").write_text("id\n5.0\n2020-01-05\n" if parent == "number" else
                                          "id\n5\n2020-01-05\n" if parent == "string" else
                                          "id\n5\n6\n")
    (tmp_path / "kids.csv").write_text("pid\n" + "\n".join(cells) + "\n")
    if parent == "number":  # a number column cannot hold the date row
        (tmp_path / "parents.csv").write_text("id\n5.0\n6.5\n")
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "fk", "resources": [
        {"name": "parents", "path": "parents.csv", "schema": {
            "fields": [{"name": "id", "type": parent}], "primaryKey": ["id"]}},
        {"name": "kids", "path": "kids.csv", "schema": {
            "fields": [{"name": "pid", "type": child}],
            "foreignKeys": [{"fields": ["pid"], "reference": {"resource": "parents",
                                                              "fields": ["id"]}}]}}]}))
    path = tmp_path / "datapackage.json"
    theirs = frictionless.validate(str(path))
    expected = [(e.type, e.row_number) for t in theirs.tasks for e in t.errors]
    assert [(c, r) for c, r, _, _ in found(path)] == expected


@pytest.mark.parametrize("bare", [True, False])
def test_integers_of_any_size_agree_with_frictionless(bare: bool) -> None:
    # Python's int() reads any length: the cells the int64 cast refuses are read as text,
    # valid exactly where frictionless's are, with the value int() gives.
    theirs = frictionless.Field.from_descriptor({"name": "x", "type": "integer",
                                                "bareNumber": bare})
    field = Field(name="c", type="integer", bareNumber=bare)
    digits = st.text(alphabet="0123456789", min_size=15, max_size=60)
    cell = st.tuples(st.sampled_from(["", "+", "-", " ", "$", "--"]), digits,
                     st.sampled_from(["", "_1", "0", " ", "%", ".0", "e3"])).map("".join)

    @PROPERTY
    @given(st.lists(cell, min_size=1, max_size=30))
    def check(cells: list[str]) -> None:
        frame = pl.DataFrame({"c": cells}, schema={"c": pl.String})
        mine = fieldtypes.parse_frame([field], frame).to_series().to_list()
        expected = [theirs.read_cell(c)[0] for c in cells]
        assert [None if m is None else int(m) for m in mine] == expected, cells

    check()


def test_big_integers_in_a_later_chunk_meet_keys_and_bounds_of_earlier_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks of int64 values and chunks typed as text (beyond int64) share one key column:
    # '+5' in a later chunk repeats 5 of the first, 10^20 repeats +10^20.
    monkeypatch.setattr(table_read, "CHUNK_BYTES", 1 << 16)  # chunks of a few thousand rows
    monkeypatch.setattr(table_run, "READ_BLOCK", 1 << 14)
    small = "".join(f"{i}\n" for i in range(5, 40_000))
    csv = "n\n" + small + "+5\n100000000000000000000\n+100000000000000000000\n-" + "9" * 40 + "\n"
    path = package(tmp_path, csv, [{"name": "n", "type": "integer",
                                    "constraints": {"unique": True, "minimum": -(10**39)}}])
    last = 40_000 - 5 + 1  # the row of the last small value (the header is row 1)
    assert sorted(found(path), key=lambda e: e[1]) == [
        ("unique-error", last + 1, last + 1, "n"), ("unique-error", last + 3, last + 3, "n"),
        ("constraint-error", last + 4, last + 4, "n")]


@PROPERTY
@given(st.lists(st.integers(-10**45, 10**45) | st.integers(-30, 30), min_size=1, max_size=30),
       st.integers(-10**45, 10**45) | st.integers(-30, 30))
def test_integer_bounds_compare_exactly_at_any_size(values: list[int], bound: int) -> None:
    # chunks with integers beyond int64 compare their plain text with a bound like ints
    frame = pl.DataFrame({"v": [str(x) for x in values]}, schema={"v": pl.String})
    below = frame.select(numbers.integer_below(pl.col("v"), str(bound))).to_series()
    assert below.to_list() == [x < bound for x in values]


@PROPERTY
@given(st.integers(-10**60, 10**60) | st.integers(-30, 30), st.booleans(),
       st.sampled_from([None, ",", ".", " "]))
def test_an_integer_bound_reads_as_a_cell_of_its_field_would(
        bound: int, bare: bool, group: str | None) -> None:
    # the bound of a JSON integer is its own text (a shortcut): the field's cell reader agrees
    from factpack.validation.tables.constraints import _integer_bound

    f = Field(name="n", type="integer", bareNumber=bare, groupChar=group)
    as_cell = pl.select(numbers.wide_integer(f, pl.lit(fieldtypes.json_text(bound)))).item()
    assert _integer_bound(f, bound) == as_cell == str(bound)
