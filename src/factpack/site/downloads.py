"""A version's downloads (the catalog's file list: path, size, sha256) and the copy-paste
snippets that load them."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ..spec.catalog import CatalogFile, CatalogVersion

DEFAULT_STORE = "build/site"  # where `make build` publishes; the fetch command's default
EXAMPLE_TABLES = ("figures", "statements")  # the table the load snippets use, if present
KINDS = {".csv": "CSV", ".parquet": "Parquet", ".zip": "Zip of the whole package",
         ".sqlite": "SQLite database", ".md": "Markdown", ".json": "JSON"}
MEDIATYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet",
              ".json": "application/json", ".zip": "application/zip",
              ".sqlite": "application/vnd.sqlite3", ".md": "text/markdown"}
ORDER = {".zip": 0, ".json": 1, ".sqlite": 2, ".csv": 3, ".parquet": 3, ".md": 5}  # else 4


@dataclass
class FileEntry:
    path: str  # relative to the store
    sha256: str
    bytes: int
    href: str  # relative to the page that lists it

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.path)[1]

    @property
    def kind(self) -> str:
        if self.name == "datapackage.json":
            return "Data Package descriptor (JSON)"
        return KINDS.get(self.suffix, "file")

    @property
    def mediatype(self) -> str:
        return MEDIATYPES.get(self.suffix, "application/octet-stream")


def relative(target: str, page_dir: str) -> str:
    """A store-relative path as seen from a page in ``page_dir`` ('' for the store root)."""
    return posixpath.relpath(target, page_dir or ".") + ("/" if target.endswith("/") else "")


def download(f: CatalogFile, page_dir: str) -> FileEntry:
    return FileEntry(f.path, f.sha256, f.bytes, relative(f.path, page_dir))


def files(version: CatalogVersion, page_dir: str) -> list[FileEntry]:
    """The version's downloads, as the catalog lists them: the zip, the descriptor, the
    database, the tables (each CSV beside its Parquet twin), then the rest."""
    out = [download(f, page_dir) for f in (version.zip, *version.files)]
    return sorted(out, key=lambda f: (ORDER.get(f.suffix, 4), posixpath.splitext(f.name)[0],
                                      f.path))


def snippets(name: str, version: str, tables: list[str], base: str) -> list[dict[str, str]]:
    """Copy-paste loaders. ``base`` is store-relative; the page's script makes it a full URL."""
    t = next((x for x in EXAMPLE_TABLES if x in tables), tables[0] if tables else "table")
    return [
        {"title": "Command line", "lang": "shell", "code":
            f"factpack fetch {name}@{version} --store {DEFAULT_STORE} --to {name}-{version}\n"
            f"# check your copy, e.g. in CI (exit 0 = valid):\n"
            f"factpack validate {name}-{version}/datapackage.json"},
        {"title": "Python: pandas", "lang": "python", "code":
            f'import pandas as pd\nbase = "{base}"\n'
            f'{t} = pd.read_parquet(base + "data/{t}.parquet")\n'
            f"# or the CSV, keeping codes and partial dates (2025-06) as text:\n"
            f'{t} = pd.read_csv(base + "data/{t}.csv", dtype=str, keep_default_na=False)'},
        {"title": "Python: polars", "lang": "python", "code":
            f'import polars as pl\nbase = "{base}"\n'
            f'{t} = pl.read_parquet(base + "data/{t}.parquet")'},
        {"title": "Python: frictionless", "lang": "python", "code":
            f'from frictionless import Package\n'
            f'package = Package("{base}datapackage.json")\n'
            f'rows = package.get_resource("{t}").read_rows()'},
        {"title": "R", "lang": "r", "code":
            f'base <- "{base}"\n'
            f'{t} <- read.csv(paste0(base, "data/{t}.csv"), colClasses = "character",\n'
            f'         na.strings = "", encoding = "UTF-8")'},
        {"title": "DuckDB", "lang": "sql", "code":
            f"SELECT * FROM read_parquet('{base}data/{t}.parquet');"},
        {"title": "SQLite", "lang": "shell", "code":
            f'sqlite3 {name}.sqlite ".tables"\n'
            f'sqlite3 -header {name}.sqlite "SELECT * FROM {t} LIMIT 5"'},
    ]
