"""The Spark engine gives exactly DuckDB's answer.

Input: the shipped `rules/` and every example project; hypothesis-generated rule sets and data
(`rule_strategies`: NULLs, empty strings, unicode, boundary times and dates, month ends across
year ends, leap days, entities without events, large and negative numbers); small hand-written
projects, one per difference between Spark SQL and DuckDB that the compiler handles.
Output: a pass when Spark's members (rows, order, values, column types) and counts equal
DuckDB's, and when a data problem is one line naming the source.

Needs PySpark and Java (`spark_engine.require_spark`): skips otherwise, fails instead under
`SEGDSL_REQUIRE_ENGINES=1`. One SparkSession (`local[2]`) serves the whole module.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st

import rule_strategies
import segdsl
import test_differential as differential
from rule_strategies import AS_OFS, cases, datasets, write_parquet
from segdsl.api import resolve_as_of
from segdsl.engine import local, summary
from segdsl.engine.sources import Location
from spark_engine import MASTER, both_engines, on_spark, spark  # noqa: F401 - `spark` is a fixture

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT / "rules"] + sorted(p.parent for p in (ROOT / "examples").glob("*/segdsl.yml"))

# No shrinking: each example starts Spark jobs (a second or more), and `note` shows the case.
SETTINGS = settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# --- every shipped project ------------------------------------------------------------------


@pytest.mark.parametrize("project_dir", PROJECTS, ids=lambda p: p.name)
def test_project_members_equal_duckdb(spark, project_dir: Path) -> None:
    loaded = segdsl.load(project_dir)
    spec, project = loaded._ready(None)
    locations = loaded._locations(spec)
    when = resolve_as_of(None, project)
    on_duckdb, on_spark_ = local.evaluate(project, locations, when), on_spark(project, locations, when)
    try:
        assert on_spark_.members.types == on_duckdb.members.types
        assert on_spark_.members.fetchall() == on_duckdb.members.fetchall()
        assert on_spark_.rows == on_duckdb.rows
        assert on_spark_.warnings == on_duckdb.warnings
        counts = [summary.summarize(project, e, locations, when, "test") for e in (on_spark_, on_duckdb)]
        for tree in counts:
            tree.pop("timings")  # how long each engine took, the one part that differs
        assert counts[0] == counts[1]
    finally:
        on_spark_.close()
        on_duckdb.close()


# --- differential ---------------------------------------------------------------------------


def _generated(case) -> tuple[list, list]:
    """(Spark, DuckDB) memberships of a generated case; a case whose rules have errors is skipped."""
    project, diagnostics = differential.check(case)
    note(diagnostics)
    assume(project is not None)
    return _parquet_case(case, project)


def _written(case) -> tuple[list, list]:
    """(Spark, DuckDB) memberships of a hand-written case, which must check."""
    project, diagnostics = differential.check(case)
    assert project is not None, diagnostics
    return _parquet_case(case, project)


def _parquet_case(case, project) -> tuple[list, list]:
    with tempfile.TemporaryDirectory(prefix="segdsl-spark-") as folder:
        paths = write_parquet(Path(folder), case.entity, case.orders)
        locations = {name: Location(str(path), "parquet") for name, path in paths.items()}
        return both_engines(project, locations, case.as_of)


@pytest.mark.parametrize("run", range(2))
@SETTINGS
@given(case=cases())
def test_generated_rules_equal_duckdb(spark, run, case) -> None:
    note(differential._show(case))
    on_spark_, on_duckdb = _generated(case)
    assert on_spark_ == on_duckdb


@settings(SETTINGS, max_examples=8)
@given(data=st.data())
def test_tricky_rules_equal_duckdb(spark, data) -> None:
    as_of = data.draw(st.sampled_from(AS_OFS))
    case = differential._tricky_case(*data.draw(datasets(as_of)), as_of)
    note(differential._show(case))
    on_spark_, on_duckdb = _generated(case)
    assert on_spark_ == on_duckdb


# Every bound of time at once (`test_differential.test_every_time_bound`'s customers and rules):
# windows, WITHIN, `ago`, calendar months across year ends and leap days, at every as_of.
@pytest.mark.parametrize("as_of", AS_OFS[:3], ids=str)
def test_every_time_bound_equals_duckdb(spark, as_of) -> None:
    times = sorted(set(rule_strategies.times(as_of)))
    entity = [{"id": k, "seen_at": when, "signup": when.date()} for k, when in enumerate(times, start=1)]
    orders = [{"customer_id": k, "ordered_at": when, "amount": 1.0} for k, when in enumerate(times, start=1)]
    rules = {"segments": [{"name": f"b{i}", "rule": rule} for i, rule in enumerate(differential._TIME_RULES)]}
    on_spark_, on_duckdb = _written(differential._case(rules, entity + [{"id": 0}], orders, as_of))
    assert on_spark_ == on_duckdb


# --- one test per difference between Spark SQL and DuckDB --------------------------------------


def _members(folder: Path, rules: dict[str, str], settings_text: str) -> list[tuple]:
    """The members of the project in `folder` (one segment per name → rule) on Spark, after
    checking they equal DuckDB's."""
    segments = [{"name": name, "rule": rule} for name, rule in rules.items()]
    (folder / "segdsl.yml").write_text(settings_text, encoding="utf-8")
    (folder / "rules.yml").write_text(yaml.safe_dump({"segments": segments}, allow_unicode=True), encoding="utf-8")
    loaded = segdsl.load(folder)
    spec, project = loaded._ready(None)
    locations = loaded._locations(spec)
    when = resolve_as_of(None, project)
    on_duckdb, on_spark_ = local.evaluate(project, locations, when), on_spark(project, locations, when)
    try:
        rows = on_spark_.members.fetchall()
        assert rows == on_duckdb.members.fetchall()
        assert on_spark_.members.types == on_duckdb.members.types
        return rows
    finally:
        on_spark_.close()
        on_duckdb.close()


def _customers(folder: Path, columns: dict[str, list], types: dict[str, pa.DataType]) -> str:
    """customers.parquet with an `id` 1..n and `columns`; the settings naming it."""
    n = len(next(iter(columns.values())))
    table = pa.table({"id": pa.array(range(1, n + 1), pa.int64()),
                      **{name: pa.array(values, types[name]) for name, values in columns.items()}})
    pq.write_table(table, folder / "customers.parquet")
    return "entity: customers\nas_of: 2026-11-01\nsources:\n  customers: {path: customers.parquet, key: id}\n"


def _in(rows: list[tuple], segment: str = "s") -> list[int]:
    return [key for key, segments, *_ in rows if segment in segments]


def test_zero_divisor_is_missing_on_spark(spark, tmp_path: Path) -> None:
    # sqlglot prints Spark's `/` without DuckDB's NULLIF; Spark 4 (ANSI) would raise.
    settings_text = _customers(tmp_path, {"a": [1.0, 4.0, 3.0], "b": [0.0, 2.0, None]},
                               {"a": pa.float64(), "b": pa.float64()})
    rows = _members(tmp_path, {"s": "a / b > 1", "m": "a / b IS MISSING"}, settings_text)
    assert _in(rows) == [2]
    assert _in(rows, "m") == [1, 3]


def test_list_contains_ignores_null_elements_on_spark(spark, tmp_path: Path) -> None:
    # ARRAY_CONTAINS(['a', NULL], 'x') is NULL on Spark, FALSE on DuckDB.
    settings_text = _customers(tmp_path, {"tags": [["a", None], ["x", None], None, []]},
                               {"tags": pa.list_(pa.string())})
    rows = _members(tmp_path, {"s": "tags NOT CONTAINS 'x'", "c": "tags CONTAINS 'x'",
                               "missing": "length(tags) IS MISSING", "empty": "length(tags) = 0"}, settings_text)
    assert _in(rows) == [1, 4]
    assert _in(rows, "c") == [2]
    assert _in(rows, "missing") == [3]  # SIZE(NULL) is -1 in Spark's legacy mode, NULL in ANSI mode
    assert _in(rows, "empty") == [4]


def test_lower_and_upper_map_unicode_as_duckdb_on_spark(spark, tmp_path: Path) -> None:
    # Java maps case fully (upper('ß') = 'SS', a final Σ lowers to ς); DuckDB one character
    # to one character (upper('ß') = 'ẞ', Σ lowers to σ).
    settings_text = _customers(tmp_path, {"name": ["straße", "ΟΔΟΣ", "İstanbul", "Zürich"]},
                               {"name": pa.string()})
    rows = _members(tmp_path, {
        "s": "upper(name) IN ('STRASSE', 'ZÜRICH')", "sigma": "lower(name) = 'οδοσ'",
        "dot": "lower(name) = 'istanbul'", "length": "length(upper(name)) = 6"}, settings_text)
    assert _in(rows) == [4]
    assert _in(rows, "sigma") == [2]
    assert _in(rows, "dot") == [3]
    assert _in(rows, "length") == [1, 4]


def test_average_of_decimals_is_double_on_spark(spark, tmp_path: Path) -> None:
    # Spark averages DECIMALs as a DECIMAL rounded to 6 places: 5/3 would be 1.666667.
    settings_text = _customers(tmp_path, {"age": [1]}, {"age": pa.int64()})
    orders = pa.table({"customer_id": pa.array([1, 1, 1], pa.int64()),
                       "ordered_at": pa.array([dt.datetime(2026, 10, d) for d in (1, 2, 3)], pa.timestamp("us")),
                       "amount": pa.array([Decimal("1.00"), Decimal("2.00"), Decimal("2.00")], pa.decimal128(10, 2))})
    pq.write_table(orders, tmp_path / "orders.parquet")
    settings_text += "  orders: {path: orders.parquet, key: customer_id, time: ordered_at}\n"
    rows = _members(tmp_path, {"s": "avg(orders.amount) < 1.6666667"}, settings_text)
    assert _in(rows) == [1]


def test_missing_values_rank_last_in_ntile_on_spark(spark, tmp_path: Path) -> None:
    # Spark sorts NULLs first in an ascending ORDER BY; DuckDB last. Missing values get no tile.
    settings_text = _customers(tmp_path, {"age": [None, 30.0, 10.0, None, 20.0, 10.0]}, {"age": pa.float64()})
    rows = _members(tmp_path, {"s": "ntile(3, age) = 1", "top": "percent_rank(age) = 1"}, settings_text)
    assert _in(rows) == [3, 6]  # ages 10 (3), 10 (6), 20 (5), 30 (2) in 3 tiles: 2 + 1 + 1 rows
    assert _in(rows, "top") == [2]


def test_large_and_negative_numbers_equal_duckdb(spark, tmp_path: Path) -> None:
    # The compiler computes in DOUBLE, so BIGINT extremes neither overflow (ANSI mode would
    # raise) nor wrap; DOUBLE overflow is infinity on both.
    big = [2**63 - 1, -(2**63), 0, None, 2**53 + 1, -7]
    settings_text = _customers(tmp_path, {"big": big, "x": [1e308, -1e308, -0.0, None, 2.5e-300, -7.25]},
                               {"big": pa.int64(), "x": pa.float64()})
    rows = _members(tmp_path, {"twice": "big * 2 > 0", "negated": "-big > 0", "abs": "abs(big) > 1e18",
                               "third": "big / 3 < -1", "huge": "x * 10 > 1e308", "sum": "big + x < 0",
                               "rank": "ntile(2, big) = 1"}, settings_text)
    assert _in(rows, "twice") == [1, 5]
    assert _in(rows, "negated") == [2, 6]
    assert _in(rows, "abs") == [1, 2]
    assert _in(rows, "third") == [2, 6]
    assert _in(rows, "huge") == [1]
    assert _in(rows, "rank") == [2, 3, 6]  # the lowest three of five: -2^63, -7, 0


def test_text_compares_bytewise_on_spark(spark, tmp_path: Path) -> None:
    # Both compare UTF-8 bytes: 'Z' < 'a' < 'é' < 'ｚ' (no collation); nothing to rewrite.
    settings_text = _customers(tmp_path, {"name": ["Z", "a", "é", "ｚ", ""]}, {"name": pa.string()})
    rows = _members(tmp_path, {"s": "name < 'b'", "wide": "name > 'é'"}, settings_text)
    assert _in(rows) == [1, 2, 5]
    assert _in(rows, "wide") == [4]


# --- sources: the same files DuckDB reads, with DuckDB's types -----------------------------------

_ORDERS_SETTINGS = ("entity: customers\nas_of: 2026-11-01\nsources:\n"
                    "  customers: {path: customers.csv, key: id}\n"
                    "  orders: {path: %s, key: customer_id, time: ordered_at}\n")

_SHAPES = {"recent": "count(orders) over 30d >= 1", "big": "sum(orders.amount) > 100",
           "joined": "signup >= 2026-10-01", "zip": "zip = '01234'", "flag": "vip"}


def _csv_customers(folder: Path) -> None:
    # `zip` looks numeric but keeps its leading zero only as text; DuckDB reads it as VARCHAR
    # only because of the row with letters. Spark, without DuckDB's schema, reads dates as text.
    (folder / "customers.csv").write_text(
        "id,zip,signup,vip\n1,01234,2026-10-05,true\n2,A1B2,2025-01-31,false\n3,99999,,\n4,\"\",2026-10-01,true\n",
        encoding="utf-8")


def test_csv_and_json_sources_equal_duckdb(spark, tmp_path: Path) -> None:
    _csv_customers(tmp_path)
    # One JSON array (DuckDB detects it; Spark must be told it spans lines), timestamps as text.
    (tmp_path / "orders.json").write_text(
        '[{"customer_id": 1, "ordered_at": "2026-10-20 12:30:00", "amount": 150.5},\n'
        ' {"customer_id": 2, "ordered_at": "2026-01-02 08:00:00", "amount": 20},\n'
        ' {"customer_id": 1, "ordered_at": "2026-10-30 23:59:59", "amount": null}]\n', encoding="utf-8")
    # An empty field, quoted or not, is missing (NULL) on both engines: no empty strings from CSV.
    rows = _members(tmp_path, _SHAPES | {"blank": "zip = ''", "unknown": "signup IS MISSING OR zip IS MISSING"},
                    _ORDERS_SETTINGS % "orders.json")
    assert [(key, sorted(segments)) for key, segments in rows] == [
        (1, ["big", "flag", "joined", "recent", "zip"]), (2, []), (3, ["unknown"]),
        (4, ["flag", "joined", "unknown"])]


def test_hive_folder_and_glob_sources_equal_duckdb(spark, tmp_path: Path) -> None:
    _csv_customers(tmp_path)
    for year, key, amount in ((2025, 2, 300.0), (2026, 1, 101.0), (2026, 4, 5.0)):
        part = tmp_path / "orders" / f"year={year}"
        part.mkdir(parents=True, exist_ok=True)
        table = pa.table({"customer_id": pa.array([key], pa.int64()), "amount": pa.array([amount]),
                          "ordered_at": pa.array([dt.datetime(year, 10, 20)], pa.timestamp("us"))})
        pq.write_table(table, part / f"part-{key}.parquet")
    hive = _members(tmp_path, _SHAPES | {"old": "count(orders where year = 2025) >= 1"},
                    _ORDERS_SETTINGS % "orders")
    assert [key for key, segments in hive if "old" in segments] == [2]
    assert [key for key, segments in hive if "big" in segments] == [1, 2]
    globbed = _members(tmp_path, _SHAPES, _ORDERS_SETTINGS % '"orders/*/*.parquet"')
    assert [key for key, segments in globbed if "recent" in segments] == [1, 4]


# --- errors --------------------------------------------------------------------------------------


def _evaluate_folder(folder: Path):
    loaded = segdsl.load(folder)
    spec, project = loaded._ready(None)
    return on_spark(project, loaded._locations(spec), resolve_as_of(None, project))


def test_duckdb_file_source_is_a_clear_error(spark, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "shop.duckdb"))
    con.execute("CREATE TABLE customers AS SELECT 1::BIGINT AS id")
    con.close()
    (tmp_path / "segdsl.yml").write_text("entity: customers\nsources:\n  customers: {path: shop.duckdb, "
                                         "table: customers, key: id}\n", encoding="utf-8")
    (tmp_path / "rules.yml").write_text("segments:\n  - {name: s, rule: id > 0}\n", encoding="utf-8")
    with pytest.raises(local.DataError) as error:
        _evaluate_folder(tmp_path)
    assert str(error.value).startswith("source customers: ")
    assert "DuckDB database file, which Spark cannot read" in str(error.value)
    assert "Parquet" in error.value.hint


def test_duplicate_keys_are_one_line_naming_the_source(spark, tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": pa.array([1, 2, 2], pa.int64())}), tmp_path / "customers.parquet")
    (tmp_path / "segdsl.yml").write_text("entity: customers\nsources:\n  customers: {path: customers.parquet, "
                                         "key: id}\n", encoding="utf-8")
    (tmp_path / "rules.yml").write_text("segments:\n  - {name: s, rule: id > 0}\n", encoding="utf-8")
    with pytest.raises(local.DataError) as error:
        _evaluate_folder(tmp_path)
    assert str(error.value) == (f"source customers ({tmp_path / 'customers.parquet'}): 1 id value(s) occur on "
                                "more than one row (2 rows), e.g. 2 (2 rows)")


def test_a_spark_failure_is_one_line_without_the_stack_trace(spark) -> None:
    from segdsl.engine.spark.session import message

    with pytest.raises(Exception) as error:  # noqa: PT011 - whatever class PySpark raises
        spark.sql("SELECT CAST(9223372036854775807 AS BIGINT) + 1").collect()
    text = message(error.value)
    assert "\n" not in text and " at org.apache" not in text
    assert text.startswith("[ARITHMETIC_OVERFLOW]")


def test_the_api_writes_what_duckdb_writes(spark, tmp_path: Path) -> None:
    # `Project.evaluate(engine="spark")` as `segdsl eval --engine spark` calls it: the same files.
    project = segdsl.load(ROOT / "examples" / "rfm")
    written = {}
    for engine, options in (("duckdb", {}), ("spark", {"master": MASTER})):
        result = project.evaluate(engine=engine, **options)
        try:
            assert ("SELECT" in result.sql) and (("ARRAY_COMPACT" in result.sql) == (engine == "spark"))
            result.write(tmp_path / engine)
        finally:
            result.close()
        tree = json.loads((tmp_path / engine / "segments.json").read_text(encoding="utf-8"))
        tree.pop("timings")
        members = duckdb.sql(f"SELECT * FROM read_parquet('{tmp_path / engine / 'members.parquet'}')").fetchall()
        written[engine] = (tree, members)
    assert written["spark"] == written["duckdb"]


def test_a_file_spark_cannot_read_names_its_source(spark, tmp_path: Path) -> None:
    # Two files of one glob disagree on a column's type: Spark fails mid-query, on a file.
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64())}), tmp_path / "customers.parquet")
    (tmp_path / "orders").mkdir()
    for name, amount in (("a", pa.array([1.5])), ("b", pa.array(["x"]))):
        pq.write_table(pa.table({"customer_id": pa.array([1], pa.int64()), "amount": amount,
                                 "ordered_at": pa.array([dt.datetime(2026, 10, 1)], pa.timestamp("us"))}),
                       tmp_path / "orders" / f"{name}.parquet")
    (tmp_path / "segdsl.yml").write_text(
        "entity: customers\nas_of: 2026-11-01\nsources:\n  customers: {path: customers.parquet, key: id}\n"
        "  orders: {path: \"orders/*.parquet\", key: customer_id, time: ordered_at}\n", encoding="utf-8")
    (tmp_path / "rules.yml").write_text("segments:\n  - {name: s, rule: sum(orders.amount) > 1}\n", encoding="utf-8")
    with pytest.raises(local.DataError) as error:
        _evaluate_folder(tmp_path)
    assert str(error.value).startswith(f"source orders ({tmp_path / 'orders' / '*.parquet'}): ")
    assert "\n" not in str(error.value)
