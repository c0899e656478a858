"""Stage 7, the catalog website over a release store.

``render`` (the entry point: ``render(store)``, ``python -m factpack.site STORE``), ``store``
(reading the catalog, descriptors and diffs into the models), ``pages`` (the jinja2 pages),
``tables`` (data dictionary and previews), ``downloads`` (file list, load snippets),
``diffview`` (what changed), ``jsonld`` (schema.org), ``markdown`` (text helpers) and
``charts`` (the timeline and the figures).
"""
