"""The history database: every evaluation point appended to a DuckDB file (docs/history.md).

Input: the history file's path and, per point, its summary (`segments.json`'s dict) and its
members Parquet file.
Output: the file, created if missing, with schema version 1 (`SCHEMA` below, the tables
`segdsl_history`, `evaluations`, `entities`, `memberships`, `tiers`, `microsegments`), and an
`Appended` saying which points were added and which were there already.

Idempotent: a point whose (as_of, rules_hash) is already in `evaluations` is left exactly as it
is. Every point of one call is written in one transaction, so a failure adds nothing. The rows
are copied by DuckDB from the members file (no Python loop over entities).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from segdsl.compiler.build import SEGMENTS_COLUMN
from segdsl.compiler.names import column, identifier, table
from segdsl.engine.local import DataError, first_line

SCHEMA_VERSION = 1

KEY_TYPE = "<KEY TYPE>"
SCHEMA = f"""\
CREATE TABLE segdsl_history (schema_version INTEGER NOT NULL);
CREATE TABLE evaluations (
  as_of TIMESTAMP NOT NULL,
  rules_hash VARCHAR NOT NULL,
  git_revision VARCHAR,
  entity VARCHAR NOT NULL,
  key_column VARCHAR NOT NULL,
  entities BIGINT NOT NULL,
  evaluated_at TIMESTAMP NOT NULL,
  segdsl_version VARCHAR NOT NULL,
  PRIMARY KEY (as_of, rules_hash)
);
CREATE TABLE entities (as_of TIMESTAMP NOT NULL, rules_hash VARCHAR NOT NULL, entity_key {KEY_TYPE} NOT NULL);
CREATE TABLE memberships (as_of TIMESTAMP NOT NULL, rules_hash VARCHAR NOT NULL, entity_key {KEY_TYPE} NOT NULL,
                          segment VARCHAR NOT NULL);
CREATE TABLE tiers (as_of TIMESTAMP NOT NULL, rules_hash VARCHAR NOT NULL, entity_key {KEY_TYPE} NOT NULL,
                    layer VARCHAR NOT NULL, tier VARCHAR);
CREATE TABLE microsegments (as_of TIMESTAMP NOT NULL, rules_hash VARCHAR NOT NULL, entity_key {KEY_TYPE} NOT NULL,
                            microsegment VARCHAR NOT NULL, key VARCHAR);
"""
"""Schema version 1, as docs/history.md documents it; `<KEY TYPE>` is the entity key's DuckDB type."""


@dataclass(frozen=True)
class Appended:
    path: Path
    added: tuple[dt.datetime, ...]
    present: tuple[dt.datetime, ...]
    """Points whose (as_of, rules_hash) the file held already: left as they were."""


def check(path: str | Path, points: list[tuple[dict, str]]) -> None:
    """Raise the `DataError` that `append` would raise for a file that is not a history of this
    key type, without writing: `eval` checks before it writes its outputs."""
    path = Path(path)
    if not path.exists():
        return
    _open(path, lambda con: _ensure_schema(con, path, _key_type(con, points), create=False), read_only=True)


def append(path: str | Path, points: list[tuple[dict, str]]) -> Appended:
    """Append each (summary, members file) point to the history at `path`, in one transaction."""
    return _open(Path(path), lambda con: _append(con, Path(path), points))


def _open(path: Path, work, read_only: bool = False):
    if path.is_dir():
        raise DataError(f"cannot write the history {path}: a folder has that name")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise DataError(f"cannot open the history {path}: {first_line(exc)}",
                        "give a DuckDB file segdsl wrote, or a new file name") from None
    try:
        return work(con)
    except duckdb.Error as exc:
        raise DataError(f"cannot write the history {path}: {first_line(exc)}") from None
    finally:
        con.close()


def _append(con, path: Path, points: list[tuple[dict, str]]) -> Appended:
    key_type = _key_type(con, points)
    evaluated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    added, present = [], []
    con.execute("BEGIN TRANSACTION")
    try:
        _ensure_schema(con, path, key_type)
        for tree, members in points:
            when = dt.datetime.fromisoformat(tree["as_of"])
            found = _sql(con, "SELECT count(*) FROM evaluations WHERE as_of = ? AND rules_hash = ?",
                         [when, tree["rules_hash"]])[0][0]
            if found:
                present.append(when)
                continue
            _insert(con, tree, members, when, evaluated_at)
            added.append(when)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Appended(path, tuple(added), tuple(present))


def _key_type(con, points: list[tuple[dict, str]]) -> str:
    """The entity key's DuckDB type, as the members file has it."""
    key_column = points[0][0]["key"]
    described = con.execute(f"DESCRIBE SELECT {_q(key_column)} FROM read_parquet({_s(points[0][1])})").fetchall()
    return described[0][1]


def _ensure_schema(con, path: Path, key_type: str, create: bool = True) -> None:
    tables = {name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main'").fetchall()}
    if "segdsl_history" not in tables:
        if tables:
            raise DataError(f"{path} is a DuckDB database but not a segdsl history (it has other tables: "
                            f"{', '.join(sorted(tables))})", "give a new file name for the history")
        if not create:
            return
        for statement in SCHEMA.replace(KEY_TYPE, key_type).split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute("INSERT INTO segdsl_history VALUES (?)", [SCHEMA_VERSION])
        return
    [(version,)] = con.execute("SELECT max(schema_version) FROM segdsl_history").fetchall()
    if version != SCHEMA_VERSION:
        raise DataError(f"{path} is a segdsl history of schema version {version}; this segdsl writes "
                        f"version {SCHEMA_VERSION}", "write to a new history file")
    [(stored,)] = con.execute("SELECT data_type FROM duckdb_columns() WHERE database_name = current_database() "
                              "AND table_name = 'entities' AND column_name = 'entity_key'").fetchall()
    if stored != key_type:
        raise DataError(f"{path} holds entity keys of type {stored}, but this evaluation's key is {key_type}",
                        "a history holds one key type; write this project's history to another file")


def _insert(con, tree: dict, members: str, when: dt.datetime, evaluated_at: dt.datetime) -> None:
    """One point's rows: the evaluation, then each table from the members file."""
    import segdsl

    con.execute("INSERT INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [when, tree["rules_hash"], tree["rules"]["git_revision"], tree["entity"], tree["key"],
                 tree["count"], evaluated_at, segdsl.__version__])
    source = exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(members)]))
    point = [exp.alias_(exp.cast(exp.Literal.string(when.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP),
                        "as_of"),
             exp.alias_(exp.Literal.string(tree["rules_hash"]), "rules_hash"),
             exp.alias_(column(tree["key"]), "entity_key")]

    def insert(target: str, *values: exp.Expression, where: exp.Expression | None = None) -> None:
        query = exp.select(*(v.copy() for v in point), *values).from_(source.copy())
        if where is not None:
            query = exp.select(exp.Star()).from_(query.subquery("rows")).where(where)
        con.execute(exp.insert(query, table(target)).sql(dialect="duckdb"))

    insert("entities")
    insert("memberships", exp.alias_(exp.Explode(this=column(SEGMENTS_COLUMN)), "segment"),
           where=exp.Not(this=exp.Is(this=column("segment"), expression=exp.Null())))
    for layer in tree["layers"]:
        insert("tiers", exp.alias_(exp.Literal.string(layer["name"]), "layer"),
               exp.alias_(column(layer["name"]), "tier"))
    for ms in tree["microsegments"]:
        insert("microsegments", exp.alias_(exp.Literal.string(ms["name"]), "microsegment"),
               exp.alias_(column(ms["name"]), "key"))


def _sql(con, query: str, params: list | None = None) -> list[tuple]:
    return con.execute(query, params or []).fetchall()


def _q(name: str) -> str:
    return identifier(name).sql(dialect="duckdb")


def _s(text: str) -> str:
    return exp.Literal.string(text).sql(dialect="duckdb")
