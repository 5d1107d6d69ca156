"""Rule tests → verdicts, through the compiled SQL on DuckDB (`segdsl test`).

Input: the checked project, its test cases (`CaseSpec`, checked by `checker/cases.py`), and
each source's columns with their DuckDB types (`source_columns`), so the test tables have the
very types the real data has.
Output: a `CaseResult` per test: each expectation with what happened.

All tests that share an `as_of` run in one query: their rows go into in-memory tables named
after the sources, each test's entity row gets its own key (the one it gives, or a made-up
one) and a case number, and the one-pass statement is built with rankings partitioned by case
number, so each test is its own population exactly as if it ran alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
from sqlglot import exp

from segdsl.compiler import build, plan, to_sql
from segdsl.compiler.names import identifier, table
from segdsl.dsl import typed as t
from segdsl.dsl.diagnostics import FileSpan
from segdsl.dsl.project import CaseSpec, Expectation, GivenRow

CASE_COLUMN = "_segdsl_case"
"""The entity column that tells the tests apart in the one query."""

_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                  "UINTEGER", "UBIGINT", "UHUGEINT")


class CaseError(Exception):
    """Test rows DuckDB cannot hold (a key segdsl cannot make up, a value it cannot store)."""

    def __init__(self, message: str, span: FileSpan | None = None):
        super().__init__(message)
        self.span = span


@dataclass(frozen=True)
class Outcome:
    expectation: Expectation
    actual: object
    """`in`/`not_in`: whether the entity is in the segment; layers and microsegments: the tier
    or key it got (None: none)."""

    @property
    def passed(self) -> bool:
        match self.expectation.kind:
            case "in":
                return self.actual is True
            case "not_in":
                return self.actual is False
        return self.actual == self.expectation.value


@dataclass(frozen=True)
class CaseResult:
    case: CaseSpec
    as_of: dt.datetime
    outcomes: tuple[Outcome, ...]
    trace: str | None = None
    """The explain trace of what failed (None when the test passed)."""

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


Columns = dict[str, list[tuple[str, str]]]
"""Per source, its columns and their DuckDB types, in file order."""

Explainer = Callable[[t.Project, duckdb.DuckDBPyConnection, dt.datetime, object, Sequence[str]], str]
"""Renders the explain trace of one entity's named segments, layers and microsegments."""


def source_columns(con: duckdb.DuckDBPyConnection, relations: dict[str, duckdb.DuckDBPyRelation]) -> Columns:
    """Each source's columns and DuckDB types, from its relation (file metadata only)."""
    return {name: list(zip(rel.columns, (str(ty) for ty in rel.types))) for name, rel in relations.items()}


def run_cases(project: t.Project, cases: Sequence[CaseSpec], columns: Columns, default_as_of: dt.datetime,
              explainer: Explainer | None = None) -> list[CaseResult]:
    """Run every case; the results in the order of `cases`."""
    results: dict[int, CaseResult] = {}
    for as_of, batch in _batches(cases, default_as_of, project, columns):
        con = duckdb.connect()
        try:
            load_tables(con, project, columns, batch)
            statement = build(plan(project, as_of), partition=CASE_COLUMN)
            rows = {str(r[0]): r for r in con.execute(to_sql(statement, "duckdb", pretty=False)).fetchall()}
            for index, key, _ in batch:
                row = rows[str(key)]
                outcomes = tuple(_outcome(project, e, row) for e in cases[index].expect)
                results[index] = CaseResult(cases[index], as_of, outcomes)
        finally:
            con.close()
    for index, result in results.items():
        if not result.passed and explainer is not None:
            results[index] = _traced(result, project, columns, explainer)
    return [results[i] for i in range(len(cases))]


def _traced(result: CaseResult, project: t.Project, columns: Columns, explainer: Explainer) -> CaseResult:
    """The failing test alone in a fresh database, explained for the targets that failed."""
    key = case_keys([result.case], project, columns)[0]
    targets = list(dict.fromkeys(o.expectation.target.name for o in result.failures))
    con = duckdb.connect()
    try:
        load_tables(con, project, columns, [(0, key, result.case)])
        trace = explainer(project, con, result.as_of, key, targets)
    except duckdb.Error as exc:  # the verdicts stand; only the explanation is lost
        trace = f"(no explanation: {str(exc).splitlines()[0]})"
    finally:
        con.close()
    return CaseResult(result.case, result.as_of, result.outcomes, trace)


def _outcome(project: t.Project, expectation: Expectation, row: tuple) -> Outcome:
    name = expectation.target.name
    match expectation.kind:
        case "in" | "not_in":
            return Outcome(expectation, name in (row[1] or []))
        case "layer":
            return Outcome(expectation, row[2 + [x.name for x in project.layers].index(name)])
    offset = 2 + len(project.layers)
    return Outcome(expectation, row[offset + [x.name for x in project.microsegments].index(name)])


# --- the test tables -----------------------------------------------------------------------


def _batches(cases: Sequence[CaseSpec], default_as_of: dt.datetime, project: t.Project, columns: Columns):
    """(as_of, [(case index, key, case)]) groups: one query each, keys distinct within one."""
    keys = case_keys(cases, project, columns)
    groups: dict[dt.datetime, list[tuple[set[str], list[tuple[int, object, CaseSpec]]]]] = {}
    for index, (case, key) in enumerate(zip(cases, keys)):
        batches = groups.setdefault(case.as_of or default_as_of, [])
        taken, batch = next(((k, b) for k, b in batches if str(key) not in k), (set(), []))
        if not batch:
            batches.append((taken, batch))
        taken.add(str(key))
        batch.append((index, key, case))
    return [(as_of, batch) for as_of, batches in sorted(groups.items()) for _, batch in batches]


def case_keys(cases: Sequence[CaseSpec], project: t.Project, columns: Columns) -> list[object]:
    """Each case's key: the one its entity row gives, else a made-up one no given key uses."""
    key_type = dict(columns[project.entity])[project.key].upper()
    given = [_entity_row(case, project).get(project.key) for case in cases]
    used = {str(k) for k in given if k is not None}
    out: list[object] = []
    number = 0
    for case, key in zip(cases, given):
        if key is None:
            number += 1
            while str(number) in used or f"test-{number}" in used:
                number += 1
            if key_type in _INTEGER_TYPES:
                key = number
            elif key_type == "VARCHAR":
                key = f"test-{number}"
            else:
                raise CaseError(f"test {case.name.name!r}: write the `{project.key}` of its `{project.entity}` row "
                                f"(segdsl makes up keys of integer and text columns only, not {key_type})",
                                case.name.span)
        out.append(key)
    return out


def _entity_row(case: CaseSpec, project: t.Project) -> dict[str, object]:
    return next((g.rows[0].values for g in case.given if g.source.name == project.entity and g.rows), {})


def load_tables(con: duckdb.DuckDBPyConnection, project: t.Project, columns: Columns,
                batch: list[tuple[int, object, CaseSpec]]) -> None:
    """One table per source holding the batch's rows; events carry their test's key."""
    for source, cols in columns.items():
        is_entity = source == project.entity
        defs = [exp.ColumnDef(this=identifier(name), kind=exp.DataType.build(ty, dialect="duckdb"))
                for name, ty in cols]
        if is_entity:
            defs.append(exp.ColumnDef(this=identifier(CASE_COLUMN), kind=exp.DataType.build("INTEGER")))
        create = exp.Create(this=exp.Schema(this=table(source), expressions=defs), kind="TABLE")
        con.execute(create.sql(dialect="duckdb"))
        key = project.sources[source].key
        rows: list[list[object]] = []
        origins: list[tuple[CaseSpec, GivenRow | None]] = []
        for index, case_key, case in batch:
            given = [row for g in case.given if g.source.name == source for row in g.rows]
            for row in given or ([None] if is_entity else []):  # no entity row: every column missing
                values = [case_key if name == key else _cell(case, row, name, ty) for name, ty in cols]
                rows.append(values + [index] if is_entity else values)
                origins.append((case, row))
        if rows:
            _insert(con, source, rows, origins)


def _insert(con: duckdb.DuckDBPyConnection, source: str, rows: list[list[object]],
            origins: list[tuple[CaseSpec, GivenRow | None]]) -> None:
    """All rows at once; when DuckDB refuses one (a number out of its column's range), the test
    it belongs to is found by trying its rows one by one."""
    insert = exp.insert(exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder()] * len(rows[0]))]),
                        table(source), dialect="duckdb").sql(dialect="duckdb")
    con.begin()
    try:
        con.executemany(insert, rows)
        con.commit()
        return
    except duckdb.Error:
        con.rollback()
    for values, (case, row) in zip(rows, origins):
        con.begin()
        try:
            con.execute(insert, values)
        except duckdb.Error as exc:
            span = row.span if row is not None else case.name.span
            raise CaseError(f"test {case.name.name!r}: its `{source}` row does not fit the columns: "
                            f"{str(exc).splitlines()[0]}", span) from None
        finally:
            con.rollback()


def _cell(case: CaseSpec, row: GivenRow | None, column: str, column_type: str) -> object:
    """A test row's value as its column holds it.

    A time with a zone is taken in UTC, as `as_of` is (DuckDB would drop the zone of a text or
    use the machine's zone for a Python time). A fraction in an integer column is an error, not
    rounded: the test would be about another entity than the one written.
    """
    value = None if row is None else row.values.get(column)
    kind = column_type.upper()
    if isinstance(value, str) and kind.startswith("TIMESTAMP"):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value  # DuckDB says what is wrong with it
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(value, float) and kind in _INTEGER_TYPES and not value.is_integer():
        raise CaseError(f"test {case.name.name!r}: `{column}` holds whole numbers ({kind}), not {value}",
                        row.spans[column])
    return value
