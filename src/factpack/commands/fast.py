"""``factpack validate`` without typer: the run itself, and a parser for the plain forms of
its command line, so that the commonest call starts with only what validation needs.

typer and rich (with click, pygments, markdown-it…) cost about as much as polars to import.
:func:`parse` recognises only the forms whose meaning is unambiguous (targets,
``--format``/``-f``, ``--max-errors``, ``--release``/``--no-release``); anything else
(``-h``, an unknown option, a bad value, ``--``) returns None and goes to the typer app, so
help, usage errors and their messages stay typer's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("text", "json", "github", "junit")


@dataclass
class ValidateCall:
    """The arguments of one ``factpack validate``."""

    targets: list[str] = field(default_factory=list)
    format: str = "text"
    max_errors: int = 1000
    release: bool = False


def parse(argv: list[str]) -> ValidateCall | None:
    """``argv`` (after the program name) as a plain ``validate`` call, or None."""
    if not argv or argv[0] != "validate":
        return None
    call, rest = ValidateCall(), iter(argv[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if not arg.startswith("-"):
            call.targets.append(arg)
        elif arg in ("--release", "--no-release"):
            call.release = arg == "--release"
        elif name in ("--format", "-f", "--max-errors"):
            value = value if eq else next(rest, None)
            if value is None:
                return None
            if name == "--max-errors":
                if not (value.isascii() and value.isdigit()):
                    return None
                call.max_errors = int(value)
            elif value in FORMATS:
                call.format = value
            else:
                return None
        else:
            return None
    return call


def validate(call: ValidateCall) -> int:
    """Validate every target, print the reports in ``call.format``; the exit code (0 valid,
    1 invalid). Unusable input raises :class:`~factpack.core.errors.FactpackError`."""
    from ..core.errors import FactpackError
    from ..descriptors.load import repo_root
    from ..validation import report as output
    from ..validation.run import validate_target

    root = repo_root()
    chosen = call.targets or default_targets(Path.cwd(), root)
    if not chosen:
        raise FactpackError(f"no datapackage.json here and no datasets under "
                            f"{root / 'datasets'}: name what to validate")
    reports = [validate_target(t, root, release=call.release) for t in chosen]
    write = {"json": output.write_json, "github": output.write_github,
             "junit": output.write_junit}.get(call.format, output.write_text)
    write(reports, call.max_errors)
    return 0 if all(r.valid for r in reports) else 1


def default_targets(here: Path, root: Path) -> list[str]:
    """The folder's own package descriptor if it has one, else every dataset of the repository."""
    from ..descriptors.load import dataset_dirs

    for name in ("datapackage.json", "datapackage.yaml", "datapackage.yml"):
        if (here / name).is_file():
            return [str(here / name)]
    return [str(p) for p in dataset_dirs(root)]
