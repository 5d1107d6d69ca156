"""Spark for the tests: the `spark` fixture, and a project evaluated on Spark and on DuckDB.

Input: nothing (the fixture finds PySpark and Java), or a checked project with its data.
Output: the `spark` fixture — the engine's SparkSession on `local[2]` with 2 shuffle partitions,
started once per test module; the test skips with the reason when PySpark or Java is missing,
and fails instead under `SEGDSL_REQUIRE_ENGINES=1`. `both_engines` gives the members of a
project on both engines as `Membership`s, read back the same way.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil

import pytest

from harness import engine_memberships
from segdsl.dsl import typed as t
from segdsl.engine import local
from segdsl.engine.sources import Location
from segdsl.reference import Membership

MASTER = "local[2]"
PARTITIONS = 2


def unavailable() -> str | None:
    """Why Spark cannot run here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install -e '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))):
        return "no Java on the PATH (Spark needs Java 17; .ci/java installs it)"
    return None


def require_spark() -> None:
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("SEGDSL_REQUIRE_ENGINES") == "1":
        pytest.fail(f"SEGDSL_REQUIRE_ENGINES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def spark():
    require_spark()
    from segdsl.engine.spark.session import session

    yield session(MASTER, PARTITIONS)


def on_spark(project: t.Project, locations: dict[str, Location], as_of: dt.datetime) -> local.Evaluation:
    from segdsl.engine import spark

    return spark.evaluate(project, locations, as_of, master=MASTER, shuffle_partitions=PARTITIONS)


def both_engines(project: t.Project, locations: dict[str, Location], as_of: dt.datetime
                 ) -> tuple[list[Membership], list[Membership]]:
    """(Spark, DuckDB) memberships of the project on the same files, in key order."""
    results = []
    for run in (lambda: on_spark(project, locations, as_of), lambda: local.evaluate(project, locations, as_of,
                                                                                     threads=1)):
        evaluation = run()
        try:
            results.append(engine_memberships(evaluation, project))
        finally:
            evaluation.close()
    return results[0], results[1]
