"""The PostgreSQL engine: a checked project evaluated by a PostgreSQL server.

Input: the checked project, where each source's data is (`Location`s: a source's table is its
`table:` setting, else the source's name; `schema.table` names a schema), as_of, a DSN
(`postgresql://user@host:port/db` or `key=value` form) and optionally `into` (`schema.table`).
Output: an `Evaluation` like the DuckDB engine's (`segdsl.engine.local`): the members as a
local Parquet file in a temporary folder, read by a local in-memory DuckDB, each source's row
count, and the statement that ran (printed for PostgreSQL); with `into`, the members also
replace that table in one transaction (a failed run leaves the old table as it was).

The statement is the project's one statement (`compiler.build`) with every source read through
a projection that gives its text columns `COLLATE "C"`: PostgreSQL compares and sorts text by
the database's collation (`'a' < 'B'` under en-US), DuckDB by bytes, and an explicit column
collation makes every comparison, `min`/`max`, ranking order and the final ORDER BY bytewise.
The other dialect differences are rewritten in `segdsl.compiler.dialects`.

The members come back with one `COPY (...) TO STDOUT (FORMAT csv)`: bytes streamed into a local
CSV file (the segment list as JSON text), which DuckDB parses and writes as Parquet, so no
Python object is made per cell. Connection, permission and missing-table problems become
`DataError`s that name the server (host, port, database; never the password) and the table.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from dataclasses import dataclass

import psycopg
from psycopg import conninfo, errors, sql
from sqlglot import exp

from segdsl.compiler import SEGMENTS_COLUMN, build, plan, to_sql
from segdsl.compiler.names import column, identifier
from segdsl.dsl import typed as t
from segdsl.engine import local
from segdsl.engine.local import DataError, Evaluation, Progress
from segdsl.engine.sources import Location

DIALECT = "postgres"
BYTEWISE = "C"
"""The collation that compares text as DuckDB does: by bytes (code points, in UTF-8)."""

_DUCKDB_TYPES = {
    "smallint": "SMALLINT", "integer": "INTEGER", "bigint": "BIGINT", "real": "FLOAT",
    "double precision": "DOUBLE", "numeric": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp without time zone": "TIMESTAMP", "timestamp with time zone": "TIMESTAMPTZ", "uuid": "UUID",
}
"""A key's PostgreSQL type → the DuckDB type of the members file's key column (else VARCHAR)."""


@dataclass(frozen=True)
class Table:
    """A source's table on the server, and its columns (name → type as `format_type` prints it)."""

    schema: str | None
    name: str
    columns: dict[str, str]
    collatable: frozenset[str]

    @property
    def shown(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def node(self) -> exp.Table:
        return exp.Table(this=identifier(self.name), db=identifier(self.schema) if self.schema else None)


def table_name(name: str, location: Location | None) -> str:
    """The table a source reads: `table:` (or a `--data` override given as a table), else its name."""
    if location is not None and location.format == DIALECT:
        return location.path
    if location is not None and location.table:
        return location.table
    return name


def location(table: str) -> Location:
    """A `--data NAME=TABLE` override for this engine: the source reads that table."""
    return Location(table, DIALECT, table)


def split_name(name: str) -> tuple[str | None, str]:
    """`schema.table` → (schema, table); a name without a dot is looked up on the search_path."""
    schema, dot, table = name.partition(".")
    return (schema, table) if dot else (None, name)


def server(dsn: str) -> str:
    """The server as a message names it: `host:port/database`, never user or password."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "the server of the DSN given"
    host = str(params.get("host") or params.get("hostaddr") or "localhost")
    port = params.get("port")
    database = params.get("dbname") or params.get("user") or "the default database"
    return f"{host}{f':{port}' if port else ''}/{database}"


def evaluate(project: t.Project, locations: dict[str, Location], as_of: dt.datetime, *, dsn: str,
             into: str | None = None, progress: Progress | None = None) -> Evaluation:
    """Evaluate on the server; fetch the members into a local Parquet file (and `into`, if given)."""
    tell = progress or (lambda stage, fraction: None)
    where = server(dsn)
    started = time.perf_counter()
    con, temp_dir = local.connect()
    try:
        with _connect(dsn, where) as pg:
            tell("reading sources", None)
            tables = {name: _table(pg, name, table_name(name, locations.get(name)), where, project)
                      for name in project.sources}
            relations = {name: _relation(name, table) for name, table in tables.items()}
            statement = build(plan(project, as_of), relations)
            compiled = time.perf_counter()
            local.check_key_types(project, locations)
            rows = {name: _count(pg, table, where) for name, table in tables.items()}
            _check_keys(pg, project, tables[project.entity], where)
            warnings = _unmatched_events(pg, project, tables, rows, where)

            tell("evaluating", None)
            csv_file = os.path.join(temp_dir, "members.csv")
            key_type = _duckdb_type(tables[project.entity].columns[project.key])
            if into is None:
                _copy_out(pg, _fetchable(statement), csv_file, where)
            else:
                _replace(pg, statement, into, csv_file, where)
            members_file = os.path.join(temp_dir, local.MEMBERS_FILE)
            _to_parquet(con, project, csv_file, key_type, members_file)
            os.remove(csv_file)
        evaluation = local.finish(con, statement, rows, temp_dir, members_file, DIALECT, started, compiled)
        evaluation.warnings += warnings
        return evaluation
    except BaseException:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise


# --- the server ------------------------------------------------------------------------------


def _connect(dsn: str, where: str) -> psycopg.Connection:
    try:
        # Autocommit: reads need no transaction, and `--into` opens the one it needs.
        return psycopg.connect(dsn, connect_timeout=10, autocommit=True)
    except psycopg.Error as exc:
        raise DataError(f"cannot connect to PostgreSQL at {where}: {_reason(exc, dsn)}",
                        "check --dsn: host, port, database, user and password") from None


def _reason(exc: BaseException, dsn: str = "") -> str:
    """The first line of the server's message, with the DSN's password (if any) blanked."""
    text = local.first_line(exc).strip()
    try:
        password = conninfo.conninfo_to_dict(dsn).get("password") if dsn else None
    except psycopg.Error:
        password = None
    return text.replace(str(password), "***") if password else text


def _table(pg: psycopg.Connection, source: str, name: str, where: str, project: t.Project) -> Table:
    """The source's table and its columns; a missing table, column or right is a `DataError`."""
    table = _catalog(pg, source, name, where)
    needed = project.sources[source]
    for col in [needed.key, *([needed.time] if needed.time else []), *needed.columns]:
        if col not in table.columns:
            raise DataError(f"source {source}: table {table.shown} in PostgreSQL database {where} has no column "
                            f"{col}", "the table must have the columns the rules read, named as in the rules")
    return table


def _catalog(pg: psycopg.Connection, source: str, name: str, where: str) -> Table:
    """A table and its columns from the catalog; a missing table or right is a `DataError`."""
    schema, bare = split_name(name)
    qualified = sql.Identifier(*([schema] if schema else []), bare).as_string(pg)
    shown = f"{schema}.{bare}" if schema else bare
    [(oid, readable)] = _query(pg, "SELECT to_regclass(%s)::oid, has_table_privilege(to_regclass(%s), 'SELECT')",
                               (qualified, qualified), where, source)
    if oid is None:
        raise DataError(f"source {source}: table {shown} does not exist in PostgreSQL database {where}",
                        "name the table with the source's `table:` (schema.table), or load it first")
    if not readable:
        raise DataError(f"source {source}: no permission to read table {shown} in PostgreSQL database {where}",
                        "GRANT SELECT on it to the user of --dsn")
    listed = _query(pg, "SELECT a.attname, format_type(a.atttypid, a.atttypmod), ty.typcollation <> 0 "
                        "FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid "
                        "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                    (oid,), where, source)
    return Table(schema, bare, {n: kind for n, kind, _ in listed}, frozenset(n for n, _, c in listed if c))


def read_schemas(spec, dsn: str, overrides: dict[str, str] | None = None
                 ) -> tuple[dict[str, dict[str, t.Type] | None], list]:
    """Each source's column types from the server's catalog, as `sources.read_schemas` reads
    them from files, so that a project whose data lives only in PostgreSQL checks against its
    tables. A source whose table cannot be read maps to None, with one diagnostic at its name."""
    from segdsl.dsl import diagnostics as d

    overrides = overrides or {}
    where = server(dsn)
    schemas: dict[str, dict[str, t.Type] | None] = {s.name.name: None for s in spec.sources}
    try:
        pg = _connect(dsn, where)
    except DataError as exc:
        span = spec.sources[0].name.span if spec.sources else None
        return schemas, [d.error("E401", str(exc), span, hint=exc.hint)]
    diagnostics = []
    with pg:
        for source in spec.sources:
            name = source.name.name
            try:
                table = _catalog(pg, name, overrides.get(name) or source.table or name, where)
            except DataError as exc:
                diagnostics.append(d.error("E401", str(exc), source.name.span, hint=exc.hint))
                continue
            schemas[name] = {col: kind for col, pg_type in table.columns.items()
                             if (kind := segdsl_type(pg_type)) is not None}
    return schemas, diagnostics


_NUMBERS = ("smallint", "integer", "bigint", "real", "double precision", "numeric")
_TEXTS = ("text", "character varying", "character", "name", "citext")


def segdsl_type(pg_type: str) -> t.Type | None:
    """A column type as `format_type` prints it, as a segdsl type; None for types rules cannot use."""
    if pg_type.endswith("[]"):
        element = segdsl_type(pg_type[:-2])
        return t.Type("list", element=element) if element is not None else None
    base = pg_type.split("(")[0].strip()
    if base in _NUMBERS:
        return t.NUMBER
    if base in _TEXTS:
        return t.STRING
    if base == "boolean":
        return t.BOOLEAN
    if base == "date":
        return t.DATE
    if base.startswith("timestamp"):
        return t.TIMESTAMP
    return None


def _relation(name: str, table: Table) -> exp.Expression:
    """The table with its text columns bytewise (`COLLATE "C"`), aliased as the source."""
    columns = []
    for col in table.columns:
        node: exp.Expression = column(col)
        if col in table.collatable:
            node = exp.alias_(exp.Collate(this=node, expression=exp.Identifier(this=BYTEWISE, quoted=True)),
                              identifier(col))
        columns.append(node)
    query = exp.select(*columns).from_(table.node())
    return exp.Subquery(this=query, alias=exp.TableAlias(this=identifier(name)))


def _query(pg: psycopg.Connection, sql: str | bytes, params: tuple, where: str, source: str | None) -> list[tuple]:
    try:
        with pg.cursor() as cur:
            cur.execute(sql, params)  # type: ignore[arg-type]
            return cur.fetchall()
    except psycopg.Error as exc:
        raise _server_error(exc, where, source) from None


def _server_error(exc: psycopg.Error, where: str, source: str | None) -> DataError:
    about = f"source {source}: " if source else ""
    if isinstance(exc, errors.InsufficientPrivilege):
        return DataError(f"{about}permission denied in PostgreSQL database {where}: {_reason(exc)}",
                         "GRANT the user of --dsn SELECT on the sources (and CREATE on --into's schema)")
    if isinstance(exc, (errors.UndefinedTable, errors.InvalidSchemaName)):
        return DataError(f"{about}{_reason(exc)} in PostgreSQL database {where}")
    if isinstance(exc, psycopg.OperationalError):
        return DataError(f"lost the connection to PostgreSQL at {where}: {_reason(exc)}")
    return DataError(f"{about}PostgreSQL at {where} cannot evaluate: {_reason(exc)}")


def _duckdb_type(postgres_type: str) -> str:
    """The DuckDB type for a column of this PostgreSQL type (as `format_type` prints it)."""
    return _DUCKDB_TYPES.get(re.sub(r"\(.*?\)", "", postgres_type), "VARCHAR")


def _sql(node: exp.Expression) -> str:
    return to_sql(node, DIALECT, pretty=False)


def _fetch(pg: psycopg.Connection, query: exp.Expression, where: str, source: str | None) -> list[tuple]:
    return _query(pg, _sql(query), (), where, source)


def _count(pg: psycopg.Connection, table: Table, where: str) -> int:
    [(n,)] = _fetch(pg, exp.select(exp.Count(this=exp.Star())).from_(table.node()), where, None)
    return int(n)


def _check_keys(pg: psycopg.Connection, project: t.Project, table: Table, where: str) -> None:
    """NULL or duplicate keys in the entity table are errors, as on DuckDB (`local.check_keys`)."""
    key = column(project.key)
    query = exp.select(exp.Count(this=exp.Star()), exp.Count(this=key),
                       exp.Count(this=exp.Distinct(expressions=[key.copy()]))).from_(table.node())
    [(total, present, distinct)] = _fetch(pg, query, where, project.entity)
    at = f"source {project.entity} (table {table.shown} in {where})"
    if present < total:
        raise DataError(f"{at}: {total - present} row(s) have no {project.key} (NULL)",
                        "every row of the entity source needs a key; filter them out upstream")
    if distinct < present:
        repeated = (exp.select(key.copy(), exp.alias_(exp.Count(this=exp.Star()), "n")).from_(table.node())
                    .group_by(key.copy()).having(exp.GT(this=exp.Count(this=exp.Star()),
                                                        expression=exp.Literal.number(1))))
        examples = _fetch(pg, repeated.order_by(exp.Ordered(this=exp.column("n"), desc=True), key.copy()).limit(5),
                          where, project.entity)
        shown = ", ".join(f"{k!r} ({n} rows)" for k, n in examples)
        raise DataError(f"{at}: {project.key} value(s) occur on more than one row, e.g. {shown}",
                        "the entity source must have one row per key")


def _unmatched_events(pg: psycopg.Connection, project: t.Project, tables: dict[str, Table],
                      rows: dict[str, int], where: str) -> list[str]:
    """The warnings of `local._unmatched_events`: event tables whose keys match no entity row."""
    entity_table = tables[project.entity]
    if rows[project.entity] == 0:
        return [f"source {project.entity} (table {entity_table.shown} in {where}) has no rows; every count is 0"]
    found_warnings = []
    for name, source in project.sources.items():
        if name == project.entity or rows.get(name, 0) == 0:
            continue
        events = exp.alias_(tables[name].node(), identifier("events"), table=True)
        entity = exp.alias_(entity_table.node(), identifier("entity"), table=True)
        same_key = exp.EQ(this=column(source.key, "events"), expression=column(project.key, "entity"))
        matched = exp.select(exp.Literal.number(1)).from_(events).join(entity, on=same_key)
        [(found,)] = _fetch(pg, exp.select(exp.Exists(this=matched)), where, name)
        if not found:
            found_warnings.append(f"source {name}: none of its {rows[name]} rows has a {source.key} that matches "
                                  f"the {project.key} of a {project.entity} row; every aggregate over it is empty")
    return found_warnings


# --- the members -----------------------------------------------------------------------------


def _fetchable(query: exp.Select) -> exp.Select:
    """The statement with its segment list as JSON text, which a CSV carries and DuckDB parses."""
    fetched = query.copy()
    outputs = []
    for node in fetched.expressions:
        if node.alias_or_name == SEGMENTS_COLUMN:
            value = node.this if isinstance(node, exp.Alias) else node
            node = exp.alias_(_as_json(value), identifier(SEGMENTS_COLUMN))
        outputs.append(node)
    fetched.set("expressions", outputs)
    return fetched


def _as_json(node: exp.Expression) -> exp.Expression:
    json = exp.Anonymous(this="ARRAY_TO_JSON", expressions=[node])
    return exp.cast(json, exp.DataType.Type.TEXT)


def _copy_out(pg: psycopg.Connection, query: exp.Expression, path: str, where: str) -> None:
    try:
        with pg.cursor() as cur:
            _copy(cur, query, path)
    except psycopg.Error as exc:
        raise _server_error(exc, where, None) from None


def _copy(cur: psycopg.Cursor, query: exp.Expression, path: str) -> None:
    """`COPY (query) TO STDOUT` as CSV into `path`: NULL unquoted and empty, every value quoted."""
    sql = f"COPY ({_sql(query)}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)"
    with open(path, "wb") as out, cur.copy(sql) as copy:  # type: ignore[arg-type]
        for chunk in copy:
            out.write(chunk)


def _replace(pg: psycopg.Connection, statement: exp.Select, into: str, csv_file: str, where: str) -> None:
    """`into` replaced in one transaction: a new table made and fetched, the old one dropped, the
    new one renamed; any failure rolls it all back, leaving the old table as it was."""
    schema, name = split_name(into)
    staged = f"{name[:40]}_segdsl_new"
    target = exp.Table(this=identifier(name), db=identifier(schema) if schema else None)
    new = exp.Table(this=identifier(staged), db=identifier(schema) if schema else None)
    outputs = [column(node.alias_or_name) for node in statement.expressions]
    members = exp.select(*outputs).from_(new.copy()).order_by(outputs[0].copy())
    rename = exp.Alter(this=new.copy(), kind="TABLE", actions=[exp.AlterRename(this=exp.Table(this=identifier(name)))])
    try:
        with pg.transaction(), pg.cursor() as cur:
            cur.execute(_sql(_drop(new)))  # type: ignore[arg-type]
            cur.execute(_sql(exp.Create(this=new.copy(), kind="TABLE", expression=statement)))  # type: ignore[arg-type]
            _copy(cur, _fetchable(members), csv_file)
            cur.execute(_sql(_drop(target)))  # type: ignore[arg-type]
            cur.execute(_sql(rename))  # type: ignore[arg-type]
    except psycopg.Error as exc:
        raise _server_error(exc, where, None) from None


def _drop(table: exp.Table) -> exp.Drop:
    return exp.Drop(tables=[table.copy()], kind="TABLE", exists=True)


def _to_parquet(con, project: t.Project, csv_file: str, key_type: str, members_file: str) -> None:
    """The CSV as the members file of SPEC §5: the key in its type, the segment list parsed."""
    names = [project.key, SEGMENTS_COLUMN, *(layer.name for layer in project.layers),
             *(ms.name for ms in project.microsegments)]
    columns = exp.Struct(expressions=[exp.PropertyEQ(this=exp.Literal.string(f"c{i}"),
                                                     expression=exp.Literal.string("VARCHAR"))
                                      for i in range(len(names))])
    options = {"header": exp.false(), "columns": columns, "allow_quoted_nulls": exp.false(),
               "quote": exp.Literal.string('"'), "escape": exp.Literal.string('"'),
               "delim": exp.Literal.string(","), "auto_detect": exp.false()}
    reader = exp.Table(this=exp.Anonymous(this="read_csv", expressions=[
        exp.Literal.string(csv_file), *(exp.PropertyEQ(this=exp.var(k), expression=v) for k, v in options.items())]))
    selects: list[exp.Expression] = [
        exp.alias_(exp.cast(exp.column("c0"), exp.DataType.build(key_type, dialect="duckdb")), identifier(names[0])),
        exp.alias_(exp.Anonymous(this="from_json", expressions=[exp.column("c1"), exp.Literal.string('["VARCHAR"]')]),
                   identifier(SEGMENTS_COLUMN)),
        *(exp.alias_(exp.column(f"c{i}"), identifier(n)) for i, n in enumerate(names[2:], start=2)),
    ]
    copy = exp.Copy(this=exp.Paren(this=exp.select(*selects).from_(reader)), kind=False,
                    files=[exp.Literal.string(members_file)],
                    params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))])
    con.execute(copy.sql(dialect="duckdb"))


def _parquet(path: str) -> exp.Table:
    return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(path)]))


__all__ = ["DIALECT", "evaluate", "location", "server", "split_name", "table_name"]
