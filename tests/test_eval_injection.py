"""Hostile names and values reach the database as data, never as SQL.

A project whose entity columns are named with spaces, quotes of every kind, semicolons, SQL
comment markers, SQL keywords, mixed case and accents; whose key and event columns are as
bad; whose rules compare with strings like `'; DROP TABLE x; --`; and whose files live in a
folder with spaces and quotes in its name. It must evaluate to exactly what the reference
interpreter says and what is worked out by hand below, and its compiled SQL must parse back, in
every dialect, as one statement with the same identifiers and string literals. (Values in
every dialect, LIKE wildcards and backslashes included, are the subject of
test_compile_injection.py; this file is about evaluating such a project end to end.)

Rules name such columns in backticks (docs/language.md); `select`, `order`, `group` and
`MixedCase` are plain words to segdsl, so they are also used bare. A column whose name holds a
backtick cannot be written in a rule, but may still be the key.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

import segdsl
from eval_projects import clean, members, segdsl as run_segdsl, write_parquet, write_project
from harness import yaml_scalar
from segdsl.reference import Data, Membership, evaluate

KEY = 'customer `id`; "x"'

CUSTOMERS: dict[str, list] = {
    KEY: [1, 2, 3, 4, 5, 6],
    "full name": ["O'Brien", 'say "hi"', "'; DROP TABLE x; --", "back\\slash", "back`tick", None],
    "it's": [1, 5, 10, None, 7, 2],
    "a;b": [1.5, 2.5, 3.5, 4.5, 0.5, None],
    "select": [1, 2, 3, 4, 5, 6],
    "order": ["x", "y", "x", "z", "x", None],
    "group": [True, False, True, None, True, False],
    "MixedCase": [10, 20, 30, 40, 50, 60],
    "/* x */": [0, 1, 2, 3, 0, 0],
    "-- y": [0, 0, 0, 0, 1, 0],
    "città": ["Zürich", "l'Aquila", "a`b", "Roma", None, "zürich"],
}

ORDERS: dict[str, list] = {
    'who "id"': [1, 2, 5, 5, 6],
    "when; at": [dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 2), dt.datetime(2025, 1, 1),
                 dt.datetime(2026, 10, 3), dt.datetime(2026, 9, 30)],
    "kind of": ["it's", "its", "it's", "it's", "it's"],
}

FOLDER = "it's a \"dir\"; with spaces"

SETTINGS = f"""\
entity: customers
as_of: 2026-11-01
sources:
  customers: {{path: {yaml_scalar(FOLDER + "/customers $1.parquet")}, key: {yaml_scalar(KEY)}}}
  orders: {{path: {yaml_scalar(FOLDER + "/orders.parquet")}, key: 'who "id"', time: "when; at"}}
metrics:
  kind_90d: {yaml_scalar('count(orders where `kind of` = "it' + "'" + 's") over 90d')}
"""

SEGMENTS: dict[str, tuple[str, list[int]]] = {
    # name: (rule, the keys it matches, worked out by hand from CUSTOMERS and ORDERS)
    "keywords": ("select > 2 AND `order` = x", [3, 5]),
    "keywords_bare": ("order = x AND group", [1, 3, 5]),
    "injected": ("`full name` = \"'; DROP TABLE x; --\" OR `full name` = \"O'Brien\"", [1, 3]),
    "quotes": ("`full name` = 'say \"hi\"' OR `full name` CONTAINS \"'\"", [1, 2, 3]),
    "backslash": ('`full name` STARTS WITH "back\\\\"', [4]),
    "punctuation": ("`it's` >= 5 AND `a;b` < 3", [2, 5]),
    "mixed_case": ("MixedCase >= 20 AND `group`", [3, 5]),
    "comment_markers": ("`/* x */` > 1 OR `-- y` = 1", [3, 4, 5]),
    "accents": ("`città` IN ('Zürich', \"l'Aquila\", 'a`b')", [1, 2, 3]),
    "events": ("kind_90d >= 1", [1, 5, 6]),
    "field_on_the_right": ("`select` < `it's`", [2, 3, 5]),
}

RULES = "segments:\n" + "".join(f"  - name: {name}\n    rule: {yaml_scalar(rule)}\n"
                                for name, (rule, _) in SEGMENTS.items()) + """\
layers:
  - name: size
    tiers:
      - name: big
        rule: "`a;b` >= 3"
      - name: small
        else: true
"""

DIALECTS = ["duckdb", "postgres", "snowflake", "bigquery", "spark", "databricks", "trino", "redshift", "mysql",
            "tsql", "sqlite", "clickhouse", "oracle"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "project"
    write_parquet(folder / FOLDER / "customers $1.parquet", CUSTOMERS)
    write_parquet(folder / FOLDER / "orders.parquet", ORDERS)
    return write_project(folder, SETTINGS, RULES)


def test_the_names_and_paths_are_as_hostile_as_intended(project: Path) -> None:
    """DuckDB reads every column under its own name (it would rename one that clashes)."""
    relation = duckdb.read_parquet(str(project / FOLDER / "customers $1.parquet"))
    assert relation.columns == list(CUSTOMERS)


def test_members_match_the_hand_worked_keys(project: Path) -> None:
    with segdsl.load(project).evaluate() as result:
        assert result.members.columns == [KEY, "segments", "size"]
        rows = result.members.fetchall()
    assert [key for key, *_ in rows] == CUSTOMERS[KEY]
    for name, (rule, expected) in SEGMENTS.items():
        assert [key for key, paths, _ in rows if name in paths] == expected, rule
    assert [key for key, _, size in rows if size == "big"] == [3, 4]


def test_members_match_the_reference_interpreter(project: Path) -> None:
    checked = segdsl.load(project).check()
    assert checked.ok, [d.message for d in checked.diagnostics]
    entity = [dict(zip(CUSTOMERS, values)) for values in zip(*CUSTOMERS.values())]
    events = {"orders": [dict(zip(ORDERS, values)) for values in zip(*ORDERS.values())]}
    expected = evaluate(checked.project, Data(entity, events), dt.datetime(2026, 11, 1))
    with segdsl.load(project).evaluate() as result:
        got = [Membership(key, tuple(paths), {"size": size}, {}) for key, paths, size in result.members.fetchall()]
    assert got == expected


def test_the_command_with_a_hostile_data_path(project: Path, tmp_path: Path) -> None:
    """`--data` with spaces and quotes, and an output folder named as badly."""
    out = tmp_path / "out 'put'; \"x\""
    data = project / FOLDER / "customers $1.parquet"
    result = run_segdsl("eval", project, "--data", f"customers={data}", "--out", out, "--format", "csv",
                        "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    rows = members(out / "members.csv")
    assert [key for key, *_ in rows] == CUSTOMERS[KEY]
    assert (out / "members.csv").read_text(encoding="utf-8").splitlines()[0] == '"customer `id`; ""x""",segments,size'


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_sql_parses_back_as_one_statement(project: Path, dialect: str) -> None:
    sql = segdsl.load(project).to_sql(dialect)
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1 and isinstance(statements[0], exp.Query)
    [statement] = statements
    identifiers = {node.name for node in statement.find_all(exp.Identifier)}
    assert set(CUSTOMERS) | {'who "id"', "when; at", "kind of"} <= identifiers
    strings = {node.this for node in statement.find_all(exp.Literal) if node.is_string}
    assert {"'; DROP TABLE x; --", "O'Brien", 'say "hi"', "l'Aquila", "a`b", "it's"} <= strings
    # And the same SQL, printed again from what was parsed, is unchanged: nothing was cut or merged.
    assert statement.sql(dialect=dialect) == sqlglot.parse_one(statement.sql(dialect=dialect), read=dialect).sql(
        dialect=dialect)


# --- names that clash with the members output ----------------------------------------------


def clash_project(folder: Path, key: str, layer: str) -> Path:
    write_parquet(folder / "c.parquet", {key: [1, 2, 3], "x": [1, 2, 3]})
    settings = f"entity: customers\nas_of: 2026-11-01\nsources:\n  customers: {{path: c.parquet, key: {key}}}\n"
    rules = ("segments:\n  - name: a\n    rule: x >= 2\nlayers:\n"
             f"  - name: {layer}\n    tiers:\n      - name: hi\n        rule: x = 3\n      - name: lo\n"
             "        else: true\n")
    return write_project(folder, settings, rules)


def test_a_key_named_segments_is_a_rule_error(tmp_path: Path) -> None:
    result = run_segdsl("eval", ".", "--quiet", cwd=clash_project(tmp_path, "segments", "band"))
    assert result.returncode == 1 and clean(result)
    assert "E011" in result.stderr


def test_a_layer_named_like_the_key_but_for_case_is_a_rule_error(tmp_path: Path) -> None:
    result = run_segdsl("eval", ".", "--quiet", cwd=clash_project(tmp_path, "ID", "id"))
    assert result.returncode == 1 and clean(result)
    assert "E011" in result.stderr
