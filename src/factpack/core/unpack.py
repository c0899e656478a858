"""Unpack a package zip safely and prove every file is the one that was published.

Safe means: every entry is a regular file or folder whose path stays inside the
target (no absolute paths, no ``..``, no backslashes, no duplicates), never a
link; sizes are counted while decompressing (headers can lie), against the
declared size of each file (the catalog's, else the ``bytes`` of the package's own
``datapackage.json``, which is unpacked first), a compression-ratio cap per entry
and a cap on the whole package, so a zip bomb is cut off after at most
:data:`RATIO_FLOOR` bytes of an entry, never written out in full. Proved means: each
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
from .paths import is_relative_inside, locate

MAX_PACKAGE_BYTES = 4 << 30  # 4 GiB unpacked: far above any hand-checked dataset
DESCRIPTOR_LIMIT = 64 << 20  # a datapackage.json read into memory: bounded against a hostile one
CHUNK = 1 << 16
MAX_RATIO = 200  # unpacked / packed bytes of one entry: CSV compresses ~5-20x, a bomb ~1000x
RATIO_FLOOR = 1 << 20  # entries smaller than this unpacked are not ratio-checked


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


def _open(archive: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FactpackError(f"{archive.name}: not a readable zip archive ({exc})") from None


def _entries(zf: zipfile.ZipFile, archive: Path, expected: dict[str, Expected] | None,
             max_bytes: int) -> list[tuple[zipfile.ZipInfo, str]]:
    """The archive's files as (entry, path in the package), every name checked, the
    descriptor first; the whole archive refused at the first unsafe entry."""
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
    return sorted(files, key=lambda item: item[1] != "datapackage.json")


class _Budget:
    """Bytes an archive may still unpack to (:data:`MAX_PACKAGE_BYTES` by default)."""

    def __init__(self, archive: Path, max_bytes: int) -> None:
        self.archive, self.max_bytes, self.left = archive, max_bytes, max_bytes
        self.packed = archive.stat().st_size  # no entry is packed in more than the file

    def stream(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, rel: str, limit: int,
               sink) -> Digest:
        """Decompress one entry into ``sink`` (a ``write``), counting as it goes: more than
        ``limit`` bytes, the budget, or :data:`MAX_RATIO` times its packed size stops it."""
        limit = min(limit, info.file_size)  # the header may lie low; it may not lie high
        packed = min(info.compress_size, self.packed)
        digest = Digest()
        try:
            with zf.open(info) as src:
                while chunk := src.read(CHUNK):
                    n = digest.bytes + len(chunk)
                    self.left -= len(chunk)
                    if n > limit or self.left < 0:
                        raise FactpackError(
                            f"{rel}: unpacks to more than the {limit} bytes declared (cap "
                            f"{self.max_bytes} for the package) in {self.archive.name}; "
                            "refusing the archive")
                    if n > RATIO_FLOOR and n > MAX_RATIO * _packed_read(src, packed):
                        raise FactpackError(
                            f"{rel}: unpacks to more than {MAX_RATIO} times its packed size "
                            f"in {self.archive.name}, like a zip bomb; refusing the archive")
                    digest.update(chunk)
                    sink(chunk)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
            raise FactpackError(f"{self.archive.name}: entry {rel} is corrupt ({exc})") from None
        return digest


def _packed_read(src: zipfile.ZipExtFile, packed: int) -> int:
    """Packed bytes of an entry read so far: the ratio is checked as it grows, so a bomb stops
    after about :data:`RATIO_FLOOR` bytes. (``_compress_left`` is what zipfile counts down;
    without it the whole packed size is used, a looser but still finite bound.)"""
    return packed - max(getattr(src, "_compress_left", 0), 0)


def unpack(archive: Path, target: Path, expected: dict[str, Expected] | None = None,
           max_bytes: int = MAX_PACKAGE_BYTES, *, own_sizes: bool = False) -> list[str]:
    """Extract ``archive`` into the empty folder ``target``; return the files written.

    With ``expected`` (path relative to the package folder -> catalog entry) the
    archive must hold exactly those files, each with that hash and size. Without it and
    with ``own_sizes`` (a package to load, not one to report on), the ``bytes`` its own
    ``datapackage.json`` declares bound each file as it unpacks.
    """
    with _open(archive) as zf:
        files = _entries(zf, archive, expected, max_bytes)
        budget = _Budget(archive, max_bytes)
        sizes = {rel: e.bytes for rel, e in expected.items()} if expected is not None else None
        for info, rel in files:
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("xb") as dst:
                limit = info.file_size if sizes is None else sizes.get(rel, info.file_size)
                digest = budget.stream(zf, info, rel, limit, dst.write)
            want = expected[rel] if expected is not None else None
            if want and digest.bytes != want.bytes:
                raise mismatch(f"{rel}: byte count", str(want.bytes), str(digest.bytes))
            if want and digest.hexdigest() != want.sha256:
                raise mismatch(f"{rel}: sha256", want.sha256, digest.hexdigest())
            if sizes is None and own_sizes and rel == "datapackage.json":
                sizes = declared_sizes(target)  # what the package says its files weigh
    return [rel for _, rel in files]


def entry_digests(archive: Path, max_bytes: int = MAX_PACKAGE_BYTES) -> dict[str, Expected]:
    """What each file of ``archive`` is (sha256 and size), read as :func:`unpack` would read
    it but written nowhere: to check a folder unpacked from it earlier."""
    with _open(archive) as zf:
        budget = _Budget(archive, max_bytes)
        found = {}
        for info, rel in _entries(zf, archive, None, max_bytes):
            digest = budget.stream(zf, info, rel, info.file_size, lambda chunk: None)
            found[rel] = Expected(digest.hexdigest(), digest.bytes)
        return found


def declared_sizes(folder: Path) -> dict[str, int]:
    """``path -> bytes`` of every single-file resource of a package that declares ``bytes``."""
    sizes: dict[str, int] = {}
    for res in read_package_json(folder)["resources"]:
        paths = resource_paths(res.get("path"), res.get("name")) if isinstance(res, dict) else []
        if len(paths) == 1 and isinstance(res.get("bytes"), int):
            sizes[paths[0]] = res["bytes"]
    return sizes


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
    path, why = locate(folder, "datapackage.json")
    if path is None:
        raise FactpackError(f"{folder / 'datapackage.json'}: {why}")
    try:
        with path.open("rb") as f:
            raw = f.read(DESCRIPTOR_LIMIT + 1)
        if len(raw) > DESCRIPTOR_LIMIT:
            raise FactpackError(f"{path}: larger than {DESCRIPTOR_LIMIT} bytes; refusing it")
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise FactpackError(f"{folder}: no datapackage.json; not a data package") from None
    except RecursionError:
        raise FactpackError(f"{path}: nested too deeply to be a data package") from None
    except ValueError as exc:  # bad UTF-8, bad JSON, a number too long to convert
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
    files = []
    for p in paths:
        full, why = locate(folder, p)  # a link is refused, even one that points inside
        if full is None:
            raise FactpackError(f"{folder / p}: {why}")
        if not full.is_file():
            raise FactpackError(f"{p}: listed in datapackage.json but missing")
        files.append(full)
    algorithm, want = split_hash(hash_)
    got, n = files_digest(files, algorithm)
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
