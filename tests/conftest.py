"""Fixtures shared by the fetch and load tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from packstore import write_store


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty download cache of the test's own (FACTPACK_CACHE)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("FACTPACK_CACHE", str(path))
    return path


@pytest.fixture
def store(tmp_path) -> Path:
    """The synthetic package at 1.0.0 and 1.1.0, in a store written per the contract."""
    return write_store(tmp_path)
