"""``date``, ``time``, ``datetime``, ``year``, ``yearmonth`` and ``duration``, read as
frictionless-py 5.21 reads them (strptime, dateutil's isoparse, int(), isodate)."""

from __future__ import annotations

import polars as pl

from . import fallback
from .base import BOUNDS, FieldLike, TypeEntry, strftime_to_polars, typed_key
from .numbers import DIGITS, ascii_digits

PERIOD = (  # isodate's ISO 8601 period pattern
    r"^[+-]?P(?:[0-9]+(?:[,.][0-9]+)?Y)?(?:[0-9]+(?:[,.][0-9]+)?M)?(?:[0-9]+(?:[,.][0-9]+)?W)?"
    r"(?:[0-9]+(?:[,.][0-9]+)?D)?(?:T(?:[0-9]+(?:[,.][0-9]+)?H)?(?:[0-9]+(?:[,.][0-9]+)?M)?"
    r"(?:[0-9]+(?:[,.][0-9]+)?S)?)?$"
)
PERIOD_ALT = r"^[+-]?P[0-9]{4}-?[0-9]{2}-?[0-9]{2}T[0-9]{2}:?[0-9]{2}:?[0-9]{2}$"
TZ = r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)"
CLOCK = r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.,][0-9]+)?|24:00:00(?:[.,]0+)?)"
TIME_ISO = rf"^{CLOCK}{TZ}?$"
DATETIME_ISO = rf"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}.{CLOCK}{TZ}?$"


def _clock(text: pl.Expr) -> pl.Expr:
    """HH:MM:SS[.f] of an ISO time (24:00:00 read as 00:00:00, as dateutil does)."""
    core = text.str.extract(r"^([0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?)", 1)
    return core.str.replace(",", ".", literal=True).str.replace(r"^24:", "00:")


def _date(field: FieldLike, col: pl.Expr) -> pl.Expr:
    fmt = field.format or "default"
    if fmt == "default":  # strptime("%Y-%m-%d") takes one-digit months and days, and
        # so does polars; the pattern keeps out what strptime refuses (" 2020-01-05")
        ok = col.str.contains(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")
        return pl.when(ok).then(col.str.to_date("%Y-%m-%d", strict=False))
    if fmt == "any":
        iso = pl.when(col.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")).then(
            col.str.to_date("%Y-%m-%d", strict=False))
        return fallback.by_distinct(col, fallback.dateutil_reader("date"), pl.Date(), iso)
    return _strptime(col, fmt, "date")


def _time(field: FieldLike, col: pl.Expr) -> pl.Expr:
    fmt = field.format or "default"
    if fmt == "default":
        return _iso_time(col)
    if fmt == "any":
        return fallback.by_distinct(col, fallback.dateutil_reader("time"), pl.Time(),
                                    _iso_time(col))
    return _strptime(col, fmt, "time")


def _iso_time(col: pl.Expr) -> pl.Expr:
    return pl.when(col.str.contains(TIME_ISO)).then(
        _clock(col).str.to_time("%H:%M:%S%.f", strict=False))


def _datetime(field: FieldLike, col: pl.Expr) -> pl.Expr:
    fmt = field.format or "default"
    if fmt == "default":
        return _iso_datetime(col)
    if fmt == "any":
        return fallback.by_distinct(col, fallback.dateutil_reader("datetime"),
                                    pl.Datetime("us"), _iso_datetime(col))
    return _strptime(col, fmt, "datetime")


DTYPES = {"date": pl.Date(), "time": pl.Time(), "datetime": pl.Datetime("us")}


def _strptime(col: pl.Expr, fmt: str, kind: str) -> pl.Expr:
    """``datetime.strptime(cell, fmt)``: polars parses the cells that match strptime's own
    regex for the format (so ``%Y`` is four digits, ``%B`` a full month name); the cells it
    cannot (``Z`` for ``%z``, a space-padded day…) go to strptime itself."""
    regex = fallback.strptime_regex(fmt)
    if regex is None:  # strptime refuses the format: no cell is valid
        return pl.lit(None, DTYPES[kind])
    quick = _polars_strptime(col, fmt, kind) if _complete(fmt, kind) else None
    if quick is not None and _rust_ok(regex):
        quick = pl.when(col.str.contains(regex)).then(quick)
    else:
        quick = None
    return fallback.by_distinct(col, fallback.strptime_reader(kind, fmt), DTYPES[kind], quick)


def _polars_strptime(col: pl.Expr, fmt: str, kind: str) -> pl.Expr | None:
    """polars' parse of ``fmt``, or None where polars does not take the format."""
    def parse(text: pl.Expr) -> pl.Expr:
        pfmt = strftime_to_polars(fmt)
        if fmt.endswith("%z"):  # strptime's %z takes Z for UTC, chrono's does not
            text = text.str.replace(r"[Zz]$", "+0000")
        if kind == "date":
            return text.str.to_date(pfmt, strict=False)
        if kind == "time":
            return text.str.to_time(pfmt, strict=False)
        if "%z" in fmt:
            return (text.str.to_datetime(pfmt, time_unit="us", time_zone="UTC", strict=False)
                    .dt.replace_time_zone(None))
        return text.str.to_datetime(pfmt, time_unit="us", strict=False)

    try:
        pl.select(parse(pl.lit("1", pl.String)))
    except Exception:  # noqa: BLE001 - polars refuses this format: strptime alone reads it
        return None
    return parse(col)


def _complete(fmt: str, kind: str) -> bool:
    """Whether ``fmt`` names every part polars needs (else strptime's defaults apply:
    the year 1900, January, the first)."""
    has = {d: f"%{d}" in fmt for d in "YymbBdHI"}
    if kind == "time":
        return has["H"] or has["I"]
    return (has["Y"] or has["y"]) and (has["m"] or has["b"] or has["B"]) and has["d"]


def _rust_ok(regex: str) -> bool:
    try:
        pl.select(pl.lit("").str.contains(regex))
    except pl.exceptions.PolarsError:
        return False
    return True


def _iso_datetime(col: pl.Expr) -> pl.Expr:
    """dateutil's isoparse as frictionless calls it; offsets are applied (values in UTC)."""
    ok = col.str.contains(DATETIME_ISO)
    day = col.str.slice(0, 10)
    rest = col.str.slice(11)
    clock = _clock(rest)
    tz = rest.str.extract(rf"({TZ})$", 1)
    tz = tz.str.replace(r"^[Zz]$", "+00:00").str.replace(r"^([+-][0-9]{2})$", "${1}00")
    text = day + "T" + clock
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)
    aware = ((text + tz).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", strict=False)
             .dt.replace_time_zone(None))
    value = pl.when(tz.is_not_null()).then(aware).otherwise(naive)
    value = pl.when(rest.str.starts_with("24:")).then(value + pl.duration(days=1)).otherwise(value)
    return pl.when(ok).then(value)


def _year(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """frictionless: four characters, int() of them, 0..9999."""
    length, col = col.str.len_chars(), ascii_digits(col)
    value = col.str.strip_chars().str.replace_all("_", "", literal=True).cast(pl.Int64, strict=False)
    ok = (length == 4) & col.str.contains(rf"^\s*[+-]?{DIGITS}\s*$")
    return pl.when(ok & value.is_between(0, 9999)).then(value)


def _yearmonth(field: FieldLike, col: pl.Expr) -> pl.Expr:
    """frictionless: "Y-M" split on '-', int() of each, month 1..12."""
    col = ascii_digits(col)
    parts = col.str.extract_groups(rf"^(\s*\+?{DIGITS}\s*)-(\s*\+?{DIGITS}\s*)$")
    year = parts.struct.field("1").str.strip_chars().str.replace_all("_", "", literal=True)
    month = parts.struct.field("2").str.strip_chars().str.replace_all("_", "", literal=True)
    y, m = year.cast(pl.Int32, strict=False), month.cast(pl.Int8, strict=False)
    # any year int() reads is accepted; the stored date needs one polars can hold
    return pl.when(m.is_between(1, 12) & y.is_not_null()).then(pl.date(y.clip(1, 200_000), m, 1))


def _duration(field: FieldLike, col: pl.Expr) -> pl.Expr:
    ok = (col.str.contains(PERIOD) & col.str.contains(r"^[+-]?P[0-9T]")) | col.str.contains(
        PERIOD_ALT)
    return pl.when(ok).then(col)


def _as(what: str, iso: str):
    """describe(): the ISO form unless the field gives its own format."""
    return lambda f: (f"{what} as {iso}" if (f.format or "default") in ("default", "any")
                      else f"{what} as {f.format}")


DATE = TypeEntry(
    "date", _date, describe=_as("a date", "YYYY-MM-DD"), accepts=lambda d: d == pl.Date,
    constraints=BOUNDS, key=typed_key, polars=pl.Date(), parquet="date32")

TIME = TypeEntry(
    "time", _time, describe=_as("a time", "HH:MM:SS"),
    accepts=lambda d: d in (pl.String, pl.Time), constraints=BOUNDS, key=typed_key)

DATETIME = TypeEntry(
    "datetime", _datetime, describe=_as("a datetime", "YYYY-MM-DDTHH:MM:SS[Z]"),
    accepts=lambda d: d == pl.String or isinstance(d, pl.Datetime), constraints=BOUNDS,
    key=typed_key)

# Stored as text: frictionless-py 5.21 rejects an int64 cell as a year.
YEAR = TypeEntry(
    "year", _year, describe=lambda f: "a year such as 2025",
    accepts=lambda d: d == pl.String or d.is_integer(), constraints=BOUNDS, key=typed_key,
    family="number")

YEARMONTH = TypeEntry(
    "yearmonth", _yearmonth, describe=lambda f: "a year and month as YYYY-MM",
    accepts=lambda d: d in (pl.String, pl.Date), constraints=BOUNDS, key=typed_key)

DURATION = TypeEntry(
    "duration", _duration, describe=lambda f: "an ISO 8601 duration such as P1Y2M",
    accepts=lambda d: d == pl.String or isinstance(d, pl.Duration))
