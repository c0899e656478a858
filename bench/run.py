"""``make bench``: factpack's validator against frictionless-py on synthetic packages.

For each size and variant (``valid``, ``errors`` ≈ 1 % errors of every code) the
package is generated once (seeded, cached under ``build/bench/data/``), then
``factpack validate`` and ``frictionless validate`` (only up to
``--frictionless-max`` rows) each run ``--runs`` times in a fresh process, in the
same session. For each: median wall time, rows per second, peak RSS, the
factpack/frictionless time ratio, and whether the two error sets
``(resource, row, field, code)`` are identical (both with no error limit; also
compared with the errors the generator injected). Where they differ a sample of
the difference is printed.

Also measured: ``--max-errors`` with a million errors (listed records capped,
counts exact, JSON streamed), and building a 1 M-row dataset next to the floor,
a plain polars ``read_csv`` → ``write_parquet`` of the same file.

Figures go to ``build/bench/results.json`` and a short table to stdout.

    .venv/bin/python bench/run.py                      # 1 M and 10 M rows, 3 runs (minutes)
    .venv/bin/python bench/run.py --quick              # 100 000 rows, 1 run
    .venv/bin/python bench/run.py --sizes 1000000 --runs 5 --no-build
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate

ROOT = generate.ROOT
OUT = ROOT / "build" / "bench"
PY = sys.executable
FRICTIONLESS = str(Path(PY).with_name("frictionless"))
HUGE = 1_000_000_000

# Codes compared as classes, and row-level codes that name no field (as tests/test_conformance.py).
METADATA = {"package-error", "resource-error", "schema-error", "field-error", "dialect-error"}
LOADING = {"source-error", "scheme-error", "format-error", "compression-error", "io-error",
           "encoding-error", "hash-count", "byte-count"}


def norm(code: str, resource: str | None, row: int | None, field: str | None) -> tuple:
    if code in METADATA:
        return (None, None, None, "metadata-error")
    if code in LOADING:
        return (None, None, None, "source-error")
    if code.endswith("-label"):
        row = None
    if code in ("extra-cell", "blank-row", "primary-key", "foreign-key"):
        field = None
    return (resource, row, field or None, code)


# ---------------------------------------------------------------- running


def measure(cmd: list[str], out: Path, env: dict | None = None) -> dict:
    """Run ``cmd`` once in a fresh process (stdout → ``out``): seconds, peak RSS, exit code."""
    out.parent.mkdir(parents=True, exist_ok=True)
    res = subprocess.run([PY, str(Path(__file__).with_name("measure.py")), str(out), "--", *cmd],
                         capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, **(env or {})})
    return json.loads(res.stdout.strip().splitlines()[-1])


def repeat(jobs: list[tuple[str, list[str], Path]], runs: int, rows: int) -> list[dict]:
    """Run each job ``runs`` times, interleaved (a, b, a, b, …) so load spikes hit both."""
    got: list[dict] = [{"seconds": [], "cpu": [], "rss": [], "codes": []} for _ in jobs]
    for i in range(runs):
        for (name, cmd, out), g in zip(jobs, got):
            m = measure(cmd, out)
            g["seconds"].append(m["seconds"])
            g["cpu"].append(m["cpu_seconds"])
            g["rss"].append(m["max_rss_bytes"])
            g["codes"].append(m["returncode"])
            print(f"    {name} run {i + 1}/{runs}: {m['seconds']:.2f} s "
                  f"({m['cpu_seconds']:.2f} s CPU), {m['max_rss_bytes'] / 2**20:.0f} MiB, "
                  f"exit {m['returncode']}", flush=True)
    results = []
    for (name, cmd, out), g in zip(jobs, got):
        if any(c not in (0, 1) for c in g["codes"]):
            err = Path(str(out) + ".err").read_text(errors="replace")[-2000:]
            print(f"    {name} FAILED (exit {g['codes']}):\n{err}", flush=True)
        med = statistics.median(g["seconds"])
        results.append({
            "command": " ".join(_short(c) for c in cmd), "runs": runs, "seconds": g["seconds"],
            "median_seconds": med, "rows_per_second": rows / med if med else None,
            "cpu_seconds": g["cpu"], "median_cpu_seconds": statistics.median(g["cpu"]),
            "peak_rss_bytes": max(g["rss"]), "exit_codes": g["codes"]})
    return results


def _short(arg: str) -> str:
    try:
        return str(Path(arg).relative_to(ROOT))
    except ValueError:
        return arg


def factpack_cmd(pkg: Path, max_errors: int = HUGE, fmt: str = "json") -> list[str]:
    return [PY, "-m", "factpack", "validate", str(pkg), "--format", fmt,
            "--max-errors", str(max_errors)]


def factpack_errors(out: Path) -> set[tuple]:
    doc = json.loads(out.read_text(encoding="utf-8"))
    return {norm(e["code"], e.get("resource"), e.get("row"), e.get("field"))
            for p in doc["packages"] for e in p["errors"]}


def frictionless_errors(out: Path) -> set[tuple]:
    doc = json.loads(out.read_text(encoding="utf-8"))
    found = {norm(e["type"], None, None, None) for e in doc.get("errors", [])}
    for task in doc.get("tasks", []):
        for e in task.get("errors", []):
            found.add(norm(e["type"], task.get("name"), e.get("rowNumber"), e.get("fieldName")))
    return found


def diff(a: set, b: set, a_name: str, b_name: str, n: int = 8) -> dict:
    only_a, only_b = sorted(a - b, key=str), sorted(b - a, key=str)
    return {"identical": not only_a and not only_b, f"only_{a_name}": len(only_a),
            f"only_{b_name}": len(only_b), f"sample_only_{a_name}": [list(x) for x in only_a[:n]],
            f"sample_only_{b_name}": [list(x) for x in only_b[:n]]}


def show_diff(d: dict, a_name: str, b_name: str) -> None:
    if d["identical"]:
        return
    for name in (a_name, b_name):
        if d[f"only_{name}"]:
            print(f"    only {name} ({d[f'only_{name}']}): {d[f'sample_only_{name}']}")


# ---------------------------------------------------------------- cases


def bench_validate(spec: generate.Spec, runs: int, with_frictionless: bool) -> dict:
    pkg = generate.ensure(spec)
    rows = spec.rows
    outdir = OUT / "out" / spec.key
    print(f"\n== validate {spec.size:,} statements + {spec.n_actors:,} actors ({spec.variant}), "
          f"{pkg.parent.relative_to(ROOT)}", flush=True)
    case = {"size": spec.size, "actors": spec.n_actors, "rows": rows, "variant": spec.variant,
            "seed": spec.seed, "package": str(pkg.relative_to(ROOT)),
            "bytes": sum(f.stat().st_size for f in pkg.parent.glob("*.csv"))}
    expected = generate.expected_errors(pkg)
    case["expected_errors"] = len(expected)
    fp_out, fr_out = outdir / "factpack.json", outdir / "frictionless.json"
    jobs = [("factpack", factpack_cmd(pkg), fp_out)]
    if with_frictionless:
        jobs.append(("frictionless", [FRICTIONLESS, "validate", "--json", "--limit-errors",
                                      str(HUGE), str(pkg)], fr_out))
    measured = repeat(jobs, runs, rows)
    case["factpack"] = measured[0]
    ours = factpack_errors(fp_out)
    case["factpack"]["errors"] = len(ours)
    case["factpack_vs_expected"] = diff(ours, expected, "factpack", "expected")
    show_diff(case["factpack_vs_expected"], "factpack", "expected")
    if with_frictionless:
        case["frictionless"] = measured[1]
        theirs = frictionless_errors(fr_out)
        case["frictionless"]["errors"] = len(theirs)
        case["ratio"] = case["frictionless"]["median_seconds"] / case["factpack"]["median_seconds"]
        case["cpu_ratio"] = (case["frictionless"]["median_cpu_seconds"]
                             / case["factpack"]["median_cpu_seconds"])
        case["factpack_vs_frictionless"] = diff(ours, theirs, "factpack", "frictionless")
        show_diff(case["factpack_vs_frictionless"], "factpack", "frictionless")
        case["frictionless_vs_expected"] = diff(theirs, expected, "frictionless", "expected")
        show_diff(case["frictionless_vs_expected"], "frictionless", "expected")
    return case


def bench_many_errors(size: int, runs: int, seed: int) -> dict:
    """A package where every statement row breaks a constraint: ``--max-errors`` at scale."""
    spec = generate.Spec(size, "valid", seed)
    pkg = generate.ensure(spec)
    desc = json.loads(pkg.read_text())
    for f in desc["resources"][1]["schema"]["fields"]:
        if f["name"] == "confidence":
            f["constraints"]["maximum"] = -1  # every value (0…100) is now too large
    many = pkg.with_name("datapackage-every-row-invalid.json")
    many.write_text(json.dumps(desc, indent=2))
    print(f"\n== {size:,} errors, --max-errors 1000 (json)", flush=True)
    out = OUT / "out" / spec.key / "many-errors.json"
    case = {"size": size, "package": str(many.relative_to(ROOT)), "max_errors": 1000}
    case["factpack"] = repeat([("factpack", factpack_cmd(many, 1000), out)], runs, size)[0]
    doc = json.loads(out.read_text())["packages"][0]
    case["error_count"] = doc["error_count"]
    case["listed"] = len(doc["errors"])
    case["counts"] = doc["counts"]["by_code"]
    case["output_bytes"] = out.stat().st_size
    case["counts_exact"] = doc["counts"]["by_code"] == {"constraint-error": size}
    case["ok"] = case["counts_exact"] and case["listed"] == 1000 and doc["truncated"]
    return case


FLOOR = """
import sys, polars as pl
pl.read_csv(sys.argv[1], infer_schema_length=10000).write_parquet(sys.argv[2], compression="zstd")
"""


def bench_build(size: int, runs: int, seed: int) -> dict:
    """Build a dataset of ``size`` rows, next to polars read_csv → write_parquet (the floor)."""
    spec = generate.Spec(size, "valid", seed)
    pkg = generate.ensure(spec)
    out = OUT / "out" / spec.key
    print(f"\n== build at {size:,} rows", flush=True)
    case: dict = {"size": size}
    floor = [PY, "-c", FLOOR, str(pkg.with_name("statements.csv")), str(out / "floor.parquet")]
    jobs = [("polars read_csv → write_parquet", floor, out / "floor.log")]
    try:
        from factpack.build import build_dataset  # noqa: F401
    except ImportError:
        case["floor"] = repeat(jobs, runs, size)[0]
        case["build"] = None
        case["note"] = "factpack.build.build_dataset is not available yet: only the floor"
        return case
    repo = dataset_repo(spec)
    dest = out / "build-out"
    code = ("import sys; from pathlib import Path; from factpack.build import build_dataset; "
            "r = Path(sys.argv[1]); print(build_dataset(r / 'datasets' / 'bench', r, "
            "Path(sys.argv[2]), force=True))")
    shutil.rmtree(dest, ignore_errors=True)
    jobs.append(("factpack build", [PY, "-c", code, str(repo), str(dest)], out / "build.log"))
    case["floor"], case["build"] = repeat(jobs, runs, size)
    case["floor"]["command"] = "polars.read_csv(statements.csv).write_parquet(…, zstd)"
    case["build"]["command"] = "factpack.build.build_dataset(datasets/bench, …)"
    case["build_over_floor"] = case["build"]["median_seconds"] / case["floor"]["median_seconds"]
    return case


def dataset_repo(spec: generate.Spec) -> Path:
    """A repository-like folder (``datasets/bench`` + ``schemas/``) holding the valid package."""
    import yaml

    pkg = generate.ensure(spec)
    repo = pkg.parent / "repo"
    data = repo / "datasets" / "bench" / "data"
    if (data / "bench_statements.csv").is_file():
        return repo
    data.mkdir(parents=True, exist_ok=True)
    (repo / "schemas").mkdir(exist_ok=True)
    desc = generate.descriptor(spec)
    names = {r["name"]: f"bench_{r['name']}" for r in desc["resources"]}
    for r in desc["resources"]:
        schema = r["schema"]
        for fk in schema.get("foreignKeys", []):
            fk["reference"]["resource"] = names[fk["reference"]["resource"]]
        (repo / "schemas" / f"{names[r['name']]}.yaml").write_text(
            yaml.safe_dump(schema, sort_keys=False, allow_unicode=True))
        target = data / f"{names[r['name']]}.csv"
        if not target.exists():
            os.link(pkg.parent / r["path"], target)
    meta = {
        "name": "bench", "title": f"factpack benchmark dataset ({spec.size} rows)",
        "version": "1.0.0", "description": "Synthetic rows for factpack's build benchmark.",
        "created": "2026-01-01T00:00:00Z", "licenses": [{"name": "CC0-1.0"}],
        "contributors": [{"title": "factpack bench", "roles": ["creator"]}],
        "resources": list(names.values()),
    }
    (repo / "datasets" / "bench" / "dataset.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    (repo / "datasets" / "bench" / "CHANGELOG.md").write_text("# 1.0.0\n\nSynthetic.\n")
    return repo


# ---------------------------------------------------------------- report


def environment() -> dict:
    import importlib.metadata as md

    vers = {}
    for p in ("frictionless", "polars", "pyarrow"):
        try:
            vers[p] = md.version(p)
        except md.PackageNotFoundError:
            vers[p] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit = None
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": commit, "python": platform.python_version(), "cpus": os.cpu_count(),
            "machine": platform.machine(), "load_average": os.getloadavg(), **vers}


def mib(b: float | None) -> str:
    return "-" if b is None else f"{b / 2**20:,.0f} MiB"


def table(results: dict) -> str:
    lines = ["| rows | variant | tool | median s | CPU s | rows/s | peak RSS | ratio | identical |",
             "|---:|---|---|---:|---:|---:|---:|---:|---|"]
    for c in results["validate"]:
        fr = c.get("frictionless")
        same = c.get("factpack_vs_frictionless", {}).get("identical")
        exp = c["factpack_vs_expected"]["identical"]
        for tool in ("factpack", "frictionless"):
            m = c.get(tool)
            if not m:
                continue
            ratio = (f"{c['ratio']:.1f}× (CPU {c['cpu_ratio']:.1f}×)"
                     if tool == "factpack" and fr else "")
            ident = ("yes" if same else "NO") if fr else "-"
            if tool == "factpack":
                ident += f" (expected: {'yes' if exp else 'NO'})"
            else:
                ident = ""
            lines.append(f"| {c['size']:,} | {c['variant']} | {tool} | {m['median_seconds']:.2f} "
                         f"| {m['median_cpu_seconds']:.2f} | {m['rows_per_second']:,.0f} "
                         f"| {mib(m['peak_rss_bytes'])} | {ratio} "
                         f"| {ident} |")
    for c in results.get("many_errors", []):
        m = c["factpack"]
        lines.append(f"| {c['size']:,} | every row invalid, --max-errors 1000 | factpack "
                     f"| {m['median_seconds']:.2f} | {m['median_cpu_seconds']:.2f} "
                     f"| {m['rows_per_second']:,.0f} "
                     f"| {mib(m['peak_rss_bytes'])} | | {c['error_count']:,} errors counted, "
                     f"{c['listed']} listed, {c['output_bytes'] / 1024:,.0f} KiB JSON |")
    for c in results.get("build", []):
        for key, label in (("build", "factpack build"), ("floor", "polars read_csv → write_parquet")):
            m = c.get(key)
            if m:
                lines.append(f"| {c['size']:,} | valid | {label} | {m['median_seconds']:.2f} "
                             f"| {m['median_cpu_seconds']:.2f} | {m['rows_per_second']:,.0f} "
                             f"| {mib(m['peak_rss_bytes'])} | | |")
        if c.get("note"):
            lines.append(f"| {c['size']:,} | | (build) | | | | | | {c['note']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000000,10000000",
                    help="statement rows, comma-separated (default 1000000,10000000)")
    ap.add_argument("--variants", default="valid,errors")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--frictionless-max", type=int, default=1_000_000,
                    help="run frictionless only up to this many rows (default 1000000)")
    ap.add_argument("--quick", action="store_true", help="100 000 rows, 1 run (development)")
    ap.add_argument("--no-build", action="store_true", help="skip the build-at-scale case")
    ap.add_argument("--build-runs", type=int, default=1,
                    help="runs of the build case (default 1: a build re-checks with frictionless)")
    ap.add_argument("--no-many-errors", action="store_true", help="skip the million-errors case")
    ap.add_argument("--output", type=Path, default=OUT / "results.json")
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.runs = "100000", 1
    sizes = [int(s) for s in a.sizes.split(",") if s]
    variants = [v for v in a.variants.split(",") if v]
    results: dict = {"environment": environment(), "options": vars(a) | {"output": str(a.output)},
                     "validate": [], "many_errors": [], "build": []}
    for size in sizes:
        for variant in variants:
            spec = generate.Spec(size, variant, a.seed)
            results["validate"].append(
                bench_validate(spec, a.runs, with_frictionless=size <= a.frictionless_max))
    small = min(sizes)
    if not a.no_many_errors:
        results["many_errors"].append(bench_many_errors(small, a.runs, a.seed))
    if not a.no_build:
        results["build"].append(bench_build(small, a.build_runs, a.seed))
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    env = results["environment"]
    print(f"\nfactpack bench, {env['date']}, commit {env['commit']}, {env['cpus']} CPUs, "
          f"frictionless {env['frictionless']}, polars {env['polars']}, pyarrow {env['pyarrow']}, "
          f"load average at start {env['load_average'][0]:.1f}; median of {a.runs} run(s)\n")
    print(table(results))
    print(f"\nfigures: {a.output.relative_to(ROOT) if a.output.is_relative_to(ROOT) else a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
