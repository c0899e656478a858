"""Stage 7, the catalog website: ``render`` the pages from a store, ``charts`` draws the
timeline and the figures.
"""
