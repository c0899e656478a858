"""``factpack validate [TARGET…]``: layers 1–3 on datasets or any data package."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import FactpackError
from ..descriptors.load import dataset_dirs, repo_root
from ..validate import report as output
from ..validate.run import validate_target


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


def cli(
    targets: Annotated[list[str] | None, typer.Argument(
        help="Dataset folders or names, datapackage.json/.yaml files (or a resource, schema or "
             "bare CSV); none = the current folder's datapackage.json|yaml|yml, else every "
             "dataset of the repository")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format")] = Format.text,
    max_errors: Annotated[int, typer.Option(min=0, help="List at most this many errors per "
                                                        "package (counts stay exact)")] = 1000,
    release: Annotated[bool, typer.Option(help="Also apply release rules (no draft rows)")] = False,
) -> None:
    """Validate datasets or data packages: metadata, tables, and factpack's rules.

    Exit 0 valid, 1 invalid, 2 unusable input or usage.
    """
    root = repo_root()
    chosen = targets or default_targets(Path.cwd(), root)
    if not chosen:
        raise FactpackError(f"no datapackage.json here and no datasets under "
                            f"{root / 'datasets'}: name what to validate")
    reports = [validate_target(t, root, release=release) for t in chosen]
    if format is Format.json:
        output.write_json(reports, max_errors)
    elif format is Format.github:
        output.write_github(reports, max_errors)
    elif format is Format.junit:
        output.write_junit(reports, max_errors)
    else:
        output.write_text(reports, max_errors)
    raise typer.Exit(0 if all(r.valid for r in reports) else 1)


def default_targets(here: Path, root: Path) -> list[str]:
    """The folder's own package descriptor if it has one, else every dataset of the repository."""
    for name in ("datapackage.json", "datapackage.yaml", "datapackage.yml"):
        if (here / name).is_file():
            return [str(here / name)]
    return [str(p) for p in dataset_dirs(root)]
