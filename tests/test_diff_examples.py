"""`segdsl diff` on every example project compared with itself (the merged pass evaluates the
base copy exactly as the current one, so nobody moves), and its output options: the default
format, one as_of for both versions, `--no-data`.
"""

from __future__ import annotations

import json
import shutil

import segdsl
from segdsl.diff import diff
from test_diff import RULES_1, RULES_2, SETTINGS, git, repo, run, write_rules  # noqa: F401 - repo is a fixture
from tests.eval_projects import ROOT, clean


# --- every example: a version compared with itself ---------------------------------------------


def test_every_example_against_itself_moves_nobody(tmp_path):
    """The merged pass evaluates the base copy exactly as the current one (rankings in scopes,
    in_segment, metrics reading metrics): nothing moves and every member stays."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", repo / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "examples")
    projects = sorted(p.parent for p in (repo / "examples").glob("*/segdsl.yml"))
    assert len(projects) >= 10
    for project in projects:
        report = diff(project, "HEAD")
        assert not report.changed, project.name
        assert not report.moved, project.name
        with segdsl.load(project).evaluate() as evaluated:
            counts = {s["path"]: s["count"] for s in _segments(evaluated.tree["segments"])}
        stays = {c.name: c.stay for c in report.cells if c.kind == "segment"}
        assert stays == counts, project.name


def _segments(tree: list[dict]) -> list[dict]:
    return [s for top in tree for s in [top, *_segments(top.get("segments", []))]]


def test_text_is_the_default_format(repo):
    result = run("diff", "--base", "HEAD~1", repo / "shop")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Rule changes since HEAD~1 (") and "items changed" in lines[0]
    assert lines[1].split() == ["item", "change", "enter", "leave", "stay", "examples"]
    cell = next(c for c in diff(repo / "shop", "HEAD~1").cells if c.kind == "segment" and c.name == "young")
    young = next(line for line in lines if line.startswith("segment young")).split()
    assert young[:6] == ["segment", "young", "removed;", "was", "age", "<"]
    assert young[7:10] == ["0", str(cell.leave), "0"]


def test_as_of_is_the_same_for_both_versions(repo):
    report = diff(repo / "shop", "HEAD~1", as_of="2027-02-01")
    assert report.as_of.isoformat() == "2027-02-01T00:00:00"
    # The last order is of 2026-11-01: three months later, no spend in 60 or 90 days at either revision.
    big = next(c for c in report.cells if c.kind == "segment" and c.name == "adults/big")
    assert (big.enter, big.leave, big.stay) == (0, 0, 0)


def test_no_data_reads_no_data(tmp_path):
    repo = tmp_path / "repo"
    project = repo / "shop"
    project.mkdir(parents=True)
    git(repo, "init", "-q")
    write_rules(project, SETTINGS, RULES_1)  # data/ does not exist at all
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "rules only")
    write_rules(project, SETTINGS, RULES_2)
    result = run("diff", "--base", "HEAD", project, "--no-data", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["effect"] is None and data["changed"] is True
    with_data = run("diff", "--base", "HEAD", project)
    assert with_data.returncode == 1 and clean(with_data)
    assert "data/customers.parquet" in with_data.stderr
