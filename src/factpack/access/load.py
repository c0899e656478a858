"""``factpack.load``: a package's tables as typed polars DataFrames, verified first.

``load("NAME")``, ``load("NAME@1.0.0")`` or ``load("NAME", version="1.0.0")``
fetch from a release store (see :mod:`factpack.access.fetch`); ``load(PATH_OR_URL)``
takes a package folder, a ``datapackage.json``, or a package ``.zip`` (local,
``file://`` or ``http(s)://``). Every file a resource names is checked against
the ``bytes`` and ``hash`` its ``datapackage.json`` declares before a table is
read. Tables come from the Parquet files (typed) and are checked against the
Table Schema; a table published only as CSV is typed from its schema.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import polars as pl

from ..core.errors import FactpackError
from ..core.hashing import data_digest, file_digest
from ..core.transfer import Store
from ..core.unpack import (
    DESCRIPTOR_LIMIT,
    MAX_PACKAGE_BYTES,
    entry_digests,
    read_package_json,
    resource_paths,
    unpack,
)
from ..spec import fieldtypes, models
from ..spec.parse import parse_package, parse_schema
from ..spec.tables import TableResources, group_tables
from .fetch import (
    SPEC,
    cache_dir,
    check_package,
    fetch,
    file_errors,
    install,
    still_intact,
    work_dir,
)
from .tables import TableMapping

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


@dataclass(frozen=True, repr=False)
class Package(TableMapping):
    """A loaded package: ``tables`` (name -> polars DataFrame) and ``metadata`` (the descriptor)."""

    path: Path
    metadata: dict[str, Any]
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{t} {df.height}x{df.width}" for t, df in self.tables.items())
        return f"<Package {self.name} {self.version} at {self.path}: {shapes}>"

    def schema(self, table: str) -> dict[str, Any]:
        """The Table Schema of a table, as in ``datapackage.json``."""
        self[table]  # a KeyError that names the tables
        return _tables(self.metadata, self.path)[table].main.schema_ or {}

    def to_pandas(self) -> dict[str, pd.DataFrame]:
        """Every table as a pandas DataFrame: nullable Int64/boolean columns, dates as datetime64."""
        import pandas as pd
        import pyarrow as pa

        nullable = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(),
                    pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
                    pa.bool_(): pd.BooleanDtype()}
        return {name: df.to_arrow().to_pandas(types_mapper=nullable.get, date_as_object=False)
                for name, df in self.tables.items()}

    def duckdb(self, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per table over its Parquet file."""
        import duckdb

        con = duckdb.connect(database)
        for name, table in _tables(self.metadata, self.path).items():
            if table.parquet is not None:
                path = str(self.path / resource_paths(table.parquet.path, name)[0])
                con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS "
                            f"SELECT * FROM read_parquet({_literal(path)})")
            else:  # no Parquet twin: the typed frame itself
                con.register(name, self.tables[name].to_arrow())
        return con


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load(source: str | Path, version: str | None = None, *,
         store: str | Path | None = None, progress: bool = True, lazy: bool = False
         ) -> Package:
    """Load a package's tables, verified: see the module docstring for ``source``.

    ``lazy=True`` downloads nothing: it returns a :class:`factpack.access.lazy.LazyPackage`
    of polars LazyFrames over the published Parquet where it lies (http(s), s3 or a folder).
    """
    text = str(source)
    if lazy:
        from .lazy import scan

        return scan(text, version, store=str(store) if store is not None else None)
    if "://" in text or Path(text).exists():
        if version is not None:
            raise FactpackError("version= goes with a package name, not with a path or URL")
        with file_errors():
            folder = _from_url(text, progress) if "://" in text else _from_path(Path(text))
    elif isinstance(source, str) and SPEC.match(text):
        folder = fetch(text, version=version, store=store, progress=progress)
    else:
        raise FactpackError(f"{text}: no such file, and not a package name (NAME[@VERSION])")
    return read_package(folder)


def _from_path(path: Path) -> Path:
    if path.is_dir():
        check_package(path, None, None)
        return path
    if path.name == "datapackage.json":
        check_package(path.parent, None, None)
        return path.parent
    if path.suffix == ".zip":
        return _cache_zip(path, file_digest(path)[0])
    raise FactpackError(f"{path}: expected a package folder, a datapackage.json or a .zip")


def _intact(final: Path, check: Callable[[], bool]) -> bool:
    """A cached package that ``check`` finds unchanged; a changed one is removed, to be made
    again from its source (the zip or the descriptor the cache entry is named after)."""
    if not final.is_dir():
        return False
    try:
        if check():
            return True
    except FactpackError:
        pass
    shutil.rmtree(final)  # never hand out a changed copy; the caller unpacks it again
    return False


def _cache_zip(archive: Path, sha: str) -> Path:
    """Unpack a zip that no catalog describes; its datapackage.json vouches for the tables.
    A cached copy is served only while every file is still the zip's, byte for byte."""
    final = cache_dir() / "packages" / sha
    if _intact(final, lambda: still_intact(final, entry_digests(archive))):
        return final
    with work_dir() as work:
        unpacked = work / "package"
        unpacked.mkdir()
        unpack(archive, unpacked, own_sizes=True)
        check_package(unpacked, None, None)
        return install(unpacked, final)


def _from_url(url: str, progress: bool) -> Path:
    parts = urlsplit(url)
    base, _, leaf = url.rpartition("/")
    store = Store(base + "/", progress=progress)
    if parts.path.endswith(".zip"):
        with work_dir() as work:
            got = store.download(leaf, work / (leaf + ".part"), None, MAX_PACKAGE_BYTES)
            return _cache_zip(got.path, got.sha256)
    if parts.path.endswith("datapackage.json"):
        return _from_descriptor_url(store, leaf)
    raise FactpackError(f"{url}: a URL must name a package .zip or its datapackage.json "
                        "(for a release store use load(NAME, store=URL))")


def _from_descriptor_url(store: Store, leaf: str) -> Path:
    """Download a descriptor and every resource file it names, each checked against its hash."""
    raw = store.read(leaf, DESCRIPTOR_LIMIT)
    sha = data_digest(raw)
    final = cache_dir() / "descriptors" / sha

    def unchanged() -> bool:  # the descriptor is the one downloaded; every file its hash
        if file_digest(final / "datapackage.json")[0] != sha:
            return False
        check_package(final, None, None)
        return True

    if _intact(final, unchanged):
        return final
    with work_dir() as work:
        folder = work / "package"
        folder.mkdir()
        (folder / "datapackage.json").write_bytes(raw)
        descriptor = read_package_json(folder)
        budget, used = MAX_PACKAGE_BYTES, 0  # for all the files together, whatever they declare
        for res in descriptor["resources"]:
            paths = resource_paths(res.get("path"), res.get("name"))
            if paths and not res.get("hash"):
                # Without a hash the descriptor does not pin the content: nothing to verify.
                raise FactpackError(f"{store.where(leaf)}: resource {res.get('name')!r} declares "
                                    "no hash, so its download cannot be verified")
            for rel in paths:
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                size = res.get("bytes") if len(paths) == 1 else None
                size = size if type(size) is int and size >= 0 else None  # else: not a size
                left = budget - used
                if isinstance(size, int) and size > left:  # declared sizes are claims too
                    raise FactpackError(
                        f"{store.where(rel)}: declared as {size} bytes, over what is left of "
                        f"factpack's cap of {budget} bytes for a package; refusing it")
                used += store.download(rel, folder / rel, size, left).bytes
        check_package(folder, None, None)
        return install(folder, final)


# -- reading the tables ------------------------------------------------------------------------

def _tables(descriptor: dict[str, Any], folder: Path) -> dict[str, TableResources]:
    """The package's tables, from the descriptor parsed into the Data Package model."""
    return group_tables(parse_package(descriptor, str(folder / "datapackage.json")))


def _table_schema(folder: Path, table: TableResources) -> models.Schema:
    """The table's Table Schema (the CSV resource's: see :class:`TableResources`)."""
    raw = table.main.schema_
    if isinstance(raw, str):
        raise FactpackError(f"{folder}: table {table.name!r} names its schema by reference "
                            f"({raw!r}); factpack.load reads inline schemas only")
    return parse_schema(raw, f"{folder}: table {table.name!r}")


def read_package(folder: Path) -> Package:
    """Read an already verified package folder."""
    descriptor = read_package_json(folder)
    tables = {}
    for name, table in _tables(descriptor, folder).items():
        schema = _table_schema(folder, table)
        if table.parquet is not None:
            tables[name] = _read_parquet(folder, table.parquet, schema)
        else:
            tables[name] = _read_csv(folder, table.main, schema)
    if not tables:
        raise FactpackError(f"{folder}: the package has no CSV or Parquet tables")
    return Package(folder, descriptor, tables)


def _read_parquet(folder: Path, res: models.Resource, schema: models.Schema) -> pl.DataFrame:
    rel = resource_paths(res.path, res.name)[0]
    try:
        frame = pl.read_parquet(folder / rel)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise FactpackError(f"{rel}: cannot read the Parquet file ({exc})") from None
    names = [f.name for f in schema.fields]
    if names and frame.columns != names:
        raise FactpackError(f"{rel}: columns {frame.columns} differ from the Table Schema's "
                            f"{names}")
    for f in schema.fields:
        dtype = frame.schema[f.name]
        # the Parquet column types that faithfully hold the type (fieldtypes.TYPES)
        if not fieldtypes.TYPES[f.type].accepts(dtype):
            raise FactpackError(f"{rel}: column {f.name!r} is {dtype} in Parquet, but the "
                                f"Table Schema says {f.type}")
    return frame


def _read_csv(folder: Path, res: models.Resource, schema: models.Schema) -> pl.DataFrame:
    """A CSV-only table typed the way factpack's Parquet would be; unparsable cells are errors."""
    from ..build import parquet

    rel = resource_paths(res.path, res.name)[0]
    try:
        text = parquet.read_text(folder / rel, schema)
        typed = parquet.typed(text, schema)
    except pl.exceptions.PolarsError as exc:
        raise FactpackError(f"{rel}: cannot read the CSV as its Table Schema says ({exc})") from None
    for f in schema.fields:
        lost = text.get_column(f.name).is_not_null() & typed.get_column(f.name).is_null()
        if lost.any():
            row = int(lost.arg_true()[0])
            raise FactpackError(f"{rel}: row {row + 2}, field {f.name!r}: "
                                f"{text.get_column(f.name)[row]!r} is not a valid {f.type}")
    return typed

