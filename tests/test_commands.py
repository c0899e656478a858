"""The command line as a whole: --version, -h, flags shown as flags, the exit-code contract
stated in the help of the group."""

from __future__ import annotations

import sys

import pytest

from factpack import __version__
from factpack.cli import COMMANDS, main


def run(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["factpack", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return exit_.value.code, out.out + out.err


def test_version(monkeypatch, capsys):
    code, out = run(monkeypatch, capsys, "--version")
    assert code == 0 and out.strip() == f"factpack {__version__}"


@pytest.mark.parametrize("command", [None, *COMMANDS])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_short_and_long_and_flags_read_as_flags(monkeypatch, capsys, command, flag):
    code, out = run(monkeypatch, capsys, *([command] if command else []), flag)
    assert code == 0 and "Usage:" in out and "-h, --help" in out
    assert "<bool>" not in out  # a flag is written `--check`, not `--check <bool>`


def test_the_group_help_states_the_exit_codes(monkeypatch, capsys):
    _, out = run(monkeypatch, capsys, "-h")
    assert "0 valid" in out and "1 invalid" in out and "2 unusable input" in out


def test_an_unknown_option_is_a_usage_error(monkeypatch, capsys):
    code, out = run(monkeypatch, capsys, "validate", "--no-such-flag")
    assert code == 2 and "no-such-flag" in out


def test_validate_without_target_takes_the_folders_datapackage(monkeypatch, capsys, tmp_path):
    (tmp_path / "data.csv").write_text("id\n1\nx\n")
    (tmp_path / "datapackage.json").write_text(
        '{"name": "here", "resources": [{"name": "data", "path": "data.csv", '
        '"schema": {"fields": [{"name": "id", "type": "integer"}]}}]}')
    monkeypatch.chdir(tmp_path)
    code, out = run(monkeypatch, capsys, "validate", "--format", "json")
    assert code == 1 and '"type-error"' in out and "datapackage.json" in out


def test_validate_without_target_or_datasets_is_a_usage_error(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")  # a repository without datasets
    code, out = run(monkeypatch, capsys, "validate")
    assert code == 2 and "name what to validate" in out


def test_publish_outside_a_repository_says_so_and_leaves_nothing(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out = run(monkeypatch, capsys, "publish")
    assert code == 2 and "no datasets under" in out and "published" not in out
    assert list(tmp_path.iterdir()) == []  # no store, no lock file
