"""The benchmark: segdsl eval against hand-written SQL, pandas and polars, as whole processes.

Input: `--scale small|medium|large` (default small), `--runs N` (default 3), `--skip NAMES`.
Output: `benchmarks/out/<scale>/<contender>/members.parquet` of each contender, a record
appended to `benchmarks/results.json`, and `benchmarks/results.md` rewritten.

    python benchmarks/run.py --scale medium --runs 3
    python benchmarks/run.py --scale large --skip pandas,polars

Each contender is a separate process that reads the Parquet files and writes members.parquet;
its wall time and peak memory come from benchmarks/measure.py. Runs are interleaved
(contender A, B, C, D, then again), so a slow minute on the machine does not fall on one
contender alone, and each figure is the median of the runs. A contender that fails is reported
with the end of its stderr and not run again; the others carry on. After the runs every
contender's last members.parquet is compared with the hand-written SQL's (benchmarks/compare.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compile_bench  # noqa: E402
import generate  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
from compare import differences  # noqa: E402

CONTENDERS = ["segdsl", "hand_sql", "pandas", "polars"]
BASELINE_SCRIPTS = {"hand_sql": "hand_sql.py", "pandas": "with_pandas.py",
                    "polars": "with_polars.py"}
REFERENCE = "hand_sql"


def command(name: str, data: Path, out: Path) -> list[str]:
    customers, orders = data / "customers.parquet", data / "orders.parquet"
    if name == "segdsl":
        return compile_bench.segdsl_command() + [
            "eval", str(HERE / "rules"), "--data", f"customers={customers}",
            "--data", f"orders={orders}", "--out", str(out), "--quiet"]
    return [sys.executable, str(HERE / "baselines" / BASELINE_SCRIPTS[name]),
            "--customers", str(customers), "--orders", str(orders), "--out", str(out)]


def machine() -> dict:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {"cores": os.cpu_count(), "cpu": cpu, "ram_gb": round(ram, 1),
            "os": platform.platform(), "python": platform.python_version(),
            # Set, Python recompiles segdsl's modules from source at every start (an editable
            # install has no __pycache__), which start-up figures then include.
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "")}


def versions() -> dict:
    out = {}
    for package in ("segdsl", "duckdb", "sqlglot", "pandas", "polars", "pyarrow"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def git_revision() -> str:
    # Read-only queries: the revision, and whether the working tree has changes on top of it.
    try:
        rev = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--", ".."],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


def warm_cache(data: Path) -> None:
    """Read the inputs once, so that the first contender does not pay for a cold disk."""
    for path in data.glob("*.parquet"):
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def warm_up(names: list[str], seed: int) -> None:
    """One unmeasured run of each contender on the tiny scale: loads its libraries into the
    page cache, so the first measured run is not the only one to read them from disk."""
    tiny = generate.ensure("tiny", seed)
    for name in names:
        measure.run(command(name, tiny, HERE / "out" / "warm-up" / name), timeout_s=600)


def run_contenders(names: list[str], data: Path, out_root: Path, runs: int,
                   timeout_s: float) -> dict[str, dict]:
    results: dict[str, dict] = {n: {"ok": True, "wall_s": [], "cpu_s": [], "peak_mb": []}
                                for n in names}
    for i in range(runs):
        for name in names:
            r = results[name]
            if not r["ok"]:
                continue
            out = out_root / name
            shutil.rmtree(out, ignore_errors=True)  # a stale file must not pass for output
            m = measure.run(command(name, data, out), timeout_s=timeout_s)
            wrote = (out / "members.parquet").exists()
            print(f"  run {i + 1}/{runs} {name:9s} {m.wall_s:8.2f} s wall {m.cpu_s:8.2f} s cpu"
                  f" {m.peak_mb:8.0f} MB"
                  + ("" if m.ok and wrote else "  FAILED"), flush=True)
            if m.ok and wrote:
                r["wall_s"].append(m.wall_s)
                r["cpu_s"].append(m.cpu_s)
                r["peak_mb"].append(m.peak_mb)
                continue
            r["ok"] = False
            reason = (f"timed out after {timeout_s:.0f} s" if m.timed_out
                      else f"exit code {m.returncode}" if m.returncode
                      else "exit code 0 but no members.parquet")
            r["error"] = f"{reason}\n{m.stderr_tail}".rstrip()
    for name, r in results.items():
        if r["ok"]:
            r["median_wall_s"] = statistics.median(r["wall_s"])
            r["median_cpu_s"] = statistics.median(r["cpu_s"])
            r["median_peak_mb"] = statistics.median(r["peak_mb"])
    return results


def compare_outputs(results: dict[str, dict], out_root: Path) -> None:
    ref = results.get(REFERENCE, {})
    for name, r in results.items():
        if not r.get("ok"):
            continue
        if ref.get("ok"):
            r["ratio_wall"] = r["median_wall_s"] / ref["median_wall_s"]
            r["ratio_peak"] = r["median_peak_mb"] / ref["median_peak_mb"]
        if name == REFERENCE or not ref.get("ok"):
            continue
        lines = differences(out_root / REFERENCE / "members.parquet",
                            out_root / name / "members.parquet")
        r["identical"] = not lines
        if lines:
            r["differences"] = lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[s for s in generate.SCALES if s != "tiny"],
                        default="small")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: segdsl,hand_sql,pandas,polars")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per child process")
    parser.add_argument("--note", action="append", default=[],
                        help="a sentence to keep with the results (repeatable)")
    args = parser.parse_args()
    skipped = [s for s in args.skip.split(",") if s]
    unknown = sorted(set(skipped) - set(CONTENDERS))
    if unknown:
        parser.error(f"--skip: unknown contender(s) {', '.join(unknown)}")

    print(f"data: {args.scale} (generated if missing)", flush=True)
    data = generate.ensure(args.scale, args.seed)
    rows = {"customers": generate.SCALES[args.scale][0], "orders": generate.SCALES[args.scale][1]}
    warm_cache(data)
    load_before = os.getloadavg()[0]
    names = [n for n in CONTENDERS if n not in skipped]
    out_root = HERE / "out" / args.scale
    print(f"contenders: {', '.join(names)}; {args.runs} runs each", flush=True)
    warm_up(names, args.seed)
    results = run_contenders(names, data, out_root, args.runs, args.timeout)
    compare_outputs(results, out_root)
    for name in skipped:
        results[name] = {"skipped": True, "reason": "skipped with --skip"}
    load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    notes = list(args.note)
    if max(load.values()) > 0.5 * (os.cpu_count() or 1):
        notes.append(f"the 1-minute load average was {load['before']} before and "
                     f"{load['after']} after the runs on {os.cpu_count()} cores: other work "
                     "shared the machine, so wall times are noisy; CPU seconds vary less.")

    print("compile 1,000 segments and segdsl --version", flush=True)
    cmd = compile_bench.segdsl_command()
    record = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": args.scale, "rows": rows, "runs": args.runs, "seed": args.seed,
        "machine": machine(), "versions": versions(), "git": git_revision(),
        "load_average": load, "contenders": results,
        "compile": compile_bench.compile_figures(cmd, generate.ensure("small", args.seed),
                                                 args.runs),
        "version": compile_bench.version_figures(cmd, 10),
        "notes": notes,
    }
    record["targets"] = report.targets(record)
    report.append(record)
    print(report.render([record]))


if __name__ == "__main__":
    main()
