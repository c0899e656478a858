"""Tools for the attack tests (``test_attacks*.py``): hostile HTTP servers on 127.0.0.1, a
zip bomb made in a second, a toy repository to publish, and a way to run factpack in a
subprocess that is killed with SIGKILL at a chosen point.

Every server is bound to 127.0.0.1, stopped when its ``with`` block ends, and every
handler is bounded (a trickle stops after a few seconds even if no one hangs up).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Handler = Callable[[BaseHTTPRequestHandler], None]
DAY = "2026-11-24"


# -- HTTP servers ------------------------------------------------------------------------------

class _Routes(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        server.hits.append(self.path)
        route = server.routes.get(self.path.split("?")[0])
        if route is None:
            send(self, b"not here", status=404)
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Handler]
    hits: list[str]
    stopping: threading.Event


@contextmanager
def http(routes: dict[str, Handler]) -> Iterator[tuple[str, _Server]]:
    """Serve ``routes`` (path -> handler) on 127.0.0.1; yields (base URL, server)."""
    server = _Server(("127.0.0.1", 0), _Routes)
    server.routes, server.hits, server.stopping = routes, [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


def send(h: BaseHTTPRequestHandler, body: bytes, status: int = 200,
         headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
        h.send_header(key, value)
    h.end_headers()
    h.wfile.write(body)


def file_route(path: Path, headers: dict[str, str] | None = None) -> Handler:
    return lambda h: send(h, path.read_bytes(), headers=headers)


def redirect(location: str) -> Handler:
    return lambda h: send(h, b"", status=302, headers={"Location": location})


def trickle(size: int, every: float = 0.2, at_most: float = 10.0) -> Handler:
    """Declare ``size`` bytes, then send one byte every ``every`` seconds (for ``at_most``)."""
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        ends = time.monotonic() + at_most
        stopping: threading.Event = h.server.stopping  # type: ignore[attr-defined]
        while time.monotonic() < ends and not stopping.is_set():
            h.wfile.write(b"x")
            h.wfile.flush()
            stopping.wait(every)
    return handler


@contextmanager
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that accepts connections and never says a word; yields (URL, connections)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conns.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/", conns
    finally:
        stop.set()
        thread.join()
        for c in conns:
            c.close()
        listener.close()


# -- archives ----------------------------------------------------------------------------------

def add_bomb(archive: Path, name: str, mib: int) -> None:
    """Append an entry of ``mib`` MiB of zeros that packs to about 1 KiB a MiB, written in about
    a second: each MiB is the same deflate block (a full flush resets the compressor), so
    nothing is compressed for real."""
    chunk = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # the empty final block

    class Same:
        def compress(self, data: bytes) -> bytes:
            return block

        def flush(self) -> bytes:
            return tail

    real = zipfile._get_compressor  # type: ignore[attr-defined]
    zipfile._get_compressor = lambda *a, **k: Same()  # type: ignore[attr-defined]
    try:
        with zipfile.ZipFile(archive, "a") as zf:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            with zf.open(info, "w", force_zip64=True) as f:
                for _ in range(mib):
                    f.write(chunk)
    finally:
        zipfile._get_compressor = real  # type: ignore[attr-defined]


# -- a toy repository to publish ---------------------------------------------------------------

DATASET = """\
name: toy
title: Toy records
version: {version}
description: A toy dataset for the attack tests.
created: "2026-01-01T00:00:00Z"
licenses:
  - name: CC-BY-4.0
    path: https://creativecommons.org/licenses/by/4.0/
    title: Creative Commons Attribution 4.0 International
contributors:
  - title: factpack contributors
    roles: [creator]
sources:
  - title: Made up for tests
    path: https://example.org/toy
resources: [items]
"""

SCHEMA = """\
$schema: https://datapackage.org/profiles/2.0/tableschema.json
title: Items
description: Toy items.
fields:
  - name: id
    type: string
    title: ID
    description: Identifier.
    constraints: {required: true, unique: true}
  - name: amount
    type: integer
    title: Amount
    description: How many.
primaryKey: [id]
"""

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV}).stdout.strip()


def toy_version(repo: Path, version: str, rows: int) -> None:
    """The toy dataset at ``version`` with ``rows`` rows, committed."""
    ds = repo / "datasets" / "toy"
    (ds / "data").mkdir(parents=True, exist_ok=True)
    (repo / "schemas").mkdir(exist_ok=True)
    (ds / "dataset.yaml").write_text(DATASET.format(version=version))
    (repo / "schemas" / "items.yaml").write_text(SCHEMA)
    (ds / "data" / "items.csv").write_text(
        "id,amount\n" + "".join(f"r{i},{i}\n" for i in range(rows)))
    log = ds / "CHANGELOG.md"
    old = log.read_text().partition("\n")[2] if log.exists() else ""
    log.write_text(f"# Changelog\n\n## {version} — {DAY}\n\nChanges of {version}.\n{old}")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"toy {version}")


def toy_repo(repo: Path) -> Path:
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("/build/\n")
    toy_version(repo, "1.0.0", 3)
    return repo


# -- killing a publish -------------------------------------------------------------------------

KILLER = """\
import os, signal, sys
from pathlib import Path
from factpack.release import ledger, publish, store

repo, site, kind, when, nth = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
calls = [0]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def hook(module, attr):
    real = getattr(module, attr)
    def hooked(*args, **kwargs):
        calls[0] += 1
        if when == "before" and calls[0] == nth:
            die()
        out = real(*args, **kwargs)
        if when == "after" and calls[0] == nth:
            die()
        return out
    setattr(module, attr, hooked)

render = None
if kind == "render":
    render = lambda store_path: ((store_path / "index.html").write_text("half"), die())
else:
    hook(*{"build": (ledger, "build_version"), "ledger": (ledger, "write_ledger"),
           "move": (store, "move")}[kind])
publish.publish(Path(repo), Path(site), today=sys.argv[6], render=render)
print("the kill point was never reached")
"""


def publish_killed(repo: Path, site: Path, kind: str, when: str, nth: int, tmp: Path
                   ) -> subprocess.CompletedProcess:
    """Run a publish in a subprocess (temporary folder ``tmp``), SIGKILLed at the point."""
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, **GIT_ENV, "TMPDIR": str(tmp), "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", KILLER, str(repo), str(site), kind, when,
                           str(nth), DAY], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
