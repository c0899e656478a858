"""Table Schema field types as polars expressions over a column of text cells.

``parse(field, col)`` returns an expression giving the typed value (null where the
cell does not parse) and the set of cells that are invalid is then
``col.is_not_null() & parsed.is_null()``. Everything is vectorised; no Python runs
per row.
"""

from __future__ import annotations

import re

import polars as pl

from .models import Field

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URI = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$"
UUID = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# Python int() (which frictionless uses) also takes "_" between digits: 2020_10 is 202010
INTEGER = r"^[+-]?[0-9](?:_?[0-9])*$"
NUMBER = r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|INF|Inf|inf|nan)$"
DURATION = (
    r"^P(?:(?:[0-9]+(?:\.[0-9]+)?Y)?(?:[0-9]+(?:\.[0-9]+)?M)?(?:[0-9]+(?:\.[0-9]+)?W)?"
    r"(?:[0-9]+(?:\.[0-9]+)?D)?(?:T(?:[0-9]+(?:\.[0-9]+)?H)?(?:[0-9]+(?:\.[0-9]+)?M)?"
    r"(?:[0-9]+(?:\.[0-9]+)?S)?)?)$"
)
TIME_ISO = r"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
DATETIME_ISO = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
NUMERIC = {"integer", "number", "year"}
TEMPORAL = {"date", "time", "datetime", "yearmonth"}


def _strip_bare(col: pl.Expr) -> pl.Expr:
    """``bareNumber: false`` allows leading/trailing non-numeric text such as currency or %."""
    return col.str.replace(r"^[^0-9+\-.]*", "").str.replace(r"[^0-9.eE]*$", "")


def _number_text(field: Field, col: pl.Expr) -> pl.Expr:
    text = col.str.strip_chars()
    if field.groupChar:
        text = text.str.replace_all(field.groupChar, "", literal=True)
    if field.type == "number" and field.decimalChar != ".":
        text = text.str.replace_all(".", "\x00", literal=True)  # a stray '.' must not parse
        text = text.str.replace_all(field.decimalChar, ".", literal=True)
    if not field.bareNumber:
        text = _strip_bare(text)
    return text


def _strftime_to_polars(fmt: str) -> str:
    """Table Schema uses Python strptime patterns; polars (chrono) takes nearly the same."""
    return fmt.replace("%f", "%.f") if "%.f" not in fmt else fmt


def parse(field: Field, col: pl.Expr) -> pl.Expr:
    """Typed value of a text column, null where a cell does not conform to the field type."""
    t, fmt = field.type, (field.format or "default")
    if t == "string":
        pattern = {"email": EMAIL, "uri": URI, "uuid": UUID, "binary": BASE64}.get(fmt)
        return col if pattern is None else pl.when(col.str.contains(pattern)).then(col)
    if t == "integer":
        text = _number_text(field, col)
        return pl.when(text.str.contains(INTEGER)).then(
            text.str.replace_all("_", "", literal=True).cast(pl.Int64, strict=False))
    if t == "number":
        text = _number_text(field, col)
        return pl.when(text.str.contains(NUMBER)).then(
            text.str.replace(r"^(?:INF|Inf)$", "inf").str.replace(r"^-(?:INF|Inf)$", "-inf")
            .cast(pl.Float64, strict=False))
    if t == "boolean":
        return (pl.when(col.is_in(field.trueValues)).then(pl.lit(True))
                .when(col.is_in(field.falseValues)).then(pl.lit(False)))
    if t == "date":
        if fmt in ("default", "any"):
            ok = col.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
            return pl.when(ok).then(col.str.to_date("%Y-%m-%d", strict=False))
        return col.str.to_date(_strftime_to_polars(fmt), strict=False)
    if t == "time":
        if fmt in ("default", "any"):
            return pl.when(col.str.contains(TIME_ISO)).then(
                col.str.slice(0, 8).str.to_time("%H:%M:%S", strict=False))
        return col.str.to_time(_strftime_to_polars(fmt), strict=False)
    if t == "datetime":
        if fmt in ("default", "any"):
            ok = col.str.contains(DATETIME_ISO)
            # an offset is applied (the value is kept in UTC) so that equal instants compare
            # equal in keys, as Python's aware datetimes do in frictionless
            aware = (col.str.replace(r"Z$", "+00:00")
                     .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", strict=False)
                     .dt.replace_time_zone(None))
            naive = col.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)
            has_tz = col.str.contains(r"(Z|[+-][0-9]{2}:?[0-9]{2})$")
            return pl.when(ok & has_tz).then(aware).when(ok).then(naive)
        return col.str.to_datetime(_strftime_to_polars(fmt), strict=False)
    if t == "year":
        return pl.when(col.str.contains(r"^[0-9]{4}$")).then(col.cast(pl.Int64, strict=False))
    if t == "yearmonth":
        ok = col.str.contains(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
        return pl.when(ok).then(col.str.to_date("%Y-%m", strict=False))
    if t == "duration":
        return pl.when(col.str.contains(DURATION) & (col != "P") & ~col.str.ends_with("T")).then(col)
    if t == "geopoint":
        return pl.when(_geopoint_ok(fmt, col)).then(col)
    if t in ("object", "geojson"):
        return pl.when(col.str.contains(r"^\s*\{[\s\S]*\}\s*$") & _json_ok(col)).then(col)
    if t == "array":
        return pl.when(col.str.contains(r"^\s*\[[\s\S]*\]\s*$") & _json_ok(col)).then(col)
    if t == "list":
        return _list(field, col)
    return col  # any


def _json_ok(col: pl.Expr) -> pl.Expr:
    """Whether each cell is valid JSON (polars decodes the column natively)."""
    return col.map_batches(_json_valid_batch, return_dtype=pl.Boolean)


def _json_valid_batch(s: pl.Series) -> pl.Series:
    import duckdb  # json_valid runs natively over the whole column

    cells = pl.DataFrame({"v": s})  # noqa: F841  (read by DuckDB's replacement scan)
    with duckdb.connect() as con:
        ok = pl.from_arrow(con.sql(
            "select coalesce(json_valid(v), false) as ok from cells").to_arrow_table())
    return ok.get_column("ok").alias(s.name)


def _geopoint_ok(fmt: str, col: pl.Expr) -> pl.Expr:
    num = r"\s*[+-]?[0-9]+(?:\.[0-9]+)?\s*"
    if fmt == "array":
        m = col.str.extract_groups(rf"^\s*\[({num}),({num})\]\s*$")
    elif fmt == "object":
        m = col.str.extract_groups(
            rf'^\s*\{{\s*"lon"\s*:({num}),\s*"lat"\s*:({num})\}}\s*$')
    else:
        m = col.str.extract_groups(rf"^({num}),({num})$")
    lon = m.struct.field("1").str.strip_chars().cast(pl.Float64, strict=False)
    lat = m.struct.field("2").str.strip_chars().cast(pl.Float64, strict=False)
    return lon.is_between(-180, 180) & lat.is_between(-90, 90)


def _list(field: Field, col: pl.Expr) -> pl.Expr:
    items = col.str.split(field.delimiter)
    if field.itemType in (None, "string", "any"):
        return items
    item = Field(name="item", type=field.itemType)
    bad = items.list.eval(parse(item, pl.element()).is_null()).list.any()
    return pl.when(~bad).then(items)


def canonical(field: Field, parsed: pl.Expr) -> pl.Expr:
    """A text form of a typed value, for comparing keys across tables."""
    if field.type == "list":
        return parsed.list.join(field.delimiter)
    return parsed.cast(pl.String)


def constraint_value(field: Field, value: object) -> pl.Expr:
    """A constraint's value (from JSON) as a literal comparable with the parsed column."""
    # frictionless reads a bound like a cell of the field, so "-99.99" works as well as -99.99
    text = value if isinstance(value, str) else json_text(value)
    return parse(field, pl.lit(text, pl.String))


def json_text(value: object) -> str:
    """A JSON scalar as the text a CSV cell would hold (true → 'true', 1.0 → '1.0')."""
    import json

    return json.dumps(value) if isinstance(value, bool) else str(value)


def describe(field: Field) -> str:
    """What a valid cell looks like, for messages."""
    t, fmt = field.type, field.format or "default"
    hints = {
        "integer": "a whole number such as 42",
        "number": f"a number such as 3{field.decimalChar}14",
        "boolean": f"one of {', '.join(field.trueValues + field.falseValues)}",
        "date": "a date as YYYY-MM-DD" if fmt in ("default", "any") else f"a date as {fmt}",
        "time": "a time as HH:MM:SS" if fmt in ("default", "any") else f"a time as {fmt}",
        "datetime": "a datetime as YYYY-MM-DDTHH:MM:SS[Z]" if fmt in ("default", "any")
        else f"a datetime as {fmt}",
        "year": "a year such as 2025",
        "yearmonth": "a year and month as YYYY-MM",
        "duration": "an ISO 8601 duration such as P1Y2M",
        "geopoint": {"array": "[lon, lat]", "object": '{"lon": x, "lat": y}'}.get(fmt, "'lon, lat'"),
        "object": "a JSON object",
        "geojson": "a GeoJSON object",
        "array": "a JSON array",
        "list": f"items separated by '{field.delimiter}'",
    }
    if t == "string":
        return {"email": "an email address", "uri": "a URI such as https://example.org",
                "uuid": "a UUID", "binary": "base64 text"}.get(fmt, "text")
    return hints.get(t, t)


def regex_ok(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
