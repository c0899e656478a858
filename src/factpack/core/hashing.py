"""The one way factpack hashes a file: streamed, with its byte count."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def file_digest(path: Path, algorithm: str = "sha256") -> tuple[str, int]:
    """Hex digest and byte count of a file, read in chunks (any size, bounded memory)."""
    h, n = hashlib.new(algorithm), 0
    with Path(path).open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n
