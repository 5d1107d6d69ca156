"""Writing the outputs of `eval` (SPEC §5) so that a failed run leaves the previous ones.

Input: an evaluation (its members Parquet file, written by DuckDB's `COPY`) and its summary dict.
Output: `members.parquet` (that file, copied) or `members.csv` / `.jsonl` (written by `COPY`), and
`segments.json`, both first written under a temporary folder inside the output folder and then
renamed into place: a run that fails or is interrupted before the renames changes nothing.

Several points (`write_points`) go to a folder per point (`OUT/2026-01-01/`, named by
`compiler.as_of.point_name`), each exactly a single point's outputs. Every point is first
written under the temporary folder; then each point's folder replaces the one already there
(kept aside until all are in place, and put back if a rename fails), so the whole OUT is either
the new run's or the previous one's.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from sqlglot import exp

from segdsl.engine.local import DataError, Evaluation, first_line

FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "json"}
"""Members file extension -> DuckDB's COPY format."""


def write(evaluation: Evaluation, summary: dict, out: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write members.<fmt> and segments.json into `out`; the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown members format {fmt!r}")
    out = Path(out)
    for name in (f"members.{fmt}", "segments.json"):
        if (out / name).is_dir():  # checked first: os.replace would fail after the other rename
            raise DataError(f"cannot write {out / name}: a folder has that name",
                            "move it away or choose another --out")
    staging = _staging(out)
    try:
        written = _stage(evaluation, summary, staging, fmt, out)
        for path in written:  # members first: segments.json says the run is complete
            try:
                os.replace(path, out / path.name)
            except OSError as exc:
                raise DataError(f"cannot write {out / path.name}: {exc.strerror or exc}") from None
        return [out / path.name for path in written]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_points(evaluations: list[Evaluation], summaries: list[dict], names: list[str], out: str | Path,
                 fmt: str = "parquet") -> list[Path]:
    """Write each point's members.<fmt> and segments.json into OUT/<name>; the folders written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown members format {fmt!r}")
    out = Path(out)
    for name in names:
        if (out / name).exists() and not (out / name).is_dir():
            raise DataError(f"cannot write {out / name}: a file has that name", "move it away or choose another --out")
    staging = _staging(out)
    try:
        for evaluation, summary, name in zip(evaluations, summaries, names, strict=True):
            (staging / name).mkdir()
            _stage(evaluation, summary, staging / name, fmt, out / name)
        aside = staging / ".previous"
        aside.mkdir()
        moved: list[str] = []
        placed: list[str] = []
        try:
            for name in names:
                if (out / name).exists():
                    os.replace(out / name, aside / name)
                    moved.append(name)
                os.replace(staging / name, out / name)
                placed.append(name)
        except OSError as exc:
            for name in placed:  # put the previous run back
                shutil.rmtree(out / name, ignore_errors=True)
            for name in moved:
                os.replace(aside / name, out / name)
            raise DataError(f"cannot write {out}: {exc.strerror or exc}") from None
        return [out / name for name in names]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staging(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".segdsl-writing-", dir=out))
    except OSError as exc:
        raise DataError(f"cannot write to {out}: {exc.strerror or exc}") from None


def _stage(evaluation: Evaluation, summary: dict, folder: Path, fmt: str, shown: Path) -> list[Path]:
    """members.<fmt> and segments.json in `folder`; `shown` is where errors say they go."""
    import duckdb

    members = folder / f"members.{fmt}"
    params = [exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var(FORMATS[fmt]))]
    if fmt == "csv":
        params.append(exp.CopyParameter(this=exp.var("HEADER"), expression=exp.true()))
    copy = exp.Copy(this=exp.Paren(this=exp.select(exp.Star()).from_(evaluation.relation())), kind=False,
                    files=[exp.Literal.string(str(members))], params=params)
    try:
        if fmt == "parquet" and evaluation.members_file:  # the engine wrote it already
            shutil.copyfile(evaluation.members_file, members)
        else:
            evaluation.con.execute(copy.sql(dialect="duckdb"))
    except duckdb.Error as exc:
        raise DataError(f"cannot write {shown / members.name}: {first_line(exc)}") from None
    except OSError as exc:
        raise DataError(f"cannot write {shown / members.name}: {exc.strerror or exc}") from None
    report = folder / "segments.json"
    report.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [members, report]
