"""Check the hand-written baselines against segdsl's reference interpreter on the tiny scale.

Input: the `tiny` scale (generated when missing), benchmarks/rules, the three baselines.
Output: `benchmarks/out/verify/<name>/members.parquet` for the reference and each baseline,
and a line per baseline saying whether it matches the reference; exit 1 if one does not.

    python benchmarks/verify_reference.py [--only hand_sql,pandas,polars]

The benchmark compares contenders with one another; this script is what ties the baselines to
the meaning of the rules: `segdsl.reference` is the executable form of SPEC §3 that every
engine is tested against. It is slow on purpose (each customer scans every order), so it runs
on the tiny scale only: 2,000 customers, 20,000 orders, with every window edge populated.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from compare import differences  # noqa: E402

BASELINES = {"hand_sql": "hand_sql.py", "pandas": "with_pandas.py", "polars": "with_polars.py"}


def reference_members(data: Path, out: Path) -> Path:
    import segdsl
    from segdsl.reference import Data, evaluate

    paths = {"customers": str(data / "customers.parquet"), "orders": str(data / "orders.parquet")}
    result = segdsl.load(HERE / "rules", paths).check()
    if not result.ok:
        sys.exit("benchmarks/rules does not check: "
                 + "; ".join(d.message for d in result.diagnostics))
    project = result.project
    rows = {name: duckdb.read_parquet(path) for name, path in paths.items()}
    customers = rows["customers"].order(project.key)
    entity = [dict(zip(customers.columns, values)) for values in customers.fetchall()]
    events = [dict(zip(rows["orders"].columns, values)) for values in rows["orders"].fetchall()]
    results = evaluate(project, Data(entity, {"orders": events}), project.as_of)
    columns: dict[str, pa.Array] = {
        project.key: pa.array([m.key for m in results], pa.int64()),
        "segments": pa.array([list(m.segments) for m in results], pa.list_(pa.string())),
    }
    for layer in project.layers:
        columns[layer.name] = pa.array([m.tiers[layer.name] for m in results], pa.string())
    for micro in project.microsegments:
        columns[micro.name] = pa.array([m.microsegments[micro.name] for m in results],
                                       pa.string())
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), out / "members.parquet")
    return out / "members.parquet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BASELINES),
                        help="comma-separated baselines to check")
    args = parser.parse_args()
    data = generate.ensure("tiny")
    out = HERE / "out" / "verify"
    expected = reference_members(data, out / "reference")
    failed = False
    for name in args.only.split(","):
        script = HERE / "baselines" / BASELINES[name]
        subprocess.run([sys.executable, str(script), "--customers", str(data / "customers.parquet"),
                        "--orders", str(data / "orders.parquet"), "--out", str(out / name)],
                       check=True)
        lines = differences(expected, out / name / "members.parquet")
        failed = failed or bool(lines)
        print(f"{name}: " + ("matches the reference interpreter" if not lines else "DIFFERS"))
        for line in lines:
            print("  " + line)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
