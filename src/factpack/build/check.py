"""Layer 4: the built package re-checked by frictionless-py, and by factpack where it looks away.

frictionless-py runs on every row of every CSV resource, but on only the first
:data:`PARQUET_SAMPLE_ROWS` rows of each Parquet twin: its Parquet reader costs ~0.4 ms a
row (~8 minutes for a 1 M-row twin, 6× the CSV), and factpack proves every twin row equal
to the CSV row frictionless-py checked (:func:`factpack.build.parquet.verify_package`). In a
large package the frictionless-py runs go to two worker processes while this one does its
own checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from ..core.errors import Code, ErrorRecord
from . import parquet, sqlite

PARQUET_SAMPLE_ROWS = 10_000  # frictionless-py's rows per Parquet twin, see frictionless_jobs
PARALLEL_MIN_BYTES = 20 << 20  # less data: starting two worker processes (~1 s) costs more
# The worker's entry point: this module's worker(), run in a fresh interpreter.
WORKER = "import sys; from factpack.build.check import worker; worker(sys.argv[1], sys.argv[2])"

Job = tuple[str | None, int | None]  # (resource name or None for all, row limit or None)


def frictionless_errors(descriptor: Path, name: str | None = None,
                        limit_rows: int | None = None) -> list[ErrorRecord]:
    """The reference tool's verdict on a built package (or one of its resources, or the
    first ``limit_rows`` rows of it), as error records: ``frictionless validate
    datapackage.json [--resource-name NAME] [--limit-rows N]``."""
    import frictionless

    try:
        result = frictionless.validate(str(descriptor), name=name, limit_rows=limit_rows)
    except frictionless.FrictionlessException as exc:
        return [ErrorRecord(code=Code.PACKAGE, path=descriptor.name,
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


def frictionless_jobs(folder: Path) -> list[Job]:
    """Layer 4's frictionless-py runs: (resource name, row limit), largest file first.

    Every row of every CSV resource. A Parquet twin only up to
    :data:`PARQUET_SAMPLE_ROWS` rows: frictionless-py 5.21 reads Parquet through
    pandas, row by row and field by field (~0.4 ms a row, 6× its CSV reader), and
    :func:`factpack.build.parquet.verify_package` proves each of the twin's rows equal to
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


def check_built(folder: Path, parallel_min_bytes: int = PARALLEL_MIN_BYTES) -> list[ErrorRecord]:
    """Layer 4: frictionless-py on ``datapackage.json`` (see :func:`frictionless_jobs`), and
    factpack's own checks of the Parquet files (hash, types, rows against the CSV) and of
    the SQLite database.

    frictionless-py is pure Python, one core per run. When the package's data holds at
    least ``parallel_min_bytes``, its runs go to two worker processes (the largest file in
    one, the rest in the other) while this process does its own checks.
    """
    descriptor = folder / "datapackage.json"
    jobs = frictionless_jobs(folder)
    size = sum(p.stat().st_size for p in (folder / "data").glob("*") if p.is_file())
    if size < parallel_min_bytes:
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


def start_worker(descriptor: Path, jobs: list[Job]) -> subprocess.Popen:
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
        return [ErrorRecord(code=Code.PACKAGE, path=descriptor.name,
                            message=f"frictionless: the check failed to run: {err.strip()}")]
    return [ErrorRecord.model_validate_json(line) for line in out.splitlines()]


def own_checks(folder: Path) -> list[ErrorRecord]:
    """factpack's check of what frictionless-py skips (:func:`parquet.verify_package`),
    then of the SQLite database."""
    errors = parquet.verify_package(folder)
    if errors:
        return errors
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    db = folder / f"{desc['name']}.sqlite"
    # Rows per table from the Parquet footers: verify_package proved each CSV has as many.
    counts = {r["name"]: pq.ParquetFile(folder / Path(r["path"]).with_suffix(".parquet"))
              .metadata.num_rows for r in desc["resources"] if r.get("format") == "csv"}
    return [ErrorRecord(code=Code.SOURCE, path=db.name, message=f"{db.name}: {p}")
            for p in sqlite.verify(db, counts)]
