"""The one way factpack hashes bytes: files read in chunks, streams hashed as they pass.

:func:`file_digest` hashes a file (or the parts of a multipart resource, joined);
:class:`Digest` hashes a stream chunk by chunk while it is downloaded, copied or
unpacked, so nothing is read twice; :func:`split_hash` reads a Data Package ``hash``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from .errors import FactpackError

CHUNK = 1 << 20


class Digest:
    """A running hash and byte count (hash while downloading or unpacking)."""

    def __init__(self, algorithm: str | None = "sha256") -> None:
        self._hash = hashlib.new(algorithm) if algorithm else None  # None: bytes counted only
        self.bytes = 0

    def update(self, chunk: bytes) -> None:
        if self._hash is not None:
            self._hash.update(chunk)
        self.bytes += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest() if self._hash is not None else ""


def files_digest(paths: Iterable[Path], algorithm: str = "sha256") -> tuple[str, int]:
    """Hex digest and byte count of files read one after the other, as if joined (a multipart
    resource is hashed that way), in chunks: any size, bounded memory."""
    digest = Digest(algorithm)
    for path in paths:
        with Path(path).open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    return digest.hexdigest(), digest.bytes


def file_digest(path: Path, algorithm: str = "sha256") -> tuple[str, int]:
    """Hex digest and byte count of one file."""
    return files_digest([path], algorithm)


def data_digest(data: bytes, algorithm: str = "sha256") -> str:
    """Hex digest of bytes already in memory (a small descriptor)."""
    digest = Digest(algorithm)
    digest.update(data)
    return digest.hexdigest()


def split_hash(value: object) -> tuple[str, str | None]:
    """A Data Package ``hash``: ``sha256:<hex>`` -> (sha256, hex); a bare hex is md5 (v1);
    none -> (sha256, None). An algorithm Python does not guarantee is unusable input."""
    if not value:
        return "sha256", None
    algorithm, _, hexdigest = str(value).rpartition(":")
    algorithm = algorithm.lower() or "md5"
    if algorithm not in hashlib.algorithms_guaranteed:
        raise FactpackError(f"unsupported hash algorithm {algorithm!r} in datapackage.json")
    return algorithm, hexdigest
