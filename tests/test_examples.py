"""The shipped rules project and every example project check clean and evaluate on the example data.

The reference interpreter runs each project over a sample of the real example customers and
their events; the results must keep the structure SPEC §2 promises (a child's members are its
parent's members, tiers and microsegment keys come from the declared layers).
"""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import segdsl
from harness import engine_memberships
from segdsl.reference import Data, evaluate

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT / "rules"] + sorted(p.parent for p in (ROOT / "examples").glob("*/segdsl.yml"))
SAMPLE = 120


def _rows(path: str, where: str = "") -> list[dict]:
    rel = duckdb.read_parquet(path)
    if where:
        rel = rel.filter(where)
    return [dict(zip(rel.columns, values)) for values in rel.fetchall()]


@pytest.mark.parametrize("project_dir", PROJECTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_project_checks_and_evaluates(project_dir, tmp_path):
    result = segdsl.load(project_dir).check()
    assert result.ok, [d.message for d in result.diagnostics]
    project = result.project
    entity = project.sources[project.entity]
    first = duckdb.read_parquet(entity.path).order(project.key).limit(SAMPLE).max(project.key).fetchall()[0][0]
    customers = _rows(entity.path, f"{project.key} <= {first}")
    assert len(customers) == SAMPLE
    events = {
        name: _rows(source.path, f"{source.key} <= {first}")
        for name, source in project.sources.items() if name != project.entity
    }
    members = evaluate(project, Data(customers, events), project.as_of)
    assert [m.key for m in members] == [c[project.key] for c in customers]

    parents = {s.path: s.parent for s in project.segments}
    tiers = {layer.name: {t.name for t in layer.tiers} for layer in project.layers}
    for m in members:
        for path in m.segments:
            assert parents[path] is None or parents[path] in m.segments, (m.key, path)
        for layer, tier in m.tiers.items():
            assert tier is None or tier in tiers[layer]
        for micro in project.microsegments:
            key = m.microsegments[micro.name]
            labels = [m.tiers[name] for name in micro.layers]
            inside = micro.within is None or micro.within in m.segments
            expected = "/".join(labels) if inside and None not in labels else None
            assert key == expected, (m.key, micro.name)
    # Every project's rules select somebody in the sample and leave somebody out.
    assert any(m.segments for m in members)
    assert not all(len(m.segments) == len(project.segments) for m in members)

    # The compiled SQL on DuckDB gives exactly the reference's memberships for the same sample.
    overrides = {}
    for name, source in project.sources.items():
        key = project.key if name == project.entity else source.key
        overrides[name] = str(tmp_path / f"{name}.parquet")
        duckdb.read_parquet(source.path).filter(f"{key} <= {first}").write_parquet(overrides[name])
    with segdsl.load(project_dir, overrides).evaluate() as result:
        assert engine_memberships(result, project) == members


def test_generator_is_deterministic(tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run([sys.executable, str(ROOT / "examples" / "generate.py"), "--customers", "60", "--out", str(out)],
                       check=True, capture_output=True)
        runs.append(out)
    files = sorted(p.name for p in runs[0].glob("*.parquet"))
    assert files == ["app_events.parquet", "customers.parquet", "orders.parquet", "sessions.parquet"]
    match, mismatch, errors = filecmp.cmpfiles(runs[0], runs[1], files, shallow=False)
    assert mismatch == [] and errors == []


@pytest.mark.parametrize("project_dir", PROJECTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_segdsl_eval_runs_each_project_on_the_full_example_data(project_dir, tmp_path):
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "segdsl", "eval", str(project_dir), "--out", str(out),
                          "--format", "json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    summary = json.loads(run.stdout)
    assert json.loads((out / "segments.json").read_text()) == summary
    members = duckdb.read_parquet(str(out / "members.parquet"))
    assert members.count("*").fetchall()[0][0] == summary["count"] == summary["inputs"][summary["entity"]]["rows"]
    # The tree's counts are the members file's counts.
    [(listed,)] = members.aggregate("count(*) FILTER (WHERE len(segments) > 0)").fetchall()
    assert listed > 0

    def check(node: dict) -> None:
        [(n,)] = members.filter(f"list_contains(segments, '{node['path']}')").count("*").fetchall()
        assert n == node["count"], node["path"]
        for child in node["segments"]:
            assert child["count"] <= node["count"]
            check(child)

    for node in summary["segments"]:
        check(node)
    for layer in summary["layers"]:
        assert sum(t["count"] for t in layer["tiers"]) + layer["unassigned"] == layer["count"]


def test_readme_quick_start_evaluates_the_shipped_rules(tmp_path):
    """`segdsl eval rules` from the repository root, as the README's first command runs it."""
    run = subprocess.run([sys.executable, "-m", "segdsl", "eval", "rules", "--out", str(tmp_path / "out")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "tech" in run.stdout and "power_buyers" in run.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["members.parquet", "segments.json"]
