"""schema.org descriptions in the pages (JSON-LD), so that dataset search engines find them."""

from __future__ import annotations

from typing import Any

from ..spec.catalog import CatalogVersion
from ..spec.citation import Citation
from ..spec.models import Package
from . import charts
from .downloads import FileEntry
from .tables import Table


def dataset(name: str, package: Package, version: CatalogVersion, files: list[FileEntry],
            cite: Citation, tables: list[Table]) -> dict[str, Any]:
    """One version as a schema.org ``Dataset``."""
    dates = [s for t in tables for i, c in enumerate(t.columns)
             if c.name.endswith("_on") or c.name == "as_of"
             for row in t.rows if (s := charts.parse_partial(row[i]))]
    out: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Dataset",
        "name": package.title or name, "alternateName": name,
        "description": package.description or package.title or name,
        "version": version.version, "url": f"{version.version}.html",
        "keywords": package.keywords or [],
        "license": [x.path or x.name for x in package.licenses or []],
        "isAccessibleForFree": True,
        "creator": [{"@type": "Organization", "name": c.title}
                    for c in package.contributors or []],
        "citation": cite.text(),
        "isBasedOn": [s.path for s in package.sources or [] if s.path],
        "distribution": [{"@type": "DataDownload", "name": f.name,
                          "encodingFormat": f.mediatype, "contentUrl": f.href,
                          "contentSize": f"{f.bytes} B", "sha256": f.sha256} for f in files],
        "variableMeasured": [f"{t.name}.{c.name}" for t in tables for c in t.columns],
    }
    if version.released_on:
        out["datePublished"] = version.released_on
    if package.created:
        out["dateCreated"] = package.created
    if dates:
        out["temporalCoverage"] = (f"{min(s.first for s in dates).isoformat()}/"
                                   f"{max(s.last for s in dates).isoformat()}")
    return out


def catalog(cards: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole store as a schema.org ``DataCatalog``."""
    return {"@context": "https://schema.org", "@type": "DataCatalog",
            "name": "factpack data catalog",
            "dataset": [{"@type": "Dataset", "name": c["title"], "description": c["description"],
                         "version": c["latest"], "url": f"{c['name']}/{c['latest']}.html",
                         "keywords": c["keywords"],
                         "license": [x["url"] or x["name"] for x in c["licences"]]}
                        for c in cards]}
