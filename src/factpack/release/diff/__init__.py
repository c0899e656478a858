"""``factpack diff OLD NEW``: what changed between two versions of a data package.

Schema changes (tables and columns added, removed or renamed-looking, types, formats and
constraints changed) and, per table, rows added, removed and changed, matched on the
primary key, with the changed cells. Every change names the rule of the version recipe
that sets its bump (:mod:`.rules`); the report's bump is the largest, ``decided_by`` says
which changes require it.

:mod:`.packages` opens the two sides, :mod:`.schema` compares schemas and metadata,
:mod:`.rows` compares rows, :mod:`.report` assembles the report and its text.
"""

from .packages import DiffPackage, DiffTable, open_local, open_package
from .report import REPORT_VERSION, because, bump_line, diff_packages, diff_specs, text
from .rows import ROWS_PER_BUCKET

__all__ = ["REPORT_VERSION", "ROWS_PER_BUCKET", "DiffPackage", "DiffTable", "because",
           "bump_line", "diff_packages", "diff_specs", "open_local", "open_package", "text"]
