"""Warehouse exports as DuckDB relations, and their schemas.

Input: a project's source declarations (`SourceSpec`: path or glob, optional format and table),
the project folder, and `--data NAME=PATH` overrides.
Output: DuckDB relations over the files (nothing is scanned until a query runs) and each
source's column types as segdsl types, or a diagnostic naming the source and file at fault;
DuckDB's errors on reading a file, condensed to a reason, the file and the line (`read_error`).

Formats by extension (or `format:`): Parquet (`.parquet`, `.pq`), CSV (`.csv`, `.tsv`, `.txt`,
sniffed header and types), JSON and NDJSON (`.json`, `.ndjson`, `.jsonl`), a DuckDB database
file (`.duckdb`, `.db`, with `table:`). A folder means every Parquet file below it, read with
hive partitioning; a glob (`data/orders/*.parquet`) means every file it matches.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.project import ProjectSpec, SourceSpec

_EXTENSIONS = {
    ".parquet": "parquet", ".pq": "parquet",
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".json": "json", ".ndjson": "json", ".jsonl": "json",
    ".duckdb": "duckdb", ".db": "duckdb",
}

_NUMERIC = re.compile(r"(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL.*|NUMERIC.*)")


@dataclass(frozen=True)
class Location:
    """Where a source's data is: the resolved path and how to read it."""

    path: str
    format: str
    table: str | None = None
    partitioned: bool = False


class SourceError(Exception):
    """A source that cannot be read; the message names the file, `hint` says what to do."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


_RELATIVE = "paths are relative to the project folder"


def locate(spec: SourceSpec, root: Path, override: str | None = None) -> Location:
    raw = override if override is not None else spec.path
    if raw is None:
        raise SourceError(f"source {spec.name.name} has no path")
    path = Path(raw) if override is not None or Path(raw).is_absolute() else root / raw
    text = str(path)
    if path.is_dir():
        return Location(os.path.join(text, "**", "*.parquet"), "parquet", partitioned=True)
    fmt = spec.format or _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(f"cannot tell the format of {text} from its extension",
                          "name it with `format:` (parquet, csv, json, duckdb)")
    if glob.has_magic(text):
        if not glob.glob(text, recursive=True):
            raise SourceError(f"no file matches {text}", _RELATIVE)
    elif not path.exists():
        raise SourceError(f"file not found: {text}", _RELATIVE)
    if fmt == "duckdb" and not spec.table:
        raise SourceError(f"{text} is a DuckDB database", "name the table with `table:`")
    return Location(text, fmt, spec.table)


def relation(con, location: Location):
    """A lazy DuckDB relation over the source's files."""
    import duckdb

    try:
        match location.format:
            case "parquet":
                return con.read_parquet(location.path, hive_partitioning=location.partitioned)
            case "csv":
                return con.read_csv(location.path, header=True)
            case "json":
                return con.read_json(location.path)
            case "duckdb":
                db = duckdb.connect(location.path, read_only=True)
                return db.table(location.table)
    except duckdb.Error as exc:
        raise SourceError(f"cannot read {location.path} as {location.format}: {first_line(exc)}",
                          f"check that it is a valid {location.format} file, or name its real format "
                          "with `format:`") from None
    raise SourceError(f"unknown format {location.format}")


def to_type(duckdb_type: str) -> t.Type | None:
    """A DuckDB column type as a segdsl type; None for types rules cannot use (structs, blobs)."""
    text = duckdb_type.upper()
    if text.endswith("[]"):
        return t.Type("list", element=to_type(text[:-2]))
    if text == "BOOLEAN":
        return t.BOOLEAN
    if text == "VARCHAR" or text.startswith("ENUM"):
        return t.STRING
    if text == "DATE":
        return t.DATE
    if text.startswith("TIMESTAMP"):
        return t.TIMESTAMP
    if _NUMERIC.fullmatch(text):
        return t.NUMBER
    return None


def read_schemas(
    spec: ProjectSpec, overrides: dict[str, str] | None = None
) -> tuple[dict[str, dict[str, t.Type] | None], list[Diagnostic]]:
    """Each source's column types, from file metadata (Parquet footers, a CSV/JSON sample).

    A source that cannot be read maps to None and gets one diagnostic at its `path:`.
    """
    import duckdb

    overrides = overrides or {}
    schemas: dict[str, dict[str, t.Type] | None] = {}
    diags: list[Diagnostic] = []
    con = duckdb.connect()
    root = Path(spec.root)
    for source in spec.sources:
        name = source.name.name
        if source.path is None and name not in overrides:  # the loader reported the missing `path:`
            schemas[name] = None
            continue
        try:
            rel = relation(con, locate(source, root, overrides.get(name)))
            columns = {c: ty for c, raw in zip(rel.columns, rel.types) if (ty := to_type(str(raw))) is not None}
        except SourceError as exc:
            if name in overrides:  # the path in segdsl.yml is not the one that failed
                hint = "a --data path is relative to the current folder" if exc.hint == _RELATIVE else exc.hint
                diags.append(d.error("E401", f"source {name}: {exc} (from --data)", source.name.span,
                                     label=f"read from --data {name}={overrides[name]}", hint=hint))
            else:
                diags.append(d.error("E401", f"source {name}: {exc}", source.path_span,
                                     label="cannot read this", hint=exc.hint))
            schemas[name] = None
            continue
        except duckdb.Error as exc:
            problem = read_error(exc)
            at = f", line {problem.line}" if problem.line else ""
            diags.append(d.error("E402", f"source {name}: cannot read it{at}: {problem.reason}", source.path_span,
                                 hint=problem.hint))
            schemas[name] = None
            continue
        schemas[name] = columns
    con.close()
    return schemas, diags


def first_line(exc: BaseException) -> str:
    """DuckDB's message without its class prefix (`Invalid Input Error: `), on one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return re.sub(r"^[A-Z][A-Za-z ]* Error: ", "", lines[0])


@dataclass(frozen=True)
class ReadError:
    """DuckDB's error on reading a file, made readable: one line of reason, the file and the
    line it names when it names them, and what to do."""

    reason: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_FILE = re.compile(r"^\s*file = (.+?)\s*$", re.MULTILINE)
_CSV_CONVERSION = re.compile(r'Error when converting column "(.*)"\. Could not convert string "(.*)" to \'(.*)\'')
_CSV_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_JSON = re.compile(r'JSON (?:in file "(.*?)", at byte \d+|transform error in file "(.*?)",) '
                   r'in (line|record/value|object) (\d+): (.*)')


def read_error(exc: BaseException) -> ReadError:
    """The gist of a DuckDB read error.

    DuckDB's CSV errors span twenty lines (the original line, possible fixes, every sniffed
    option); the gist is the line number, what is wrong on it, and the file, named near the end.
    """
    text = str(exc)
    first = first_line(exc)
    if match := _CSV_LINE.search(first):
        lines = [line.strip() for line in text.splitlines()[1:] if line.strip()]
        reason = next((line for line in lines if not line.startswith("Original Line:")), "cannot parse this row")
        hint = "fix or remove that row"
        if conversion := _CSV_CONVERSION.fullmatch(reason):
            column, value, type_ = conversion.groups()
            reason = f'column "{column}": cannot convert "{value}" to {type_}'
            hint = (f"the column's type ({type_}) was guessed from the first rows of the file; "
                    "fix or remove that row, or export the file as Parquet, which keeps its types")
        elif columns := _CSV_COLUMNS.fullmatch(reason):
            reason = f"expected {columns[1]} columns, found {columns[2]}"
            hint = "fix or remove that row (a value with a comma in it must be quoted)"
        file = _CSV_FILE.search(text)
        return ReadError(reason, file[1] if file else None, int(match[1]), hint)
    if match := _JSON.search(first):
        malformed, transform, unit, number, reason = match.groups()
        # DuckDB adds 1 twice to the line of a parse error (not of a transform error).
        line = int(number) - (1 if malformed else 0) if unit == "line" else None
        reason = reason.strip().rstrip(".")
        if malformed:
            return ReadError(f"malformed JSON: {reason}", malformed, line,
                             "fix that line; NDJSON has one JSON object per line" if line else None)
        return ReadError(reason[:1].lower() + reason[1:], transform, line,
                         "the types were guessed from the first rows of the file; fix or remove that row, "
                         "or export the file as Parquet, which keeps its types")
    return ReadError(first)


def sql_relation(location: Location, attached: str | None = None):
    """The source as a sqlglot table expression for DuckDB: `read_parquet('...')` and friends.

    A DuckDB database file must first be attached under the name `attached`.
    """
    from sqlglot import exp

    from segdsl.compiler.names import identifier

    path = exp.Literal.string(location.path)
    match location.format:
        case "parquet":
            args = [path]
            if location.partitioned:
                args.append(exp.EQ(this=exp.column("hive_partitioning"), expression=exp.true()))
            return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=args))
        case "csv":
            header = exp.EQ(this=exp.column("header"), expression=exp.true())
            return exp.Table(this=exp.Anonymous(this="read_csv", expressions=[path, header]))
        case "json":
            return exp.Table(this=exp.Anonymous(this="read_json", expressions=[path]))
        case "duckdb":
            return exp.Table(this=identifier(location.table), db=identifier(attached))
    raise SourceError(f"unknown format {location.format}")


def attach(location: Location, name: str):
    """The statement that attaches a DuckDB database file read-only as `name`."""
    from sqlglot import exp

    from segdsl.compiler.names import identifier

    return exp.Attach(this=exp.Alias(this=exp.Literal.string(location.path), alias=identifier(name)),
                      exists=False, expressions=[exp.AttachOption(this=exp.var("READ_ONLY"))])
