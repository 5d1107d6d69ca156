"""Rule test figures: N tests run as segdsl runs them (one query per as_of) against one query each.

Input: the number of tests, the repetitions, the tiny scale's data (generated when missing) for
the benchmark rules' column types.
Output: `rule_tests.md` and `rule_tests.json` beside this file, and the figures on stdout.

    python benchmarks/rule_tests_bench.py [--tests 1000] [--runs 3]

The project is the benchmark's rules (benchmarks/rules) plus N generated tests, each with an
entity row and a few orders, half of them expected in a segment and half not. Both contenders
call `segdsl.engine.cases.run_cases` in this process after the same load and check: once with
all tests (what `segdsl test` does), and once per test (what a runner without batching would
do). Loading and checking the project are timed apart, as `segdsl test` pays them once either
way. Every test must pass in both, so the two did the same work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


def write_project(folder: Path, data: Path, tests: int) -> Path:
    shutil.copytree(HERE / "rules", folder)
    settings = (folder / "segdsl.yml").read_text(encoding="utf-8")
    settings = settings.replace("../data/small/", f"{data.as_posix()}/")
    (folder / "segdsl.yml").write_text(settings, encoding="utf-8")
    cases = ["tests:"]
    for i in range(tests):
        orders = 2 + i % 5  # 2..6 orders in the last 90 days: over or under 1.5 a month
        rows = ", ".join(f"{{ordered_at: 2026-10-{1 + k:02d}, amount: {10 + k}.0, category: hardware}}"
                         for k in range(orders))
        cases += [
            f"  - name: case {i}",
            "    given:",
            f"      customers: {{industry: software, company_size: {20 + i % 900}, country: DE, "
            "signup_date: 2025-01-01, plan: monthly, newsletter: true}",
            f"      orders: [{rows}]",
            "    expect:",
            f"      {'in' if orders >= 5 else 'not_in'}: [orders_90d_over_4]",
        ]
    segments = ["segments:", "  - name: orders_90d_over_4", "    rule: orders_90d > 4", ""]
    (folder / "bench_tests.yml").write_text("\n".join(segments + cases) + "\n", encoding="utf-8")
    return folder


def measure(folder: Path, runs: int) -> dict:
    import segdsl
    from segdsl.api import resolve_as_of
    from segdsl.engine import cases as runner
    from segdsl.engine.sources import relation

    started = time.perf_counter()
    loaded = segdsl.load(folder)
    spec, project = loaded._ready()
    import duckdb

    con = duckdb.connect()
    columns = runner.source_columns(con, {n: relation(con, loc) for n, loc in loaded._locations(spec).items()})
    con.close()
    prepare = time.perf_counter() - started
    as_of = resolve_as_of(None, project)
    batched, alone = [], []
    for _ in range(runs):
        started = time.perf_counter()
        results = runner.run_cases(project, spec.tests, columns, as_of)
        batched.append(time.perf_counter() - started)
        assert all(r.passed for r in results)
        started = time.perf_counter()
        for case in spec.tests:
            (result,) = runner.run_cases(project, [case], columns, as_of)
            assert result.passed
        alone.append(time.perf_counter() - started)
    return {"tests": len(spec.tests), "load_and_check_seconds": prepare,
            "batched_seconds": statistics.median(batched), "one_query_each_seconds": statistics.median(alone),
            "batched_samples": batched, "one_query_each_samples": alone}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = generate.ensure("tiny")
    with tempfile.TemporaryDirectory() as tmp:
        figures = measure(write_project(Path(tmp) / "project", data, args.tests), args.runs)
    figures["ratio_one_query_each_to_batched"] = figures["one_query_each_seconds"] / figures["batched_seconds"]
    figures["measured_at"] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    (HERE / "rule_tests.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    (HERE / "rule_tests.md").write_text(
        "# Rule test figures\n\n"
        f"Written by `python benchmarks/rule_tests_bench.py --tests {args.tests} --runs {args.runs}` "
        f"on {figures['measured_at']} (median of {args.runs} runs; 2 shared cores, so noisy).\n\n"
        "| what | seconds |\n|---|---:|\n"
        f"| load and check the project with {figures['tests']} tests (once) | {figures['load_and_check_seconds']:.2f} |\n"
        f"| run them all, one query (`segdsl test`) | {figures['batched_seconds']:.2f} |\n"
        f"| run them one query each (baseline) | {figures['one_query_each_seconds']:.2f} |\n\n"
        f"One query each takes {figures['ratio_one_query_each_to_batched']:.1f}x as long as one query for all.\n",
        encoding="utf-8")
    print(json.dumps({k: v for k, v in figures.items() if not k.endswith("samples")}, indent=2))


if __name__ == "__main__":
    main()
