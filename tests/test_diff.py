"""`segdsl diff --base REV`: the rule diff and its effect, checked against an independent count.

A temporary git repository holds a small project (its data beside it, not in git, as data
usually is) in two commits; the second changes one rule, adds, removes and renames a segment,
rewrites one rule with other spacing and keyword case only, moves a tier's threshold, renames
a tier and changes a metric. Each revision is then checked out with plain git into another
folder and evaluated on its own; enter/leave/stay are counted from those two member lists
with Python sets and compared with what `diff` reports from its one merged pass.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import segdsl
from segdsl.diff import diff
from tests.eval_projects import ENTRY_POINT, ROOT, clean, write_parquet

GIT = ["git", "-c", "user.name=segdsl tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false"]

SETTINGS = """\
entity: customers
as_of: 2026-11-01
sources:
  customers: {path: data/customers.parquet, key: id}
  orders: {path: data/orders.parquet, key: customer_id, time: ordered_at}
metrics:
  orders_90d: count(orders) over 90d
  spend_90d: sum(orders.amount) over 90d
"""

RULES_1 = """\
segments:
  - name: adults
    rule: age >= 18
    segments:
      - name: buyers
        rule: orders_90d >= 1
      - name: big
        rule: spend_90d > 50
  - name: seniors
    rule: age >= 65
  - name: monthly
    rule: plan = monthly AND age >= 18
  - name: young
    rule: age < 30
layers:
  - name: band
    tiers:
      - name: senior
        rule: age >= 65
      - name: mid
        rule: age >= 40
      - name: rest
        else: true
  - name: spend
    tiers:
      - name: high
        rule: spend_90d > 40
      - name: low
        else: true
microsegments:
  - name: band_spend
    layers: [band, spend]
    within: adults
"""

RULES_2 = """\
segments:
  - name: adults
    rule: age >= 18
    segments:
      - name: buyers
        rule: orders_90d >= 2
      - name: big
        rule: spend_90d > 50
  - name: elders
    rule: age >= 65
  - name: monthly
    rule: plan   =   monthly   and   (age >= 18)
  - name: annual
    rule: plan = annual
layers:
  - name: band
    tiers:
      - name: senior
        rule: age >= 65
      - name: mid
        rule: age >= 45
      - name: rest
        else: true
  - name: spend
    tiers:
      - name: high
        rule: spend_90d > 40
      - name: modest
        else: true
microsegments:
  - name: band_spend
    layers: [band, spend]
    within: adults
"""

SETTINGS_2 = SETTINGS.replace("sum(orders.amount) over 90d", "sum(orders.amount) over 60d")

RENAMED_SEGMENTS = {"elders": "seniors"}
RENAMED_TIERS = {"spend": {"low": "modest"}}


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # The ceiling keeps git from finding a repository above the temporary folders.
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(Path(cwd).parent), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", ENTRY_POINT, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


def write_data(folder: Path) -> None:
    rng = random.Random(7)
    ids = list(range(1, 81))
    ages = [rng.choice([None, *range(15, 90)]) for _ in ids]
    ages[:3] = [None, 16, 17]  # some rows outside `adults` whatever the draw
    write_parquet(folder / "data" / "customers.parquet", {
        "id": ids,
        "age": ages,
        "plan": [rng.choice(["monthly", "annual", None]) for _ in ids],
    })
    orders = [(rng.choice(ids), dt.datetime(2026, 11, 1) - dt.timedelta(days=rng.randrange(0, 120)),
               float(rng.randrange(5, 60))) for _ in range(150)]
    write_parquet(folder / "data" / "orders.parquet", {
        "customer_id": [o[0] for o in orders], "ordered_at": [o[1] for o in orders], "amount": [o[2] for o in orders],
    })


def write_rules(project: Path, settings: str, rules: str) -> None:
    (project / "segdsl.yml").write_text(settings, encoding="utf-8")
    (project / "rules.yml").write_text(rules, encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """shop/ in a repository: commit 1 = RULES_1, commit 2 = RULES_2; data ignored by git."""
    repo = tmp_path_factory.mktemp("diff") / "repo"
    project = repo / "shop"
    project.mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("data/\n")
    write_data(project)
    write_rules(project, SETTINGS, RULES_1)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "version 1")
    write_rules(project, SETTINGS_2, RULES_2)
    git(repo, "commit", "-q", "-am", "version 2")
    return repo


def members_at(repo: Path, revision: str, into: Path) -> dict[str, dict]:
    """The members of shop/ at `revision`, from a plain git clone evaluated on its own."""
    clone = into / revision.replace("~", "_")
    subprocess.run([*GIT, "clone", "-q", str(repo), str(clone)], check=True)
    git(clone, "checkout", "-q", revision)
    shutil.copytree(repo / "shop" / "data", clone / "shop" / "data")
    with segdsl.load(clone / "shop").evaluate() as result:
        rows = result.members.fetchall()
        columns = result.members.columns
    out: dict[str, dict] = {}
    for row in rows:
        record = dict(zip(columns, row))
        out[record["id"]] = record
    return out


def expected_cells(base: dict, head: dict) -> dict[tuple, tuple]:
    """(kind, name, label) → (enter, leave, stay, first ids entering, first ids leaving), by sets."""
    out = {}

    def add(kind, name, label, now: set, then: set) -> None:
        out[kind, name, label] = (len(now - then), len(then - now), len(now & then),
                                  tuple(sorted(now - then)[:3]), tuple(sorted(then - now)[:3]))

    for path in ["adults", "adults/buyers", "adults/big", "elders", "monthly", "annual"]:
        old = RENAMED_SEGMENTS.get(path, path)
        add("segment", path, None, {k for k, r in head.items() if path in r["segments"]},
            {k for k, r in base.items() if old in r["segments"]})
    add("segment", "young", None, set(), {k for k, r in base.items() if "young" in r["segments"]})
    for layer, tiers in (("band", ["senior", "mid", "rest"]), ("spend", ["high", "modest"])):
        renamed = RENAMED_TIERS.get(layer, {})
        for tier in tiers:
            add("tier", layer, tier, {k for k, r in head.items() if r[layer] == tier},
                {k for k, r in base.items() if renamed.get(r[layer], r[layer]) == tier})

    def old_key(key):
        if key is None:
            return None
        band, spend = key.split("/")
        return f"{band}/{RENAMED_TIERS['spend'].get(spend, spend)}"

    keys = {r["band_spend"] for r in head.values()} | {old_key(r["band_spend"]) for r in base.values()}
    for key in sorted(k for k in keys if k is not None):
        add("microsegment", "band_spend", key, {k for k, r in head.items() if r["band_spend"] == key},
            {k for k, r in base.items() if old_key(r["band_spend"]) == key})
    return out


# --- the rule diff and its figures ---------------------------------------------------------------


def test_statuses_of_every_kind_of_edit(repo):
    report = diff(repo / "shop", "HEAD~1", effect=False)
    status = {(c.kind, c.layer, c.name): c for c in report.diff.changes}
    assert status["segment", None, "adults/buyers"].status == "changed"
    assert (status["segment", None, "adults/buyers"].old, status["segment", None, "adults/buyers"].new) == (
        "orders_90d >= 1", "orders_90d >= 2")
    assert status["segment", None, "annual"].status == "added"
    assert status["segment", None, "young"].status == "removed"
    assert status["segment", None, "elders"].status == "renamed"
    assert status["segment", None, "elders"].old_name == "seniors"
    # Spacing, parentheses and keyword case only: not a change.
    assert status["segment", None, "monthly"].status == "unchanged"
    assert status["segment", None, "adults"].status == "unchanged"
    assert status["tier", "band", "mid"].status == "changed"
    assert status["tier", "band", "senior"].status == "unchanged"
    assert status["tier", "spend", "modest"].status == "renamed"
    assert status["tier", "spend", "modest"].old_name == "low"
    assert status["metric", None, "spend_90d"].status == "changed"
    # A metric's new definition changes what every rule using it means.
    assert status["segment", None, "adults/big"].status == "changed"
    assert status["segment", None, "adults/big"].reasons == ("uses metric spend_90d, which changed",)
    assert status["tier", "spend", "high"].reasons == ("uses metric spend_90d, which changed",)
    assert status["microsegment", None, "band_spend"].status == "unchanged"
    assert report.cells is None


def test_figures_match_an_independent_count(repo, tmp_path):
    base = members_at(repo, "HEAD~1", tmp_path)
    head = members_at(repo, "HEAD", tmp_path)
    expected = expected_cells(base, head)
    report = diff(repo / "shop", "HEAD~1")
    found = {(c.kind, c.name, c.label): (c.enter, c.leave, c.stay, c.entered, c.left) for c in report.cells}
    assert found == expected
    # The edits do move people, or the comparison above would prove little.
    assert any(e[0] or e[1] for e in expected.values())
    assert expected["segment", "young", None][1] > 0 and expected["segment", "annual", None][0] > 0


def test_uncommitted_edits_are_the_current_side_and_nothing_is_touched(repo):
    project = repo / "shop"
    rules = project / "rules.yml"
    original = rules.read_text()
    try:
        rules.write_text(original.replace("rule: plan = annual", "rule: plan = annual OR age > 80"))
        before = (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"), git(repo, "stash", "list"))
        result = run("diff", "--base", "HEAD", project, "--format", "json")
        after = (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"), git(repo, "stash", "list"))
    finally:
        rules.write_text(original)
    assert result.returncode == 0, result.stderr
    assert before == after and " M shop/rules.yml" in before[0]
    data = json.loads(result.stdout)
    changed = [(c["kind"], c["name"], c["status"]) for c in data["changes"] if c["status"] != "unchanged"]
    assert changed == [("segment", "annual", "changed")]
    assert data["base_commit"] == git(repo, "rev-parse", "HEAD").strip()


def test_no_change_exits_0_even_with_fail_on_change(repo):
    result = run("diff", "--base", "HEAD", repo / "shop", "--fail-on-change")
    assert result.returncode == 0, result.stderr
    assert "none" in result.stdout


def test_fail_on_change_exits_1_and_without_it_0(repo):
    assert run("diff", "--base", "HEAD~1", repo / "shop", "--no-data").returncode == 0
    result = run("diff", "--base", "HEAD~1", repo / "shop", "--no-data", "--fail-on-change")
    assert result.returncode == 1
    assert "segment adults/buyers" in result.stdout and "renamed from seniors" in result.stdout


def test_markdown_is_a_table_for_a_pull_request(repo):
    result = run("diff", "--base", "HEAD~1", repo / "shop", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("### segdsl diff")
    header = next(i for i, line in enumerate(lines) if line.startswith("| item |"))
    assert lines[header] == "| item | change | enter | leave | stay | examples |"
    assert lines[header + 1] == "|---|---|---:|---:|---:|---|"
    rows = [line for line in lines[header + 2:] if line.startswith("|")]
    assert all(row.count("|") - row.count("\\|") == 7 for row in rows)
    assert any(row.startswith("| `segment adults/buyers` | `orders_90d >= 1` → `orders_90d >= 2` |") for row in rows)
    assert any(row.startswith("| `segment young` | removed; was `age < 30` |") for row in rows)
    assert not any("segment monthly" in row for row in rows)  # unchanged, and nobody moved


def test_json_holds_every_item_and_cell(repo):
    result = run("diff", "--base", "HEAD~1", repo / "shop", "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) == {"version", "project", "base", "base_commit", "as_of", "changed", "moved", "notes",
                         "changes", "effect"}
    assert data["changed"] is True and data["as_of"] == "2026-11-01T00:00:00"
    assert {c["name"] for c in data["changes"] if c["kind"] == "segment"} == {
        "adults", "adults/buyers", "adults/big", "elders", "monthly", "annual", "young"}
    cell = next(c for c in data["effect"] if c["kind"] == "segment" and c["name"] == "young")
    assert set(cell) == {"kind", "name", "label", "enter", "leave", "stay", "entered_examples", "left_examples"}
    assert cell["enter"] == 0 and cell["stay"] == 0 and cell["leave"] > 0


# --- bad input ---------------------------------------------------------------------------------


def test_unknown_revision_exits_2_naming_it(repo):
    result = run("diff", "--base", "no-such-branch", repo / "shop")
    assert result.returncode == 2 and clean(result)
    assert "unknown revision 'no-such-branch'" in result.stderr


def test_outside_a_git_repository_exits_2(tmp_path):
    project = tmp_path / "alone" / "shop"
    project.mkdir(parents=True)
    write_rules(project, SETTINGS, RULES_1)
    result = run("diff", "--base", "HEAD", project, cwd=tmp_path)
    assert result.returncode == 2 and clean(result)
    assert "not inside a git repository" in result.stderr


def test_base_errors_are_shown_as_of_the_base_revision(tmp_path):
    repo = tmp_path / "repo"
    project = repo / "shop"
    project.mkdir(parents=True)
    git(repo, "init", "-q")
    write_data(project)
    write_rules(project, SETTINGS, RULES_1.replace("rule: age < 30", "rule: agee < 30"))
    git(repo, "add", "shop/segdsl.yml", "shop/rules.yml")
    git(repo, "commit", "-q", "-m", "broken")
    write_rules(project, SETTINGS, RULES_1)
    result = run("diff", "--base", "HEAD", "shop", "--format", "json", cwd=repo)
    assert result.returncode == 1 and clean(result)
    assert "shop/rules.yml@HEAD:" in result.stderr and "agee" in result.stderr
    assert result.stdout == ""


def test_project_missing_at_the_base_is_all_added(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README").write_text("x\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "before the rules")
    project = repo / "shop"
    project.mkdir()
    write_data(project)
    write_rules(project, SETTINGS, RULES_1)
    report = diff(project, "HEAD")
    assert {c.status for c in report.diff.changes} == {"added"}
    assert any("did not exist at HEAD" in note for note in report.notes)
    adults = next(c for c in report.cells if c.kind == "segment" and c.name == "adults")
    assert adults.leave == 0 and adults.stay == 0 and adults.enter > 0


# --- the shipped project -------------------------------------------------------------------------


def test_shipped_rules(tmp_path):
    """rules/ committed as shipped, then one rule edited: the figures match two evaluations."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "rules", repo / "rules")
    (repo / "examples").mkdir(parents=True)
    (repo / "examples" / "data").symlink_to(ROOT / "examples" / "data")
    git(repo, "init", "-q")
    git(repo, "add", "rules")
    git(repo, "commit", "-q", "-m", "shipped")
    b2b = repo / "rules" / "b2b.yml"
    b2b.write_text(b2b.read_text().replace("rule: purchase_freq > 4/mo", "rule: purchase_freq > 2/mo"))
    result = run("diff", "--base", "HEAD", repo / "rules", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    changed = [(c["kind"], c["name"], c["status"]) for c in data["changes"] if c["status"] != "unchanged"]
    assert changed == [("segment", "tech/power_buyers", "changed")]

    def power_buyers(project: Path) -> set:
        with segdsl.load(project).evaluate() as evaluated:
            return {k for k, paths in evaluated.members.project("customer_id, segments").fetchall()
                    if "tech/power_buyers" in paths}

    before, now = power_buyers(ROOT / "rules"), power_buyers(repo / "rules")
    cell = next(c for c in data["effect"] if c["kind"] == "segment" and c["name"] == "tech/power_buyers")
    assert (cell["enter"], cell["leave"], cell["stay"]) == (len(now - before), len(before - now), len(now & before))
    assert cell["enter"] > 0


# --- sources ---------------------------------------------------------------------------------------


def test_a_source_read_differently_is_read_in_both_forms(tmp_path):
    """orders moves to another file holding only October: each version reads its own file."""
    repo = tmp_path / "repo"
    project = repo / "shop"
    project.mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("data/\n")
    write_data(project)
    orders = pq.read_table(project / "data" / "orders.parquet").to_pylist()
    october = [o for o in orders if o["ordered_at"].month == 10]
    write_parquet(project / "data" / "october.parquet", {k: [o[k] for o in october] for k in orders[0]})
    write_rules(project, SETTINGS, RULES_1)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "all orders")
    write_rules(project, SETTINGS.replace("data/orders.parquet", "data/october.parquet"), RULES_1)
    git(repo, "commit", "-q", "-am", "october only")

    report = diff(project, "HEAD~1")
    sources = [c for c in report.diff.changes if c.kind == "source"]
    assert [(c.name, c.status) for c in sources] == [("orders", "changed")]
    base, head = members_at(repo, "HEAD~1", tmp_path), members_at(repo, "HEAD", tmp_path)
    now = {k for k, r in head.items() if "adults/buyers" in r["segments"]}
    then = {k for k, r in base.items() if "adults/buyers" in r["segments"]}
    cell = next(c for c in report.cells if c.kind == "segment" and c.name == "adults/buyers")
    assert (cell.enter, cell.leave, cell.stay) == (len(now - then), len(then - now), len(now & then))
    assert cell.leave > 0  # fewer orders: some buyers of August and September are gone


def test_data_override_applies_to_both_versions(repo, tmp_path):
    nothing = write_parquet(tmp_path / "old_orders.parquet", {
        "customer_id": [1], "ordered_at": [dt.datetime(2020, 1, 1)], "amount": [1.0]})
    report = diff(repo / "shop", "HEAD~1", data={"orders": str(nothing)})
    # With no order in the last 90 days nobody is a buyer, at either revision.
    cells = {(c.kind, c.name, c.label): c for c in report.cells}
    buyers, high = cells["segment", "adults/buyers", None], cells["tier", "spend", "high"]
    assert (buyers.enter, buyers.leave, buyers.stay) == (0, 0, 0)
    assert (high.enter, high.leave, high.stay) == (0, 0, 0)
    assert cells["segment", "adults", None].stay > 0
