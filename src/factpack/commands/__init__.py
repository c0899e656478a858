"""The command line: one thin typer command per module (``cli``), imported on demand by
``factpack.cli``. Only ``cli.py`` and this package import typer.
"""
