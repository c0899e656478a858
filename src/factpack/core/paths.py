"""One rule for a path read from a descriptor or a catalog: it stays inside its folder.

Data Package paths are POSIX paths relative to the descriptor. Whoever wrote the
descriptor (a download, a third-party package) must not reach outside the folder
with ``..``, an absolute path, a URL, a Windows separator or a symbolic link.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def is_relative_inside(rel: object) -> bool:
    """Whether ``rel`` is a relative POSIX path that cannot leave its folder by its text:
    not empty, not absolute, no ``..`` part, no URL, no backslash, no leading ``~``."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "://" in rel or rel.startswith("~"):
        return False
    parts = PurePosixPath(rel)
    return not parts.is_absolute() and ".." not in parts.parts


def resolve_inside(base: Path, rel: object) -> Path | None:
    """``base / rel`` with links followed, if ``rel`` passes :func:`is_relative_inside`
    and the result is still inside ``base``; else None."""
    if not is_relative_inside(rel):
        return None
    path = (base / str(rel)).resolve()
    return path if path.is_relative_to(base.resolve()) else None
