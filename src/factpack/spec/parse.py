"""Descriptors read from a built package (JSON already loaded) parsed into the spec models.

What diff and load read once and then work on: the package (:class:`Package`) and each
table's schema (:class:`Schema`). A descriptor that does not fit the model is unusable
input, named with the first property that is wrong.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..core.errors import FactpackError
from .models import Package, Schema

M = TypeVar("M", bound=BaseModel)


def first_problem(exc: ValidationError) -> str:
    """``loc: message`` of the first thing pydantic found wrong."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"{loc}: {first['msg']}" if loc else first["msg"]


def parse(model: type[M], data: Any, where: str, what: str) -> M:
    """``data`` as ``model``, or a :class:`FactpackError`: "WHERE: not WHAT (loc: message)"."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FactpackError(f"{where}: not {what} ({first_problem(exc)})") from None


def parse_package(data: Any, where: str) -> Package:
    """A ``datapackage.json`` as the Data Package model."""
    return parse(Package, data, where, "a data package")


def parse_schema(data: Any, where: str) -> Schema:
    """A resource's ``schema`` (inline) as the Table Schema model."""
    return parse(Schema, data or {}, where, "a Table Schema")
