"""Layer 2: each table against its Table Schema, read in chunks and checked with vectorised
polars expressions (labels, cells, constraints, keys).
"""
