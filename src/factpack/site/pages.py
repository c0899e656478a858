"""The site's pages, rendered with jinja2: the catalog, one page per dataset, one per version.

Pages are written only when their text changes, so a re-publish leaves unchanged pages
untouched; links are relative, so the site works from ``file://`` and any static host.
"""

from __future__ import annotations

import filecmp
import posixpath
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from ..core.errors import FactpackError
from ..core.versions import version_key
from ..spec.catalog import CATALOG, CatalogDataset, CatalogVersion
from ..spec.citation import for_version
from ..spec.models import Package
from . import charts, jsonld
from .diffview import diff_view
from .downloads import DEFAULT_STORE, download, files, relative, snippets
from .markdown import human_size, render_inline, render_markdown
from .store import read_diff, read_package, segment
from .tables import Table, read_tables, row_anchor

ASSETS = Path(__file__).parent / "templates" / "assets"
# Inline, so that no page makes a request for it (a browser fetches icons lazily, after load).
FAVICON = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" '
    'rx="6" fill="#0b4f6c"/><path d="M8 9h16v3H12v4h10v3H12v6H8z" fill="#fff"/></svg>', safe=":/")


def environment() -> jinja2.Environment:
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


def write(path: Path, text: str) -> None:
    """Write only when different, so a re-publish leaves unchanged pages untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8", newline="\n")


def copy_assets(store: Path) -> None:
    dest = store / "assets"
    for src in sorted(ASSETS.rglob("*")):
        if src.is_file():
            target = dest / src.relative_to(ASSETS)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.is_file() or not filecmp.cmp(target, src, shallow=False):
                shutil.copyfile(src, target)


def dataset_page(env: jinja2.Environment, store: Path, name: str, dataset: CatalogDataset,
                 cff: dict | None, preview_limit: int) -> dict[str, Any]:
    """Write a dataset's page and one page per version; return its card for the catalog."""
    versions = sorted(dataset.versions.values(), key=lambda v: version_key(v.version))
    if not versions:
        raise FactpackError(f"{CATALOG}: dataset {name!r} has no versions")
    latest = dataset.latest
    if latest not in [v.version for v in versions]:
        raise FactpackError(f"{CATALOG}: {name}: latest version {latest!r} is not listed")
    newest_first = [v.version for v in reversed(versions)]
    summaries = []
    latest_view: dict[str, Any] = {}
    for ver in versions:
        version = segment(ver.version, f"{name}: version")
        view = version_view(store, name, ver, latest, newest_first, cff, preview_limit)
        write(store / name / f"{version}.html",
              env.get_template("version.html.j2").render(root="../", **view))
        summaries.append({"version": version, "released_on": ver.released_on,
                          "bump": (view["diff"] or {}).get("bump"),
                          "zip": download(ver.zip, name)})
        if version == latest:
            latest_view = view
    card = {"name": name, "title": dataset.title or latest_view["title"],
            "description": dataset.description or latest_view["description"],
            "latest": latest, "released_on": latest_view["released_on"],
            "licences": latest_view["licences"], "keywords": latest_view["keywords"],
            "versions": list(reversed(summaries)), "jsonld": latest_view["jsonld"],
            "tables": [{"name": t.name, "title": t.title, "rows": t.row_count}
                       for t in latest_view["tables"]]}
    write(store / name / "index.html",
          env.get_template("dataset.html.j2").render(root="../", dataset=card,
                                                     jsonld=card["jsonld"]))
    return card


def version_view(store: Path, name: str, ver: CatalogVersion, latest: str, versions: list[str],
                 cff: dict | None, preview_limit: int) -> dict[str, Any]:
    """What a version's page shows (``templates/version.html.j2``)."""
    version = ver.version
    pkg_dir = ver.path if ver.path.endswith("/") else ver.path + "/"
    page_dir = name
    package = read_package(store, pkg_dir)
    downloads = files(ver, page_dir)
    tables = read_tables(store, pkg_dir, package, downloads, preview_limit)
    cite = for_version(package, name, version, ver.released_on, cff)
    diff = diff_view(read_diff(store, ver.diff), ver.diff) if ver.diff else None
    return {
        "name": name, "version": version, "latest": latest, "is_latest": version == latest,
        "versions": versions, "title": package.title or name,
        "description": package.description or "",
        "released_on": ver.released_on, "commit": ver.commit,
        "licences": licences(package), "keywords": package.keywords or [],
        "contributors": package.contributors or [], "sources": package.sources or [],
        "files": downloads, "tables": tables, "table_names": {t.name for t in tables},
        "anchors": {a for t in tables for a in t.row_ids if a},  # rows a cell may link to
        "citation": cite,
        "snippets": snippets(name, version, [t.name for t in tables], pkg_dir),
        "snippet_base": pkg_dir,
        # On a web server the page's script turns these into full URLs (see site.js).
        "snippet_urls": [[pkg_dir, relative(pkg_dir, page_dir)],
                         [DEFAULT_STORE, relative("./", page_dir)]],
        "pictures": pictures(store, name, version, package.title or name, tables),
        "changelog": ver.changelog or "",
        "diff": diff, "diff_href": relative(ver.diff, page_dir) if ver.diff else None,
        "jsonld": jsonld.dataset(name, package, ver, downloads, cite, tables),
    }


def licences(package: Package) -> list[dict[str, str | None]]:
    return [{"name": x.name or x.title or "licence", "title": x.title, "url": x.path}
            for x in package.licenses or []]


def pictures(store: Path, name: str, version: str, title: str,
             tables: list[Table]) -> list[dict[str, Any]]:
    """Draw the version's pictures beside its page (``<version>.<slug>.svg``)."""
    rows = {t.name: [dict(zip([c.name for c in t.columns], r, strict=True)) for r in t.rows]
            for t in tables}
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
        write(store / path, chart.svg())
        out.append({"src": posixpath.basename(path), "heading": heading, "alt": chart.alt,
                    "lines": chart.description})
    return out
