"""Several `--as-of` points in one pass: parsing, the one statement, and its results.

The results of a multi-point evaluation are checked against evaluations at each point alone
(the single-point engine, itself checked against the reference interpreter elsewhere) on the
shipped projects, and against the reference interpreter directly on random projects.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from sqlglot import exp

from eval_projects import ROOT, clean, members, segdsl, shop
from harness import engine_memberships, load_and_check
from rule_strategies import cases, schemas, write_parquet
from segdsl.api import Results, UsageError, load
from segdsl.compiler import plan
from segdsl.compiler.as_of import MAX_POINTS, PointsError, parse_points, point_name
from segdsl.compiler.points import build_points
from segdsl.engine import local
from segdsl.engine.sources import Location
from segdsl.reference import Data, evaluate

D = dt.datetime


# --- parsing -----------------------------------------------------------------------------


def test_a_single_time_is_single():
    points = parse_points("2026-11-01")
    assert points.times == (D(2026, 11, 1),) and points.single


def test_a_list_is_sorted_and_deduplicated():
    points = parse_points("2026-04-01, 2026-01-01,2026-04-01")
    assert points.times == (D(2026, 1, 1), D(2026, 4, 1)) and not points.single


def test_a_monthly_range_includes_its_end():
    assert parse_points("2026-01-01..2026-04-01/1mo").times == tuple(D(2026, m, 1) for m in range(1, 5))


def test_an_end_off_the_step_is_not_a_point():
    assert parse_points("2026-01-01..2026-01-20/1w").times == (D(2026, 1, 1), D(2026, 1, 8), D(2026, 1, 15))


def test_months_clamp_to_the_month_end_and_count_from_the_start():
    # Each point is START + k months: 01-31, then 02-28 (clamped), then back to 03-31, not 03-28.
    times = parse_points("2026-01-31..2026-05-31/1mo").times
    assert times == (D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31))
    assert parse_points("2024-02-29..2028-02-29/1y").times == (
        D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29))


def test_days_weeks_and_times_of_day():
    times = parse_points("2026-03-01T06:00..2026-03-15T06:00/7d").times
    assert times == (D(2026, 3, 1, 6), D(2026, 3, 8, 6), D(2026, 3, 15, 6))
    assert parse_points("2026-03-01..2026-03-29/2w").times == (D(2026, 3, 1), D(2026, 3, 15), D(2026, 3, 29))


def test_point_names():
    assert point_name(D(2026, 1, 1)) == "2026-01-01"
    assert point_name(D(2026, 1, 1, 6)) == "2026-01-01T06-00-00"


@pytest.mark.parametrize("text, says", [
    ("2026-01-01..2026-04-01", "needs a step"),
    ("2026-01-01..2026-04-01/1q", "not a step"),
    ("2026-01-01..2026-04-01/0d", "not a step"),
    ("2026-04-01..2026-01-01/1mo", "ends before it starts"),
    ("2026-13-01,2026-01-01", "not a date or time"),
    ("2026-01-01..soon/1d", "not a date or time"),
    ("2026-01-01,", "not a date or time"),
    ("2000-01-01..2026-01-01/1d", f"more than the {MAX_POINTS}"),
])
def test_bad_points_say_what_is_wrong_with_an_example(text, says):
    with pytest.raises(PointsError, match=says) as info:
        parse_points(text)
    assert "e.g." in str(info.value) or "step or a shorter range" in str(info.value)


def test_the_cli_reports_bad_points_as_a_usage_error(tmp_path):
    result = segdsl("eval", ROOT / "rules", "--as-of", "2026-01-01..2026-04-01/1q", "--out", tmp_path / "out")
    assert result.returncode == 2 and clean(result)
    assert "--as-of" in result.stderr and "1mo" in result.stderr
    assert not (tmp_path / "out").exists()


# --- the one statement -------------------------------------------------------------------


def test_one_aggregation_scan_per_event_source_for_any_number_of_points():
    project = load(ROOT / "examples" / "gaming_lifecycle").checked()
    times = [D(2026, m, 1) for m in range(1, 12)]
    relations = {name: exp.Table(this=exp.Identifier(this=f"src_{name}", quoted=True)) for name in project.sources}
    statement = build_points([plan(project, when) for when in times], relations).statement
    read = [node.name for node in statement.find_all(exp.Table) if node.name.startswith("src_")]
    assert sorted(read) == sorted(f"src_{name}" for name in project.sources)  # each source read once
    groups = list(statement.find_all(exp.Group))
    events = [name for name, source in project.sources.items() if source.time is not None]
    assert len(groups) == len(events) == 2
    # each scan computes every aggregate once per point, with that point's bounds
    single = build_points([plan(project, times[0])], relations).statement
    width = lambda query: sum(len(group.parent.expressions) - 1 for group in query.find_all(exp.Group))  # noqa: E731
    assert width(statement) == len(times) * width(single)
    scans = "\n".join(group.parent.sql("duckdb") for group in statement.find_all(exp.Group))
    assert all(f"<= CAST('{when.isoformat(sep=' ')}' AS TIMESTAMP)" in scans for when in times)


def test_rankings_rank_within_each_point(tmp_path):
    """A ranking over all points at once would give different tiers than each point alone."""
    _compare(ROOT / "rules", [D(2026, 5, 1), D(2026, 8, 15), D(2026, 11, 1)])


# --- results equal one evaluation per point ------------------------------------------------


def _compare(folder: Path, times: list[dt.datetime]) -> None:
    project = load(folder)
    with project.evaluate(as_of=times) as many:
        assert isinstance(many, Results) and [r.tree["as_of"] for r in many.points] == [w.isoformat() for w in times]
        for when, point in zip(times, many.points, strict=True):
            with load(folder).evaluate(as_of=when) as one:
                assert point.members.fetchall() == one.members.fetchall(), when
                assert _untimed(point.tree) == _untimed(one.tree), when


def _untimed(tree: dict) -> dict:
    return {key: value for key, value in tree.items() if key != "timings"}


EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/segdsl.yml"))


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_points_equal_separate_evaluations(example):
    assert "gaming_lifecycle" in EXAMPLES
    _compare(ROOT / "examples" / example, [D(2026, 2, 28), D(2026, 6, 1, 12), D(2026, 11, 1)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_random_projects_equal_the_reference_at_every_point(case):
    project, diagnostics, _ = load_and_check(case.files, schemas(case.entity))
    if any(d.is_error for d in diagnostics):
        return
    times = sorted({case.as_of, case.as_of - dt.timedelta(days=45), case.as_of + dt.timedelta(days=10, hours=3)})
    with tempfile.TemporaryDirectory(prefix="segdsl-points-") as folder:
        paths = write_parquet(Path(folder), case.entity, case.orders)
        locations = {name: Location(str(path), "parquet") for name, path in paths.items()}
        points = local.evaluate_points(project, locations, times, threads=1)
        try:
            for when, evaluation in zip(times, points.evaluations, strict=True):
                reference = evaluate(project, Data(case.entity, {"orders": case.orders}), when)
                by_key = lambda m: m.key  # noqa: E731 - the reference keeps the rows' order, the engine sorts
                assert engine_memberships(evaluation, project) == sorted(reference, key=by_key), when
        finally:
            points.close()


# --- outputs -------------------------------------------------------------------------------


def test_the_cli_writes_a_folder_per_point(tmp_path):
    folder = shop(tmp_path / "shop")
    out = tmp_path / "out"
    result = segdsl("eval", folder, "--as-of", "2026-09-01,2026-11-01T06:00", "--out", out,
                    "--members-format", "csv")
    assert result.returncode == 0 and clean(result), result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["2026-09-01", "2026-11-01T06-00-00"]
    for name, when in (("2026-09-01", "2026-09-01"), ("2026-11-01T06-00-00", "2026-11-01T06:00:00")):
        alone = tmp_path / f"alone-{name}"
        assert segdsl("eval", folder, "--as-of", when, "--out", alone, "--members-format", "csv").returncode == 0
        assert (out / name / "members.csv").read_bytes() == (alone / "members.csv").read_bytes()
        tree = json.loads((out / name / "segments.json").read_text())
        assert _untimed(tree) == _untimed(json.loads((alone / "segments.json").read_text()))
        assert len(tree["rules_hash"]) == 64
    # the terminal shows one compact table per level, a row per point, not a tree per point
    assert "2026-09-01" in result.stdout and "2026-11-01T06:00:00" in result.stdout


def test_a_failed_multi_point_write_leaves_the_previous_run(tmp_path):
    folder = shop(tmp_path / "shop")
    out = tmp_path / "out"
    assert segdsl("eval", folder, "--as-of", "2026-09-01,2026-10-01", "--out", out).returncode == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / "2026-11-01").write_text("a file where a point's folder goes")
    result = segdsl("eval", folder, "--as-of", "2026-08-01..2026-11-01/1mo", "--out", out)
    assert result.returncode == 1 and clean(result) and "2026-11-01" in result.stderr
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {k: v for k, v in after.items() if k != Path("2026-11-01")} == before


def test_the_api_takes_a_range_text():
    with load(ROOT / "rules").evaluate(as_of="2026-09-01..2026-11-01/1mo") as many:
        assert many.names == ["2026-09-01", "2026-10-01", "2026-11-01"]
    with pytest.raises(UsageError, match="--as-of"):
        load(ROOT / "rules").evaluate(as_of="2026-09-01..2026-11-01")


def test_members_files_match_the_trees(tmp_path):
    """Each point's folder is consistent: its segments.json counts its own members file."""
    out = tmp_path / "out"
    with load(ROOT / "examples" / "gaming_lifecycle").evaluate(as_of="2026-03-01..2026-11-01/4mo") as many:
        many.write(out)
    for name in ("2026-03-01", "2026-07-01", "2026-11-01"):
        rows = members(out / name / "members.parquet")
        tree = json.loads((out / name / "segments.json").read_text())
        assert len(rows) == tree["count"]
        stage = tree["layers"][0]
        counted = {tier["name"]: tier["count"] for tier in stage["tiers"]}
        index = 2  # key, segments, then the first layer
        assert {name: sum(1 for r in rows if r[index] == name) for name in counted} == counted


def test_json_prints_every_points_summary_and_quiet_prints_nothing(tmp_path):
    folder = shop(tmp_path / "shop")
    result = segdsl("eval", folder, "--as-of", "2026-10-01,2026-11-01", "--out", tmp_path / "out", "--format", "json")
    assert result.returncode == 0 and clean(result)
    printed = json.loads(result.stdout)
    assert [tree["as_of"] for tree in printed] == ["2026-10-01T00:00:00", "2026-11-01T00:00:00"]
    for tree in printed:
        written = json.loads((tmp_path / "out" / tree["as_of"][:10] / "segments.json").read_text())
        assert _untimed(tree) == _untimed(written)
    quiet = segdsl("eval", folder, "--as-of", "2026-10-01,2026-11-01", "--out", tmp_path / "q", "-q",
                   "--history", tmp_path / "h.duckdb")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
