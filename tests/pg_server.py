"""A PostgreSQL server for the postgres engine's tests, and tables loaded from Parquet.

Input: `SEGDSL_TEST_PG_DSN` (a server to use), else `.ci/postgres start` when PostgreSQL's
binaries are on this machine; Parquet files.
Output: the `pg_dsn` fixture (a DSN; the test skips with the reason when there is no server,
and fails instead under `SEGDSL_REQUIRE_ENGINES=1`), `schema_dsn` (the DSN with a schema of its
own first on the search_path, so tests and xdist workers never see each other's tables) and
`load_parquet` (a Parquet file as a table with the exact PostgreSQL types of its Arrow types).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

try:
    import psycopg
    from psycopg import conninfo, sql
except ImportError:  # the `postgres` extra is not installed
    psycopg = None

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "postgres"


def _unavailable(reason: str):
    if os.environ.get("SEGDSL_REQUIRE_ENGINES") == "1":
        pytest.fail(f"SEGDSL_REQUIRE_ENGINES=1 but {reason}")
    pytest.skip(reason)


def _binaries() -> bool:
    return bool(shutil.which("pg_ctl") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")))


@pytest.fixture(scope="session")
def pg_dsn():
    """A DSN of a server to test on: the given one, or one started here and stopped at the end."""
    if psycopg is None:
        _unavailable("psycopg is not installed (pip install -e '.[postgres]')")
    given = os.environ.get("SEGDSL_TEST_PG_DSN")
    if given:
        yield given
        return
    if not _binaries():
        _unavailable("no PostgreSQL server: set SEGDSL_TEST_PG_DSN, or install PostgreSQL "
                     "(eval \"$(.ci/postgres start)\")")
    started = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True)
    if started.returncode != 0:
        _unavailable(f".ci/postgres start failed: {started.stderr.strip()}")
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1)
                    for line in started.stdout.splitlines() if line.startswith("export "))
    try:
        yield exported["SEGDSL_TEST_PG_DSN"]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", exported["SEGDSL_PG_DIR"]], capture_output=True)


def schema_dsn(dsn: str, schema: str) -> str:
    """The DSN with `schema` created (empty) and first on its search_path."""
    with psycopg.connect(dsn, autocommit=True) as pg:
        name = sql.Identifier(schema)
        pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
        pg.execute(sql.SQL("CREATE SCHEMA {}").format(name))
    return conninfo.make_conninfo(dsn, options=f"-c search_path={schema}")


def new_schema(dsn: str, stem: str = "t") -> str:
    """A fresh schema's DSN (a random name: tests run in parallel on one server)."""
    return schema_dsn(dsn, f"{stem}_{uuid.uuid4().hex[:10]}")


_TYPES = [
    (pa.types.is_int64, "BIGINT"), (pa.types.is_int32, "INTEGER"), (pa.types.is_int16, "SMALLINT"),
    (pa.types.is_int8, "SMALLINT"), (pa.types.is_float64, "DOUBLE PRECISION"), (pa.types.is_float32, "REAL"),
    (pa.types.is_string, "TEXT"), (pa.types.is_large_string, "TEXT"), (pa.types.is_boolean, "BOOLEAN"),
    (pa.types.is_date32, "DATE"), (pa.types.is_timestamp, "TIMESTAMP"),
]


def pg_type(arrow: pa.DataType) -> str:
    """The PostgreSQL type of an Arrow type, exactly (lists of text are TEXT[])."""
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return pg_type(arrow.value_type) + "[]"
    for test, name in _TYPES:
        if test(arrow):
            return name
    raise TypeError(f"no PostgreSQL type for {arrow}")


def load_table(dsn: str, name: str, table: pa.Table) -> None:
    """`table` as the PostgreSQL table `name` (replaced), rows copied in with COPY."""
    columns = [sql.SQL("{} {}").format(sql.Identifier(field.name), sql.SQL(pg_type(field.type)))
               for field in table.schema]
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        pg.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(name), sql.SQL(", ").join(columns)))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(f.name) for f in table.schema))
        with pg.cursor() as cur, cur.copy(copy_sql) as copy:
            copy.set_types([pg_type(f.type).lower() for f in table.schema])
            for row in zip(*(table.column(i).to_pylist() for i in range(table.num_columns))):
                copy.write_row(row)


def load_parquet(dsn: str, name: str, path: Path | str) -> None:
    load_table(dsn, name, pq.read_table(path))
