"""The release ledger, ``datasets/<name>/releases.json``, and rebuilding releases from git.

Each released version records the day it was released, the git commit it was
built from, and the sha256 and size of every file of the built package (paths
relative to the version folder) and of its zip. A release is rebuilt by
exporting its commit (``git archive``) into a temporary folder and building it
there with the *current* factpack code; the result must match the ledger byte for
byte. When the builder's output changes (a new column order in
``datapackage.json``, another Parquet writer) old releases no longer rebuild to
their bytes and the check fails: such a change has to keep old outputs
identical, or be a deliberate, reviewed break (see the README).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.atomic import write_atomic
from ..core.errors import FactpackError
from ..core.hashing import file_digest
from ..core.versions import RELEASE_PATTERN, parse_version
from ..descriptors.read import read_descriptor

LEDGER = "releases.json"
# What a dataset's build reads from the repository (besides the code): its release commit must
# hold exactly these, so the release can be rebuilt from history.
INPUTS = ("datasets/{name}", "schemas", "seeds")


class FileHash(BaseModel):
    """A file of a release: its sha256 and size."""

    model_config = ConfigDict(extra="forbid")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)


class LedgerRelease(BaseModel):
    """One released version as the ledger records it (the store's catalog lists the same
    version as a :class:`factpack.spec.catalog.CatalogVersion`)."""

    model_config = ConfigDict(extra="forbid")
    version: str = Field(pattern=RELEASE_PATTERN)
    released_on: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    files: dict[str, FileHash]


class Ledger(BaseModel):
    """``datasets/<name>/releases.json``: every released version of one dataset."""

    model_config = ConfigDict(extra="forbid")
    dataset: str
    releases: list[LedgerRelease] = Field(default_factory=list)

    def get(self, version: str) -> LedgerRelease | None:
        return next((r for r in self.releases if r.version == version), None)

    def latest(self) -> LedgerRelease | None:
        return max(self.releases, key=lambda r: parse_version(r.version), default=None)


def working_version(root: Path, name: str, strict: bool = True) -> str:
    """The version ``datasets/<name>/dataset.yaml`` names (the one being prepared); not
    ``MAJOR.MINOR.PATCH`` is an error, or with ``strict=False`` the text as it is."""
    path = root / "datasets" / name / "dataset.yaml"
    try:
        meta, _ = read_descriptor(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise FactpackError(f"{path.relative_to(root)}: cannot read it ({exc})") from None
    version = str(meta.get("version")) if isinstance(meta, dict) else ""
    if strict:
        parse_version(version)
    return version


def ledger_path(root: Path, name: str) -> Path:
    return root / "datasets" / name / LEDGER


def read_ledger(root: Path, name: str) -> Ledger:
    path = ledger_path(root, name)
    if not path.is_file():
        return Ledger(dataset=name)
    try:
        ledger = Ledger.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as exc:
        raise FactpackError(f"{path.relative_to(root)} is not a valid release ledger: {exc}") \
            from None
    if ledger.dataset != name:
        raise FactpackError(f"{path.relative_to(root)} names dataset '{ledger.dataset}', "
                            f"not '{name}'")
    versions = [r.version for r in ledger.releases]
    if len(set(versions)) != len(versions):
        raise FactpackError(f"{path.relative_to(root)} lists a version twice")
    return ledger


def history_problems(root: Path, name: str, ledger: Ledger) -> list[str]:
    """Released entries are append-only: every entry any committed ledger ever held must
    still be in the current one, unchanged."""
    rel = f"datasets/{name}/{LEDGER}"
    problems: dict[str, str] = {}  # one per version: from the latest commit that differs
    for commit in git(root, "log", "--format=%H", "--", rel).split():
        try:
            old = Ledger.model_validate_json(git(root, "show", f"{commit}:{rel}"))
        except (FactpackError, ValidationError):
            continue  # deleted or unreadable in that commit: the current file is checked itself
        for entry in old.releases:
            now = ledger.get(entry.version)
            if now != entry and entry.version not in problems:
                what = "removed" if now is None else "changed"
                problems[entry.version] = (
                    f"{name} {entry.version}: its ledger entry (as committed in {commit[:12]}) "
                    f"was {what}; a released version never changes")
    return [problems[v] for v in sorted(problems, key=parse_version)]


def write_ledger(root: Path, ledger: Ledger) -> None:
    """Atomically: a temporary file renamed over the old one (tests may replace this)."""
    ledger.releases.sort(key=lambda r: parse_version(r.version))
    text = json.dumps(ledger.model_dump(), ensure_ascii=False, indent=2) + "\n"
    write_atomic(ledger_path(root, ledger.dataset), text.encode())


def file_hash(path: Path) -> FileHash:
    """A file's ledger entry."""
    digest, size = file_digest(path)
    return FileHash(sha256=digest, bytes=size)


def package_files(version_dir: Path) -> list[str]:
    """Every file of a version folder, as sorted POSIX paths relative to it."""
    return sorted(p.relative_to(version_dir).as_posix()
                  for p in version_dir.rglob("*") if p.is_file())


def file_hashes(version_dir: Path, zip_path: Path) -> dict[str, FileHash]:
    """The ledger's ``files``: every file of the version folder, and the zip by its name."""
    out = {rel: file_hash(version_dir / rel) for rel in package_files(version_dir)}
    out[zip_path.name] = file_hash(zip_path)
    return out


def differences(expected: dict[str, FileHash], actual: dict[str, FileHash]) -> list[str]:
    """Human-readable differences between two ``files`` maps (empty when identical)."""
    out = [f"{p}: missing" for p in sorted(set(expected) - set(actual))]
    out += [f"{p}: not in the release" for p in sorted(set(actual) - set(expected))]
    for p in sorted(set(expected) & set(actual)):
        e, a = expected[p], actual[p]
        if e != a:
            out.append(f"{p}: sha256 {a.sha256[:12]}… ({a.bytes} bytes), "
                       f"released {e.sha256[:12]}… ({e.bytes} bytes)")
    return out


# --------------------------------------------------------------------------- git and builds


def git(root: Path, *args: str, binary: bool = False) -> Any:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=True)
    except FileNotFoundError:
        raise FactpackError("git is not installed: releases are built from git commits") from None
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode(errors="replace").strip()
        raise FactpackError(f"git {' '.join(args)}: {msg}") from None
    return done.stdout if binary else done.stdout.decode().strip()


def head_commit(root: Path) -> str:
    return git(root, "rev-parse", "HEAD")


def uncommitted_inputs(root: Path, name: str) -> list[str]:
    """Build inputs of ``name`` that differ from HEAD (the ledger itself excepted)."""
    paths = [p.format(name=name) for p in INPUTS]
    out = git(root, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    changed = [line[3:] for line in out.splitlines() if line.strip()]
    return [p for p in changed if not p.endswith(f"datasets/{name}/{LEDGER}")]


def inputs_changed_since(root: Path, name: str, commit: str) -> bool:
    """Whether the working tree's build inputs of ``name`` differ from ``commit``'s (tracked
    changes, committed or not, and new files; the ledger itself excepted)."""
    paths = [p.format(name=name) for p in INPUTS] + [f":(exclude)datasets/{name}/{LEDGER}"]
    try:
        git(root, "diff", "--quiet", commit, "--", *paths)
    except FactpackError:
        return True  # differences (exit 1), or a commit this clone lacks: build and compare
    return bool(git(root, "ls-files", "--others", "--exclude-standard", "--", *paths))


def export_commit(root: Path, commit: str, dest: Path) -> Path:
    """The repository as it was at ``commit``, written to ``dest`` (``git archive``)."""
    try:
        git(root, "cat-file", "-e", f"{commit}^{{commit}}")
    except FactpackError:
        raise FactpackError(f"commit {commit[:12]} is not in this clone (fetch the full history, "
                            "e.g. git fetch --unshallow)") from None
    data = git(root, "archive", "--format=tar", commit, binary=True)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def build(dataset_dir: Path, root: Path, out: Path) -> Path:
    """``factpack.build.build_dataset`` (tests replace this to make the builder drift; it sits
    three calls below :func:`factpack.release.publish.check`)."""
    from ..build.package import build_dataset  # the build stage, only when a rebuild is asked

    return build_dataset(dataset_dir, root, out=out)


def build_version(src_root: Path, name: str, out: Path) -> tuple[Path, Path]:
    """Build the dataset in ``src_root``; return its version folder and zip."""
    folder = Path(build(src_root / "datasets" / name, src_root, out))
    zip_path = folder.parent / f"{name}-{folder.name}.zip"
    if not (folder / "datapackage.json").is_file() or not zip_path.is_file():
        raise FactpackError(f"the build of {name} did not write {folder.name}/datapackage.json "
                            f"and {zip_path.name}")
    return folder, zip_path


def rebuild(root: Path, name: str, release: LedgerRelease, workdir: Path,
            own_code: bool = False) -> tuple[Path, Path]:
    """Rebuild a released version from its commit with today's code; it must match the ledger.

    When it does not, the release commit's own code is tried (in a subprocess): if that
    rebuilds the ledger's bytes, the builder changed, not the release. With ``own_code`` that
    build is returned (its bytes are the ledger's, so a store can still be recreated);
    otherwise the mismatch is an error either way, which is what CI's check wants.
    """
    src = Path(tempfile.mkdtemp(prefix=f"src-{release.version}-", dir=workdir))
    try:
        export_commit(root, release.commit, src)
    except FactpackError as exc:
        raise FactpackError(f"{name} {release.version}: {exc}") from None
    if not (src / "datasets" / name / "dataset.yaml").is_file():
        raise FactpackError(f"{name} {release.version}: commit {release.commit[:12]} has no "
                            f"datasets/{name}/dataset.yaml")
    try:
        folder, zip_path = build_version(src, name, src / "build")
    except FactpackError as exc:
        raise FactpackError(f"{name} {release.version} no longer builds from commit "
                            f"{release.commit[:12]}: {exc}") from None
    if folder.name != release.version:
        raise FactpackError(f"{name} {release.version}: commit {release.commit[:12]} builds "
                            f"version {folder.name}")
    diffs = differences(release.files, file_hashes(folder, zip_path))
    if diffs == [d for d in diffs if d.startswith(f"{zip_path.name}:")] \
            and _rezipped_as_released(folder, zip_path, release):
        diffs = []
    if not diffs:
        return folder, zip_path
    own = _build_with_own_code(src, name, release)
    if own is not None and own_code:
        return own
    cause = ("the builder's output changed since this release: it still rebuilds byte for "
             "byte with the code of its own commit, so keep released outputs stable (or "
             "review the break deliberately)") if own is not None \
        else "its inputs or its ledger entry were changed, or the build is not reproducible"
    raise FactpackError(
        f"{name} {release.version} rebuilt from commit {release.commit[:12]} differs from "
        f"the ledger ({len(diffs)} files: " + "; ".join(diffs[:5]) + f"): {cause}")


def _rezipped_as_released(folder: Path, zip_path: Path, release: LedgerRelease) -> bool:
    """Whether the zip, written in the layout of earlier releases (every file under one
    ``<name>-<version>/`` folder), is the released zip; if so it replaces ``zip_path``.

    Only the zip's layout changed (files now at its root, as frictionless-py reads a zipped
    package): a released version keeps the bytes it was published with.
    """
    released = release.files.get(zip_path.name)
    if released is None:
        return False
    from ..build.output import write_zip  # the build stage, only for a release's rebuild

    nested = zip_path.with_name(f".nested-{zip_path.name}")
    write_zip(folder, nested, zip_path.stem)
    if file_hash(nested) != released:
        nested.unlink()
        return False
    nested.replace(zip_path)
    return True


def _build_with_own_code(src: Path, name: str, release: LedgerRelease
                         ) -> tuple[Path, Path] | None:
    """The release built by the factpack code of its own commit, if that matches the ledger."""
    code = src / "src" / "factpack"
    if not ((code / "build.py").is_file() or (code / "build" / "__init__.py").is_file()):
        return None
    out = src / "build-own"
    script = ("import sys; from pathlib import Path; from factpack.build import build_dataset; "
              "build_dataset(Path(sys.argv[1]), Path(sys.argv[2]), out=Path(sys.argv[3]))")
    env = os.environ | {"PYTHONPATH": str(src / "src")}
    done = subprocess.run([sys.executable, "-c", script, str(src / "datasets" / name), str(src),
                           str(out)], check=False, cwd=src, env=env, capture_output=True)
    folder = out / name / release.version
    zip_path = out / name / f"{name}-{release.version}.zip"
    if done.returncode != 0 or not zip_path.is_file() \
            or differences(release.files, file_hashes(folder, zip_path)):
        return None
    return folder, zip_path


def locate_version(name: str, version: str, root: Path, workdir: Path,
                   store: Path | None = None) -> Path:
    """A version folder for ``name@version``: from the store, rebuilt from the ledger, or built
    from the working tree when it is the version being prepared."""
    store = store or root / "build" / "site"
    if (store / name / version / "datapackage.json").is_file():
        return store / name / version
    release = read_ledger(root, name).get(version) if (root / "datasets" / name).is_dir() \
        else None
    if release is not None:
        return rebuild(root, name, release, workdir, own_code=True)[0]
    if (root / "datasets" / name / "dataset.yaml").is_file() \
            and working_version(root, name, strict=False) == version:
        out = Path(tempfile.mkdtemp(prefix="work-", dir=workdir))
        return build_version(root, name, out)[0]
    if (root / "build" / name / version / "datapackage.json").is_file():
        return root / "build" / name / version
    raise FactpackError(f"{name}@{version}: not in the store ({store}), not in the ledger, and "
                        "not the version in the working tree")
