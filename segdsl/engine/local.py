"""The embedded engine: a checked project evaluated by DuckDB in this process.

Input: the checked project, where each source's data is (`Location`s), as_of, DuckDB settings.
Output: an `Evaluation`: the members as a DuckDB table (one row per entity row, SPEC §5), the
SQL that made it, each input's row count, and the counts the summary needs.

Before the one-pass query runs, the entity source is checked for NULL and duplicate keys
(either would make a member list that names customers wrongly); after it, an event source
whose keys match no entity row is reported as a warning.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
from sqlglot import exp

from segdsl.compiler import build, plan, to_sql
from segdsl.compiler.names import column, table
from segdsl.dsl import typed as t
from segdsl.engine.sources import Location, attach, sql_relation

MEMBERS_TABLE = "members"

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
    sql: str
    rows: dict[str, int]
    """Each source's row count."""
    warnings: list[str] = field(default_factory=list)
    compile_seconds: float = 0.0
    eval_seconds: float = 0.0
    temp_dir: str | None = None

    @property
    def members(self) -> duckdb.DuckDBPyRelation:
        return self.con.table(MEMBERS_TABLE)

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
        raise DataError(f"cannot start DuckDB with these settings: {first_line(exc)}",
                        "check --threads and --memory-limit (e.g. 4GB)") from None
    return con, temp_dir


def evaluate(project: t.Project, locations: dict[str, Location], as_of: dt.datetime, *,
             threads: int | None = None, memory_limit: str | None = None,
             progress: Progress | None = None) -> Evaluation:
    """Evaluate every segment, layer and microsegment in one pass into the `members` table."""
    tell = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    con, temp_dir = connect(threads, memory_limit)
    try:
        relations = _relations(con, locations)
        statement = build(plan(project, as_of), relations)
        sql = to_sql(statement, "duckdb", pretty=False)
        compiled = time.perf_counter()

        tell("reading sources", None)
        rows = {name: _count(con, relations[name], name, locations[name]) for name in project.sources}
        _check_keys(con, project, relations[project.entity], locations[project.entity])

        tell("evaluating", 0.0)
        create = exp.Create(this=table(MEMBERS_TABLE), kind="TABLE", expression=statement,
                            properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
        _run(con, create.sql(dialect="duckdb"), tell, locations)
        evaluation = Evaluation(con, sql, rows, temp_dir=temp_dir)
        evaluation.warnings += _unmatched_events(con, project, relations, rows)
        evaluation.compile_seconds = compiled - started
        evaluation.eval_seconds = time.perf_counter() - compiled
        return evaluation
    except BaseException:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise


def _relations(con: duckdb.DuckDBPyConnection, locations: dict[str, Location]) -> dict[str, exp.Expression]:
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


def _check_keys(con, project: t.Project, relation: exp.Expression, location: Location) -> None:
    """NULL or duplicate keys in the entity source are errors, with a few examples."""
    key = column(project.key)
    query = exp.select(exp.Count(this=exp.Star()), exp.Count(this=key),
                       exp.Count(this=exp.Distinct(expressions=[key.copy()]))).from_(relation.copy())
    [(total, present, distinct)] = _fetch(con, query, project.entity, location)
    where = f"source {project.entity} ({location.path})"
    if present < total:
        raise DataError(f"{where}: {total - present} row(s) have no {project.key} (NULL)",
                        f"every row of the entity source needs a key; filter them out upstream")
    if distinct < present:
        counted = exp.alias_(exp.Count(this=exp.Star()), "n")
        examples_query = (exp.select(key.copy(), counted).from_(relation.copy()).group_by(key.copy())
                          .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
                          .order_by(exp.Ordered(this=exp.column("n"), desc=True), key.copy()).limit(5))
        examples = _fetch(con, examples_query, project.entity, location)
        shown = ", ".join(f"{k!r} ({n} rows)" for k, n in examples)
        raise DataError(f"{where}: {present - distinct} duplicate {project.key} value(s), e.g. {shown}",
                        "the entity source must have one row per key")


def _unmatched_events(con, project: t.Project, relations: dict[str, exp.Expression],
                      rows: dict[str, int]) -> list[str]:
    """Event sources with rows whose keys match no entity row: almost always a wrong `key:`."""
    warnings = []
    entity_keys = exp.select(column(project.key)).from_(relations[project.entity].copy())
    for name, source in project.sources.items():
        if name == project.entity or rows.get(name, 0) == 0:
            continue
        match = exp.In(this=column(source.key), query=entity_keys.subquery())
        events = exp.select(exp.Literal.number(1)).from_(relations[name].copy()).where(match)
        query = exp.select(exp.Exists(this=events))
        [(found,)] = con.execute(query.sql(dialect="duckdb")).fetchall()
        if not found:
            warnings.append(f"source {name}: none of its {rows[name]} rows has a {source.key} that matches a "
                            f"{project.key} of {project.entity}; every aggregate over it is empty")
    return warnings


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
            raise DataError(f"cannot evaluate: {first_line(exc)}", _culprit(exc, locations)) from None
        raise exc


def _culprit(exc: BaseException, locations: dict[str, Location]) -> str | None:
    text = str(exc)
    named = [f"{name} ({loc.path})" for name, loc in locations.items() if loc.path in text]
    return f"the data of source {', '.join(named)} is at fault" if named else None


def _fetch(con, query: exp.Expression, name: str, location: Location) -> list[tuple]:
    try:
        return con.execute(query.sql(dialect="duckdb")).fetchall()
    except duckdb.Error as exc:
        raise DataError(f"source {name}: cannot read {location.path}: {first_line(exc)}") from None


def first_line(exc: BaseException) -> str:
    """DuckDB's message without its class prefix, on one line (CSV errors span several)."""
    import re

    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return re.sub(r"^[A-Z][A-Za-z ]* Error: ", "", lines[0])


__all__ = ["DataError", "Evaluation", "MEMBERS_TABLE", "connect", "evaluate", "first_line"]
