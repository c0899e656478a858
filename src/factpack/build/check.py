"""Layer 4: the built package re-checked by frictionless-py, and by factpack where it looks away.

Proportionate to the package: frictionless-py gets a budget per resource that it reads in
a second or two (~0.5–1 MiB of CSV a second on one core; ~2 000 Parquet rows, after ~1 s
importing pandas for them), and reads every row where the resource fits in it:

- a CSV resource of up to :data:`FULL_CHECK_BYTES`: frictionless-py reads every row;
- a larger one: frictionless-py reads a deterministic sample of about
  :data:`SAMPLE_BYTES` of its rows (chosen by a generator seeded with the file's sha256,
  so a rebuild checks the same rows), and factpack's own validator, checked against
  frictionless-py by the conformance and differential corpora, reads every row of the
  built package's CSVs;
- a Parquet twin: frictionless-py reads its first :data:`PARQUET_SAMPLE_ROWS` rows, and
  factpack proves every twin row equal to the CSV row
  (:func:`factpack.build.parquet.verify_package`). A longer twin is cut to those rows
  (a copy, same Arrow schema and writer options) in the sample package: frictionless-py
  reads a Parquet file whole into pandas whatever ``limit_rows`` says, so a 1 M-row twin
  otherwise costs it ~100 s.

Each decision is printed on stderr (the build log). In a large package the frictionless-py
runs go to a worker process while this one checks the SQLite database and does its own
checks. The trade-off (README, "Build"): on a large CSV, a fault that only frictionless-py
would see is caught only if it falls in the sample; one factpack's validator sees is caught
in every row.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.atomic import temp_folder
from ..core.errors import Code, ErrorRecord
from . import parquet, sqlite
from .reference import WORKER, Job, frictionless_errors

# frictionless-py's budget per resource, ~1–2 s of one core each (see the module docstring)
PARQUET_SAMPLE_ROWS = 1_000  # rows per Parquet twin (its Parquet reader: ~0.5 ms a row)
FULL_CHECK_BYTES = 2 << 20  # a CSV up to this size: frictionless-py reads it all
SAMPLE_BYTES = 1 << 20  # a larger CSV: a sample of about this many bytes' rows
PARALLEL_MIN_BYTES = 20 << 20  # less data: starting a worker process (~1 s) costs more


@dataclass
class Plan:
    """Layer 4's frictionless-py runs, and what was sampled."""

    jobs: list[Job]
    log: list[str] = field(default_factory=list)  # one line per decision, for the build log
    rows: dict[str, list[int]] = field(default_factory=dict)  # sampled resource -> its rows
    sampled: bool = False


def frictionless_jobs(folder: Path, full_max_bytes: int = FULL_CHECK_BYTES,
                      sample_dir: Path | None = None) -> Plan:
    """Layer 4's frictionless-py runs, largest file first (see the module's docstring).

    A CSV larger than ``full_max_bytes`` is sampled into ``sample_dir`` (a package there
    holding the sample and every other CSV resource, linked); without ``sample_dir``
    every CSV is read whole. A descriptor that cannot be read gets one run on the whole
    package.
    """
    descriptor = str(folder / "datapackage.json")
    try:
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        sized = sorted(((r, (folder / r["path"]).stat().st_size) for r in desc["resources"]),
                       key=lambda j: -j[1])
    except (OSError, ValueError, KeyError, TypeError):
        return Plan([(descriptor, None, None)], ["layer 4: frictionless-py on the package"])
    plan = Plan([])
    big, cut = set(), set()
    if sample_dir is not None:
        big = {r["name"] for r, size in sized if r.get("format") != "parquet"
               and size > full_max_bytes}
        cut = {r["name"] for r, _ in sized if r.get("format") == "parquet"
               and parquet_rows(folder / r["path"]) > PARQUET_SAMPLE_ROWS}
    changed: set[str] = set()  # resources whose sample-package copy differs (cut, or keys)
    if big or cut:
        assert sample_dir is not None
        plan.rows, changed = write_sample(folder, desc, big, cut, sample_dir)
    for r, size in sized:
        name = r["name"]
        # A Parquet twin whose foreign key points into a cut twin is read from the sample
        # package too (else frictionless-py reads that cut twin whole for the key); a small
        # CSV keeps its keys, into a sampled CSV too (frictionless-py reads that whole).
        sampled = name in big or (name in changed and r.get("format") == "parquet")
        where = str(sample_dir / "datapackage.json") if sampled else descriptor
        if r.get("format") == "parquet":
            plan.jobs.append((where, name, PARQUET_SAMPLE_ROWS))
            rows = f"its first {PARQUET_SAMPLE_ROWS:,} rows" if name in cut else "every row"
            plan.log.append(f"layer 4: {name}: frictionless-py on {rows}; factpack compares "
                            "every row with its CSV twin")
        elif name in big:
            plan.jobs.append((where, name, None))
            plan.log.append(f"layer 4: {name} ({size / 2**20:.0f} MiB): frictionless-py on a "
                            f"sample of {len(plan.rows[name]):,} rows (seeded by its hash); "
                            "factpack's validator on every row")
        else:
            plan.jobs.append((where, name, None))
            plan.log.append(f"layer 4: {name}: frictionless-py on every row")
    plan.sampled = bool(big)
    return plan


def sample_rows(n: int, seed: str, k: int) -> list[int]:
    """``k`` of the data rows ``0…n-1``, sorted, always with the first and the last: the
    same for the same ``seed`` (the file's hash), so a rebuild checks the same rows."""
    chosen = set(random.Random(seed).sample(range(n), min(k, n))) | ({0, n - 1} if n else set())
    return sorted(chosen)


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file by its footer; 0 if it cannot be read (frictionless-py and
    :func:`factpack.build.parquet.verify_package` then report it as it is)."""
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException):
        return 0


def write_sample(folder: Path, desc: dict, big: set[str], cut: set[str],
                 out: Path) -> tuple[dict[str, list[int]], set[str]]:
    """A package in ``out`` with every resource of ``desc``: the CSVs in ``big`` cut to
    :func:`sample_rows`, the Parquet files in ``cut`` to their first
    :data:`PARQUET_SAMPLE_ROWS` rows, the others linked. A cut resource loses ``hash`` and
    ``bytes``, and a foreign key that points into a cut resource is left out. Returns the
    rows kept of each CSV sample, and the names of the resources that differ from ``desc``.
    """
    (out / "data").mkdir(parents=True, exist_ok=True)
    kept, resources, changed = {}, [], big | cut  # (a new set)
    for r in desc["resources"]:
        src, dst = folder / r["path"], out / r["path"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        r = dict(r)
        if r["name"] in big:
            text = pl.read_csv(src, infer_schema=False)  # every cell as written
            # SAMPLE_BYTES' worth of rows, by the file's mean row size
            k = max(1, text.height * SAMPLE_BYTES // max(1, src.stat().st_size))
            rows = sample_rows(text.height, r.get("hash", r["name"]), k)
            text[rows].write_csv(dst)
            kept[r["name"]] = rows
        elif r["name"] in cut:
            head = next(pq.ParquetFile(src).iter_batches(PARQUET_SAMPLE_ROWS))
            pq.write_table(pa.Table.from_batches([head]), dst, **parquet.WRITE_OPTIONS)
        else:
            try:
                os.link(src, dst)
            except OSError:  # another file system
                shutil.copyfile(src, dst)
        if r["name"] in big | cut:
            r.pop("hash", None)
            r.pop("bytes", None)
        schema = r.get("schema")
        if isinstance(schema, dict) and schema.get("foreignKeys"):
            keys = [fk for fk in schema["foreignKeys"]  # "" or no resource: the table itself
                    if (fk["reference"].get("resource") or r["name"]) not in big | cut]
            if len(keys) < len(schema["foreignKeys"]):
                r["schema"] = {**schema, "foreignKeys": keys}
                changed.add(r["name"])
        resources.append(r)
    (out / "datapackage.json").write_text(json.dumps({**desc, "resources": resources}),
                                          encoding="utf-8")
    return kept, changed


def check_built(folder: Path, parallel_min_bytes: int = PARALLEL_MIN_BYTES,
                full_max_bytes: int = FULL_CHECK_BYTES,
                alongside: Callable[[], None] | None = None) -> list[ErrorRecord]:
    """Layer 4: frictionless-py on ``datapackage.json`` (see :func:`frictionless_jobs`), and
    factpack's own checks of the Parquet files (hash, types, rows against the CSV) and of
    the SQLite database; where a CSV was sampled, factpack's validator on every row.

    ``alongside`` (the build's last write, the SQLite database, which frictionless-py never
    reads: a callable that writes it or waits for it) runs first, in a thread, and the
    database is checked there as soon as it is written (:func:`database_problems`): SQLite
    lets go of the GIL. frictionless-py is pure Python, one core: when the package's data
    holds at least ``parallel_min_bytes``, its runs go to a worker process while this
    process does its own checks.
    """
    with ThreadPoolExecutor(1) as pool, \
            temp_folder(Path(tempfile.gettempdir()), "factpack-layer4-") as scratch:
        # (the sample files; a folder a killed build left is removed by the next)
        db = pool.submit(database_check, folder, alongside)
        try:
            plan = frictionless_jobs(folder, full_max_bytes, scratch / "sample")
            for line in plan.log:
                print(line, file=sys.stderr)
            size = sum(p.stat().st_size for p in (folder / "data").glob("*") if p.is_file())
            if size < parallel_min_bytes:
                theirs = [e for job in plan.jobs for e in frictionless_errors(*job)]
                ours = own_checks(folder, plan.sampled, db)
            else:
                proc = start_worker(plan.jobs)
                try:
                    ours = own_checks(folder, plan.sampled, db)
                    theirs = worker_errors(proc)
                finally:  # e.g. interrupted: no run is left behind
                    proc.kill()
        finally:
            db.cancel()  # not started yet (an error above): the database is not written
    theirs = [in_the_package(e, plan.rows) for e in theirs]
    return list(dict.fromkeys(theirs + ours))  # each run reports the package's own errors


def in_the_package(error: ErrorRecord, rows: dict[str, list[int]]) -> ErrorRecord:
    """An error frictionless-py found in a sample, with the row number it has in the package."""
    kept = rows.get(error.resource or "")
    if kept is None or error.row is None or not 2 <= error.row < len(kept) + 2:
        return error
    return error.model_copy(update={"row": kept[error.row - 2] + 2})


def start_worker(jobs: list[Job]) -> subprocess.Popen:
    """A process that runs :func:`factpack.build.reference.frictionless_errors` for each job.

    A fresh interpreter rather than multiprocessing: no forked polars thread pool, and
    no re-run of the ``__main__`` module that started the build.
    """
    return subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def worker_errors(proc: subprocess.Popen) -> list[ErrorRecord]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        return [ErrorRecord(code=Code.PACKAGE, path="datapackage.json",
                            message=f"frictionless: the check failed to run: {err.strip()}")]
    return [ErrorRecord.model_validate_json(line) for line in out.splitlines()]


def database_check(folder: Path, write: Callable[[], None] | None = None) -> list[ErrorRecord]:
    """The database written by ``write`` if given (an error it raises is raised), then
    :func:`database_problems`."""
    if write is not None:
        write()
    return database_problems(folder)


def own_checks(folder: Path, every_row: bool = False,
               database: Future[list[ErrorRecord]] | None = None) -> list[ErrorRecord]:
    """factpack's check of what frictionless-py skips (:func:`parquet.verify_package`),
    and of the SQLite database (``database``: its :func:`database_check` under way in a
    thread; else it is run here); with ``every_row`` (a CSV was sampled), also factpack's
    validator on every row of the built package's CSV files. Reported in that order of
    precedence; the database's result is waited for (or its write error raised) in every
    case.
    """
    errors: list[ErrorRecord] = []
    if every_row:
        from ..descriptors.load import load_target
        from ..validation.run import validate_package

        # The CSV resources only: verify_package compares every Parquet row with them.
        pkg = load_target(folder / "datapackage.json", folder)
        pkg.resources = [r for r in pkg.resources if r.format != "parquet"]
        report = validate_package(pkg)
        errors = [e.model_copy(update={"message": f"factpack: {e.message}"})
                  for e in report.records(1000)]
    if not errors:  # (the validator has checked each CSV's hash and size)
        errors = parquet.verify_package(folder, csv_hashes=not every_row)
    database_errors = database.result() if database is not None else database_problems(folder)
    return errors or database_errors


def database_problems(folder: Path) -> list[ErrorRecord]:
    """:func:`sqlite.verify` of the package's database against its Parquet twins (which
    :func:`parquet.verify_package` proves equal to the CSVs)."""
    try:
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        db = folder / f"{desc['name']}.sqlite"
        twins = {r["name"]: folder / Path(r["path"]).with_suffix(".parquet")
                 for r in desc["resources"] if r.get("format") == "csv"}
        problems = sqlite.verify(db, twins)
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as exc:
        return [ErrorRecord(code=Code.SOURCE, path="datapackage.json",
                            message=f"the SQLite database cannot be checked: {exc}")]
    return [ErrorRecord(code=Code.SOURCE, path=db.name, message=f"{db.name}: {p}")
            for p in problems]
