"""What changed since the previous version, for a version's page: the diff report that
``factpack publish`` stores beside it (``schemas/diff-report.schema.json``,
:func:`factpack.release.diff.diff_packages`), shortened for reading."""

from __future__ import annotations

import json
from typing import Any

from ..core.errors import FactpackError

SHOWN = 100  # rows listed per table; the JSON diff has the counts and more rows


def diff_view(report: dict[str, Any] | None, where: str = "diff",
              shown: int = SHOWN) -> dict[str, Any] | None:
    """The page's view of a diff report: its sides, bump, changes, and per table the counts
    and up to ``shown`` rows; None for a first version (no report)."""
    if report is None:
        return None
    try:
        tables = [_table(info, shown) for info in report["tables"]]
        return {"old": _side(report["old"]), "new": _side(report["new"]),
                "bump": report["bump"],
                "schema_changes": [_change(c) for c in report["schema_changes"]],
                "metadata_changes": [_change(c) for c in report["metadata_changes"]],
                "tables": sorted(tables, key=lambda t: t["name"])}
    except (KeyError, TypeError, AttributeError) as exc:
        raise FactpackError(f"{where}: not a factpack diff report ({exc!r})") from None


def _table(info: dict[str, Any], shown: int) -> dict[str, Any]:
    pk = info["primary_key"]
    rows = ([_keyed("added", r, pk) for r in info["added_rows"]]
            + [_keyed("removed", r, pk) for r in info["removed_rows"]]
            + [_changed(r) for r in info["changed_rows"]])
    counts = {k: info[k] for k in ("added", "removed", "changed")}
    return {"name": info["name"], **counts, "changes": any(counts.values()),
            "rows": rows[:shown], "truncated": info["truncated"] or len(rows) > shown}


def _side(side: dict[str, Any]) -> str:
    return side["version"] or side["label"]


def _change(change: dict[str, Any]) -> dict[str, str]:
    return {"kind": change["kind"], "bump": change["bump"], "text": change["message"]}


def _keyed(change: str, row: dict[str, Any], pk: list[str]) -> dict[str, Any]:
    """An added or removed row: its key (the whole row lists every column)."""
    return {"change": change, "key": _key_text({k: row[k] for k in pk}), "cells": []}


def _changed(row: dict[str, Any]) -> dict[str, Any]:
    """A changed row: its key and each changed cell as (column, old, new)."""
    cells = [(col, _compact(v["old"]), _compact(v["new"])) for col, v in row["cells"].items()]
    return {"change": "changed", "key": _key_text(row["key"]), "cells": cells}


def _compact(value: Any) -> str:
    if value is None:
        return "(empty)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           sort_keys=True)


def _key_text(key: dict[str, Any]) -> str:
    if len(key) == 1:
        return _compact(next(iter(key.values())))
    return ", ".join(f"{k}={_compact(v)}" for k, v in key.items())
