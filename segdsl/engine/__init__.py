"""Engines that evaluate compiled projects; DuckDB (embedded) is the default.

Each engine is a module with one function, `evaluate(project, locations, as_of, *, progress,
**options) -> local.Evaluation`: it runs the project's one statement in its own SQL dialect and
leaves the members as a local Parquet file, so that the summary, the outputs and the terminal
are the same code for every engine (docs/engines.md).
"""

from __future__ import annotations

import importlib
from types import ModuleType

ENGINES = ("duckdb", "spark", "postgres")
"""The engines `segdsl eval --engine` knows, DuckDB first (the default)."""

_MODULES = {"duckdb": "local", "spark": "spark", "postgres": "postgres"}


def engine_module(name: str) -> ModuleType:
    """The module that evaluates with engine `name`, imported only when it is used (PySpark and
    psycopg are optional dependencies)."""
    return importlib.import_module(f"segdsl.engine.{_MODULES[name]}")
