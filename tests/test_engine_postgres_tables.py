"""The postgres engine on a project whose data lives only in PostgreSQL: its schemas come from
the server's catalog, and a missing table is a diagnostic at its source.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from pg_server import pg_dsn  # noqa: F401 - a fixture
from segdsl import api
from segdsl.cli import cli
from test_engine_postgres import ROOT, _counts, examples_dsn  # noqa: F401 - examples_dsn is a fixture


def _tables_only(tmp_path: Path) -> Path:
    """The shipped rules/ project with its data files gone: the sources exist only as tables."""
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder)
    settings = (folder / "segdsl.yml").read_text(encoding="utf-8").replace("../examples/data/", "nowhere/")
    (folder / "segdsl.yml").write_text(settings, encoding="utf-8")
    return folder


def test_a_project_whose_data_lives_only_in_postgres_checks_against_the_tables(tmp_path, examples_dsn):
    folder = _tables_only(tmp_path)
    result = CliRunner().invoke(cli, ["eval", str(folder), "--engine", "postgres", "--dsn", examples_dsn,
                                      "--out", str(tmp_path / "pg"), "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    with api.Project(ROOT / "rules").evaluate() as duck:
        expected = _counts(duck.tree)
    tree = json.loads(result.stdout)
    outside_git = ("inputs", "rules")  # the copy is in no git repository
    assert {k: v for k, v in _counts(tree).items() if k not in outside_git} == \
        {k: v for k, v in expected.items() if k not in outside_git}
    assert {name: spec["rows"] for name, spec in tree["inputs"].items()} == \
        {name: spec["rows"] for name, spec in expected["inputs"].items()}
    assert all(spec["fingerprint"] is None and spec["format"] == "postgres" for spec in tree["inputs"].values())


def test_a_missing_table_is_a_diagnostic_at_the_source(tmp_path, examples_dsn):
    folder = _tables_only(tmp_path)
    result = CliRunner().invoke(cli, ["eval", str(folder), "--engine", "postgres", "--dsn", examples_dsn,
                                      "--data", "orders=no_such_orders", "--out", str(tmp_path / "pg")])
    assert result.exit_code == 1
    assert "error[E401]" in result.output and "no_such_orders does not exist" in result.output
    assert "segdsl.yml:" in result.output
    assert not (tmp_path / "pg").exists()
