"""Command line: ``factpack validate|build|diff|publish|fetch`` (typer).

Exit codes: 0 valid / done, 1 invalid / different, 2 unusable input or usage.
Errors are messages, never tracebacks (set FACTPACK_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Annotated

import typer
from rich.console import Console

from .core.errors import FactpackError
from .validate import report as output

# Plain help (rich_markup_mode=None): flags read as flags (`--check`, not `--check <bool>`)
# and the text stays readable in a CI log.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Publish hand-checked records as versioned, validated data packages.\n\n"
                       "Exit codes (every command): 0 valid, done or identical; 1 invalid or "
                       "different; 2 unusable input or usage.")
err = Console(stderr=True, soft_wrap=True)  # hashes and paths stay on one line


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"factpack {__version__}")
        raise typer.Exit(0)


@app.callback()
def _group(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit")] = False,
) -> None:
    """factpack: validate, build, diff, publish and fetch Frictionless data packages."""


# Each command lives in its own module of ``commands/``, a typer-annotated ``cli`` function.
# They are imported only when asked for (or for help), so `factpack validate` starts
# without the build, HTTP and website code.
COMMANDS = ("validate", "build", "diff", "publish", "fetch", "describe")
# Modules of the optional extras (pyproject.toml), for the message when one is missing.
EXTRAS = {"frictionless": "publish", "jinja2": "publish", "pycountry": "publish",
          "langcodes": "publish", "matplotlib": "site", "markdown_it": "site",
          "markupsafe": "site", "pandas": "load"}
_registered: set[str] = set()


def register(argv: list[str]) -> None:
    """Add the command that ``argv`` names, or every command if it names none of them."""
    first = argv[0] if argv else None
    wanted = [first] if first in COMMANDS else COMMANDS
    for name in wanted:
        if name not in _registered:
            app.command(name)(import_module(f".commands.{name}", __package__).cli)
            _registered.add(name)


def main() -> None:
    """Entry point: run the app, turning every failure into a one-line message and exit 2."""
    try:
        register(sys.argv[1:])
        code = app(standalone_mode=False)  # returns the exit code rather than raising
    except typer.Exit as exc:
        code = exc.exit_code
    except FactpackError as exc:
        if getattr(exc, "report", None) is not None:  # build.BuildInvalid: invalid data (exit 1)
            output.write_text([exc.report], 1000)      # shows what is wrong, not only that
            err.print(f"[red]factpack:[/red] {exc}")
            sys.exit(1)
        err.print(f"[red]factpack:[/red] {exc}")
        sys.exit(2)
    except ModuleNotFoundError as exc:  # a command of an extra the install does not have
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        err.print(f"[red]factpack:[/red] this needs {exc.name}, which comes with the "
                  f"'{extra}' extra: pip install 'factpack\\[{extra}]'")  # \\[: not rich markup
        sys.exit(2)
    except OSError as exc:
        err.print(f"[red]factpack:[/red] {exc}")
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("FACTPACK_DEBUG"):
            raise
        # Usage errors (bad option values…) come from the click that typer bundles
        # (typer._click in typer 0.29), so they are recognised by shape, not by import.
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(2)
        if type(exc).__name__ == "Abort":
            sys.exit(2)
        err.print(f"[red]factpack: internal error:[/red] {type(exc).__name__}: {exc} "
                  "(please report it; FACTPACK_DEBUG=1 shows the traceback)")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)




def run() -> None:
    """The console script and ``python -m factpack``: :func:`main`, then, after ``validate``,
    an immediate exit once the output is flushed.

    Tearing the interpreter down (the polars, pyarrow and numpy modules, their thread
    pools, the frames still referenced) costs about 0.3 s, a seventh of validating a
    million rows. ``validate`` leaves nothing that needs it: no open or temporary files.
    """
    try:
        main()
    except SystemExit as exc:
        if sys.argv[1:2] != ["validate"]:
            raise
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
            pass
        os._exit(code)
