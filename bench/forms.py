"""``make bench`` (second part): the same package read as a plain CSV, gzipped, and over
HTTP from a loopback server (issue 14's goals: ``.csv.gz`` and remote each within 1.5× of
the plain local file, memory as for the local file).

The package of a profile is generated once (``bench/generate.py``, cached); a copy has
every table gzipped (``path: x.csv.gz``); a real ``http.server`` on 127.0.0.1 serves the
plain folder. ``factpack validate`` runs on each, in fresh processes, interleaved (local,
gz, remote, local, …), so a load spike on a shared machine falls on all three. The
errors must be identical in the three forms. Figures go to
``build/bench/forms.json`` and a table to stdout, with CPU time (user + system) beside
wall time and the load average before and after: on a shared 2-core machine the CPU
ratio is the steadier figure.

    .venv/bin/python bench/forms.py                              # 1 M rows, 3 runs
    .venv/bin/python bench/forms.py --sizes 100000 --runs 1      # a quick look
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import shutil
import statistics
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from run import OUT, factpack_cmd, factpack_errors, parse_size, repeat


def gzipped_copy(pkg: Path) -> Path:
    """A sibling folder holding the package with every table as ``.csv.gz``."""
    out = pkg.parent.with_name(pkg.parent.name + "-gz")
    if (out / "datapackage.json").is_file():
        return out / "datapackage.json"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    desc = json.loads(pkg.read_text(encoding="utf-8"))
    for res in desc["resources"]:
        with open(pkg.parent / res["path"], "rb") as src, \
                gzip.open(out / (res["path"] + ".gz"), "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        res["path"] += ".gz"
        for key in ("bytes", "hash"):  # they describe the plain file
            res.pop(key, None)
    (out / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")
    return out / "datapackage.json"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def bench(profile: str, size: int, runs: int) -> dict:
    spec = generate.Spec(size, "errors", profile=profile)
    pkg = generate.ensure(spec)
    gz = gzipped_copy(pkg)
    server, url = serve(pkg.parent)
    try:
        jobs = [(form, factpack_cmd(target), OUT / "forms" / f"{spec.key}-{form}.json")
                for form, target in (("local", pkg), ("gz", gz),
                                     ("remote", url + "datapackage.json"))]
        print(f"{profile}, {size:,} rows:", flush=True)
        load_before = os.getloadavg()
        got = repeat(jobs, runs, spec.rows)
        load_after = os.getloadavg()
    finally:
        server.shutdown()
    errors = [factpack_errors(out) for _, _, out in jobs]
    # the remote form names its files by URL; the error sets are compared by
    # (resource, row, field, code), which do not hold the path
    local, local_cpu = got[0]["median_seconds"], got[0]["median_cpu_seconds"]
    return {"profile": profile, "rows": spec.rows,
            # 1-minute load average before and after (2 cores: above 2, the figures wait)
            "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
            "forms": {form: {**g, "ratio_to_local": g["median_seconds"] / local,
                             "cpu_ratio_to_local": g["median_cpu_seconds"] / local_cpu,
                             "rss_ratio_to_local": g["peak_rss_bytes"] / got[0]["peak_rss_bytes"]}
                      for (form, _, _), g in zip(jobs, got)},
            "same_errors": all(e == errors[0] for e in errors),
            "errors": len(errors[0])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", default="narrow-numeric,key-heavy")
    ap.add_argument("--sizes", default="1M")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    results = [bench(p, parse_size(s), args.runs) for p in args.profiles.split(",")
               for s in args.sizes.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "forms.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print("\n| profile | rows | load | form | median s | × local | CPU s | CPU × local "
          "| peak RSS | RSS × local | same errors |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        load = "–".join(f"{x:.1f}" for x in r["load_average"])
        for form, f in r["forms"].items():
            print(f"| {r['profile']} | {r['rows']:,} | {load} | {form} | "
                  f"{f['median_seconds']:.2f} | {f['ratio_to_local']:.2f} | "
                  f"{f['median_cpu_seconds']:.2f} | {f['cpu_ratio_to_local']:.2f} | "
                  f"{f['peak_rss_bytes'] / 2**20:.0f} MiB | {f['rss_ratio_to_local']:.2f} | "
                  f"{'yes' if r['same_errors'] else 'NO'} ({r['errors']}) |")
    worst = max((f["ratio_to_local"] for r in results for f in r["forms"].values()),
                default=1.0)
    print(f"\nworst ratio to the local file: {worst:.2f} (goal ≤ 1.5); "
          f"median of all forms: {statistics.median(f['ratio_to_local'] for r in results for f in r['forms'].values()):.2f}")
    return 0 if all(r["same_errors"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
