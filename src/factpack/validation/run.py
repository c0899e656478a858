"""Validate: run the layers in order and gather one report.

1. metadata (done while loading, :mod:`factpack.descriptors`);
2. tables (:mod:`factpack.validation.tables`), then foreign keys across tables;
3. domain rules (:mod:`factpack.validation.rules`) on the tables' text.
Layer 4 (the built package re-checked by frictionless-py) runs in :mod:`factpack.build`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..core import progress
from ..core.errors import ErrorRecord
from ..descriptors.load import LoadedPackage, load_target
from .tables.keys import check_foreign_keys
from .tables.result import ERROR_COLUMNS, TableResult, empty_errors
from .tables.run import check_table


@dataclass
class Report:
    """Every problem found in one package, as a polars frame of error records."""

    package: LoadedPackage
    errors: pl.DataFrame
    tables: dict[str, TableResult] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.errors.height == 0

    def records(self, limit: int | None = None) -> list[ErrorRecord]:
        frame = self.errors if limit is None else self.errors.head(limit)
        return [ErrorRecord(**{k: v for k, v in row.items() if v is not None})
                for row in frame.iter_rows(named=True)]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Exact error counts: ``by_code`` and ``by_field`` (``resource.field``, ``-`` for none)."""
        e = self.errors
        by_code = dict(e.group_by("code").len().sort("code").iter_rows())
        by_field = (e.with_columns(pl.format("{}.{}", pl.col("resource").fill_null("-"),
                                              pl.col("field").fill_null("-")).alias("f"))
                    .group_by("f").len().sort("f").iter_rows())
        return {"by_code": by_code, "by_field": dict(by_field)}


@dataclass(frozen=True)
class Result:
    """The verdict on one target, for Python callers (:func:`validate`)."""

    valid: bool
    errors: list[ErrorRecord]  # every error, in file order
    counts: dict[str, dict[str, int]]  # exact: by_code, by_field
    report: Report  # the same errors as a polars frame (``report.errors``), and the tables


def validate(target: str | Path, release: bool = False,
             root: str | Path | None = None) -> Result:
    """Validate a dataset folder or name, a ``datapackage.json``/``.yaml``, a resource, a
    schema or a bare CSV, as ``factpack validate TARGET`` does (layers 1–3).

    Unusable input (no such file, an unreadable descriptor) raises
    :class:`factpack.core.errors.FactpackError`; invalid data is in the result.
    """
    from ..descriptors.load import repo_root

    report = validate_target(target, Path(root) if root is not None else repo_root(),
                             release=release)
    return Result(report.valid, report.records(), report.counts, report)


def records_frame(records: list[ErrorRecord]) -> pl.DataFrame:
    if not records:
        return empty_errors()
    return pl.DataFrame([r.model_dump() for r in records], schema=ERROR_COLUMNS)


def validate_package(pkg: LoadedPackage, release: bool = False) -> Report:
    """Layers 2 and 3 over a loaded package (layer 1 errors are already in ``pkg.errors``)."""
    strict = pkg.kind == "dataset"
    frames = [records_frame(pkg.errors)]
    results: dict[str, TableResult] = {}
    referenced: dict[str, set[str]] = {}  # fields that foreign keys point to: kept for them
    for res in pkg.resources:
        for fk in res.schema.foreignKeys:
            referenced.setdefault(fk.reference.resource or res.name, set()).update(
                fk.reference.fields)
    for res in pkg.resources:
        with progress.rows(f"validating {res.name}", res.path) as tick:
            result = check_table(res, strict=strict, referenced=referenced.get(res.name, set()),
                                 tick=tick)
        results[res.name] = result
        frames.append(result.error_frame())
    frames += check_foreign_keys(results)
    frames.append(records_frame(run_rules(pkg, results, release)))
    errors = pl.concat([f.select(list(ERROR_COLUMNS)) for f in frames if f.height]
                       or [empty_errors()])
    order = {r.name: i for i, r in enumerate(pkg.resources)}
    errors = errors.with_columns(
        pl.col("resource").replace_strict(order, default=-1, return_dtype=pl.Int64).alias("_o")
    ).sort(["_o", "row", "field_number", "code"], nulls_last=False).drop("_o")
    return Report(pkg, errors, results)


def run_rules(pkg: LoadedPackage, results: dict[str, TableResult],
              release: bool) -> list[ErrorRecord]:
    """Layer 3: factpack's rules over the raw text of every table that could be read."""
    if pkg.kind != "dataset":  # the rules describe factpack's data model, not any package
        return []
    from .rules.run import check_rules  # layer 3, imported only for factpack's own datasets

    tables = {name: r.raw for name, r in results.items() if r.raw is not None}
    paths = {name: r.resource.relpath for name, r in results.items()}
    root = pkg.root
    return check_rules(tables, paths, root, release=release,
                       schemas=pkg.schemas) if tables else []


def validate_target(target: str | Path, root: Path, release: bool = False) -> Report:
    """Load a target (:func:`factpack.descriptors.load.load_target`, which reads http(s)
    and s3:// URLs too) and validate it."""
    pkg = load_target(target, root)
    try:
        return validate_package(pkg, release=release)
    finally:
        pkg.close()
