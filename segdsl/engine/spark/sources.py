"""Sources as Spark temporary views, read with the column types DuckDB reads.

Input: the SparkSession, each source's `Location` (the same files `segdsl eval` reads on DuckDB).
Output: one temporary view per source, named after the source, whose columns have the types
DuckDB gives them (so that a rule means the same on both engines), or a `DataError` naming the
source and file.

Types come from DuckDB's reading of the same files (`sources.relation`): CSV and JSON are read
with that schema (Spark's own inference differs: it reads `007` as 7, dates as text, numbers
as DOUBLE where DuckDB chooses BIGINT); Parquet keeps its own types, and every column is then
cast to the Spark type of DuckDB's (partition columns of a hive folder, unsigned integers).
Columns DuckDB reads as types rules cannot use (structs, blobs) are left as Spark reads them.
"""

from __future__ import annotations

import glob
import os
import re

import duckdb

from segdsl.engine.local import DataError
from segdsl.engine.sources import Location, SourceError, first_line, relation

_SIMPLE = {
    "BOOLEAN": "BOOLEAN", "TINYINT": "TINYINT", "SMALLINT": "SMALLINT", "INTEGER": "INT", "BIGINT": "BIGINT",
    "UTINYINT": "SMALLINT", "USMALLINT": "INT", "UINTEGER": "BIGINT", "UBIGINT": "DECIMAL(20,0)",
    "HUGEINT": "DECIMAL(38,0)", "UHUGEINT": "DECIMAL(38,0)", "FLOAT": "FLOAT", "DOUBLE": "DOUBLE",
    "VARCHAR": "STRING", "DATE": "DATE", "TIMESTAMP": "TIMESTAMP_NTZ", "TIMESTAMP_S": "TIMESTAMP_NTZ",
    "TIMESTAMP_MS": "TIMESTAMP_NTZ", "TIMESTAMP_NS": "TIMESTAMP_NTZ", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def spark_type(duckdb_type: str) -> str | None:
    """DuckDB's column type as a Spark SQL type; None for types with no counterpart here."""
    text = duckdb_type.upper()
    if text.endswith("[]"):
        element = spark_type(text[:-2])
        return None if element is None else f"ARRAY<{element}>"
    if match := _DECIMAL.fullmatch(text):
        return f"DECIMAL({match[1]},{match[2]})"
    return _SIMPLE.get(text)


def duckdb_schema(name: str, location: Location) -> list[tuple[str, str | None]]:
    """Each column of the source and its Spark type, as DuckDB reads the files."""
    if location.format == "duckdb":
        raise DataError(f"source {name}: {location.path} is a DuckDB database file, which Spark cannot read",
                        "export the table as Parquet (COPY tbl TO 'file.parquet') and point the source at it")
    con = duckdb.connect()
    try:
        rel = relation(con, location)
        return [(column, spark_type(str(kind))) for column, kind in zip(rel.columns, rel.types)]
    except SourceError as exc:
        raise DataError(f"source {name}: {exc}", exc.hint) from None
    except duckdb.Error as exc:
        raise DataError(f"source {name}: cannot read {location.path}: {first_line(exc)}") from None
    finally:
        con.close()


def register(spark, name: str, location: Location):
    """Read the source into a Spark DataFrame with DuckDB's types; register it as view `name`."""
    from pyspark.sql import functions as F

    from segdsl.engine.spark.session import message

    columns = duckdb_schema(name, location)
    try:
        frame = _read(spark, location, columns)
        typed = [F.col(_quoted(column)).cast(kind).alias(column) if kind else F.col(_quoted(column))
                 for column, kind in columns]
        frame = frame.select(*typed)
        frame.createOrReplaceTempView(name)
    except Exception as exc:  # noqa: BLE001 - Spark raises its own classes and Py4J's
        raise DataError(f"source {name}: Spark cannot read {location.path}: {message(exc)}") from None
    return frame


def _read(spark, location: Location, columns: list[tuple[str, str | None]]):
    reader = spark.read
    if location.format == "parquet":
        if location.partitioned:
            # `folder/**/*.parquet`: Spark reads the folder and discovers `name=value` folders.
            folder = location.path.removesuffix(os.path.join("**", "*.parquet")).rstrip(os.sep)
            return reader.option("recursiveFileLookup", "false").parquet(folder)
        return reader.parquet(*_files(location.path))
    if location.format == "csv":
        # Every column as DuckDB typed it (columns DuckDB cannot type here stay text).
        schema = ", ".join(f"{_quoted(c)} {kind or 'STRING'}" for c, kind in columns)
        return (reader.schema(schema).option("header", "true").option("mode", "FAILFAST")
                .csv(_files(location.path)))
    if location.format == "json":
        schema = ", ".join(f"{_quoted(c)} {kind}" for c, kind in columns if kind)
        files = _files(location.path)
        return (reader.schema(schema or None).option("mode", "FAILFAST")
                .option("multiLine", str(_json_array(files[0])).lower()).json(files))
    raise DataError(f"unknown format {location.format}")


def _files(path: str) -> list[str]:
    """The files a path or glob names (Hadoop's globs know no `**`; Python's do)."""
    if glob.has_magic(path):
        return sorted(glob.glob(path, recursive=True))
    return [path]


def _json_array(path: str) -> bool:
    """Whether the JSON file is one array of objects (DuckDB tells by itself; Spark must be told)."""
    with open(path, "rb") as data:
        start = data.read(4096).lstrip()
    return start.startswith(b"[")


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
