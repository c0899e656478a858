"""``factpack.load``: typed, verified tables; and every common reader sees the same tables."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest
from packstore import (
    ROWS,
    SCHEMAS,
    release_store,
    serve,
    sha256,
    typed_rows,
    write_package,
)

import factpack
from factpack.core.errors import FactpackError


@pytest.fixture(scope="module")
def real_store(tmp_path_factory) -> tuple[Path, str, str]:
    """The repository's dataset in a store made by ``factpack publish`` (see packstore)."""
    return release_store(tmp_path_factory.mktemp("real"))


# -- what load returns --------------------------------------------------------------------------

def test_load_by_name_gives_typed_tables_and_metadata(store, cache):
    with serve(store) as (url, _):
        pkg = factpack.load("demo", store=url, progress=False)
    assert (pkg.name, pkg.version) == ("demo", "1.1.0")
    assert pkg.metadata["title"] == "Demo"
    assert list(pkg) == ["places", "visits"] and len(pkg) == 2
    places = pkg["places"]
    assert places.schema == pl.Schema({"id": pl.String, "name": pl.String, "founded": pl.Date,
                                       "population": pl.Int64, "area_km2": pl.Float64,
                                       "capital": pl.Boolean})
    assert places.rows() == [
        ("kyiv", "Kyiv", dt.date(482, 1, 1), 2952301, 839.0, True),
        ("lviv", 'Lviv, "the city of lions"', dt.date(1256, 1, 1), None, 182.01, False),
        ("odesa", "Одеса", None, 1010537, None, None)]
    assert pkg["visits"].height == 4  # 1.1.0 added a row
    assert pkg.schema("visits")["primaryKey"] == ["id"]
    with pytest.raises(KeyError, match="no table 'nope'; tables: places, visits"):
        pkg["nope"]


@pytest.mark.parametrize("how", ["name@version", "version="])
def test_load_a_given_version(store, cache, how):
    if how == "version=":
        pkg = factpack.load("demo", version="1.0.0", store=store, progress=False)
    else:
        pkg = factpack.load("demo@1.0.0", store=store, progress=False)
    assert pkg.version == "1.0.0" and pkg["visits"].height == 3


def test_to_pandas_keeps_nulls_and_types(store, cache):
    frames = factpack.load("demo", store=store, progress=False).to_pandas()
    places = frames["places"]
    assert places["population"].dtype == "Int64"
    assert places["capital"].dtype == "boolean"
    assert places["population"].isna().tolist() == [False, True, False]
    assert places["founded"].dt.year.tolist()[:2] == [482, 1256]
    assert places["name"].tolist()[2] == "Одеса"


def test_duckdb_has_a_view_per_table_over_parquet(store, cache):
    pkg = factpack.load("demo", store=store, progress=False)
    con = pkg.duckdb()
    views = con.sql("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal "
                    "ORDER BY view_name").fetchall()
    assert [v[0] for v in views] == ["places", "visits"]
    assert all("read_parquet" in v[1] and ".parquet" in v[1] for v in views)
    joined = con.sql("SELECT v.id, p.name FROM visits v JOIN places p ON p.id = v.place_id "
                     "ORDER BY v.id").fetchall()
    assert joined == [(1, "Kyiv"), (2, 'Lviv, "the city of lions"'), (10, "Одеса")]


@pytest.mark.parametrize("kind", ["folder", "descriptor", "zip", "http-zip", "http-descriptor",
                                  "file-zip"])
def test_load_a_path_or_url(store, cache, kind):
    folder = store / "demo" / "1.0.0"
    zpath = store / "demo" / "demo-1.0.0.zip"
    with serve(store) as (url, faults):
        source = {"folder": folder, "descriptor": folder / "datapackage.json", "zip": zpath,
                  "http-zip": url + "demo/demo-1.0.0.zip",
                  "http-descriptor": url + "demo/1.0.0/datapackage.json",
                  "file-zip": zpath.as_uri()}[kind]
        pkg = factpack.load(source, progress=False)
    assert pkg.version == "1.0.0"
    assert pkg["places"].equals(pl.read_parquet(folder / "data" / "places.parquet"))
    if kind == "http-descriptor":  # only the descriptor and the resources were downloaded
        assert sorted(p for p, _ in faults.requests) == sorted(
            ["/demo/1.0.0/datapackage.json"]
            + [f"/demo/1.0.0/data/{t}.{ext}" for t in SCHEMAS for ext in ("csv", "parquet")])
    if kind in ("zip", "http-zip", "file-zip"):
        assert pkg.path == cache / "packages" / sha256(zpath)


def test_load_refuses_a_modified_local_package(store, cache):
    folder = store / "demo" / "1.0.0"
    csv = folder / "data" / "places.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Kyiv", b"Kiev"))
    with pytest.raises(FactpackError, match=r"data/places.csv: sha256: datapackage.json says"):
        factpack.load(folder)


def test_load_repairs_a_modified_cached_copy_of_a_zip(store, cache):
    zpath = store / "demo" / "demo-1.0.0.zip"
    first = factpack.load(zpath)
    csv = first.path / "data" / "places.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Kyiv", b"Kiev"))
    again = factpack.load(zpath)  # the changed copy is dropped and unpacked anew
    assert again.path == first.path and b"Kiev" not in csv.read_bytes()
    assert again["places"].equals(first["places"])


def test_load_refuses_a_tampered_url_download(store, cache):
    folder = store / "demo" / "1.0.0"
    pq = folder / "data" / "visits.parquet"
    data = bytearray(pq.read_bytes())
    data[10] ^= 1
    pq.write_bytes(bytes(data))
    with serve(store) as (url, _), pytest.raises(FactpackError, match="visits.parquet: sha256"):
        factpack.load(url + "demo/1.0.0/datapackage.json", progress=False)
    assert not [p for p in cache.rglob("*") if p.is_file()]


def _rehash(folder: Path) -> None:
    desc = json.loads((folder / "datapackage.json").read_text())
    for res in desc["resources"]:
        p = folder / res["path"]
        res["hash"] = "sha256:" + sha256(p)
        if "bytes" in res:
            res["bytes"] = p.stat().st_size
    (folder / "datapackage.json").write_text(json.dumps(desc))


def test_parquet_column_that_contradicts_the_schema_is_an_error(tmp_path, cache):
    folder = write_package(tmp_path / "pkg")
    pq = folder / "data" / "places.parquet"
    pl.read_parquet(pq).with_columns(pl.col("population").cast(pl.String)).write_parquet(pq)
    _rehash(folder)
    with pytest.raises(FactpackError, match="column 'population' is String in Parquet, but "
                                            "the Table Schema says integer"):
        factpack.load(folder)


def test_csv_only_package_is_typed_from_its_schema(tmp_path, cache):
    folder = write_package(tmp_path / "pkg")
    desc = json.loads((folder / "datapackage.json").read_text())
    desc["resources"] = [r for r in desc["resources"] if r["format"] == "csv"]
    (folder / "datapackage.json").write_text(json.dumps(desc))
    pkg = factpack.load(folder)
    assert pkg["places"].rows() == pl.read_parquet(folder / "data" / "places.parquet").rows()
    assert pkg["places"].schema["founded"] == pl.Date
    con = pkg.duckdb()
    assert con.sql("SELECT count(*) FROM places").fetchall() == [(3,)]
    csv = folder / "data" / "places.csv"
    csv.write_text(csv.read_text().replace("2952301", "lots"))
    _rehash(folder)
    with pytest.raises(FactpackError, match=r"places.csv: row 2, field 'population': 'lots' "
                                            "is not a valid integer"):
        factpack.load(folder)


def test_bad_sources_are_clear_errors(tmp_path, cache):
    with pytest.raises(FactpackError, match="no such file, and not a package name"):
        factpack.load(str(tmp_path / "missing" / "x.zip"))
    with pytest.raises(FactpackError, match="version= goes with a package name"):
        factpack.load(tmp_path, version="1.0.0")
    with pytest.raises(FactpackError, match="no datapackage.json"):
        factpack.load(tmp_path)


def test_import_factpack_stays_light():
    import subprocess
    import sys

    code = ("import sys, factpack; heavy = {'polars', 'httpx', 'duckdb', 'pandas'} & "
            "set(sys.modules); print(sorted(heavy)); factpack.load")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# -- one package, every reader, identical tables ----------------------------------------------

def _readers(folder: Path, name: str, table: str, fields: list[dict]) -> dict[str, tuple]:
    csv, pq = folder / "data" / f"{table}.csv", folder / "data" / f"{table}.parquet"
    names = [f["name"] for f in fields]
    pandas_types = {"integer": "Int64", "number": "Float64", "boolean": "boolean",
                    "string": "string"}
    polars_types = {"integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean,
                    "date": pl.Date}
    duck_types = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}

    def rows_of(df: pd.DataFrame) -> tuple:
        return typed_rows(df.columns, df.astype(object).itertuples(index=False), fields)

    import frictionless

    fpkg = frictionless.Package(str(folder / "datapackage.json"))
    frows = fpkg.get_resource(table).read_rows()
    pdf_csv = pd.read_csv(csv, keep_default_na=False, na_values=[""],
                          dtype={f["name"]: pandas_types.get(f["type"], "string")
                                 for f in fields if f["type"] != "date"},
                          parse_dates=[f["name"] for f in fields if f["type"] == "date"])
    pl_csv = pl.read_csv(csv, schema={f["name"]: polars_types.get(f["type"], pl.String)
                                      for f in fields})
    con = duckdb.connect()
    columns = "{" + ", ".join(f"'{f['name']}': '{duck_types.get(f['type'], 'VARCHAR')}'"
                              for f in fields) + "}"
    duck_pq = con.sql(f"SELECT * FROM read_parquet('{pq}')")
    duck_csv = con.sql(f"SELECT * FROM read_csv('{csv}', header = true, columns = {columns})")
    lite = sqlite3.connect(folder / f"{name}.sqlite")
    cur = lite.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
    return {
        "frictionless (CSV)": typed_rows(names, [[r[n] for n in names] for r in frows],
                                          fields),
        "pandas read_csv": rows_of(pdf_csv),
        "pandas read_parquet": rows_of(pd.read_parquet(pq)),
        "polars read_csv": typed_rows(pl_csv.columns, pl_csv.rows(), fields),
        "polars read_parquet": typed_rows(names, pl.read_parquet(pq).rows(), fields),
        "duckdb read_parquet": typed_rows(duck_pq.columns, duck_pq.fetchall(), fields),
        "duckdb read_csv": typed_rows(duck_csv.columns, duck_csv.fetchall(), fields),
        "sqlite3": typed_rows([d[0] for d in cur.description], cur.fetchall(), fields),
    }


def _assert_identical(folder: Path, name: str) -> int:
    pkg = factpack.load(folder)
    checked = 0
    for table in pkg:
        fields = pkg.schema(table)["fields"]
        reference = typed_rows(pkg[table].columns, pkg[table].rows(), fields)
        assert reference, f"{table} is empty: nothing would be compared"
        for reader, rows in _readers(folder, name, table, fields).items():
            assert rows == reference, f"{table}: {reader} differs from factpack.load"
            checked += 1
    return checked


def test_every_reader_sees_the_same_tables_synthetic(store, cache):
    assert _assert_identical(store / "demo" / "1.1.0", "demo") == 8 * len(SCHEMAS)
    assert len(ROWS["places"]) == 3


def test_every_reader_sees_the_same_tables_published(real_store, cache):
    store, name, version = real_store
    with serve(store) as (url, _):
        folder = factpack.load(name, version=version, store=url, progress=False).path
    assert _assert_identical(folder, name) >= 8 * 10


def test_url_loads_that_cannot_be_verified_are_refused(store, cache):
    folder = store / "demo" / "1.0.0"
    desc = json.loads((folder / "datapackage.json").read_text())
    del desc["resources"][0]["hash"]
    (folder / "datapackage.json").write_text(json.dumps(desc))
    with serve(store) as (url, _):
        with pytest.raises(FactpackError, match="resource 'places' declares no hash, so its "
                                                "download cannot be verified"):
            factpack.load(url + "demo/1.0.0/datapackage.json", progress=False)
        with pytest.raises(FactpackError, match="a URL must name a package .zip or its "
                                                "datapackage.json"):
            factpack.load(url + "catalog.json", progress=False)
    assert not [p for p in cache.rglob("*") if p.is_file()]
