"""The embedded engine: a checked project evaluated by DuckDB in this process.

Input: the checked project, where each source's data is (`Location`s), as_of (or several
points), DuckDB settings.
Output: an `Evaluation`: the members as a DuckDB table (one row per entity row, SPEC §5), the
SQL that made it, each input's row count, and the counts the summary needs; for several points
(`evaluate_points`), `Points`: one `Evaluation` per point, all made by one statement.

Before the one-pass query runs, the entity source is checked for NULL and duplicate keys
(either would make a member list that names customers wrongly) and each event source's key for
the entity key's type; after it, an event source whose keys match no entity row, and an empty
entity source, are reported as warnings. DuckDB's errors on reading the data become one-line
`DataError`s that name the source, the file and, when DuckDB knows it, the line.
"""

from __future__ import annotations

import datetime as dt
import os
import fnmatch
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
from sqlglot import exp

from segdsl.compiler import build, plan, to_sql
from segdsl.compiler.expressions import timestamp
from segdsl.compiler.names import column, identifier, table
from segdsl.dsl import typed as t
from segdsl.engine.sources import Location, ReadError, attach, first_line, read_error, sql_relation

MEMBERS_TABLE = "members"
MEMBERS_FILE = "members.parquet"

Progress = Callable[[str, float | None], None]
"""Told the stage that runs (`reading sources`, `evaluating`, …) and, when known, how far along."""


class DataError(Exception):
    """The data cannot be evaluated as it is; the message names the source and file at fault."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass
class Evaluation:
    con: duckdb.DuckDBPyConnection
    statement: exp.Expression
    """The statement that made the members; `sql` prints it (only when asked: it takes time)."""
    rows: dict[str, int]
    """Each source's row count."""
    warnings: list[str] = field(default_factory=list)
    compile_seconds: float = 0.0
    eval_seconds: float = 0.0
    temp_dir: str | None = None
    members_file: str | None = None
    """The members as Parquet, in the engine's temporary folder until written out."""
    dialect: str = "duckdb"
    """The SQL dialect of the engine that ran `statement`."""

    @property
    def sql(self) -> str:
        return to_sql(self.statement, self.dialect)

    @property
    def members(self) -> duckdb.DuckDBPyRelation:
        return self.con.sql(exp.select(exp.Star()).from_(self.relation()).sql(dialect="duckdb"))

    def relation(self) -> exp.Expression:
        """Where the members are, for queries over them: the members file, else the table."""
        if self.members_file:
            return _parquet(self.members_file)
        return table(MEMBERS_TABLE)

    def close(self) -> None:
        self.con.close()
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def connect(threads: int | None = None, memory_limit: str | None = None) -> tuple[duckdb.DuckDBPyConnection, str]:
    """An in-memory DuckDB with a spill folder, so inputs larger than memory spill to disk."""
    temp_dir = tempfile.mkdtemp(prefix="segdsl-spill-")
    config: dict[str, object] = {"temp_directory": temp_dir, "preserve_insertion_order": True}
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    try:
        con = duckdb.connect(config=config)
    except duckdb.Error as exc:
        shutil.rmtree(temp_dir, ignore_errors=True)
        settings = ", ".join(f"{name} {value!r}" for name, value in
                             (("threads", threads), ("memory_limit", memory_limit)) if value is not None)
        raise DataError(f"DuckDB does not accept {settings or 'its settings'}: {first_line(exc)}") from None
    return con, temp_dir


def evaluate(project: t.Project, locations: dict[str, Location], as_of: dt.datetime, *,
             threads: int | None = None, memory_limit: str | None = None,
             progress: Progress | None = None) -> Evaluation:
    """Evaluate every segment, layer and microsegment in one pass into a members Parquet file."""
    tell = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    con, temp_dir = connect(threads, memory_limit)
    try:
        relations = source_relations(con, locations)
        statement = build(plan(project, as_of), relations)
        compiled = time.perf_counter()
        rows = _read_sources(con, project, relations, locations, tell)

        tell("evaluating", 0.0)
        # Streamed straight into a Parquet file (as a hand-written `COPY (query) TO` would),
        # not held in memory; `members` is a view over it for the summary and the API.
        members_file = os.path.join(temp_dir, MEMBERS_FILE)
        _run(con, _copy(statement, members_file), tell, locations)
        evaluation = finish(con, statement, rows, temp_dir, members_file, "duckdb", started, compiled)
        evaluation.warnings += _unmatched_events(con, project, relations, rows, locations)
        return evaluation
    except BaseException:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise


def finish(con: duckdb.DuckDBPyConnection, statement: exp.Expression, rows: dict[str, int], temp_dir: str,
           members_file: str, dialect: str, started: float, compiled: float) -> Evaluation:
    """The `Evaluation` of an engine that left its members in `members_file`: a `members` view
    over the file on the local DuckDB, and the compile and eval times (from the clock readings
    at the start and after compiling)."""
    view = exp.Create(this=table(MEMBERS_TABLE), kind="VIEW",
                      expression=exp.select(exp.Star()).from_(_parquet(members_file)))
    con.execute(view.sql(dialect="duckdb"))
    evaluation = Evaluation(con, statement, rows, temp_dir=temp_dir, members_file=members_file, dialect=dialect)
    evaluation.compile_seconds = compiled - started
    evaluation.eval_seconds = time.perf_counter() - compiled
    return evaluation


@dataclass
class Points:
    """A multi-point evaluation: one `Evaluation` per point, sharing one connection."""

    evaluations: list[Evaluation]
    con: duckdb.DuckDBPyConnection
    statement: exp.Expression
    temp_dir: str

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def evaluate_points(project: t.Project, locations: dict[str, Location], points: list[dt.datetime], *,
                    threads: int | None = None, memory_limit: str | None = None,
                    progress: Progress | None = None) -> Points:
    """Evaluate at every point in one statement (`compiler.points`), then split its members
    into a Parquet file per point."""
    from segdsl.compiler.points import build_points

    tell = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    con, temp_dir = connect(threads, memory_limit)
    try:
        relations = source_relations(con, locations)
        query = build_points([plan(project, when) for when in points], relations)
        compiled = time.perf_counter()
        rows = _read_sources(con, project, relations, locations, tell)

        tell("evaluating", 0.0)
        every = os.path.join(temp_dir, "points.parquet")
        _run(con, _copy(query.statement, every), tell, locations)
        tell("splitting points", None)
        evaluated = time.perf_counter()
        warnings = _unmatched_events(con, project, relations, rows, locations)
        evaluations = []
        for i, when in enumerate(points, start=1):
            members_file = os.path.join(temp_dir, f"members_{i}.parquet")
            one = (exp.select(*(column(name) for name in query.output_columns))
                   .from_(_parquet(every))
                   .where(exp.EQ(this=column(query.as_of_column), expression=timestamp(when)))
                   .order_by(column(project.key)))
            con.execute(_copy(one, members_file))
            evaluation = Evaluation(con, query.statement, rows, list(warnings), members_file=members_file)
            evaluation.compile_seconds = compiled - started
            evaluation.eval_seconds = evaluated - compiled
            evaluations.append(evaluation)
        return Points(evaluations, con, query.statement, temp_dir)
    except BaseException:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise


def _read_sources(con, project: t.Project, relations: dict[str, exp.Expression],
                  locations: dict[str, Location], tell: Progress) -> dict[str, int]:
    """Each source's row count, after the checks of keys that must pass before evaluating."""
    tell("reading sources", None)
    check_key_types(project, locations)
    rows = {name: _count(con, relations[name], name, locations[name]) for name in project.sources}
    check_keys(con, project, relations[project.entity], locations[project.entity])
    return rows


def _copy(query: exp.Expression, path: str) -> str:
    copy = exp.Copy(this=exp.Paren(this=query), kind=False, files=[exp.Literal.string(path)],
                    params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))])
    return copy.sql(dialect="duckdb")


def _parquet(path: str) -> exp.Table:
    return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(path)]))


def source_relations(con: duckdb.DuckDBPyConnection, locations: dict[str, Location]) -> dict[str, exp.Expression]:
    relations = {}
    for i, (name, location) in enumerate(sorted(locations.items()), start=1):
        attached = None
        if location.format == "duckdb":
            attached = f"source_db_{i}"
            try:
                con.execute(attach(location, attached).sql(dialect="duckdb"))
            except duckdb.Error as exc:
                raise DataError(f"source {name}: cannot open {location.path}: {first_line(exc)}") from None
        relations[name] = sql_relation(location, attached)
    return relations


def _count(con, relation: exp.Expression, name: str, location: Location) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(relation.copy())
    [(n,)] = _fetch(con, query, name, location)
    return int(n)


def check_key_types(project: t.Project, locations: dict[str, Location]) -> None:
    """An event source's key must have the entity key's type: DuckDB would compare `'7'` with
    `7` by casting, other databases refuse, and text that is not a number fails mid-query."""
    entity = project.sources[project.entity]
    expected = entity.columns.get(project.key)
    for name, source in project.sources.items():
        found = source.columns.get(source.key)
        if name == project.entity or expected is None or found is None or found.kind == expected.kind:
            continue
        raise DataError(f"source {name} ({locations[name].path}): its key {source.key} is {found.kind} but the key "
                        f"{project.key} of {project.entity} is {expected.kind}",
                        "export both keys with the same type; keys are not compared across types")


def check_keys(con, project: t.Project, relation: exp.Expression, location: Location) -> None:
    """NULL or duplicate keys in the entity source are errors, with a few examples."""
    key = column(project.key)
    query = exp.select(exp.Count(this=exp.Star()), exp.Count(this=key),
                       exp.Count(this=exp.Distinct(expressions=[key.copy()]))).from_(relation.copy())
    [(total, present, distinct)] = _fetch(con, query, project.entity, location)
    where = f"source {project.entity} ({location.path})"
    if present < total:
        raise DataError(f"{where}: {total - present} row(s) have no {project.key} (NULL)",
                        "every row of the entity source needs a key; filter them out upstream")
    if distinct < present:
        counted = exp.alias_(exp.Count(this=exp.Star()), "n")
        repeated = (exp.select(key.copy(), counted).from_(relation.copy()).group_by(key.copy())
                    .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))
        totals = exp.select(exp.Count(this=exp.Star()), exp.Sum(this=exp.column("n"))).from_(
            repeated.subquery("repeated"))
        [(values, rows)] = _fetch(con, totals, project.entity, location)
        examples_query = repeated.order_by(exp.Ordered(this=exp.column("n"), desc=True), key.copy()).limit(5)
        examples = _fetch(con, examples_query, project.entity, location)
        shown = ", ".join(f"{k!r} ({n} rows)" for k, n in examples)
        raise DataError(f"{where}: {values} {project.key} value(s) occur on more than one row ({int(rows)} rows), "
                        f"e.g. {shown}", "the entity source must have one row per key")


def _unmatched_events(con, project: t.Project, relations: dict[str, exp.Expression], rows: dict[str, int],
                      locations: dict[str, Location]) -> list[str]:
    """Event sources with rows whose keys match no entity row: almost always a wrong `key:`.

    Keys match as in the one-pass query: by an equality join. An empty entity source gets one
    warning of its own instead of one per event source.
    """
    if rows[project.entity] == 0:
        return [f"source {project.entity} ({locations[project.entity].path}) has no rows; every count is 0"]
    warnings = []
    for name, source in project.sources.items():
        if name == project.entity or rows.get(name, 0) == 0:
            continue
        events, entity = _aliased(relations[name], "events"), _aliased(relations[project.entity], "entity")
        same_key = exp.EQ(this=column(source.key, "events"), expression=column(project.key, "entity"))
        matched = exp.select(exp.Literal.number(1)).from_(events).join(entity, on=same_key)
        [(found,)] = _fetch(con, exp.select(exp.Exists(this=matched)), name, locations[name])
        if not found:
            warnings.append(f"source {name}: none of its {rows[name]} rows has a {source.key} that matches "
                            f"the {project.key} of a {project.entity} row; every aggregate over it is empty")
    return warnings


def _aliased(relation: exp.Expression, alias: str) -> exp.Expression:
    aliased = relation.copy()
    aliased.set("alias", exp.TableAlias(this=identifier(alias)))
    return aliased


def _run(con, sql: str, tell: Progress, locations: dict[str, Location]) -> None:
    """Run the statement in a worker thread and report DuckDB's progress meanwhile."""
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
            fraction = con.query_progress()
            tell("evaluating", fraction / 100 if fraction and fraction >= 0 else None)
    except KeyboardInterrupt:
        con.interrupt()
        worker.join()
        raise
    if failure:
        exc = failure[0]
        if isinstance(exc, duckdb.Error):
            raise evaluation_error(exc, locations) from None
        raise exc


def evaluation_error(exc: duckdb.Error, locations: dict[str, Location]) -> DataError:
    """The one-pass query failed: blame the source whose file DuckDB names, if it names one."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return _out_of_memory(exc)
    problem = read_error(exc)
    named = sorted(locations.items())
    culprits = ([(n, loc) for n, loc in named if problem.file and _holds(loc, problem.file)]
                or [(n, loc) for n, loc in named if loc.path in str(exc)])
    if culprits:
        return _read_failure(*culprits[0], problem)
    return DataError(f"cannot evaluate: {problem.reason}", problem.hint)


def _holds(location: Location, file: str) -> bool:
    """Whether `file`, as DuckDB names it in an error, is one of the location's files."""
    return file == location.path or fnmatch.fnmatchcase(file, location.path)


def _read_failure(name: str, location: Location, problem: ReadError) -> DataError:
    at = f", line {problem.line}" if problem.line else ""
    return DataError(f"source {name}: cannot read {problem.file or location.path}{at}: {problem.reason}",
                     problem.hint)


def _out_of_memory(exc: duckdb.Error) -> DataError:
    return DataError(f"out of memory: {first_line(exc)}",
                     "raise --memory-limit; beyond it DuckDB spills to disk, but some steps need memory")


def _fetch(con, query: exp.Expression, name: str, location: Location) -> list[tuple]:
    try:
        return con.execute(query.sql(dialect="duckdb")).fetchall()
    except duckdb.OutOfMemoryException as exc:
        raise _out_of_memory(exc) from None
    except duckdb.Error as exc:
        raise _read_failure(name, location, read_error(exc)) from None


__all__ = ["DataError", "Evaluation", "MEMBERS_TABLE", "Points", "connect", "evaluate", "evaluate_points", "first_line"]
