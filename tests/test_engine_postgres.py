"""The PostgreSQL engine against the DuckDB engine: the same members on the same data.

Input: the shipped `rules/` and `examples/*/` projects on the examples' data, random rules
projects and data (`rule_strategies`), hand-written cases for each dialect difference; each
dataset loaded into PostgreSQL tables with exact types from the same Parquet files DuckDB reads.
Output: a pass when `segdsl.engine.postgres.evaluate` gives members identical to
`segdsl.engine.local.evaluate` (rows, order, values, column types) and the same segments.json
counts; and when `--into` and the engine's errors behave as documented in docs/engines/postgres.md.

Needs a server: `SEGDSL_TEST_PG_DSN`, or PostgreSQL's binaries to start one (`.ci/postgres`);
skips otherwise, and fails instead under `SEGDSL_REQUIRE_ENGINES=1`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from pg_server import load_parquet, load_table, new_schema, pg_dsn, psycopg  # noqa: F401 - pg_dsn is a fixture
from rule_strategies import AS_OFS, Case, cases, datasets, write_parquet
from test_differential import _case, _show, _tricky_case, check
from segdsl import __version__, api
from segdsl.dsl import typed as t
from segdsl.engine import local, summary
from segdsl.engine.local import DataError
from segdsl.engine.sources import Location

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ["rules", *sorted(f"examples/{p.parent.name}" for p in (ROOT / "examples").glob("*/segdsl.yml"))]
AS_OF = dt.datetime(2026, 3, 31, 12)

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def postgres_engine():
    """The engine, imported when a test runs: without psycopg it cannot import, and the tests
    skip (through `pg_dsn`) instead of failing to collect."""
    from segdsl.engine import postgres
    return postgres


# --- the shipped projects ------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples_dsn(pg_dsn):
    """A schema holding the examples' four tables, loaded from their Parquet files."""
    dsn = new_schema(pg_dsn, "examples")
    for name in ("customers", "orders", "app_events", "sessions"):
        load_parquet(dsn, name, ROOT / "examples" / "data" / f"{name}.parquet")
    return dsn


def _counts(tree: dict) -> dict:
    """segments.json without its timings: counts, shares, hashes, inputs' rows, warnings."""
    return {name: value for name, value in tree.items() if name != "timings"}


@pytest.mark.parametrize("folder", PROJECTS)
def test_shipped_projects_equal_duckdb(folder, examples_dsn):
    project_api = api.Project(ROOT / folder)
    spec, project = project_api._ready()
    locations = project_api._locations(spec)
    when = api.resolve_as_of(None, project)
    duck = local.evaluate(project, locations, when, threads=1)
    pg = postgres_engine().evaluate(project, locations, when, dsn=examples_dsn)
    try:
        assert pg.members.columns == duck.members.columns
        assert pg.members.types == duck.members.types
        expected = duck.members.fetchall()
        assert len(expected) == 2000
        assert pg.members.fetchall() == expected
        assert pg.rows == duck.rows
        assert _counts(summary.summarize(project, pg, locations, when, __version__)) == \
            _counts(summary.summarize(project, duck, locations, when, __version__))
    finally:
        duck.close()
        pg.close()


# --- differential: random rules and data ---------------------------------------------------


@pytest.fixture(scope="module")
def case_dsn(pg_dsn):
    return new_schema(pg_dsn, "cases")


def both(project: t.Project, case: Case, dsn: str) -> tuple[list[tuple], list[tuple]]:
    """(DuckDB, PostgreSQL) members of the project on the case's data, as rows in key order."""
    with tempfile.TemporaryDirectory(prefix="segdsl-pg-") as folder:
        paths = write_parquet(Path(folder), case.entity, case.orders)
        for name, path in paths.items():
            load_parquet(dsn, name, path)
        locations = {name: Location(str(path), "parquet") for name, path in paths.items()}
        duck = local.evaluate(project, locations, case.as_of, threads=1)
        pg = postgres_engine().evaluate(project, locations, case.as_of, dsn=dsn)
        try:
            assert pg.members.types == duck.members.types
            return duck.members.fetchall(), pg.members.fetchall()
        finally:
            duck.close()
            pg.close()


def agree(case: Case, dsn: str) -> None:
    project, diagnostics = check(case)
    assert project is not None, diagnostics
    duck, pg = both(project, case, dsn)
    assert pg == duck, _show(case)


@pytest.mark.parametrize("run", range(2))  # two runs, so that `-n 2` spreads them over both cores
@settings(SETTINGS, max_examples=75)
@given(case=cases())
def test_random_projects_equal_duckdb(run, case, case_dsn):
    note(_show(case))
    project, diagnostics = check(case)
    assume(project is not None)
    duck, pg = both(project, case, case_dsn)
    assert pg == duck


@settings(SETTINGS, max_examples=30)
@given(data=st.data())
def test_tricky_rules_equal_duckdb(data, case_dsn):
    as_of = data.draw(st.sampled_from(AS_OFS))
    case = _tricky_case(*data.draw(datasets(as_of)), as_of)
    note(_show(case))
    agree(case, case_dsn)


# --- one test per dialect difference -------------------------------------------------------
# Each runs a hand-written case on both engines and also checks the members worked out by hand,
# so a difference handled the same wrong way on both would still fail.


def members_of(case: Case, dsn: str) -> dict:
    """{key: (segments, tiers…)} on PostgreSQL, after checking that DuckDB says the same."""
    project, diagnostics = check(case)
    assert project is not None, diagnostics
    duck, pg = both(project, case, dsn)
    assert pg == duck, _show(case)
    return {row[0]: row[1:] for row in pg}


def in_segment(members: dict, path: str = "s") -> set:
    return {key for key, row in members.items() if path in row[0]}


def _segments(**rules: str) -> dict:
    return {"segments": [{"name": name, "rule": rule} for name, rule in rules.items()]}


def test_text_compares_bytewise_on_postgres(case_dsn):
    # The test database compares text linguistically (en-US): there 'a' < 'B' and 'Zürich' < 'Zz';
    # DuckDB compares bytes: 'B' < 'Zz' < 'a' < 'Zürich'? No: 'Zz' < 'Zürich' ('z' < 'ü'), both < 'a'.
    names = ["B", "a", "Zürich", "Zz", "b"]
    entity = [{"id": i, "name": n} for i, n in enumerate(names, start=1)]
    orders = [{"customer_id": 1, "ordered_at": AS_OF, "category": c} for c in ("books", "Tech", "tech")]
    members = members_of(_case(_segments(below_a="name < 'a'", below_zz="name <= 'Zz'",
                                         first="max(orders.category) = 'tech' AND min(orders.category) = 'Tech'",
                                         between="name BETWEEN 'A' AND 'Zz'"), entity, orders), case_dsn)
    assert in_segment(members, "below_a") == {1, 3, 4}
    assert in_segment(members, "below_zz") == {1, 4}
    assert in_segment(members, "first") == {1}
    assert in_segment(members, "between") == {1, 4}


def test_text_literals_compare_bytewise_on_postgres(case_dsn):
    # Literals have the database's collation, not a column's: 'books' < 'Tech' under en-US.
    members = members_of(_case(_segments(literals="'books' < 'Tech'", upper="upper('b') > 'a'",
                                         made="coalesce(name, 'a') > 'B'"),
                               [{"id": 1, "name": None}, {"id": 2, "name": "A"}]), case_dsn)
    assert in_segment(members, "literals") == set()
    assert in_segment(members, "upper") == set()  # 'B' < 'a' by bytes
    assert in_segment(members, "made") == {1}


def test_text_keys_sort_bytewise_on_postgres(case_dsn):
    keys = ["k10", "k2", "K3", "a", "Ä", "_"]
    members = members_of(_case(_segments(s="age >= 0"), [{"id": k, "age": 1.0} for k in keys]), case_dsn)
    assert list(members) == sorted(keys, key=lambda k: k.encode())


def test_rankings_break_ties_by_text_key_bytewise_on_postgres(case_dsn):
    # Ties in ntile are broken by key: with keys 'b' < 'B' linguistically but 'B' < 'b' by bytes.
    entity = [{"id": k, "age": 1.0} for k in ("b", "B", "a", "A")] + [{"id": "c", "age": None}]
    members = members_of(_case({"segments": [{"name": "s", "rule": "ntile(2, age) = 1"},
                                             {"name": "p", "rule": "percent_rank(age) = 0"},
                                             {"name": "n", "rule": "ntile(3, name) = 1"}]},
                               entity), case_dsn)
    assert in_segment(members) == {"A", "B"}  # 'A' < 'B' < 'a' < 'b' by bytes
    assert in_segment(members, "p") == {"A", "B", "a", "b"}  # ties share rank 0; NULL is not ranked
    assert in_segment(members, "n") == set()  # no names: nobody ranked


def test_case_mapping_beyond_ascii_on_postgres(case_dsn):
    # Under "C" PostgreSQL would change ASCII letters only: upper('zürich') = 'ZüRICH'.
    entity = [{"id": 1, "name": "zürich"}, {"id": 2, "name": "ÉCOLE"}, {"id": 3, "name": "İ"}]
    members = members_of(_case(_segments(up="upper(name) = 'ZÜRICH'", low="lower(name) = 'école'",
                                         one="length(lower(name)) = 1",
                                         nested="upper(lower(name)) = 'ZÜRICH'",
                                         order="upper(name) > 'ZZ'", listed="tags CONTAINS lower(name)",
                                         inner="lower(upper(name)) = 'zürich'"),
                               [{**row, "tags": ["école"]} for row in entity]), case_dsn)
    assert in_segment(members, "up") == {1}
    assert in_segment(members, "low") == {2}
    assert in_segment(members, "one") == {3}
    assert in_segment(members, "nested") == {1}
    assert in_segment(members, "order") == {1, 2, 3}  # 'ZÜ…', 'É…', 'İ' are above 'ZZ' by bytes
    assert in_segment(members, "listed") == {2}
    assert in_segment(members, "inner") == {1}


def test_upper_of_sharp_s_on_postgres(case_dsn):
    # The one letter (of every code point) that "C.utf8" and DuckDB map differently: upper('ß').
    members = members_of(_case(_segments(s="upper(name) = 'STRAẞE'", low="lower(upper(name)) = 'straße'"),
                               [{"id": 1, "name": "straße"}, {"id": 2, "name": "STRAẞE"}]), case_dsn)
    assert in_segment(members) == {1, 2}
    assert in_segment(members, "low") == {1, 2}


def test_list_length_on_postgres(case_dsn):
    # PostgreSQL has no LENGTH(list), and ARRAY_LENGTH of an empty list is NULL, not 0.
    entity = [{"id": 1, "tags": []}, {"id": 2, "tags": ["a", None]}, {"id": 3, "tags": None}]
    members = members_of(_case(_segments(empty="length(tags) = 0", two="length(tags) = 2",
                                         missing="length(tags) IS MISSING"), entity), case_dsn)
    assert in_segment(members, "empty") == {1}
    assert in_segment(members, "two") == {2}
    assert in_segment(members, "missing") == {3}


def test_contains_on_a_missing_list_on_postgres(case_dsn):
    # sqlglot prints CONTAINS on a list as COALESCE(p = ANY(list), FALSE): FALSE for a missing
    # list, so NOT CONTAINS held; the SPEC says a predicate on a missing value is false.
    entity = [{"id": 1, "tags": None}, {"id": 2, "tags": ["tech", None]}, {"id": 3, "tags": []},
              {"id": 4, "tags": ["Tech"]}]
    members = members_of(_case(_segments(has="tags CONTAINS 'tech'", lacks="tags NOT CONTAINS 'tech'"),
                               entity), case_dsn)
    assert in_segment(members, "has") == {2}
    assert in_segment(members, "lacks") == {3, 4}


def test_text_affixes_are_not_patterns_on_postgres(case_dsn):
    # ENDS WITH has no function in PostgreSQL; `%` and `_` in a value are text, not wildcards.
    entity = [{"id": 1, "name": "10%_off"}, {"id": 2, "name": "100 off"}, {"id": 3, "name": ""},
              {"id": 4, "name": None}]
    members = members_of(_case(_segments(starts="name STARTS WITH '10%'", ends="name ENDS WITH '_off'",
                                         has="name CONTAINS '%_'", empty="name ENDS WITH ''",
                                         not_empty="name NOT CONTAINS ''"), entity), case_dsn)
    assert in_segment(members, "starts") == {1}
    assert in_segment(members, "ends") == {1}
    assert in_segment(members, "has") == {1}
    assert in_segment(members, "empty") == {1, 2, 3}
    assert in_segment(members, "not_empty") == set()


def test_empty_strings_and_null_stay_apart_on_postgres(case_dsn):
    # Members come back as CSV: an empty string must not come back as NULL, nor NULL as ''.
    entity = [{"id": "", "name": ""}, {"id": "x", "name": None}, {"id": "y", "name": "a,\"b\"\nc"}]
    rules = {"segments": [{"name": "s", "rule": "name = ''"}, {"name": "m", "rule": "name IS MISSING"}],
             "layers": [{"name": "l", "tiers": [{"name": "t", "rule": "name IS NOT MISSING"}]}]}
    members = members_of(_case(rules, entity), case_dsn)
    assert members == {"": (["s"], "t"), "x": (["m"], None), "y": ([], "t")}


def test_booleans_and_dates_on_postgres(case_dsn):
    # Booleans, date literals against dates and timestamps, calendar days across a year end.
    entity = [{"id": 1, "vip": True, "signup": dt.date(2025, 12, 31), "seen_at": dt.datetime(2024, 2, 29, 12)},
              {"id": 2, "vip": False, "signup": dt.date(2026, 1, 1), "seen_at": dt.datetime(2026, 3, 31, 12)},
              {"id": 3}]
    members = members_of(_case(_segments(vip="vip", not_vip="NOT vip", false="vip = false",
                                         year_end="signup <= 2025-12-31", leap="seen_at < 2024-03-01",
                                         days="days_since(signup) = 90", today="seen_at >= today",
                                         month="month(seen_at) = 2 AND year(seen_at) = 2024"),
                               entity), case_dsn)
    assert in_segment(members, "vip") == {1}
    assert in_segment(members, "not_vip") == {2, 3}
    assert in_segment(members, "false") == {2}
    assert in_segment(members, "year_end") == {1}
    assert in_segment(members, "leap") == {1}
    assert in_segment(members, "days") == {1}  # 2025-12-31 to 2026-03-31: 90 calendar days
    assert in_segment(members, "today") == {2}
    assert in_segment(members, "month") == {1}


def evaluate_tables(folder: Path, dsn: str, rules: str, customers: pa.Table, orders: pa.Table,
                    into: str | None = None) -> list[tuple]:
    """A project over tables of any column types: members on PostgreSQL, checked equal to DuckDB's."""
    (folder / "segdsl.yml").write_text("entity: customers\nas_of: 2026-03-31T12:00\nsources:\n"
                                       "  customers: {path: customers.parquet, key: id}\n"
                                       "  orders: {path: orders.parquet, key: customer_id, time: ordered_at}\n")
    (folder / "rules.yml").write_text(rules)
    for name, table in (("customers", customers), ("orders", orders)):
        pq.write_table(table, folder / f"{name}.parquet")
        load_parquet(dsn, name, folder / f"{name}.parquet")
    project_api = api.Project(folder)
    spec, project = project_api._ready()
    locations = project_api._locations(spec)
    when = api.resolve_as_of(None, project)
    duck = local.evaluate(project, locations, when, threads=1)
    pg = postgres_engine().evaluate(project, locations, when, dsn=dsn, into=into)
    try:
        assert pg.members.types == duck.members.types
        rows = pg.members.fetchall()
        assert rows == duck.members.fetchall()
        return rows
    finally:
        duck.close()
        pg.close()


_NO_ORDERS = pa.table({"customer_id": pa.array([], pa.int64()), "ordered_at": pa.array([], pa.timestamp("us")),
                       "qty": pa.array([], pa.int64())})


def _orders(rows: list[tuple[int, int]]) -> pa.Table:
    return pa.table({"customer_id": pa.array([k for k, _ in rows], pa.int64()),
                     "ordered_at": pa.array([dt.datetime(2026, 3, 1)] * len(rows), pa.timestamp("us")),
                     "qty": pa.array([q for _, q in rows], pa.int64())})


def test_a_rate_over_an_empty_window_is_a_number_on_postgres(case_dsn):
    # Over a window of no length a rate is NULL outright; PostgreSQL types such a column TEXT.
    orders = [{"customer_id": 1, "ordered_at": AS_OF, "amount": 1.0}]
    members = members_of(_case(_segments(s="count(orders) over today to today per day != 4/mo",
                                         m="count(orders) over now to now per w IS MISSING"),
                               [{"id": 1}], orders), case_dsn)
    assert in_segment(members) == set()
    assert in_segment(members, "m") == {1}


def test_integer_division_is_true_division_on_postgres(tmp_path, case_dsn):
    # `/` on two INTEGER columns truncates in PostgreSQL (7 / 2 = 3); the rules mean 3.5.
    customers = pa.table({"id": pa.array([1, 2], pa.int32()), "a": pa.array([7, 1], pa.int32()),
                          "b": pa.array([2, 0], pa.int32())})
    rows = evaluate_tables(tmp_path, case_dsn, "segments:\n  - {name: half, rule: a / b = 3.5}\n"
                           "  - {name: by_zero, rule: a / b IS MISSING}\n", customers, _NO_ORDERS)
    assert rows == [(1, ["half"]), (2, ["by_zero"])]


def test_average_of_integers_is_double_on_postgres(tmp_path, case_dsn):
    # AVG(BIGINT) is an exact NUMERIC in PostgreSQL, a DOUBLE in DuckDB: beyond 2^53 they differ.
    big = 2**53 + 1
    customers = pa.table({"id": pa.array([1, 2], pa.int64())})
    rows = evaluate_tables(tmp_path, case_dsn,
                           f"segments:\n  - {{name: above, rule: avg(orders.qty) > {2**53}}}\n"
                           "  - {name: third, rule: avg(orders.qty) = 1 / 3}\n",
                           customers, _orders([(1, big), (1, big), (2, 1), (2, 0), (2, 0)]))
    assert rows == [(1, []), (2, ["third"])]


def test_very_large_integers_on_postgres(tmp_path, case_dsn):
    # BIGINT keys at both ends, sums beyond BIGINT (NUMERIC in PostgreSQL, HUGEINT in DuckDB).
    low, high = -(2**63), 2**63 - 1
    customers = pa.table({"id": pa.array([low, 0, high], pa.int64()), "n": pa.array([high, -1, None], pa.int64())})
    rows = evaluate_tables(tmp_path, case_dsn,
                           "segments:\n  - {name: neg, rule: n < 0}\n"
                           "  - {name: sum, rule: sum(orders.qty) > 9223372036854775807}\n"
                           "  - {name: abs, rule: abs(n) > 1}\n  - {name: minus, rule: -n < 0}\n",
                           customers, _orders([(high, high), (high, high), (low, -1)]))
    # low's n is high: above 1, and its negation below 0; high's orders sum to 2^64 - 2.
    assert rows == [(low, ["abs", "minus"]), (0, ["neg"]), (high, ["sum"])]


# --- --into, and the engine's errors -------------------------------------------------------


def _shop(tmp_path: Path, dsn: str, into: str | None = None) -> list[tuple]:
    customers = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "a": pa.array([1, 5, None], pa.int64())})
    return evaluate_tables(tmp_path, dsn, "segments:\n  - {name: big, rule: a > 2}\n"
                           "  - {name: small, rule: a <= 2}\n", customers, _orders([(1, 1)]), into)


def _table_rows(dsn: str, name: str) -> list[tuple]:
    with psycopg.connect(dsn) as pg:
        return pg.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall()


def test_into_writes_the_members_table(tmp_path, case_dsn):
    rows = _shop(tmp_path, case_dsn, into="members_out")
    assert rows == [(1, ["small"]), (2, ["big"]), (3, [])]
    assert _table_rows(case_dsn, "members_out") == rows
    assert _shop(tmp_path, case_dsn, into="members_out") == rows  # replaced, not appended to
    assert _table_rows(case_dsn, "members_out") == rows


def test_into_keeps_the_old_table_when_the_run_fails(tmp_path, case_dsn):
    # The run fails after the new table is made and fetched: `kept` is a view, which DROP TABLE
    # refuses. Everything is rolled back: the view is as it was, no staged table is left.
    with psycopg.connect(case_dsn, autocommit=True) as pg:
        pg.execute("DROP VIEW IF EXISTS kept")
        pg.execute("CREATE VIEW kept AS SELECT 7 AS id, 'old' AS note")
    with pytest.raises(DataError, match="kept"):
        _shop(tmp_path, case_dsn, into="kept")
    assert _table_rows(case_dsn, "kept") == [(7, "old")]
    with psycopg.connect(case_dsn) as pg:
        assert pg.execute("SELECT to_regclass('kept_segdsl_new')").fetchone() == (None,)


def _project(tmp_path: Path) -> tuple:
    (tmp_path / "segdsl.yml").write_text("entity: customers\nas_of: 2026-03-31\nsources:\n"
                                         "  customers: {path: customers.parquet, key: id}\n"
                                         "  orders: {path: orders.parquet, key: customer_id, time: ordered_at}\n")
    (tmp_path / "rules.yml").write_text("segments:\n  - {name: s, rule: count(orders) > 0}\n")
    pq.write_table(pa.table({"id": pa.array([1], pa.int64())}), tmp_path / "customers.parquet")
    pq.write_table(_orders([(1, 1)]), tmp_path / "orders.parquet")
    project_api = api.Project(tmp_path)
    spec, project = project_api._ready()
    return project, project_api._locations(spec)


def test_a_bad_dsn_names_the_server_not_the_password(tmp_path, pg_dsn):
    project, locations = _project(tmp_path)
    bad = psycopg.conninfo.make_conninfo(pg_dsn, dbname="no_such_db", password="s3cret-word")
    with pytest.raises(DataError) as raised:
        postgres_engine().evaluate(project, locations, AS_OF, dsn=bad)
    message = str(raised.value)
    assert "no_such_db" in message and "cannot connect" in message
    assert "s3cret-word" not in message


def test_a_missing_table_is_named(tmp_path, pg_dsn):
    project, locations = _project(tmp_path)
    dsn = new_schema(pg_dsn, "missing")
    load_parquet(dsn, "customers", tmp_path / "customers.parquet")
    with pytest.raises(DataError, match="source orders: table orders does not exist"):
        postgres_engine().evaluate(project, locations, AS_OF, dsn=dsn)
    postgres = postgres_engine()
    renamed = {**locations, "orders": postgres.location("elsewhere.orders")}
    with pytest.raises(DataError, match="table elsewhere.orders does not exist"):
        postgres.evaluate(project, renamed, AS_OF, dsn=dsn)


def test_a_missing_column_is_named(tmp_path, pg_dsn):
    project, locations = _project(tmp_path)
    dsn = new_schema(pg_dsn, "column")
    load_parquet(dsn, "customers", tmp_path / "customers.parquet")
    load_table(dsn, "orders", pa.table({"customer_id": pa.array([1], pa.int64())}))
    with pytest.raises(DataError, match="source orders: table orders .* has no column ordered_at"):
        postgres_engine().evaluate(project, locations, AS_OF, dsn=dsn)


def test_no_permission_is_named(tmp_path, pg_dsn):
    project, locations = _project(tmp_path)
    dsn = new_schema(pg_dsn, "rights")
    load_parquet(dsn, "customers", tmp_path / "customers.parquet")
    load_parquet(dsn, "orders", tmp_path / "orders.parquet")
    role = f"reader_{abs(hash(dsn)) % 10**8}"
    schema = psycopg.conninfo.conninfo_to_dict(dsn)["options"].split("=")[1]
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(f"DROP ROLE IF EXISTS {role}")
        pg.execute(f"CREATE ROLE {role} LOGIN")
        pg.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        pg.execute(f"GRANT SELECT ON customers TO {role}")
    try:
        with pytest.raises(DataError, match="source orders: no permission to read table orders"):
            postgres_engine().evaluate(project, locations, AS_OF, dsn=psycopg.conninfo.make_conninfo(dsn, user=role))
    finally:
        with psycopg.connect(dsn, autocommit=True) as pg:
            pg.execute(f"DROP OWNED BY {role}")
            pg.execute(f"DROP ROLE {role}")


def test_duplicate_keys_are_named(tmp_path, pg_dsn):
    project, locations = _project(tmp_path)
    dsn = new_schema(pg_dsn, "dups")
    load_table(dsn, "customers", pa.table({"id": pa.array([1, 1, 2], pa.int64())}))
    load_parquet(dsn, "orders", tmp_path / "orders.parquet")
    with pytest.raises(DataError, match=r"source customers .* e\.g\. 1 \(2 rows\)"):
        postgres_engine().evaluate(project, locations, AS_OF, dsn=dsn)
