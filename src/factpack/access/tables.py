"""What a loaded package and a lazily scanned one share: name, version, tables by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class TableMapping:
    """A mixin for a dataclass with ``metadata`` (the descriptor) and ``tables`` (by name)."""

    metadata: dict[str, Any]
    tables: dict[str, Any]

    @property
    def name(self) -> str | None:
        return self.metadata.get("name")

    @property
    def version(self) -> str | None:
        return self.metadata.get("version")

    def __getitem__(self, table: str) -> Any:
        try:
            return self.tables[table]
        except KeyError:
            raise KeyError(f"no table {table!r}; tables: {', '.join(self.tables)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)
