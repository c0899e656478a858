"""``make bench``: factpack's validator against frictionless-py, at every size.

For each schema profile (``key-heavy``, ``narrow-numeric``, ``wide-text``; see
``bench/generate.py``), size and variant (``valid``, ``errors`` ≈ 1 % errors of
every code the profile can produce) the package is generated once (seeded,
cached under ``build/bench/data/``). Then, in fresh processes and interleaved
(A B C A B C …, so a load spike on this shared machine falls on all):
``factpack validate``; ``frictionless validate`` (only up to
``--frictionless-max`` rows) from a lean venv of its own
(``build/bench/frictionless-venv``, made here with ``python3 -m venv`` and
``pip install frictionless==5.21.0``: inside factpack's venv frictionless loads a
plugin for every library it finds and starts ~0.9 s slower); and the floor, a
fresh Python that imports polars and reads the files as text. For each: median
wall time, rows per second, peak RSS, the ratios, and whether the error sets
``(resource, row, field, code)`` are identical (both with no error limit; also
compared with the errors the generator injected). Where they differ a sample
of the difference is printed.

Sizes are row counts of the profile's main table, plus ``dataset``: the
project's own dataset (``datasets/ukraine-us-drone-deal``, factpack only) and
its built package (``build/ukraine-us-drone-deal/<version>/``, built if
missing; its Parquet twins need ``frictionless[parquet]``, which goes in a
second lean venv, ``build/bench/frictionless-parquet-venv``). Above
``--frictionless-max`` only the ``--memory-profiles`` run, factpack alone.

Also measured: cold start (``factpack validate`` of a 1-row package against
``python -c "import polars"`` and lean frictionless), ``--max-errors`` with a
million errors (listed records capped, counts exact, JSON streamed), and
building a 1 M-row dataset next to its floor, a plain polars ``read_csv`` →
``write_parquet`` of the same file.

Figures go to ``build/bench/results.json`` and a table to stdout.

    .venv/bin/python bench/run.py                  # everything (about an hour)
    .venv/bin/python bench/run.py --quick          # 10 rows, dataset, 100 000 rows; 1 run
    .venv/bin/python bench/run.py --profiles wide-text --sizes 1M --variants errors --runs 5
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate

ROOT = generate.ROOT
OUT = ROOT / "build" / "bench"
PY = sys.executable
HUGE = 1_000_000_000
FRICTIONLESS_VERSION = "5.21.0"
DATASET = "ukraine-us-drone-deal"
QUICK_SIZE = 100_000

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


FACTPACK_PY = {"python": PY}  # --factpack core: the core install's python (validate cases)


def factpack_cmd(pkg: Path, max_errors: int = HUGE, fmt: str = "json") -> list[str]:
    return [FACTPACK_PY["python"], "-m", "factpack", "validate", str(pkg), "--format", fmt,
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


@dataclass
class Target:
    """One thing to validate: what the tools are given, and what the floor reads."""

    profile: str
    size: int | str
    variant: str
    target: Path  # given to factpack (and frictionless, when it can read it)
    files: list[Path]  # the data files (the floor reads them)
    rows: int
    expected: set | None  # the injected errors (None: not known)
    key: str  # folder name of the outputs
    frictionless: bool = True  # frictionless-py can validate ``target``
    floor: bool = True
    parquet: bool = False  # the reference needs frictionless[parquet]
    note: str = ""


READ_FLOOR = """
import sys, polars as pl
for p in sys.argv[1:]:
    if p.endswith(".csv"):
        try:
            pl.read_csv(p, infer_schema=False, truncate_ragged_lines=True)
            print("csv", p)
            continue
        except Exception as e:  # a file polars cannot parse: read its bytes instead
            print("failed", type(e).__name__, p)
    with open(p, "rb") as fh:
        fh.read()
    print("bytes", p)
"""


def bench_case(t: Target, runs: int, ref: dict | None) -> dict:
    """factpack, frictionless (``ref``; None: factpack alone) and the floor, interleaved."""
    outdir = OUT / "out" / t.key
    print(f"\n== validate {t.profile}, {t.size if isinstance(t.size, str) else f'{t.size:,}'}"
          f" ({t.variant}): {t.rows:,} rows, {_short(str(t.target))}", flush=True)
    case = {"profile": t.profile, "size": t.size, "rows": t.rows, "variant": t.variant,
            "package": _short(str(t.target)), "bytes": sum(f.stat().st_size for f in t.files)}
    if t.note:
        case["note"] = t.note
    fp_out, fr_out = outdir / "factpack.json", outdir / "frictionless.json"
    jobs = [("factpack", factpack_cmd(t.target), fp_out)]
    if ref:
        jobs.append((f"frictionless ({ref['kind']})", [ref["exe"], "validate", "--json",
                                                       "--limit-errors", str(HUGE),
                                                       str(t.target)], fr_out))
    if t.floor:
        jobs.append(("floor", [PY, "-c", READ_FLOOR, *map(str, t.files)], outdir / "floor.log"))
    measured = dict(zip([j[0].split(" ")[0] for j in jobs], repeat(jobs, runs, t.rows)))
    case["factpack"] = measured["factpack"]
    ours = factpack_errors(fp_out)
    case["factpack"]["errors"] = len(ours)
    if t.expected is not None:
        case["expected_errors"] = len(t.expected)
        case["factpack_vs_expected"] = diff(ours, t.expected, "factpack", "expected")
        show_diff(case["factpack_vs_expected"], "factpack", "expected")
    if ref:
        case["reference"] = {k: ref[k] for k in ("kind", "venv", "frictionless") if k in ref}
        case["frictionless"] = measured["frictionless"]
        theirs = frictionless_errors(fr_out)
        case["frictionless"]["errors"] = len(theirs)
        case["ratio"] = case["frictionless"]["median_seconds"] / case["factpack"]["median_seconds"]
        case["cpu_ratio"] = (case["frictionless"]["median_cpu_seconds"]
                             / case["factpack"]["median_cpu_seconds"])
        case["factpack_vs_frictionless"] = diff(ours, theirs, "factpack", "frictionless")
        show_diff(case["factpack_vs_frictionless"], "factpack", "frictionless")
        if t.expected is not None:
            case["frictionless_vs_expected"] = diff(theirs, t.expected, "frictionless", "expected")
            show_diff(case["frictionless_vs_expected"], "frictionless", "expected")
    if t.floor:
        case["floor"] = measured["floor"]
        case["floor"]["command"] = ("python -c 'import polars; pl.read_csv(f, infer_schema=False)"
                                    " for each file (bytes if not CSV)'")
        log = (outdir / "floor.log").read_text(errors="replace").split()
        case["floor"]["read_as"] = sorted(set(log[::2]) & {"csv", "bytes", "failed"})
        case["over_floor"] = case["factpack"]["median_seconds"] / case["floor"]["median_seconds"]
    return case


def synthetic(spec: generate.Spec) -> Target:
    pkg = generate.ensure(spec)
    desc = json.loads(pkg.read_text())
    return Target(spec.profile, spec.size, spec.variant, pkg,
                  [pkg.parent / r["path"] for r in desc["resources"]], spec.rows,
                  generate.expected_errors(pkg), spec.key)


def count_rows(files: list[Path]) -> int:
    import polars as pl

    n = 0
    for f in files:
        scan = (pl.scan_parquet(f) if f.suffix == ".parquet"
                else pl.scan_csv(f, infer_schema=False) if f.suffix == ".csv" else None)
        n += scan.select(pl.len()).collect().item() if scan is not None else 0
    return n


def project_targets(build_missing: bool = True) -> list[Target]:
    """The project's own dataset (factpack only) and its built package (both tools)."""
    import yaml

    folder = ROOT / "datasets" / DATASET
    if not (folder / "dataset.yaml").is_file():
        print(f"\n== no {folder.relative_to(ROOT)}: the dataset size is skipped", flush=True)
        return []
    csvs = sorted((folder / "data").glob("*.csv"))
    out = [Target("project dataset", "dataset", "as is", folder, csvs, count_rows(csvs), set(),
                  f"dataset-{DATASET}", frictionless=False,
                  note="a factpack dataset folder, not a data package: factpack only; "
                       "expected: no error (make validate passes)")]
    version = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))["version"]
    built = ROOT / "build" / DATASET / str(version) / "datapackage.json"
    if not built.is_file() and build_missing:
        print(f"\n== building {DATASET} {version} (build/ only)", flush=True)
        res = subprocess.run([PY, "-m", "factpack", "build", DATASET], cwd=ROOT,
                             capture_output=True, text=True, check=False)
        if res.returncode:
            print(f"    build failed (exit {res.returncode}):\n{res.stdout[-1500:]}"
                  f"{res.stderr[-1500:]}", flush=True)
    if built.is_file():
        desc = json.loads(built.read_text(encoding="utf-8"))
        files = [built.parent / r["path"] for r in desc["resources"]
                 if isinstance(r.get("path"), str)]
        out.append(Target("project package (built)", "dataset", "as built", built, files,
                          count_rows(files), set(), f"package-{DATASET}-{version}",
                          parquet=any(f.suffix == ".parquet" for f in files),
                          note="expected: no error"))
    return out


def bench_cold(spec: generate.Spec, runs: int, ref: dict | None) -> dict:
    """Start-up: factpack validate of a 1-row package, against import polars and frictionless."""
    pkg = generate.ensure(spec)
    out = OUT / "out" / f"cold-{spec.key}"
    print(f"\n== cold start: 1-row package {_short(str(pkg))}, {runs} interleaved runs", flush=True)
    core = core_install()
    jobs = [("factpack", [PY, *factpack_cmd(pkg)[1:]], out / "factpack.json"),
            ("import polars", [PY, "-c", "import polars"], out / "polars.log")]
    if ref:
        jobs.append((f"frictionless ({ref['kind']})",
                     [ref["exe"], "validate", "--json", str(pkg)], out / "frictionless.json"))
    if core:
        cmd = [core["python"], *factpack_cmd(pkg)[1:]]
        jobs += [("factpack (core install)", cmd, out / "factpack-core.json"),
                 ("import polars (core install)", [core["python"], "-c", "import polars"],
                  out / "polars-core.log")]
    got = dict(zip([j[0] for j in jobs], repeat(jobs, runs, spec.rows), strict=True))
    case = {"package": _short(str(pkg)), "runs": runs, "factpack": got["factpack"],
            "import_polars": got["import polars"],
            "factpack_over_import_polars": got["factpack"]["median_seconds"]
            / got["import polars"]["median_seconds"]}
    if ref:
        case["reference"] = {k: ref[k] for k in ("kind", "venv", "frictionless") if k in ref}
        case["frictionless"] = got[jobs[2][0]]
        case["frictionless_over_factpack"] = (case["frictionless"]["median_seconds"]
                                              / got["factpack"]["median_seconds"])
    if core:
        case["core_install"] = {k: v for k, v in core.items() if k != "python"}
        case["factpack_core"] = got["factpack (core install)"]
        case["import_polars_core"] = got["import polars (core install)"]
        case["factpack_core_over_import_polars"] = (
            case["factpack_core"]["median_seconds"] / case["import_polars_core"]["median_seconds"])
        if ref:
            case["frictionless_over_factpack_core"] = (
                case["frictionless"]["median_seconds"] / case["factpack_core"]["median_seconds"])
    return case


def core_install() -> dict | None:
    """factpack as ``pip install factpack`` gives it: a bare venv with the core only (the
    lock file's versions), ``build/bench/factpack-core-venv``, reinstalled from this tree
    each run. Without numpy, which pyarrow imports when it is there (~0.2 s). Returns the
    venv's python and the size of its site-packages, or None if it cannot be made."""
    venv = OUT / "factpack-core-venv"
    uv = Path(PY).with_name("uv")
    python = venv / "bin" / "python"
    try:
        if not python.is_file():
            subprocess.run([shutil.which("python3") or "python3", "-m", "venv", str(venv)],
                           check=True, capture_output=True)
        reqs = subprocess.run([str(uv), "export", "--frozen", "--no-dev", "--no-hashes",
                               "--no-emit-project", "--no-header"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        (venv / "requirements.txt").write_text(reqs)
        for args in (["-r", str(venv / "requirements.txt")],
                     ["--no-deps", "--reinstall-package", "factpack", str(ROOT)]):
            # --compile-bytecode: pip writes .pyc files at install time, uv does not by
            # default, and without them (PYTHONDONTWRITEBYTECODE) every start compiles
            # polars' sources again (~1 s)
            subprocess.run([str(uv), "pip", "install", "-q", "--compile-bytecode",
                            "--python", str(python), *args],
                           check=True, capture_output=True, text=True)
    except (subprocess.CalledProcessError, OSError) as e:
        print(f"    the core install could not be made ({e}); skipped", flush=True)
        return None
    site = next((venv / "lib").glob("python3*/site-packages"))
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not p.is_symlink())
    own = {"pip", "setuptools", "_distutils_hack", "pkg_resources"}  # the venv's, not ours
    tools = sum(p.stat().st_size for d in site.iterdir() if d.name.split("-")[0] in own
                for p in ([d] if d.is_file() else d.rglob("*")) if p.is_file())
    return {"python": str(python), "venv": _short(str(venv)),
            "site_packages_bytes": size - tools, "numpy": (site / "numpy").is_dir()}


# ---------------------------------------------------------------- the reference tool


def lean_reference(parquet: bool = False) -> dict:
    """frictionless-py alone in a venv of its own (made once; ``parquet``: with its extra)."""
    import importlib.metadata as md

    venv = OUT / ("frictionless-parquet-venv" if parquet else "frictionless-venv")
    reqs = [f"frictionless{'[parquet]' if parquet else ''}=={FRICTIONLESS_VERSION}"]
    if parquet:  # the extra names pyarrow but the reader also needs pandas: factpack's versions
        for dep in ("pyarrow", "pandas"):
            try:
                reqs.append(f"{dep}=={md.version(dep)}")
            except md.PackageNotFoundError:
                reqs.append(dep)
    stamp = venv / "bench-requirements.txt"
    exe = venv / "bin" / "frictionless"
    if not (stamp.is_file() and stamp.read_text().split() == reqs and exe.is_file()):
        print(f"\n== making {_short(str(venv))}: python3 -m venv, pip install {' '.join(reqs)}",
              flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        python3 = shutil.which("python3") or "python3"
        for cmd in ([python3, "-m", "venv", str(venv)],
                    [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *reqs]):
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode:
                tail = [x for x in (res.stdout + res.stderr).splitlines()
                        if not x.startswith("WARNING")][-15:]
                print("    " + "\n    ".join(tail), flush=True)
                raise subprocess.CalledProcessError(res.returncode, cmd)
        stamp.write_text("\n".join(reqs) + "\n")
    info = subprocess.run([str(venv / "bin" / "python"), "-c",
                           ("import platform, importlib.metadata as m; "
                           "print(platform.python_version(), m.version('frictionless'))")],
                          capture_output=True, text=True, check=True).stdout.split()
    return {"kind": "lean+parquet" if parquet else "lean", "venv": _short(str(venv)),
            "exe": str(exe), "python": info[0], "frictionless": info[1], "requirements": reqs}


def venv_reference() -> dict:
    import importlib.metadata as md

    return {"kind": "factpack venv", "venv": _short(str(Path(PY).parent.parent)),
            "exe": str(Path(PY).with_name("frictionless")), "python": platform.python_version(),
            "frictionless": md.version("frictionless")}


class References:
    """The reference tool, made on first use: lean by default, the factpack venv if asked
    (``--reference venv``) or if a lean venv cannot be made (the reason is recorded)."""

    def __init__(self, kind: str):
        self.kind, self.made, self.notes = kind, {}, []

    def get(self, parquet: bool = False) -> dict:
        key = "venv" if self.kind == "venv" else ("lean+parquet" if parquet else "lean")
        if key not in self.made:
            try:
                self.made[key] = venv_reference() if key == "venv" else lean_reference(parquet)
            except (subprocess.CalledProcessError, OSError, IndexError) as e:
                note = f"{key} venv could not be made ({e}); factpack's venv used instead"
                print(f"    {note}", flush=True)
                self.notes.append(note)
                self.made[key] = venv_reference() | {"kind": f"factpack venv (not {key})"}
        return self.made[key]


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


BUILD_FLOOR = """
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
    floor = [PY, "-c", BUILD_FLOOR, str(pkg.with_name("statements.csv")),
             str(out / "floor.parquet")]
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
    # what layer 4 chose for each resource (the build log's "layer 4: …" lines, last run)
    log = Path(str(out / "build.log") + ".err")
    case["layer4"] = [line for line in log.read_text(errors="replace").splitlines()
                      if line.startswith("layer 4:")] if log.is_file() else []
    for line in case["layer4"]:
        print(f"    {line}", flush=True)
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


def _rows(c: dict) -> str:
    return f"{c['size']:,}" if isinstance(c["size"], int) else f"{c['size']} ({c['rows']:,})"


def _line(cells: list) -> str:
    return "| " + " | ".join(str(x) for x in cells) + " |"


def _m(m: dict) -> list[str]:
    rate = m.get("rows_per_second")
    return [f"{m['median_seconds']:.2f}", f"{m['median_cpu_seconds']:.2f}",
            f"{rate:,.0f}" if rate else "", mib(m["peak_rss_bytes"])]


def _yes(d: dict | None) -> str:
    return "-" if d is None else ("yes" if d["identical"] else "NO")


def table(results: dict) -> str:
    """The stdout table: every case, every ratio."""
    lines = []
    cold = results.get("cold_start")
    if cold:
        lines += ["Cold start, 1-row package (median of interleaved runs):", "",
                  "| command | median s | CPU s | peak RSS | ratio |", "|---|---:|---:|---:|---|"]
        fp = cold["factpack"]
        lines.append(_line(["factpack validate", *_m(fp)[:2], mib(fp["peak_rss_bytes"]),
                            f"factpack/import polars {cold['factpack_over_import_polars']:.2f}"]))
        ip = cold["import_polars"]
        lines.append(_line(["python -c 'import polars'", *_m(ip)[:2], mib(ip["peak_rss_bytes"]),
                            ""]))
        if cold.get("frictionless"):
            fr = cold["frictionless"]
            lines.append(_line([f"frictionless validate ({cold['reference']['kind']})",
                                *_m(fr)[:2], mib(fr["peak_rss_bytes"]),
                                ("frictionless/factpack "
                                f"{cold['frictionless_over_factpack']:.2f}")]))
        if cold.get("factpack_core"):
            fc, pc = cold["factpack_core"], cold["import_polars_core"]
            ratio = f"factpack/import polars {cold['factpack_core_over_import_polars']:.2f}"
            if "frictionless_over_factpack_core" in cold:
                ratio += f"; frictionless/factpack {cold['frictionless_over_factpack_core']:.2f}"
            lines.append(_line(["factpack validate (core install)", *_m(fc)[:2],
                                mib(fc["peak_rss_bytes"]), ratio]))
            lines.append(_line(["python -c 'import polars' (core install)", *_m(pc)[:2],
                                mib(pc["peak_rss_bytes"]), ""]))
            ci = cold["core_install"]
            lines += ["", (f"Core install ({ci['venv']}, lock file versions): site-packages "
                           f"{ci['site_packages_bytes'] / 2**20:,.0f} MiB with bytecode, without pip and "
                           f"setuptools; numpy {'present' if ci['numpy'] else 'absent'}.")]
        lines.append("")
    lines += [("| profile | rows | variant | tool | median s | CPU s | rows/s | peak RSS | ratio "
              "| identical |"), "|---|---:|---|---|---:|---:|---:|---:|---|---|"]
    for c in results["validate"]:
        head = [c["profile"], _rows(c), c["variant"]]
        fr = c.get("frictionless")
        ratio = f"frictionless/factpack {c['ratio']:.2f} (CPU {c['cpu_ratio']:.2f})" if fr else (
            "factpack alone" if isinstance(c["size"], int) else "")
        ident = (f"{_yes(c.get('factpack_vs_frictionless'))} "
                 f"(expected: {_yes(c.get('factpack_vs_expected'))})")
        lines.append(_line([*head, "factpack", *_m(c["factpack"]), ratio, ident]))
        if fr:
            lines.append(_line([*head, f"frictionless ({c['reference']['kind']})", *_m(fr), "",
                                f"(expected: {_yes(c.get('frictionless_vs_expected'))})"]))
        if c.get("floor"):
            lines.append(_line([*head, "floor: import polars + read as text", *_m(c["floor"]),
                                f"factpack/floor {c['over_floor']:.2f}", ""]))
    for c in results.get("many_errors", []):
        lines.append(_line(["key-heavy", f"{c['size']:,}", "every row invalid, --max-errors 1000",
                            "factpack", *_m(c["factpack"]), "",
                            (f"{c['error_count']:,} errors counted, {c['listed']} listed, "
                            f"{c['output_bytes'] / 1024:,.0f} KiB JSON")]))
    for c in results.get("build", []):
        for key, label in (("build", "factpack build"),
                           ("floor", "polars read_csv → write_parquet")):
            if c.get(key):
                ratio = (f"build/floor {c['build_over_floor']:.1f}"
                         if key == "build" and "build_over_floor" in c else "")
                lines.append(_line(["key-heavy", f"{c['size']:,}", "valid", label,
                                    *_m(c[key]), ratio, ""]))
        if c.get("note"):
            lines.append(_line(["key-heavy", f"{c['size']:,}", "", "(build)", "", "", "", "", "",
                                c["note"]]))
    return "\n".join(lines)


def parse_size(token: str) -> int | str:
    """``10``, ``100k``, ``1M``, ``10_000_000`` or ``dataset``."""
    t = token.strip().lower().replace("_", "")
    if t == "dataset":
        return t
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    try:
        return int(float(t[:-1]) * mult) if mult > 1 else int(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {token!r}") from None


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", default=",".join(generate.PROFILES),
                    help="schema profiles, comma-separated (default: all, "
                         f"{','.join(generate.PROFILES)})")
    ap.add_argument("--sizes", default=None,
                    help="rows of each profile's main table (10, 100k, 1M …) or 'dataset', "
                         "comma-separated (default 10,dataset,1M,10M)")
    ap.add_argument("--variants", default="valid,errors")
    ap.add_argument("--runs", type=int, default=None, help="runs of each case (default 3)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--frictionless-max", type=parse_size, default=1_000_000,
                    help="run frictionless only up to this many rows (default 1M); above it "
                         "only --memory-profiles run, factpack alone")
    ap.add_argument("--memory-profiles", default="key-heavy",
                    help="profiles run above --frictionless-max (default key-heavy)")
    ap.add_argument("--reference", choices=["lean", "venv"], default="lean",
                    help="frictionless-py from its own lean venv under build/bench (default) "
                         "or from factpack's venv")
    ap.add_argument("--cold-runs", type=int, default=None,
                    help="interleaved runs of the cold-start case (default 5; 0 skips it)")
    ap.add_argument("--quick", action="store_true",
                    help=f"sizes 10,dataset,{QUICK_SIZE}, 1 run, 3 cold-start runs, and the "
                         f"million-errors and build cases at {QUICK_SIZE} rows (development)")
    ap.add_argument("--scale-size", type=parse_size, default=None,
                    help="rows of the million-errors and build cases (default 1M)")
    ap.add_argument("--no-build", action="store_true", help="skip the build-at-scale case")
    ap.add_argument("--build-runs", type=int, default=1,
                    help="runs of the build case (default 1: a build re-checks with frictionless)")
    ap.add_argument("--no-many-errors", action="store_true", help="skip the million-errors case")
    ap.add_argument("--factpack", choices=["venv", "core"], default="venv",
                    help="validate cases run factpack from .venv or from a core install "
                         "(no extras: not for the project's dataset, whose rules need one)")
    ap.add_argument("--output", type=Path, default=OUT / "results.json")
    a = ap.parse_args(argv)
    if a.factpack == "core":
        core = core_install()
        if core is None:
            ap.error("--factpack core: the core install could not be made")
        FACTPACK_PY["python"] = core["python"]
    else:
        # .venv holds factpack as an editable install, which has no .pyc files of its own;
        # where PYTHONDONTWRITEBYTECODE is set, every run would compile factpack's modules
        # (~0.1 s), which an installed package never does: compile them, as pip would
        compileall.compile_dir(ROOT / "src", quiet=1)
    quick = a.quick
    a.sizes = a.sizes or (f"10,dataset,{QUICK_SIZE}" if quick else "10,dataset,1M,10M")
    a.runs = a.runs or (1 if quick else 3)
    a.cold_runs = a.cold_runs if a.cold_runs is not None else (3 if quick else 5)
    a.scale_size = a.scale_size or (QUICK_SIZE if quick else 1_000_000)
    sizes = [parse_size(s) for s in _list(a.sizes)]
    profiles, variants = _list(a.profiles), _list(a.variants)
    memory_profiles = _list(a.memory_profiles)
    unknown = set(profiles + memory_profiles) - set(generate.PROFILES)
    if unknown or not set(variants) <= {"valid", "errors"}:
        ap.error(f"unknown profile or variant: {sorted(unknown) or variants}")
    refs = References(a.reference)
    results: dict = {"environment": environment(), "options": vars(a) | {"output": str(a.output)},
                     "reference": None, "cold_start": None, "validate": [], "many_errors": [],
                     "build": []}
    if a.cold_runs:
        results["cold_start"] = bench_cold(
            generate.Spec(1, "valid", a.seed, profile="narrow-numeric"), a.cold_runs, refs.get())
    for size in sizes:
        if size == "dataset":
            for t in project_targets():
                results["validate"].append(bench_case(
                    t, a.runs, refs.get(t.parquet) if t.frictionless else None))
            continue
        memory_only = size > a.frictionless_max
        for profile in profiles:
            if memory_only and profile not in memory_profiles:
                continue
            for variant in variants:
                t = synthetic(generate.Spec(size, variant, a.seed, profile=profile))
                if memory_only:
                    t.floor = False
                    t.note = "above --frictionless-max: factpack alone, for memory"
                results["validate"].append(
                    bench_case(t, a.runs, None if memory_only else refs.get()))
    if not a.no_many_errors:
        results["many_errors"].append(bench_many_errors(a.scale_size, a.runs, a.seed))
    if not a.no_build:
        results["build"].append(bench_build(a.scale_size, a.build_runs, a.seed))
    results["reference"] = {"default": a.reference, "used": list(refs.made.values()),
                            "notes": refs.notes}
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    env = results["environment"]
    used = ", ".join(f"{r['kind']} ({r['venv']}, frictionless {r['frictionless']}, "
                     f"Python {r['python']})" for r in refs.made.values()) or "none"
    print(f"\nfactpack bench, {env['date']}, commit {env['commit']}, {env['cpus']} CPUs, "
          f"polars {env['polars']}, pyarrow {env['pyarrow']}, load average at start "
          f"{env['load_average'][0]:.1f}; median of {a.runs} run(s); reference: {used}\n")
    print(table(results))
    print(f"\nfigures: {a.output.relative_to(ROOT) if a.output.is_relative_to(ROOT) else a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
