"""``factpack build``: validate, then write each dataset's package; nothing if invalid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..core import progress
from ..core.errors import FactpackError
from ..descriptors.load import dataset_dirs, repo_root
from ..validation import report as output


def cli(
    datasets: Annotated[list[str] | None, typer.Argument(
        help="Dataset folders or names; none = every dataset under datasets/")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: build/)")] = None,
    force: Annotated[bool, typer.Option(
        help="Replace an earlier build of the same version that has different content")] = False,
    max_errors: Annotated[int, typer.Option(help="List at most this many errors")] = 1000,
) -> None:
    """Validate, then write build/<name>/<version>/ and its zip; nothing if invalid."""
    # the stage's code, imported only when this command runs (its extra may be missing)
    from ..build.output import archive_path
    from ..build.package import BuildInvalid, build_validated, validate_datasets

    root = repo_root()
    folders = [dataset_folder(d, root) for d in datasets] if datasets else dataset_dirs(root)
    if not folders:
        raise FactpackError(f"no datasets under {root / 'datasets'}")
    with progress.stage("validating (layers 1–3)"):
        checked = validate_datasets(folders, root)  # all first: one invalid, nothing built
    err = Console(stderr=True)
    if not all(report.valid for _, report in checked):
        output.write_text([report for _, report in checked], max_errors)
        err.print("[red]invalid: nothing was built[/red]")
        raise typer.Exit(1)
    console = Console(soft_wrap=True)
    for (pkg, report), folder in zip(checked, folders, strict=True):
        try:
            with progress.stage(f"building {pkg.name}: the files, then layer 4 (frictionless-py "
                                "and factpack's checks of the built package)"):
                target = build_validated(pkg, report, folder, out or root / "build", force)
        except BuildInvalid as exc:
            output.write_text([exc.report], max_errors)
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(1) from None
        archive = archive_path(target)
        console.print(f"[green]built[/green] {escape(f'{shown(target, root)}/ and {shown(archive, root)}')}")
        for path in sorted(p for p in target.rglob("*") if p.is_file()):
            console.print(escape(f"  {path.relative_to(target).as_posix()}  {path.stat().st_size:,} bytes"))


def dataset_folder(name: str, root: Path) -> Path:
    """A dataset given as a folder or as its name under ``datasets/``."""
    for folder in (Path(name), root / "datasets" / name):
        if (folder / "dataset.yaml").is_file():
            return folder.resolve()
    raise FactpackError(f"{name}: no such dataset (expected a folder with dataset.yaml, or a "
                        f"name under {root / 'datasets'})")


def shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
