"""`segdsl init [DIR]`: a rules project with sample data that check, test, eval and fmt accept.

The scaffold is written once per module into a temporary folder and exercised through the CLI
in-process (click's `CliRunner`). Expected numbers come from the scaffold's own files read
independently (the CSV rows counted with the `csv` module), from the rules read by hand (the
rule tests, cross-checked with the reference interpreter), or from the contract itself (exit
codes, nothing overwritten, the same bytes on every run).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
from pathlib import Path

import duckdb
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

import segdsl
from segdsl.api import resolve_as_of
from segdsl.cli import cli
from segdsl.reference import Data, evaluate
from segdsl.schema import build_schema

EXPECTED_FILES = {
    "segdsl.yml", "rules/segments.yml", "README.md", ".gitignore", "schema/segdsl.schema.json",
    "data/customers.csv", "data/orders.csv",
}


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def files_below(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh scaffold, written by `segdsl init`."""
    root = tmp_path_factory.mktemp("init") / "segments"
    result = invoke("init", str(root))
    assert result.exit_code == 0, result.output
    return root


# --- what it writes -----------------------------------------------------------------------


def test_init_writes_the_scaffold_and_says_what_to_run_next(tmp_path: Path) -> None:
    result = invoke("init", str(tmp_path / "p"))
    assert result.exit_code == 0
    assert set(files_below(tmp_path / "p")) == EXPECTED_FILES
    for file in EXPECTED_FILES:
        assert f"wrote {Path(tmp_path, 'p', file)}\n" in result.output
    assert "segdsl eval" in result.output and "segdsl check" in result.output
    assert result.stderr == ""


def test_the_rules_have_macro_and_micro_segments_a_layer_with_else_a_microsegment_and_tests(
        project: Path) -> None:
    rules = yaml.safe_load((project / "rules" / "segments.yml").read_text(encoding="utf-8"))
    assert len(rules["segments"]) >= 2 and all(s.get("segments") for s in rules["segments"])
    assert any(tier.get("else") for layer in rules["layers"] for tier in layer["tiers"])
    assert rules["microsegments"]
    assert 4 <= len(rules["tests"]) <= 6
    names = [test["name"] for test in rules["tests"]]
    assert len(set(names)) == len(names)


def test_the_gitignore_keeps_eval_outputs_out_of_git(project: Path) -> None:
    assert "out/" in (project / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_each_yaml_file_points_its_editor_at_the_schema_beside_it(project: Path) -> None:
    for name in ("segdsl.yml", "rules/segments.yml"):
        file = project / name
        first = file.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, first
        schema = json.loads((file.parent / match.group(1)).read_text(encoding="utf-8"))
        assert schema == build_schema("both")


def test_the_yaml_files_validate_against_the_schema(project: Path) -> None:
    schema = build_schema("both")
    for name in ("segdsl.yml", "rules/segments.yml"):
        doc = yaml.safe_load((project / name).read_text(encoding="utf-8"))
        jsonschema.validate(_as_json(doc), schema)


def _as_json(value):
    """A YAML document as the editor's language server sees it: dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_the_readme_and_the_docs_count_the_sample_rows(project: Path) -> None:
    customers, orders = len(csv_rows(project, "customers")), len(csv_rows(project, "orders"))
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert f"{customers} customers and {orders} orders" in readme
    docs = (Path(__file__).resolve().parent.parent / "docs" / "init.md").read_text(encoding="utf-8")
    assert f"| {customers} customers:" in docs and f"| {orders} orders:" in docs


# --- the other commands accept it at once -------------------------------------------------


def csv_rows(root: Path, name: str) -> list[dict[str, str]]:
    with open(root / "data" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_check_finds_nothing(project: Path) -> None:
    result = invoke("check", str(project))
    assert (result.exit_code, result.output) == (0, "no problems\n")


def test_eval_segments_every_sample_customer(project: Path, tmp_path: Path) -> None:
    result = invoke("eval", str(project), "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 0, result.output
    keys = duckdb.sql(f"SELECT customer_id FROM '{tmp_path / 'out' / 'members.parquet'}'").fetchall()
    expected = {int(row["customer_id"]) for row in csv_rows(project, "customers")}
    assert len(keys) == len(expected) == 50
    assert {key for (key,) in keys} == expected


def test_every_segment_tier_and_microsegment_of_the_sample_has_members(project: Path) -> None:
    # A scaffold whose sample leaves a segment empty would show nothing about that rule.
    with segdsl.load(project).evaluate() as result:
        tree = result.tree

    def walk(segments):
        for segment in segments:
            yield segment
            yield from walk(segment["segments"])

    assert all(s["count"] > 0 for s in walk(tree["segments"])), tree["segments"]
    assert all(t["count"] > 0 for layer in tree["layers"] for t in layer["tiers"])
    assert all(m["count"] > 0 for m in tree["microsegments"])


def test_the_sample_has_no_event_after_as_of_and_orders_of_known_customers(project: Path) -> None:
    customers = {row["customer_id"] for row in csv_rows(project, "customers")}
    orders = csv_rows(project, "orders")
    assert 200 <= len(orders) <= 400
    assert {row["customer_id"] for row in orders} <= customers
    assert max(dt.datetime.fromisoformat(row["ordered_at"]) for row in orders) < dt.datetime(2026, 11, 1)


def test_the_rules_are_in_canonical_form(project: Path) -> None:
    result = invoke("fmt", str(project), "--check")
    assert (result.exit_code, result.output) == (0, "")


def test_segdsl_test_passes(project: Path) -> None:
    result = invoke("test", str(project))
    assert result.exit_code == 0, result.output


def test_segdsl_test_really_runs_the_scaffold_tests(project: Path, tmp_path: Path) -> None:
    # One expectation turned wrong must fail, or the passing run above proves nothing.
    copy = tmp_path / "copy"
    for relative, data in files_below(project).items():
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        (copy / relative).write_bytes(data)
    rules = copy / "rules" / "segments.yml"
    text = rules.read_text(encoding="utf-8")
    wrong = text.replace("layers: {lifecycle: lapsing, value: high}", "layers: {lifecycle: churned, value: high}")
    assert wrong != text
    rules.write_text(wrong, encoding="utf-8")
    result = invoke("test", str(copy))
    assert result.exit_code == 1


def test_the_rule_tests_hold_in_the_reference_interpreter(project: Path) -> None:
    """Each rule test's expectations, written by hand, against the meaning of the rules."""
    checked = segdsl.load(project).checked()
    tests = yaml.safe_load((project / "rules" / "segments.yml").read_text(encoding="utf-8"))["tests"]
    for test in tests:
        given = test["given"]
        row = {checked.key: 1, **given["customers"]}
        # The orders' time column is a timestamp: a date there means its midnight.
        orders = [{"customer_id": 1, **{k: _midnight(v) for k, v in event.items()}}
                  for event in given.get("orders", [])]
        as_of = resolve_as_of(test.get("as_of"), checked)
        [got] = evaluate(checked, Data(entity=[row], events={"orders": orders}), as_of)
        expect = test["expect"]
        assert set(expect.get("in", [])) <= set(got.segments), test["name"]
        assert not set(expect.get("not_in", [])) & set(got.segments), test["name"]
        for layer, tier in expect.get("layers", {}).items():
            assert got.tiers[layer] == tier, test["name"]
        for name, key in expect.get("microsegments", {}).items():
            assert got.microsegments[name] == key, test["name"]


def _midnight(value):
    return dt.datetime.combine(value, dt.time()) if type(value) is dt.date else value


# --- refusing to overwrite, and where it may write -----------------------------------------


def test_an_existing_file_stops_it_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "segdsl.yml").write_text("entity: mine\n", encoding="utf-8")
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 2
    assert "segdsl.yml" in result.stderr and "nothing was written" in result.stderr
    assert files_below(tmp_path) == {"segdsl.yml": b"entity: mine\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["segdsl.yml"]


def test_every_file_in_the_way_is_named(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# mine\n", encoding="utf-8")
    (tmp_path / "schema").write_text("a file where a folder goes\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.csv").write_text("id\n1\n", encoding="utf-8")
    before = files_below(tmp_path)
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 2
    message = result.stderr.split(";")[0]
    assert message.endswith("already holds README.md, data/orders.csv, schema")
    assert files_below(tmp_path) == before


def test_unrelated_files_stay_and_the_scaffold_goes_beside_them(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "other.csv").write_text("x\n1\n", encoding="utf-8")
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert set(files_below(tmp_path)) == EXPECTED_FILES | {"notes.txt", "data/other.csv"}
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me\n"


def test_yaml_files_already_there_are_warned_about(tmp_path: Path) -> None:
    # segdsl reads every .yml file below a project as rules, so they would break `check`.
    (tmp_path / "docker-compose.yml").write_text("services: {}\n", encoding="utf-8")
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "docker-compose.yml" in result.stderr


def test_a_new_nested_folder_is_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "segments"
    result = invoke("init", str(target))
    assert result.exit_code == 0, result.output
    assert set(files_below(target)) == EXPECTED_FILES


def test_the_current_folder_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("init")
    assert result.exit_code == 0
    assert set(files_below(tmp_path)) == EXPECTED_FILES
    assert "cd " not in result.output  # already there


def test_a_file_as_the_target_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x\n", encoding="utf-8")
    for target in (tmp_path / "taken", tmp_path / "taken" / "below"):
        result = invoke("init", str(target))
        assert result.exit_code == 2
        assert "is a file" in result.stderr
    assert files_below(tmp_path) == {"taken": b"x\n"}


def test_a_write_that_fails_midway_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import segdsl.scaffold as scaffold_module

    real_replace, calls = os.replace, []

    def failing_replace(source, destination):
        calls.append(destination)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real_replace(source, destination)

    monkeypatch.setattr(scaffold_module.os, "replace", failing_replace)
    (tmp_path / "notes.txt").write_text("keep me\n", encoding="utf-8")
    target = tmp_path / "new" / "segments"
    result = invoke("init", str(target))
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr and "nothing was written" in result.stderr
    assert len(calls) == 4  # three files were in place before the failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_scaffold_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path / "one")).exit_code == 0
    assert invoke("init", str(tmp_path / "two")).exit_code == 0
    one, two = files_below(tmp_path / "one"), files_below(tmp_path / "two")
    assert one.keys() == two.keys() == EXPECTED_FILES
    assert one == two


def test_help_names_the_command() -> None:
    result = invoke("--help")
    assert re.search(r"^\s+init\s+Scaffold a rules project", result.output, re.MULTILINE)
