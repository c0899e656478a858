"""Writes cases/forms.yaml and cases/dialect.yaml of the differential corpus: the bytes of
compressed files, zips and workbooks are made here and stored as base64 (``binary:``).
Run ``.venv/bin/python tests/conformance/make_forms_cases.py`` after editing a case."""

import base64
import bz2
import datetime
import gzip
import io
import json
import lzma
import zipfile
from pathlib import Path

import openpyxl
import yaml

HERE = Path(__file__).parent


def b64(b):
    return base64.b64encode(b).decode()


def gz(t):
    return gzip.compress(t.encode(), mtime=0)


def zipped(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, t in members.items():
            z.writestr(zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0)), t)
    return buf.getvalue()


def xlsx(sheets):
    wb = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet(title)
        ws.title = title
        first = False
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


S = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}
CSV = "id,name\n1,a\n2,b\n"
BAD = "id,name\n1,a\nx,b\n"


def res(**kw):
    return {"name": "data", **kw}


forms = []


def case(name, resource=None, files=None, binary=None, intended=None, **extra):
    c = {"name": name}
    if files:
        c["files"] = files
    if binary:
        c["binary"] = {k: b64(v) for k, v in binary.items()}
    if resource is not None:
        c["resource"] = resource
    c.update(extra)
    if intended:
        c["intended"] = intended
    return c


F = forms.append
F(case("forms/gz-valid", res(path="d.csv.gz", schema=S), binary={"d.csv.gz": gz(CSV)}))
F(case("forms/gz-type-error", res(path="d.csv.gz", schema=S), binary={"d.csv.gz": gz(BAD)}))
F(
    case(
        "forms/bz2-type-error",
        res(path="d.csv.bz2", schema=S),
        binary={"d.csv.bz2": bz2.compress(BAD.encode())},
    )
)
F(
    case(
        "forms/xz-type-error",
        res(path="d.csv.xz", schema=S),
        binary={"d.csv.xz": lzma.compress(BAD.encode())},
    )
)
F(
    case(
        "forms/zip-type-error",
        res(path="d.csv.zip", schema=S),
        binary={"d.csv.zip": zipped({"d.csv": BAD})},
    )
)
F(
    case(
        "forms/zip-valid",
        res(path="d.csv.zip", schema=S),
        binary={"d.csv.zip": zipped({"d.csv": CSV})},
    )
)
F(
    case(
        "forms/compression-property",
        res(path="d.bin", format="csv", compression="gz", schema=S),
        binary={"d.bin": gz(BAD)},
    )
)
F(case("forms/gz-not-gzip", res(path="d.csv", compression="gz", schema=S), files={"d.csv": CSV}))
F(
    case(
        "forms/zip-two-members",
        res(path="d.csv.zip", schema=S),
        binary={"d.csv.zip": zipped({"a.csv": BAD, "b.csv": CSV})},
        intended="frictionless-py reads the first member of a zip holding several and ignores the rest; factpack refuses the zip (which file is the table is not said)",
    )
)
F(
    case(
        "forms/zip-corrupt",
        res(path="d.csv.zip", schema=S),
        binary={"d.csv.zip": b"PK\x03\x04garbage"},
    )
)
F(
    case(
        "forms/gz-tsv",
        res(path="d.tsv.gz", schema=S),
        binary={"d.tsv.gz": gz(BAD.replace(",", "\t"))},
    )
)
F(
    case(
        "forms/gz-byte-count", res(path="d.csv.gz", schema=S, bytes=3), binary={"d.csv.gz": gz(CSV)}
    )
)
F(
    case(
        "forms/gz-constraint",
        res(
            path="d.csv.gz",
            schema={
                "fields": [
                    {"name": "id", "type": "integer", "constraints": {"maximum": 1}},
                    {"name": "name", "type": "string"},
                ]
            },
        ),
        binary={"d.csv.gz": gz(CSV)},
    )
)
F(
    case(
        "forms/gz-ragged",
        res(path="d.csv.gz", schema=S),
        binary={"d.csv.gz": gz("id,name\n1\n2,b,c\n")},
    )
)
# multipart
F(
    case(
        "forms/multipart-valid",
        res(path=["a.csv", "b.csv"], schema=S),
        files={"a.csv": CSV, "b.csv": "id,name\n3,c\n"},
    )
)
F(
    case(
        "forms/multipart-type-error-second-part",
        res(path=["a.csv", "b.csv"], schema=S),
        files={"a.csv": CSV, "b.csv": "id,name\n3,c\ny,d\n"},
    )
)
F(
    case(
        "forms/multipart-three-parts",
        res(path=["a.csv", "b.csv", "c.csv"], schema=S),
        files={"a.csv": BAD, "b.csv": BAD, "c.csv": BAD},
    )
)
F(
    case(
        "forms/multipart-headerless",
        res(path=["a.csv", "b.csv"], schema=S, dialect={"header": False}),
        files={"a.csv": "1,a\n", "b.csv": "x,b\n"},
    )
)
F(
    case(
        "forms/multipart-missing-part",
        res(path=["a.csv", "nope.csv"], schema=S),
        files={"a.csv": CSV},
    )
)
F(
    case(
        "forms/multipart-ragged",
        res(path=["a.csv", "b.csv"], schema=S),
        files={"a.csv": CSV, "b.csv": "id,name\n3\n"},
    )
)
F(
    case(
        "forms/multipart-primary-key",
        res(path=["a.csv", "b.csv"], schema={**S, "primaryKey": ["id"]}),
        files={"a.csv": CSV, "b.csv": "id,name\n2,c\n"},
    )
)
# inline
F(case("forms/inline-arrays-valid", res(data=[["id", "name"], [1, "a"], [2, "b"]], schema=S)))
F(
    case(
        "forms/inline-arrays-type-error", res(data=[["id", "name"], [1, "a"], ["x", "b"]], schema=S)
    )
)
F(case("forms/inline-arrays-missing-cell", res(data=[["id", "name"], [1, "a"], [2]], schema=S)))
F(case("forms/inline-arrays-extra-cell", res(data=[["id", "name"], [1, "a", "z"]], schema=S)))
F(
    case(
        "forms/inline-arrays-text-numbers",
        res(data=[["id", "name"], ["1", "a"], ["2", "b"]], schema=S),
    )
)
F(
    case(
        "forms/inline-objects-valid",
        res(data=[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], schema=S),
    )
)
F(
    case(
        "forms/inline-objects-type-error",
        res(data=[{"id": 1, "name": "a"}, {"id": "x", "name": "b"}], schema=S),
    )
)
F(
    case(
        "forms/inline-objects-missing-key-required",
        res(
            data=[{"id": 1, "name": "a"}, {"name": "b"}],
            schema={
                "fields": [
                    {"name": "id", "type": "integer", "constraints": {"required": True}},
                    {"name": "name", "type": "string"},
                ]
            },
        ),
    )
)
F(case("forms/inline-wrong-shape", res(data=[["id", "name"], 5], schema=S)))
F(case("forms/inline-mixed-rows", res(data=[{"id": 1, "name": "a"}, [2, "b"]], schema=S)))
F(case("forms/inline-number-in-string-field", res(data=[{"id": 1, "name": 2}], schema=S)))
F(case("forms/inline-no-schema", res(data=[["id", "name"], [1, "a"], [2]])))
F(
    case(
        "forms/inline-constraint",
        res(
            data=[["id", "name"], [1, "a"], [20, "b"]],
            schema={
                "fields": [
                    {"name": "id", "type": "integer", "constraints": {"maximum": 10}},
                    {"name": "name", "type": "string"},
                ]
            },
        ),
    )
)
F(
    case(
        "forms/inline-primary-key",
        res(data=[["id", "name"], [1, "a"], [1, "b"]], schema={**S, "primaryKey": ["id"]}),
    )
)
F(
    case(
        "forms/inline-booleans",
        res(
            data=[["ok"], [True], [False], ["yes"]],
            schema={"fields": [{"name": "ok", "type": "boolean"}]},
        ),
    )
)
F(case("forms/inline-blank-row", res(data=[["id", "name"], [1, "a"], [None, None]], schema=S)))
# JSON, NDJSON
rows = [{"id": 1, "name": "a"}, {"id": "x", "name": "b"}]
F(
    case(
        "forms/json-table-objects",
        res(path="d.json", type="table", schema=S),
        files={"d.json": json.dumps(rows)},
    )
)
F(
    case(
        "forms/json-table-arrays",
        res(path="d.json", type="table", schema=S),
        files={"d.json": json.dumps([["id", "name"], [1, "a"], ["x", "b"]])},
    )
)
F(case("forms/json-not-a-table", res(path="d.json", schema=S), files={"d.json": json.dumps(rows)}))
F(
    case(
        "forms/ndjson-type-error",
        res(path="d.ndjson", schema=S),
        files={"d.ndjson": "\n".join(json.dumps(r) for r in rows) + "\n"},
    )
)
F(
    case(
        "forms/jsonl-valid",
        res(path="d.jsonl", schema=S),
        files={"d.jsonl": '{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n'},
    )
)
F(
    case(
        "forms/ndjson-arrays",
        res(path="d.ndjson", schema=S),
        files={"d.ndjson": '["id", "name"]\n[1, "a"]\n["x", "b"]\n'},
    )
)
F(
    case(
        "forms/ndjson-gz",
        res(path="d.ndjson.gz", schema=S),
        binary={"d.ndjson.gz": gz('{"id": "x", "name": "a"}\n')},
    )
)
# Excel
book = {
    "First": [["id", "name"], [1, "a"], ["x", "b"]],
    "Second": [["id", "name"], ["y", "c"], [2, "d"]],
}
F(case("forms/xlsx-type-error", res(path="d.xlsx", schema=S), binary={"d.xlsx": xlsx(book)}))
F(
    case(
        "forms/xlsx-valid",
        res(path="d.xlsx", schema=S),
        binary={"d.xlsx": xlsx({"S": [["id", "name"], [1, "a"], [2, "b"]]})},
    )
)
F(
    case(
        "forms/xlsx-sheet-by-name",
        res(path="d.xlsx", schema=S, dialect={"excel": {"sheet": "Second"}}),
        binary={"d.xlsx": xlsx(book)},
    )
)
F(
    case(
        "forms/xlsx-sheet-by-number",
        res(path="d.xlsx", schema=S, dialect={"excel": {"sheet": 2}}),
        binary={"d.xlsx": xlsx(book)},
    )
)
F(
    case(
        "forms/xlsx-missing-sheet",
        res(path="d.xlsx", schema=S, dialect={"excel": {"sheet": "Nope"}}),
        binary={"d.xlsx": xlsx(book)},
    )
)
F(
    case(
        "forms/xlsx-corrupt",
        res(path="d.xlsx", schema=S),
        binary={"d.xlsx": b"PK\x03\x04 not a workbook"},
    )
)
F(
    case(
        "forms/xlsx-blank-row",
        res(path="d.xlsx", schema=S),
        binary={"d.xlsx": xlsx({"S": [["id", "name"], [1, "a"], [None, None], [3, "c"]]})},
    )
)
F(
    case(
        "forms/xlsx-dates",
        res(
            path="d.xlsx",
            schema={
                "fields": [{"name": "day", "type": "date"}, {"name": "at", "type": "datetime"}]
            },
        ),
        binary={
            "d.xlsx": xlsx(
                {
                    "S": [
                        ["day", "at"],
                        [datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4, 5)],
                        ["2020-13-01", "no"],
                    ]
                }
            )
        },
    )
)
F(
    case(
        "forms/xlsx-numbers",
        res(
            path="d.xlsx",
            schema={"fields": [{"name": "n", "type": "number"}, {"name": "i", "type": "integer"}]},
        ),
        binary={"d.xlsx": xlsx({"S": [["n", "i"], [1.5, 2], [3, "x"]]})},
    )
)
# not tables, declared formats
F(case("forms/not-a-table-pdf", res(path="notes.pdf"), binary={"notes.pdf": b"%PDF-1.4\n\x00\xff"}))
F(case("forms/not-a-table-missing", res(path="notes.pdf")))
F(
    case(
        "forms/txt-with-csv-mediatype-is-text",
        res(path="d.txt", mediatype="text/csv", schema=S),
        files={"d.txt": BAD},
    )
)
F(
    case(
        "forms/txt-with-csv-format-is-csv",
        res(path="d.txt", format="csv", schema=S),
        files={"d.txt": BAD},
    )
)
F(
    case(
        "forms/not-a-table-beside-a-table",
        package={
            "name": "p",
            "resources": [res(path="d.csv", schema=S), {"name": "doc", "path": "README.md"}],
        },
        files={"d.csv": BAD, "README.md": "# hi\n"},
    )
)
desc = {"name": "p", "resources": [{"name": "data", "path": "d.csv", "schema": S}]}
F(
    case(
        "forms/zipped-package",
        binary={"pkg.zip": zipped({"datapackage.json": json.dumps(desc), "d.csv": BAD})},
        target="pkg.zip",
    )
)
F(
    case(
        "forms/zipped-package-in-top-folder",
        binary={"pkg.zip": zipped({"p/datapackage.json": json.dumps(desc), "p/d.csv": BAD})},
        target="pkg.zip",
        intended="frictionless-py finds no descriptor at the zip's root and passes without reading a table; factpack reads the package in the zip's one top folder",
    )
)

dialect = []
D = dialect.append
D(
    case(
        "dialect/quotechar-empty",
        res(path="d.csv", schema=S, dialect={"quoteChar": ""}),
        files={"d.csv": CSV},
    )
)
D(
    case(
        "dialect/delimiter-empty",
        res(path="d.csv", schema=S, dialect={"delimiter": ""}),
        files={"d.csv": CSV},
    )
)
D(
    case(
        "dialect/delimiter-two-characters",
        res(path="d.csv", schema=S, dialect={"delimiter": ";;"}),
        files={"d.csv": CSV},
    )
)
D(
    case(
        "dialect/escapechar-two-characters",
        res(path="d.csv", schema=S, dialect={"escapeChar": "\\\\"}),
        files={"d.csv": CSV},
    )
)
D(
    case(
        "dialect/sniff-semicolon",
        res(path="d.csv", schema=S),
        files={"d.csv": BAD.replace(",", ";")},
    )
)
D(case("dialect/sniff-pipe", res(path="d.csv", schema=S), files={"d.csv": BAD.replace(",", "|")}))
D(case("dialect/sniff-tab", res(path="d.csv", schema=S), files={"d.csv": BAD.replace(",", "\t")}))
D(
    case(
        "dialect/declared-semicolon",
        res(path="d.csv", schema=S, dialect={"delimiter": ";"}),
        files={"d.csv": BAD.replace(",", ";")},
    )
)
D(
    case(
        "dialect/sniff-initial-space",
        res(path="d.csv", schema=S),
        files={"d.csv": "id, name\n1, a\nx, b\n"},
    )
)
D(
    case(
        "dialect/latin1-undeclared",
        res(path="d.csv", schema=S),
        binary={"d.csv": "id,name\n1,café\nx,crème brûlée\n".encode("latin-1")},
    )
)
D(
    case(
        "dialect/latin1-declared",
        res(path="d.csv", schema=S, encoding="latin-1"),
        binary={"d.csv": "id,name\n1,café\nx,crème\n".encode("latin-1")},
    )
)
D(
    case(
        "dialect/utf8-bom-undeclared",
        res(path="d.csv", schema=S),
        binary={"d.csv": b"\xef\xbb\xbf" + BAD.encode()},
    )
)
D(
    case(
        "dialect/cr-line-endings",
        res(path="d.csv", schema=S),
        files={"d.csv": BAD.replace("\n", "\r")},
    )
)
D(
    case(
        "dialect/crlf-line-endings",
        res(path="d.csv", schema=S),
        files={"d.csv": BAD.replace("\n", "\r\n")},
    )
)
D(
    case(
        "dialect/unclosed-quote",
        res(path="d.csv", schema=S),
        files={"d.csv": 'id,name\n1,"a\n2,b\n3,c\n'},
        intended="frictionless-py silently reads the rest of the file into the cell whose quote is never closed; factpack reports where the quote opens",
    )
)
D(
    case(
        "dialect/header-rows-beyond-end",
        res(path="d.csv", schema=S, dialect={"headerRows": [5]}),
        files={"d.csv": CSV},
    )
)
D(
    case(
        "dialect/sniffed-quote-apostrophe-ignored",
        res(path="d.csv", schema=S),
        files={"d.csv": "id,name\n1,'a,b'\n2,'c'\n"},
    )
)

hdr = "# Generated by a small script from inline rows (binary files: gz/bz2/xz/zip/xlsx bytes as base64).\n"
(HERE / "cases" / "forms.yaml").open("w").write(
    "# Every form a resource holds a table in (issue 14): compressed, multipart, inline, JSON,\n# NDJSON, Excel, not tabular, zipped package.\n"
    + hdr
    + yaml.safe_dump(forms, sort_keys=False, allow_unicode=True, width=100)
)
(HERE / "cases" / "dialect.yaml").open("w").write(
    "# CSV dialects and sniffing (issue 12 items 7, 10, 12): bad dialects, undeclared\n# delimiters and encodings, line endings, quotes, header rows.\n"
    + hdr
    + yaml.safe_dump(dialect, sort_keys=False, allow_unicode=True, width=100)
)
print(len(forms), len(dialect))
