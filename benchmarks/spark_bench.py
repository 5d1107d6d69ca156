"""Spark local against DuckDB: `segdsl eval --engine spark` on the benchmark's data.

Input: `--scale small|medium|large` (repeatable; default small), `--runs N` (default 1),
`--master URL` (default local[*]).
Output: a Markdown table on stdout (scale, engine, median wall time, CPU seconds of the segdsl
process) and whether Spark's members.parquet is identical to DuckDB's (`compare.differences`);
members under `benchmarks/out/<scale>/spark_<engine>/`.

    python benchmarks/spark_bench.py --scale small --scale medium

Figures, not a target: Spark's start-up (a JVM, a few seconds) is part of every run, as it is of
every `segdsl eval --engine spark`. The CPU seconds are those of the segdsl process only: Spark
runs in a separate JVM, whose time and memory the figure does not include.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compile_bench  # noqa: E402
import generate  # noqa: E402
import measure  # noqa: E402
from compare import differences  # noqa: E402


def command(engine: str, data: Path, out: Path, master: str) -> list[str]:
    args = compile_bench.segdsl_command() + [
        "eval", str(HERE / "rules"), "--data", f"customers={data / 'customers.parquet'}",
        "--data", f"orders={data / 'orders.parquet'}", "--out", str(out), "--quiet"]
    return args + (["--engine", "spark", "--master", master] if engine == "spark" else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", choices=[s for s in generate.SCALES if s != "tiny"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    print("| scale | customers | orders | engine | wall s (median) | segdsl CPU s | members |")
    print("|---|---:|---:|---|---:|---:|---|")
    for scale in args.scale or ["small"]:
        data = generate.ensure(scale, args.seed)
        customers, orders = generate.SCALES[scale]
        outs = {}
        for engine in ("duckdb", "spark"):
            out = HERE / "out" / scale / f"spark_{engine}"
            runs = [measure.run(command(engine, data, out, args.master)) for _ in range(args.runs)]
            failed = [r for r in runs if not r.ok]
            if failed:
                print(f"| {scale} | {customers:,} | {orders:,} | {engine} | failed (exit {failed[0].returncode}) | | |")
                continue
            outs[engine] = out / "members.parquet"
            same = ""
            if engine == "spark" and "duckdb" in outs:
                found = differences(outs["duckdb"], outs["spark"])
                same = "identical to DuckDB's" if not found else f"DIFFER: {found[0]}"
            wall = statistics.median(r.wall_s for r in runs)
            cpu = statistics.median(r.cpu_s for r in runs)
            print(f"| {scale} | {customers:,} | {orders:,} | {engine} | {wall:.1f} | {cpu:.1f} | {same} |", flush=True)


if __name__ == "__main__":
    main()
