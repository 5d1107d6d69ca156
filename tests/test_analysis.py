"""Static analysis in `segdsl check` (W501–W505): findings, silences, soundness, the data scan.

Small projects are written to a temporary folder and go through the real loader, checker and
analysis; positions are asserted as (line, column) in the YAML file. The soundness property:
whatever the analysis calls never true, the reference interpreter never finds true.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness import _type, settings_yaml
from segdsl.api import load
from segdsl.dsl.analysis import analyse
from segdsl.dsl.checker import check
from segdsl.dsl.loader import load_project
from segdsl.dsl.render import line_col, render_concise

ROOT = Path(__file__).parent.parent
COLUMNS = {"id": "number", "age": "number", "plan": "string", "vip": "boolean", "signup": "date",
           "seen_at": "timestamp", "tags": "list"}
ORDERS = {"customer_id": "number", "ordered_at": "timestamp", "amount": "number", "category": "string"}
METRICS = {"orders_90d": "count(orders) over 90d", "last_order_at": "max(orders.ordered_at)",
           "freq": "count(orders) over 90d per month"}


def findings(rules: str, metrics: dict[str, str] | None = None) -> list[tuple[str, int, int, str, tuple]]:
    """(code, line, column, message, notes) of every analysis finding, in file order."""
    with tempfile.TemporaryDirectory(prefix="segdsl-test-") as folder:
        Path(folder, "segdsl.yml").write_text(settings_yaml(metrics=METRICS if metrics is None else metrics))
        Path(folder, "rules.yml").write_text(rules)
        spec, diags = load_project(folder)
        schemas = {"customers": {k: _type(v) for k, v in COLUMNS.items()},
                   "orders": {k: _type(v) for k, v in ORDERS.items()}}
        project, more = check(spec, schemas)
        assert project is not None, render_concise(diags + more, spec.texts)
        out = []
        for x in analyse(project, spec):
            line, col = line_col(spec.texts[x.span.file], x.span.start)
            out.append((x.code, line, col, x.message, x.notes))
    return sorted(out, key=lambda f: (f[1], f[2]))


def one_rule(rule: str) -> list[tuple]:
    return findings(f"segments:\n  - name: s\n    rule: {rule}\n")


# --- W501: never true ---------------------------------------------------------------------------


@pytest.mark.parametrize("rule, reason", [
    ("age > 50 AND age < 30", "age cannot be both > 50 and < 30"),
    ("plan = monthly AND plan = annual", "plan cannot be both = monthly and = annual"),
    ("age BETWEEN 10 AND 5", "age cannot be both >= 10 and <= 5"),
    ("plan IN (a, b) AND plan NOT IN (b, a)", "plan cannot be both IN (a, b) and NOT IN (b, a)"),
    ("age IS MISSING AND age != 3", "age cannot be both missing and != 3"),
    ("plan CONTAINS x AND plan IS MISSING", "plan cannot be both missing and CONTAINS x"),
    ("vip != true AND vip != false", "vip cannot be both != true and != false"),  # false on missing too
    ("signup > 2026-01-01 AND signup < 2025-12-31", "signup cannot be both > 2026-01-01 and < 2025-12-31"),
    # Two relative times with the same as_of keep their order whatever as_of is.
    ("seen_at > 30d ago AND seen_at < 60d ago", "seen_at cannot be both > 30d ago and < 60d ago"),
    ("last_order_at < 90d ago AND last_order_at WITHIN 30d",
     "last_order_at cannot be both WITHIN 30d and < 90d ago"),
    # A count is a whole number, never negative and never missing (0 without events).
    ("orders_90d < 0", "orders_90d cannot be negative (a count never is)"),
    ("orders_90d > 0 AND orders_90d < 1", "orders_90d cannot be both > 0 and < 1"),
    ("orders_90d IS MISSING", "orders_90d cannot be missing: a count or sum is 0 without events"),
    # A metric stands for its definition.
    ("orders_90d = 2 AND count(orders) over 90d = 3", "orders_90d cannot be both = 2 and = 3"),
])
def test_a_rule_that_can_never_be_true(rule, reason):
    assert one_rule(rule) == [("W501", 3, 11, f"`{rule}` can never be true: {reason}", ())]


def test_not_over_a_comparison_includes_the_missing_value():
    # NOT (age > 30) is "missing or <= 30": both alternatives clash with age > 50.
    [(code, _, _, message, _)] = one_rule("NOT (age > 30) AND age > 50")
    assert code == "W501"
    assert message.endswith("age cannot be both missing and > 50; age cannot be both > 50 and <= 30")


def test_an_aggregate_filter_that_no_event_passes_points_at_the_filter():
    rule = "count(orders where amount > 500 AND amount < 100) >= 1"
    assert one_rule(rule) == [("W501", 3, 30, "the filter `amount > 500 AND amount < 100` can never be true: "
                               "amount cannot be both > 500 and < 100", ())]


def test_a_filter_in_a_metric_points_into_segdsl_yml():
    metrics = {"weird": "count(orders where category = a AND category = b)"}
    found = findings("segments:\n  - name: s\n    rule: weird > 0\n", metrics)
    assert [(f[0], f[2]) for f in found] == [("W501", 29)]  # `  weird: count(orders where ` is 28 long
    assert "category cannot be both = a and = b" in found[0][3]


@pytest.mark.parametrize("rule", [
    "age > 30 AND age < 50",
    "plan != monthly AND plan != annual",
    "age IS MISSING OR age > 3",
    "NOT (age > 30) AND age IS MISSING",       # true for a missing age
    "NOT (age > 30) AND NOT (age < 50)",       # true for a missing age
    "NOT (plan = a) AND NOT (plan != a)",      # true for a missing plan
    "NOT (age BETWEEN 1 AND 5) AND NOT (age NOT BETWEEN 1 AND 5)",
    "NOT (plan CONTAINS x) AND plan IS MISSING",
    "age >= 3 AND age <= 3",
    "age > 30 AND age < 31",                   # empty for whole numbers only; age may hold 30.5
    "seen_at > 1mo ago AND seen_at < 30d ago",  # a calendar month is 28 to 31 days
    "seen_at > 2026-01-01 AND seen_at < 30d ago",  # depends on as_of
    "freq > 0 AND freq < 1",                   # a rate is not a whole number
    "ntile(5, age) = 5 AND ntile(5, age) = 1 OR age > 1",
    "age > `id` AND age < `id`",              # two columns: not understood
    "vip OR NOT vip",
])
def test_rules_that_can_be_true_stay_silent(rule):
    assert one_rule(rule) == []


def test_unknown_atoms_are_ignored_not_trusted():
    # Rankings and in_segment are dropped, which can only make a rule look larger.
    rules = ("segments:\n  - name: a\n    rule: age > 1\n"
             "  - name: s\n    rule: in_segment(a) AND ntile(4, age) = 1 AND age > 5 AND age < 2\n")
    assert [(f[0], f[1]) for f in findings(rules)] == [("W501", 5)]


# --- W502: a child that contradicts its parent ------------------------------------------------------

FAMILY = """segments:
  - name: adults
    rule: age >= 18
    segments:
      - name: kids
        rule: age < 12
      - name: seniors
        rule: age > 65
        segments:
          - name: young
            rule: age < 30
          - name: paying
            rule: plan IN (monthly, annual)
"""


def test_a_child_that_contradicts_its_parent():
    found = findings(FAMILY)
    assert [(f[0], f[1], f[2]) for f in found] == [("W502", 6, 15), ("W502", 11, 19)]
    code, _, _, message, notes = found[0]
    assert message == "`age < 12` can never be true inside its parent adults: age cannot be both >= 18 and < 12"
    assert len(notes) == 1 and notes[0].startswith("the rule of adults (") and notes[0].endswith(
        "rules.yml:3:11): age >= 18")
    # The nearest ancestor that makes it empty is named.
    assert found[1][3].startswith("`age < 30` can never be true inside its parent adults/seniors:")


def test_a_child_of_an_empty_parent_is_not_reported_again():
    rules = ("segments:\n  - name: p\n    rule: age > 5 AND age < 1\n"
             "    segments:\n      - name: c\n        rule: age > 3\n")
    assert [f[0] for f in findings(rules)] == ["W501"]


# --- W503: shadowed tiers -----------------------------------------------------------------------------


def layer(tiers: str, within: str = "") -> str:
    return ("segments:\n  - name: adults\n    rule: age >= 18\n"
            f"layers:\n  - name: l\n{within}    tiers:\n{tiers}")


def test_a_tier_shadowed_by_earlier_tiers():
    tiers = ("      - name: monthly\n        rule: plan = monthly\n"
             "      - name: paying\n        rule: plan IN (monthly, annual)\n"
             "      - name: again\n        rule: plan = monthly AND vip\n"
             "      - name: rest\n        else: true\n")
    [(code, line, col, message, notes)] = findings(layer(tiers))
    assert (code, line, col) == ("W503", 12, 15)
    assert message == ("tier again of layer l can never win: every row it matches is already taken by "
                       "tiers monthly, paying")
    assert [n.split(" (")[0] for n in notes] == ["tier monthly", "tier paying"]


def test_a_tier_shadowed_within_its_segment():
    tiers = ("      - name: grown\n        rule: age >= 10\n"
             "      - name: teen\n        rule: age > 15 AND plan = x\n")
    found = findings(layer(tiers, "    within: adults\n"))
    assert [(f[0], f[1]) for f in found] == [("W503", 11)]  # line 6 is `within:`


def test_a_tier_that_contradicts_the_within_segment():
    tiers = "      - name: small\n        rule: age < 5\n      - name: rest\n        else: true\n"
    found = findings(layer(tiers, "    within: adults\n"))
    assert [(f[0], f[1], f[2]) for f in found] == [("W502", 9, 15)]
    assert "within adults" in found[0][3]


def test_an_else_tier_that_is_never_reached():
    tiers = ("      - name: busy\n        rule: orders_90d >= 5\n"
             "      - name: some\n        rule: orders_90d >= 1\n"
             "      - name: none\n        rule: orders_90d = 0\n"
             "      - name: rest\n        else: true\n")
    assert findings(layer(tiers)) == [
        ("W503", 14, 15, "the else tier rest of layer l can never be reached: the tiers before it cover "
         "every row", ())]


@pytest.mark.parametrize("tiers", [
    # Overlapping but not covering: each tier still has rows of its own.
    "      - name: a\n        rule: age > 30\n      - name: b\n        rule: age > 20 AND plan = x\n"
    "      - name: rest\n        else: true\n",
    # An else tier that catches the missing ages.
    "      - name: young\n        rule: age < 30\n      - name: old\n        rule: age >= 30\n"
    "      - name: rest\n        else: true\n",
    # A ranking is not understood: nothing is said about the tier after it.
    "      - name: top\n        rule: ntile(5, age) = 5\n      - name: high\n        rule: ntile(5, age) >= 5\n"
    "      - name: rest\n        else: true\n",
])
def test_tiers_that_can_win_stay_silent(tiers):
    assert findings(layer(tiers)) == []


# --- W504: layers that leave rows without a tier ----------------------------------------------------------


@pytest.mark.parametrize("tiers, example", [
    ("      - name: m\n        rule: plan = monthly\n      - name: a\n        rule: plan = annual\n",
     "plan other than annual or monthly"),
    ("      - name: young\n        rule: age < 30\n      - name: old\n        rule: age > 30\n", "age = 30"),
    ("      - name: young\n        rule: age < 30\n      - name: old\n        rule: age >= 30\n", "age missing"),
    ("      - name: many\n        rule: orders_90d >= 5\n      - name: none\n        rule: orders_90d = 0\n",
     "orders_90d = 1"),
])
def test_a_layer_without_else_that_leaves_rows_out(tiers, example):
    assert findings(layer(tiers)) == [
        ("W504", 5, 11, f"layer l has no `else` tier and some rows match none of its tiers: e.g. a customer "
         f"with {example} gets no tier", ())]


@pytest.mark.parametrize("tiers", [
    "      - name: y\n        rule: vip\n      - name: n\n        rule: NOT vip\n",
    "      - name: some\n        rule: orders_90d >= 1\n      - name: none\n        rule: orders_90d = 0\n",
    "      - name: a\n        rule: age IS MISSING OR age <= 30\n      - name: b\n        rule: age > 30\n",
    # Only whole numbers are offered as examples: age may be a whole-number column.
    "      - name: a\n        rule: age IS MISSING OR age <= 30\n      - name: b\n        rule: age >= 31\n",
    # Only a ranking or in_segment decides: no example can be named for sure.
    "      - name: top\n        rule: ntile(5, age) = 5\n",
    "      - name: in\n        rule: in_segment(adults)\n",
    # Two windows over the same events are not independent.
    "      - name: a\n        rule: orders_90d >= 1\n      - name: b\n        rule: count(orders) over 30d = 0\n",
])
def test_layers_that_cover_everything_or_cannot_tell_stay_silent(tiers):
    assert findings(layer(tiers)) == []


def test_uncovered_rows_are_only_those_of_the_within_segment():
    tiers = "      - name: grown\n        rule: age >= 18\n"
    assert findings(layer(tiers, "    within: adults\n")) == []


# --- the shipped projects -------------------------------------------------------------------------------


def shipped_findings(path: Path) -> list[tuple[str, str]]:
    return [(x.code, x.message) for x in load(path).check().diagnostics if x.code.startswith("W5")]


def test_the_shipped_rules_have_no_findings():
    assert shipped_findings(ROOT / "rules") == []


@pytest.mark.parametrize("example, layer_name", [
    # Each of these layers lists the values of one text column and has no `else`: a row with
    # another value (or none) gets no tier, which the example data happens not to have.
    ("geographic", "urbanicity"), ("needs_situational", "plan_type"), ("technographic", "platform"),
])
def test_example_layers_without_else_are_reported(example, layer_name):
    found = shipped_findings(ROOT / "examples" / example)
    assert [code for code, _ in found] == ["W504"]
    assert found[0][1].startswith(f"layer {layer_name} has no `else` tier")


def test_the_other_examples_have_no_findings():
    flagged = {"geographic", "needs_situational", "technographic"}
    for folder in sorted((ROOT / "examples").iterdir()):
        if (folder / "segdsl.yml").exists() and folder.name not in flagged:
            assert shipped_findings(folder) == [], folder.name


def test_compile_and_eval_are_not_blocked_nor_made_noisier(tmp_path: Path):
    from click.testing import CliRunner

    from segdsl.cli import cli

    case = ROOT / "tests" / "cases" / "check" / "analysis"  # a project with every finding but W505
    assert {x.code for x in load(case).check().diagnostics} >= {"W501", "W502", "W503", "W504"}
    compiled = CliRunner().invoke(cli, ["compile", str(case)])
    evaluated = CliRunner().invoke(cli, ["eval", str(case), "--out", str(tmp_path), "-q"])
    assert (compiled.exit_code, compiled.stderr) == (0, "")
    assert (evaluated.exit_code, evaluated.stdout, evaluated.stderr) == (0, "", "")
    assert (tmp_path / "segments.json").exists()


# --- W505: --data ----------------------------------------------------------------------------------------


@pytest.fixture
def demographic(tmp_path: Path) -> Path:
    project = tmp_path / "demographic"
    shutil.copytree(ROOT / "examples" / "demographic", project)
    rules = project / "segments.yml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("segments:\n", "segments:\n  - name: centenarians\n    rule: age > 200\n", 1),
                     encoding="utf-8")
    return project


def data_overrides() -> dict[str, str]:
    data = ROOT / "examples" / "data"
    return {"customers": str(data / "customers.parquet"), "orders": str(data / "orders.parquet")}


def test_with_data_a_segment_that_matches_nobody_is_reported(demographic: Path):
    result = load(demographic, data_overrides()).check(scan=True)
    assert result.ok
    [empty] = [x for x in result.diagnostics if x.code == "W505"]
    total = pq.read_metadata(data_overrides()["customers"]).num_rows
    assert empty.message == f"segment centenarians matches nobody on this data ({total} rows of customers evaluated)"
    text = result.texts[empty.span.file]
    assert text[empty.span.start:empty.span.end] == "age > 200"


def test_without_data_nothing_is_scanned(demographic: Path):
    result = load(demographic, data_overrides()).check()
    assert [x.code for x in result.diagnostics if x.code == "W505"] == []


def test_the_cli_scans_only_with_data(demographic: Path):
    from click.testing import CliRunner

    from segdsl.cli import cli

    args = ["check", str(demographic), "--format", "concise"]
    plain = CliRunner().invoke(cli, args)
    scanned = CliRunner().invoke(cli, args + [f"--data={k}={v}" for k, v in data_overrides().items()])
    assert "W505" not in plain.output
    assert (scanned.exit_code, scanned.output.count("W505")) == (0, 1)


def test_a_data_error_during_the_scan_is_an_error(demographic: Path, monkeypatch: pytest.MonkeyPatch):
    from segdsl.engine.local import DataError

    def failing(self, *args, **kwargs):
        raise DataError("source customers: a value does not fit", "check the file")

    monkeypatch.setattr("segdsl.api.Project.evaluate", failing)
    result = load(demographic, data_overrides()).check(scan=True)
    assert not result.ok and result.project is None
    [error] = [x for x in result.diagnostics if x.is_error]
    assert (error.code, error.message, error.hint) == (
        "E501", "the data could not be evaluated: source customers: a value does not fit", "check the file")
