"""Values and names from the rules reach every dialect's SQL as data, never as SQL.

Input: a rules project whose string values hold quotes, backslashes, `'; DROP TABLE x; --`,
LIKE wildcards, `$$`, a newline and non-ASCII text, and whose fields (named in backticks) hold
spaces, quotes and semicolons; data with one row made to match each segment.
Output checked, for every dialect of `DIALECTS`:

- the SQL parses back (`sqlglot.parse`) into exactly one statement and nothing that writes
  (no DROP, DELETE, INSERT or raw command);
- its string literals (`exp.Literal` nodes) are exactly those of the statement the compiler
  built, so every value comes back exactly as written; its quoted identifiers name the fields
  exactly;
- transpiled back to DuckDB, it selects exactly the rows each segment was made for.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

import segdsl
from segdsl.api import resolve_as_of
from segdsl.compiler import adapt, build, plan
from segdsl.compiler.plan import walk
from segdsl.dsl import typed as t
from test_dialects import to_duckdb

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark", "databricks", "trino", "redshift")

NAME, OTHER, DROPPER = 'first "name"', "it's; --", 'x"; DROP TABLE y; --'
"""The entity's fields besides its key: a space and double quotes, a quote and a comment,
and an attempt to close a quoted identifier."""

ROWS = [  # customer_id, NAME, OTHER, DROPPER
    (1, "O'Brien", "-", "-"),
    (2, "-", "'; DROP TABLE x; --", "-"),
    (3, "a\\b", "-", "-"),
    (4, "100%_off sale", "-", "-"),
    (5, "costs $$ here", "-", "-"),
    (6, "the end x'); DROP TABLE y; --", "-", "-"),
    (7, "100 percent", 'say "hi"', "-"),
    (8, "a\\'; DROP TABLE z; --", "-", "-"),
    (9, "line\nbreak", "-", "-"),
    (10, "-", "-", "Zoë ✓"),
]

# Block scalars keep YAML out of the way; inside a rule, "..." takes \" and \\ escapes.
RULES = r"""segments:
  - name: irish
    rule: |
      `first "name"` = "O'Brien"
  - name: dropper
    rule: |
      `it's; --` IN ("'; DROP TABLE x; --", 'say "hi"')
  - name: backslash
    rule: |
      `first "name"` = "a\\b"
  - name: backslash_quote
    rule: |
      `first "name"` = "a\\'; DROP TABLE z; --"
  - name: prefix
    rule: |
      `first "name"` STARTS WITH "100%_"
  - name: dollars
    rule: |
      `first "name"` CONTAINS "$$"
  - name: suffix
    rule: |
      `first "name"` ENDS WITH "x'); DROP TABLE y; --"
  - name: two_lines
    rule: |
      `first "name"` = "line\nbreak"
  - name: unicode
    rule: |
      `x"; DROP TABLE y; --` = "Zoë ✓"
"""

VALUES = ["O'Brien", "'; DROP TABLE x; --", 'say "hi"', "a\\b", "a\\'; DROP TABLE z; --", "100%_", "$$",
          "x'); DROP TABLE y; --", "line\nbreak", "Zoë ✓"]
"""The string values of RULES, as the rules mean them."""

EXPECTED = {1: ["irish"], 2: ["dropper"], 3: ["backslash"], 4: ["prefix"], 5: ["dollars"], 6: ["suffix"],
            7: ["dropper"], 8: ["backslash_quote"], 9: ["two_lines"], 10: ["unicode"]}
"""Each row's segments. Row 7 ('100 percent') is not in `prefix`: `%` and `_` are not wildcards."""


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("injection")
    con = duckdb.connect()
    con.execute('CREATE TABLE c (customer_id INTEGER, "first ""name""" VARCHAR, "it\'s; --" VARCHAR, '
                '"x""; DROP TABLE y; --" VARCHAR)')
    con.executemany("INSERT INTO c VALUES (?, ?, ?, ?)", ROWS)
    con.execute("COPY c TO ? (FORMAT parquet)", [str(folder / "customers.parquet")])
    (folder / "segdsl.yml").write_text("entity: customers\nas_of: 2026-11-01\nsources:\n"
                                       "  customers: {path: customers.parquet, key: customer_id}\n",
                                       encoding="utf-8")
    (folder / "rules.yml").write_text(RULES, encoding="utf-8")
    return folder


def _strings(tree: exp.Expression) -> Counter:
    return Counter(node.this for node in tree.find_all(exp.Literal) if node.is_string)


def test_the_rules_mean_the_values(project_dir: Path) -> None:
    # The premise of the tests below: the parser read each value as intended.
    project = segdsl.load(project_dir).checked()
    consts = [node.value for s in project.segments for node in walk(s.rule) if isinstance(node, t.Const)]
    assert consts == VALUES
    assert set(project.sources["customers"].columns) == {"customer_id", NAME, OTHER, DROPPER}


def test_duckdb_selects_the_rows_each_segment_was_made_for(project_dir: Path) -> None:
    with segdsl.load(project_dir).evaluate() as result:
        assert dict(result.members.fetchall()) == EXPECTED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_values_and_names_parse_back_exactly(project_dir: Path, dialect: str) -> None:
    sql = segdsl.load(project_dir).to_sql(dialect=dialect)
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1
    [tree] = statements
    assert tree.find(exp.Drop, exp.Delete, exp.Insert, exp.Command) is None
    project = segdsl.load(project_dir).checked()
    original = adapt(build(plan(project, resolve_as_of(None, project))), dialect)
    assert set(VALUES) <= set(_strings(tree))
    assert _strings(tree) == _strings(original)
    names = {node.this for node in tree.find_all(exp.Identifier) if node.quoted}
    assert {NAME, OTHER, DROPPER} <= names


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "duckdb"])
def test_transpiled_back_to_duckdb_selects_the_same_rows(project_dir: Path, dialect: str) -> None:
    back = to_duckdb(segdsl.load(project_dir).to_sql(dialect=dialect), dialect)
    con = duckdb.connect()
    con.read_parquet(str(project_dir / "customers.parquet")).create_view("customers")
    assert dict(con.sql(back).fetchall()) == EXPECTED


def test_a_data_path_with_quotes_is_read_as_a_path(project_dir: Path, tmp_path: Path) -> None:
    # The engine names each file in a literal (`read_parquet('...')`): a quote in it stays a quote.
    odd = tmp_path / "it's; DROP TABLE x; --.parquet"
    odd.write_bytes((project_dir / "customers.parquet").read_bytes())
    with segdsl.load(project_dir, {"customers": str(odd)}).evaluate() as result:
        assert dict(result.members.fetchall()) == EXPECTED
