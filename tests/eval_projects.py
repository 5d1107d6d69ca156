"""Small rules projects on disk for the `segdsl eval` tests, and the command run as users run it.

Input: rows as Python values (one list per column), YAML texts.
Output: a project folder in the test's tmp_path with its data files, the result of running
`segdsl eval` in a subprocess, and the members a run wrote, read back with DuckDB.

`shop()` is the standard project: customers (key `id`, a declared `age`) and an `orders` event
source, two nested segments, a layer and a microsegment. Its expected members, worked out by
hand, are `SHOP_MEMBERS`; every variant of the data (other formats, other paths) must give them.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent

# What the `segdsl` console script runs, as in test_cli.py.
ENTRY_POINT = "import sys; sys.argv[0] = 'segdsl'; from segdsl.cli import main; main()"

CUSTOMERS: dict[str, list] = {
    "id": [1, 2, 3, 4, 5],
    "age": [34, 71, 17, None, 45],
    "plan": ["monthly", "annual", "monthly", "annual", None],
}

ORDERS: dict[str, list] = {
    "customer_id": [1, 1, 2, 5, 5, 5, 9],
    "ordered_at": [dt.datetime(2026, 10, 20), dt.datetime(2026, 9, 1, 12, 30), dt.datetime(2025, 1, 5),
                   dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 2), dt.datetime(2026, 10, 3),
                   dt.datetime(2026, 10, 1)],
    "amount": [20.0, 35.5, 99.0, 5.0, 5.0, 5.0, 1.0],
}
"""Customer 9 has no customer row: one unmatched event, which is no reason for a warning."""

SETTINGS = """\
entity: customers
as_of: 2026-11-01
sources:
  customers: {path: data/customers.parquet, key: id}
  orders: {path: "data/orders/*.parquet", key: customer_id, time: ordered_at}
fields:
  age: {type: number}
metrics:
  orders_90d: count(orders) over 90d
  spend_90d: sum(orders.amount) over 90d
"""

RULES = """\
segments:
  - name: adults
    rule: age >= 18
    segments:
      - name: buyers
        rule: orders_90d >= 1
layers:
  - name: band
    tiers:
      - name: senior
        rule: age >= 65
      - name: rest
        else: true
  - name: spend
    tiers:
      - name: high
        rule: spend_90d > 10
      - name: low
        else: true
microsegments:
  - name: band_spend
    layers: [band, spend]
    within: adults
"""

SHOP_MEMBERS = [
    # 1: 34, two orders in the last 90 days (2026-08-03 on), 55.5 spent.
    (1, ["adults", "adults/buyers"], "rest", "high", "rest/high"),
    # 2: 71, its only order is from 2025.
    (2, ["adults"], "senior", "low", "senior/low"),
    # 3: 17, not an adult: no microsegment key.
    (3, [], "rest", "low", None),
    # 4: no age, so neither adult nor senior.
    (4, [], "rest", "low", None),
    # 5: 45, three orders of 5.0 in October.
    (5, ["adults", "adults/buyers"], "rest", "high", "rest/high"),
]


def write_parquet(path: Path, columns: Mapping[str, list], schema: pa.Schema | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(dict(columns), schema=schema), path)
    return path


def write_project(folder: Path, settings: str, rules: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "segdsl.yml").write_text(settings, encoding="utf-8")
    (folder / "rules.yml").write_text(rules, encoding="utf-8")
    return folder


def shop(folder: Path, customers: Mapping[str, list] = CUSTOMERS, orders: Mapping[str, list] = ORDERS,
         settings: str = SETTINGS, rules: str = RULES) -> Path:
    """The standard project in `folder`, its data as Parquet under `folder/data`."""
    write_parquet(folder / "data" / "customers.parquet", customers)
    write_parquet(folder / "data" / "orders" / "part-0.parquet", orders)
    return write_project(folder, settings, rules)


def segdsl(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in a subprocess, as the console script does."""
    return subprocess.run([sys.executable, "-c", ENTRY_POINT, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def members(path: Path) -> list[tuple]:
    """The rows of a members file (parquet, csv or jsonl), in file order."""
    con = duckdb.connect()
    try:
        return con.sql(f"SELECT * FROM {_reader(path)}").fetchall()
    finally:
        con.close()


def _reader(path: Path) -> str:
    quoted = "'" + str(path).replace("'", "''") + "'"
    match path.suffix:
        case ".parquet":
            return f"read_parquet({quoted})"
        case ".csv":
            return f"read_csv({quoted}, header = true)"
        case _:
            return f"read_json({quoted})"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (relative path → bytes), to show that a run changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def clean(result: subprocess.CompletedProcess[str]) -> bool:
    """No Python traceback and no internal error: the failure was one segdsl expected."""
    text = result.stdout + result.stderr
    return "Traceback" not in text and "internal error" not in text
