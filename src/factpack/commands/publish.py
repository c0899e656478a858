"""``factpack publish``: release built versions into the store, or check releases."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ..core import progress
from ..core.errors import FactpackError
from ..descriptors.load import repo_root


def _is_date(text: str) -> bool:
    """A real calendar date written YYYY-MM-DD (2026-13-45 is not)."""
    try:
        return len(text) == 10 and date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def cli(
    datasets: Annotated[list[str] | None, typer.Argument(
        help="Dataset names; none = every dataset")] = None,
    store_path: Annotated[str | None, typer.Option(
        "--store", help="Release store: a folder (default build/site) or s3://BUCKET/PREFIX "
                        "(credentials and endpoint from the standard AWS variables)")] = None,
    check_only: Annotated[bool, typer.Option(
        "--check", help="Only run the release checks (CI): exit 1 if any fails")] = False,
    released_on: Annotated[str | None, typer.Option(
        "--date", help="Release date of a new version (default today), YYYY-MM-DD")] = None,
    site: Annotated[bool, typer.Option(help="Render the website after publishing")] = True,
) -> None:
    """Release built versions into the store and the ledger, or check releases (--check)."""
    # the stage's code, imported only when this command runs (its extra may be missing)
    from ..release.publish import check, publish

    root = repo_root()

    def say(message: str) -> None:
        typer.echo(f"… {message}", err=True)

    if check_only:
        with progress.stage("checking every release"):
            problems = check(root, datasets, say)
        for p in problems:
            typer.echo(f"release check: {p}", err=True)
        if not problems:
            typer.echo("release check: every released version rebuilds to its ledger bytes, "
                       "and every change is versioned")
        raise typer.Exit(1 if problems else 0)
    if released_on is not None and not _is_date(released_on):
        raise FactpackError(f"--date {released_on}: expected YYYY-MM-DD, a real calendar date")
    from ..site.render import render  # the website, only when it is asked for

    with progress.stage("publishing"):
        if store_path is not None and store_path.lower().startswith("s3://"):
            from ..release.s3publish import publish_to_bucket

            lines = list(publish_to_bucket(root, store_path, datasets, released_on,
                                           render if site else None, say))
        else:
            lines = list(publish(root, Path(store_path) if store_path else None, datasets,
                                 released_on, render if site else None, say))
    for line in lines:
        typer.echo(line)
