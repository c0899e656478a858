"""``factpack fetch NAME[@VERSION]``: download, verify and unpack a published package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def cli(
    package: Annotated[str, typer.Argument(help="NAME, NAME@VERSION or NAME@latest")],
    store: Annotated[str | None, typer.Option(
        help="Release store: a folder, file://, http(s):// or s3://BUCKET/PREFIX URL "
             "(default: $FACTPACK_STORE, else build/site)")] = None,
    to: Annotated[Path | None, typer.Option(
        help="Copy the verified package into this new (or empty) folder")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
) -> None:
    """Download a published package, verify every file's sha256 and size, and unpack it.

    Prints the package folder: in the cache ($FACTPACK_CACHE, else the user cache
    folder) or --to. A failed or mismatched download leaves nothing behind.
    """
    # the stage's code, imported only when this command runs (its extra may be missing)
    from ..access.fetch import fetch
    from ..core.unpack import read_package_json

    folder = fetch(package, store=store, to=to, progress=not quiet)
    if not quiet:
        meta = read_package_json(folder)
        typer.echo(f"{meta.get('name')} {meta.get('version')}: every file matches the catalog "
                   "and datapackage.json", err=True)
    typer.echo(folder)
