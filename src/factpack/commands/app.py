"""The typer app: the command group, its help and ``--version``; the commands are added
by :func:`factpack.cli.register` as they are needed."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__

# Plain help (rich_markup_mode=None): flags read as flags (`--check`, not `--check <bool>`)
# and the text stays readable in a CI log.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Publish hand-checked records as versioned, validated data packages.\n\n"
                       "Exit codes (every command): 0 valid, done or identical; 1 invalid or "
                       "different; 2 unusable input or usage.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"factpack {__version__}")
        raise typer.Exit(0)


@app.callback()
def _group(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit")] = False,
) -> None:
    """factpack: validate, build, diff, publish and fetch Frictionless data packages."""
