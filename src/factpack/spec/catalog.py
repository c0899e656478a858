"""The release store's ``catalog.json``: one model, read by fetch, load and the website, written
by publish.

Readers ignore keys they do not know (a newer store may add some) but reject a catalog
whose ``catalog_version`` they cannot read. Dump order is field order, so the same catalog
always gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..core.errors import FactpackError
from .parse import first_problem

CATALOG = "catalog.json"
CATALOG_VERSION = 1
CATALOG_LIMIT = 64 << 20  # bytes: far above any real catalog, bounded against a hostile one


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CatalogFile(_Model):
    """One published file: its path in the store, sha256 and size."""

    path: str
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]  # names a cache folder
    bytes: Annotated[int, Field(ge=0)]


class CatalogVersion(_Model):
    """One published version of a dataset."""

    version: str
    released_on: str | None = None
    commit: str | None = None
    path: str
    zip: CatalogFile
    files: list[CatalogFile]
    changelog: str | None = None
    diff: str | None = None


class CatalogDataset(_Model):
    """A dataset in the store: its versions, oldest first, and the latest one."""

    title: str | None = None
    description: str | None = None
    latest: str
    versions: dict[str, CatalogVersion]


class Catalog(_Model):
    """``catalog.json``: every dataset and version in the store."""

    catalog_version: int
    datasets: dict[str, CatalogDataset]

    @classmethod
    def empty(cls) -> Catalog:
        return cls(catalog_version=CATALOG_VERSION, datasets={})

    @classmethod
    def parse(cls, raw: bytes, where: str) -> Catalog:
        """The catalog in ``raw``, or a :class:`FactpackError` naming ``where`` and the problem."""
        try:
            catalog = cls.model_validate(json.loads(raw))
        except ValidationError as exc:
            raise FactpackError(f"{where}: not a factpack catalog ({first_problem(exc)})") from None
        except RecursionError:
            raise FactpackError(f"{where}: nested too deeply to be a catalog") from None
        except ValueError as exc:  # bad UTF-8 or JSON, a number too long to convert
            raise FactpackError(f"{where}: not valid JSON ({exc})") from None
        if catalog.catalog_version != CATALOG_VERSION:
            raise FactpackError(f"{where}: catalog_version {catalog.catalog_version} is not the "
                                f"one this factpack reads ({CATALOG_VERSION})")
        return catalog

    def dump(self) -> bytes:
        """The catalog as written to the store: indented UTF-8 JSON, one trailing newline."""
        return (json.dumps(self.model_dump(), ensure_ascii=False, indent=2) + "\n").encode()
