"""A package descriptor at an ``s3://`` URL, for ``factpack validate`` (an http(s) URL is
read by :func:`factpack.descriptors.load.load_remote`, file by file).

The descriptor and every file its resources name (relative paths only; a path that would
leave the package is left for the loader to report) are downloaded, each bounded, into a
temporary folder that :meth:`LoadedPackage.close` removes; the package is then loaded as a
local one, its files named by their URL. A file the store lacks is not downloaded, so it
is reported missing exactly as it would be on disk; ``bytes`` and ``hash`` are checked by
validation as for any package.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from ..core.errors import FactpackError
from ..core.paths import is_relative_inside
from ..core.transfer import Store
from ..core.unpack import DESCRIPTOR_LIMIT, MAX_PACKAGE_BYTES
from .load import LoadedPackage, load_package
from .read import read_descriptor


def resource_files(descriptor: object) -> list[str]:
    """The relative file paths the descriptor's resources name (a multipart path included)."""
    if not isinstance(descriptor, dict):
        return []
    resources = descriptor.get("resources")
    if not isinstance(resources, list):  # a descriptor of one resource
        resources = [descriptor] if "path" in descriptor else []
    out: list[str] = []
    for res in resources:
        paths = res.get("path") if isinstance(res, dict) else None
        for p in paths if isinstance(paths, list) else [paths]:
            if isinstance(p, str) and "://" not in p and is_relative_inside(p) and p not in out:
                out.append(p)
    return out


def load_remote(url: str, repo: Path | None = None) -> LoadedPackage:
    """Download a remote package's descriptor and files, then load it (see the module)."""
    base, _, leaf = url.rpartition("/")
    if not leaf or "://" not in base:
        raise FactpackError(f"{url}: name the package's descriptor, e.g. "
                            f"{url.rstrip('/')}/datapackage.json")
    store = Store(base + "/", progress=False)
    unpacked = tempfile.TemporaryDirectory(prefix="factpack-remote-")
    try:
        folder = Path(unpacked.name)
        (folder / leaf).write_bytes(store.read(leaf, DESCRIPTOR_LIMIT))
        try:
            descriptor, _ = read_descriptor(folder / leaf)
        except (FactpackError, OSError, ValueError, yaml.YAMLError):  # unreadable: load_package reports it with its line
            descriptor = None
        budget = MAX_PACKAGE_BYTES
        for rel in resource_files(descriptor):
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            try:
                got = store.download(rel, folder / rel, None, budget)
            except FactpackError as exc:
                if "not found" not in str(exc):
                    raise
                (folder / rel).unlink(missing_ok=True)  # reported missing, as on disk
                continue
            budget -= got.bytes
        pkg = load_package(folder / leaf, label=base + "/")
    except BaseException:
        unpacked.cleanup()
        raise
    pkg.unpacked = unpacked
    return pkg
