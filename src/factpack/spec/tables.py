"""A published package's tables: each table is a CSV resource and its Parquet twin.

factpack builds publish every table twice, ``data/<t>.csv`` (named ``<t>``) and
``data/<t>.parquet`` (named ``<t>-parquet``). Everything that reads a built package
(diff, load, the website, the codebook, the Parquet check) groups them here, the one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from .models import Package, Resource

PARQUET_SUFFIX = "-parquet"  # a Parquet resource is named after its CSV twin plus this
TABLE_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class TableResources:
    """One table of a package: its CSV resource and its Parquet twin (either may be absent)."""

    name: str
    csv: Resource | None
    parquet: Resource | None

    @property
    def main(self) -> Resource:
        """The resource whose schema is the table's own: the CSV's (a twin's foreign keys
        point at twins and its numbers accept ``nan``), else the Parquet's."""
        return self.csv or self.parquet  # type: ignore[return-value]


def resource_format(res: Resource) -> str | None:
    """The declared format, else the path's extension, lower-cased; None for inline or
    multipart data."""
    if not isinstance(res.path, str):
        return None
    return (res.format or PurePosixPath(res.path).suffix.lstrip(".")).lower() or None


def group_tables(package: Package) -> dict[str, TableResources]:
    """Table name -> its resources, in the package's order. Resources of the same path
    without extension are one table; only CSV and Parquet resources form tables."""
    groups: dict[str, dict[str, Resource]] = {}
    for res in package.resources:
        fmt = resource_format(res)
        if fmt in TABLE_FORMATS:
            groups.setdefault(str(PurePosixPath(str(res.path)).with_suffix("")), {})[fmt] = res
    tables: dict[str, TableResources] = {}
    for stem, by_format in groups.items():
        csv, parquet = by_format.get("csv"), by_format.get("parquet")
        name = (csv.name if csv else None) or \
            (parquet.name.removesuffix(PARQUET_SUFFIX) if parquet and parquet.name else None) \
            or PurePosixPath(stem).name
        tables[name] = TableResources(name, csv, parquet)
    return tables
