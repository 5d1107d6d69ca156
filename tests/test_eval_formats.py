"""Every source format `eval` reads gives the same members as the Parquet original.

The standard project of `eval_projects.shop()` is evaluated once from Parquet files; then its
customers or orders are rewritten by DuckDB in another format (CSV with a sniffed header, TSV,
a JSON array, NDJSON, a glob of Parquet files, a hive-partitioned folder, a table in a DuckDB
database file) and read through `--data` or the source's declaration in segdsl.yml.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import segdsl
from eval_projects import SETTINGS, SHOP_MEMBERS, members, segdsl as run_segdsl, shop, write_project


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shop(tmp_path_factory.mktemp("formats") / "shop")


def evaluated(folder: Path, data: dict[str, str] | None = None) -> tuple[list[tuple], dict]:
    """The members rows and each input's (format, rows) of one evaluation."""
    with segdsl.load(folder, data).evaluate() as result:
        inputs = {name: (x["format"], x["rows"]) for name, x in result.tree["inputs"].items()}
        return result.members.fetchall(), inputs


def copy(original: Path, source: str, target: Path, options: str = "", where: str = "true") -> Path:
    """Rewrite (the rows `where` holds of) a source of the original project with DuckDB's COPY."""
    target.parent.mkdir(parents=True, exist_ok=True)
    relation = {"customers": "data/customers.parquet", "orders": "data/orders/*.parquet"}[source]
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM '{original / relation}' WHERE {where}) TO '{target}' {options}")
    return target


def test_the_parquet_original(original: Path) -> None:
    assert evaluated(original) == (SHOP_MEMBERS, {"customers": ("parquet", 5), "orders": ("parquet", 7)})


@pytest.mark.parametrize("source,name,options,fmt", [
    ("customers", "customers.csv", "(HEADER)", "csv"),
    ("customers", "customers.tsv", "(HEADER, DELIMITER '\t')", "csv"),
    ("customers", "customers.json", "(FORMAT json, ARRAY true)", "json"),
    ("customers", "customers.ndjson", "(FORMAT json)", "json"),
    ("customers", "customers.jsonl", "(FORMAT json)", "json"),
    ("orders", "orders.csv", "(HEADER)", "csv"),
    ("orders", "orders.ndjson", "(FORMAT json)", "json"),
], ids=lambda value: value if isinstance(value, str) and "." in value else None)
def test_text_formats(original: Path, tmp_path: Path, source: str, name: str, options: str, fmt: str) -> None:
    path = copy(original, source, tmp_path / name, options)
    rows, inputs = evaluated(original, {source: str(path)})
    assert rows == SHOP_MEMBERS
    assert inputs[source] == (fmt, {"customers": 5, "orders": 7}[source])


def test_a_csv_header_is_sniffed_with_quoted_names_and_values(original: Path, tmp_path: Path) -> None:
    csv = tmp_path / "customers.csv"
    csv.write_text('"id","age","plan"\n1,34,"monthly"\n2,71,"annual"\n3,17,"monthly"\n4,,"annual"\n5,45,\n',
                   encoding="utf-8")
    assert evaluated(original, {"customers": str(csv)})[0] == SHOP_MEMBERS


def test_a_glob_of_parquet_files(original: Path, tmp_path: Path) -> None:
    for part, where in enumerate(["customer_id = 1", "customer_id = 2", "customer_id > 2"]):
        copy(original, "orders", tmp_path / "orders" / f"part-{part}.parquet", where=where)
    assert evaluated(original, {"orders": f"{tmp_path}/orders/*.parquet"}) == (
        SHOP_MEMBERS, {"customers": ("parquet", 5), "orders": ("parquet", 7)})


def test_a_hive_partitioned_folder(original: Path, tmp_path: Path) -> None:
    """`orders/year=2026/month=10/data_0.parquet` and so on; the partition columns are readable."""
    folder = tmp_path / "orders"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT *, year(ordered_at) AS year, month(ordered_at) AS month "
                    f"FROM '{original}/data/orders/*.parquet') "
                    f"TO '{folder}' (FORMAT parquet, PARTITION_BY (year, month))")
    assert (folder / "year=2026" / "month=10").is_dir()
    assert evaluated(original, {"orders": str(folder)}) == (
        SHOP_MEMBERS, {"customers": ("parquet", 5), "orders": ("parquet", 7)})
    # A partition column is a column of the source like any other.
    settings = SETTINGS.replace("spend_90d: sum(orders.amount) over 90d",
                                "spend_90d: sum(orders.amount where year = 2026) over 90d")
    project = write_project(tmp_path / "hive", settings.replace('"data/orders/*.parquet"', str(folder))
                            .replace("data/customers.parquet", f"{original}/data/customers.parquet"),
                            (original / "rules.yml").read_text())
    assert evaluated(project)[0] == SHOP_MEMBERS


def test_tables_of_a_duckdb_database_file(original: Path, tmp_path: Path) -> None:
    """Both sources in one database file, one of them under a name that is an SQL keyword."""
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE TABLE customers AS SELECT * FROM '{original}/data/customers.parquet'")
        con.execute(f"CREATE TABLE \"order\" AS SELECT * FROM '{original}/data/orders/*.parquet'")
    settings = (SETTINGS.replace("{path: data/customers.parquet,", f"{{path: {database}, table: customers,")
                .replace('{path: "data/orders/*.parquet",', f"{{path: {database}, table: order,"))
    project = write_project(tmp_path / "project", settings, (original / "rules.yml").read_text())
    assert evaluated(project) == (SHOP_MEMBERS, {"customers": ("duckdb", 5), "orders": ("duckdb", 7)})


def test_a_duckdb_file_named_by_format(original: Path, tmp_path: Path) -> None:
    """An extension segdsl does not know, with `format: duckdb`; through the command, as ops run it."""
    database = tmp_path / "warehouse.ddb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE TABLE crm_customers AS SELECT * FROM '{original}/data/customers.parquet'")
    settings = SETTINGS.replace("{path: data/customers.parquet,",
                                f"{{path: {database}, format: duckdb, table: crm_customers,")
    project = write_project(tmp_path / "project", settings, (original / "rules.yml").read_text())
    (project / "data").symlink_to(original / "data")
    result = run_segdsl("eval", ".", "--quiet", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert members(project / "out" / "members.parquet") == SHOP_MEMBERS
