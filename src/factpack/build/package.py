"""``factpack build``: validate a dataset, then write its immutable, reproducible package.

Flow: layers 1–3 (release rules on) → typed tables → everything written into a
temporary folder next to the target → layer 4 (frictionless-py on the built
``datapackage.json`` and factpack's own check of what it skips, see
:func:`factpack.parquet.verify_package`) → renamed into place. An invalid
dataset or a failed check writes nothing and leaves an earlier build as it was.

Layer 4 runs frictionless-py on every row of every CSV resource, but on only the
first :data:`PARQUET_SAMPLE_ROWS` rows of each Parquet twin: its Parquet reader
costs ~0.4 ms a row (~8 minutes for a 1 M-row twin, 6× the CSV), and factpack
proves every twin row equal to the CSV row frictionless-py checked (see
:func:`frictionless_jobs`). For a large package the frictionless-py runs go to two
worker processes while this one does its own checks.

Output (``build/<name>/``)::

    <version>/datapackage.json, data/<table>.csv, data/<table>.parquet,
              README.md, CHANGELOG.md, <name>.sqlite
    <name>-<version>.zip
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from ..core.errors import ErrorRecord, FactpackError
from ..descriptors.load import LoadedPackage, load_dataset
from ..validate.run import Report, records_frame, validate_package
from . import codebook, parquet, sqlite
from .parquet import file_hash

PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold: no clock in the output
COPY_BUFFER = 8 << 20
PARQUET_SAMPLE_ROWS = 10_000  # frictionless-py's rows per Parquet twin, see frictionless_jobs
PARALLEL_MIN_BYTES = 20 << 20  # less data: starting two worker processes (~1 s) costs more


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
    None"). factpack verifies the hash, types and rows itself (:mod:`factpack.parquet`).
    Its schema is :func:`factpack.parquet.twin_schema` of the CSV's.
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
            "name": res.name + parquet.PARQUET_SUFFIX, "type": "table", "path": pq_path, **head,
            "format": "parquet", "mediatype": PARQUET_MEDIATYPE,
            "hash": file_hash(folder / pq_path), "schema": parquet.twin_schema(schema),
        })
    return csvs + parquets


# ---------------------------------------------------------------- files


def write_zip(folder: Path, dest: Path, prefix: str) -> None:
    """The folder as a zip with sorted entries, fixed dates and permissions.

    Entries are stored, not deflated: deflate's bytes depend on the zlib build the
    interpreter links, and a release must rebuild byte for byte on another machine.
    (The Parquet files are already zstd-compressed.)
    """
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(folder).as_posix()}", ZIP_DATE)
            info.create_system = 3  # unix, so the permissions below are read
            info.external_attr = 0o100644 << 16
            info.file_size = path.stat().st_size  # known up front, as writestr sets it: same bytes
            with path.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, COPY_BUFFER)  # streamed: a table is not held whole


def write_version(pkg: LoadedPackage, report: Report, dataset_dir: Path, dest: Path) -> None:
    """Every file of ``<version>/`` into ``dest`` (an empty folder)."""
    (dest / "data").mkdir()
    tables = sorted_tables(pkg, report)
    for res in pkg.resources:
        text, typed = tables[res.name]
        write_csv(text, dest / "data" / f"{res.name}.csv")
        parquet.write(typed, res.schema, dest / "data" / f"{res.name}.parquet")
    sqlite.write(dest / f"{pkg.name}.sqlite",
                 [(r.name, r.schema, tables[r.name][1]) for r in pkg.resources])
    desc = package_descriptor(pkg, resource_descriptors(pkg, dest))
    (dest / "datapackage.json").write_text(dump_json(desc), encoding="utf-8")
    counts = {name: t.height for name, (t, _) in tables.items()}
    readme = codebook.render(desc, counts)
    (dest / "README.md").write_text(readme, encoding="utf-8")
    changelog = dataset_dir / "CHANGELOG.md"
    if changelog.is_file():
        shutil.copyfile(changelog, dest / "CHANGELOG.md")


def same_files(a: Path, b: Path) -> bool:
    """Whether two folders hold the same files with the same bytes."""
    def listing(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): file_hash(p)
                for p in folder.rglob("*") if p.is_file()}
    return listing(a) == listing(b)


def swap(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by ``new``.

    rename(2) cannot replace a non-empty folder, so the old one is first renamed
    aside, and renamed back if the second rename fails.
    """
    aside = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
    os.replace(target, aside / target.name)
    try:
        os.replace(new, target)
    except OSError:
        os.replace(aside / target.name, target)
        raise
    shutil.rmtree(aside)


# ---------------------------------------------------------------- layer 4


def frictionless_errors(descriptor: Path, name: str | None = None,
                        limit_rows: int | None = None) -> list[ErrorRecord]:
    """The reference tool's verdict on a built package (or one of its resources, or the
    first ``limit_rows`` rows of it), as error records: ``frictionless validate
    datapackage.json [--resource-name NAME] [--limit-rows N]``."""
    import frictionless

    try:
        result = frictionless.validate(str(descriptor), name=name, limit_rows=limit_rows)
    except frictionless.FrictionlessException as exc:
        return [ErrorRecord(code="package-error", path=descriptor.name,
                            message=f"frictionless: {exc}")]
    out = [ErrorRecord(code=e.type, path=descriptor.name, message=f"frictionless: {e.message}")
           for e in result.errors]
    for task in result.tasks:
        for e in task.errors:
            out.append(ErrorRecord(
                code=e.type, resource=task.name, path=task.place,
                row=getattr(e, "row_number", None), field=getattr(e, "field_name", None),
                value=None if getattr(e, "cell", None) is None else str(e.cell),
                message=f"frictionless: {e.message}"))
    return out


def frictionless_jobs(folder: Path) -> list[tuple[str | None, int | None]]:
    """Layer 4's frictionless-py runs: (resource name, row limit), largest file first.

    Every row of every CSV resource. A Parquet twin only up to
    :data:`PARQUET_SAMPLE_ROWS` rows: frictionless-py 5.21 reads Parquet through
    pandas, row by row and field by field (~0.4 ms a row, 6× its CSV reader), and
    :func:`factpack.parquet.verify_package` proves each of the twin's rows equal to
    its CSV twin's, typed. So the sample shows that the reference tool opens the
    file and accepts its types and twin schema; the CSV run covers the values.
    A descriptor that cannot be read gets one run on the whole package.
    """
    try:
        resources = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))[
            "resources"]
        jobs = [(r["name"], PARQUET_SAMPLE_ROWS if r.get("format") == "parquet" else None,
                 (folder / r["path"]).stat().st_size) for r in resources]
    except (OSError, ValueError, KeyError, TypeError):
        return [(None, None)]
    return [(name, limit) for name, limit, _ in sorted(jobs, key=lambda j: -j[2])]


def check_built(folder: Path) -> list[ErrorRecord]:
    """Layer 4: frictionless-py on ``datapackage.json`` (see :func:`frictionless_jobs`), and
    factpack's own checks of the Parquet files (hash, types, rows against the CSV) and of
    the SQLite database.

    frictionless-py is pure Python, one core per run. In a large package its runs go to
    two worker processes (the largest file in one, the rest in the other) while this
    process does its own checks.
    """
    descriptor = folder / "datapackage.json"
    jobs = frictionless_jobs(folder)
    size = sum(p.stat().st_size for p in (folder / "data").glob("*") if p.is_file())
    if size < PARALLEL_MIN_BYTES:
        theirs = [e for job in jobs for e in frictionless_errors(descriptor, *job)]
        ours = own_checks(folder)
    else:
        workers = [start_worker(descriptor, part) for part in (jobs[:1], jobs[1:]) if part]
        try:
            ours = own_checks(folder)
            theirs = [e for w in workers for e in worker_errors(w, descriptor)]
        finally:  # e.g. interrupted: no run is left behind
            for w in workers:
                w.kill()
    return list(dict.fromkeys(theirs + ours))  # each run reports the package's own errors


WORKER = "import sys; from factpack.build.package import worker; worker(sys.argv[1], sys.argv[2])"


def start_worker(descriptor: Path, jobs: list[tuple[str | None, int | None]]) -> subprocess.Popen:
    """A process that runs :func:`frictionless_errors` for each job (see :func:`worker`).

    A fresh interpreter rather than multiprocessing: no forked polars thread pool, and
    no re-run of the ``__main__`` module that started the build.
    """
    return subprocess.Popen([sys.executable, "-c", WORKER, str(descriptor), json.dumps(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def worker(descriptor: str, jobs: str) -> None:
    """Print the error records of each job's frictionless-py run, one JSON line each."""
    for name, limit in json.loads(jobs):
        for e in frictionless_errors(Path(descriptor), name, limit):
            print(e.model_dump_json())


def worker_errors(proc: subprocess.Popen, descriptor: Path) -> list[ErrorRecord]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        return [ErrorRecord(code="package-error", path=descriptor.name,
                            message=f"frictionless: the check failed to run: {err.strip()}")]
    return [ErrorRecord.model_validate_json(line) for line in out.splitlines()]


def own_checks(folder: Path) -> list[ErrorRecord]:
    """factpack's check of what frictionless-py skips (:func:`factpack.parquet.verify_package`),
    then of the SQLite database."""
    errors = parquet.verify_package(folder)
    if errors:
        return errors
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    db = folder / f"{desc['name']}.sqlite"
    # Rows per table from the Parquet footers: verify_package proved each CSV has as many.
    counts = {r["name"]: pq.ParquetFile(folder / Path(r["path"]).with_suffix(".parquet"))
              .metadata.num_rows for r in desc["resources"] if r.get("format") == "csv"}
    return [ErrorRecord(code="source-error", path=db.name, message=f"{db.name}: {p}")
            for p in sqlite.verify(db, counts)]


# ---------------------------------------------------------------- build


def build_dataset(dataset_dir: Path, root: Path, out: Path | None = None,
                  force: bool = False) -> Path:
    """Validate and build one dataset; return ``<out>/<name>/<version>``.

    Raises :class:`BuildInvalid` (nothing written) if the dataset or the built
    package is invalid, and :class:`FactpackError` if a different build of the same
    version is already there (unless ``force``).
    """
    pkg = load_dataset(Path(dataset_dir), root)
    report = validate_package(pkg, release=True)
    if not report.valid:
        raise BuildInvalid(report, f"{pkg.descriptor_path}: invalid, nothing was built")
    return build_validated(pkg, report, Path(dataset_dir), out or root / "build", force)


def build_validated(pkg: LoadedPackage, report: Report, dataset_dir: Path, out: Path,
                    force: bool = False) -> Path:
    """Write a dataset that passed layers 1–3: stage, check (layer 4), rename into place."""
    meta = pkg.meta
    assert meta is not None and report.valid
    base = out / meta.name
    target = base / meta.version
    zip_name = f"{meta.name}-{meta.version}.zip"
    new_dirs = [d for d in (base, *base.parents) if not d.exists()]  # to remove on failure
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{meta.version}-", dir=base))
    done = False
    try:
        staged = tmp / meta.version
        staged.mkdir()
        try:
            write_version(pkg, report, dataset_dir, staged)
        except sqlite.SQLiteError as exc:
            raise FactpackError(f"{pkg.descriptor_path}: cannot write the SQLite database: "
                                f"{exc}") from exc
        for result in report.tables.values():  # written: layer 4 reads the files, not these
            result.raw = result.canon = None    # (~0.5 GB of text at 1 M rows)
        problems = check_built(staged)
        if problems:
            raise BuildInvalid(Report(pkg, records_frame(problems)),
                               f"{pkg.descriptor_path}: the built package failed its checks "
                               "(layer 4), nothing was written")
        write_zip(staged, tmp / zip_name, f"{meta.name}-{meta.version}")
        if not target.exists():
            os.replace(staged, target)
        elif not same_files(staged, target):  # an identical earlier build is left as it is
            if not force:
                raise FactpackError(
                    f"{target}: an earlier build of {meta.name} {meta.version} has different "
                    f"content; bump 'version' in {pkg.descriptor_path} (a version is never "
                    "rebuilt with different content) or build with --force to replace it")
            swap(staged, target)
        archive = base / zip_name
        if not archive.is_file() or not filecmp.cmp(archive, tmp / zip_name, shallow=False):
            os.replace(tmp / zip_name, archive)
        done = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not done:  # folders this build created, deepest first, if still empty
            for d in new_dirs:
                if d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
    return target
