"""The catalog website: static HTML pages over the release store.

``render(store)`` reads ``catalog.json`` and every published version's
``datapackage.json``, tables and diff (:mod:`.store`), and writes::

    index.html                      every dataset: title, description, latest version, licence…
    <name>/index.html               one dataset: its versions
    <name>/<version>.html           one version: cite, download, load, pictures, changes,
                                    data dictionary and a preview of every table
    <name>/<version>.timeline.svg   pictures (see :mod:`.charts`)
    <name>/<version>.figures.svg
    assets/                         the site's own CSS and JS

It never writes into a package folder (``<name>/<version>/``). Links are relative
and no page loads anything from elsewhere, so the site works from ``file://``
and from any static host. Output is deterministic: no clock, sorted input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import FactpackError
from ..descriptors.load import repo_root
from ..release.store import refuse_links
from . import jsonld
from .pages import copy_assets, dataset_page, environment, write
from .store import read_catalog, segment

PREVIEW_LIMIT = 2000  # rows per table embedded in a page; the downloads have them all
CITATION_FILE = "CITATION.cff"


def read_cff(path: Path | None) -> dict[str, Any] | None:
    """A CITATION.cff as a mapping; None if there is none."""
    if path is None or not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FactpackError(f"{path}: not valid YAML: {exc}") from None
    return data if isinstance(data, dict) else None


def render(store: Path, citation_file: Path | None = None,
           preview_limit: int = PREVIEW_LIMIT) -> None:
    """Write the website into ``store`` (a folder holding ``catalog.json``).

    ``citation_file`` defaults to the repository's ``CITATION.cff``, if there is one; a
    version is cited from it when it is about the dataset (see
    :func:`factpack.spec.citation.for_version`). Each table's preview shows at most
    ``preview_limit`` rows.
    """
    store = Path(store)
    refuse_links(store)  # run on its own too, it writes pages and assets into the store
    catalog = read_catalog(store)
    if citation_file is None:  # the repository the store is in, else the one we run in
        citation_file = next((p for p in (repo_root(store) / CITATION_FILE,
                                          repo_root() / CITATION_FILE) if p.is_file()), None)
    cff = read_cff(citation_file)
    env = environment()
    copy_assets(store)
    cards = [dataset_page(env, store, segment(name, "dataset name"), dataset, cff, preview_limit)
             for name, dataset in sorted(catalog.datasets.items())]
    write(store / "index.html", env.get_template("index.html.j2").render(
        root="", datasets=cards, jsonld=jsonld.catalog(cards)))


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
