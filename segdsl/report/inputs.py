"""Reading an `eval` output folder for the report.

Input: a folder written by `segdsl eval` (SPEC §5): `segments.json` and one members file
(`members.parquet`, `members.csv` or `members.jsonl`).
Output: `Outputs` (the summary dict and where the members are), and `overlap`: how many
entities each pair of top-level segments shares, counted by DuckDB over the members file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from segdsl.engine.local import DataError

MEMBER_FILES = ("members.parquet", "members.csv", "members.jsonl")
"""Looked for in this order, as `segdsl movement` does; `eval` writes one of them per run."""


@dataclass(frozen=True)
class Outputs:
    folder: Path
    summary: dict
    """segments.json as written by `eval`."""
    members: Path
    """The members file."""


@dataclass(frozen=True)
class Overlap:
    paths: tuple[str, ...]
    """The segments compared, in segments.json order."""
    counts: tuple[tuple[int, ...], ...]
    """counts[i][j]: entities in both paths[i] and paths[j]; the diagonal is each segment's count."""


def read_outputs(folder: str | Path) -> Outputs:
    """The summary and the members file of one evaluation; a clear DataError when they are not there."""
    from segdsl.api import UsageError

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder; give the --out folder of a `segdsl eval` run")
    summary_path = folder / "segments.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{folder} is not an eval output folder: it has no segments.json; give the --out "
                         "folder of a `segdsl eval` run (with --as-of A..B/STEP, one of its point folders)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {summary_path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{summary_path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}",
                        "run `segdsl eval` again to rewrite it") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("segments"), list) or "key" not in summary:
        raise DataError(f"{summary_path} is not a segments.json written by `segdsl eval`",
                        "it needs at least `key` and `segments`")
    members = next((folder / name for name in MEMBER_FILES if (folder / name).is_file()), None)
    if members is None:
        raise UsageError(f"{folder} is not an eval output folder: it has no members file "
                         f"({', '.join(MEMBER_FILES)}); run `segdsl eval` again with this folder as --out")
    return Outputs(folder, summary, members)


def top_level_paths(summary: dict) -> tuple[str, ...]:
    return tuple(s["path"] for s in summary["segments"])


def overlap(outputs: Outputs) -> Overlap:
    """Entities in both of each pair of top-level segments, in one grouped query over the members."""
    import duckdb

    paths = top_level_paths(outputs.summary)
    if not paths:
        return Overlap((), ())
    # One row per (entity, top-level path it is in); a self-join on the entity counts every pair.
    query = f"""
        WITH m AS ({_members_query(outputs.members, str(outputs.summary["key"]))}),
        p AS (SELECT DISTINCT k, path FROM (SELECT k, unnest(segments) AS path FROM m)
              WHERE list_contains($paths, path))
        SELECT a.path, b.path, count(*) FROM p AS a JOIN p AS b ON a.k = b.k GROUP BY a.path, b.path
    """
    try:
        with duckdb.connect() as con:
            rows = con.execute(query, {"file": str(outputs.members), "paths": list(paths)}).fetchall()
    except duckdb.Error as exc:
        raise DataError(f"cannot read {outputs.members}: {str(exc).splitlines()[0]}",
                        "run `segdsl eval` again to rewrite it") from None
    found = {(a, b): int(n) for a, b, n in rows}
    return Overlap(paths, tuple(tuple(found.get((a, b), 0) for b in paths) for a in paths))


def _members_query(members: Path, key_column: str) -> str:
    """The members file as (k, segments VARCHAR[]); the file is a query parameter."""
    from sqlglot import exp

    key = exp.to_identifier(key_column, quoted=True).sql(dialect="duckdb")
    if members.suffix == ".parquet":
        return f"SELECT {key} AS k, segments FROM read_parquet($file)"
    if members.suffix == ".jsonl":
        return (f"SELECT {key} AS k, CAST(segments AS VARCHAR[]) AS segments "
                "FROM read_json($file, format = 'newline_delimited')")
    # CSV holds a list as `[a, b]`; segment paths have no comma or space, so splitting is exact.
    return (f"SELECT {key} AS k, CASE WHEN trim(segments, '[]') = '' THEN []::VARCHAR[] "
            "ELSE string_split(trim(segments, '[]'), ', ') END AS segments "
            "FROM read_csv($file, header = true, all_varchar = true)")
