"""factpack build: the built package is valid, typed, verified, reproducible and atomic.

The fixture repository (tests/fixtures/build/repo) holds one small dataset,
``mini-places``: a self-referencing table with a date, a nullable integer, a
number, a boolean, non-ASCII text and a quoted newline, and a table keyed by an
integer with a foreign key. Its rows are deliberately out of key order.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import frictionless
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from factpack.build import check, parquet
from factpack.build import package as build
from factpack.core.errors import ErrorRecord, FactpackError

FIXTURE = Path(__file__).parent / "fixtures" / "build" / "repo"
NAME, VERSION = "mini-places", "0.1.0"
POLARS_TYPES = {"integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date}


def copy_repo(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    return dest


def build_repo(repo: Path, out: Path | None = None, **kw) -> Path:
    return build.build_dataset(repo / "datasets" / NAME, repo, out, **kw)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def schema_yaml(table: str) -> dict:
    return yaml.safe_load((FIXTURE / "schemas" / f"{table}.yaml").read_text(encoding="utf-8"))


def run_cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "factpack", "build", *args],
                          check=False, cwd=repo,
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One build of the fixture, shared by the read-only tests."""
    repo = copy_repo(tmp_path_factory.mktemp("b") / "repo")
    return build_repo(repo)


@pytest.fixture(scope="module")
def descriptor(built: Path) -> dict:
    return json.loads((built / "datapackage.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- layout and descriptor


def test_layout(built: Path) -> None:
    assert built.name == VERSION and built.parent.name == NAME
    files = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    assert files == ["CHANGELOG.md", "README.md", "data/places.csv", "data/places.parquet",
                     "data/readings.csv", "data/readings.parquet", "data/visits.csv",
                     "data/visits.parquet", "datapackage.json", f"{NAME}.sqlite"]
    assert (built.parent / f"{NAME}-{VERSION}.zip").is_file()
    assert not [p for p in built.parent.iterdir() if p.name.startswith(".")]


def test_descriptor_is_v2_from_dataset_yaml(built: Path, descriptor: dict) -> None:
    meta = yaml.safe_load((FIXTURE / "datasets" / NAME / "dataset.yaml").read_text())
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    for key in ("name", "title", "version", "description", "created", "keywords", "homepage"):
        assert descriptor[key] == meta[key]
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert [r["name"] for r in descriptor["resources"]] == [
        "places", "visits", "readings", "places-parquet", "visits-parquet", "readings-parquet"]
    for res in descriptor["resources"]:
        assert res["type"] == "table"
        assert res["hash"].startswith("sha256:")
    csv_res = descriptor["resources"][1]
    assert (csv_res["format"], csv_res["mediatype"], csv_res["encoding"]) == (
        "csv", "text/csv", "utf-8")
    pq_res = descriptor["resources"][4]
    assert (pq_res["format"], pq_res["mediatype"]) == ("parquet", "application/vnd.apache.parquet")
    assert "bytes" not in pq_res  # frictionless-py 5.21 cannot count a Parquet file's bytes
    # The Parquet twin's foreign keys stay among the Parquet resources.
    assert pq_res["schema"]["foreignKeys"][0]["reference"]["resource"] == "places-parquet"
    text = (built / "datapackage.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and text == json.dumps(descriptor, ensure_ascii=False,
                                                        indent=2) + "\n"


def test_frictionless_validates_csv_and_parquet(built: Path) -> None:
    report = frictionless.validate(str(built / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert sorted(t.name for t in report.tasks) == [
        "places", "places-parquet", "readings", "readings-parquet", "visits", "visits-parquet"]
    assert all(t.stats["rows"] > 0 for t in report.tasks)
    # …and the command line that users run in their CI exits 0.
    cli = Path(sys.executable).with_name("frictionless")
    done = subprocess.run([str(cli), "validate", "datapackage.json"], cwd=built,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_parquet_twin_schema_is_what_frictionless_needs(built: Path, descriptor: dict) -> None:
    """A missing numeric Parquet cell reaches frictionless-py 5.21 as NaN: with the CSV's
    schema it reports errors on valid data; with the twin's (``nan`` also missing) none."""
    by_name = {r["name"]: r for r in descriptor["resources"]}
    twin = by_name["readings-parquet"]["schema"]
    assert {f["name"]: f.get("missingValues") for f in twin["fields"]} == {
        "id": ["", "nan"], "visit_id": ["", "nan"], "temperature_c": ["", "nan"],
        "wind_kmh": ["", "nan"]}
    assert {k: v for k, v in twin.items() if k not in ("fields", "foreignKeys")} == {
        k: v for k, v in by_name["readings"]["schema"].items()
        if k not in ("fields", "foreignKeys")}
    as_csv = {**by_name["readings-parquet"], "schema": by_name["readings"]["schema"]}
    as_csv["schema"] = {**as_csv["schema"], "foreignKeys": []}
    report = frictionless.validate(as_csv, basepath=str(built))
    found = {tuple(e) for e in report.flatten(["fieldName", "type"])}
    assert found == {("temperature_c", "constraint-error"), ("wind_kmh", "type-error")}


def test_hash_and_bytes_match_files(built: Path, descriptor: dict) -> None:
    for res in descriptor["resources"]:
        data = (built / res["path"]).read_bytes()
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), res["name"]
        if res["format"] == "csv":
            assert res["bytes"] == len(data)


# ---------------------------------------------------------------- tables


def test_csv_is_sorted_utf8_lf_rfc4180(built: Path) -> None:
    raw = (built / "data" / "places.csv").read_bytes()
    assert b"\r" not in raw
    text = raw.decode("utf-8")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["kyiv"][1] == "Київ"
    assert by_id["zurich"][8] == "Largest Swiss city;\non the Limmat"
    assert by_id["kyiv"][8] == 'Name in Ukrainian, "Київ"'
    assert ',"",' not in text  # a missing value is an empty cell, not a quoted one
    visits = list(csv.reader((built / "data" / "visits.csv").open(encoding="utf-8", newline="")))
    ids = [int(r[0]) for r in visits[1:]]
    assert ids == sorted(ids) and len(ids) == 4  # an integer key sorts as a number


@pytest.mark.parametrize("table", ["places", "visits", "readings"])
def test_parquet_equals_csv_rows_and_types(built: Path, table: str) -> None:
    schema = schema_yaml(table)
    want = {f["name"]: POLARS_TYPES.get(f["type"], pl.String) for f in schema["fields"]}
    # polars' own CSV parser, typed from the schema: independent of factpack's reader.
    from_csv = pl.read_csv(built / "data" / f"{table}.csv", schema=want)
    from_parquet = pl.read_parquet(built / "data" / f"{table}.parquet")
    assert from_parquet.schema == pl.Schema(want)
    assert from_parquet.equals(from_csv)
    assert from_parquet.null_count().sum_horizontal()[0] > 0  # the fixture has missing values


def test_parquet_keeps_field_descriptions(built: Path) -> None:
    arrow = pq.read_schema(built / "data" / "visits.parquet")
    for f in schema_yaml("visits")["fields"]:
        meta = arrow.field(f["name"]).metadata
        assert meta[b"description"].decode() == f["description"]
    assert arrow.metadata[b"title"] == b"Visits"
    assert pq.ParquetFile(built / "data" / "visits.parquet").metadata.row_group(0).column(
        0).compression == "ZSTD"


def test_sqlite_declares_keys(built: Path, descriptor: dict) -> None:
    con = sqlite3.connect(built / f"{NAME}.sqlite")
    try:
        fks = {(row[2], row[3], row[4]) for row in con.execute("PRAGMA foreign_key_list(visits)")}
        assert fks == {("places", "place_id", "id")}
        self_fk = {(row[2], row[3], row[4]) for row in con.execute(
            "PRAGMA foreign_key_list(places)")}
        assert self_fk == {("places", "parent_id", "id")}
        for table in ("places", "visits", "readings"):
            pk = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[5]]
            assert pk == schema_yaml(table)["primaryKey"]
            csv_rows = pl.read_csv(built / "data" / f"{table}.csv", infer_schema=False).height
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == csv_rows
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("SELECT name FROM places WHERE id = 'kyiv'").fetchone()[0] == "Київ"
        assert con.execute("SELECT typeof(party_size), typeof(visited_on) FROM visits "
                           "WHERE id = 10").fetchone() == ("integer", "text")
    finally:
        con.close()


def executemany_write(path: Path, tables: list) -> None:
    """The database as sqlite.write wrote it before (issue 15): the same statements, each row
    inserted by ``executemany`` from Python values. Its bytes are what released versions hold."""
    from factpack.build import sqlite as sq

    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=DELETE", "page_size=4096", "foreign_keys=ON"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("BEGIN")
    con.execute("PRAGMA defer_foreign_keys=ON")
    for name, schema, frame in tables:
        con.execute(sq.create_table(name, schema))
        frame = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
        con.executemany(f"INSERT INTO {sq.quote(name)} VALUES ({', '.join('?' * frame.width)})",
                        zip(*(c.to_list() for c in frame.iter_columns())))
    con.execute("COMMIT")
    con.close()


def test_sqlite_bulk_copy_writes_the_bytes_executemany_writes(tmp_path: Path) -> None:
    # sqlite.write loads the rows through ADBC into a scratch database and copies them with
    # INSERT … SELECT: the file must be the one executemany over Python values gives (a
    # released version rebuilds to its ledger's bytes), for every kind of value.
    from factpack.build import sqlite as sq
    from factpack.spec.models import Schema

    floats = [0.0, -0.0, float("nan"), float("inf"), float("-inf"), 5e-324, 1e308, 0.1,
              2.0 ** 53, -(2.0 ** 63), None]
    texts = ["", "Zürich", "日本語", 'quote"d', "new\nline", "nul\x00byte", None, "x" * 5000]
    n = 3000
    frame = pl.DataFrame({
        "id": [f"k{i:05d}" for i in range(n)],
        "parent": [None if i % 7 == 0 else f"k{(i * 7919) % n:05d}" for i in range(n)],
        "amount": [floats[i % len(floats)] if i < 100 else i * 1.37 - 999.5 for i in range(n)],
        "count": [[0, -1, 2**63 - 1, -2**63, None][i % 5] if i < 100 else i * 31 for i in range(n)],
        "flag": [None if i % 5 == 0 else bool(i % 2) for i in range(n)],
        "day": [None if i % 9 == 0 else f"{1900 + i % 200}-0{1 + i % 9}-1{i % 10}"
                for i in range(n)],
        "note": [texts[i % len(texts)] for i in range(n)],
    }, schema={"id": pl.String, "parent": pl.String, "amount": pl.Float64, "count": pl.Int64,
               "flag": pl.Boolean, "day": pl.String, "note": pl.String}
    ).with_columns(pl.col("day").str.to_date())
    schema = Schema.model_validate({"fields": [
        {"name": "id", "type": "string"}, {"name": "parent", "type": "string"},
        {"name": "amount", "type": "number"}, {"name": "count", "type": "integer"},
        {"name": "flag", "type": "boolean"}, {"name": "day", "type": "date"},
        {"name": "note", "type": "string", "title": "A note"}],
        "primaryKey": ["id"],
        "foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}]})
    keyed = Schema.model_validate({"fields": [{"name": "n", "type": "integer"},
                                              {"name": "ref", "type": "string"}],
                                   "primaryKey": ["n"], "foreignKeys": [
        {"fields": ["ref"], "reference": {"resource": "edge", "fields": ["id"]}}]})
    by_int = pl.DataFrame({"n": list(range(n, 0, -1)), "ref": [f"k{i:05d}" for i in range(n)]})
    plain = Schema.model_validate({"fields": [{"name": "n", "type": "integer"},
                                              {"name": "ref", "type": "string",
                                               "constraints": {"unique": True}}],
                                   "primaryKey": ["ref"]})  # no foreign key
    tables = [("edge", schema, frame), ("keyed", keyed, by_int), ("empty", keyed, by_int[:0]),
              ("plain", plain, by_int)]
    sq.write(tmp_path / "bulk.sqlite", tables)
    executemany_write(tmp_path / "rows.sqlite", tables)
    assert (tmp_path / "bulk.sqlite").read_bytes() == (tmp_path / "rows.sqlite").read_bytes()
    assert sq.verify(tmp_path / "bulk.sqlite", {}) == []


# ---------------------------------------------------------------- README codebook


def test_readme_is_a_codebook(built: Path) -> None:
    readme = (built / "README.md").read_text(encoding="utf-8")
    for table in ("places", "visits", "readings"):
        schema = schema_yaml(table)
        assert f'<a id="table-{table}"></a>' in readme
        assert schema["description"] in readme
        for f in schema["fields"]:
            assert f"| `{f['name']}` | {f['type']}" in readme
            assert f.get("description", "").replace("|", "\\|") in readme
    assert "`country`, `town`" in readme  # allowed values
    assert "`place_id` → [`places`](#table-places).`id`" in readme  # a foreign key as a link
    assert "Primary key: `id`" in readme
    assert "CC-BY-4.0" in readme and "```bibtex" in readme and "Ada Tester" in readme
    assert "frictionless validate datapackage.json" in readme


def test_readme_snippets_run(built: Path, monkeypatch) -> None:
    """The Python and SQL 'how to load' snippets work on the package they describe."""
    import duckdb

    readme = (built / "README.md").read_text(encoding="utf-8")
    monkeypatch.chdir(built)
    python = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(python) == 2
    for snippet in python:
        scope: dict = {}
        exec(snippet, scope)  # noqa: S102 - our own generated README
        assert len(scope["places"]) == 5
    sql = re.findall(r"```sql\n(.*?)```", readme, flags=re.DOTALL)
    assert len(duckdb.sql(sql[0]).fetchall()) == 5


# ---------------------------------------------------------------- reproducible


def test_two_builds_are_byte_identical(tmp_path: Path, built: Path) -> None:
    repo = copy_repo(tmp_path / "elsewhere")  # another absolute path: nothing may leak into output
    second = build_repo(repo)
    first_zip = built.parent / f"{NAME}-{VERSION}.zip"
    second_zip = second.parent / f"{NAME}-{VERSION}.zip"
    assert {k: v[0] for k, v in snapshot(built).items()} == {
        k: v[0] for k, v in snapshot(second).items()}
    assert first_zip.read_bytes() == second_zip.read_bytes()
    # Rebuilding the same version with the same content is allowed and touches nothing.
    before = snapshot(second.parent)
    assert build_repo(repo) == second
    assert snapshot(second.parent) == before


def test_zip_holds_the_folder_with_fixed_dates(built: Path) -> None:
    with zipfile.ZipFile(built.parent / f"{NAME}-{VERSION}.zip") as zf:
        names = zf.namelist()
        assert names == sorted(names)
        prefix = f"{NAME}-{VERSION}/"
        assert {n.removeprefix(prefix) for n in names} == set(snapshot(built))
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert zf.read(info) == (built / info.filename.removeprefix(prefix)).read_bytes()


# ---------------------------------------------------------------- nothing half-written


def test_cli_builds_a_named_dataset_and_says_what_it_wrote(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    done = run_cli(repo, NAME)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"built build/{NAME}/{VERSION}/ and build/{NAME}/{NAME}-{VERSION}.zip" in done.stdout
    assert "data/visits.parquet" in done.stdout
    assert (repo / "build" / NAME / VERSION / "datapackage.json").is_file()
    missing = run_cli(repo, "no-such-dataset")
    assert missing.returncode == 2 and "no-such-dataset" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_invalid_dataset_writes_nothing_and_keeps_earlier_build(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    first = build_repo(repo)
    before = snapshot(first.parent)
    data = repo / "datasets" / NAME / "data" / "visits.csv"
    data.write_text(data.read_text().replace("10,kyiv", "ten,kyiv"), encoding="utf-8")
    done = run_cli(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "visits.csv" in done.stdout and "type-error" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert snapshot(first.parent) == before  # same bytes, same modification times
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]


def test_integer_beyond_int64_stops_the_build_naming_row_and_field(tmp_path: Path) -> None:
    # frictionless-py (and factpack validate on any package) takes any int; a dataset's
    # integers are stored as int64, so such a value is refused, not written as null.
    repo = copy_repo(tmp_path / "repo")
    data = repo / "datasets" / NAME / "data" / "readings.csv"
    text = data.read_text()
    assert "\n2,2,-3.25,7\n" in text
    data.write_text(text.replace("\n2,2,-3.25,7\n", "\n2,2,-3.25,100000000000000000000\n"))
    done = run_cli(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if "100000000000000000000" in x)
    assert "readings.csv:4" in line and "wind_kmh" in line and "64-bit" in line
    assert "Traceback" not in done.stdout + done.stderr
    assert not (repo / "build").exists()


def test_invalid_dataset_creates_no_build_folder(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    data = repo / "datasets" / NAME / "data" / "places.csv"
    data.write_text(data.read_text().replace(",town,ch,", ",village,ch,"), encoding="utf-8")
    with pytest.raises(build.BuildInvalid) as caught:
        build_repo(repo)
    assert not caught.value.report.valid
    assert not (repo / "build").exists()


def test_failed_package_check_leaves_earlier_build(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    first = build_repo(repo)
    before = snapshot(first.parent)
    with pytest.raises(build.BuildInvalid, match="layer 4"):
        build_repo(repo, force=True, check=lambda folder, **_: [
            ErrorRecord(code="hash-count", message="simulated layer-4 failure")])
    assert snapshot(first.parent) == before
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]


def test_failed_first_build_leaves_no_folders(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    with pytest.raises(build.BuildInvalid):
        build_repo(repo, check=lambda folder, **_: [
            ErrorRecord(code="hash-count", message="simulated layer-4 failure")])
    assert not (repo / "build").exists()


def test_same_version_with_other_content_is_refused(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    first = build_repo(repo)
    before = snapshot(first.parent)
    data = repo / "datasets" / NAME / "data" / "visits.csv"
    data.write_text(data.read_text().replace("10,kyiv,2025-07-24,3", "10,kyiv,2025-07-24,4"),
                    encoding="utf-8")
    with pytest.raises(FactpackError, match="bump 'version'"):
        build_repo(repo)
    assert snapshot(first.parent) == before
    forced = build_repo(repo, force=True)
    assert pl.read_parquet(forced / "data" / "visits.parquet").filter(
        pl.col("id") == 10)["party_size"][0] == 4


# ---------------------------------------------------------------- factpack's own Parquet check


def tampered(built: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "pkg"
    shutil.copytree(built, folder)
    return folder


def rehash(folder: Path, resource: str) -> None:
    """Make the descriptor agree with a changed file, as a careless edit would."""
    path = folder / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    for res in desc["resources"]:
        if res["name"] == resource:
            res["hash"] = build.file_hash(folder / res["path"])
    path.write_text(json.dumps(desc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def test_verify_package_passes_a_good_build(built: Path) -> None:
    assert parquet.verify_package(built) == []
    assert check.check_built(built) == []


def test_changed_parquet_bytes_are_caught(built: Path, tmp_path: Path) -> None:
    folder = tampered(built, tmp_path)
    target = folder / "data" / "visits.parquet"
    table = pq.read_table(target)
    pq.write_table(table, target, compression="snappy")  # same rows, other bytes
    # The reference tool does not notice (it never hashes a Parquet file)…
    assert frictionless.validate(str(folder / "datapackage.json")).valid
    # …factpack does.
    errors = parquet.verify_package(folder)
    assert [(e.code, e.resource) for e in errors] == [("hash-count", "visits-parquet")]


def test_changed_parquet_value_is_caught_even_with_a_matching_hash(built: Path,
                                                                    tmp_path: Path) -> None:
    folder = tampered(built, tmp_path)
    target = folder / "data" / "visits.parquet"
    table = pq.read_table(target)
    sizes = table.column("party_size").to_pylist()
    sizes[0] = (sizes[0] or 0) + 1
    table = table.set_column(3, table.schema.field(3), pa.array(sizes, pa.int64()))
    pq.write_table(table, target)
    rehash(folder, "visits-parquet")
    errors = parquet.verify_package(folder)
    assert len(errors) == 1 and errors[0].field == "party_size" and errors[0].row == 2


def test_changed_parquet_type_is_caught(built: Path, tmp_path: Path) -> None:
    folder = tampered(built, tmp_path)
    target = folder / "data" / "visits.parquet"
    table = pq.read_table(target)
    table = table.set_column(3, pa.field("party_size", pa.float64()),
                             table.column("party_size").cast(pa.float64()))
    pq.write_table(table, target)
    rehash(folder, "visits-parquet")
    errors = parquet.verify_package(folder)
    assert [(e.code, e.field) for e in errors] == [("type-error", "party_size")]


def test_changed_csv_is_caught(built: Path, tmp_path: Path) -> None:
    folder = tampered(built, tmp_path)
    target = folder / "data" / "places.csv"
    target.write_text(target.read_text(encoding="utf-8").replace("Zürich", "Zurich"),
                      encoding="utf-8")
    codes = {(e.code, e.resource) for e in parquet.verify_package(folder)}
    assert ("hash-count", "places") in codes and ("byte-count", "places") in codes
    rehash(folder, "places")
    errors = parquet.verify_package(folder)
    assert any(e.resource == "places-parquet" and e.field == "name" for e in errors)


@pytest.mark.parametrize("sql", [
    "UPDATE visits SET party_size = party_size + 1 WHERE rowid = (SELECT max(rowid) FROM visits)",
    "UPDATE places SET name = 'Zurich' WHERE name = 'Zürich'",
    ("UPDATE places SET founded_on = NULL WHERE founded_on IS NOT NULL AND rowid = "
    "(SELECT min(rowid) FROM places WHERE founded_on IS NOT NULL)"),
    "DELETE FROM readings WHERE rowid = (SELECT max(rowid) FROM readings)",
])
def test_changed_sqlite_cell_is_caught(built: Path, tmp_path: Path, sql: str) -> None:
    folder = tampered(built, tmp_path)
    con = sqlite3.connect(folder / f"{NAME}.sqlite")
    with con:
        assert con.execute(sql).rowcount == 1
    con.close()
    table = sql.split()[1] if sql.startswith("UPDATE") else sql.split()[2]
    errors = check.database_problems(folder)
    assert len(errors) == 1 and f"table {table} " in errors[0].message, errors
    assert errors == check.own_checks(folder)  # the Parquet files still agree with the CSVs


# ---------------------------------------------------------------- layer 4 as the build runs it


def test_layer4_runs_frictionless_on_every_csv_row_and_a_sample_of_each_parquet_twin(
        built: Path, descriptor: dict) -> None:
    plan = check.frictionless_jobs(built)
    jobs = {name: limit for _, name, limit in plan.jobs}
    assert not plan.sampled and jobs == {r["name"]: None if r["format"] == "csv" else check.PARQUET_SAMPLE_ROWS
                    for r in descriptor["resources"]}


@pytest.fixture(params=["in this process", "in worker processes"])
def layer4_mode(request) -> int:
    """check_built both ways: small packages run frictionless-py here, large ones in workers.
    The value is check_built's ``parallel_min_bytes``."""
    return 0 if request.param == "in worker processes" else check.PARALLEL_MIN_BYTES


def test_layer4_reports_what_frictionless_finds_in_a_csv(built: Path, tmp_path: Path,
                                                          layer4_mode: int) -> None:
    folder = tampered(built, tmp_path)
    target = folder / "data" / "visits.csv"
    target.write_text(target.read_text(encoding="utf-8").replace("2025-07-24", "2025-07-99"),
                      encoding="utf-8")
    rehash(folder, "visits")
    errors = check.check_built(folder, layer4_mode)
    assert ("type-error", "visits", "visited_on") in {
        (e.code, e.resource, e.field) for e in errors if e.message.startswith("frictionless")}


def constrained(folder: Path, resource: str, field: str, constraints: dict) -> Path:
    """``folder`` with ``constraints`` set on one field of one resource in its descriptor."""
    path = folder / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    twin = next(r for r in desc["resources"] if r["name"] == resource)
    next(f for f in twin["schema"]["fields"] if f["name"] == field)["constraints"] = constraints
    path.write_text(json.dumps(desc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return folder


def test_layer4_still_runs_frictionless_on_the_parquet_twins(built: Path, tmp_path: Path,
                                                              layer4_mode: int) -> None:
    # every id breaks it, the first row too
    folder = constrained(tampered(built, tmp_path), "visits-parquet", "id", {"maximum": 0})
    found = {(e.code, e.resource, e.message.startswith("frictionless"))
             for e in check.check_built(folder, layer4_mode)}
    assert ("constraint-error", "visits-parquet", True) in found  # frictionless-py's sample
    assert ("schema-error", "visits-parquet", False) in found  # factpack: not the CSV's schema


def test_layer4_cuts_a_long_parquet_twin_to_the_rows_frictionless_reads(
        built: Path, tmp_path: Path, monkeypatch) -> None:
    # frictionless-py reads a Parquet file whole whatever limit_rows says: a twin longer than
    # PARQUET_SAMPLE_ROWS reaches it as a copy of its first rows (places 6, visits 4 rows).
    monkeypatch.setattr(check, "PARQUET_SAMPLE_ROWS", 3)
    plan = check.frictionless_jobs(built, sample_dir=tmp_path / "sample")
    sample = tmp_path / "sample" / "datapackage.json"
    jobs = {name: where for where, name, _ in plan.jobs}
    assert jobs["places-parquet"] == jobs["visits-parquet"] == str(sample)
    for name in ("places", "visits"):
        cut = pq.read_table(tmp_path / "sample" / "data" / f"{name}.parquet")
        whole = pq.read_table(built / "data" / f"{name}.parquet")
        assert cut.schema == whole.schema and cut.equals(whole.slice(0, 3))
    # readings-parquet is whole, but its key into the cut visits-parquet is left out there
    assert jobs["readings-parquet"] == str(sample)
    assert jobs["places"] == jobs["visits"] == jobs["readings"] == str(built / "datapackage.json")
    twins = {r["name"]: r for r in json.loads(sample.read_text(encoding="utf-8"))["resources"]}
    assert twins["readings-parquet"]["schema"]["foreignKeys"] == []
    assert "hash" not in twins["visits-parquet"] and "hash" in twins["readings-parquet"]
    assert not plan.sampled  # no CSV was sampled: factpack's validator need not run again
    assert frictionless.validate(str(sample)).valid


def test_layer4_finds_a_bad_value_in_a_cut_parquet_twin(built: Path, tmp_path: Path,
                                                          monkeypatch, layer4_mode: int) -> None:
    monkeypatch.setattr(check, "PARQUET_SAMPLE_ROWS", 3)
    # every name breaks it
    folder = constrained(tampered(built, tmp_path), "places-parquet", "name", {"maxLength": 1})
    found = {(e.code, e.resource, e.row) for e in check.check_built(folder, layer4_mode)
             if e.message.startswith("frictionless")}
    assert {("constraint-error", "places-parquet", row) for row in (2, 3, 4)} <= found
    assert not any(r == "places-parquet" and row > 4 for _, r, row in found)


def test_layer4_sample_rows_are_fixed_by_the_seed() -> None:
    rows = check.sample_rows(1000, "sha256:ab", 10)
    assert rows == check.sample_rows(1000, "sha256:ab", 10) == sorted(set(rows))
    assert rows != check.sample_rows(1000, "sha256:cd", 10)
    assert len(rows) in (10, 11, 12) and rows[0] == 0 and rows[-1] == 999
    assert check.sample_rows(5, "x", 10) == [0, 1, 2, 3, 4]


def test_layer4_samples_a_large_csv_and_validates_every_row_with_factpack(
        built: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    # Every CSV counts as large (full_max_bytes=0); the sample is the first and last rows.
    monkeypatch.setattr(check, "sample_rows", lambda n, seed, k=None: [0, n - 1])
    folder = tampered(built, tmp_path)
    target = folder / "data" / "visits.csv"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[2].startswith("2,") and lines[4].startswith("10,")  # rows 3 and 5
    lines[2] = lines[2].replace("2024-02-29", "2024-02-30")  # outside the sample
    lines[4] = lines[4].replace("2025-07-24", "2025-07-99")  # the sample's last row
    target.write_text("".join(lines), encoding="utf-8")
    rehash(folder, "visits")
    plan = check.frictionless_jobs(folder, 0, tmp_path / "sample")
    assert plan.sampled and plan.rows["visits"] == [0, 3]
    assert any(line.startswith("layer 4: visits") and "sample of 2 rows" in line
               for line in plan.log)
    errors = check.check_built(folder, check.PARALLEL_MIN_BYTES, 0)
    assert "visits (0 MiB): frictionless-py on a sample of 2 rows" in capsys.readouterr().err
    theirs = {(e.resource, e.row, e.code) for e in errors
              if e.message.startswith("frictionless")}
    assert ("visits", 5, "type-error") in theirs  # row 3 of the sample, 5 of the package
    assert not any(row == 3 for _, row, _ in theirs)
    ours = {(e.resource, e.row, e.code) for e in errors if e.message.startswith("factpack")}
    assert {("visits", 3, "type-error"), ("visits", 5, "type-error")} <= ours


def test_layer4_sample_is_sized_by_its_byte_budget(built: Path, tmp_path: Path,
                                                  monkeypatch) -> None:
    # A CSV over the budget gets about SAMPLE_BYTES' worth of its rows (by its mean row size),
    # the first and the last always among them.
    size = (built / "data" / "places.csv").stat().st_size
    rows = pl.read_csv(built / "data" / "places.csv", infer_schema=False).height
    monkeypatch.setattr(check, "SAMPLE_BYTES", size // 2)
    plan = check.frictionless_jobs(built, 0, tmp_path / "sample")
    kept = plan.rows["places"]
    assert len(kept) <= rows // 2 + 2 and kept[0] == 0 and kept[-1] == rows - 1
    assert any(line.startswith("layer 4: places (0 MiB): frictionless-py on a sample of "
                               f"{len(kept)} rows") for line in plan.log)
    sample = pl.read_csv(tmp_path / "sample" / "data" / "places.csv", infer_schema=False)
    whole = pl.read_csv(built / "data" / "places.csv", infer_schema=False)
    assert sample.equals(whole[kept])


def test_layer4_catches_a_changed_csv_when_it_samples(built: Path, tmp_path: Path) -> None:
    # With a CSV sampled, verify_package leaves the CSVs' hashes to factpack's validator,
    # which reads every row: a changed byte outside the sample is still caught.
    folder = tampered(built, tmp_path)
    target = folder / "data" / "places.csv"
    target.write_text(target.read_text(encoding="utf-8").replace("Zürich", "Zurich"),
                      encoding="utf-8")
    errors = check.check_built(folder, check.PARALLEL_MIN_BYTES, 0)
    ours = {(e.code, e.resource) for e in errors if e.message.startswith("factpack")}
    assert ("hash-count", "places") in ours


# ---------------------------------------------------------------- CSV round trip

# Any text a valid dataset can hold: no carriage returns (layer 2 rejects them), no
# surrogates; quotes, commas, newlines, leading spaces and non-ASCII all welcome.
CELL = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), CELL.filter(bool)),
                               st.one_of(st.none(), st.integers(-2**63, 2**63 - 1))),
                     max_size=8))
def test_csv_written_reads_back_identically(tmp_path_factory, rows) -> None:
    from factpack.spec.models import Schema

    schema = Schema.model_validate({"fields": [{"name": "note", "type": "string"},
                                               {"name": "count", "type": "integer"}]})
    text = pl.DataFrame({"note": [r[0] for r in rows],
                         "count": [None if r[1] is None else str(r[1]) for r in rows]},
                        schema={"note": pl.String, "count": pl.String})
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    build.write_csv(text, path)
    assert b"\r" not in path.read_bytes()
    back = parquet.read_text(path, schema)
    assert back.equals(text)
    assert parquet.typed(back, schema)["count"].to_list() == [r[1] for r in rows]


def test_a_killed_builds_staging_folder_is_removed_by_the_next_build(tmp_path: Path) -> None:
    # A build killed with SIGKILL cannot remove its own staging folder; the next build of
    # the dataset removes every one whose owner is gone (its .lock is no longer held), and
    # leaves alone one whose owner still holds it (a build running beside it) (issue 16).
    import fcntl
    import os

    repo = copy_repo(tmp_path / "repo")
    base = tmp_path / "out" / NAME
    dead = base / f".tmp-{VERSION}-killed"
    (dead / VERSION).mkdir(parents=True)
    (dead / ".lock").touch()
    (dead / VERSION / "half-written.csv").write_text("id\n1\n")
    alive = base / f".tmp-{VERSION}-running"
    alive.mkdir()
    fd = os.open(alive / ".lock", os.O_WRONLY | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        target = build_repo(repo, tmp_path / "out")
    finally:
        os.close(fd)
    assert target == base / VERSION and (target / "datapackage.json").is_file()
    assert not dead.exists() and alive.is_dir()
    assert sorted(p.name for p in base.iterdir()) == sorted(
        [VERSION, f"{NAME}-{VERSION}.zip", alive.name])
