"""Every form a package holds a table in (issue 14): remote (from a real HTTP server on
127.0.0.1 that the tests start and stop), compressed, multipart, inline, JSON, NDJSON,
Excel, zipped packages; each with the same row numbers as the plain CSV, and each kind of
bad input as one clear error naming the file or URL."""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import json
import lzma
import tempfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest

from factpack.validation.run import validate_target

CSV = "id,name\n1,a\nx,b\n3,c\n"
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def served(tmp_path: Path):
    """(folder, base URL): files written into the folder are served over HTTP."""
    folder = tmp_path / "www"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def package(folder: Path, resource: dict, **files: bytes | str) -> Path:
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    (folder / "datapackage.json").write_text(json.dumps(
        {"name": "p", "resources": [{"name": "t", **resource}]}))
    return folder / "datapackage.json"


def root(target: Path | str) -> Path:
    return target.parent if isinstance(target, Path) else Path(tempfile.gettempdir())


def errors(target: Path | str) -> list[tuple]:
    report = validate_target(target, root(target))
    return report.errors.select("code", "row", "field", "path").rows()


def codes(target: Path | str) -> list[tuple]:
    return [e[:3] for e in errors(target)]


def messages(target: Path | str) -> list[str]:
    return validate_target(target, root(target)).errors["message"].to_list()


TYPE_ERROR = [("type-error", 3, "id")]  # the row 'x,b' of CSV, whatever its form


# -- compression -------------------------------------------------------------------------

@pytest.mark.parametrize("ext,pack", [("gz", gzip.compress), ("bz2", bz2.compress),
                                      ("xz", lzma.compress)])
def test_compressed_by_extension(tmp_path: Path, ext: str, pack) -> None:
    path = package(tmp_path, {"path": f"d.csv.{ext}", "schema": SCHEMA},
                   **{f"d.csv.{ext}": pack(CSV.encode())})
    assert codes(path) == TYPE_ERROR


def zipped(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_compression_property_and_zip(tmp_path: Path) -> None:
    path = package(tmp_path, {"path": "d.bin", "format": "csv", "compression": "zip",
                              "schema": SCHEMA}, **{"d.bin": zipped({"d.csv": CSV})})
    assert codes(path) == TYPE_ERROR


def test_declared_bytes_and_hash_are_of_the_compressed_file(tmp_path: Path) -> None:
    raw = gzip.compress(CSV.encode())
    path = package(tmp_path, {"path": "d.csv.gz", "schema": SCHEMA, "bytes": len(raw) + 1},
                   **{"d.csv.gz": raw})
    assert ("byte-count", None, None) in codes(path)


@pytest.mark.parametrize("content,words", [
    (gzip.compress(CSV.encode() * 50)[:-30], "truncated"),
    (zipped({"a.csv": CSV, "b.csv": CSV}), "exactly one file"),
    (zipped({}), "exactly one file"),
    (b"id,name\n1,a\n", "cannot be decompressed"),
], ids=["truncated-gz", "zip-of-two", "empty-zip", "not-gz"])
def test_bad_compressed_file_is_one_error(tmp_path: Path, content: bytes, words: str) -> None:
    ext = "zip" if content.startswith(b"PK") else "gz"
    path = package(tmp_path, {"path": f"d.csv.{ext}", "schema": SCHEMA},
                   **{f"d.csv.{ext}": content})
    found = errors(path)
    assert [e[0] for e in found] == ["compression-error"]
    assert found[0][3] == f"d.csv.{ext}" and words in messages(path)[0]


def test_no_temporary_file_is_left(tmp_path: Path) -> None:
    before = set(Path(tempfile.gettempdir()).glob("factpack-table-*"))
    path = package(tmp_path, {"path": "d.csv.gz", "schema": SCHEMA},
                   **{"d.csv.gz": gzip.compress(CSV.encode())})
    codes(path)
    assert set(Path(tempfile.gettempdir()).glob("factpack-table-*")) == before


# -- multipart, inline, JSON --------------------------------------------------------------

def test_multipart_header_only_in_the_first_part(tmp_path: Path) -> None:
    path = package(tmp_path, {"path": ["a.csv", "b.csv"], "schema": SCHEMA},
                   **{"a.csv": CSV, "b.csv": "id,name\ny,d\n5,e\n"})
    assert codes(path) == TYPE_ERROR + [("type-error", 5, "id")]


def test_multipart_headerless_parts_are_joined_whole(tmp_path: Path) -> None:
    path = package(tmp_path, {"path": ["a.csv", "b.csv"], "schema": SCHEMA,
                              "dialect": {"header": False}},
                   **{"a.csv": "1,a\n", "b.csv": "x,b\n"})
    assert codes(path) == [("type-error", 2, "id")]


def test_inline_arrays_and_objects(tmp_path: Path) -> None:
    arrays = package(tmp_path, {"data": [["id", "name"], [1, "a"], ["x", "b"], [3]],
                                "schema": SCHEMA})
    assert codes(arrays) == TYPE_ERROR + [("missing-cell", 4, "name")]
    objects = package(tmp_path, {"data": [{"id": 1, "name": "a"}, {"id": "x", "name": 5}],
                                 "schema": SCHEMA})
    assert codes(objects) == [("type-error", 3, "id"), ("type-error", 3, "name")]


@pytest.mark.parametrize("data", [[["id", "name"], 5], [{"id": 1}, [2, "b"]], [7]])
def test_inline_rows_of_the_wrong_shape_are_one_error(tmp_path: Path, data: list) -> None:
    path = package(tmp_path, {"data": data, "schema": SCHEMA})
    assert [e[0] for e in errors(path)] == ["source-error"]
    assert "row" in messages(path)[0] or "rows" in messages(path)[0]


def test_json_and_ndjson_tables(tmp_path: Path) -> None:
    rows = [{"id": 1, "name": "a"}, {"id": "x", "name": "b"}]
    path = package(tmp_path, {"path": "d.json", "type": "table", "schema": SCHEMA},
                   **{"d.json": json.dumps(rows)})
    assert codes(path) == TYPE_ERROR
    path = package(tmp_path, {"path": "d.ndjson", "schema": SCHEMA},
                   **{"d.ndjson": "\n".join(json.dumps(r) for r in rows)})
    assert codes(path) == TYPE_ERROR


def test_json_that_is_not_an_array_is_one_error(tmp_path: Path) -> None:
    path = package(tmp_path, {"path": "d.json", "type": "table", "schema": SCHEMA},
                   **{"d.json": '{"id": 1}'})
    assert [e[0] for e in errors(path)] == ["source-error"]
    assert "array" in messages(path)[0]


def test_a_resource_that_is_not_a_table_is_not_read(tmp_path: Path) -> None:
    path = package(tmp_path, {"path": "notes.pdf"}, **{"notes.pdf": b"%PDF-1.4 \x00\xff"})
    assert codes(path) == []
    txt = package(tmp_path, {"path": "d.txt", "format": "csv", "schema": SCHEMA},
                  **{"d.txt": CSV})
    assert codes(txt) == TYPE_ERROR  # a declared format wins over the extension


# -- Excel --------------------------------------------------------------------------------

def workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "First"
    for row in [["id", "name"], [1, "a"], ["x", "b"], [3, "c"]]:
        sheet.append(row)
    other = book.create_sheet("Second")
    for row in [["id", "name"], ["y", "a"]]:
        other.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_excel_first_sheet_and_named_sheet(tmp_path: Path) -> None:
    path = package(tmp_path, {"path": "d.xlsx", "schema": SCHEMA}, **{"d.xlsx": workbook()})
    assert codes(path) == TYPE_ERROR
    path = package(tmp_path, {"path": "d.xlsx", "schema": SCHEMA,
                              "dialect": {"excel": {"sheet": "Second"}}})
    assert codes(path) == [("type-error", 2, "id")]


@pytest.mark.parametrize("dialect,content,words", [
    ({"excel": {"sheet": "Nope"}}, None, "no sheet 'Nope'"),
    ({"excel": {"sheet": 3}}, None, "no sheet 3"),
    ({}, b"PK\x03\x04 not a workbook", "cannot be read as a workbook"),
])
def test_bad_workbook_is_one_error(tmp_path: Path, dialect: dict, content: bytes | None,
                                   words: str) -> None:
    path = package(tmp_path, {"path": "d.xlsx", "schema": SCHEMA, "dialect": dialect},
                   **{"d.xlsx": content or workbook()})
    assert [e[0] for e in errors(path)] == ["source-error"]
    assert words in messages(path)[0]


def ods(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet (one sheet of text cells), written by hand: the
    environment has no ODS writer."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
        for c in row) + "</table:table-row>" for row in rows)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
               'office:version="1.2"><office:body><office:spreadsheet><table:table '
               f'table:name="Data">{body}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'))
        z.writestr("content.xml", content)
    return buf.getvalue()


def test_ods_sheet(tmp_path: Path) -> None:
    path = package(tmp_path, {"path": "d.ods", "schema": SCHEMA},
                   **{"d.ods": ods([["id", "name"], ["1", "a"], ["x", "b"]])})
    assert codes(path) == TYPE_ERROR


# -- remote -------------------------------------------------------------------------------

def test_remote_table_has_the_rows_of_the_local_one(served, tmp_path: Path) -> None:
    www, url = served
    (www / "d.csv").write_text(CSV)
    (www / "d.csv.gz").write_bytes(gzip.compress(CSV.encode()))
    for name in ("d.csv", "d.csv.gz"):
        path = package(tmp_path, {"path": url + name, "schema": SCHEMA})
        assert errors(path) == [("type-error", 3, "id", url + name)]


def test_remote_descriptor_resolves_relative_paths_against_its_url(served) -> None:
    www, url = served
    (www / "data").mkdir()
    package(www, {"path": "data/d.csv", "schema": "schema.json"}, **{"data/d.csv": CSV})
    (www / "schema.json").write_text(json.dumps(SCHEMA))
    assert errors(url + "datapackage.json") == [("type-error", 3, "id", url + "data/d.csv")]


def test_remote_descriptor_may_not_climb_out_of_its_folder(served) -> None:
    www, url = served
    package(www, {"path": "../secret.csv", "schema": SCHEMA})
    assert [e[0] for e in errors(url + "datapackage.json")] == ["resource-error"]  # as on disk


def test_remote_404_and_refused_connection_are_scheme_errors(served, tmp_path: Path) -> None:
    _, url = served
    path = package(tmp_path, {"path": url + "missing.csv", "schema": SCHEMA})
    assert [e[0] for e in errors(path)] == ["scheme-error"]
    assert "404" in messages(path)[0] and url + "missing.csv" in messages(path)[0]
    closed = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)  # bound, then closed: refused
    port = closed.server_address[1]
    closed.server_close()
    path = package(tmp_path, {"path": f"http://127.0.0.1:{port}/d.csv", "schema": SCHEMA})
    assert [e[0] for e in errors(path)] == ["scheme-error"]
    assert "cannot connect" in messages(path)[0]


# -- read while copied: a table larger than the head read before its rows ----------------

def big_csv() -> str:
    """~5 MB (more than sources.HEAD_BYTES, so it is read while still being copied): a bad
    id every 40 000 rows, a quoted newline every 50 000 (it moves the lines, not the rows)."""
    rows = ["id,name"]
    for i in range(1, 400_001):
        rows.append(f"x{i},b" if i % 40_000 == 0 else
                    f'{i},"a\nb"' if i % 50_000 == 0 else f"{i},n{i}")
    return "\n".join(rows) + "\n"


BIG_ERRORS = [("type-error", i + 1, "id") for i in range(40_000, 400_001, 40_000)]


def test_a_large_table_has_the_same_rows_gzipped_and_remote(served, tmp_path: Path) -> None:
    www, url = served
    text = big_csv()
    (www / "d.csv").write_text(text)
    local = package(tmp_path, {"path": "d.csv", "schema": SCHEMA}, **{"d.csv": text})
    assert sorted(codes(local)) == BIG_ERRORS
    gz = package(tmp_path, {"path": "d.csv.gz", "schema": SCHEMA},
                 **{"d.csv.gz": gzip.compress(text.encode(), 1)})
    assert sorted(codes(gz)) == BIG_ERRORS
    remote = package(tmp_path, {"path": url + "d.csv", "schema": SCHEMA})
    assert sorted(codes(remote)) == BIG_ERRORS
    lines = validate_target(local, tmp_path).errors["line"].to_list()
    assert validate_target(remote, tmp_path).errors["line"].to_list() == lines


def test_a_large_truncated_gzip_is_one_error(tmp_path: Path) -> None:
    """The rows read before the gzip breaks off (bad ids among them) are not reported."""
    path = package(tmp_path, {"path": "d.csv.gz", "schema": SCHEMA},
                   **{"d.csv.gz": gzip.compress(big_csv().encode(), 1)[:-5000]})
    assert codes(path) == [("compression-error", None, None)]
    assert "truncated" in messages(path)[0]


def test_decompressed_and_downloaded_sizes_are_bounded(served, tmp_path: Path,
                                                      monkeypatch) -> None:
    from factpack.validation.tables import sources

    monkeypatch.setattr(sources, "MAX_SOURCE_BYTES", 1 << 20)  # the big table is 5 MB
    www, url = served
    text = big_csv()
    (www / "d.csv").write_text(text)
    gz = package(tmp_path, {"path": "d.csv.gz", "schema": SCHEMA},
                 **{"d.csv.gz": gzip.compress(text.encode(), 1)})
    assert codes(gz) == [("compression-error", None, None)]
    assert "decompresses to more than" in messages(gz)[0]
    remote = package(tmp_path, {"path": url + "d.csv", "schema": SCHEMA})
    assert codes(remote) == [("scheme-error", None, None)]
    assert "more than" in messages(remote)[0]


def test_a_file_being_copied_is_read_as_it_grows(tmp_path: Path) -> None:
    from factpack.validation.tables.sources import Filling

    more = threading.Event()

    def write(stop: threading.Event) -> None:
        with (tmp_path / "t").open("wb") as f:
            f.write(b"first\n")
            f.flush()
            if not more.wait(10):  # set by the reader once it has read the first line
                raise TimeoutError("the reader waited for the whole file")
            f.write(b"second\n")

    filling = Filling(tmp_path / "t", write)
    with filling.open() as f:
        assert f.read(6) == b"first\n" and not filling.done.is_set()
        more.set()
        assert f.read() == b"second\n"
    filling.wait()
    filling.close()


# -- zipped packages and bare files -------------------------------------------------------

def test_other_peoples_zipped_package(tmp_path: Path) -> None:
    desc = {"name": "p", "resources": [{"name": "t", "path": "d.csv", "schema": SCHEMA}]}
    archive = tmp_path / "pkg.zip"
    archive.write_bytes(zipped({"mine/datapackage.json": json.dumps(desc), "mine/d.csv": CSV,
                                "__MACOSX/mine/._d.csv": "junk"}))
    assert codes(archive) == TYPE_ERROR


@pytest.mark.parametrize("name,content", [
    ("d.csv.gz", gzip.compress(b"id,id\n1,2\n")), ("d.xlsx", None), ("d.ndjson", None)],
    ids=["gz", "xlsx", "ndjson"])
def test_bare_table_of_any_form(tmp_path: Path, name: str, content: bytes | None) -> None:
    if name == "d.xlsx":
        book = openpyxl.Workbook()
        book.active.append(["id", "id"])
        book.active.append([1, 2])
        buf = io.BytesIO()
        book.save(buf)
        content = buf.getvalue()
    if name == "d.ndjson":
        content = b'["id", "id"]\n[1, 2]\n'
    (tmp_path / name).write_bytes(content)
    assert codes(tmp_path / name) == [("duplicate-label", 1, "id2")]  # named as frictionless does


# -- dialects that cannot be read ---------------------------------------------------------

@pytest.mark.parametrize("dialect", [{"quoteChar": ""}, {"delimiter": ""}, {"delimiter": ";;"},
                                     {"escapeChar": "\\\\"}])
def test_unreadable_dialect_is_a_source_error(tmp_path: Path, dialect: dict) -> None:
    path = package(tmp_path, {"path": "d.csv", "schema": SCHEMA, "dialect": dialect},
                   **{"d.csv": CSV})
    found = errors(path)
    assert [e[0] for e in found] == ["source-error"]
    assert "exactly one character" in messages(path)[0]


def test_undeclared_latin1_and_semicolons_are_sniffed(tmp_path: Path) -> None:
    text = "id;name\n1;café\nx;crème\n".encode("latin-1")
    path = package(tmp_path, {"path": "d.csv", "schema": SCHEMA}, **{"d.csv": text})
    assert codes(path) == [("type-error", 3, "id")]


# -- describe -----------------------------------------------------------------------------

MIXED = ("id,name,day,score,ok,at,tags\n"
         "1,a,2020-01-02,1.5,true,2020-01-02T03:04:05Z,\"[1]\"\n"
         "2,,2021-03-04,2,false,2020-01-02T03:04:05Z,\"[2]\"\n"
         "3,c,2022-05-06,,true,2020-01-02T03:04:05Z,\"[]\"\n")


def test_describe_infers_the_types_frictionless_infers(tmp_path: Path) -> None:
    import warnings

    import frictionless

    from factpack.validation.describe import describe_file

    (tmp_path / "m.csv").write_text(MIXED)
    (tmp_path / "m.csv.gz").write_bytes(gzip.compress(MIXED.replace(",", ";").encode()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = frictionless.describe("m.csv", type="resource", basepath=str(tmp_path))
    expected = [{"name": f.name, "type": f.type} for f in theirs.schema.fields]
    assert expected[3] == {"name": "score", "type": "number"}  # the case is not trivial
    for name in ("m.csv", "m.csv.gz"):
        described = describe_file(str(tmp_path / name), tmp_path)
        assert described["schema"]["fields"] == expected
    assert describe_file(str(tmp_path / "m.csv.gz"), tmp_path)["dialect"] == {"delimiter": ";"}


def test_describe_command_writes_a_schema(tmp_path: Path, monkeypatch, capsys) -> None:
    import sys

    import yaml

    from factpack.cli import main

    (tmp_path / "m.csv").write_text(MIXED)
    monkeypatch.chdir(tmp_path)
    for argv, read in ((["m.csv", "--schema", "-f", "json"], json.loads),
                       (["m.csv", "--schema", "--to", "s.yaml"], None)):
        monkeypatch.setattr(sys, "argv", ["factpack", "describe", *argv])
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code in (0, None)
        text = capsys.readouterr().out if read else (tmp_path / "s.yaml").read_text()
        schema = (read or yaml.safe_load)(text)
        assert [f["type"] for f in schema["fields"]] == [
            "integer", "string", "date", "number", "boolean", "datetime", "array"]
    # the schema it wrote validates the file it describes
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [
        {"name": "m", "path": "m.csv", "schema": "s.yaml"}]}))
    assert codes(tmp_path / "datapackage.json") == []


def test_describe_an_unreadable_file_is_a_usage_error(tmp_path: Path, monkeypatch,
                                                       capsys) -> None:
    import sys

    from factpack.cli import main

    (tmp_path / "d.csv.gz").write_bytes(b"not gzip")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["factpack", "describe", "d.csv.gz"])
    with pytest.raises(SystemExit) as done:
        main()
    err = capsys.readouterr().err
    assert done.value.code == 2 and "d.csv.gz" in err and "Traceback" not in err


def test_missing_remote_descriptor_is_unusable_input(served) -> None:
    from factpack.core.errors import FactpackError

    _, url = served
    with pytest.raises(FactpackError, match="404"):
        validate_target(url + "nowhere/datapackage.json", Path(tempfile.gettempdir()))
