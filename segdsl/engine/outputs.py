"""Writing the outputs of `eval` (SPEC §5) so that a failed run leaves the previous ones.

Input: an evaluation (its members Parquet file, written by DuckDB's `COPY`) and its summary dict.
Output: `members.parquet` (that file, copied) or `members.csv` / `.jsonl` (written by `COPY`), and
`segments.json`, both first written under a temporary folder inside the output folder and then
renamed into place: a run that fails or is interrupted before the renames changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from sqlglot import exp

from segdsl.compiler.names import table
from segdsl.engine.local import MEMBERS_TABLE, DataError, Evaluation, first_line

FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "json"}
"""Members file extension -> DuckDB's COPY format."""


def write(evaluation: Evaluation, summary: dict, out: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write members.<fmt> and segments.json into `out`; the paths written."""
    import duckdb

    if fmt not in FORMATS:
        raise ValueError(f"unknown members format {fmt!r}")
    out = Path(out)
    for name in (f"members.{fmt}", "segments.json"):
        if (out / name).is_dir():  # checked first: os.replace would fail after the other rename
            raise DataError(f"cannot write {out / name}: a folder has that name",
                            "move it away or choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".segdsl-writing-", dir=out))
    except OSError as exc:
        raise DataError(f"cannot write to {out}: {exc.strerror or exc}") from None
    try:
        members = staging / f"members.{fmt}"
        params = [exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var(FORMATS[fmt]))]
        if fmt == "csv":
            params.append(exp.CopyParameter(this=exp.var("HEADER"), expression=exp.true()))
        copy = exp.Copy(this=table(MEMBERS_TABLE), kind=False, files=[exp.Literal.string(str(members))],
                        params=params)
        try:
            if fmt == "parquet" and evaluation.members_file:  # the engine wrote it already
                shutil.copyfile(evaluation.members_file, members)
            else:
                evaluation.con.execute(copy.sql(dialect="duckdb"))
        except duckdb.Error as exc:
            raise DataError(f"cannot write {out / members.name}: {first_line(exc)}") from None
        except OSError as exc:
            raise DataError(f"cannot write {out / members.name}: {exc.strerror or exc}") from None
        report = staging / "segments.json"
        report.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written = []
        for path in (members, report):  # members first: segments.json says the run is complete
            try:
                os.replace(path, out / path.name)
            except OSError as exc:
                raise DataError(f"cannot write {out / path.name}: {exc.strerror or exc}") from None
            written.append(out / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
