"""``factpack build``: validate a dataset, then write its immutable, reproducible package.

Flow: layers 1–3 (release rules on) → typed tables → every file written into a
temporary folder next to the target (the SQLite database in a thread beside the
others and the start of layer 4) → layer 4 (:mod:`factpack.build.check`) → the zip →
renamed into place (:mod:`factpack.build.output`). An invalid dataset or a failed check
writes nothing and leaves an earlier build as it was.

Output (``build/<name>/``)::

    <version>/datapackage.json, data/<table>.csv, data/<table>.parquet,
              README.md, CHANGELOG.md, <name>.sqlite
    <name>-<version>.zip
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from ..core.atomic import temp_folder
from ..core.errors import ErrorRecord, FactpackError
from ..descriptors.load import LoadedPackage, load_dataset
from ..spec.tables import PARQUET_SUFFIX
from ..validation.run import Report, records_frame, validate_package
from . import codebook, parquet, sqlite
from .check import check_built
from .output import archive_path, put_file, put_folder, write_zip
from .parquet import file_hash

PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"

# Layer 4 on a staged version folder; the callable waits for the last write (the SQLite
# database, begun before the other files) and is called inside it, beside its other checks.
Check = Callable[..., list[ErrorRecord]]


class BuildInvalid(FactpackError):
    """The dataset (or the package built from it) is invalid: exit 1, report attached."""

    def __init__(self, report: Report, message: str) -> None:
        super().__init__(message)
        self.report = report


def dump_json(obj: Any) -> str:
    """Stable JSON: insertion order (fixed by the code), two-space indent, trailing newline."""
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n"


# ---------------------------------------------------------------- tables


def sorted_tables(pkg: LoadedPackage,
                  report: Report) -> dict[str, tuple[pl.DataFrame, pl.DataFrame]]:
    """Each table as (cell text, typed) frames, rows in primary-key order.

    The text is exactly what layer 2 validated; missing cells are written back as
    the field's first missing value (normally the empty string).
    """
    out = {}
    for res in pkg.resources:
        schema = res.schema
        raw = report.tables[res.name].raw
        assert raw is not None  # a valid table was read
        text = raw.select(f.name for f in schema.fields)
        typed = parquet.typed(text, schema)
        keys = schema.primaryKey or []
        if keys:  # sort on typed values (an integer key sorts as a number), then apply to both
            order = typed.with_row_index("_i").sort(keys, nulls_last=False, maintain_order=True)
            idx = order.get_column("_i")
            text, typed = text[idx], typed[idx]
        # "" is written as an unquoted empty cell (null_value); another first missing
        # value, e.g. "NA", is filled in so that the cell reads back as missing.
        text = text.with_columns(
            pl.col(f.name).fill_null(parquet.null_text(f, schema)[0])
            for f in schema.fields if parquet.null_text(f, schema)[:1] not in ([], [""]))
        out[res.name] = (text, typed)
    return out


def write_csv(text: pl.DataFrame, path: Path) -> None:
    """UTF-8, LF, RFC 4180 quoting (only where needed); a null is an empty, unquoted cell."""
    text.write_csv(path, line_terminator="\n", quote_style="necessary", null_value="")


# ---------------------------------------------------------------- descriptor


def package_descriptor(pkg: LoadedPackage, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Data Package v2 metadata from ``dataset.yaml`` (``created`` from it, never the clock)."""
    meta = pkg.meta
    assert meta is not None

    def dump(items: list) -> list[dict[str, Any]]:
        return [m.model_dump(by_alias=True, exclude_defaults=True) for m in items]

    desc: dict[str, Any] = {"$schema": PACKAGE_PROFILE, "name": meta.name, "title": meta.title,
                            "version": meta.version, "description": meta.description}
    if meta.homepage:
        desc["homepage"] = meta.homepage
    desc |= {"licenses": dump(meta.licenses), "contributors": dump(meta.contributors)}
    if meta.sources:
        desc["sources"] = dump(meta.sources)
    if meta.keywords:
        desc["keywords"] = meta.keywords
    desc["created"] = meta.created
    desc["resources"] = resources
    return desc


def resource_descriptors(pkg: LoadedPackage, folder: Path) -> list[dict[str, Any]]:
    """CSV resources (FK order, the tables' own names), then their Parquet twins.

    A Parquet resource declares ``hash`` but not ``bytes``: frictionless-py 5.21
    never measures a Parquet file, so a declared ``bytes`` fails there ("actual is
    None"). factpack verifies the hash, types and rows itself (:mod:`factpack.build.check`).
    Its schema is :func:`factpack.build.parquet.twin_schema` of the CSV's.
    """
    csvs, parquets = [], []
    for res in pkg.resources:
        schema = json.loads(dump_json(pkg.schemas[res.name]))  # YAML dates etc. → JSON values
        head = {k: schema[k] for k in ("title", "description") if k in schema}
        csv_path, pq_path = f"data/{res.name}.csv", f"data/{res.name}.parquet"
        csvs.append({
            "name": res.name, "type": "table", "path": csv_path, **head, "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8",
            "bytes": (folder / csv_path).stat().st_size, "hash": file_hash(folder / csv_path),
            "schema": schema,
        })
        parquets.append({
            "name": res.name + PARQUET_SUFFIX, "type": "table", "path": pq_path, **head,
            "format": "parquet", "mediatype": PARQUET_MEDIATYPE,
            "hash": file_hash(folder / pq_path), "schema": parquet.twin_schema(schema),
        })
    return csvs + parquets


# ---------------------------------------------------------------- files


def write_version(pkg: LoadedPackage, report: Report, dataset_dir: Path, dest: Path,
                  pool: ThreadPoolExecutor) -> Callable[[], None]:
    """Every file of ``<version>/`` into ``dest`` (an empty folder). The SQLite database,
    which no other file depends on, is written in a ``pool`` thread (SQLite and ADBC let go
    of the GIL) while this one writes the rest; the callable returned waits for it (see
    ``Check``) and raises its error, if any."""
    (dest / "data").mkdir()
    tables = sorted_tables(pkg, report)
    for result in report.tables.values():  # sorted copies made: layer 4 reads the files,
        result.raw = result.canon = None    # not these (~0.5 GB of text at 1 M rows)
    typed_tables = [(r.name, r.schema, tables[r.name][1]) for r in pkg.resources]
    database = pool.submit(sqlite.write, dest / f"{pkg.name}.sqlite", typed_tables)
    del typed_tables  # the thread holds them until they are written
    counts = {name: t.height for name, (t, _) in tables.items()}
    for res in pkg.resources:
        text, typed = tables.pop(res.name)
        write_csv(text, dest / "data" / f"{res.name}.csv")
        parquet.write(typed, res.schema, dest / "data" / f"{res.name}.parquet")
        del text, typed  # written: only the database's thread still holds the typed frame
    desc = package_descriptor(pkg, resource_descriptors(pkg, dest))
    (dest / "datapackage.json").write_text(dump_json(desc), encoding="utf-8")
    readme = codebook.render(desc, counts)
    (dest / "README.md").write_text(readme, encoding="utf-8")
    changelog = dataset_dir / "CHANGELOG.md"
    if changelog.is_file():
        shutil.copyfile(changelog, dest / "CHANGELOG.md")

    def write_database() -> None:
        try:
            database.result()
        except sqlite.SQLiteError as exc:
            raise FactpackError(f"{pkg.descriptor_path}: cannot write the SQLite database: "
                                f"{exc}") from exc

    return write_database


# ---------------------------------------------------------------- build


def validate_datasets(folders: list[Path], root: Path) -> list[tuple[LoadedPackage, Report]]:
    """Each dataset loaded and validated with the release rules on (layers 1–3). The command
    validates every dataset before building any: one invalid dataset means nothing is built."""
    pkgs = [load_dataset(f, root) for f in folders]
    return [(p, validate_package(p, release=True)) for p in pkgs]


def build_dataset(dataset_dir: Path, root: Path, out: Path | None = None,
                  force: bool = False, check: Check = check_built) -> Path:
    """Validate and build one dataset; return ``<out>/<name>/<version>``.

    Raises :class:`BuildInvalid` (nothing written) if the dataset or the built
    package is invalid, and :class:`FactpackError` if a different build of the same
    version is already there (unless ``force``). Old release commits' own code is called
    through this name (``factpack.build.build_dataset``), so it keeps its signature.
    """
    ((pkg, report),) = validate_datasets([Path(dataset_dir)], root)
    if not report.valid:
        raise BuildInvalid(report, f"{pkg.descriptor_path}: invalid, nothing was built")
    return build_validated(pkg, report, Path(dataset_dir), out or root / "build", force, check)


def build_validated(pkg: LoadedPackage, report: Report, dataset_dir: Path, out: Path,
                    force: bool = False, check: Check = check_built) -> Path:
    """Write a dataset that passed layers 1–3: stage, ``check`` (layer 4), rename into place."""
    meta = pkg.meta
    assert meta is not None and report.valid
    base = out / meta.name
    target = base / meta.version
    archive = archive_path(target)
    new_dirs = [d for d in (base, *base.parents) if not d.exists()]  # to remove on failure
    base.mkdir(parents=True, exist_ok=True)
    done = False
    try:
        # a folder a killed build left behind is removed by the next (core.atomic.temp_folder)
        with temp_folder(base, f".tmp-{meta.version}-") as tmp:
            staged = tmp / meta.version
            staged.mkdir()
            with ThreadPoolExecutor(1) as pool:  # (left when the database is written)
                write_database = write_version(pkg, report, dataset_dir, staged, pool)
                problems = check(staged, alongside=write_database)
                write_database()  # written (a ``check`` that does not wait still raises its error)
            if problems:
                raise BuildInvalid(Report(pkg, records_frame(problems)),
                                   f"{pkg.descriptor_path}: the built package failed its checks "
                                   "(layer 4), nothing was written")
            write_zip(staged, tmp / archive.name)
            if not put_folder(staged, target, force):
                raise FactpackError(
                    f"{target}: an earlier build of {meta.name} {meta.version} has different "
                    f"content; bump 'version' in {pkg.descriptor_path} (a version is never "
                    "rebuilt with different content) or build with --force to replace it")
            put_file(tmp / archive.name, archive)
            done = True
    finally:
        if not done:  # folders this build created, deepest first, if still empty
            for d in new_dirs:
                if d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
    return target
