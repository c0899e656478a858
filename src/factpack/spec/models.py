"""Pydantic models that mirror the Frictionless specs (Table Schema, Dialect, Data Package).

Validation layer 1 parses every descriptor into these models. Unknown properties
are kept in ``model_extra`` so that :func:`unknown_properties` can report them:
factpack's own schemas and ``dataset.yaml`` are strict (a typo such as
``requried`` is an error), while third-party descriptors may carry custom
properties as the specs allow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, field_validator, model_validator
from pydantic import Field as PydField

from .fieldtypes import TYPES

FIELD_TYPES = tuple(TYPES)  # the registry's types, in the spec's order
FieldType = Literal[FIELD_TYPES]  # type: ignore[valid-type]


class Spec(BaseModel):
    """Base: keep unknown properties (reported by :func:`unknown_properties`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Constraints(Spec):
    # strict, as frictionless's profile: "true" or 1 is not a boolean, 2.5 not a length
    required: StrictBool | None = None
    unique: StrictBool | None = None
    minLength: StrictInt | None = None
    maxLength: StrictInt | None = None
    minimum: Any = None
    maximum: Any = None
    exclusiveMinimum: Any = None
    exclusiveMaximum: Any = None
    pattern: str | None = None
    enum: list[Any] | None = None
    jsonSchema: dict[str, Any] | None = None


def _missing_values(v: Any) -> Any:
    """Data Package v2 allows ``{"value": "-", "label": "not asked"}`` entries: keep the value."""
    if isinstance(v, list):
        return [e.get("value") if isinstance(e, dict) else e for e in v]
    return v


class Field(Spec):
    name: str
    type: FieldType = "any"
    format: str | None = None
    title: str | None = None
    description: str | None = None
    example: Any = None
    constraints: Constraints = PydField(default_factory=Constraints)
    missingValues: list[str] | None = None
    rdfType: str | None = None
    categories: list[Any] | None = None
    categoriesOrdered: bool | None = None
    arrayItem: dict[str, Any] | None = None  # v2: the field each item of an array is read as
    # number / integer
    decimalChar: str = "."
    groupChar: str | None = None
    bareNumber: bool = True
    # boolean
    trueValues: list[str] = PydField(default_factory=lambda: ["true", "True", "TRUE", "1"])
    falseValues: list[str] = PydField(default_factory=lambda: ["false", "False", "FALSE", "0"])
    # list
    delimiter: str = ","
    itemType: str | None = None
    # factpack's one extension: a text field whose values may start like a formula
    allowFormulaPrefix: bool | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _default_type(cls, v: Any) -> Any:
        return "any" if v is None else v

    _mv = field_validator("missingValues", mode="before")(classmethod(
        lambda cls, v: _missing_values(v)))

    @field_validator("format", mode="before")
    @classmethod
    def _legacy_format(cls, v: Any) -> Any:
        """Table Schema v1's ``fmt:%d/%m/%Y`` is the pattern ``%d/%m/%Y`` (as frictionless)."""
        return v.replace("fmt:", "") if isinstance(v, str) and v.startswith("fmt:") else v


class Reference(Spec):
    resource: str | None = None  # None or "" is a self-reference
    fields: list[str]

    @field_validator("fields", mode="before")
    @classmethod
    def _as_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class ForeignKey(Spec):
    fields: list[str]
    reference: Reference

    @field_validator("fields", mode="before")
    @classmethod
    def _as_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _same_arity(self) -> ForeignKey:
        if len(self.fields) != len(self.reference.fields):
            raise ValueError("foreign key 'fields' and 'reference.fields' differ in length")
        return self


class Schema(Spec):
    schema_: str | None = PydField(default=None, alias="$schema")
    fields: list[Field] = PydField(default_factory=list)
    missingValues: list[str] = PydField(default_factory=lambda: [""])
    primaryKey: list[str] = PydField(default_factory=list)
    uniqueKeys: list[list[str]] = PydField(default_factory=list)
    foreignKeys: list[ForeignKey] = PydField(default_factory=list)
    fieldsMatch: Literal["exact", "equal", "subset", "superset", "partial"] = "exact"
    name: str | None = None
    title: str | None = None
    description: str | None = None
    profile: str | None = None

    _mv = field_validator("missingValues", mode="before")(classmethod(
        lambda cls, v: _missing_values(v)))

    @field_validator("primaryKey", mode="before")
    @classmethod
    def _pk_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else (v or [])

    @field_validator("uniqueKeys", mode="before")
    @classmethod
    def _uk_lists(cls, v: Any) -> Any:
        return [[k] if isinstance(k, str) else k for k in (v or [])]

    @model_validator(mode="after")
    def _keys_name_fields(self) -> Schema:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field names: {', '.join(dupes)}")
        keyed = list(self.primaryKey) + [k for uk in self.uniqueKeys for k in uk]
        keyed += [k for fk in self.foreignKeys for k in fk.fields]
        missing = sorted({k for k in keyed if k not in names})
        if missing:
            raise ValueError(f"keys name fields the schema does not have: {', '.join(missing)}")
        return self

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


class Dialect(Spec):
    """CSV Dialect (v1 flat form; frictionless-5 ``csv: {...}`` controls are flattened in).

    Strict, as frictionless-py's profile: ``header: "yes"`` is an error, not true."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, strict=True)

    schema_: str | None = PydField(default=None, alias="$schema")
    delimiter: str = ","
    lineTerminator: str | None = None
    quoteChar: str = '"'
    doubleQuote: bool = True
    escapeChar: str | None = None
    nullSequence: str | None = None
    skipInitialSpace: bool = False
    header: bool = True
    headerRows: list[int] = PydField(default_factory=lambda: [1])
    headerJoin: str = " "
    commentChar: str | None = None
    commentRows: list[int] = PydField(default_factory=list)
    caseSensitiveHeader: bool = False  # v1; frictionless-py 5.21 does not read it
    headerCase: bool = True  # v2: false compares labels with field names ignoring case
    csvddfVersion: Any = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_controls(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("csv"), dict):
            data = {**{k: v for k, v in data.items() if k != "csv"}, **data["csv"]}
        return data


class License(Spec):
    name: str | None = None
    path: str | None = None
    title: str | None = None


class Contributor(Spec):
    title: str | None = None  # frictionless-py requires no title; a dataset's own do (below)
    path: str | None = None
    email: str | None = None
    roles: list[str] = PydField(default_factory=list)
    organization: str | None = None


class Source(Spec):
    title: str | None = None  # frictionless-py requires no title; a dataset's own do (below)
    path: str | None = None
    email: str | None = None
    version: str | None = None


class Resource(Spec):
    name: str | None = None
    path: str | list[str] | None = None
    data: Any = None
    type: str | None = None
    profile: str | None = None
    format: str | None = None
    mediatype: str | None = None
    encoding: str | None = None
    compression: str | None = None
    bytes: int | None = None
    hash: str | None = None
    schema_: dict[str, Any] | str | None = PydField(default=None, alias="schema")
    dialect: dict[str, Any] | str | None = None
    title: str | None = None
    description: str | None = None
    sources: list[Source] | None = None
    licenses: list[License] | None = None

    @model_validator(mode="before")
    @classmethod
    def _url_is_path(cls, data: Any) -> Any:
        """Data Package v0's ``url`` is the ``path`` (frictionless-py reads it so)."""
        if isinstance(data, dict) and data.get("url") and data.get("path") is None \
                and data.get("data") is None:
            data = {**{k: v for k, v in data.items() if k != "url"}, "path": data["url"]}
        return data


class Package(Spec):
    schema_: str | None = PydField(default=None, alias="$schema")
    name: str | None = None
    id: str | None = None
    title: str | None = None
    description: str | None = None
    version: str | None = None
    created: str | None = None
    homepage: str | None = None
    image: str | None = None
    profile: str | None = None
    keywords: list[str] | None = None
    licenses: list[License] | None = None
    contributors: list[Contributor] | None = None
    sources: list[Source] | None = None
    resources: list[Resource]


# The models below are only for a repository's own datasets: built when first used
# (defer_build), so validating a package does not pay for them at start-up.
class TitledContributor(Contributor):
    model_config = ConfigDict(defer_build=True)

    title: str


class TitledSource(Source):
    model_config = ConfigDict(defer_build=True)

    title: str


class DatasetMeta(Spec):
    """``datasets/<name>/dataset.yaml``: package metadata; resources name tables in ``schemas/``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = PydField(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    version: str = PydField(pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
    description: str
    created: str
    homepage: str | None = None
    keywords: list[str] = PydField(default_factory=list)
    licenses: list[License] = PydField(min_length=1)
    contributors: list[TitledContributor] = PydField(min_length=1)
    sources: list[TitledSource] = PydField(default_factory=list)
    # table names: each names schemas/<table>.yaml and data/<table>.csv, so no paths here
    resources: list[Annotated[str, PydField(pattern=r"^[a-z0-9]+([_-][a-z0-9]+)*$")]] = PydField(
        min_length=1)


# per field type, as frictionless-py 5.21 accepts them (besides required, unique, enum)
SUPPORTED_CONSTRAINTS = {name: list(t.constraints) for name, t in TYPES.items()}


def unknown_properties(model: BaseModel, where: str = "") -> list[str]:
    """Dotted paths of every property a model did not declare, recursively."""
    found = [f"{where}{k}" for k in (model.model_extra or {})]
    for name, value in model:
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, BaseModel):
                idx = f"[{i}]" if isinstance(value, list) else ""
                label = getattr(item, "name", None) if isinstance(item, Field) else None
                sub = f"{where}{name}{idx}" + (f"({label})" if label else "") + "."
                found += unknown_properties(item, sub)
    return found
