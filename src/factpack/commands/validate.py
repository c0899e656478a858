"""``factpack validate [TARGET…]``: layers 1–3 on datasets or any data package.

The run itself is :func:`factpack.commands.fast.validate`, which the command line also
calls directly, without typer, for the plain forms of this command.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from .fast import FORMATS, ValidateCall, validate

Format = Enum("Format", {f: f for f in FORMATS}, type=str)  # typer shows the choices
TEXT = Format("text")


def cli(
    targets: Annotated[list[str] | None, typer.Argument(
        help="Dataset folders or names, datapackage.json/.yaml files (or a resource, schema or "
             "bare CSV); none = the current folder's datapackage.json|yaml|yml, else every "
             "dataset of the repository")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format")] = TEXT,
    max_errors: Annotated[int, typer.Option(min=0, help="List at most this many errors per "
                                                        "package (counts stay exact)")] = 1000,
    release: Annotated[bool, typer.Option(help="Also apply release rules (no draft rows)")] = False,
) -> None:
    """Validate datasets or data packages: metadata, tables, and factpack's rules.

    Exit 0 valid, 1 invalid, 2 unusable input or usage.
    """
    raise typer.Exit(validate(ValidateCall(list(targets or []), format.value, max_errors,
                                           release)))
