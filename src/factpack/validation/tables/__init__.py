"""Layer 2: each table against its Table Schema, read in chunks and checked with vectorised
polars expressions. ``run`` checks one table: ``readers`` (one per input form, on the
chunked CSV reader ``read``, with ``integrity`` of the file's bytes), ``labels``, ``rows``
(ragged, oversized and blank rows), ``cells`` (types and constraints), ``keys`` (unique,
primary and foreign keys); ``result`` is what they report.
"""
