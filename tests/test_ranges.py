"""A large CSV file parsed on both cores (validation/tables/ranges.py) gives exactly what
one reader gives: the same errors with the same rows, lines and fields, wherever the
cuts fall, including inside quoted cells that hold lines shaped like records.

The range sizes are made small here so that files of a few hundred kB are cut into
many ranges; each test checks that the file was cut (and, where meant, that a cut was
found wrong and the rest read in one pass)."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest

from factpack.descriptors.load import load_package
from factpack.validation.run import validate_target
from factpack.validation.tables import ranges, readers

FIELDS = [{"name": "id", "type": "integer", "constraints": {"required": True}},
          {"name": "text", "type": "string", "constraints": {"maxLength": 60}},
          {"name": "score", "type": "number", "constraints": {"minimum": 0}}]


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Ranges of 4 kB in files from 8 kB; counts the ranges, the parses (a range joined to
    the next is parsed again) and the one-pass fallbacks."""
    monkeypatch.setattr(ranges, "RANGE_BYTES", 4096)
    monkeypatch.setattr(ranges, "MIN_SPLIT_BYTES", 8192)
    monkeypatch.setattr(ranges, "WINDOW", 2048)
    monkeypatch.setattr(ranges, "workers", lambda: 2)
    seen = {"spans": 0, "parses": 0, "fallbacks": 0}
    spans, serial, parse = ranges._spans, ranges.read_serial, ranges._parse

    def counted_spans(*args):
        for span in spans(*args):
            seen["spans"] += 1
            yield span

    def counted_serial(*args, **kwargs):
        seen["fallbacks"] += 1
        return serial(*args, **kwargs)

    def counted_parse(*args):
        seen["parses"] += 1
        return parse(*args)

    monkeypatch.setattr(ranges, "_parse", counted_parse)
    monkeypatch.setattr(ranges, "_spans", counted_spans)
    monkeypatch.setattr(ranges, "read_serial", counted_serial)
    return seen


def package(tmp: Path, text: str, fields: list[dict] = FIELDS) -> Path:
    (tmp / "data.csv").write_text(text, encoding="utf-8")
    (tmp / "datapackage.json").write_text(json.dumps(
        {"name": "t", "resources": [{"name": "data", "path": "data.csv",
                                     "schema": {"fields": fields}}]}))
    return tmp / "datapackage.json"


def errors(path: Path) -> list[tuple]:
    report = validate_target(path, path.parent)
    return sorted(report.errors.select("code", "row", "line", "field", "message").rows(),
                  key=repr)


def one_reader(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[tuple]:
    with monkeypatch.context() as m:
        m.setattr(readers, "splittable", lambda res: False)
        return errors(path)


def messy(rows: int, seed: int) -> str:
    """Records with quoted newlines and commas, doubled quotes, ragged and blank rows and
    cell errors, in random places."""
    rng = random.Random(seed)
    out = ["id,text,score\n"]
    for i in range(rows):
        kind = rng.random()
        text = rng.choice(["plain", 'with, comma', 'two\nlines', 'say ""hi""', "x" * 70,
                           "many\n\nnew\nlines", "end\n"])
        cell = f'"{text}"' if any(c in text for c in ',\n"') else text
        if kind < 0.01:
            out.append(f"{i},{cell}\n")  # a missing cell
        elif kind < 0.02:
            out.append(f"{i},{cell},1,extra\n")  # an extra cell
        elif kind < 0.025:
            out.append("\n")  # a blank row
        elif kind < 0.04:
            out.append(f"x{i},{cell},-1\n")  # two cell errors
        else:
            out.append(f"{i},{cell},{rng.random():.3f}\n")
    return "".join(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cut_file_gives_the_one_reader_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              small_ranges: dict, seed: int) -> None:
    path = package(tmp_path, messy(3000, seed))
    if seed == 2:  # Windows line ends
        (tmp_path / "data.csv").write_bytes((tmp_path / "data.csv").read_bytes()
                                            .replace(b"\n", b"\r\n"))
    if seed == 3:  # another delimiter, declared
        (tmp_path / "data.csv").write_text((tmp_path / "data.csv").read_text(encoding="utf-8")
                                           .replace(",", ";"), encoding="utf-8")
        descriptor = json.loads(path.read_text())
        descriptor["resources"][0]["dialect"] = {"delimiter": ";"}
        path.write_text(json.dumps(descriptor))
    got = errors(path)
    assert small_ranges["spans"] > 10 and small_ranges["fallbacks"] == 0
    assert got == one_reader(monkeypatch, path)
    codes = {e[0] for e in got}
    assert {"missing-cell", "extra-cell", "blank-row", "type-error"} <= codes


def test_cut_inside_a_quoted_cell_is_found_and_the_range_joined_to_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_ranges: dict) -> None:
    # One cell holds 6 kB of lines shaped like records of the right width: a cut inside it
    # passes the probe, and only the sentinel shows that the range did not end a record.
    fake = "".join(f"{i},fake,1\n" for i in range(700))
    text = "id,text,score\n" + "".join(f"{i},t,1\n" for i in range(600))
    text += f'600,"{fake}",1\n' + "".join(f"{i},t,{'-1' if i % 97 == 0 else 1}\n"
                                          for i in range(601, 3000))
    path = package(tmp_path, text)
    got = errors(path)
    assert small_ranges["parses"] > small_ranges["spans"] > 5
    assert small_ranges["fallbacks"] == 0
    assert got == one_reader(monkeypatch, path)
    assert ("constraint-error", 2 + 679, 2 + 679 + 700, "score") in [e[:4] for e in got]


def test_one_column_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         small_ranges: dict) -> None:
    text = "id\n" + "".join(f"{i if i % 50 else 'x'}\n" for i in range(6000))
    path = package(tmp_path, text, [{"name": "id", "type": "integer"}])
    got = errors(path)
    assert small_ranges["spans"] > 5 and small_ranges["fallbacks"] == 0
    assert got == one_reader(monkeypatch, path)
    assert len(got) == 120


def test_closing_the_reader_early_stops_its_workers(tmp_path: Path, small_ranges: dict) -> None:
    path = package(tmp_path, messy(3000, 4))
    pkg = load_package(path)
    chunks = ranges.read_ranges(readers.prepared(pkg.resources[0], False), 3, 1 << 20)
    frame, _ = next(chunks)
    assert frame.height
    chunks.close()  # as a reader of a sample does
    assert not [t for t in threading.enumerate() if t.name.startswith("factpack-csv")]


def test_unreadable_range_is_read_in_one_pass_and_reported_as_one_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_ranges: dict) -> None:
    text = messy(12000, 5).encode()  # the bad byte beyond what the encoding is sniffed from
    middle = text.index(b"\n", len(text) * 3 // 4) + 1
    path = package(tmp_path, "")
    (tmp_path / "data.csv").write_bytes(text[:middle] + b"1,caf\xe9,1\n" + text[middle:])
    got = errors(path)
    assert small_ranges["fallbacks"] == 1
    assert got == one_reader(monkeypatch, path)
    assert [e[0] for e in got] == ["encoding-error"]


def test_ranges_joined_past_the_bound_fall_back_to_one_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_ranges: dict) -> None:
    # A cell of 20 kB of record-shaped lines: joining ranges would pass the bound (memory).
    monkeypatch.setattr(ranges, "JOINED_BYTES", 8192)
    fake = "".join(f"{i},fake,1\n" for i in range(2000))
    text = "id,text,score\n" + "".join(f"{i},t,1\n" for i in range(600))
    text += f'600,"{fake}",-1\n' + "".join(f"{i},t,1\n" for i in range(601, 3000))
    path = package(tmp_path, text)
    got = errors(path)
    assert small_ranges["fallbacks"] == 1
    assert got == one_reader(monkeypatch, path)
    assert sorted(e[:4] for e in got) == [("constraint-error", 602, 602, "score"),
                                          ("constraint-error", 602, 602, "text")]
