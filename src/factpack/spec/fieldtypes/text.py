"""``string`` (with its formats email, uri, uuid, binary) and ``any``."""

from __future__ import annotations

import polars as pl

from .base import LENGTHS, FieldLike, TypeEntry, typed_key

# The patterns follow what frictionless-py 5.21 accepts (it parses with Python), so
# that both tools judge a cell alike. Where Python is lenient, so is factpack.
EMAIL = (r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
         r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
URI = r"^[A-Za-z][A-Za-z0-9+.\-]*:"  # rfc3986 (frictionless) requires a scheme, little else
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _uuid_ok(col: pl.Expr) -> pl.Expr:
    """Python's uuid.UUID(): drops 'urn:', 'uuid:', braces and hyphens, then 32 hex digits."""
    hexes = (col.str.replace_all("urn:", "", literal=True).str.replace_all("uuid:", "", literal=True)
             .str.strip_chars("{}").str.replace_all("-", "", literal=True))
    return hexes.str.contains(r"^[0-9A-Fa-f]{32}$")


def _string(field: FieldLike, col: pl.Expr) -> pl.Expr:
    fmt = field.format or "default"
    if fmt == "uuid":
        return pl.when(_uuid_ok(col)).then(col)
    if fmt == "binary":  # b64decode drops characters outside the alphabet first
        return pl.when(col.str.replace_all(r"[^A-Za-z0-9+/=]", "").str.contains(BASE64)).then(col)
    pattern = {"email": EMAIL, "uri": URI}.get(fmt)
    return col if pattern is None else pl.when(col.str.contains(pattern)).then(col)


STRING = TypeEntry(
    "string", _string,
    describe=lambda f: {"email": "an email address", "uri": "a URI such as https://example.org",
                        "uuid": "a UUID", "binary": "base64 text"}.get(f.format or "default",
                                                                        "text"),
    accepts=lambda d: d == pl.String or isinstance(d, (pl.Categorical, pl.Enum)),
    constraints=(*LENGTHS, "pattern"), key=typed_key, family="text",
    length=lambda v: v.str.len_chars())

ANY = TypeEntry("any", lambda f, col: col, describe=lambda f: "any", accepts=lambda d: True,
                family="text")
