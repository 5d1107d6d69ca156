"""Compile-time and start-up figures: compiling a 1,000-segment project, `segdsl --version`.

Input: the segdsl command to call, the data folder whose schemas the project checks against,
the number of repetitions.
Output: dicts of figures for the runner (median seconds, every sample, the failure's stderr).

    python benchmarks/compile_bench.py [--keep DIR]   # writes the project, prints the figures

The generated project has 100 macro segments (industry x size band x region) with 9 micro
segments each, over the metrics of benchmarks/rules, plus its three layers and microsegment.
Compile time is measured inside a child process by the Python API (SPEC §7): the imports are
done first, then the clock runs around `segdsl.load(project).to_sql(dialect="duckdb")` only,
which loads, parses, checks (reading the Parquet schemas) and builds the SQL. Each sample is a
fresh process, so no cache of an earlier compile helps. `segdsl compile` on the command line
is timed too, start-up included, for reference.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402

INDUSTRIES = ["software", "saas", "it_services", "finance", "insurance", "healthcare",
              "retail", "ecommerce", "manufacturing", "logistics"]
SIZE_BANDS = [("company_size < 50", "small"), ("company_size BETWEEN 50 AND 999", "mid"),
              ("company_size >= 1_000", "large"), ("company_size IS MISSING", "unknown"),
              ("company_size >= 10_000", "huge")]
REGIONS = [("country IN (DE, FR, GB, ES, IT, NL)", "eu"), ("country IN (US, CA)", "na")]
MICROS = [
    ("power_buyers", "purchase_freq > {k}/mo"),
    ("big_spenders", "spend_365d >= {k}k"),
    ("dormant", "last_order_at < {d}d ago OR last_order_at IS MISSING"),
    ("hardware_fans", "count(orders where category = hardware) over {d}d >= {k}"),
    ("lapsed", "orders_365d >= {k} AND orders_90d = 0"),
    ("regulars", "yearly_freq >= {k}/mo AND avg_order_365d >= {k}00"),
    ("new_buyers", "first_order_at WITHIN {d}d"),
    ("expanding", "spend_90d > 30% * `spend_365d` AND orders_90d >= {k}"),
    ("newsletter_active", "newsletter AND plan != free AND orders_30d >= {k}"),
]
TIMER = """
import json, sys, time
import duckdb, lark, sqlglot, yaml
import segdsl, segdsl.api, segdsl.compiler
started, cpu = time.perf_counter(), time.process_time()
sql = segdsl.load(sys.argv[1]).to_sql(dialect="duckdb")
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "sql_chars": len(str(sql))}))
"""


def write_project(folder: Path, data: Path) -> int:
    """The 1,000-segment project in `folder`; returns its number of segments."""
    settings = (HERE / "rules" / "segdsl.yml").read_text()
    for name in ("customers", "orders"):
        settings = settings.replace(f"../data/small/{name}.parquet", str(data / f"{name}.parquet"))
    (folder / "segdsl.yml").write_text(settings)
    lines, count = ["segments:"], 0
    for i in range(100):
        industry = INDUSTRIES[i % len(INDUSTRIES)]
        size_rule, size = SIZE_BANDS[(i // len(INDUSTRIES)) % len(SIZE_BANDS)]
        region_rule, region = REGIONS[i // (len(INDUSTRIES) * len(SIZE_BANDS))]
        lines += [f"  - name: {industry}_{size}_{region}",
                  f"    rule: industry = {industry} AND {size_rule} AND {region_rule}",
                  "    segments:"]
        for j, (name, template) in enumerate(MICROS):
            k, d = 1 + (i + j) % 7, 30 * (1 + (i * j) % 12)
            lines += [f"      - name: {name}", f"        rule: {template.format(k=k, d=d)}"]
        count += 1 + len(MICROS)
    rules = (HERE / "rules" / "segments.yml").read_text()
    (folder / "segments.yml").write_text("\n".join(lines) + "\n\n" + rules[rules.index("layers:"):])
    return count


def _median(samples: list[float]) -> float | None:
    return statistics.median(samples) if samples else None


def compile_figures(segdsl_cmd: list[str], data: Path, runs: int, keep: Path | None = None) -> dict:
    folder = keep or Path(tempfile.mkdtemp(prefix="segdsl-compile-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        segments = write_project(folder, data)
        result: dict = {"segments": segments, "api_samples_s": [], "api_cpu_samples_s": [],
                        "cli_samples_s": []}
        for _ in range(runs):
            code, out, err = measure.output_of([sys.executable, "-c", TIMER, str(folder)])
            if code != 0:
                result["api_error"] = err.strip().splitlines()[-measure.TAIL_LINES:]
                break
            figures = json.loads(out.strip().splitlines()[-1])
            result["api_samples_s"].append(figures["seconds"])
            result["api_cpu_samples_s"].append(figures["cpu_seconds"])
            result["sql_chars"] = figures["sql_chars"]
        for _ in range(runs):
            m = measure.run(segdsl_cmd + ["compile", str(folder), "--dialect", "duckdb"],
                            timeout_s=300)
            if not m.ok:
                result["cli_error"] = m.stderr_tail.splitlines()
                break
            result["cli_samples_s"].append(m.wall_s)
        result["api_median_s"] = _median(result["api_samples_s"])
        result["api_cpu_median_s"] = _median(result["api_cpu_samples_s"])
        result["cli_median_s"] = _median(result["cli_samples_s"])
        return result
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def version_figures(segdsl_cmd: list[str], runs: int) -> dict:
    measure.run(segdsl_cmd + ["--version"])  # warm the file cache; not counted
    samples, error = [], None
    for _ in range(runs):
        m = measure.run(segdsl_cmd + ["--version"], timeout_s=60)
        if not m.ok:
            error = m.stderr_tail.splitlines()
            break
        samples.append(m.wall_s)
    return {"samples_s": samples, "median_s": _median(samples), "error": error}


def segdsl_command() -> list[str]:
    """The segdsl console script of this interpreter's environment.

    Preferred over PATH because a version manager's shim (pyenv) on PATH is a shell script
    that adds its own start-up time to every call.
    """
    script = Path(sys.executable).parent / "segdsl"
    if script.exists():
        return [str(script)]
    found = shutil.which("segdsl")
    return [found] if found else [sys.executable, "-m", "segdsl"]


def main() -> None:
    import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the project here and keep it")
    args = parser.parse_args()
    cmd = segdsl_command()
    data = generate.ensure("small")
    print(json.dumps({"compile": compile_figures(cmd, data, args.runs, args.keep),
                      "version": version_figures(cmd, max(args.runs, 10))}, indent=2))


if __name__ == "__main__":
    main()
