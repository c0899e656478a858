"""``factpack publish``: release versions into the store; ``--check``: the release checks for CI.

A publish, per dataset:

1. every version in the ledger (``datasets/<name>/releases.json``) that the store
   lacks is rebuilt from its git commit and must match the ledger byte for byte (with
   today's code, or failing that the code of that commit);
   a version the store already lists must list the ledger's hashes (else refused);
2. if ``dataset.yaml`` names a version the ledger lacks, it is released: its inputs
   must be committed, it is built from ``HEAD``, its bump must be at least what
   ``factpack diff --bump`` requires against the latest release, and its CHANGELOG
   must have an entry; it is appended to the ledger;
3. if the version is already released, the working tree must still build to
   identical data, or the publish is refused (bump the version).

The ledger is written first, then everything new goes into the store in one
:class:`factpack.release.store.Transaction` (catalog last), under a lock; any failure
leaves both as they were, and a crash leaves nothing the next publish does not finish
(see :func:`publish`). A store can thus be recreated anywhere from a clone with full
history.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..core.atomic import temp_folder, write_atomic
from ..core.errors import FactpackError
from ..core.unpack import read_package_json
from ..core.versions import bumped, parse_version
from ..descriptors.load import dataset_dirs
from ..spec.catalog import Catalog, CatalogDataset, CatalogFile, CatalogVersion
from . import diff, ledger, store
from .ledger import Ledger, LedgerRelease, working_version

REQUIRED_METADATA = ("licenses", "contributors", "sources")
Say = Callable[[str], None]  # progress messages


def quiet(message: str) -> None:
    """The default: no progress messages (the CLI prints them on stderr)."""


@dataclass
class BuiltVersion:
    """A version ready for the store: its built folder and zip, and its ledger entry."""

    name: str
    release: LedgerRelease
    folder: Path
    zip: Path


# --------------------------------------------------------------------------- helpers


def changelog_entry(changelog: Path, version: str) -> str | None:
    """The ``## <version>`` section of a CHANGELOG (heading included), or None."""
    if not changelog.is_file():
        return None
    text = changelog.read_text(encoding="utf-8")
    head = re.compile(rf"^##\s+\[?v?{re.escape(version)}\]?(?![\w.-])", re.MULTILINE)
    found = head.search(text)
    if not found:
        return None
    nxt = re.compile(r"^##\s", re.MULTILINE).search(text, found.end())
    return text[found.start():nxt.start() if nxt else len(text)].strip() + "\n"


def bump_problem(name: str, old: tuple[str, Path], new: tuple[str, Path]) -> str | None:
    """Whether version ``new`` is bumped at least as much as its changes from ``old`` need
    (the version rule of :mod:`factpack.release.diff.rules`); the problem, or None."""
    (ov, of), (nv, nf) = old, new
    report = diff.diff_packages(diff.open_local(of / "datapackage.json", f"{name}@{ov}"),
                                diff.open_local(nf / "datapackage.json", f"{name}@{nv}"), 5)
    need = bumped(ov, report["bump"])
    if parse_version(nv) >= need and (nv != ov or report["identical"]):
        return None
    least = ".".join(map(str, need))
    why = diff.because(report)
    if nv == ov:
        return (f"{name}: records or schemas changed since release {ov} ({why}), "
                f"but the version was not bumped: set version to at least {least} "
                f"(a {report['bump']} bump) in datasets/{name}/dataset.yaml")
    return (f"{name}: version {nv} is too small for the changes since {ov} "
            f"({why}): they need a {report['bump']} bump, to at least {least}")


def _published(catalog: Catalog, name: str) -> dict[str, CatalogVersion]:
    dataset = catalog.datasets.get(name)
    return dataset.versions if dataset else {}


def _same_as_published(name: str, rel: LedgerRelease, entry: CatalogVersion) -> None:
    """A version the store lists must be exactly the ledger's; else refuse to touch it."""
    prefix = f"{name}/{rel.version}/"
    listed = {f.path.removeprefix(prefix): ledger.FileHash(sha256=f.sha256, bytes=f.bytes)
              for f in entry.files}
    listed[Path(entry.zip.path).name] = ledger.FileHash(sha256=entry.zip.sha256,
                                                       bytes=entry.zip.bytes)
    diffs = ledger.differences(listed, rel.files)
    if diffs:
        raise FactpackError(
            f"{name} {rel.version} is already published in the store with different content "
            f"({'; '.join(diffs[:3])}): a published version never changes; release a new "
            "version instead")


# --------------------------------------------------------------------------- planning


def plan(root: Path, name: str, book: Ledger, store_path: Path,
         published: dict[str, CatalogVersion], work: Path, today: str, say: Say = quiet
         ) -> tuple[list[BuiltVersion], LedgerRelease | None]:
    """The versions of one dataset the store lacks, and the new release, if any."""
    todo: list[BuiltVersion] = []
    folders: dict[str, Path] = {}  # built or published folder of every released version
    for rel in sorted(book.releases, key=lambda r: parse_version(r.version)):
        if rel.version in published:
            _same_as_published(name, rel, published[rel.version])
            folders[rel.version] = store_path / name / rel.version
            continue
        say(f"rebuilding {name} {rel.version} from commit {rel.commit[:12]}")
        folder, zip_path = ledger.rebuild(root, name, rel, work, own_code=True)
        todo.append(BuiltVersion(name, rel, folder, zip_path))
        folders[rel.version] = folder
    version = working_version(root, name)
    latest = book.latest()
    released = book.get(version)
    if released is not None:  # released: the working tree must not have moved on
        if not ledger.inputs_changed_since(root, name, released.commit):
            return todo, None  # the very inputs the release was built from
        say(f"building the working tree of {name} to compare it with release {version}")
        folder, _ = ledger.build_version(root, name, Path(tempfile.mkdtemp(dir=work)))
        problem = bump_problem(name, (version, folders[version]), (version, folder))
        if problem:
            raise FactpackError(problem)
        return todo, None
    if latest is not None and parse_version(version) < parse_version(latest.version):
        raise FactpackError(f"{name}: version {version} is older than the latest release "
                            f"{latest.version}")
    dirty = ledger.uncommitted_inputs(root, name)
    if dirty:
        raise FactpackError(f"{name} {version}: commit these first, a release is built from a "
                            f"commit: {', '.join(dirty[:5])}")
    commit = ledger.head_commit(root)
    src = ledger.export_commit(root, commit, Path(tempfile.mkdtemp(prefix="head-", dir=work)))
    say(f"building {name} {version} from commit {commit[:12]} (HEAD)")
    folder, zip_path = ledger.build_version(src, name, src / "build")
    if latest is not None:
        problem = bump_problem(name, (latest.version, folders[latest.version]), (version, folder))
        if problem:
            raise FactpackError(problem)
    _check_release_metadata(name, version, folder)
    release = LedgerRelease(version=version, released_on=today, commit=commit,
                            files=ledger.file_hashes(folder, zip_path))
    if version in published:  # published from another clone: same content is a no-op for
        _same_as_published(name, release, published[version])  # the store; the ledger
        entry = published[version]  # records that release as the store lists it
        return todo, release.model_copy(update={"released_on": entry.released_on,
                                               "commit": entry.commit})
    todo.append(BuiltVersion(name, release, folder, zip_path))
    return todo, release


def _check_release_metadata(name: str, version: str, folder: Path) -> None:
    desc = read_package_json(folder)
    missing = [k for k in REQUIRED_METADATA if not desc.get(k)]
    if missing:
        raise FactpackError(f"{name} {version}: datapackage.json has no {', '.join(missing)}; "
                            f"add them to datasets/{name}/dataset.yaml (users cite from them)")
    if changelog_entry(folder / "CHANGELOG.md", version) is None:
        raise FactpackError(f"{name} {version}: datasets/{name}/CHANGELOG.md has no "
                            f"'## {version}' entry; write what changed before releasing")


# --------------------------------------------------------------------------- the store


def stage(tx: store.Transaction, catalog: Catalog, v: BuiltVersion, store_path: Path) -> None:
    """Stage one version (folder, zip, diff from the previous version) and its catalog entry."""
    name, ver = v.name, v.release.version
    tx.add_tree(f"{name}/{ver}", v.folder)
    zip_rel = f"{name}/{name}-{ver}.zip"
    tx.add_file(zip_rel, v.zip)
    # latest, title and description are set once every version is in (finish_catalog)
    data = catalog.datasets.setdefault(name, CatalogDataset(latest=ver, versions={}))
    earlier = [x for x in data.versions if parse_version(x) < parse_version(ver)]
    diff_rel = None
    if earlier:
        prev = max(earlier, key=parse_version)
        prev_folder = _staged_or_stored(tx, store_path, f"{name}/{prev}")
        report = diff.diff_packages(
            diff.open_local(prev_folder / "datapackage.json", f"{name}@{prev}"),
            diff.open_local(v.folder / "datapackage.json", f"{name}@{ver}"))
        diff_rel = f"{name}/{ver}.diff.json"
        tx.add_bytes(diff_rel, store.json_bytes(report))
    files = v.release.files
    data.versions[ver] = CatalogVersion(
        version=ver, released_on=v.release.released_on, commit=v.release.commit,
        path=f"{name}/{ver}/",
        zip=CatalogFile(path=zip_rel, **files[v.zip.name].model_dump()),
        files=[CatalogFile(path=f"{name}/{ver}/{p}", **h.model_dump())
               for p, h in sorted(files.items()) if p != v.zip.name],
        changelog=changelog_entry(v.folder / "CHANGELOG.md", ver) or "",
        diff=diff_rel,
    )


def _staged_or_stored(tx: store.Transaction, store_path: Path, rel: str) -> Path:
    staged = tx.staging / "new" / rel
    return staged if staged.is_dir() else store_path / rel


def finish_catalog(catalog: Catalog, store_path: Path, tx: store.Transaction) -> None:
    """Sort versions, set ``latest`` and the title and description of the latest version."""
    for name, data in catalog.datasets.items():
        versions = dict(sorted(data.versions.items(), key=lambda kv: parse_version(kv[0])))
        latest = list(versions)[-1]
        desc = read_package_json(_staged_or_stored(tx, store_path, f"{name}/{latest}"))
        catalog.datasets[name] = CatalogDataset(
            title=desc.get("title", name), description=desc.get("description", ""),
            latest=latest, versions=versions)
    catalog.datasets = dict(sorted(catalog.datasets.items()))


def publish(root: Path, store_path: Path | None = None, names: list[str] | None = None,
            today: str | None = None, render: Callable[[Path], None] | None = None,
            say: Say = quiet) -> list[str]:
    """Publish every dataset (or ``names``); return what was done, one line each.

    ``render(store)`` writes the website once the store is consistent (the command passes
    :func:`factpack.site.render.render`; None renders nothing).

    Crash order (a SIGKILL at any point): work files live in a hidden folder of the store,
    removed at the end and by the next publish; the ledger is written before the store, so
    the catalog never lists a version the ledger lacks, and a version the ledger lists but
    the catalog does not (a kill between the two) is rebuilt by the next publish.
    """
    store_path = (store_path or root / "build" / "site").resolve()
    today = today or date.today().isoformat()
    names = names or [d.name for d in dataset_dirs(root)]
    if not names:  # checked before any lock or folder is made: nothing is left behind
        raise FactpackError(f"no datasets under {root / 'datasets'}: factpack publish runs in "
                            "a factpack repository (datasets/<name>/dataset.yaml)")
    with store.os_errors(store_path), \
            store.locked(root / "build" / ".publish.lock"), \
            store.locked(store_path / store.LOCK):  # one ledger writer per clone, one store writer
        store.clear_leftovers(store_path)  # first: a killed publish's work may hold links
        store.refuse_links(store_path)
        with store.work_dir(store_path) as work:
            done = _publish_locked(root, store_path, names, today, work, say)
        store.refuse_links(store_path)  # the website is written into the store next
        return done + render_site(store_path, render)


def _publish_locked(root: Path, store_path: Path, names: list[str], today: str, work: Path,
                    say: Say) -> list[str]:
    """Plan, build and commit (the locks held): ledger first, then the store."""
    catalog = store.read_catalog(store_path)
    todo: list[BuiltVersion] = []
    books: list[Ledger] = []
    for name in names:
        if not (root / "datasets" / name / "dataset.yaml").is_file():
            raise FactpackError(f"{name}: no such dataset (datasets/{name}/dataset.yaml)")
        book = ledger.read_ledger(root, name)
        versions, release = plan(root, name, book, store_path, _published(catalog, name),
                                 work, today, say)
        todo += versions
        if release is not None:
            book.releases.append(release)
            books.append(book)
    if not todo and not books:  # the site is still rendered: it may be new or failed
        return [f"nothing to publish: the store at {store_path} is up to date"]
    done: list[str] = []
    tx = store.Transaction(store_path)
    try:
        for v in sorted(todo, key=lambda v: (v.name, parse_version(v.release.version))):
            stage(tx, catalog, v, store_path)
            done.append(f"published {v.name} {v.release.version}")
        finish_catalog(catalog, store_path, tx)
        with _ledgers_written(root, books):  # undone if the store cannot be committed
            tx.commit(catalog)
    finally:
        tx.close()
    return done + [f"released {b.dataset} {b.releases[-1].version}: appended to "
                   f"datasets/{b.dataset}/releases.json (commit it)" for b in books]


@contextmanager
def _ledgers_written(root: Path, books: list[Ledger]) -> Iterator[None]:
    """Write the ledgers, run the block (the store's commit); on failure put them back."""
    old = {b.dataset: ledger.ledger_path(root, b.dataset) for b in books}
    saved = {name: path.read_bytes() if path.is_file() else None for name, path in old.items()}
    try:
        for book in books:
            ledger.write_ledger(root, book)
        yield
    except BaseException:
        for name, data in saved.items():
            if data is None:
                old[name].unlink(missing_ok=True)
            else:
                write_atomic(old[name], data)
        raise


def render_site(store_path: Path, render: Callable[[Path], None] | None) -> list[str]:
    """The website over the store, if a renderer is given."""
    if render is None:
        return []
    try:
        render(store_path)
    except Exception as exc:  # the release itself is done and consistent; say so
        raise FactpackError(f"the store is published, but its website could not be rendered: "
                            f"{type(exc).__name__}: {exc} (run factpack publish again once "
                            "fixed)") from exc
    return [f"rendered the website in {store_path}"]


# --------------------------------------------------------------------------- CI


def check(root: Path, names: list[str] | None = None, say: Say = quiet) -> list[str]:
    """Release problems, for CI: (a) a released version that no longer rebuilds to its ledger
    bytes, or whose ledger entry was changed or removed; (b) records or schemas changed since
    the last release without a large enough bump."""
    problems: list[str] = []
    for name in names or [d.name for d in dataset_dirs(root)]:
        try:
            book = ledger.read_ledger(root, name)
        except FactpackError as exc:
            problems.append(str(exc))
            continue
        try:
            problems += ledger.history_problems(root, name, book)
        except FactpackError as exc:
            problems.append(f"{name}: cannot read the ledger's history: {exc}")
        with temp_folder(Path(tempfile.gettempdir()), "factpack-check-") as work:
            built: dict[str, Path] = {}
            for rel in book.releases:
                try:
                    say(f"rebuilding {name} {rel.version} from commit {rel.commit[:12]}")
                    built[rel.version] = ledger.rebuild(root, name, rel, work)[0]
                except FactpackError as exc:
                    problems.append(str(exc))
            latest = book.latest()
            if latest is None or latest.version not in built:
                continue
            try:
                version = working_version(root, name)
                if parse_version(version) < parse_version(latest.version):
                    problems.append(f"{name}: version {version} in dataset.yaml is older than "
                                    f"the latest release {latest.version}")
                    continue
                if version == latest.version and \
                        not ledger.inputs_changed_since(root, name, latest.commit):
                    continue  # same inputs, same code: the rebuild above is the working tree's
                say(f"building the working tree of {name} {version}")
                folder, _ = ledger.build_version(root, name, work / "working")
                problem = bump_problem(name, (latest.version, built[latest.version]),
                                       (version, folder))
            except FactpackError as exc:
                problem = f"{name}: the working tree does not build: {exc}"
            if problem:
                problems.append(problem)
    return problems
