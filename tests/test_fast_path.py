"""The typer-free path of `factpack validate` (commands/fast.py) reads a command line
exactly as the typer app does, and hands typer everything else (help, usage errors)."""

from __future__ import annotations

import sys

import pytest

from factpack import cli
from factpack.commands import fast, validate


def through_typer(monkeypatch, argv: list[str]) -> fast.ValidateCall:
    """What the typer command passes to the run for ``argv``."""
    seen: list[fast.ValidateCall] = []
    monkeypatch.setattr(validate, "validate", lambda call: seen.append(call) or 0)
    monkeypatch.setattr(sys, "argv", ["factpack", *argv])
    assert cli.register(argv)(standalone_mode=False) == 0
    return seen[0]


@pytest.mark.parametrize("argv", [
    ["validate"],
    ["validate", "a.json"],
    ["validate", "a.json", "b", "--format", "json"],
    ["validate", "-f", "github", "a.json", "--max-errors", "7"],
    ["validate", "--format=junit", "--max-errors=0", "--release", "x"],
    ["validate", "--release", "--no-release", "-f", "text", "-f", "json", "x"],
])
def test_plain_forms_mean_what_they_mean_to_typer(monkeypatch, argv):
    mine = fast.parse(argv)
    assert mine is not None
    assert mine == through_typer(monkeypatch, argv)


@pytest.mark.parametrize("argv", [
    ["validate", "-h"], ["validate", "--help"], ["validate", "--format", "xml", "x"],
    ["validate", "--max-errors", "-1"], ["validate", "--max-errors", "ten"],
    ["validate", "--no-such-flag"], ["validate", "--", "-odd-name.json"], ["validate", "-f"],
    ["validate", "-fjson"], ["build"], ["--version"], [],
])
def test_everything_else_goes_to_typer(argv):
    assert fast.parse(argv) is None


def test_the_formats_are_one_list():
    assert [f.value for f in validate.Format] == list(fast.FORMATS)
