"""Compare two members files through DuckDB: same columns, same rows in the same order.

Input: two `members.parquet` paths (`python benchmarks/compare.py A B`, or `differences()`).
Output: an empty list when they are identical, else a few lines describing how they differ
(the CLI prints them and exits 1).

Identical means: the same column names in the same order, the same type per column as DuckDB
reads it (so an Arrow `large_string` and a DuckDB `VARCHAR` are the same), the same number of
rows, and row by row (by position in the file, since the contract orders rows by key) every
value equal, NULL equal to NULL, lists equal element by element in order.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

SAMPLES = 3


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def differences(a: Path, b: Path) -> list[str]:
    con = duckdb.connect()
    schemas = [con.execute(f"DESCRIBE SELECT * FROM read_parquet({_quoted(p)})").fetchall()
               for p in (a, b)]
    columns = [[(name, kind) for name, kind, *_ in schema] for schema in schemas]
    if columns[0] != columns[1]:
        return [f"columns differ: {columns[0]} vs {columns[1]}"]
    names = [name for name, _ in columns[0]]
    counts = [con.execute(f"SELECT count(*) FROM read_parquet({_quoted(p)})").fetchone()[0]
              for p in (a, b)]
    if counts[0] != counts[1]:
        return [f"row counts differ: {counts[0]} vs {counts[1]}"]
    # Rows are matched by their position in the file, so a different order is a difference.
    differs = " OR ".join(f"x.{_ident(n)} IS DISTINCT FROM y.{_ident(n)}" for n in names)
    query = f"""
        SELECT file_row_number, {", ".join(f"x.{_ident(n)}, y.{_ident(n)}" for n in names)}
        FROM read_parquet({_quoted(a)}, file_row_number = true) AS x
        JOIN read_parquet({_quoted(b)}, file_row_number = true) AS y USING (file_row_number)
        WHERE {differs}
        ORDER BY file_row_number
    """
    total = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    if not total:
        return []
    lines = [f"{total} of {counts[0]} rows differ; first ones (row: column: a vs b):"]
    for row, *values in con.execute(f"{query} LIMIT {SAMPLES}").fetchall():
        pairs = zip(names, values[0::2], values[1::2])
        lines += [f"  row {row}: {n}: {x!r} vs {y!r}" for n, x, y in pairs if x != y]
    return lines


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(f"usage: python {sys.argv[0]} A.parquet B.parquet")
    lines = differences(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(lines) if lines else "identical")
    sys.exit(1 if lines else 0)


if __name__ == "__main__":
    main()
