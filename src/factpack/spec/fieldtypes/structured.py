"""JSON types (``object``, ``array``, ``geojson``, ``geopoint``) and ``list``: checked, then
kept as their text. JSON is parsed by DuckDB over the whole column, never row by row."""

from __future__ import annotations

import polars as pl

from .base import LENGTHS, FieldLike, Parse, TypeEntry, text_or_nested
from .numbers import decimal_value

GEOJSON_TYPES = {
    "Point": "coordinates", "MultiPoint": "coordinates", "LineString": "coordinates",
    "MultiLineString": "coordinates", "Polygon": "coordinates", "MultiPolygon": "coordinates",
    "GeometryCollection": "geometries", "Feature": "geometry", "FeatureCollection": "features",
}


def _json_kind(col: pl.Expr, kind: str) -> pl.Expr:
    """Whether each cell is JSON of the kind a field type needs (DuckDB checks the column)."""
    return col.map_batches(lambda s: _duck_check(s, kind), return_dtype=pl.Boolean)


def _duck_check(s: pl.Series, kind: str) -> pl.Series:
    import duckdb  # JSON is parsed natively over the whole column, not per row in Python

    cells = pl.DataFrame({"v": s})  # noqa: F841  (read by DuckDB's replacement scan)
    j = "try_cast(v as json)"
    num = "(try_cast(json_extract_string({0}, {1}) as double))"
    in_range = (f"abs({num.format('j', repr('$[0]'))}) <= 180 and "
                f"abs({num.format('j', repr('$[1]'))}) <= 90")
    checks = {
        "object": "json_type(j) = 'OBJECT'",
        "array": "json_type(j) = 'ARRAY'",
        "geojson": "json_type(j) = 'OBJECT' and (" + " or ".join(
            f"(json_extract_string(j, '$.type') = '{t}' and json_exists(j, '$.{m}'))"
            for t, m in GEOJSON_TYPES.items()) + ")",
        "geopoint-array": f"json_type(j) = 'ARRAY' and json_array_length(j) = 2 and {in_range}",
        "geopoint-object": (
            "json_type(j) = 'OBJECT' and list_sort(json_keys(j)) = ['lat', 'lon'] and "
            f"abs({num.format('j', repr('$.lon'))}) <= 180 and "
            f"abs({num.format('j', repr('$.lat'))}) <= 90"),
    }
    sql = (f"select coalesce(json_valid(v) and ({checks[kind]}), false) as ok "
           f"from (select v, {j} as j from cells)")
    with duckdb.connect() as con:
        ok = pl.from_arrow(con.sql(sql).to_arrow_table())
    return ok.get_column("ok").alias(s.name)


def _json(kind: str) -> Parse:
    return lambda field, col: pl.when(_json_kind(col, kind)).then(col)


def _geopoint(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """frictionless: 'lon, lat' (Decimal each), [lon, lat] or {"lon":…, "lat":…}, in range."""
    fmt = field.format or "default"
    if fmt in ("array", "object"):
        return pl.when(_json_kind(col, f"geopoint-{fmt}")).then(col)
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


OBJECT = TypeEntry("object", _json("object"), describe=lambda f: "a JSON object",
                   accepts=text_or_nested, constraints=LENGTHS)
ARRAY = TypeEntry("array", _json("array"), describe=lambda f: "a JSON array",
                  accepts=text_or_nested, constraints=LENGTHS)
GEOJSON = TypeEntry("geojson", _json("geojson"), describe=lambda f: "a GeoJSON object",
                    accepts=text_or_nested)
GEOPOINT = TypeEntry(
    "geopoint", _geopoint, accepts=text_or_nested,
    describe=lambda f: {"array": "[lon, lat]", "object": '{"lon": x, "lat": y}'}.get(
        f.format or "default", "'lon, lat'"))
