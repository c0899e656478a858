"""Layer 4's runs of the reference tool, frictionless-py, in this process or in a worker.

Kept apart from :mod:`factpack.build.check` so that a worker process imports frictionless-py
and the error record only (not polars, pyarrow or factpack's models: ~1 s a start).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..core.errors import Code, ErrorRecord

# The worker's entry point: worker(), run in a fresh interpreter.
WORKER = "import sys; from factpack.build.reference import worker; worker(sys.argv[1])"

# (descriptor, resource name or None for all, row limit or None)
Job = tuple[str, str | None, int | None]


def frictionless_errors(descriptor: str | Path, name: str | None = None,
                        limit_rows: int | None = None) -> list[ErrorRecord]:
    """The reference tool's verdict on a built package (or one of its resources, or the
    first ``limit_rows`` rows of it), as error records: ``frictionless validate
    datapackage.json [--resource-name NAME] [--limit-rows N]``."""
    import frictionless

    descriptor = Path(descriptor)
    try:
        result = frictionless.validate(str(descriptor), name=name, limit_rows=limit_rows)
    except frictionless.FrictionlessException as exc:
        return [ErrorRecord(code=Code.PACKAGE, path=descriptor.name,
                            message=f"frictionless: {exc}")]
    out = [ErrorRecord(code=e.type, path=descriptor.name, message=f"frictionless: {e.message}")
           for e in result.errors]
    for task in result.tasks:
        for e in task.errors:
            out.append(ErrorRecord(
                code=e.type, resource=task.name, path=task.place,
                row=getattr(e, "row_number", None), field=getattr(e, "field_name", None),
                value=None if getattr(e, "cell", None) is None else str(e.cell),
                message=f"frictionless: {e.message}"))
    return out


def worker(jobs: str) -> None:
    """Print the error records of each job's frictionless-py run, one JSON line each."""
    for descriptor, name, limit in json.loads(jobs):
        for e in frictionless_errors(descriptor, name, limit):
            print(e.model_dump_json())
