"""Bytes from a release store: a local folder, a ``file://``, ``http(s)://`` or ``s3://`` URL
(:mod:`factpack.core.s3`).

Downloads stream into a ``.part`` file while hashing. Over HTTP a dropped
connection is resumed with a ``Range`` request, with a bounded number of
retries and exponential backoff, each said on stderr; a server that sends more
bytes than the catalog declares is cut off. Every file has an overall deadline
(retries and slow servers included), a server that never answers is given up on
after :data:`ANSWER_DEADLINE`, and redirects are followed only within the same
scheme, host and port. The caller owns the ``.part`` file's folder and removes it
on failure, so nothing half-downloaded survives.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .errors import FactpackError
from .hashing import Digest
from .paths import is_relative_inside, locate

RETRIES = 5  # attempts after the first, per file, that made no progress
BACKOFF = 0.5  # seconds before the first retry; doubles each time
DEADLINE = 1800.0  # seconds for one file, retries included: a server that trickles bytes
# or never finishes is cut off, however it paces itself
ANSWER_DEADLINE = 60.0  # seconds without any HTTP answer (all attempts) before giving up
TIMEOUT = 30.0  # seconds one read may wait; connecting gets at most 10
MAX_REDIRECTS = 5
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
CHUNK = 1 << 16


class _Retry(Exception):
    """A transient failure worth another attempt."""


def _stderr(message: str) -> None:
    print(f"factpack: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Download:
    path: Path
    sha256: str
    bytes: int


def safe_relpath(rel: str) -> str:
    """A store-relative path that cannot leave the store (:func:`core.paths.text_problem`)."""
    if not is_relative_inside(rel):
        raise FactpackError(f"unsafe path {rel!r} in the catalog: paths must stay inside the store")
    return rel


class Store:
    """Where ``catalog.json`` lives; every other path is relative to it."""

    def __init__(self, location: str | Path, *, retries: int = RETRIES, backoff: float = BACKOFF,
                 progress: bool = True, deadline: float = DEADLINE,
                 timeout: float = TIMEOUT, answer_deadline: float = ANSWER_DEADLINE,
                 say: Callable[[str], None] = _stderr) -> None:
        text = str(location)
        self.retries, self.backoff, self.progress = retries, backoff, progress
        self.deadline, self.say, self.timeout = deadline, say, timeout
        self.answer_deadline = answer_deadline
        scheme = urlsplit(text).scheme.lower() if "://" in text else ""
        self.bucket = None  # an s3:// store (core.s3, imported only for one)
        if scheme == "s3":
            from .s3 import Bucket

            self.url, self.root = None, None
            self.bucket = Bucket.from_url(text.removesuffix("catalog.json"))
        elif scheme in ("http", "https"):
            base = text if text.endswith("/") else text + "/"
            if base.endswith("/catalog.json/"):
                base = base[: -len("catalog.json/")]
            self.url: str | None = base
            self.root: Path | None = None
        elif scheme == "file":
            self.url, self.root = None, Path(url2pathname(unquote(urlsplit(text).path)))
        elif scheme:
            raise FactpackError(f"unsupported store {text!r}: use a folder, file://, http(s):// "
                                "or s3://")
        else:
            self.url, self.root = None, Path(text)
        if self.root is not None and self.root.name == "catalog.json":
            self.root = self.root.parent
        self.label = text

    def where(self, rel: str) -> str:
        """The URL or path of a store-relative file, for messages."""
        rel = safe_relpath(rel)
        if self.bucket is not None:
            return self.bucket.url(rel)
        return str(httpx.URL(self.url).join(rel)) if self.url else str(self.root / rel)

    def _local(self, rel: str) -> Path:
        """A file of a local store: never through a symbolic link (:mod:`core.paths`)."""
        assert self.root is not None
        path, why = locate(self.root, safe_relpath(rel))
        if path is None:
            raise FactpackError(f"{self.root / rel}: {why}")
        return path

    def read(self, rel: str, limit: int) -> bytes:
        """A small file (a catalog or descriptor) in full, at most ``limit`` bytes."""
        if self.bucket is not None:
            data = self.bucket.read(safe_relpath(rel), limit)
        elif self.root is not None:
            path = self._local(rel)
            try:
                with path.open("rb") as f:
                    data = f.read(limit + 1)
            except FileNotFoundError:
                raise FactpackError(f"{path}: not found (is {self.label} a factpack store?)") from None
            except OSError as exc:
                raise FactpackError(f"{path}: cannot read: {exc.strerror or exc}") from None
        else:
            data = self._get_all(self.where(rel), limit)
        if len(data) > limit:
            raise FactpackError(f"{self.where(rel)}: larger than {limit} bytes, refusing to read it")
        return data

    def download(self, rel: str, dest: Path, size: int | None, limit: int | None = None,
                 hashed: bool = True) -> Download:
        """Stream a file to ``dest``, hashing it.

        ``size`` is the declared size (None if unknown): more is refused, less is
        resumed. At most ``limit`` bytes are accepted, whatever the size declared.
        ``hashed=False`` (HTTP): no sha256, for a caller that only reads the file (the
        hash costs ~1 s of CPU per 200 MB).
        """
        caps = [x for x in (size, limit) if x is not None]
        if not caps:
            raise ValueError("download() needs a size or a limit")
        cap = min(caps)
        with _bar(self.progress and bool(size), PurePosixPath(rel).name, size) as advance:
            if self.bucket is not None:
                got = self.bucket.download(safe_relpath(rel), dest, cap, advance)
                return Download(got.path, got.sha256, got.bytes)
            if self.root is not None:
                return _copy_local(self._local(rel), dest, cap, advance)
            with _client() as client:
                return self._http_download(client, self.where(rel), dest, size, cap, advance,
                                           "sha256" if hashed else None)

    # -- HTTP -------------------------------------------------------------------------------

    def _pause(self, url: str, failures: int, exc: Exception, clock: _Clock) -> None:
        """Say why, then wait before retry number ``failures`` (exponential backoff)."""
        wait = self.backoff * 2 ** (failures - 1)
        now = time.monotonic()
        if not clock.answered and now + wait - clock.start > self.answer_deadline:
            raise FactpackError(f"{url}: no answer within {self.answer_deadline:.0f} s "
                                f"({failures} attempts, {_why(exc)}); giving up")
        if now + wait > clock.ends:
            raise FactpackError(f"{url}: no complete answer within {self.deadline:.0f} s "
                                f"({_why(exc)}); giving up")
        self.say(f"{url}: {_why(exc)}; retrying in {wait:g} s "
                 f"(attempt {failures + 1} of {self.retries + 1})")
        time.sleep(wait)

    def _within(self, url: str, clock: _Clock) -> None:
        if time.monotonic() > clock.ends:
            raise FactpackError(f"{url}: not finished within {self.deadline:.0f} s; giving up")

    @contextmanager
    def _get(self, client: httpx.Client, url: str, headers: dict[str, str], clock: _Clock
             ) -> Iterator[httpx.Response]:
        """A streamed GET of ``url``, following at most :data:`MAX_REDIRECTS` redirects, each
        within the URL's own scheme, host and port: a store never sends us elsewhere."""
        chain = [url]
        while True:
            request = client.build_request("GET", chain[-1], headers=headers,
                                           timeout=clock.timeout())
            try:
                response = client.send(request, stream=True)
            except (httpx.TooManyRedirects, httpx.DecodingError, httpx.UnsupportedProtocol,
                    httpx.InvalidURL) as exc:
                raise FactpackError(f"{url}: {_why(exc)}") from None
            clock.answered = True
            if not response.is_redirect:
                try:
                    yield response
                except httpx.DecodingError as exc:
                    raise FactpackError(
                        f"{url}: the body is not what its Content-Encoding "
                        f"({response.headers.get('content-encoding')}) says ({exc}); "
                        "refusing it") from None
                finally:
                    response.close()
                return
            response.close()
            target = str(response.url.join(response.headers.get("location", "")))
            if _origin(target) != _origin(url):
                raise FactpackError(
                    f"{url}: redirected to {target}, another host or port; factpack follows "
                    f"redirects only within {_origin(url)} (use that URL if you trust it)")
            if target in chain:
                raise FactpackError(f"{url}: redirect loop ({' -> '.join([*chain, target])})")
            if len(chain) > MAX_REDIRECTS:
                raise FactpackError(f"{url}: more than {MAX_REDIRECTS} redirects; giving up")
            chain.append(target)

    def _get_all(self, url: str, limit: int) -> bytes:
        clock = _Clock(self)
        with _client() as client:
            for failures in range(self.retries + 1):
                try:
                    with self._get(client, url, {}, clock) as r:
                        _check_status(r, url)
                        data = bytearray()
                        for chunk in r.iter_bytes():
                            self._within(url, clock)
                            data += chunk
                            if len(data) > limit:
                                break
                        return bytes(data)
                except httpx.ConnectError as exc:
                    raise _unreachable(url, exc) from None
                except (httpx.TransportError, _Retry) as exc:
                    if failures == self.retries:
                        raise FactpackError(f"{url}: failed after {self.retries + 1} attempts: "
                                            f"{_why(exc)}") from None
                    self._pause(url, failures + 1, exc, clock)
        raise AssertionError("unreachable")

    def _http_download(self, client: httpx.Client, url: str, dest: Path, size: int | None,
                       cap: int, advance, algorithm: str | None = "sha256") -> Download:
        digest, last = Digest(algorithm), None
        failures, clock = 0, _Clock(self)
        while True:
            start = digest.bytes
            headers = {"Range": f"bytes={start}-"} if start else {}
            try:
                with self._get(client, url, headers, clock) as r:
                    if start and r.status_code == 416 and size is None:
                        return Download(dest, digest.hexdigest(), start)  # we had it all
                    if start and r.status_code == 416:
                        raise FactpackError(
                            f"{url}: the server has only {start} bytes, the catalog says {size}")
                    _check_status(r, url)
                    if not (start and r.status_code == 206 and _range_start(r) == start):
                        digest = Digest(algorithm)  # no resume: start over
                        advance(reset=True)
                    with dest.open("ab" if digest.bytes else "wb") as f:
                        for chunk in r.iter_bytes():
                            self._within(url, clock)
                            if digest.bytes + len(chunk) > cap:
                                raise FactpackError(
                                    f"{url}: the server sent more than the {cap} bytes "
                                    f"{'declared' if size is not None else 'allowed'}; "
                                    "refusing it")
                            f.write(chunk)
                            digest.update(chunk)
                            advance(len(chunk))
                have = digest.bytes
                if size is None or have == size:  # unknown size: httpx checks Content-Length
                    return Download(dest, digest.hexdigest(), have)
                raise _Retry(f"connection closed after {have} of {size} bytes")  # size known here
            except httpx.ConnectError as exc:
                got = f" after {digest.bytes} of {size if size is not None else '?'} bytes" \
                    if digest.bytes else ""
                raise _unreachable(url, exc, got) from None
            except (httpx.TransportError, _Retry) as exc:
                last = exc
                failures = 0 if digest.bytes > start else failures + 1  # progress resets the count
                if failures > self.retries:
                    total = size if size is not None else "?"
                    raise FactpackError(
                        f"{url}: download failed after {failures} attempts without progress "
                        f"({digest.bytes} of {total} bytes): {_why(last)}") from None
                if failures:
                    self._pause(url, failures, exc, clock)


class _Clock:
    """The time budget of one file: its overall deadline, and whether the server answered."""

    def __init__(self, store: Store) -> None:
        self.start = time.monotonic()
        self.ends = self.start + store.deadline
        self.answer_ends = self.start + store.answer_deadline
        self.per_read = store.timeout
        self.answered = False

    def timeout(self) -> httpx.Timeout:
        """Per-request timeouts that never reach past the deadline (nor, before any answer,
        past the answer deadline): no single wait can outlast the budget."""
        ends = self.ends if self.answered else min(self.ends, self.answer_ends)
        t = max(min(self.per_read, ends - time.monotonic()), 0.05)
        return httpx.Timeout(t, connect=min(t, 10.0))


def _origin(url: str) -> str:
    u = httpx.URL(url)
    port = u.port or {"http": 80, "https": 443}.get(u.scheme)
    return f"{u.scheme}://{u.host}:{port}"


def _client() -> httpx.Client:
    # identity encoding: Range offsets then count the bytes we store; redirects: see Store._get
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False,
                        headers={"Accept-Encoding": "identity"})


def _unreachable(url: str, exc: httpx.ConnectError, got: str = "") -> FactpackError:
    """A refused connection or an unknown host: not transient, so no retry."""
    return FactpackError(f"{url}: cannot connect to {urlsplit(url).netloc}{got} "
                         f"({exc or 'refused'}); nothing was kept")


def _check_status(r: httpx.Response, url: str) -> None:
    if r.status_code in RETRY_STATUS:
        raise _Retry(f"HTTP {r.status_code}")
    if r.status_code == 404:
        raise FactpackError(f"{url}: not found (HTTP 404)")
    if r.status_code >= 400:
        raise FactpackError(f"{url}: HTTP {r.status_code} {r.reason_phrase}")


def _range_start(r: httpx.Response) -> int | None:
    """First byte of a 206 response (``Content-Range: bytes START-END/TOTAL``)."""
    value = r.headers.get("content-range", "")
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _why(exc: Exception | None) -> str:
    text = str(exc) if exc else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _copy_local(src: Path, dest: Path, size: int, advance) -> Download:
    digest = Digest()
    try:
        with src.open("rb") as f, dest.open("wb") as out:
            while chunk := f.read(CHUNK):
                if digest.bytes + len(chunk) > size:
                    raise FactpackError(f"{src}: larger than the {size} bytes declared or allowed")
                out.write(chunk)
                digest.update(chunk)
                advance(len(chunk))
    except FileNotFoundError:
        raise FactpackError(f"{src}: not found in the store") from None
    return Download(dest, digest.hexdigest(), digest.bytes)


class _bar:
    """A rich download bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, enabled: bool, label: str, total: int) -> None:
        console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(),
            console=console, transient=True, disable=not (enabled and console.is_terminal))
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self):
        self.progress.__enter__()

        def advance(n: int = 0, reset: bool = False) -> None:
            if reset:
                self.progress.reset(self.task)
            elif n:
                self.progress.advance(self.task, n)

        return advance

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)
