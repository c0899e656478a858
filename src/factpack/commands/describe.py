"""``factpack describe FILE…``: a Table Schema inferred from each table, as ``frictionless
describe`` infers it, so a publisher can start a new table's descriptor from a file."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class Format(str, Enum):
    yaml = "yaml"
    json = "json"


def cli(
    files: Annotated[list[str], typer.Argument(
        help="Table files or http(s) URLs: CSV, TSV, compressed (gz, bz2, xz, zip), Excel, "
             "ODS, NDJSON, Parquet")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format")] = Format.yaml,
    schema_only: Annotated[bool, typer.Option(
        "--schema", help="Print only the Table Schema (one file)")] = False,
    to: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout")] = None,
) -> None:
    """Describe tables: a resource descriptor for one file (name, path, format, encoding,
    dialect, schema), a data package for several. Field types are inferred from the first
    100 rows as frictionless-py infers them.
    """
    from ..core.errors import FactpackError
    from ..descriptors.load import repo_root
    from ..validation.describe import describe_file

    if schema_only and len(files) != 1:
        raise FactpackError("--schema describes one file; name only one")
    root = repo_root()
    described = [describe_file(f, root) for f in files]
    if schema_only:
        out = described[0]["schema"]
    elif len(described) == 1:
        out = described[0]
    else:
        out = {"name": "package", "resources": described}
    if format is Format.json:
        text = json.dumps(out, indent=2, ensure_ascii=False) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(out, sort_keys=False, allow_unicode=True)
    if to is not None:
        from ..core.atomic import write_atomic

        write_atomic(to, text.encode("utf-8"))
    else:
        typer.echo(text, nl=False)
