"""Unpack a package zip safely and prove every file is the one that was published.

Safe means: every entry is a regular file or folder whose path stays inside the
target (no absolute paths, no ``..``, no backslashes, no duplicates), never a
link; sizes are counted while decompressing (headers can lie), against the
declared size of each file and a cap on the whole package. Proved means: each
file's sha256 and byte count equal what the catalog lists, and each resource's
``bytes`` and ``hash`` equal what its ``datapackage.json`` declares.
"""

from __future__ import annotations

import json
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FactpackError
from .hashing import Digest, files_digest, split_hash
from .paths import is_relative_inside

MAX_PACKAGE_BYTES = 4 << 30  # 4 GiB unpacked: far above any hand-checked dataset
DESCRIPTOR_LIMIT = 64 << 20  # a datapackage.json read into memory: bounded against a hostile one
CHUNK = 1 << 16


@dataclass(frozen=True)
class Expected:
    """What the catalog says one file is."""

    sha256: str
    bytes: int


def mismatch(what: str, expected: str, actual: str, source: str = "the catalog") -> FactpackError:
    """The one message for a file that is not what was published: name it and both values."""
    return FactpackError(f"{what}: {source} says {expected}, the download has {actual}; "
                         "nothing was kept")


def _entry_path(info: zipfile.ZipInfo) -> str | None:
    """The entry's safe relative path (None for folders); raises on anything unsafe."""
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise FactpackError(f"zip entry {name!r} is a symbolic link; links are not allowed")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: only permissions given
        raise FactpackError(f"zip entry {name!r} is not a regular file")
    parts = name.rstrip("/").split("/")  # the raw parts: no normalising away of "." or "//"
    if ("\\" in name or name.startswith("/") or ":" in parts[0]
            or any(part in ("", ".", "..") for part in parts)):
        raise FactpackError(f"zip entry {name!r} would be written outside the target folder; "
                            "refusing the archive")
    return None if info.is_dir() else "/".join(parts)


def unpack(archive: Path, target: Path, expected: dict[str, Expected] | None = None,
           max_bytes: int = MAX_PACKAGE_BYTES) -> list[str]:
    """Extract ``archive`` into the empty folder ``target``; return the files written.

    With ``expected`` (path relative to the package folder -> catalog entry) the
    archive must hold exactly those files, each with that hash and size.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FactpackError(f"{archive.name}: not a readable zip archive ({exc})") from None
    with zf:
        infos = [(info, _entry_path(info)) for info in zf.infolist()]
        files = [(info, rel) for info, rel in infos if rel is not None]
        names = [rel for _, rel in files]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise FactpackError(f"{archive.name}: duplicate entries {', '.join(dupes)}")
        top = _common_top(names, expected)
        if top:  # entries under one folder (``<name>-<version>/...``): unpack its content
            files = [(info, rel[len(top):]) for info, rel in files]
            names = [rel for _, rel in files]
        folders = {n.rsplit("/", i)[0] for n in names for i in range(1, n.count("/") + 1)}
        clash = sorted(folders & set(names))
        if clash:
            raise FactpackError(f"{archive.name}: {', '.join(clash)} is both a file and a folder")
        if expected is not None:
            extra = sorted(set(names) - set(expected))
            missing = sorted(set(expected) - set(names))
            if extra:
                raise FactpackError(f"{archive.name}: files the catalog does not list: "
                                    f"{', '.join(extra)}")
            if missing:
                raise FactpackError(f"{archive.name}: files the catalog lists are missing: "
                                    f"{', '.join(missing)}")
        declared = sum(info.file_size for info, _ in files)
        if declared > max_bytes:
            raise FactpackError(f"{archive.name}: unpacks to {declared} bytes, over the cap "
                                f"of {max_bytes}")
        total = 0
        for info, rel in files:
            want = expected[rel] if expected is not None else None
            limit = want.bytes if want else info.file_size
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            digest = Digest()
            try:
                with zf.open(info) as src, out.open("xb") as dst:
                    while chunk := src.read(CHUNK):
                        total += len(chunk)
                        if digest.bytes + len(chunk) > limit or total > max_bytes:
                            raise FactpackError(
                                f"{rel}: unpacks to more than the {limit} bytes declared "
                                f"(cap {max_bytes} for the package); refusing the archive")
                        digest.update(chunk)
                        dst.write(chunk)
            except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
                raise FactpackError(f"{archive.name}: entry {rel} is corrupt ({exc})") from None
            if want and digest.bytes != want.bytes:
                raise mismatch(f"{rel}: byte count", str(want.bytes), str(digest.bytes))
            if want and digest.hexdigest() != want.sha256:
                raise mismatch(f"{rel}: sha256", want.sha256, digest.hexdigest())
    return names


def _common_top(names: list[str], expected: dict[str, Expected] | None) -> str:
    """The single top folder (``"x/"``) all entries share, if the package lies inside it."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1 or not all("/" in n for n in names):
        return ""
    top = tops.pop() + "/"
    inner = {n[len(top):] for n in names}
    if expected is not None:
        return top if inner == set(expected) and set(names) != set(expected) else ""
    return top if "datapackage.json" in inner else ""


def read_package_json(folder: Path) -> dict[str, Any]:
    """``datapackage.json`` of a package folder, as JSON (verified before anything trusts it;
    readers then parse it into :class:`factpack.spec.models.Package`)."""
    path = folder / "datapackage.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FactpackError(f"{folder}: no datapackage.json; not a data package") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactpackError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise FactpackError(f"{path}: not a data package (no 'resources' list)")
    return data


def resource_paths(path: object, name: object) -> list[str]:
    """The local files of a resource (its ``path``: one string or a list), each checked to
    stay inside the package; ``name`` is the resource's, for the message."""
    paths = [path] if isinstance(path, str) else list(path or [])  # type: ignore[call-overload]
    for p in paths:
        if not is_relative_inside(p):
            raise FactpackError(f"resource {name!r}: path {p!r} must be a relative path inside "
                                "the package")
    return paths


def check_files(folder: Path, paths: list[str], size: int | None, hash_: str | None,
                where: str) -> None:
    """The files of one resource (parts of a multipart one, joined) have the ``bytes`` and
    ``hash`` its descriptor declares (either may be None: not declared)."""
    gone = [p for p in paths if not (folder / p).is_file()]
    if gone:
        raise FactpackError(f"{', '.join(gone)}: listed in datapackage.json but missing")
    algorithm, want = split_hash(hash_)
    got, n = files_digest((folder / p for p in paths), algorithm)
    if size is not None and size != n:
        raise mismatch(f"{where}: byte count", str(size), str(n), "datapackage.json")
    if want and got != want.lower():
        raise mismatch(f"{where}: {algorithm}", want, got, "datapackage.json")


def check_resources(folder: Path, descriptor: dict[str, Any]) -> None:
    """Every resource file's ``bytes`` and ``hash`` equal what ``datapackage.json`` declares."""
    for res in descriptor["resources"]:
        paths = resource_paths(res.get("path"), res.get("name"))
        if not paths:
            continue  # inline data
        where = paths[0] if len(paths) == 1 else f"resource {res.get('name')}"
        check_files(folder, paths, res.get("bytes"), res.get("hash"), where)
