"""What every rule works on: :class:`Context` (the tables as text, their paths, the
schemas, the archived source texts), and :func:`normalise`, how text is compared.

Tables arrive as layer 2 read them: every column is text (empty cell → null) plus
``_row`` (frictionless row number, header = 1) and ``_line`` (physical line where the
row starts).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import polars as pl

from ...core.errors import Code, ErrorRecord
from ...core.paths import locate
from ..tables.result import LINE, ROW

SEEDS = "seeds"

# Straight and curly quotes are treated alike when text is searched in a source.
_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
})


def normalise(text: str) -> str:
    """NFC, curly quotes as straight ones, runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_QUOTES).split())


class Context:
    """What every rule needs: the tables, their paths, the repo, and the archive cache."""

    def __init__(self, tables: dict[str, pl.DataFrame], paths: dict[str, str],
                 repo_root: Path, schemas: dict[str, dict] | None):
        self.tables = {name: _prepare(df) for name, df in tables.items()}
        self.paths = paths
        self.root = Path(repo_root)
        self.schemas = schemas
        self._texts: dict[str, str | None] = {}

    def has(self, name: str, *cols: str) -> bool:
        df = self.tables.get(name)
        return df is not None and all(c in df.columns for c in cols)

    def error(self, rule: str, resource: str, row: dict, field: str, message: str) -> ErrorRecord:
        """One rule-error at ``row`` (a dict with ``_row``/``_line``) of ``resource``."""
        path = self.paths.get(resource)
        cell = row.get(field)
        number = None
        df = self.tables.get(resource)
        if df is not None and field in df.columns:
            number = [c for c in df.columns if not c.startswith("_")].index(field) + 1
        where = f"{path or resource}, row {row.get(ROW)}, field '{field}'"
        return ErrorRecord(
            code=Code.RULE, rule=rule, resource=resource, path=path,
            row=row.get(ROW), line=row.get(LINE), field=field, field_number=number,
            value=None if cell is None else str(cell), message=f"{where}: {message}",
        )

    def errors(self, rule: str, resource: str, hits: pl.DataFrame, field: str,
               message: Callable[[dict], str]) -> list[ErrorRecord]:
        return [self.error(rule, resource, r, field, message(r))
                for r in hits.iter_rows(named=True)]

    def archive_file(self, raw: str | None) -> tuple[Path | None, str | None]:
        """The archived file for ``archive_path``, or why it is not acceptable."""
        if raw is None:
            return None, "is empty"
        full, why = locate(self.root, raw)
        if full is None:
            return None, f"{why}; give a path under seeds/"
        if PurePosixPath(raw).parts[0] != SEEDS or len(PurePosixPath(raw).parts) < 2:
            return None, "is not under seeds/; archived texts live in seeds/"
        if not full.is_file():
            return None, "does not exist; archive the text at that path or correct the path"
        return full, None

    def archive_text(self, raw: str | None) -> str | None:
        """Normalised archived text, or None when it cannot be read (archive-hash says why)."""
        if raw not in self._texts:
            full, _ = self.archive_file(raw)
            text = None
            if full is not None:
                try:
                    text = normalise(full.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    text = None
            self._texts[raw] = text
        return self._texts[raw]

    def archives(self) -> pl.DataFrame | None:
        """sources.id → archive_path, for the sources that have an archived text."""
        if not self.has("sources", "id", "archive_path"):
            return None
        return (self.tables["sources"].filter(pl.col("archive_path").is_not_null())
                .select(pl.col("id").alias("_source"), pl.col("archive_path").alias("_archive"))
                .unique("_source", keep="first"))

    def field(self, name: str, col: str) -> dict:
        """The schema's descriptor of a column, or {} when there is none."""
        schema = (self.schemas or {}).get(name) or {}
        fields = schema.get("fields") if isinstance(schema, dict) else None
        for f in fields if isinstance(fields, list) else []:
            if isinstance(f, dict) and f.get("name") == col:
                return f
        return {}

    def string_fields(self, name: str) -> list[str]:
        """Columns typed string (or untyped) by the schema, unless they allow formula prefixes."""
        return [c for c in self.tables[name].columns if not c.startswith("_")
                and self.field(name, c).get("type", "string") in ("string", "any")
                and not self.field(name, c).get("allowFormulaPrefix", False)]


def _prepare(df: pl.DataFrame) -> pl.DataFrame:
    """Text columns plus _row/_line, whatever the caller handed in."""
    cols = [pl.col(c) if df.schema[c] == pl.String else pl.col(c).cast(pl.String, strict=False)
            for c in df.columns if c not in (ROW, LINE)]
    extra = [pl.col(c).cast(pl.Int64, strict=False) if c in df.columns
             else pl.lit(None, pl.Int64).alias(c) for c in (ROW, LINE)]
    return df.select(cols + extra)


Rule = Callable[[Context], list[ErrorRecord]]
