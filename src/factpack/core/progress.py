"""Progress on long work: on a terminal (stderr), one rich display with a line per piece
of work in progress (a bar with rows done, rate and time left, or a stage with the time
spent); off a terminal, nothing at all, and rich is never imported.

Pieces nest (a build's stage holds the validation's bars): they share one display.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LARGE_BYTES = 16 << 20  # a smaller file is done in about a second: no bar
_live: dict[str, Any] = {}  # the shared rich Progress and how many pieces use it


def shown() -> bool:
    """Whether progress is shown: stderr is a terminal (and not a dumb one)."""
    try:
        return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


@contextmanager
def _task(description: str, total: float | None) -> Iterator[Callable[[int], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if not _live:
        _live["progress"] = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            TaskProgressColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True)
        _live["progress"].start()
        _live["users"] = 0
    progress = _live["progress"]
    _live["users"] += 1
    task = progress.add_task(description, total=total, rate="")

    def advance(n: int) -> None:
        progress.advance(task, n)
        speed = progress.tasks[task].speed if task < len(progress.tasks) else None
        if speed:
            progress.update(task, rate=f"{speed:,.0f} rows/s")

    try:
        yield advance
    finally:
        progress.remove_task(task)
        _live["users"] -= 1
        if not _live["users"]:
            progress.stop()
            _live.clear()


@contextmanager
def stage(description: str) -> Iterator[None]:
    """Say, on a terminal, which stage the work is in while it runs."""
    if not shown():
        yield
        return
    with _task(description, None):
        yield


@contextmanager
def rows(description: str, path: Path | None) -> Iterator[Callable[[int], None]]:
    """A bar for reading the rows of a large text file: yields ``advance(rows)``. The total
    is estimated from the file's size and its first 64 KiB (so time left is an estimate).
    A small file, no local file (inline data, a URL) or no terminal: ``advance`` does
    nothing."""
    try:
        size = path.stat().st_size if path is not None else 0
    except OSError:
        size = 0
    if size < LARGE_BYTES or not shown():
        yield lambda n: None
        return
    with path.open("rb") as f:
        head = f.read(1 << 16)
    total = max(1, round(size * max(head.count(b"\n"), 1) / max(len(head), 1)) - 1)
    with _task(description, total) as advance:
        yield advance
