"""The one rule for paths read from descriptors and catalogs (``factpack.core.paths``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from factpack.core.paths import is_relative_inside, resolve_inside


@pytest.mark.parametrize("rel,ok", [
    ("data/x.csv", True), ("x.csv", True), ("a/b/../c.csv", False), ("../x.csv", False),
    ("/etc/passwd", False), ("https://example.org/x.csv", False), ("data\\x.csv", False),
    ("~/x.csv", False), ("", False), (None, False), (["x.csv"], False),
    ("1.0.0..1.1.0.json", True),  # '..' inside a name is not a parent folder
])
def test_relative_inside(rel: object, ok: bool) -> None:
    assert is_relative_inside(rel) is ok


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    base, outside = tmp_path / "pkg", tmp_path / "secret.txt"
    base.mkdir()
    outside.write_text("x")
    (base / "data.csv").write_text("a\n")
    os.symlink(outside, base / "link.csv")
    assert resolve_inside(base, "data.csv") == (base / "data.csv").resolve()
    assert resolve_inside(base, "link.csv") is None
    assert resolve_inside(base, "../secret.txt") is None
