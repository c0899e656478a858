"""The release store on S3 against the same store in a folder (issue 18's goals: publish and
fetch within 2x of the folder; memory while moving a large package bounded by a chunk).

A real S3 server (moto's standalone server, ``python -m moto.server``) runs on 127.0.0.1
in a process of its own, so its CPU time is measured apart from factpack's. In a fresh
clone of the repository, ``factpack publish --no-site`` into a new folder and into a new
prefix of a bucket, then ``factpack fetch`` from each into an empty cache, all in fresh
processes, interleaved (folder, s3, folder, s3, ...). For each: median wall time, the
client's CPU (user + system), the server's CPU and the number of requests it answered.

Then a large file (``--large-mib``, 256 by default) goes up and comes back through
:class:`factpack.core.s3.Bucket` (what publish and fetch use for every object), in a
fresh process whose peak RSS is set against one that only imports and connects.

With ``--package-rows``, a large package end to end: the build benchmark's dataset
published to the bucket and fetched back (peak RSS of each; publish's is the build's).

Figures go to ``build/bench/s3.json`` and a table to stdout.

    .venv/bin/python bench/s3.py                 # 5 runs, 256 MiB
    .venv/bin/python bench/s3.py --runs 1 --large-mib 64
    .venv/bin/python bench/s3.py --runs 1 --large-mib 1024 --package-rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT, PY, ROOT

SRC = ROOT / "src"
MEASURE = Path(__file__).with_name("measure.py")


class Server:
    """moto's S3 server in its own process; its requests counted from its log."""

    def __init__(self, log: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = log
        self.proc = subprocess.Popen([PY, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                      str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=log.open("wb"))
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        self.ps = psutil.Process(self.proc.pid)

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def requests(self) -> int:
        return sum(1 for line in self.log.read_text(errors="replace").splitlines()
                   if '" 2' in line or '" 3' in line or '" 4' in line or '" 5' in line)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def run(cmd: list[str], cwd: Path, env: dict, server: Server, out: Path) -> dict:
    """One command in a fresh process: wall, client CPU, peak RSS; server CPU and requests."""
    cpu0, req0 = server.cpu(), server.requests()
    res = subprocess.run([PY, str(MEASURE), str(out), "--", *cmd], capture_output=True,
                         text=True, check=True, cwd=cwd, env=env)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    if got["returncode"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{Path(str(out) + '.err').read_text()}")
    time.sleep(0.3)  # the server's last log lines
    got["server_cpu"] = server.cpu() - cpu0
    got["requests"] = server.requests() - req0
    return got


def timings(server: Server, env: dict, work: Path, runs: int) -> dict:
    clone = work / "repo"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                   check=True)
    fp = [PY, "-m", "factpack"]
    got: dict[str, list[dict]] = {k: [] for k in ("publish folder", "publish s3",
                                                   "fetch folder", "fetch s3")}
    for i in range(-1, runs):  # run -1 warms up (bytecode written, disk cache), not counted
        folder, bucket = work / f"store{i + 1}", f"s3://bench/run{i + 1}"
        for kind, store in (("folder", str(folder)), ("s3", bucket)):
            subprocess.run(["git", "checkout", "-q", "--", "."], cwd=clone, check=True)
            m = run([*fp, "publish", "--store", store, "--no-site"], clone, env, server,
                    work / "out.txt")
            got[f"publish {kind}"].append(m)
        name = min(json.loads((folder / "catalog.json").read_text())["datasets"])
        for kind, store in (("folder", str(folder)), ("s3", bucket)):
            cache = work / f"cache-{kind}{i + 1}"
            m = run([*fp, "fetch", name, "--store", store, "-q"], clone,
                    env | {"FACTPACK_CACHE": str(cache)}, server, work / "out.txt")
            got[f"fetch {kind}"].append(m)
        if i < 0:
            got = {k: [] for k in got}
            continue
        for job, ms in got.items():
            m = ms[-1]
            print(f"  {job} run {i + 1}/{runs}: {m['seconds']:.2f} s wall, "
                  f"{m['cpu_seconds']:.2f} s client CPU, {m['server_cpu']:.2f} s server CPU, "
                  f"{m['requests']} requests", flush=True)
    return {job: {"seconds": statistics.median(m["seconds"] for m in ms),
                  "client_cpu": statistics.median(m["cpu_seconds"] for m in ms),
                  "server_cpu": statistics.median(m["server_cpu"] for m in ms),
                  "requests": statistics.median(m["requests"] for m in ms)}
            for job, ms in got.items()}


LARGE = """
import sys
from pathlib import Path
from factpack.core import s3
from factpack.core.transfer import Store
from factpack.core.hashing import file_digest
big, back, what = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
s3.client()  # connected: the baseline stops here
if what in ("up", "both"):
    sha, size = file_digest(big)
    s3.Bucket("bench", "large").put_file(f"{sha}.bin", big, sha, overwrite=True)
if what in ("down", "both"):
    sha, size = file_digest(big)
    got = Store("s3://bench/large", progress=False).download(f"{sha}.bin", back, size)
    assert (got.sha256, got.bytes) == (sha, size)
"""


def large(server: Server, env: dict, work: Path, mib: int) -> dict:
    big = work / "big.bin"
    with big.open("wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
    out = {}
    for what in ("baseline", "up", "down"):
        m = run([PY, "-c", LARGE, str(big), str(work / "back.bin"), what], work, env, server,
                work / "large.txt")
        out[what] = {"seconds": m["seconds"], "max_rss_mib": m["max_rss_bytes"] / 2**20}
        print(f"  {mib} MiB {what}: {m['seconds']:.2f} s, peak RSS "
              f"{out[what]['max_rss_mib']:.0f} MiB", flush=True)
    big.unlink()
    (work / "back.bin").unlink(missing_ok=True)
    return out


SIZES = """
import boto3, json
listed = boto3.client("s3").list_objects_v2(Bucket="bench", Prefix="package/")["Contents"]
print(json.dumps({o["Key"]: o["Size"] for o in listed}))
"""


def package(server: Server, env: dict, work: Path, rows: int) -> dict:
    """A large package end to end: the build benchmark's dataset of ``rows`` rows (1 M rows:
    about 0.9 GB of objects, the zip 0.47 GB) published to the bucket and fetched back,
    each in a fresh process; peak RSS of both (publish's includes the build's)."""
    import generate
    from run import dataset_repo

    repo = work / "package-repo"
    shutil.copytree(dataset_repo(generate.Spec(rows, "valid", 42)), repo)
    ds = repo / "datasets" / "bench"
    with (ds / "dataset.yaml").open("a") as f:  # what publish requires of a release
        f.write("sources:\n- title: bench/generate.py\n  path: https://example.org/bench\n")
    (ds / "CHANGELOG.md").write_text("# Changelog: bench\n\n## 1.0.0\n\nSynthetic rows.\n")
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=bench", "-c",
                                                "user.email=bench@example.org", "commit",
                                                "-qm", "bench dataset"]):
        subprocess.run(["git", *cmd], cwd=repo, check=True)
    fp, store = [PY, "-m", "factpack"], "s3://bench/package"
    pub = run([*fp, "publish", "--store", store, "--no-site"], repo, env, server,
              work / "package.txt")
    fetched = run([*fp, "fetch", "bench", "--store", store, "-q"], repo,
                  env | {"FACTPACK_CACHE": str(work / "package-cache")}, server,
                  work / "package.txt")
    sizes = subprocess.run([PY, "-c", SIZES], env=env, check=True, capture_output=True,
                           text=True).stdout
    objects = json.loads(sizes)
    out = {"rows": rows, "objects_bytes": sum(objects.values()),
           "zip_bytes": sum(v for k, v in objects.items() if k.endswith(".zip")),
           "publish": {"seconds": pub["seconds"], "max_rss_mib": pub["max_rss_bytes"] / 2**20},
           "fetch": {"seconds": fetched["seconds"],
                     "max_rss_mib": fetched["max_rss_bytes"] / 2**20}}
    print(f"  package of {rows:,} rows: {out['objects_bytes'] / 1e9:.2f} GB of objects (zip "
          f"{out['zip_bytes'] / 1e9:.2f} GB); publish {pub['seconds']:.0f} s, peak RSS "
          f"{out['publish']['max_rss_mib']:.0f} MiB (the build's); fetch "
          f"{fetched['seconds']:.1f} s, peak RSS {out['fetch']['max_rss_mib']:.0f} MiB",
          flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--large-mib", type=int, default=256)
    ap.add_argument("--package-rows", type=int, default=0,
                    help="also publish and fetch the build benchmark's dataset of this many "
                         "rows (1000000: ~0.9 GB of objects); 0: skip")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="factpack-bench-s3-"))
    server = Server(work / "server.log")
    # as an installed package runs: from bytecode (a session that sets PYTHONDONTWRITEBYTECODE
    # would compile every module in every process, seconds that hide what is measured)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"} | {
        "AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONPATH": str(SRC)}
    try:
        subprocess.run([PY, "-c", "import boto3; boto3.client('s3').create_bucket(Bucket='bench')"],
                       env=env, check=True)
        result = {"timings": timings(server, env, work, args.runs),
                  "large": large(server, env, work, args.large_mib), "runs": args.runs,
                  "large_mib": args.large_mib}
        if args.package_rows:
            result["package"] = package(server, env, work, args.package_rows)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    t = result["timings"]
    print("\n| | folder | s3 | s3 / folder | client CPU (s3) | server CPU | requests |")
    print("|---|---|---|---|---|---|---|")
    for job in ("publish", "fetch"):
        f, s = t[f"{job} folder"], t[f"{job} s3"]
        print(f"| {job} | {f['seconds']:.2f} s | {s['seconds']:.2f} s | "
              f"{s['seconds'] / f['seconds']:.2f}x | {s['client_cpu']:.2f} s "
              f"(folder {f['client_cpu']:.2f} s) | {s['server_cpu']:.2f} s | "
              f"{s['requests']:.0f} |")
    lg = result["large"]
    base = lg["baseline"]["max_rss_mib"]
    print(f"\n{args.large_mib} MiB object: up {lg['up']['seconds']:.1f} s, peak RSS "
          f"+{lg['up']['max_rss_mib'] - base:.0f} MiB over the connected baseline "
          f"({base:.0f} MiB); down {lg['down']['seconds']:.1f} s, "
          f"+{lg['down']['max_rss_mib'] - base:.0f} MiB")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "s3.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
