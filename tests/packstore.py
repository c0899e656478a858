"""Test helpers for fetch/load: a small typed package, a release store, a local HTTP server.

``write_package`` and ``write_store`` follow the shared build/store contract
(DESIGN.md) with a synthetic package that has every natively typed column
(integer with nulls, number, boolean, date) and awkward text (commas, quotes,
newlines, non-ASCII). ``published_store`` makes the store the real way, with
``factpack publish`` in a clone of the repository.
``serve`` runs a real HTTP server on 127.0.0.1 that honours ``Range`` and can
drop connections, truncate files or go away mid-download.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from factpack.core.versions import version_key

REPO = Path(__file__).resolve().parents[1]
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

SCHEMAS: dict[str, dict[str, Any]] = {
    "places": {
        "fields": [
            {"name": "id", "type": "string", "constraints": {"required": True}},
            {"name": "name", "type": "string"},
            {"name": "founded", "type": "date"},
            {"name": "population", "type": "integer"},
            {"name": "area_km2", "type": "number"},
            {"name": "capital", "type": "boolean"},
        ],
        "primaryKey": ["id"],
        "missingValues": [""],
    },
    "visits": {
        "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": True}},
            {"name": "place_id", "type": "string"},
            {"name": "note", "type": "string"},
        ],
        "primaryKey": ["id"],
        "foreignKeys": [{"fields": ["place_id"],
                         "reference": {"resource": "places", "fields": ["id"]}}],
        "missingValues": [""],
    },
}
ROWS: dict[str, list[list[Any]]] = {
    "places": [
        ["kyiv", "Kyiv", "0482-01-01", 2952301, 839.0, True],
        ["lviv", "Lviv, \"the city of lions\"", "1256-01-01", None, 182.01, False],
        ["odesa", "Одеса", None, 1010537, None, None],
    ],
    "visits": [
        [1, "kyiv", "first line\nsecond line"],
        [2, "lviv", None],
        [3, None, "no place; a leading space ' ok'"],
    ],
}
DTYPES = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean,
          "date": pl.Date}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_package(folder: Path, name: str = "demo", version: str = "1.0.0",
                  rows: dict[str, list[list[Any]]] | None = None) -> Path:
    """A built package folder per the contract; returns it."""
    rows = rows or ROWS
    (folder / "data").mkdir(parents=True)
    csvs, parquets = [], []
    con = sqlite3.connect(folder / f"{name}.sqlite")
    for table, schema in SCHEMAS.items():
        fields = schema["fields"]
        csv_path = folder / "data" / f"{table}.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow([fd["name"] for fd in fields])
            w.writerows([[_cell(v) for v in row] for row in rows[table]])
        frame = pl.DataFrame(
            {fd["name"]: [r[i] for r in rows[table]] for i, fd in enumerate(fields)},
            schema={fd["name"]: DTYPES[fd["type"]] for fd in fields},
            strict=False)
        if "founded" in frame.columns:
            frame = frame.with_columns(pl.col("founded").cast(pl.Date))
        frame.write_parquet(folder / "data" / f"{table}.parquet")
        cols = ", ".join(f'"{fd["name"]}"' for fd in fields)
        con.execute(f'CREATE TABLE "{table}" ({cols})')
        con.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(fields))})',
                        [[_sqlite(v) for v in r] for r in rows[table]])
        csvs.append({"name": table, "type": "table", "path": f"data/{table}.csv",
                     "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                     "bytes": csv_path.stat().st_size, "hash": "sha256:" + sha256(csv_path),
                     "schema": schema})
        pq = folder / "data" / f"{table}.parquet"
        parquets.append({"name": f"{table}-parquet", "type": "table",
                         "path": f"data/{table}.parquet", "format": "parquet",
                         "hash": "sha256:" + sha256(pq), "schema": schema})
    con.commit()
    con.close()
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
                  "name": name, "title": "Demo", "version": version,
                  "resources": csvs + parquets}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    (folder / "README.md").write_text(f"# {name} {version}\n", encoding="utf-8")
    (folder / "CHANGELOG.md").write_text(f"## {version}\n\nFirst release.\n", encoding="utf-8")
    return folder


def _sqlite(v: Any) -> Any:
    return int(v) if isinstance(v, bool) else v


def write_zip(folder: Path, dest: Path, entries: dict[str, bytes] | None = None) -> Path:
    """The folder as a zip, entries relative to it (or exactly ``entries`` if given)."""
    if entries is None:
        entries = {p.relative_to(folder).as_posix(): p.read_bytes()
                   for p in sorted(folder.rglob("*")) if p.is_file()}
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data)
    return dest


def add_release(store: Path, package: Path, name: str, version: str,
                zip_entries: dict[str, bytes] | None = None, built_zip: Path | None = None,
                ) -> dict:
    """Copy a package folder (and its zip, or a new one) into a store; list it in catalog.json."""
    (store / name).mkdir(parents=True, exist_ok=True)
    shutil.copytree(package, store / name / version)
    zpath = store / name / f"{name}-{version}.zip"
    if built_zip is not None:
        shutil.copyfile(built_zip, zpath)
    else:
        write_zip(store / name / version, zpath, zip_entries)
    catalog_path = store / "catalog.json"
    catalog = (json.loads(catalog_path.read_text()) if catalog_path.exists()
               else {"catalog_version": 1, "datasets": {}})
    ds = catalog["datasets"].setdefault(name, {"title": "Demo", "description": "d",
                                               "latest": version, "versions": {}})
    files = [{"path": p.relative_to(store).as_posix(), "sha256": sha256(p),
              "bytes": p.stat().st_size}
             for p in sorted((store / name / version).rglob("*")) if p.is_file()]
    ds["versions"][version] = {
        "version": version, "released_on": "2026-11-24", "commit": "0" * 40,
        "path": f"{name}/{version}/",
        "zip": {"path": zpath.relative_to(store).as_posix(), "sha256": sha256(zpath),
                "bytes": zpath.stat().st_size},
        "files": files, "changelog": f"## {version}", "diff": None}
    ds["latest"] = max(ds["versions"], key=version_key)
    catalog_path.write_text(json.dumps(catalog, indent=2), encoding="utf-8")
    return ds["versions"][version]


def write_store(root: Path, versions: tuple[str, ...] = ("1.0.0", "1.1.0"),
                name: str = "demo") -> Path:
    """A store holding the synthetic package at each version (rows grow with the version)."""
    store = root / "store"
    for i, version in enumerate(versions):
        rows = {t: [list(r) for r in rs] for t, rs in ROWS.items()}
        for n in range(i):
            rows["visits"].append([10 + n, "odesa", f"added in {version}"])
        pkg = write_package(root / "packages" / version, name, version, rows)
        add_release(store, pkg, name, version)
    return store


def factpack(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO,
             ) -> subprocess.CompletedProcess:
    """Run ``python -m factpack ARGS`` and capture its output."""
    return subprocess.run([sys.executable, "-m", "factpack", *args], cwd=cwd, env=env, check=False,
                          capture_output=True, text=True, timeout=600)


def published_store(root: Path) -> tuple[Path, str, str]:
    """A store made by ``factpack publish`` from a fresh clone of the repository's HEAD.

    A clone, so that publishing (which writes the release ledger) leaves the shared
    working tree alone. Returns (store, name, latest version) of the first dataset.
    """
    clone = root / "repo"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)],
                   check=True, capture_output=True)
    store = root / "site"
    done = factpack("publish", "--store", str(store), "--no-site", cwd=clone)
    assert done.returncode == 0, f"factpack publish failed:\n{done.stdout}\n{done.stderr}"
    catalog = json.loads((store / "catalog.json").read_text(encoding="utf-8"))
    name = min(catalog["datasets"])
    return store, name, catalog["datasets"][name]["latest"]


_RELEASED: list[tuple[Path, str, str]] = []


def release_store(root: Path) -> tuple[Path, str, str]:
    """The real dataset in a store made by ``factpack publish``.

    Made once per test session (under the first caller's ``root``); callers that
    change files must work on a copy.
    """
    if not _RELEASED:
        _RELEASED.append(published_store(root))
    return _RELEASED[0]


# -- comparing tables across readers ------------------------------------------------------

def cell_value(v: Any, kind: str) -> Any:
    """A cell as a plain Python value of its Table Schema type, None for every kind of null.

    Only lossless representations are accepted (a SQLite 0/1 boolean, an R double
    holding a whole number, an ISO date string from SQLite or JSON); anything else
    comes back as ``("unexpected", repr)`` so that the comparison fails.
    """
    import numbers

    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if kind == "integer" and isinstance(v, numbers.Real) and not isinstance(v, bool) \
            and float(v).is_integer():
        return int(v)
    if kind == "number" and isinstance(v, (numbers.Real, Decimal)) and not isinstance(v, bool):
        return float(v)  # frictionless reads a number as the exact Decimal of its text
    if kind == "boolean" and (isinstance(v, bool) or type(v).__name__ == "bool_"
                              or (isinstance(v, int) and v in (0, 1))):
        return bool(v)
    if kind == "date":
        if isinstance(v, str) and len(v) == 10:
            return dt.date.fromisoformat(v)
        if isinstance(v, dt.datetime) and v.time() == dt.time():
            return v.date()
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return v
    if kind not in ("integer", "number", "boolean", "date") and isinstance(v, str):
        return v
    return ("unexpected", repr(v))


def typed_rows(names: list[str], rows, fields: list[dict]) -> tuple:
    """Rows as (type name, value) cells, typed from the schema: equal means identical."""
    kinds = {f["name"]: f["type"] for f in fields}
    assert list(names) == [f["name"] for f in fields]
    return tuple(tuple((type(c).__name__, c) for c in
                       (cell_value(v, kinds[n]) for n, v in zip(names, row, strict=True)))
                 for row in rows)


# -- a real HTTP server ------------------------------------------------------------------------

@dataclass
class Faults:
    """Failure injection, by file name (the last part of the URL path)."""

    drop: dict[str, list[int]] = field(default_factory=dict)  # close after N bytes, once per item
    truncate: dict[str, int] = field(default_factory=dict)  # the file has only N bytes
    die: dict[str, int] = field(default_factory=dict)  # send N bytes, then the server goes away
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:  # http.server's naming
        server: _Server = self.server  # type: ignore[assignment]
        faults = server.faults
        faults.requests.append((self.path, self.headers.get("Range")))
        if server.gone:  # accepted before the listening socket closed: still no answer
            self._hang_up()
            return
        path = (server.root / self.path.split("?")[0].lstrip("/")).resolve()
        if not path.is_file() or server.root not in path.parents:
            self.send_error(404)
            return
        data = path.read_bytes()[: faults.truncate.get(path.name)]
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        cut = faults.drop[path.name].pop(0) if faults.drop.get(path.name) else None
        die = faults.die.pop(path.name, None)
        stop = die if die is not None else cut
        if stop is None:
            self.wfile.write(body)
            return
        self.wfile.write(body[: max(stop - start, 0)])
        self.wfile.flush()
        if die is not None:
            server.gone = True  # before hanging up, so no retry can get an answer
            threading.Thread(target=server.go_away, daemon=True).start()
        self._hang_up()

    def _hang_up(self) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    faults: Faults
    gone = False

    def go_away(self) -> None:
        self.shutdown()
        self.server_close()


@contextmanager
def serve(root: Path, faults: Faults | None = None):
    """Serve ``root`` on 127.0.0.1; yields (base URL, faults)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.root, server.faults = root.resolve(), faults or Faults()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server.faults
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
