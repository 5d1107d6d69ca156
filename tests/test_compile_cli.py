"""`segdsl compile` (SPEC §4): prints the SQL, or any earlier stage, of a rules project.

Input: the shipped `rules/` project (data in `examples/data/`), a check case with a rule error.
Output checked: exit codes (0 ok, 1 rule errors, 2 usage errors), which stream gets what, and
that what is printed is what the stage means: SQL that DuckDB can plan against the example
data, one statement per dialect, only the asked-for segment with `--segment`, and the AST,
typed and plan dumps with what sets each stage apart. Every command runs through the real
entry point in a subprocess, as the console script runs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

import segdsl

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"
DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark", "databricks", "trino", "redshift")

# What the `segdsl` console script runs (`segdsl = "segdsl.cli:main"`), named `segdsl` as it is.
ENTRY_POINT = "import sys; sys.argv[0] = 'segdsl'; from segdsl.cli import main; main()"


def segdsl_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, as the console script does."""
    return subprocess.run([sys.executable, "-c", ENTRY_POINT, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def ok(*args: str) -> str:
    """stdout of a command that must succeed quietly."""
    result = segdsl_cli(*args)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout


# --- SQL -----------------------------------------------------------------------------------


def test_default_dialect_is_duckdb_and_duckdb_can_plan_it() -> None:
    sql = ok("compile", "rules")
    assert sql == segdsl.load(ROOT / "rules").to_sql(dialect="duckdb") + "\n"
    con = duckdb.connect()
    for name in ("customers", "orders", "app_events"):  # the sources of rules/segdsl.yml
        con.read_parquet(str(DATA / f"{name}.parquet")).create_view(name)
    [(_, plan)] = con.execute("EXPLAIN " + sql).fetchall()
    assert "PARQUET_SCAN" in plan  # bound to the example files
    assert "PARTITION" in plan  # the layer's ntile ranks in a window


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_prints_one_statement(dialect: str) -> None:
    sql = ok("compile", "rules", "--dialect", dialect)
    assert sql == segdsl.load(ROOT / "rules").to_sql(dialect=dialect) + "\n"
    assert len(sqlglot.parse(sql, read=dialect)) == 1


def test_as_of_is_the_projects_unless_given() -> None:
    # The project's as_of (2026-11-01) unless --as-of says otherwise.
    up_to = "ordered_at <= CAST('{} 00:00:00' AS TIMESTAMP)"  # events after as_of never count
    assert up_to.format("2026-11-01") in ok("compile", "rules")
    moved = ok("compile", "rules", "--as-of", "2026-12-01")
    assert up_to.format("2026-12-01") in moved and up_to.format("2026-11-01") not in moved


def test_segment_narrows_to_that_segment_and_its_parent() -> None:
    sql = ok("compile", "rules", "--segment", "tech/power_buyers")
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert [e.alias_or_name for e in tree.expressions] == ["customer_id", "segments"]
    paths = {lit.this for lit in tree.expressions[1].find_all(exp.Literal) if lit.is_string}
    assert paths == {"tech", "tech/power_buyers"}
    computed = {e.alias for cte in tree.ctes for e in cte.this.expressions if e.alias}
    assert {c for c in computed if c.startswith(("segment_", "metric_", "layer_", "microsegment_"))} == {
        "segment_tech", "segment_tech__power_buyers", "metric_purchase_freq"}


def test_an_unknown_segment_is_a_usage_error_with_a_suggestion() -> None:
    result = segdsl_cli("compile", "rules", "--segment", "tech/power_buyer")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("segdsl: --segment: no segment 'tech/power_buyer' "
                             "(did you mean 'tech/power_buyers'?)\n")


def test_a_segment_like_no_other_is_a_usage_error() -> None:
    result = segdsl_cli("compile", "rules", "--segment", "nope")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("segdsl: --segment: no segment 'nope'")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("dialect", "suggestion"), [("nope", ""), ("postgress", " (did you mean 'postgres'?)")])
def test_an_unknown_dialect_is_a_usage_error(dialect: str, suggestion: str) -> None:
    result = segdsl_cli("compile", "rules", "--dialect", dialect)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"segdsl: --dialect: unknown dialect '{dialect}'{suggestion}; known: ")
    assert "duckdb" in result.stderr and "snowflake" in result.stderr


def test_a_rule_error_exits_1_with_the_diagnostics_on_stderr() -> None:
    result = segdsl_cli("compile", "tests/cases/check/unknown_layer")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("tests/cases/check/unknown_layer/rules.yml:21:14: error[E205]: "
                                    "unknown layer 'plan_teir' (did you mean 'plan_tier'?)\n")
    assert result.stderr.endswith("2 errors\n")


# --- the other stages ----------------------------------------------------------------------


def test_emit_sql_is_the_default() -> None:
    assert ok("compile", "rules", "--emit", "sql") == ok("compile", "rules")


def test_emit_ast_keeps_literals_as_written() -> None:
    out = ok("compile", "rules", "--emit", "ast")
    assert "metric orders_30d:\nAggregate(" in out
    assert "Rate(amount=4, unit='mo', text='4/mo')" in out  # tech/power_buyers: purchase_freq > 4/mo
    assert "SELECT" not in out and "Offset(" not in out


def test_emit_typed_has_types_and_no_unit_strings() -> None:
    out = ok("compile", "rules", "--emit", "typed")
    assert "metric orders_30d: number\n" in out
    assert "Offset(months=0, seconds=2592000.0)" in out  # 30d
    assert "per_days=30.4375" in out  # purchase_freq: ... per month
    assert "unit=" not in out and "text=" not in out and "SELECT" not in out


def test_emit_plan_has_the_scans_and_levels() -> None:
    out = ok("compile", "rules", "--emit", "plan")
    assert out.startswith("as_of 2026-11-01T00:00:00\nentity customers: customer_id, ")
    assert "aggregation orders_aggregates over orders by customer_id" in out
    assert "\nlevel 1\n" in out and "SELECT" not in out


def test_emit_plan_is_narrowed_by_segment() -> None:
    out = ok("compile", "rules", "--emit", "plan", "--segment", "tech/power_buyers")
    assert "segment_tech__power_buyers: segment" in out
    assert "segment_enterprise" not in out and "layer_" not in out and "app_events" not in out


def test_an_unknown_stage_is_a_usage_error() -> None:
    result = segdsl_cli("compile", "rules", "--emit", "tokens")
    assert (result.returncode, result.stdout) == (2, "")
    assert "Invalid value for '--emit'" in result.stderr
