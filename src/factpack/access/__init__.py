"""Stage 6, access: ``fetch`` a published package (checked against the catalog) and ``load``
it as typed tables.
"""
