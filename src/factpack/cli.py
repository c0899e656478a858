"""Command line: ``factpack validate|build|diff|publish|fetch`` (typer).

Exit codes: 0 valid / done, 1 invalid / different, 2 unusable input or usage.
Errors are messages, never tracebacks (set FACTPACK_DEBUG=1 to see one).

A plain ``factpack validate …`` (:func:`factpack.commands.fast.parse`) runs without
building the typer app: typer and rich cost about as much to import as polars, and a
small package validates in less. Everything else (help, other commands, usage errors)
goes through typer.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import TYPE_CHECKING

from .commands import fast
from .core.errors import FactpackError

if TYPE_CHECKING:
    import typer

# Each command lives in its own module of ``commands/``, a typer-annotated ``cli`` function.
# They are imported only when asked for (or for help), so `factpack validate` starts
# without the build, HTTP and website code.
COMMANDS = ("validate", "build", "diff", "publish", "fetch", "describe")
# Modules of the optional extras (pyproject.toml), for the message when one is missing.
EXTRAS = {"frictionless": "publish", "jinja2": "publish", "pycountry": "publish",
          "langcodes": "publish", "matplotlib": "site", "markdown_it": "site",
          "markupsafe": "site", "pandas": "load", "boto3": "s3", "botocore": "s3"}
_registered: set[str] = set()


def register(argv: list[str]) -> typer.Typer:
    """The app with the command that ``argv`` names, or every command if it names none."""
    from .commands.app import app

    first = argv[0] if argv else None
    wanted = [first] if first in COMMANDS else COMMANDS
    for name in wanted:
        if name not in _registered:
            app.command(name)(import_module(f".commands.{name}", __package__).cli)
            _registered.add(name)
    return app


def dispatch(argv: list[str]) -> int:
    """Run the command ``argv`` names; its exit code."""
    call = fast.parse(argv)
    if call is not None:
        return fast.validate(call)
    import typer

    try:
        code = register(argv)(standalone_mode=False)  # reads sys.argv, as before
    except typer.Exit as exc:
        return exc.exit_code
    return code if isinstance(code, int) else 0


def say(markup: str) -> None:
    """One message on stderr (rich markup; colours on a terminal only)."""
    from rich.console import Console  # only when there is something to say

    Console(stderr=True, soft_wrap=True).print(markup)  # hashes and paths stay on one line


def fail(exc: BaseException) -> None:
    """``factpack: <the error>`` on stderr, the error's text as it is: a path, a field
    name or ``factpack[s3]`` in it holds brackets that rich would read as markup."""
    from rich.markup import escape

    say(f"[red]factpack:[/red] {escape(str(exc))}")


def main() -> None:
    """Entry point: run the command, turning every failure into a one-line message and exit 2."""
    try:
        code = dispatch(sys.argv[1:])
    except FactpackError as exc:
        if getattr(exc, "report", None) is not None:  # build.BuildInvalid: invalid data (exit 1)
            from .validation import report as output

            output.write_text([exc.report], 1000)      # shows what is wrong, not only that
            fail(exc)
            sys.exit(1)
        fail(exc)
        sys.exit(2)
    except ModuleNotFoundError as exc:  # a command of an extra the install does not have
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        say(f"[red]factpack:[/red] this needs {exc.name}, which comes with the "
            f"'{extra}' extra: pip install 'factpack\\[{extra}]'")  # \\[: not rich markup
        sys.exit(2)
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        sys.exit(1)
    except OSError as exc:
        fail(exc)
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
        from rich.markup import escape

        say("[red]factpack: internal error:[/red] " + escape(
            f"{type(exc).__name__}: {exc} (please report it; FACTPACK_DEBUG=1 shows the "
            "traceback)"))
        sys.exit(2)
    sys.exit(code)


def run() -> None:
    """The console script and ``python -m factpack``: :func:`main`, then, after ``validate``,
    an immediate exit once the output is flushed.

    Tearing the interpreter down (the polars, pyarrow and numpy modules, their thread
    pools, the frames still referenced) costs about 0.3 s, a seventh of validating a
    million rows. ``validate`` leaves nothing that needs it: no open or temporary files.
    """
    # Where numpy is installed, pyarrow imports it, and numpy starts OpenBLAS's threads,
    # which spin on every core for a while: about a tenth of the CPU of validating a
    # million rows on two cores. No command does linear algebra. A value set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
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
