"""``factpack diff OLD NEW``: what changed between two versions."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import typer

from ..core import progress
from ..descriptors.load import repo_root


class Format(str, Enum):
    text = "text"
    json = "json"


def cli(
    old: Annotated[str, typer.Argument(help="Old version: package folder, datapackage.json, "
                                            "URL, NAME@VERSION or dataset folder")],
    new: Annotated[str, typer.Argument(help="New version, in any of the same forms")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format")] = Format.text,
    bump: Annotated[bool, typer.Option("--bump", help="Print only the smallest version bump "
                                                      "the changes require, then the rule "
                                                      "that decided it (`minor: new table "
                                                      "x`)")] = False,
    limit: Annotated[int, typer.Option(help="List at most this many rows of each kind per "
                                            "table (counts stay exact)")] = 100,
    store: Annotated[str | None, typer.Option(help="Release store to find NAME@VERSION in: "
                                                   "a folder (default build/site), http(s):// "
                                                   "or s3:// URL")] = None,
) -> None:
    """What changed between two versions. Exit 0 identical, 1 different, 2 error; with --bump,
    0 once the bump is printed (a script reads it; `set -e` must not stop there)."""
    # the stage's code, imported only when this command runs (its extra may be missing)
    from ..release.diff import bump_line, diff_specs, text

    with progress.stage(f"comparing {old} and {new}"):
        report = diff_specs(old, new, repo_root(), max(limit, 0), store)
    if bump:
        typer.echo(bump_line(report))
        raise typer.Exit(0)
    if format is Format.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(text(report))
    raise typer.Exit(0 if report["identical"] else 1)
