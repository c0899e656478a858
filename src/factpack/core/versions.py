"""Semantic version numbers of datasets: parsed, ordered and bumped in one place."""

from __future__ import annotations

import re

from .errors import FactpackError

BUMPS = ("none", "patch", "minor", "major")  # in increasing order
SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(.*)$")
# A released version: MAJOR.MINOR.PATCH, no leading zeros, no pre-release (a pydantic pattern)
RELEASE_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"


def parse_version(v: str) -> tuple[int, int, int]:
    """``MAJOR.MINOR.PATCH`` as three integers; anything else is a :class:`FactpackError`."""
    try:
        major, minor, patch = (int(x) for x in v.split("."))
    except (ValueError, AttributeError):
        raise FactpackError(f"'{v}' is not a semantic version MAJOR.MINOR.PATCH") from None
    return major, minor, patch


def bumped(version: str, bump: str) -> tuple[int, int, int]:
    """The smallest version that ``bump`` of ``version`` allows."""
    major, minor, patch = parse_version(version)
    return {"major": (major + 1, 0, 0), "minor": (major, minor + 1, 0),
            "patch": (major, minor, patch + 1), "none": (major, minor, patch)}[bump]


def version_key(version: str) -> tuple:
    """Sort key in semantic-version order (1.10.0 after 1.9.0); anything else sorts after,
    by text. A pre-release (1.0.0-rc1) comes before its release."""
    m = SEMVER.match(version)
    if not m:
        return (1, version)
    major, minor, patch, rest = m.groups()
    return (0, int(major), int(minor), int(patch), rest == "", rest)
