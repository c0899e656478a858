"""The catalog website (issue 7): pages, pictures, links, and a real headless Chromium.

The store fixture is made from the real dataset: its current version (V1) built by
``factpack build`` as it is, and the next minor version (V2) built from a copy with one corrected value and one
added row, laid out per the store contract (catalog.json, zips, diff report) the way
``factpack publish`` writes it. The browser tests drive Debian's Chromium through
Playwright against the store served on 127.0.0.1, and also open it from file://.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import threading
from collections import deque
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from factpack.build import build_dataset
from factpack.core.errors import FactpackError
from factpack.release.diff import diff_specs
from factpack.site import charts
from factpack.site import render as site
from factpack.site.diffview import diff_view
from factpack.site.markdown import render_inline
from factpack.spec.citation import for_version
from factpack.spec.models import Package

REPO = Path(__file__).resolve().parents[1]
NAME = "ukraine-us-drone-deal"
V1 = yaml.safe_load((REPO / "datasets" / NAME / "dataset.yaml").read_text("utf-8"))["version"]
V2 = "{}.{}.0".format(V1.split(".")[0], int(V1.split(".")[1]) + 1)  # the next minor version
ALIAS = "V. Zelensky (test alias)"  # a row only the test's V2 has
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


# --- a store made from the real dataset ------------------------------------------------------

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _next_version(root: Path) -> tuple[str, str]:
    """Turn the copied dataset into V2: one reworded note (patch) and one new alias (minor).

    Returns the note before and after."""
    ds = root / "datasets" / NAME
    meta = ds / "dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(f"version: {V1}", f"version: {V2}"),
                    encoding="utf-8")
    names = ds / "data" / "actor_names.csv"
    names.write_text(names.read_text(encoding="utf-8") + f"volodymyr-zelensky,{ALIAS},en,alias\n",
                     encoding="utf-8")
    roles = ds / "data" / "roles.csv"
    with roles.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    before = rows[0]["notes"]
    rows[0]["notes"] = after = (before + " Reworded in the next version.").strip()
    with roles.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    log = ds / "CHANGELOG.md"
    head, rest = log.read_text(encoding="utf-8").split("\n", 1)
    log.write_text(f"{head}\n\n## {V2} — 2026-11-25\n\n- New alias `{ALIAS}`.\n"
                   f"- Reworded a note on a role.\n{rest}", encoding="utf-8")
    return before, after


def _release(store: Path, built: Path, released_on: str, diff: dict | None) -> dict:
    name, version = built.parent.name, built.name
    shutil.copytree(built, store / name / version)
    zip_rel = f"{name}/{name}-{version}.zip"
    shutil.copyfile(built.parent / f"{name}-{version}.zip", store / zip_rel)
    diff_rel = None
    if diff is not None:
        diff_rel = f"{name}/{version}.diff.json"
        (store / diff_rel).write_text(json.dumps(diff, indent=2), encoding="utf-8")
    files = [{"path": p.relative_to(store).as_posix(), "sha256": sha256(p),
              "bytes": p.stat().st_size}
             for p in sorted((store / name / version).rglob("*")) if p.is_file()]
    log = (built / "CHANGELOG.md").read_text(encoding="utf-8")
    return {"version": version, "released_on": released_on, "commit": "0123456789abcdef" * 2
            + "01234567", "path": f"{name}/{version}/",
            "zip": {"path": zip_rel, "sha256": sha256(store / zip_rel),
                    "bytes": (store / zip_rel).stat().st_size},
            "files": files, "changelog": log, "diff": diff_rel}


NOTE: list[str] = []  # the reworded note, before and after (set by make_store)


def make_store(tmp: Path) -> Path:
    """A two-version store of the real dataset, per the store contract, without the pages."""
    first = build_dataset(REPO / "datasets" / NAME, REPO, tmp / "build-1")
    root = tmp / "repo"
    for part in ("schemas", "seeds", f"datasets/{NAME}"):
        shutil.copytree(REPO / part, root / part)
    NOTE.extend(_next_version(root))
    second = build_dataset(root / "datasets" / NAME, root, tmp / "build-2")
    diff = diff_specs(str(first / "datapackage.json"), str(second / "datapackage.json"), REPO)
    store = tmp / "store"
    (store / NAME).mkdir(parents=True)
    v1 = _release(store, first, "2026-11-24", None)
    v2 = _release(store, second, "2026-11-25", diff)
    descriptor = json.loads((second / "datapackage.json").read_text(encoding="utf-8"))
    catalog = {"catalog_version": 1, "datasets": {NAME: {
        "title": descriptor["title"], "description": descriptor["description"],
        "latest": V2, "versions": {V1: v1, V2: v2}}}}
    (store / "catalog.json").write_text(json.dumps(catalog, indent=2), encoding="utf-8")
    return store


@pytest.fixture(scope="session")
def bare_store(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def store(bare_store: Path, tmp_path_factory) -> Path:
    """The store with its website rendered (no CITATION.cff: the citation comes from the data)."""
    out = tmp_path_factory.mktemp("rendered") / "store"
    shutil.copytree(bare_store, out)
    site.render(out, citation_file=Path("/nonexistent/CITATION.cff"))
    return out


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- reading pages without a browser -------------------------------------------------------

class Page(HTMLParser):
    """Links, sources, ids and headings of one HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.links: list[str] = []  # <a href>
        self.resources: list[str] = []  # everything the page itself loads
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.imgs: list[dict] = []
        self.scripts: list[str] = []
        self._script: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("img", "script") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href"):
            self.resources.append(a["href"])
        if tag == "img":
            self.imgs.append(a)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "script" and a.get("type") == "application/ld+json":
            self._script = []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None


def version_html(store: Path, version: str = V2) -> str:
    return (store / NAME / f"{version}.html").read_text(encoding="utf-8")


# --- what render writes ---------------------------------------------------------------------

def test_render_writes_pages_pictures_and_assets_but_not_into_packages(bare_store, store):
    for rel in ("index.html", f"{NAME}/index.html", f"{NAME}/{V1}.html", f"{NAME}/{V2}.html",
                f"{NAME}/{V2}.timeline.svg", f"{NAME}/{V2}.figures.svg",
                "assets/site.css", "assets/site.js"):
        assert (store / rel).is_file(), rel
    before, after = tree(bare_store), tree(store)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing changed
    for added in set(after) - set(before):
        assert not re.match(rf"{NAME}/\d+\.\d+\.\d+/", added), f"wrote into a package: {added}"


def test_render_is_reproducible_and_independent_of_where_the_store_is(bare_store, store,
                                                                      tmp_path):
    again = tmp_path / "elsewhere" / "store"
    shutil.copytree(bare_store, again)
    site.render(again, citation_file=Path("/nonexistent/CITATION.cff"))
    assert tree(again) == tree(store)
    for svg in store.rglob("*.svg"):
        text = svg.read_text(encoding="utf-8")
        assert "<dc:date>" not in text
    assert str(store) not in "".join(p.read_text(encoding="utf-8")
                                     for p in store.rglob("*.html"))


def check_links(store: Path) -> int:
    """Every page's resources and links are relative, exist in the store, and so do anchors."""
    parsed = {p: Page(p.read_text(encoding="utf-8")) for p in store.rglob("*.html")}
    checked = 0
    for path, page in parsed.items():
        for ref in page.resources:  # what the page loads: only the store's own files
            if ref.startswith("data:"):
                continue
            assert not urlsplit(ref).scheme and not ref.startswith("//"), f"{path}: loads {ref}"
            assert (path.parent / ref).resolve().is_file(), f"{path}: missing {ref}"
        for href in page.links:
            if urlsplit(href).scheme in ("http", "https"):
                continue  # a licence or a source: a link for the reader, not a request
            assert not urlsplit(href).scheme and not href.startswith("/"), f"{path}: {href}"
            target_rel, frag = urldefrag(href)
            target = (path.parent / unquote(target_rel)).resolve() if target_rel else path
            assert target.is_file(), f"{path.relative_to(store)}: broken link {href}"
            assert store.resolve() in target.parents or target == store.resolve()
            if frag:
                ids = parsed[target].ids if target in parsed else set()
                assert unquote(frag) in ids, f"{path.relative_to(store)}: no #{frag} in {target}"
            checked += 1
    return checked


def test_every_link_is_relative_and_resolves_with_its_anchor(store):
    assert check_links(store) > 200


def test_headings_alt_text_and_one_h1_per_page(store):
    for path in store.rglob("*.html"):
        page = Page(path.read_text(encoding="utf-8"))
        assert page.headings.count(1) == 1, path
        for prev, cur in zip(page.headings, page.headings[1:]):
            assert cur <= prev + 1, f"{path}: heading jumps from h{prev} to h{cur}"
        for img in page.imgs:
            assert len(img.get("alt", "")) > 40, f"{path}: {img}"


def test_index_lists_dataset_with_latest_version_licence_release_and_keywords(store):
    html = (store / "index.html").read_text(encoding="utf-8")
    meta = yaml.safe_load((REPO / "datasets" / NAME / "dataset.yaml").read_text("utf-8"))
    assert f'href="{NAME}/{V2}.html"' in html
    assert "Latest version" in html and "2026-11-25" in html and "CC-BY-4.0" in html
    for keyword in meta["keywords"]:
        assert f"<li>{keyword}</li>" in html
    data = json.loads(Page(html).scripts[0])
    assert data["@type"] == "DataCatalog" and data["dataset"][0]["version"] == V2


def test_version_page_has_dictionary_with_every_column_and_foreign_key_links(store):
    html = version_html(store)
    descriptor = json.loads((store / NAME / V2 / "datapackage.json").read_text("utf-8"))
    for res in descriptor["resources"]:
        table = Path(res["path"]).stem
        for f in res["schema"]["fields"]:
            assert f'id="field-{table}-{f["name"]}"' in html
            for value in f.get("constraints", {}).get("enum", []):
                assert f"<code>{value}</code>" in html
    # figures.deal_id refers to deals.id: a link in the dictionary, and "used by" back.
    assert '<a href="#field-deals-id">deals.id</a>' in html
    assert '<a href="#field-figures-deal_id">figures.deal_id</a>' in html
    # In the preview, a figure's deal is a link to that deal's row.
    assert 'href="#row-deals-ukraine-us-drone-deal"' in html
    assert 'id="row-deals-ukraine-us-drone-deal"' in html


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_preview_holds_every_row_of_every_table(store):
    html = version_html(store)
    for path in sorted((store / NAME / V2 / "data").glob("*.csv")):
        body = re.search(rf'<table class="preview-table" id="preview-{path.stem}".*?<tbody>(.*?)'
                         r"</tbody>", html, re.DOTALL)
        assert body and body.group(1).count("<tr") == len(csv_rows(path)), path.stem


def test_downloads_list_every_file_with_size_and_sha256(store):
    html = version_html(store)
    entry = json.loads((store / "catalog.json").read_text("utf-8"))["datasets"][NAME][
        "versions"][V2]
    for f in [entry["zip"], *entry["files"]]:
        rel = Path(f["path"]).relative_to(NAME).as_posix()
        assert f'href="{rel}" download data-sha256="{f["sha256"]}" data-bytes="{f["bytes"]}"' \
            in html, rel
    for suffix in (".zip", ".csv", ".parquet", "datapackage.json", ".sqlite"):
        assert suffix in html


def test_changes_show_changelog_and_the_diff_from_the_previous_version(store):
    html = version_html(store)
    before, after = (escape(x) for x in NOTE)
    assert f"What changed since {V1}" in html
    assert f"<del>{before or '(empty)'}</del>" in html and f"<ins>{after}</ins>" in html
    assert "<strong>added</strong>" in html and escape(ALIAS) in html
    assert f"New alias <code>{escape(ALIAS)}</code>" in html  # the changelog, as HTML
    assert "This is an older version" in version_html(store, V1)
    assert "The first version" in version_html(store, V1)


def test_citation_and_bibtex_from_the_package_without_a_citation_file(store):
    html = version_html(store)
    descriptor = json.loads((store / NAME / V2 / "datapackage.json").read_text("utf-8"))
    assert f"factpack contributors ({descriptor['created'][:4]}). " \
           f"<em>{escape(descriptor['title'])}</em>, version {V2} [data set]." in html
    assert "@misc{ukraine_us_drone_deal_" + V2.replace(".", "_") + "," in html
    assert "author    = {{factpack contributors}}" in html


def readme_citation(readme: str) -> tuple[str, str]:
    """The text line and the BibTeX entry under a package README's "How to cite"."""
    section = readme.split("## How to cite\n\n", 1)[1]
    text, rest = section.split("\n", 1)
    return text, re.search(r"```bibtex\n(.*?)\n```", rest, re.DOTALL).group(1)


@pytest.mark.parametrize("version", [V1, V2])
def test_the_website_cites_a_version_as_its_readme_does(store, version):
    """One citation (factpack.spec.citation) for the package README and the website."""
    text, bibtex = readme_citation(
        (store / NAME / version / "README.md").read_text(encoding="utf-8"))
    html = version_html(store, version)
    (cite,) = re.findall(r'<h3 id="bibtex">BibTeX</h3>\n<pre class="code" data-copy><code>'
                         r"(.*?)</code></pre>", html, re.DOTALL)
    assert cite == str(escape(bibtex))
    assert f'<p class="citation">{render_inline(text)}</p>' in html


def test_citation_comes_from_citation_cff_when_it_describes_the_dataset(tmp_path):
    cff = tmp_path / "CITATION.cff"
    cff.write_text(yaml.safe_dump({
        "cff-version": "1.2.0", "type": "dataset", "title": "Drones & deals {2025}",
        "message": "Cite me", "doi": "10.5281/zenodo.1",
        "authors": [{"family-names": "Kovalenko", "given-names": "Olena Maria"},
                    {"name": "factpack contributors"}],
        "keywords": [NAME]}), encoding="utf-8")
    other = Package(title="Other title", resources=[])
    c = for_version(other, NAME, "1.0.0", "2026-11-24", site.read_cff(cff))
    assert c.source == "CITATION.cff"
    assert c.text().startswith("Kovalenko, O. M.; factpack contributors (2026). Drones & deals")
    assert "https://doi.org/10.5281/zenodo.1" in c.text()
    assert r"{Drones \& deals \{2025\}}" in c.bibtex()
    assert "Kovalenko, Olena Maria and {factpack contributors}" in c.bibtex()
    software = {"cff-version": "1.2.0", "title": "factpack", "type": "software",
                "authors": [{"name": "someone"}]}
    assert for_version(Package(title="T", resources=[]), NAME, "1.0.0", None, software).source \
        == "datapackage.json"


def test_json_ld_describes_the_dataset_for_search_engines(store):
    page = Page(version_html(store))
    (data,) = [json.loads(s) for s in page.scripts]
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    assert data["version"] == V2 and data["license"] == [
        "https://creativecommons.org/licenses/by/4.0/"]
    assert len(data["description"]) >= 50
    formats = {d["encodingFormat"] for d in data["distribution"]}
    assert {"text/csv", "application/vnd.apache.parquet", "application/zip"} <= formats
    assert re.fullmatch(r"\d{4}-\d\d-\d\d/\d{4}-\d\d-\d\d", data["temporalCoverage"])


def test_pages_load_nothing_from_elsewhere(store):
    for path in store.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "default-src 'self'" in text  # the browser refuses anything else
        assert not re.search(r"""(src|href)=["']//""", text)


def test_diff_view_reads_the_diff_report_and_refuses_another_shape():
    side = {"label": "x", "name": "x"}
    change = {"kind": "column-added", "bump": "minor", "table": "t", "column": "x",
              "old": None, "new": None, "message": "column x added"}
    view = diff_view({"old": side | {"version": "1.0.0"}, "new": side | {"version": "1.1.0"},
                      "bump": "minor", "schema_changes": [change], "metadata_changes": [],
                      "tables": [{"name": "t", "primary_key": ["id"], "added": 1, "removed": 0,
                                  "changed": 1, "added_rows": [{"id": "a", "x": 1}],
                                  "removed_rows": [], "truncated": False, "changed_rows": [
                                      {"key": {"id": "b"}, "cells": {"x": {"old": 1,
                                                                           "new": None}}}]}]})
    assert view["old"] == "1.0.0" and view["tables"][0]["name"] == "t"
    assert [c["text"] for c in view["schema_changes"]] == ["column x added"]
    assert [(r["change"], r["key"]) for r in view["tables"][0]["rows"]] == [
        ("added", "a"), ("changed", "b")]
    assert view["tables"][0]["rows"][1]["cells"] == [("x", "1", "(empty)")]
    assert diff_view(None) is None
    with pytest.raises(FactpackError, match="not a factpack diff report"):
        diff_view({"old": "1.0.0", "tables": {"t": {"rows": [5]}}})


def test_long_tables_show_their_first_rows_and_links_only_to_rows_shown(bare_store, tmp_path):
    out = tmp_path / "store"
    shutil.copytree(bare_store, out)
    site.render(out, citation_file=None, preview_limit=3)
    html = version_html(out)
    n = len((out / NAME / V2 / "data" / "actor_names.csv").read_text("utf-8").splitlines()) - 1
    assert f"Showing the first 3 of {n} rows" in html
    check_links(out)  # no link to a row that is not on the page


def test_metadata_is_text_never_markup_or_script(bare_store, tmp_path):
    out = tmp_path / "store"
    shutil.copytree(bare_store, out)
    path = out / NAME / V2 / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["description"] = "Plain *emphasis* <script>alert(1)</script>"
    descriptor["sources"] = [{"title": "Bad", "path": "javascript:alert(1)"}]
    descriptor["title"] = "</script><b>Title</b>"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    site.render(out, citation_file=None)
    html = version_html(out)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<em>emphasis</em>" in html
    assert 'href="javascript:' not in html and "<li>Bad</li>" in html
    assert "<b>Title</b>" not in html
    (data,) = [json.loads(s) for s in Page(html).scripts]  # JSON-LD survives the title
    assert data["name"] == "</script><b>Title</b>"


def test_any_data_package_renders_without_pictures(tmp_path):
    """Another dataset: no dated tables, no figures, no contributors, no dates."""
    store = tmp_path / "store"
    pkg = store / "places" / "0.1.0"
    (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "places.csv").write_text("id,name\nkyiv,Kyiv\nodesa,Odesa\n",
                                             encoding="utf-8")
    schema = {"fields": [{"name": "id", "type": "string"}, {"name": "name", "type": "string"}],
              "primaryKey": "id"}
    (pkg / "datapackage.json").write_text(json.dumps({
        "name": "places", "title": "Places", "version": "0.1.0",
        "resources": [{"name": "places", "path": "data/places.csv", "format": "csv",
                       "schema": schema}]}), encoding="utf-8")
    (store / "places" / "places-0.1.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))

    def listed(p: Path) -> dict:
        return {"path": p.relative_to(store).as_posix(), "sha256": sha256(p),
                "bytes": p.stat().st_size}

    (store / "catalog.json").write_text(json.dumps({"catalog_version": 1, "datasets": {
        "places": {"title": "Places", "description": "Towns.", "latest": "0.1.0", "versions": {
            "0.1.0": {"version": "0.1.0", "released_on": None, "path": "places/0.1.0/",
                      "zip": listed(store / "places" / "places-0.1.0.zip"),
                      "files": [listed(p) for p in sorted(pkg.rglob("*")) if p.is_file()],
                      "changelog": "", "diff": None}}}}}), encoding="utf-8")
    site.render(store, citation_file=None)
    html = (store / "places" / "0.1.0.html").read_text(encoding="utf-8")
    assert 'id="pictures"' not in html and 'id="row-places-odesa"' in html
    assert sha256(pkg / "data" / "places.csv") in html  # from the catalog's file list
    assert "Anonymous (n.d.). <em>Places</em>, version 0.1.0 [data set]." in html
    assert check_links(store) > 5


def test_render_refuses_a_catalog_path_that_leaves_the_store(bare_store, tmp_path):
    out = tmp_path / "store"
    shutil.copytree(bare_store, out)
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    catalog["datasets"][NAME]["versions"][V2]["diff"] = "../../secret.json"
    (out / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    with pytest.raises(FactpackError, match="leaves the store"):
        site.render(out, citation_file=None)
    with pytest.raises(FactpackError, match="catalog.json: missing"):
        site.render(tmp_path / "nowhere", citation_file=None)


# --- pictures --------------------------------------------------------------------------------

def test_partial_dates_are_the_days_they_allow():
    june = charts.parse_partial("2025-06")
    assert (june.first.isoformat(), june.last.isoformat(), june.precision) == (
        "2025-06-01", "2025-06-30", "month")
    assert charts.parse_partial("2024").last.isoformat() == "2024-12-31"
    assert charts.parse_partial("2024-02-29").precision == "day"
    assert charts.parse_partial("2025-02-30") is None and charts.parse_partial("") is None


def test_timeline_draws_a_month_only_date_as_a_span_and_a_day_as_a_point():
    chart = charts.timeline({"statements": [
        {"id": "month-only", "said_on": "2025-06", "reported_on": ""},
        {"id": "a-day", "said_on": "2025-07-24", "reported_on": "2025-07-25"},
    ], "roles": [{"id": "role", "start_on": "2025-01", "end_on": ""}]}, "t")
    ax = chart.figure.axes[0]
    widths = sorted(round(p.get_width()) for p in ax.patches)
    # June (30 days) for the statement; January (31) for the role's uncertain start,
    # and the role's solid bar; nothing for the day-precise statement, which is a marker.
    assert 30 in widths and 31 in widths
    assert len(ax.patches) == 3
    assert any(len(line.get_xdata()) == 1 for line in ax.lines)  # day-precise dots
    assert "2 statements, 1 role" in chart.alt
    assert "Statement month-only: said 2025-06" in chart.description


def test_timeline_says_in_words_where_a_role_runs_past_the_window():
    chart = charts.timeline({"statements": [{"id": "s", "said_on": "2025-07-01"}], "roles": [
        {"id": "before", "start_on": "2010", "end_on": "2012-05"},
        {"id": "after", "start_on": "2030-01-01", "end_on": ""},
        {"id": "across", "start_on": "2024", "end_on": ""}]}, "t")
    texts = sorted(t.get_text() for t in chart.figure.axes[0].texts)
    assert texts == ["2030-01-01 – still held ▶", "still held ▶", "◀ 2010 – 2012-05", "◀ 2024"]
    assert "Role before: from 2010 to 2012-05" in chart.description


def test_figure_chart_draws_low_high_ranges_per_deal_and_quantity():
    deals = [{"id": "d", "title": "A deal"}]
    figures = [
        {"id": "r", "deal_id": "d", "quantity": "money", "currency": "USD", "value_low":
         "10000000000", "value_high": "30000000000", "value": "", "stage": "claimed",
         "as_of": "2025-07-24", "value_text": "10-20-30 billion USD"},
        {"id": "p", "deal_id": "d", "quantity": "money", "currency": "USD", "value_low": "",
         "value_high": "", "value": "50000000000", "stage": "proposed", "as_of": "2025-08"},
        {"id": "u", "deal_id": "d", "quantity": "units", "unit": "drone", "value": "5",
         "stage": "claimed", "as_of": ""},
    ]
    chart = charts.figure_chart(deals, figures, "t")
    (ax,) = chart.figure.axes  # one panel: money in USD; the undated count is not drawn
    (ranges,) = ax.collections
    (segment,) = ranges.get_segments()
    assert [y for _, y in segment] == [1e10, 3e10]
    assert any(round(p.get_width()) == 31 for p in ax.patches)  # August, as a span
    assert "r: 10 billion–30 billion USD, claimed, as of 2025-07-24" in chart.description
    assert "Not drawn, having no date: 1 figures." in chart.alt
    assert chart.svg() == chart.svg()


partial_dates = st.one_of(st.just(""), st.just("not a date"), st.dates(
    min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)).flatmap(
    lambda d: st.sampled_from([d.isoformat(), d.isoformat()[:7], d.isoformat()[:4]])))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["statements", "policies", "roles", "figures"]),
                          partial_dates, partial_dates), max_size=12),
       st.lists(st.tuples(st.sampled_from(["", "1", "10", "5000000000"]),
                          st.sampled_from(["", "2", "20"]), st.sampled_from(["", "7"])),
                max_size=5))
def test_pictures_take_any_mix_of_partial_dates_and_values(records, values):
    columns = {lane: cols for lane, *cols in charts.LANES}
    tables: dict[str, list[dict]] = {}
    for i, (lane, a, b) in enumerate(records):
        first, second = columns[lane][0], columns[lane][1]
        row = {"id": f"r{i}", first: a}
        if second:
            row[second] = b
        tables.setdefault(lane, []).append(row)
    chart = charts.timeline(tables, "t")
    dated = sum(1 for lane, a, b in records
                if charts.parse_partial(a) or (lane != "figures" and charts.parse_partial(b)))
    assert (chart is None) == (dated == 0)
    if chart:
        assert len(chart.description) == dated and chart.alt
    figures = [{"id": f"f{i}", "deal_id": "d", "quantity": "money", "currency": "USD",
                "value_low": lo, "value_high": hi, "value": v, "stage": "claimed",
                "as_of": "2025-07"} for i, (v, lo, hi) in enumerate(values)]
    assert (charts.figure_chart([], figures, "t") is None) == (not figures)


def test_human_numbers():
    assert charts.human_number(10_000_000_000) == "10 billion"
    assert charts.human_number(2_500_000) == "2.5 million"
    assert charts.human_number(5) == "5"


# --- a real browser ---------------------------------------------------------------------------

class StaticHost(SimpleHTTPRequestHandler):
    """A static host as the site will meet one: MIME types and ``Range: bytes=a-b``
    (which polars and DuckDB use to read a Parquet file over HTTP)."""

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def send_head(self):
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not m or not any(m.groups()) or not path.is_file():
            return super().send_head()
        data = path.read_bytes()
        first, last = m.groups()
        if first:
            start, end = int(first), min(int(last or len(data) - 1), len(data) - 1)
        else:  # a suffix: the last N bytes (how a Parquet reader asks for the footer)
            start, end = max(len(data) - int(last), 0), len(data) - 1
        if start > end:
            self.send_error(416)
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return io.BytesIO(data[start:end + 1])


@pytest.fixture(scope="module")
def served(store):
    with serving(store) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the website tests need a real "
                    "browser. Install it with .ci/install-chromium.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Watch:
    """Everything that went wrong on a page: console errors, failures, foreign requests."""

    def __init__(self, page, allowed_prefix: str) -> None:
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console: {m.text} ({page.url})"))
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e} ({page.url})"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"failed: {r.url} {r.failure} ({page.url})"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))

        def guard(route) -> None:  # nothing may leave the site: refuse and record it
            if route.request.url.startswith(allowed_prefix) or route.request.url.startswith(
                    "data:"):
                route.continue_()
            else:
                self.problems.append(f"request leaves the site: {route.request.url}")
                route.abort()

        page.route("**/*", guard)


@contextmanager
def serving(folder: Path):
    """``folder`` on a real HTTP server on 127.0.0.1 (a free port), stopped afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(StaticHost,
                                                                     directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def crawl(browser, served: str) -> tuple[set[str], set[str]]:
    """Open every page reachable from the index; fetch every file; check every anchor.

    Returns (pages, files) seen. Fails on any console error, failed request, HTTP error,
    request that leaves the site, undecoded picture, or missing anchor.
    """
    context = browser.new_context()
    page = context.new_page()
    watch = Watch(page, served)
    queue, seen_pages, seen_files = deque([served + "index.html"]), set(), set()
    anchors: list[tuple[str, str]] = []
    while queue:
        url = queue.popleft()
        if url in seen_pages:
            continue
        seen_pages.add(url)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, url
        # Every picture decoded (a broken or blocked image has no natural width).
        broken = page.eval_on_selector_all("img", "imgs => imgs.filter(i => !i.complete || "
                                                  "i.naturalWidth === 0).map(i => i.src)")
        assert broken == [], broken
        for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
            target, frag = urldefrag(href)
            if not target.startswith(served):
                assert urlsplit(href).scheme in ("http", "https"), href
                continue
            if frag:
                anchors.append((target, unquote(frag)))
            if target.endswith(".html"):
                queue.append(target)
            elif target not in seen_files:
                seen_files.add(target)
                got = context.request.get(target)
                assert got.ok, f"{target}: HTTP {got.status}"
    for target, frag in sorted(set(anchors)):
        if page.url != target:
            page.goto(target)
        assert page.evaluate("id => document.getElementById(id) !== null", frag), \
            f"{target}#{frag} does not exist"
    assert watch.problems == []
    context.close()
    return seen_pages, seen_files


def test_browser_crawl_every_page_and_link_without_errors(browser, served):
    pages, files = crawl(browser, served)
    assert len(pages) == 4  # index, the dataset, two versions
    assert any(u.endswith(".zip") for u in files) and any(u.endswith(".parquet") for u in files)
    assert any(u.endswith(".svg") for u in files) and any(u.endswith(".diff.json") for u in files)


def test_browser_download_matches_its_listed_sha256(browser, served):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    watch = Watch(page, served)
    page.goto(served + f"{NAME}/{V2}.html")
    for selector in ('a[href$=".zip"][data-sha256]', 'a[href$="figures.csv"][data-sha256]'):
        link = page.locator(selector).first
        listed = link.get_attribute("data-sha256")
        with page.expect_download() as info:
            link.click()
        data = Path(info.value.path()).read_bytes()
        assert hashlib.sha256(data).hexdigest() == listed
        assert len(data) == int(link.get_attribute("data-bytes"))
    assert watch.problems == []
    context.close()


def test_browser_table_search_filters_rows_and_headers_sort(browser, served):
    page = browser.new_page()
    watch = Watch(page, served)
    page.goto(served + f"{NAME}/{V2}.html")
    rows = page.locator("#preview-statements tbody tr")
    total = rows.count()
    assert total > 5
    page.get_by_label("Search statements").fill("kupyansk")
    visible = page.locator("#preview-statements tbody tr:visible")
    assert 0 < visible.count() < total
    assert "kupyansk" in visible.first.inner_text().lower()
    assert page.locator("#count-statements").inner_text() == f"{visible.count()} of {total} rows"
    page.get_by_label("Search statements").fill("")
    assert page.locator("#preview-statements tbody tr:visible").count() == total

    header = page.locator("#preview-statements th", has_text="said_on")
    column = [h.strip() for h in page.locator("#preview-statements th").all_inner_texts()].index(
        "said_on")

    def said() -> list[str]:
        return [t for t in page.locator(f"#preview-statements tbody tr td:nth-child("
                                        f"{column + 1})").all_inner_texts() if t]

    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert said() == sorted(said()) and len(set(said())) > 1
    header.get_by_role("button").click()
    assert said() == sorted(said(), reverse=True)
    # An integer column sorts by number (5 before 10000000), not as text; empty cells last.
    value = page.locator("#preview-figures th").filter(has_text=re.compile(r"^\s*value\s*$"))
    value.get_by_role("button").click()
    assert value.get_attribute("aria-sort") == "ascending"
    figures_value = [h.strip() for h in page.locator("#preview-figures th").all_inner_texts()
                     ].index("value")
    cells = page.locator(f"#preview-figures tbody td:nth-child({figures_value + 1})"
                         ).all_inner_texts()
    numbers = [int(c) for c in cells if c]
    assert numbers == sorted(numbers) and len(numbers) > 2 and cells[-1] == ""
    assert watch.problems == []
    page.close()


def test_browser_without_javascript_shows_every_row(browser, served):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served + f"{NAME}/{V2}.html")
    assert page.locator("#preview-statements tbody tr:visible").count() == page.locator(
        "#preview-statements tbody tr").count() > 5
    assert not page.locator(".table-tools").first.is_visible()  # no search box that does nothing
    context.close()


def test_browser_pages_work_from_file_urls(browser, store):
    page = browser.new_page()
    watch = Watch(page, store.resolve().as_uri() + "/")
    for rel in ("index.html", f"{NAME}/index.html", f"{NAME}/{V2}.html"):
        page.goto((store / rel).resolve().as_uri())
        # The stylesheet applied, the script ran, and pictures decoded.
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header'))"
                             ".backgroundColor") == "rgb(11, 79, 108)"
        assert page.eval_on_selector_all("img", "imgs => imgs.every(i => i.naturalWidth > 0)")
    page.get_by_label("Search figures").fill("50 billion")
    assert 0 < page.locator("#preview-figures tbody tr:visible").count() < page.locator(
        "#preview-figures tbody tr").count()
    assert watch.problems == []
    page.close()


def test_browser_screenshots_and_phone_layout(browser, served):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page, served)
    page.goto(served + "index.html")
    page.screenshot(path=SCREENSHOTS / "index.png", full_page=True)
    page.goto(served + f"{NAME}/{V2}.html")
    # Running text in a preview keeps a readable width instead of a column of broken words.
    assert page.eval_on_selector("#preview-statements .long",
                                 "e => e.getBoundingClientRect().width") >= 250
    page.screenshot(path=SCREENSHOTS / "dataset.png", full_page=True)
    page.close()
    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                             is_mobile=True, has_touch=True)
    watch_phone = Watch(phone, served)
    for rel, shot in (("index.html", "index-phone.png"), (f"{NAME}/{V2}.html",
                                                          "dataset-phone.png")):
        phone.goto(served + rel)
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), rel
        phone.screenshot(path=SCREENSHOTS / shot)
    for name in ("index.png", "dataset.png", "index-phone.png", "dataset-phone.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000
    assert watch.problems == [] and watch_phone.problems == []
    phone.close()


# --- the real thing: a store made by `factpack publish` ------------------------------------

def publish_committed() -> bool:
    return subprocess.run(["git", "cat-file", "-e", "HEAD:src/factpack/release/publish.py"], cwd=REPO,
                          capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """``factpack publish`` (which renders the site) run in a fresh clone of HEAD, so that
    writing the release ledger leaves the shared working tree alone."""
    if not publish_committed():
        pytest.skip("factpack publish is not committed yet")
    tmp = tmp_path_factory.mktemp("published")
    clone, store = tmp / "repo", tmp / "site"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)],
                   check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-m", "factpack", "publish", "--store", str(store)],
                          cwd=clone, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, f"factpack publish failed:\n{done.stdout}\n{done.stderr}"
    assert "rendered the website" in done.stdout
    return store


def test_factpack_publish_writes_a_site_that_works_in_a_browser(published, browser):
    catalog = json.loads((published / "catalog.json").read_text(encoding="utf-8"))
    latest = catalog["datasets"][NAME]["latest"]
    page = published / NAME / f"{latest}.html"
    assert page.is_file() and (published / "index.html").is_file()
    html = page.read_text(encoding="utf-8")
    for f in catalog["datasets"][NAME]["versions"][latest]["files"]:
        assert f["sha256"] in html
    if (REPO / "CITATION.cff").is_file():  # committed with the releases
        assert "From CITATION.cff." in html and "@misc{" in html
    assert check_links(published) > 200
    with serving(published) as url:
        pages, files = crawl(browser, url)
    assert url + f"{NAME}/{latest}.html" in pages
    assert any(u.endswith(".zip") for u in files)


# --- the load snippets do what they say --------------------------------------------------------

def snippets_on_page(browser, url: str) -> dict[str, str]:
    """The snippets as a reader copies them: after the page's script made the URLs full."""
    page = browser.new_page()
    page.goto(url)
    found = page.eval_on_selector_all(
        "figure.snippet", "fs => fs.map(f => [f.querySelector('figcaption').textContent,"
                          " f.querySelector('code').textContent])")
    page.close()
    return dict(found)


def run(args: list[str], cwd: Path, **kw) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False, **kw)
    assert done.returncode == 0, f"{args[:2]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_load_snippets_run_as_shown_against_the_served_store(browser, served, store, tmp_path):

    snippets = snippets_on_page(browser, served + f"{NAME}/{V2}.html")
    assert all(served in code for title, code in snippets.items() if title != "SQLite")
    n = len(csv_rows(store / NAME / V2 / "data" / "figures.csv"))
    count = "\nv = globals().get('rows', globals().get('figures'))\nprint(len(v))\n"
    for title in ("Python: pandas", "Python: polars", "Python: frictionless"):
        assert run([sys.executable, "-c", snippets[title] + count], tmp_path).split()[-1] \
            == str(n), title
    r = run(["Rscript", "-e", snippets["R"] + "\ncat(nrow(figures))"], tmp_path)
    assert r.split()[-1] == str(n)
    tables = run(["bash", "-euc", snippets["SQLite"]], store / NAME / V2)
    assert "figures" in tables


def cli_env(tmp: Path) -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp),
            "XDG_CACHE_HOME": str(tmp / "cache")}


def test_command_line_snippet_fetches_the_version_from_the_served_store(browser, served,
                                                                        tmp_path):
    fetch = snippets_on_page(browser, served + f"{NAME}/{V2}.html")["Command line"]
    fetch = fetch.splitlines()[0]
    assert fetch.startswith(f"factpack fetch {NAME}@{V2} --store {served} ")
    run(["bash", "-euc", fetch], tmp_path, env=cli_env(tmp_path))
    assert (tmp_path / f"{NAME}-{V2}" / "datapackage.json").is_file()


def test_command_line_snippet_validates_the_fetched_copy(browser, served, tmp_path):
    snippet = snippets_on_page(browser, served + f"{NAME}/{V2}.html")["Command line"]
    out = run(["bash", "-euc", snippet], tmp_path, env=cli_env(tmp_path))
    assert "valid" in out.lower()


def test_duckdb_snippet_reads_the_parquet_file(store):
    import duckdb

    html = version_html(store)
    (sql,) = re.findall(r"(SELECT \* FROM read_parquet\(.*?\);)", html)
    # Without the page's script the path is relative to the store (as from file://).
    con = duckdb.connect()
    try:
        rows = con.execute(sql.replace("&#39;", "'").replace(
            f"'{NAME}/", f"'{store.as_posix()}/{NAME}/")).fetchall()
    finally:
        con.close()
    assert len(rows) == len(csv_rows(store / NAME / V2 / "data" / "figures.csv"))
