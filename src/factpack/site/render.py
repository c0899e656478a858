"""The catalog website: static HTML pages over the release store, rendered with jinja2.

``render(store)`` reads ``catalog.json`` and every published version's
``datapackage.json`` and CSV files, and writes::

    index.html                      every dataset: title, description, latest version, licence…
    <name>/index.html               one dataset: its versions
    <name>/<version>.html           one version: cite, download, load, pictures, changes,
                                    data dictionary and a preview of every table
    <name>/<version>.timeline.svg   pictures (see :mod:`factpack.charts`)
    <name>/<version>.figures.svg
    assets/                         the site's own CSS and JS

It never writes into a package folder (``<name>/<version>/``). Links are relative
and no page loads anything from elsewhere, so the site works from ``file://``
and from any static host. Output is deterministic: no clock, sorted input.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import polars as pl
import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..core.errors import FactpackError
from ..core.paths import resolve_inside
from ..core.versions import version_key
from ..descriptors.load import repo_root
from . import charts

DEFAULT_STORE = "build/site"  # where `make build` publishes; the fetch command's default
PREVIEW_LIMIT = 2000  # rows per table embedded in a page; the downloads have them all
LONG_TEXT = 40  # characters: a column with longer cells is running text
EXAMPLE_TABLES = ("figures", "statements")  # the table the load snippets use, if present
SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
ASSETS = Path(__file__).parent / "templates" / "assets"
# Inline, so that no page makes a request for it (a browser fetches icons lazily, after load).
FAVICON = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" '
    'rx="6" fill="#0b4f6c"/><path d="M8 9h16v3H12v4h10v3H12v6H8z" fill="#fff"/></svg>', safe=":/")


# --- small helpers used by the templates ------------------------------------------------------

def human_size(n: int | None) -> str:
    """Bytes in SI units, as file managers show them: 1234 → '1.2 kB'."""
    if n is None:
        return "?"
    if n < 1000:
        return f"{n} B"
    for unit in ("kB", "MB", "GB", "TB"):
        n /= 1000
        if n < 1000 or unit == "TB":
            return f"{n:.1f} {unit}"
    return f"{n} B"  # unreachable


def _markdown() -> MarkdownIt:
    # Raw HTML off: changelogs and descriptions are text, never markup that runs in the page.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def render_markdown(text: str | None, top: int | None = None) -> Markup:
    """Markdown to HTML; with ``top``, its largest heading becomes ``<h{top}>``, and the
    others follow, so the text's headings sit under the page's own."""
    if not text:
        return Markup("")
    md = _markdown()
    tokens = md.parse(text)
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = top - min(levels) if top and levels else 0
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, int(tok.tag[1]) + shift)}"
    # Safe to mark as HTML: raw HTML in the text was escaped by the parser.
    return Markup(md.renderer.render(tokens, md.options, {}))


def render_inline(text: str | None) -> Markup:
    return Markup(_markdown().renderInline(text or ""))


def _rel(target: str, page_dir: str) -> str:
    """A store-relative path as seen from a page in ``page_dir`` ('' for the store root)."""
    return posixpath.relpath(target, page_dir or ".") + ("/" if target.endswith("/") else "")


def _inside(store: Path, rel: str, what: str) -> Path:
    """A path the catalog or a descriptor names, refused if it would leave the store."""
    path = resolve_inside(store, rel)
    if path is None:
        raise FactpackError(f"{what}: path {rel!r} leaves the store")
    return path


def _check_segment(value: str, what: str) -> str:
    if not SAFE_SEGMENT.match(value or ""):
        raise FactpackError(f"catalog.json: {what} {value!r} cannot be a file name in the store")
    return value


# --- reading the store ------------------------------------------------------------------------

@dataclass
class FileEntry:
    path: str  # relative to the store
    sha256: str | None
    bytes: int | None
    kind: str = ""
    href: str = ""  # relative to the page that lists it

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


@dataclass
class Column:
    name: str
    title: str
    type: str
    description: str
    required: bool
    unique: bool
    constraints: list[tuple[str, str]]  # (label, value) such as ("pattern", "^[a-z]+$")
    allowed: list[str]  # enum
    references: list[tuple[str, str]] = field(default_factory=list)  # (table, column) it points to
    referenced_by: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Table:
    name: str  # the file stem under data/, shared by the CSV and Parquet resources
    resource: str
    title: str
    description: str
    columns: list[Column]
    primary_key: list[str]
    foreign_keys: list[dict]
    rows: list[list[str]]
    row_count: int
    row_ids: list[str | None]  # anchor of each row, when the primary key is one column
    links: dict[int, str]  # column index → table whose row anchors its values point to
    long: set[int] = field(default_factory=set)  # columns of running text, shown wider
    files: list[FileEntry] = field(default_factory=list)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FactpackError(f"{path}: missing from the store") from None
    except json.JSONDecodeError as exc:
        raise FactpackError(f"{path}: not valid JSON: {exc}") from None


def _file_kind(path: str) -> str:
    name = posixpath.basename(path)
    if name == "datapackage.json":
        return "Data Package descriptor (JSON)"
    return {".csv": "CSV", ".parquet": "Parquet", ".zip": "Zip of the whole package",
            ".sqlite": "SQLite database", ".md": "Markdown", ".json": "JSON"}.get(
        posixpath.splitext(name)[1], "file")


def _files(store: Path, entry: dict) -> list[FileEntry]:
    """The version's downloads with size and sha256: from the catalog, else hashed here."""
    out: list[FileEntry] = []
    z = entry.get("zip")
    if isinstance(z, dict) and z.get("path"):
        out.append(FileEntry(z["path"], z.get("sha256"), z.get("bytes")))
    listed = entry.get("files")
    if isinstance(listed, list):
        out += [FileEntry(f["path"], f.get("sha256"), f.get("bytes"))
                for f in listed if isinstance(f, dict) and f.get("path")]
    else:  # an older catalog without the file list: describe what is there
        folder = store / entry["path"]
        for p in sorted(x for x in folder.rglob("*") if x.is_file()):
            data = p.read_bytes()
            out.append(FileEntry(p.relative_to(store).as_posix(),
                                 hashlib.sha256(data).hexdigest(), len(data)))
    order = {".zip": 0, ".json": 1, ".sqlite": 2, ".csv": 3, ".parquet": 3, ".md": 5}
    for f in out:
        f.kind = _file_kind(f.path)
    return sorted(out, key=lambda f: (order.get(posixpath.splitext(f.path)[1], 4),
                                      posixpath.splitext(f.name)[0], f.path))


def _constraints(spec: dict) -> list[tuple[str, str]]:
    labels = {"pattern": "pattern", "minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">",
              "exclusiveMaximum": "<", "minLength": "min length", "maxLength": "max length"}
    return [(label, str(spec[key])) for key, label in labels.items() if key in spec]


def _tables(store: Path, pkg_dir: str, descriptor: dict, files: list[FileEntry]) -> list[Table]:
    """Every table of a package, once, from its CSV resource (its Parquet twin is a download)."""
    by_resource: dict[str, str] = {}
    chosen: dict[str, dict] = {}
    for res in descriptor.get("resources", []):
        path = res.get("path")
        if not isinstance(path, str):
            continue
        table = posixpath.splitext(posixpath.basename(path))[0]
        by_resource[res.get("name", table)] = table
        fmt = (res.get("format") or posixpath.splitext(path)[1].lstrip(".")).lower()
        if table not in chosen or (fmt == "csv" and chosen[table].get("format") != "csv"):
            chosen[table] = {**res, "format": fmt}
    tables: list[Table] = []
    for table, res in chosen.items():  # package order: the publisher's reading order
        schema = res.get("schema") if isinstance(res.get("schema"), dict) else {}
        fields = [f for f in schema.get("fields", []) if isinstance(f, dict)]
        pk = schema.get("primaryKey") or []
        pk = [pk] if isinstance(pk, str) else list(pk)
        columns = [_column(f, pk) for f in fields]
        df = _read_table(_inside(store, pkg_dir + res["path"], f"{pkg_dir}datapackage.json"),
                         res["format"], [c.name for c in columns])
        tables.append(Table(
            name=table, resource=res.get("name", table), title=res.get("title") or table,
            description=res.get("description") or schema.get("description") or "",
            columns=columns, primary_key=pk,
            foreign_keys=_foreign_keys(schema, res.get("name", table), by_resource),
            rows=[["" if v is None else str(v) for v in row]
                  for row in df.head(PREVIEW_LIMIT).iter_rows()],
            row_count=df.height, row_ids=[], links={},
            files=[f for f in files if posixpath.splitext(f.name)[0] == table
                   and f.path.startswith(pkg_dir + "data/")],
        ))
    for t in tables:
        t.long = {i for i in range(len(t.columns))
                  if any(len(row[i]) > LONG_TEXT for row in t.rows)}
    _link_tables(tables)
    return tables


def _column(f: dict, pk: list[str]) -> Column:
    spec = f.get("constraints") if isinstance(f.get("constraints"), dict) else {}
    ftype = f.get("type") or "any"
    if f.get("format") not in (None, "default"):
        ftype += f" ({f['format']})"
    return Column(
        name=f.get("name", ""), title=f.get("title") or "", type=ftype,
        description=f.get("description") or "",
        required=bool(spec.get("required")) or f.get("name") in pk,
        unique=bool(spec.get("unique")) or pk == [f.get("name")],
        constraints=_constraints(spec), allowed=[str(v) for v in spec.get("enum") or []],
    )


def _read_table(path: Path, fmt: str, names: list[str]) -> pl.DataFrame:
    """Cells as text, exactly as published: partial dates such as 2025-06 stay as they are."""
    if not path.is_file():
        raise FactpackError(f"{path}: listed in datapackage.json but missing from the store")
    if fmt == "parquet":
        return pl.read_parquet(path).select(pl.all().cast(pl.String))
    df = pl.read_csv(path, infer_schema=False, null_values=[""], encoding="utf8")
    return df.select([c for c in names if c in df.columns] or pl.all())


def _foreign_keys(schema: dict, resource: str, by_resource: dict[str, str]) -> list[dict]:
    out = []
    for fk in schema.get("foreignKeys") or []:
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            continue
        ref = fk["reference"]
        fields = [fk["fields"]] if isinstance(fk.get("fields"), str) else list(fk.get("fields", []))
        rfields = [ref["fields"]] if isinstance(ref.get("fields"), str) else list(
            ref.get("fields", []))
        target = ref.get("resource") or resource  # omitted: the table refers to itself
        out.append({"fields": fields, "table": by_resource.get(target, target),
                    "ref_fields": rfields})
    return out


def _link_tables(tables: list[Table]) -> None:
    """Foreign keys become links: in the dictionary between columns, in previews between rows."""
    by_name = {t.name: t for t in tables}
    for t in tables:
        if len(t.primary_key) == 1 and t.primary_key[0] in [c.name for c in t.columns]:
            i = [c.name for c in t.columns].index(t.primary_key[0])
            t.row_ids = [row_anchor(t.name, row[i]) if row[i] else None for row in t.rows]
        else:
            t.row_ids = [None] * len(t.rows)
    for t in tables:
        names = [c.name for c in t.columns]
        for fk in t.foreign_keys:
            target = by_name.get(fk["table"])
            for src, dst in zip(fk["fields"], fk["ref_fields"], strict=False):
                if src in names:
                    t.columns[names.index(src)].references.append((fk["table"], dst))
                if target:
                    for c in target.columns:
                        if c.name == dst:
                            c.referenced_by.append((t.name, src))
            if (target and len(fk["fields"]) == 1 and fk["fields"][0] in names
                    and target.primary_key == fk["ref_fields"]):
                t.links[names.index(fk["fields"][0])] = target.name
    for t in tables:
        for c in t.columns:
            c.referenced_by.sort()


def row_anchor(table: str, key: str) -> str:
    """The HTML id of one row of a preview (ids may hold any character but white space)."""
    return f"row-{table}-" + re.sub(r"\s", "_", key)


# --- citation -----------------------------------------------------------------------------------

@dataclass
class Citation:
    text: str
    bibtex: str
    source: str  # "CITATION.cff" or "datapackage.json"


def read_cff(path: Path | None) -> dict | None:
    if path is None or not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FactpackError(f"{path}: not valid YAML: {exc}") from None
    return data if isinstance(data, dict) else None


def _cff_applies(cff: dict, name: str, title: str) -> bool:
    """A repository's CITATION.cff may describe another dataset, or the software itself."""
    if cff.get("title") == title:
        return True
    return cff.get("type") == "dataset" and name in json.dumps(cff, ensure_ascii=False)


def _person(a: dict) -> tuple[str, str]:
    """(as in text, as in BibTeX): a person 'Family, G.' / 'Family, Given'; a body in braces."""
    if a.get("family-names"):
        family = " ".join(x for x in (a.get("name-particle"), a["family-names"]) if x)
        given = a.get("given-names") or ""
        initials = " ".join(p[0] + "." for p in given.split() if p)
        return (f"{family}, {initials}".rstrip(", "), f"{family}, {given}".rstrip(", "))
    name = a.get("name") or a.get("title") or "Anonymous"
    return name, "{" + name + "}"


BIBTEX_SPECIAL = str.maketrans({c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"})


def _bib(value: str) -> str:
    return value.translate(BIBTEX_SPECIAL)


def citation(name: str, version: str, released_on: str | None, descriptor: dict,
             cff: dict | None) -> Citation:
    """How to cite one version, from CITATION.cff when it is about this dataset."""
    title = descriptor.get("title") or name
    use_cff = cff is not None and _cff_applies(cff, name, title)
    if use_cff:
        authors = [a for a in cff.get("authors") or [] if isinstance(a, dict)]
        title = cff.get("title") or title
        doi = cff.get("doi")
        url = cff.get("url") or cff.get("repository-artifact") or cff.get("repository-code")
    else:
        people = [c for c in descriptor.get("contributors") or [] if isinstance(c, dict)]
        creators = [c for c in people if set(c.get("roles") or [c.get("role")])
                    & {"creator", "author"}] or people
        authors = [{"name": c.get("title") or c.get("name")} for c in creators]
        doi, url = None, descriptor.get("homepage")
    names = [_person(a) for a in authors] or [("Anonymous", "{Anonymous}")]
    year = (released_on or "")[:4] or "n.d."
    where = f"https://doi.org/{doi}" if doi else url
    text = (f"{'; '.join(n[0] for n in names)} ({year}). {title} (Version {version}) "
            f"[Data set].{' ' + where if where else ''}")
    fields = [("author", " and ".join(n[1] for n in names)), ("title", "{" + _bib(title) + "}"),
              ("year", year), ("version", version), ("note", "Data set")]
    if doi:
        fields.append(("doi", doi))
    if url:
        fields.append(("url", url))
    if released_on:
        fields.append(("date", released_on))
    key = re.sub(r"[^A-Za-z0-9]+", "_", f"{name}_{version}")
    width = max(len(k) for k, _ in fields)
    body = ",\n".join(f"  {k.ljust(width)} = {{{v}}}" for k, v in fields)
    return Citation(text, f"@misc{{{key},\n{body}\n}}", "CITATION.cff" if use_cff else
                    "datapackage.json")


# --- diff ----------------------------------------------------------------------------------------

def diff_view(raw: Any, shown: int = 100) -> dict | None:
    """A diff report (``schemas/diff-report.schema.json``) for the page, read defensively.

    Tables may come as a list (the report) or a mapping of name → counts; rows as
    ``added_rows``/``removed_rows``/``changed_rows`` or one ``rows`` list. Anything of
    an unknown shape is shown as compact JSON rather than dropped.
    """
    if not isinstance(raw, dict):
        return None
    tables_raw = raw.get("tables") or []
    if isinstance(tables_raw, dict):
        tables_raw = [{"name": k, **v} for k, v in tables_raw.items() if isinstance(v, dict)]
    tables = []
    for info in tables_raw:
        if not isinstance(info, dict):
            continue
        pk = info.get("primary_key") or []
        rows = ([_diff_row("added", r, pk) for r in info.get("added_rows") or []]
                + [_diff_row("removed", r, pk) for r in info.get("removed_rows") or []]
                + [_diff_row("changed", r, pk) for r in info.get("changed_rows") or []]
                + [_diff_row(None, r, pk) for r in info.get("rows") or []])
        counts = {k: info.get(k) or 0 for k in ("added", "removed", "changed")}
        tables.append({"name": str(info.get("name", "")), **counts,
                       "changes": any(counts.values()) or bool(rows),
                       "rows": rows[:shown], "truncated": bool(info.get("truncated"))
                       or len(rows) > shown})
    return {"old": _side(raw.get("old")), "new": _side(raw.get("new")), "bump": raw.get("bump"),
            "schema_changes": [_change_text(c) for c in raw.get("schema_changes") or []],
            "metadata_changes": [_change_text(c) for c in raw.get("metadata_changes") or []],
            "tables": sorted(tables, key=lambda t: t["name"])}


def _side(side: Any) -> str | None:
    if isinstance(side, dict):
        return side.get("version") or side.get("label")
    return None if side is None else str(side)


def _compact(value: Any) -> str:
    if value is None:
        return "(empty)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           sort_keys=True)


def _change_text(item: Any) -> dict:
    if isinstance(item, dict) and item.get("message"):
        return {"kind": item.get("kind") or "", "bump": item.get("bump") or "",
                "text": str(item["message"])}
    return {"kind": "", "bump": "", "text": _compact(item)}


def _diff_row(change: str | None, item: Any, pk: list[str]) -> dict:
    """One row of a diff: what happened, its key, and the cells (column, old, new)."""
    if not isinstance(item, dict):
        return {"change": change or "", "key": "", "cells": [], "detail": _compact(item)}
    if change == "changed" and isinstance(item.get("cells"), dict):
        key = item.get("key") if isinstance(item.get("key"), dict) else {}
        cells = [(col, _compact(v.get("old")), _compact(v.get("new")))
                 for col, v in item["cells"].items() if isinstance(v, dict)]
        return {"change": change, "key": _key_text(key), "cells": cells, "detail": ""}
    if change in ("added", "removed"):
        key = {k: item.get(k) for k in pk if k in item} or item
        return {"change": change, "key": _key_text(key), "cells": [], "detail": ""}
    change = change or str(next((item[k] for k in ("change", "kind", "status") if k in item), ""))
    rest = {k: v for k, v in item.items() if k not in ("change", "kind", "status")}
    return {"change": change, "key": "", "cells": [], "detail": _compact(rest)}


def _key_text(key: dict) -> str:
    if len(key) == 1:
        return _compact(next(iter(key.values())))
    return ", ".join(f"{k}={_compact(v)}" for k, v in key.items())


# --- pages -------------------------------------------------------------------------------------

def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("factpack.site", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(size=human_size, markdown=render_markdown, inline=render_inline,
                       urlquote=lambda s: quote(str(s), safe=""))
    env.globals.update(row_anchor=row_anchor, favicon=FAVICON)
    # Only web addresses become links: a javascript: or data: URL in metadata never does.
    env.tests["weburl"] = lambda u: isinstance(u, str) and re.match(r"^https?://", u) is not None
    return env


def _snippets(name: str, version: str, tables: list[Table], base: str) -> list[dict]:
    """Copy-paste loaders. ``base`` is store-relative; the page's script makes it a full URL."""
    names = [t.name for t in tables]
    t = next((x for x in EXAMPLE_TABLES if x in names), names[0] if names else "table")
    return [
        {"title": "Command line", "lang": "shell", "code":
            f"factpack fetch {name}@{version} --store {DEFAULT_STORE} --to {name}-{version}\n"
            f"# check your copy, e.g. in CI (exit 0 = valid):\n"
            f"factpack validate {name}-{version}/datapackage.json"},
        {"title": "Python: pandas", "lang": "python", "code":
            f'import pandas as pd\nbase = "{base}"\n'
            f'{t} = pd.read_parquet(base + "data/{t}.parquet")\n'
            f"# or the CSV, keeping codes and partial dates (2025-06) as text:\n"
            f'{t} = pd.read_csv(base + "data/{t}.csv", dtype=str, keep_default_na=False)'},
        {"title": "Python: polars", "lang": "python", "code":
            f'import polars as pl\nbase = "{base}"\n'
            f'{t} = pl.read_parquet(base + "data/{t}.parquet")'},
        {"title": "Python: frictionless", "lang": "python", "code":
            f'from frictionless import Package\n'
            f'package = Package("{base}datapackage.json")\n'
            f'rows = package.get_resource("{t}").read_rows()'},
        {"title": "R", "lang": "r", "code":
            f'base <- "{base}"\n'
            f'{t} <- read.csv(paste0(base, "data/{t}.csv"), colClasses = "character",\n'
            f'         na.strings = "", encoding = "UTF-8")'},
        {"title": "DuckDB", "lang": "sql", "code":
            f"SELECT * FROM read_parquet('{base}data/{t}.parquet');"},
        {"title": "SQLite", "lang": "shell", "code":
            f'sqlite3 {name}.sqlite ".tables"\n'
            f'sqlite3 -header {name}.sqlite "SELECT * FROM {t} LIMIT 5"'},
    ]


def _jsonld(name: str, descriptor: dict, ver: dict, files: list[FileEntry], page_dir: str,
            cite: Citation, tables: list[Table]) -> dict:
    """schema.org Dataset, so that dataset search engines find the page."""
    licences = [x for x in descriptor.get("licenses") or [] if isinstance(x, dict)]
    dates = [s for t in tables for i, c in enumerate(t.columns)
             if c.name.endswith("_on") or c.name == "as_of"
             for row in t.rows if (s := charts.parse_partial(row[i]))]
    out: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Dataset",
        "name": descriptor.get("title") or name, "alternateName": name,
        "description": descriptor.get("description") or descriptor.get("title") or name,
        "version": ver.get("version"), "url": f"{ver.get('version')}.html",
        "keywords": descriptor.get("keywords") or [],
        "license": [x.get("path") or x.get("name") for x in licences],
        "isAccessibleForFree": True,
        "creator": [{"@type": "Organization", "name": c.get("title") or c.get("name")}
                    for c in descriptor.get("contributors") or [] if isinstance(c, dict)],
        "citation": cite.text,
        "isBasedOn": [s.get("path") for s in descriptor.get("sources") or []
                      if isinstance(s, dict) and s.get("path")],
        "distribution": [{k: v for k, v in {
            "@type": "DataDownload", "name": f.name, "encodingFormat": _mediatype(f.path),
            "contentUrl": _rel(f.path, page_dir),
            "contentSize": f"{f.bytes} B" if f.bytes is not None else None,
            "sha256": f.sha256}.items() if v is not None} for f in files],
        "variableMeasured": [f"{t.name}.{c.name}" for t in tables for c in t.columns],
    }
    if ver.get("released_on"):
        out["datePublished"] = ver["released_on"]
    if descriptor.get("created"):
        out["dateCreated"] = descriptor["created"]
    if dates:
        out["temporalCoverage"] = (f"{min(s.first for s in dates).isoformat()}/"
                                   f"{max(s.last for s in dates).isoformat()}")
    return out


def _mediatype(path: str) -> str:
    return {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet",
            ".json": "application/json", ".zip": "application/zip",
            ".sqlite": "application/vnd.sqlite3", ".md": "text/markdown"}.get(
        posixpath.splitext(path)[1], "application/octet-stream")


def _pictures(store: Path, name: str, version: str, descriptor: dict,
              tables: list[Table]) -> list[dict]:
    rows = {t.name: [dict(zip([c.name for c in t.columns], r, strict=True)) for r in t.rows]
            for t in tables}
    title = descriptor.get("title") or name
    made = [
        ("timeline", "Timeline", charts.timeline(rows, f"{title}: records by date")),
        ("figures", "Figures of each deal over time",
         charts.figure_chart(rows.get("deals", []), rows.get("figures", []),
                             f"{title}: figures by the date they were given")),
    ]
    out = []
    for slug, heading, chart in made:
        if chart is None:
            continue
        path = f"{name}/{version}.{slug}.svg"
        _write(store / path, chart.svg())
        out.append({"src": posixpath.basename(path), "heading": heading, "alt": chart.alt,
                    "lines": chart.description})
    return out


def _write(path: Path, text: str) -> None:
    """Write only when different, so a re-publish leaves unchanged pages untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8", newline="\n")


def _copy_assets(store: Path) -> None:
    dest = store / "assets"
    for src in sorted(ASSETS.rglob("*")):
        if src.is_file():
            target = dest / src.relative_to(ASSETS)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.is_file() or target.read_bytes() != src.read_bytes():
                shutil.copyfile(src, target)


def _licences(descriptor: dict) -> list[dict]:
    return [{"name": x.get("name") or x.get("title") or "licence", "title": x.get("title"),
             "url": x.get("path")} for x in descriptor.get("licenses") or [] if isinstance(x, dict)]


def render(store: Path, citation_file: Path | None = None) -> None:
    """Write the website into ``store`` (a folder holding ``catalog.json``).

    ``citation_file`` defaults to the repository's ``CITATION.cff``, if there is one.
    """
    store = Path(store)
    catalog = _read_json(store / "catalog.json")
    if not isinstance(catalog, dict) or not isinstance(catalog.get("datasets"), dict):
        raise FactpackError(f"{store / 'catalog.json'}: no 'datasets' object")
    if citation_file is None:  # the repository the store is in, else the one we run in
        citation_file = next((p for p in (repo_root(store) / "CITATION.cff",
                                          repo_root() / "CITATION.cff") if p.is_file()), None)
    cff = read_cff(citation_file)
    env = _env()
    _copy_assets(store)
    cards = []
    for name, entry in sorted(catalog["datasets"].items()):
        _check_segment(name, "dataset name")
        cards.append(_render_dataset(env, store, name, entry, cff))
    _write(store / "index.html", env.get_template("index.html.j2").render(
        root="", datasets=cards, jsonld=_catalog_jsonld(cards)))


def _render_dataset(env: jinja2.Environment, store: Path, name: str, entry: dict,
                    cff: dict | None) -> dict:
    versions = sorted((v for v in (entry.get("versions") or {}).values() if isinstance(v, dict)),
                      key=lambda v: version_key(str(v.get("version"))))
    if not versions:
        raise FactpackError(f"catalog.json: dataset {name!r} has no versions")
    latest = entry.get("latest") or versions[-1]["version"]
    summaries = []
    latest_view: dict = {}
    for ver in versions:
        version = _check_segment(str(ver.get("version")), f"{name}: version")
        view = _version_view(store, name, ver, latest, cff, [v["version"] for v in versions])
        _write(store / name / f"{version}.html",
               env.get_template("version.html.j2").render(root="../", **view))
        summaries.append({"version": version, "released_on": ver.get("released_on"),
                          "bump": (view["diff"] or {}).get("bump"),
                          "zip": next((f for f in view["files"] if f.path.endswith(".zip")), None),
                          "changelog": ver.get("changelog")})
        if version == latest:
            latest_view = view
    if not latest_view:
        raise FactpackError(f"catalog.json: {name}: latest version {latest!r} is not listed")
    card = {"name": name, "title": entry.get("title") or latest_view["title"],
            "description": entry.get("description") or latest_view["description"],
            "latest": latest, "released_on": latest_view["released_on"],
            "licences": latest_view["licences"], "keywords": latest_view["keywords"],
            "versions": list(reversed(summaries)), "jsonld": latest_view["jsonld"],
            "tables": [{"name": t.name, "title": t.title, "rows": t.row_count}
                       for t in latest_view["tables"]]}
    _write(store / name / "index.html",
           env.get_template("dataset.html.j2").render(root="../", dataset=card,
                                                      jsonld=card["jsonld"]))
    return card


def _version_view(store: Path, name: str, ver: dict, latest: str, cff: dict | None,
                  all_versions: list[str]) -> dict:
    version = ver["version"]
    pkg_dir = ver.get("path") or f"{name}/{version}/"
    pkg_dir = pkg_dir if pkg_dir.endswith("/") else pkg_dir + "/"
    descriptor = _read_json(_inside(store, pkg_dir + "datapackage.json", "catalog.json"))
    files = _files(store, {**ver, "path": pkg_dir})
    tables = _tables(store, pkg_dir, descriptor, files)
    page_dir = name
    cite = citation(name, version, ver.get("released_on"), descriptor, cff)
    diff_raw = _read_json(_inside(store, ver["diff"], "catalog.json")) if ver.get("diff") else None
    for f in files:
        f.href = _rel(f.path, page_dir)
    return {
        "name": name, "version": version, "latest": latest, "is_latest": version == latest,
        "versions": list(reversed(all_versions)),
        "title": descriptor.get("title") or name,
        "description": descriptor.get("description") or "",
        "released_on": ver.get("released_on"), "commit": ver.get("commit"),
        "licences": _licences(descriptor), "keywords": descriptor.get("keywords") or [],
        "contributors": descriptor.get("contributors") or [],
        "sources": [s for s in descriptor.get("sources") or [] if isinstance(s, dict)],
        "files": files, "tables": tables, "table_names": {t.name for t in tables},
        "anchors": {a for t in tables for a in t.row_ids if a},  # rows a cell may link to
        "citation": cite,
        "snippets": _snippets(name, version, tables, pkg_dir),
        "snippet_base": pkg_dir,
        # On a web server the page's script turns these into full URLs (see site.js).
        "snippet_urls": [[pkg_dir, _rel(pkg_dir, page_dir)], [DEFAULT_STORE, _rel("./", page_dir)]],
        "pictures": _pictures(store, name, version, descriptor, tables),
        "changelog": ver.get("changelog") or "",
        "diff": diff_view(diff_raw),
        "diff_href": _rel(ver["diff"], page_dir) if ver.get("diff") else None,
        "jsonld": _jsonld(name, descriptor, ver, files, page_dir, cite, tables),
    }


def _catalog_jsonld(cards: list[dict]) -> dict:
    return {"@context": "https://schema.org", "@type": "DataCatalog",
            "name": "factpack data catalog",
            "dataset": [{"@type": "Dataset", "name": c["title"], "description": c["description"],
                         "version": c["latest"], "url": f"{c['name']}/{c['latest']}.html",
                         "keywords": c["keywords"],
                         "license": [x["url"] or x["name"] for x in c["licences"]]}
                        for c in cards]}


def main(argv: list[str] | None = None) -> int:
    """``python -m factpack.site STORE``: (re)write the website of a store."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m factpack.site STORE", file=sys.stderr)
        return 2
    try:
        render(Path(args[0]))
    except FactpackError as exc:
        print(f"factpack: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the website into {args[0]} (open {Path(args[0]) / 'index.html'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
