"""JSON types (``object``, ``array``, ``geojson``, ``geopoint``) and ``list``: checked, then
kept as their text. JSON cells are decoded by polars in blocks; what it refuses is read by
Python's ``json`` as frictionless-py reads it, once per distinct text, never once per row."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

import polars as pl

from . import fallback
from .base import LENGTHS, FieldLike, Parse, TypeEntry, text_or_nested
from .numbers import decimal_value

PROFILES = Path(__file__).parent / "profiles"  # frictionless-py's GeoJSON/TopoJSON schemas


def _object(text: str) -> str | None:
    return text if isinstance(json.loads(text), dict) else None


def _array(text: str) -> str | None:
    return text if isinstance(json.loads(text), list) else None


@cache
def _geo_validator(fmt: str):
    import jsonschema  # only for geojson fields

    schema = json.loads((PROFILES / f"{'topojson' if fmt == 'topojson' else 'geojson'}.json")
                        .read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def _geojson(fmt: str):
    def read(text: str) -> str | None:
        value = json.loads(text)
        if not isinstance(value, dict):
            return None
        if fmt in ("default", "topojson") and not _geo_validator(fmt).is_valid(value):
            return None
        return text
    return read


def _geopoint_json(fmt: str):
    """frictionless: ``lon, lat = json.loads(cell)`` (array) or the ``lon``/``lat`` of a
    two-key object, each read by Decimal(), in range."""
    def read(text: str) -> str | None:
        value = json.loads(text)
        if fmt == "array":
            lon, lat = value
        else:
            if len(value) != 2:
                return None
            lon, lat = value["lon"], value["lat"]
        lon, lat = Decimal(lon), Decimal(lat)
        return text if -180 <= lon <= 180 and -90 <= lat <= 90 else None
    return read


def _json(read, opener: str) -> Parse:
    """Cells of one JSON kind (``opener``: ``{`` or ``[``). polars decodes the column in
    blocks; its parser is as strict as Python's, so in a block it takes every cell is JSON,
    of the kind its first character says. A block it refuses (a bad cell, NaN, kinds it
    cannot unify) is read by ``read`` per distinct text."""
    def run(s: pl.Series) -> pl.Series:
        parts = [_json_block(s.slice(i, JSON_BLOCK), read, opener)
                 for i in range(0, max(s.len(), 1), JSON_BLOCK)]
        return pl.concat(parts) if len(parts) > 1 else parts[0]
    return lambda field, col: col.cast(pl.String).map_batches(run, return_dtype=pl.String())


JSON_BLOCK = 16_384  # a bad cell sends only its block to Python


def _json_block(s: pl.Series, read, opener: str) -> pl.Series:
    cells = s.drop_nulls()
    if cells.is_empty():
        return s
    try:
        cells.str.json_decode(infer_schema_length=None)
    except pl.exceptions.PolarsError:
        return fallback.fill_distinct(s, pl.Series(s.name, [None] * s.len(), dtype=pl.String),
                                      read)
    # (polars turns a scalar among arrays into an array: the first character tells)
    kind_ok = s.str.strip_chars(" \t\n\r").str.starts_with(opener)
    return s.to_frame().select(pl.when(kind_ok).then(pl.col(s.name))).to_series()


def _geojson_parse(field: FieldLike, col: pl.Expr) -> pl.Expr:
    return fallback.by_distinct(col, _geojson(field.format or "default"), pl.String())


def json_length(v: pl.Expr) -> pl.Expr:
    """``len()`` of a JSON array or object cell (its items or keys), for minLength/maxLength."""
    return fallback.by_distinct(v, lambda t: len(json.loads(t)), pl.Int64())


def _geopoint(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """frictionless: 'lon, lat' (Decimal each), [lon, lat] or {"lon":…, "lat":…}, in range."""
    fmt = field.format or "default"
    if fmt in ("array", "object"):
        return fallback.by_distinct(col, _geopoint_json(fmt), pl.String())
    finite = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
    parts = col.str.extract_groups(r"^([^,]*),([^,]*)$")
    lon = parts.struct.field("1").str.strip_chars().str.replace_all("_", "", literal=True)
    lat = parts.struct.field("2").str.strip_chars().str.replace_all("_", "", literal=True)
    ok = lon.str.contains(finite) & lat.str.contains(finite)
    ok = ok & decimal_value(lon).abs().le(180) & decimal_value(lat).abs().le(90)
    return pl.when(ok).then(col)


def list_type(parse: Parse) -> TypeEntry:
    """``list``: cells split on the delimiter, each item read by ``parse`` as ``itemType``."""

    def _list(field: FieldLike, col: pl.Expr) -> pl.Expr:
        items = col.str.split(field.delimiter)
        if field.itemType in (None, "string", "any"):
            return items
        item = type(field)(name="item", type=field.itemType)  # a Field with its defaults
        bad = items.list.eval(parse(item, pl.element()).is_null()).list.any()
        return pl.when(~bad).then(items)

    return TypeEntry(
        "list", _list, describe=lambda f: f"items separated by '{f.delimiter}'",
        accepts=text_or_nested, constraints=LENGTHS,
        key=lambda f, parsed: parsed.list.join(f.delimiter), length=lambda v: v.list.len())


# jsonSchema: Data Package 2.0 (frictionless-py 5.21 refuses it; v1 descriptors may not use it)
OBJECT = TypeEntry("object", _json(_object, "{"), describe=lambda f: "a JSON object",
                   accepts=text_or_nested, constraints=(*LENGTHS, "jsonSchema"),
                   length=json_length)
ARRAY = TypeEntry("array", _json(_array, "["), describe=lambda f: "a JSON array",
                  accepts=text_or_nested, constraints=(*LENGTHS, "jsonSchema"),
                  length=json_length)
GEOJSON = TypeEntry("geojson", _geojson_parse, describe=lambda f: "a GeoJSON object",
                    accepts=text_or_nested)
GEOPOINT = TypeEntry(
    "geopoint", _geopoint, accepts=text_or_nested,
    describe=lambda f: {"array": "[lon, lat]", "object": '{"lon": x, "lat": y}'}.get(
        f.format or "default", "'lon, lat'"))
