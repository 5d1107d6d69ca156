"""The Spark engine: a checked project evaluated by Spark SQL through PySpark.

Input: the checked project, where each source's data is (`Location`s: Parquet, CSV or JSON
files, globs, hive folders), as_of, and the options `master` (default `local[*]`) and
`shuffle_partitions`.
Output: a `local.Evaluation` like DuckDB's: the members as one local Parquet file in key order
(SPEC §5) read through a local DuckDB connection, the statement that ran (printed for Spark),
each source's row count and the same warnings. Everything downstream (the summary,
`segments.json`, the terminal tree) is the same for every engine.

Steps: the sources become temporary views named after them (`sources.register`, with the
types DuckDB reads); the entity's keys are checked as on DuckDB; the compiled statement runs
with `spark.sql` and Spark writes the members as Parquet (one file per partition) into the
engine's temporary folder; DuckDB then sorts them by key into the one members file.
On a cluster master the executors cannot write into the driver's temporary folder: the members
are fetched as Arrow to the driver instead (one row per entity: small next to the events).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time

from sqlglot import exp

from segdsl.compiler import build, plan, to_sql
from segdsl.compiler.names import column, identifier, table
from segdsl.dsl import typed as t
from segdsl.engine import local
from segdsl.engine.local import DataError, Evaluation, Progress, check_key_types
from segdsl.engine.sources import Location
from segdsl.engine.spark.session import DEFAULT_MASTER, message, session
from segdsl.engine.spark.sources import register

DIALECT = "spark"


def evaluate(project: t.Project, locations: dict[str, Location], as_of: dt.datetime, *,
             progress: Progress | None = None, master: str | None = None,
             shuffle_partitions: int | None = None, **_options) -> Evaluation:
    """Evaluate every segment, layer and microsegment on Spark into a local members Parquet file."""
    tell = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    master = master or DEFAULT_MASTER
    tell("starting Spark", None)
    spark = session(master, shuffle_partitions)
    con, temp_dir = local.connect()
    try:
        statement = build(plan(project, as_of), {name: table(name) for name in project.sources})
        sql = to_sql(statement, DIALECT, pretty=False)
        compiled = time.perf_counter()

        tell("reading sources", None)
        check_key_types(project, locations)
        frames = {name: register(spark, name, locations[name]) for name in project.sources}
        rows = {name: _run(lambda f=frames[name]: f.count(), f"source {name} ({locations[name].path})")
                for name in project.sources}
        _check_keys(spark, project, locations[project.entity])

        tell("evaluating", None)
        members_file = os.path.join(temp_dir, local.MEMBERS_FILE)
        members = _run(lambda: spark.sql(sql), "cannot evaluate")
        _write(members, project.key, master, temp_dir, members_file, con, locations)
        evaluation = local.finish(con, statement, rows, temp_dir, members_file, DIALECT, started, compiled)
        evaluation.warnings += _unmatched_events(spark, project, rows, locations)
        return evaluation
    except BaseException:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    finally:
        _drop_views(spark, project.sources)


def _drop_views(spark, names) -> None:
    """The session outlives the evaluation: its views of this project's sources go."""
    for name in names:
        try:
            spark.catalog.dropTempView(name)
        except Exception:  # noqa: BLE001 - a session that died has nothing left to drop
            pass


def _write(members, key: str, master: str, temp_dir: str, members_file: str, con,
           locations: dict[str, Location]) -> None:
    """The members into one Parquet file in key order (DuckDB sorts what Spark wrote)."""
    parts = os.path.join(temp_dir, "members_parts")
    if master.startswith("local"):
        _run(lambda: members.write.mode("overwrite").parquet(parts), "cannot evaluate", locations)
        source = os.path.join(parts, "*.parquet")
    else:
        import pyarrow.parquet as pq

        os.makedirs(parts)
        source = os.path.join(parts, "members.parquet")
        pq.write_table(_run(members.toArrow, "cannot evaluate", locations), source)
    ordered = exp.select(exp.Star()).from_(_parquet(source)).order_by(column(key))
    copy = exp.Copy(this=exp.Paren(this=ordered), kind=False, files=[exp.Literal.string(members_file)],
                    params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))])
    con.execute(copy.sql(dialect="duckdb"))
    shutil.rmtree(parts, ignore_errors=True)


def _check_keys(spark, project: t.Project, location: Location) -> None:
    """NULL or duplicate keys in the entity source are errors, as on DuckDB (`local.check_keys`)."""
    key = column(project.key)
    where = f"source {project.entity} ({location.path})"
    query = exp.select(exp.Count(this=exp.Star()), exp.Count(this=key),
                       exp.Count(this=exp.Distinct(expressions=[key.copy()]))).from_(table(project.entity))
    [(total, present, distinct)] = _collect(spark, query, where)
    if present < total:
        raise DataError(f"{where}: {total - present} row(s) have no {project.key} (NULL)",
                        "every row of the entity source needs a key; filter them out upstream")
    if distinct < present:
        counted = exp.alias_(exp.Count(this=exp.Star()), "n")
        repeated = (exp.select(key.copy(), counted).from_(table(project.entity)).group_by(key.copy())
                    .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))
        totals = exp.select(exp.Count(this=exp.Star()), exp.Sum(this=exp.column("n"))).from_(
            repeated.subquery("repeated"))
        [(values, rows)] = _collect(spark, totals, where)
        examples = _collect(spark, repeated.order_by(exp.Ordered(this=exp.column("n"), desc=True), key.copy())
                            .limit(5), where)
        shown = ", ".join(f"{k!r} ({n} rows)" for k, n in examples)
        raise DataError(f"{where}: {values} {project.key} value(s) occur on more than one row ({int(rows)} rows), "
                        f"e.g. {shown}", "the entity source must have one row per key")


def _unmatched_events(spark, project: t.Project, rows: dict[str, int], locations: dict[str, Location]) -> list[str]:
    """The warnings `local` gives: an empty entity source, event sources matching no entity."""
    if rows[project.entity] == 0:
        return [f"source {project.entity} ({locations[project.entity].path}) has no rows; every count is 0"]
    warnings = []
    for name, source in project.sources.items():
        if name == project.entity or rows.get(name, 0) == 0:
            continue
        events = exp.Table(this=identifier(name), alias=exp.TableAlias(this=identifier("events")))
        entity = exp.Table(this=identifier(project.entity), alias=exp.TableAlias(this=identifier("entity")))
        same_key = exp.EQ(this=column(source.key, "events"), expression=column(project.key, "entity"))
        matched = exp.select(exp.Literal.number(1)).from_(events).join(entity, on=same_key).limit(1)
        if not _collect(spark, matched, f"source {name}"):
            warnings.append(f"source {name}: none of its {rows[name]} rows has a {source.key} that matches "
                            f"the {project.key} of a {project.entity} row; every aggregate over it is empty")
    return warnings


def _collect(spark, query: exp.Expression, where: str) -> list[tuple]:
    return [tuple(row) for row in _run(lambda: spark.sql(query.sql(dialect=DIALECT)).collect(), where)]


def _run(work, where: str, locations: dict[str, Location] | None = None):
    """Run a Spark action; any failure becomes a one-line `DataError` naming `where`, or the
    source whose files Spark's message names (a file that cannot be read mid-query)."""
    try:
        return work()
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - Spark raises its own classes and Py4J's
        if (culprit := _named_source(str(exc), locations or {})) is not None:
            where = f"source {culprit} ({locations[culprit].path})"
        raise DataError(f"{where}: {message(exc)}") from None


def _named_source(text: str, locations: dict[str, Location]) -> str | None:
    """The one source whose file (or, for a glob or folder, whose fixed folder) `text` names."""
    exact = [name for name, location in locations.items() if location.path in text]
    if exact:
        return exact[0]
    folders = [name for name, location in locations.items()
               if "*" in location.path and os.path.dirname(location.path.split("*")[0]) in text]
    return folders[0] if len(folders) == 1 else None


def _parquet(path: str) -> exp.Table:
    return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(path)]))


__all__ = ["DIALECT", "evaluate"]
