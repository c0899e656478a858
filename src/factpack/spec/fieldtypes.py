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

# The patterns follow what frictionless-py 5.21 accepts (it parses with Python:
# int(), Decimal(), strptime, dateutil's isoparse, isodate, json.loads), so that
# both tools judge a cell alike. Where Python is lenient, so is factpack.
EMAIL = (r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
         r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
URI = r"^[A-Za-z][A-Za-z0-9+.\-]*:"  # rfc3986 (frictionless) requires a scheme, little else
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
DIGITS = r"[0-9](?:_?[0-9])*"  # Python's int()/Decimal() take "_" between digits: 2020_10
INTEGER = rf"^[+-]?{DIGITS}$"
# Decimal() (numbers, geopoints) drops every "_" first, then reads this:
DECIMAL = (r"^[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
           r"|(?i:inf|infinity|s?nan[0-9]*))$")
DURATION = (  # isodate's ISO 8601 period pattern
    r"^[+-]?P(?:[0-9]+(?:[,.][0-9]+)?Y)?(?:[0-9]+(?:[,.][0-9]+)?M)?(?:[0-9]+(?:[,.][0-9]+)?W)?"
    r"(?:[0-9]+(?:[,.][0-9]+)?D)?(?:T(?:[0-9]+(?:[,.][0-9]+)?H)?(?:[0-9]+(?:[,.][0-9]+)?M)?"
    r"(?:[0-9]+(?:[,.][0-9]+)?S)?)?$"
)
DURATION_ALT = r"^[+-]?P[0-9]{4}-?[0-9]{2}-?[0-9]{2}T[0-9]{2}:?[0-9]{2}:?[0-9]{2}$"
TZ = r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
CLOCK = r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.,][0-9]+)?|24:00:00(?:[.,]0+)?)"
TIME_ISO = rf"^{CLOCK}{TZ}?$"
DATETIME_ISO = rf"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}.{CLOCK}{TZ}?$"
NUMERIC = {"integer", "number", "year"}
TEMPORAL = {"date", "time", "datetime", "yearmonth"}
GEOJSON_TYPES = {
    "Point": "coordinates", "MultiPoint": "coordinates", "LineString": "coordinates",
    "MultiLineString": "coordinates", "Polygon": "coordinates", "MultiPolygon": "coordinates",
    "GeometryCollection": "geometries", "Feature": "geometry", "FeatureCollection": "features",
}


def _bare(col: pl.Expr) -> pl.Expr:
    """``bareNumber: false``: drop leading text up to a digit or '-', and trailing non-digits."""
    return col.str.replace(r"^[^\-0-9]*", "").str.replace(r"[^0-9]*$", "")


def _strftime_to_polars(fmt: str) -> str:
    """Table Schema uses Python strptime patterns; polars (chrono) takes nearly the same."""
    return fmt.replace("%f", "%.f") if "%.f" not in fmt else fmt


def _decimal_value(text: pl.Expr) -> pl.Expr:
    """Float of a Decimal()-valid text (underscores dropped, Infinity/NaN spelled for polars)."""
    t = text.str.replace_all("_", "", literal=True)
    t = t.str.replace(r"^([+-]?)(?i:inf|infinity)$", "${1}inf").str.replace(r"^[+-]?(?i:s?nan[0-9]*)$", "NaN")
    return t.cast(pl.Float64, strict=False)


def _uuid_ok(col: pl.Expr) -> pl.Expr:
    """Python's uuid.UUID(): drops 'urn:', 'uuid:', braces and hyphens, then 32 hex digits."""
    hexes = (col.str.replace_all("urn:", "", literal=True).str.replace_all("uuid:", "", literal=True)
             .str.strip_chars("{}").str.replace_all("-", "", literal=True))
    return hexes.str.contains(r"^[0-9A-Fa-f]{32}$")


def _clock(text: pl.Expr) -> pl.Expr:
    """HH:MM:SS[.f] of an ISO time (24:00:00 read as 00:00:00, as dateutil does)."""
    core = text.str.extract(r"^([0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?)", 1)
    return core.str.replace(",", ".", literal=True).str.replace(r"^24:", "00:")


def parse(field: Field, col: pl.Expr) -> pl.Expr:
    """Typed value of a text column, null where a cell does not conform to the field type."""
    t, fmt = field.type, (field.format or "default")
    if t == "string":
        if fmt == "uuid":
            return pl.when(_uuid_ok(col)).then(col)
        if fmt == "binary":  # b64decode drops characters outside the alphabet first
            return pl.when(col.str.replace_all(r"[^A-Za-z0-9+/=]", "").str.contains(BASE64)).then(col)
        pattern = {"email": EMAIL, "uri": URI}.get(fmt)
        return col if pattern is None else pl.when(col.str.contains(pattern)).then(col)
    if t == "integer":  # frictionless applies bareNumber to integers, but not groupChar
        text = col.str.strip_chars()
        if not field.bareNumber:
            text = _bare(text)
        return pl.when(text.str.contains(INTEGER)).then(
            text.str.replace_all("_", "", literal=True).cast(pl.Int64, strict=False))
    if t == "number":
        text = col.str.strip_chars()
        if field.model_fields_set & {"groupChar", "decimalChar", "bareNumber"}:
            if not field.bareNumber:
                text = _bare(text)
            if field.groupChar:
                text = text.str.replace_all(field.groupChar, "", literal=True)
            if field.decimalChar != ".":
                text = pl.when(text.str.contains(".", literal=True)).then(None).otherwise(
                    text.str.replace_all(field.decimalChar, ".", literal=True))
        text = text.str.strip_chars().str.replace_all("_", "", literal=True)
        return pl.when(text.str.contains(DECIMAL)).then(_decimal_value(text))
    if t == "boolean":
        return (pl.when(col.is_in(field.trueValues)).then(pl.lit(True))
                .when(col.is_in(field.falseValues)).then(pl.lit(False)))
    if t == "date":
        if fmt == "default":  # strptime("%Y-%m-%d") takes one-digit months and days, and
            # so does polars; the pattern keeps out what strptime refuses (" 2020-01-05")
            ok = col.str.contains(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")
            return pl.when(ok).then(col.str.to_date("%Y-%m-%d", strict=False))
        if fmt == "any":
            return col.str.to_date(strict=False)
        return col.str.to_date(_strftime_to_polars(fmt), strict=False)
    if t == "time":
        if fmt == "default":
            return pl.when(col.str.contains(TIME_ISO)).then(
                _clock(col).str.to_time("%H:%M:%S%.f", strict=False))
        if fmt == "any":
            return col.str.to_time(strict=False)
        return col.str.to_time(_strftime_to_polars(fmt), strict=False)
    if t == "datetime":
        if fmt == "default":
            return _iso_datetime(col)
        if fmt == "any":
            return col.str.to_datetime(strict=False)
        return col.str.to_datetime(_strftime_to_polars(fmt), strict=False)
    if t == "year":  # frictionless: four characters, int() of them, 0..9999
        value = col.str.strip_chars().str.replace_all("_", "", literal=True).cast(pl.Int64, strict=False)
        ok = (col.str.len_chars() == 4) & col.str.contains(rf"^\s*[+-]?{DIGITS}\s*$")
        return pl.when(ok & value.is_between(0, 9999)).then(value)
    if t == "yearmonth":  # frictionless: "Y-M" split on '-', int() of each, month 1..12
        parts = col.str.extract_groups(rf"^(\s*\+?{DIGITS}\s*)-(\s*\+?{DIGITS}\s*)$")
        year = parts.struct.field("1").str.strip_chars().str.replace_all("_", "", literal=True)
        month = parts.struct.field("2").str.strip_chars().str.replace_all("_", "", literal=True)
        y, m = year.cast(pl.Int32, strict=False), month.cast(pl.Int8, strict=False)
        # any year int() reads is accepted; the stored date needs one polars can hold
        return pl.when(m.is_between(1, 12) & y.is_not_null()).then(
            pl.date(y.clip(1, 200_000), m, 1))
    if t == "duration":
        ok = (col.str.contains(DURATION) & col.str.contains(r"^[+-]?P[0-9T]")) | col.str.contains(
            DURATION_ALT)
        return pl.when(ok).then(col)
    if t == "geopoint":
        return pl.when(_geopoint_ok(fmt, col)).then(col)
    if t in ("object", "geojson", "array"):
        return pl.when(_json_kind(col, t)).then(col)
    if t == "list":
        return _list(field, col)
    return col  # any


def fast(field: Field, col: pl.Expr) -> pl.Expr | None:
    """A cheaper parse that is right wherever it gives a value, for the common case.

    Polars' own cast takes plain numbers ("42", "-3.5", "1e5", "inf") and nothing
    :func:`parse` refuses (checked by tests/test_table.py); the rarer spellings
    Python takes ("1_000", " 7 ", "snan") come back null and go to :func:`parse`.
    None: no fast path for this field.
    """
    if field.type == "integer" and field.bareNumber:
        return col.cast(pl.Int64, strict=False)
    if field.type == "number" and not field.model_fields_set & {"groupChar", "decimalChar",
                                                                 "bareNumber"}:
        return col.cast(pl.Float64, strict=False)
    return None


def parse_frame(fields: list[Field], frame: pl.DataFrame) -> pl.DataFrame:
    """Every field's typed column (columns named like the fields), as :func:`parse` gives.

    One select runs the fast path where there is one (polars runs the columns in
    parallel); only the cells it leaves null that are not empty go through the
    full parse, so valid data never pays for the rare spellings.
    """
    quick = {f.name: fast(f, pl.col(f.name)) for f in fields}
    out = frame.select([(quick[f.name] if quick[f.name] is not None
                         else parse(f, pl.col(f.name))).alias(f.name) for f in fields])
    for f in fields:
        typed = out.get_column(f.name)
        if quick[f.name] is None or typed.null_count() == frame.get_column(f.name).null_count():
            continue
        cells = frame.get_column(f.name)
        left = cells.is_not_null() & typed.is_null()
        slow = cells.filter(left).to_frame().select(parse(f, pl.col(f.name))).to_series()
        out = out.with_columns(typed.scatter(left.arg_true(), slow))
    return out


def _iso_datetime(col: pl.Expr) -> pl.Expr:
    """dateutil's isoparse as frictionless calls it; offsets are applied (values in UTC)."""
    ok = col.str.contains(DATETIME_ISO)
    day = col.str.slice(0, 10)
    rest = col.str.slice(11)
    clock = _clock(rest)
    tz = rest.str.extract(rf"({TZ})$", 1)
    tz = tz.str.replace(r"^Z$", "+00:00").str.replace(r"^([+-][0-9]{2})$", "${1}00")
    text = day + "T" + clock
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)
    aware = ((text + tz).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", strict=False)
             .dt.replace_time_zone(None))
    value = pl.when(tz.is_not_null()).then(aware).otherwise(naive)
    value = pl.when(rest.str.starts_with("24:")).then(value + pl.duration(days=1)).otherwise(value)
    return pl.when(ok).then(value)


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


def _geopoint_ok(fmt: str, col: pl.Expr) -> pl.Expr:
    """frictionless: 'lon, lat' (Decimal each), [lon, lat] or {"lon":…, "lat":…}, in range."""
    if fmt in ("array", "object"):
        return _json_kind(col, f"geopoint-{fmt}")
    finite = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
    parts = col.str.extract_groups(r"^([^,]*),([^,]*)$")
    lon = parts.struct.field("1").str.strip_chars().str.replace_all("_", "", literal=True)
    lat = parts.struct.field("2").str.strip_chars().str.replace_all("_", "", literal=True)
    ok = lon.str.contains(finite) & lat.str.contains(finite)
    return ok & _decimal_value(lon).abs().le(180) & _decimal_value(lat).abs().le(90)


def _list(field: Field, col: pl.Expr) -> pl.Expr:
    items = col.str.split(field.delimiter)
    if field.itemType in (None, "string", "any"):
        return items
    item = Field(name="item", type=field.itemType)
    bad = items.list.eval(parse(item, pl.element()).is_null()).list.any()
    return pl.when(~bad).then(items)


# Types whose typed values are equal exactly when their text forms are: their keys are
# kept typed (an 8-byte integer or 4-byte date instead of a 16-byte string view).
EXACT = {"string", "integer", "boolean", "date", "time", "datetime", "year", "yearmonth"}


def canonical(field: Field, parsed: pl.Expr) -> pl.Expr:
    """A key value: two cells are the same key when these are equal.

    Typed where equal values mean equal text; text for numbers (so -0.0 and 0.0 stay
    apart and NaN equals NaN, by their text) and lists. Keys of two fields of other
    types are compared as text (:func:`factpack.table.check_foreign_keys`).
    """
    if field.type == "list":
        return parsed.list.join(field.delimiter)
    if field.type in EXACT:
        return parsed
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
