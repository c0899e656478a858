"""``factpack describe``: a Table Schema inferred from a table's first rows, as
``frictionless describe`` infers it.

The table is read by the reader of its form (CSV sniffed as frictionless-py sniffs it,
compressed, remote, workbook, NDJSON). frictionless-py's inference, reproduced over whole
columns: the first 100 rows are the sample; each candidate type, in frictionless-py's
order, scores +1 for a cell it reads and -1 for one it does not (missing cells count for
neither and lower the best possible score); the first candidate whose score reaches 90 %
of the best possible, at the earliest row, is the field's type; none: ``any``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ..core.errors import FactpackError
from ..descriptors.load import LoadedResource, load_target
from ..spec import fieldtypes
from ..spec.models import Field
from .tables.read import READ_BLOCK
from .tables.readers import prepared, reader_for
from .tables.result import TableResult
from .tables.sources import SourceProblem, local_table

CANDIDATES = ("yearmonth", "geopoint", "duration", "geojson", "object", "array", "datetime",
              "time", "date", "integer", "number", "boolean", "year", "string")
SAMPLE_ROWS = 100  # frictionless-py's sample (header rows included)
CONFIDENCE = 0.9  # frictionless-py's field_confidence


def describe_file(target: str, root: Path) -> dict[str, Any]:
    """A resource descriptor (name, path, format, encoding, dialect where not the default,
    schema) for one table file or URL."""
    pkg = load_target(target, root)
    try:
        if pkg.kind != "package" or len(pkg.resources) != 1 or pkg.package is not None:
            raise FactpackError(f"{target}: not a table file (CSV, TSV, compressed, Excel, "
                                "ODS, NDJSON, Parquet)")
        res = pkg.resources[0]
        try:
            with local_table(res) as (_, plain):
                plain = prepared(plain, strict=False)
                return _describe(target, plain)
        except SourceProblem as exc:
            raise FactpackError(str(exc)) from None
    finally:
        pkg.close()


def _describe(target: str, res: LoadedResource) -> dict[str, Any]:
    result = TableResult(res)
    got = reader_for(res)(res, result, False, READ_BLOCK)
    if got is None:
        problems = result.error_frame()["message"].to_list()
        raise FactpackError("; ".join(problems) or f"{target}: cannot be read")
    chunks, _, header_row, width = got
    chunks = iter(chunks)
    first = next(chunks, None)
    if hasattr(chunks, "close"):
        chunks.close()  # stop the reader (and its prefetching thread): the sample is read
    sample = first[0].head(SAMPLE_ROWS - header_row) if first is not None else None
    names = [f.name for f in res.schema.fields[:width]]
    fields = [{"name": n, "type": infer_type(sample.get_column(f"c{i}"))
               if sample is not None and sample.height else "any"}
              for i, n in enumerate(names)]
    out: dict[str, Any] = {"name": res.name, "path": target, "format": _format(res)}
    if res.compression:
        out["compression"] = res.compression
    if res.format == "csv":
        out["encoding"] = res.encoding
        dialect = res.dialect.model_dump(include=res.dialect.model_fields_set, by_alias=True)
        if res.dialect.delimiter != ",":
            dialect["delimiter"] = res.dialect.delimiter
        if dialect:
            out["dialect"] = dialect
    out["schema"] = {"fields": fields}
    return out


def _format(res: LoadedResource) -> str:
    form = res.descriptor.get("format") or Path(str(res.relpath).split("?")[0]).name
    parts = form.lower().split(".")
    parts = [p for p in parts if p not in ("gz", "bz2", "xz", "zip")]
    return parts[-1] if parts else res.format


def infer_type(cells: pl.Series) -> str:
    """The type frictionless-py infers for a column of text cells (null: missing)."""
    n = len(cells)
    frame = cells.rename("c").to_frame()
    missing = pl.col("c").is_null()
    best = pl.lit(n, pl.Int64) - missing.cast(pl.Int64).cum_sum()
    threshold = n * (CONFIDENCE - 1)
    fired = []
    for t in CANDIDATES:
        ok = fieldtypes.parse(Field(name="c", type=t), pl.col("c")).is_not_null()
        score = pl.when(missing).then(0).when(ok).then(1).otherwise(-1).cum_sum()
        # frictionless-py stops scoring a candidate once it falls below the threshold
        frozen = (score < threshold).shift(1, fill_value=False).cum_max()
        fires = (best > 0) & (score >= best * CONFIDENCE) & ~frozen
        fired.append(fires.arg_true().first().alias(t))
    rows = frame.select(fired).row(0, named=True)
    hits = [(row, i, t) for i, (t, row) in enumerate(rows.items()) if row is not None]
    return min(hits)[2] if hits else "any"
