"""`segdsl eval --engine`: choosing where the SQL runs, and the options each engine takes.

The engines' own results are tested in test_engine_spark.py and test_engine_postgres.py; here,
the plumbing they share: option checks, usage errors, a missing optional dependency.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import segdsl
from eval_projects import ROOT
from segdsl.api import UsageError
from segdsl.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("args, message", [
    (["--engine", "spark", "--dsn", "postgresql://x"], "--dsn does not apply to --engine spark"),
    (["--engine", "postgres"], "--engine postgres needs --dsn"),
    (["--engine", "postgres", "--dsn", "postgresql://x", "--master", "local[2]"],
     "--master does not apply to --engine postgres"),
    (["--into", "public.members"], "--into does not apply to --engine duckdb"),
    (["--engine", "spark", "--threads", "2"], "--threads does not apply to --engine spark"),
    (["--engine", "oracle"], "'oracle' is not one of"),
])
def test_options_of_another_engine_are_usage_errors(tmp_path, args, message):
    result = run("eval", str(ROOT / "rules"), "--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_several_points_run_on_duckdb_only(tmp_path):
    with pytest.raises(UsageError, match="duckdb engine only"):
        segdsl.load(ROOT / "rules").evaluate(as_of="2026-01-01,2026-02-01", engine="spark")


def test_an_unknown_engine_in_the_api_is_a_usage_error():
    with pytest.raises(UsageError, match="known: duckdb, spark, postgres"):
        segdsl.load(ROOT / "rules").evaluate(engine="oracle")


def test_a_missing_optional_dependency_says_how_to_install_it(monkeypatch):
    import segdsl.engine as engines

    def missing(name):
        raise ModuleNotFoundError("No module named 'pyspark'", name="pyspark")

    monkeypatch.setattr(engines, "engine_module", missing)
    with pytest.raises(UsageError, match=r"needs pyspark installed: pip install 'segdsl\[spark\]'"):
        segdsl.load(ROOT / "rules").evaluate(engine="spark")


def test_duckdb_options_still_reach_duckdb(tmp_path):
    result = run("eval", str(ROOT / "rules"), "--out", str(tmp_path / "out"), "--threads", "1", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "members.parquet").is_file()
