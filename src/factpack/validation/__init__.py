"""Stages 1–3, validate: run the layers on a loaded package (``run``) and write the report
(``report``). ``tables/`` is layer 2 (each table against its Table Schema), ``rules/``
layer 3 (the dataset's domain rules).
"""
