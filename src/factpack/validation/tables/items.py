"""Data Package v2 ``arrayItem``: each item of an array cell read as a field of its own.

As frictionless-py does: the items of a valid array cell (that breaks none of its own
constraints) are read by the item field; an item of the wrong type makes the cell a
type error, an item breaking a constraint a constraint error. Arrays are decoded once
per distinct text; their items are then typed and checked together, in polars.
"""

from __future__ import annotations

import json

import polars as pl

from ...spec import fieldtypes
from ...spec.models import Field
from .constraints import constraint_masks

VERDICT = pl.Struct({"type": pl.Boolean, "constraint": pl.Boolean})
_NUMERIC = {"integer", "number", "year", "any"}
_JSON = {"object": dict, "array": list, "geojson": dict}


def item_field(f: Field) -> Field | None:
    """The field each item of ``f`` is read as (its ``arrayItem``), or None."""
    spec = f.arrayItem
    if f.type != "array" or not isinstance(spec, dict) or not spec:
        return None
    spec = {k: v for k, v in spec.items() if k != "arrayItem"}
    return Field.model_validate({"name": f.name, "type": "any", **spec})


def item_verdict(item: Field, v: pl.Expr) -> pl.Expr:
    """Per array cell: whether an item is of the wrong type, whether one breaks a constraint."""
    return v.map_batches(lambda s: _verdict(item, s), return_dtype=VERDICT)


def _verdict(item: Field, cells: pl.Series) -> pl.Series:
    distinct = cells.drop_nulls().unique()
    ids: list[int] = []
    texts: list[str | None] = []
    wrong: list[bool] = []
    for i, text in enumerate(distinct.to_list()):
        for value in json.loads(text):
            t, bad = _as_text(item, value)
            ids.append(i)
            texts.append(t)
            wrong.append(bad)
    missing = item.missingValues if item.missingValues is not None else [""]
    frame = pl.DataFrame({"id": ids, "text": texts, "wrong": wrong},
                         schema={"id": pl.Int64, "text": pl.String, "wrong": pl.Boolean})
    text = pl.when(pl.col("text").is_in(missing)).then(None).otherwise(pl.col("text"))
    frame = frame.with_columns(text.alias(item.name))
    # as a table's cells: integers beyond int64 make the typed items text
    typed = fieldtypes.parse_frame([item], frame.select(item.name)).to_series()
    frame = frame.with_columns(typed.alias("typed"))
    col, v = pl.col(item.name), pl.col("typed")
    type_bad = pl.col("wrong") | (col.is_not_null() & v.is_null())
    wide = item.type == "integer" and typed.dtype == pl.String
    broken = [b.mask.fill_null(False) for b in constraint_masks(item, col, v, wide)]
    if item.constraints.required:
        broken.append(col.is_null() & ~pl.col("wrong"))
    cons_bad = (~type_bad & pl.any_horizontal(broken)) if broken else pl.lit(False)
    per_id = frame.group_by("id").agg(type=type_bad.any(), constraint=cons_bad.any())
    table = pl.DataFrame({"t": distinct, "id": pl.int_range(distinct.len(), eager=True)})
    table = table.join(per_id, on="id", how="left")
    out = cells.to_frame("t").join(table, on="t", how="left", maintain_order="left")
    return out.select(pl.struct(pl.col("type").fill_null(False),
                                pl.col("constraint").fill_null(False))).to_series()


def _as_text(item: Field, value: object) -> tuple[str | None, bool]:
    """A decoded item as the text a cell would hold, and whether its JSON kind alone makes
    it the wrong type (frictionless's readers take only some Python types)."""
    if value is None:
        return None, False
    kind = item.type
    if isinstance(value, str):
        return value, False
    if isinstance(value, bool):
        if kind == "boolean":
            values = item.trueValues if value else item.falseValues
            return (values[0], False) if values else (None, True)
        return str(value), kind != "any"
    if isinstance(value, (int, float)):
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            return str(int(value)), False
        return json.dumps(value), kind not in _NUMERIC
    expected = _JSON.get(kind)
    ok = kind == "any" or (expected is not None and isinstance(value, expected))
    return json.dumps(value), not ok
