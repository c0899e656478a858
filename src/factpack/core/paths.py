"""One rule for a path read from a descriptor, a catalog or a record: it stays inside its folder.

Data Package paths are POSIX paths relative to the descriptor. Whoever wrote the
descriptor (a download, a third-party package, a pull request) must not reach outside
the folder with ``..``, an absolute path, a URL, a Windows separator, a leading ``~`` or
a symbolic link. Links are never followed, not even to a place inside the folder: what
is checked is the file that is read, and nothing else can be swapped in behind it.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

_DRIVE = re.compile(r"^[A-Za-z]:")


def text_problem(rel: object) -> str | None:
    """Why the text of ``rel`` could leave its folder, or None: it must be a non-empty
    relative POSIX path with no ``..`` part, URL, backslash, drive letter or leading ``~``."""
    if not isinstance(rel, str) or not rel:
        return "is empty or not text"
    if "://" in rel:
        return "is a URL, not a path inside the folder"
    if rel.startswith(("/", "\\")) or _DRIVE.match(rel):
        return "is an absolute path; give a path relative to its folder"
    if "\\" in rel:
        return "has a backslash; paths use '/'"
    if rel.startswith("~"):
        return "starts with '~'; give a path relative to its folder"
    if ".." in PurePosixPath(rel).parts:
        return "leaves its folder ('..')"
    return None


def is_relative_inside(rel: object) -> bool:
    """Whether the text of ``rel`` passes :func:`text_problem`."""
    return text_problem(rel) is None


def locate(base: Path, rel: object) -> tuple[Path | None, str | None]:
    """``(base / rel, None)`` when ``rel`` passes :func:`text_problem` and no part of it below
    ``base`` is a symbolic link; else ``(None, why)``. The file need not exist."""
    why = text_problem(rel)
    if why is not None:
        return None, why
    current = base
    for part in PurePosixPath(str(rel)).parts:
        current = current / part
        if current.is_symlink():
            return None, f"goes through a symbolic link ({part}), which is not followed"
    return current, None


def resolve_inside(base: Path, rel: object) -> Path | None:
    """:func:`locate`, or None when the path is refused."""
    return locate(base, rel)[0]
