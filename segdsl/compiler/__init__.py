"""The SQL compiler: a checked project in, one SQL statement out.

Stages (each a public function; `compile_project` only chains them):

| stage   | function             | input → output                                  |
|---------|----------------------|-------------------------------------------------|
| plan    | `plan.plan`          | `typed.Project`, as_of → `Plan` (columns, levels) |
| build   | `build.build`        | `Plan`, source relations → sqlglot `Select`      |
| print   | `to_sql`             | sqlglot `Select`, dialect → SQL text (`dialects.adapt` first) |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from segdsl.compiler.build import SEGMENTS_COLUMN, build
from segdsl.compiler.dialects import adapt
from segdsl.compiler.plan import Plan, plan


def to_sql(statement, dialect: str = "duckdb", pretty: bool = True) -> str:
    """SQL text for any sqlglot dialect (with `dialects.adapt`'s rewrites where one needs them)."""
    return adapt(statement, dialect).sql(dialect=dialect, pretty=pretty)


def compile_project(project, as_of: dt.datetime, dialect: str = "duckdb",
                    relations: Mapping[str, object] | None = None, pretty: bool = True) -> str:
    """The project's one-pass evaluation as SQL text."""
    return to_sql(build(plan(project, as_of), relations), dialect, pretty)


__all__ = ["SEGMENTS_COLUMN", "Plan", "adapt", "build", "compile_project", "plan", "to_sql"]
