"""The package as one SQLite database: a STRICT table per resource, keys declared.

Opens in Datasette, the sqlite3 shell or any SQL tool. Columns carry the Table
Schema field titles as SQL comments (kept in ``sqlite_master``). The same
statements run in the same order, so the same rows give the same bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

if TYPE_CHECKING:  # the publish extra (as frictionless-py), imported where it is used
    import adbc_driver_manager as adbc

from ..core.atomic import temp_folder
from ..spec import fieldtypes
from ..spec.models import Field, Schema

CACHE_KIB = 64 << 10  # 1 M rows: 12 s with it, 15 s with the default 2 MiB; +170 MB


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _names(names: list[str]) -> str:
    return ", ".join(quote(n) for n in names)


def _column(f: Field, schema: Schema) -> str:
    sql = f"{quote(f.name)} {fieldtypes.TYPES[f.type].sqlite}"
    if f.constraints.required or f.name in schema.primaryKey:
        sql += " NOT NULL"
    if f.constraints.unique and schema.primaryKey != [f.name]:
        sql += " UNIQUE"
    if f.type == "boolean":
        sql += f" CHECK ({quote(f.name)} IN (0, 1))"
    return sql


def create_table(name: str, schema: Schema) -> str:
    """``CREATE TABLE`` with primary, unique and foreign keys (a self-reference names itself)."""
    entries = [(_column(f, schema), " ".join((f.title or "").split())) for f in schema.fields]
    if schema.primaryKey:
        entries.append((f"PRIMARY KEY ({_names(schema.primaryKey)})", ""))
    entries += [(f"UNIQUE ({_names(uk)})", "") for uk in schema.uniqueKeys]
    for fk in schema.foreignKeys:
        target = fk.reference.resource or name
        ref = f"{quote(target)} ({_names(fk.reference.fields)})"
        entries.append((f"FOREIGN KEY ({_names(fk.fields)}) REFERENCES {ref}", ""))
    body = [sql + ("," if i < len(entries) - 1 else "") + (f"  -- {note}" if note else "")
            for i, (sql, note) in enumerate(entries)]
    return f"CREATE TABLE {quote(name)} (\n  " + "\n  ".join(body) + "\n) STRICT"


def write(path: Path, tables: list[tuple[str, Schema, pl.DataFrame]]) -> None:
    """Write typed frames (in foreign-key order) to a new database at ``path``.

    Foreign keys are enforced at commit (deferred), so SQLite checks them once more.
    The database is written by Python's ``sqlite3`` (the system's SQLite): the file's
    header names the SQLite that wrote it, and a released version must rebuild to its
    ledger's bytes (``publish --check``). The rows reach it without a Python value per
    cell: ADBC's bulk ingest (its own SQLite, binding each Arrow column in C) loads them
    into a scratch database, from which ``INSERT … SELECT … ORDER BY rowid`` copies them:
    the same rows inserted one by one in the same order as ``executemany`` would, so the
    same bytes (``tests/test_build.py`` compares the two), in about two thirds of the CPU
    and with the GIL released. (The ORDER BY also rules out SQLite's transfer optimisation,
    which copies whole b-trees between tables of the same shape.)
    """
    # beside the database: its file system has room, and a killed build's goes with its staging
    with temp_folder(path.parent, f".{path.name}-rows-") as scratch:
        staged = scratch / "rows.sqlite"
        ingest(staged, tables)
        con = sqlite3.connect(path, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=DELETE")
            con.execute("PRAGMA page_size=4096")
            con.execute("PRAGMA foreign_keys=ON")
            # Speed only, not the file's bytes: a page cache that holds the indexes of a
            # large table, and no fsync per write (the file is staged and renamed into place).
            con.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("ATTACH DATABASE ? AS staged", (str(staged),))
            con.execute("BEGIN")
            con.execute("PRAGMA defer_foreign_keys=ON")
            for name, schema, frame in tables:
                con.execute(create_table(name, schema))
                con.execute(f"INSERT INTO main.{quote(name)} SELECT {_names(frame.columns)} "
                            f"FROM staged.{quote(name)} ORDER BY rowid")
            con.execute("COMMIT")
            con.execute("DETACH DATABASE staged")
        except sqlite3.Error as exc:
            raise SQLiteError(f"{path.name}: {exc}") from exc
        finally:
            con.close()


def sql_values(frame: pl.DataFrame) -> pl.DataFrame:
    """A typed frame's columns as the database holds them: dates as ISO 8601 text (SQLite
    has no date type; its date functions read that), booleans as 0/1."""
    return frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"),
                              pl.col(pl.Boolean).cast(pl.Int64))


def ingest(path: Path, tables: list[tuple[str, Schema, pl.DataFrame]]) -> None:
    """The frames' rows, in order, as plain tables (no keys) of a new scratch database."""
    import adbc_driver_manager as adbc

    try:
        with _adbc(str(path)) as con:
            for pragma in ("journal_mode=OFF", "synchronous=OFF"):  # a scratch file: no journal
                _run(con, f"PRAGMA {pragma}")
            for name, _, frame in tables:
                with adbc.AdbcStatement(con) as st:
                    st.set_options(**{adbc.INGEST_OPTION_TARGET_TABLE: name,
                                      adbc.INGEST_OPTION_MODE: adbc.INGEST_OPTION_MODE_CREATE})
                    st.bind_stream(sql_values(frame).to_arrow().__arrow_c_stream__())
                    st.execute_update()
    except adbc.Error as exc:
        raise SQLiteError(f"{path.name}: {exc}") from exc


def _run(con: adbc.AdbcConnection, sql: str) -> None:
    import adbc_driver_manager as adbc

    with adbc.AdbcStatement(con) as st:
        st.set_sql_query(sql)
        st.execute_update()


@contextmanager
def _adbc(uri: str) -> Iterator[adbc.AdbcConnection]:
    """A connection of ADBC's low-level API, to read the database back (its DB-API module
    imports pandas: seconds)."""
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite

    with adbc_driver_sqlite.connect(uri) as db, adbc.AdbcConnection(db) as con:
        yield con


def _query(con: adbc.AdbcConnection, sql: str, batch_rows: int) -> pl.DataFrame:
    import adbc_driver_manager as adbc

    with adbc.AdbcStatement(con) as st:
        st.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        st.set_sql_query(sql)
        stream, _ = st.execute_query()
        frame = pl.from_arrow(pa.RecordBatchReader._import_from_c(stream.address).read_all())
    assert isinstance(frame, pl.DataFrame)
    return frame


class SQLiteError(Exception):
    """The database could not be written (e.g. a key SQLite cannot declare)."""


def verify(path: Path, twins: dict[str, Path]) -> list[str]:
    """Problems with a built database: integrity, foreign keys, and each table's rows
    against its Parquet twin (``twins``: table name -> file), cell for cell, in order.

    The structure is checked in a thread while the cells are read back and compared (both
    in SQLite or ADBC, without the GIL); its problems, if any, are reported instead of the
    cells'.
    """
    if not path.is_file():
        return ["the database is missing"]
    with ThreadPoolExecutor(1) as pool:
        structure = pool.submit(_structure_problems, path)
        cells = [p for name, twin in twins.items()
                 for p in _compare(path, name, pl.read_parquet(twin))]
        return structure.result() or cells


def _structure_problems(path: Path) -> list[str]:
    """``integrity_check`` and ``foreign_key_check`` of the database."""
    problems = []
    con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)  # quoted: # ? %
    try:
        con.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # integrity_check: 9 s → 5 s CPU at 1 M
        if (ok := con.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            problems.append(f"integrity check: {ok}")
        for table, rowid, parent, _ in con.execute("PRAGMA foreign_key_check").fetchall()[:10]:
            problems.append(f"table {table} row {rowid}: foreign key to {parent} not found")
    except sqlite3.Error as exc:
        problems.append(str(exc))
    finally:
        con.close()
    return problems


def _compare(path: Path, name: str, twin: pl.DataFrame) -> list[str]:
    """Problems of table ``name`` against the frame it was written from (every cell)."""
    import adbc_driver_manager as adbc

    # As written (see write): dates as text, booleans as 0/1, NaN as NULL (SQLite's own).
    want = sql_values(twin).with_columns(pl.col(pl.Float64).fill_nan(None))
    try:
        with _adbc(path.resolve().as_uri() + "?mode=ro") as con:
            # ADBC types each column from its first batch (and fails if it was all NULL
            # there): one batch, so every row counts.
            read = _query(con, f"SELECT {_names(want.columns)} FROM {quote(name)} ORDER BY rowid",
                          batch_rows=want.height + 1)
    except adbc.Error as exc:
        return [f"table {name}: {exc}"]
    if read.height != want.height or read.columns != want.columns:
        return [(f"table {name} has {read.height} rows and columns {read.columns}, the CSV "
                f"{want.height} rows and columns {want.columns}")]
    got = read.select(pl.col(c).cast(t, strict=False) for c, t in want.schema.items())
    for c in want.columns:
        diff = want.get_column(c).ne_missing(got.get_column(c))
        if diff.any():
            i = int(diff.arg_true()[0])
            return [(f"table {name} row {i + 1} column '{c}' holds {got[i, c]!r}, but the "
                    f"Parquet file (and so the CSV) has {want[i, c]!r}")]
    return []
