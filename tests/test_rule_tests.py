"""`segdsl test`: rule tests written beside the segments, run through the compiled SQL.

The shipped projects' tests must pass, and every verdict the SQL gave a test is checked against
the reference interpreter on the very rows the test tables held. Small projects (`shop()`, see
eval_projects.py) cover failures, JUnit output, the one-query batching and every bad input.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import segdsl
from eval_projects import ROOT, RULES, SETTINGS, shop
from segdsl import reference
from segdsl.cli import cli
from segdsl.dsl.render import line_col
from segdsl.engine import cases as runner

PROJECTS = ["rules"] + sorted(
    f"examples/{p.name}" for p in (ROOT / "examples").iterdir() if (p / "segdsl.yml").is_file()
)

SHOP_TESTS = """
tests:
  - name: an adult with a recent order is a buyer
    given:
      customers: {age: 40, plan: monthly}
      orders:
        - {ordered_at: 2026-10-01, amount: 12.5}
    expect:
      in: [adults, adults/buyers]
      layers: {band: rest, spend: high}
      microsegments: {band_spend: rest/high}
  - name: a teenager is no adult
    given:
      customers: {age: 17, plan: annual}
    expect:
      not_in: [adults]
      microsegments: {band_spend: null}
"""


def test_project(tmp_path: Path, tests: str, rules: str = RULES, settings: str = SETTINGS) -> Path:
    return shop(tmp_path / "shop", rules=rules + tests, settings=settings)


test_project.__test__ = False  # a helper, not a test


def run(*args: str | Path):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


@pytest.mark.parametrize("project", PROJECTS)
def test_the_shipped_projects_carry_tests_that_pass(project):
    report = segdsl.load(ROOT / project).test()
    assert report.results, f"{project} has no rule tests"
    failed = [r.case.name.name for r in report.results if not r.passed]
    assert not failed


@pytest.mark.parametrize("project", PROJECTS)
def test_every_verdict_agrees_with_the_reference_interpreter(project):
    """The SQL's verdict for each expectation equals the reference's on the same stored rows."""
    loaded = segdsl.load(ROOT / project)
    spec, checked = loaded._check()
    report = loaded.test(explain=False)
    columns = _columns(loaded, spec)
    for result in report.results:
        key = runner.case_keys([result.case], checked.project, columns)[0]
        con = duckdb.connect()
        runner.load_tables(con, checked.project, columns, [(0, key, result.case)])
        data = reference.Data(
            entity=_rows(con, checked.project.entity),
            events={name: _rows(con, name) for name in checked.project.sources if name != checked.project.entity},
        )
        con.close()
        (member,) = reference.evaluate(checked.project, data, result.as_of)
        for outcome in result.outcomes:
            e = outcome.expectation
            match e.kind:
                case "in" | "not_in":
                    assert outcome.actual == (e.target.name in member.segments), (result.case.name.name, e)
                case "layer":
                    assert outcome.actual == member.tiers[e.target.name], (result.case.name.name, e)
                case "microsegment":
                    assert outcome.actual == member.microsegments[e.target.name], (result.case.name.name, e)


def _columns(loaded, spec):
    con = duckdb.connect()
    try:
        from segdsl.engine.sources import relation

        return runner.source_columns(con, {n: relation(con, loc) for n, loc in loaded._locations(spec).items()})
    finally:
        con.close()


def _rows(con, table: str) -> list[dict]:
    rel = con.table(table)
    return [{k: v for k, v in zip(rel.columns, row) if k != runner.CASE_COLUMN} for row in rel.fetchall()]


def test_passing_tests_exit_0_and_are_listed_with_verbose(tmp_path):
    folder = test_project(tmp_path, SHOP_TESTS)
    result = run("test", folder, "-v")
    assert result.exit_code == 0, result.output
    assert "ok: an adult with a recent order is a buyer" in result.output
    assert result.output.rstrip().endswith("2 tests: 2 passed, 0 failed")


def test_a_failure_shows_where_what_happened_and_why(tmp_path):
    wrong = SHOP_TESTS.replace("in: [adults, adults/buyers]", "in: [adults, adults/buyers]\n      not_in: [adults]")
    wrong = wrong.replace("layers: {band: rest, spend: high}", "layers: {band: senior, spend: high}")
    folder = test_project(tmp_path, wrong)
    result = run("test", folder)
    assert result.exit_code == 1
    text = (folder / "rules.yml").read_text(encoding="utf-8")
    line, col = line_col(text, text.index("an adult with a recent order"))
    assert f"rules.yml:{line}:{col}: FAILED: an adult with a recent order is a buyer" in result.output
    assert "expected not to be in adults, but is" in result.output
    assert "expected layer band to be senior, got rest" in result.output
    assert "a teenager" not in result.output  # passing tests are not listed
    why = result.output.split("why (segdsl explain):", 1)[1]
    assert "age >= 18" in why and "40" in why  # the rule and the value it saw
    assert result.output.rstrip().endswith("2 tests: 1 passed, 1 failed")


def test_junit_output_names_every_test_and_its_failure(tmp_path):
    wrong = SHOP_TESTS.replace("not_in: [adults]", "in: [adults]")
    folder = test_project(tmp_path, wrong)
    result = run("test", folder, "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output)
    assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"an adult with a recent order is a buyer", "a teenager is no adult"}
    failure = cases["a teenager is no adult"].find("failure")
    assert failure is not None and failure.get("message") == "expected to be in adults, but is not"
    assert "age >= 18" in failure.text
    assert cases["an adult with a recent order is a buyer"].find("failure") is None
    text = (folder / "rules.yml").read_text(encoding="utf-8")
    assert cases["a teenager is no adult"].get("line") == str(line_col(text, text.index("a teenager"))[0])


def test_each_test_ranks_alone_although_all_run_in_one_query(tmp_path, monkeypatch):
    rules = RULES.replace("microsegments:", """\
  - name: age_rank
    tiers:
      - name: upper_half
        rule: ntile(2, age) = 2
      - name: lower_half
        else: true
microsegments:""")
    tests = "\ntests:\n" + "".join(f"""\
  - name: age {age}
    given:
      customers: {{age: {age}}}
    expect:
      layers: {{age_rank: lower_half}}   # one row: ntile(2) is 1
""" for age in (20, 50, 80, 95))
    folder = test_project(tmp_path, tests, rules=rules)
    builds = []
    real_build = runner.build
    monkeypatch.setattr(runner, "build", lambda *a, **kw: builds.append(kw) or real_build(*a, **kw))
    report = segdsl.load(folder).test()
    assert [r.passed for r in report.results] == [True] * 4
    assert builds == [{"partition": runner.CASE_COLUMN}]  # all four in one query


def test_tests_with_the_same_key_or_another_as_of_run_in_their_own_queries(tmp_path, monkeypatch):
    tests = """
tests:
  - name: customer 7 as an adult
    given:
      customers: {id: 7, age: 40}
      orders: [{ordered_at: 2026-10-01, amount: 1}]
    expect: {in: [adults/buyers]}
  - name: customer 7 as a teenager
    given:
      customers: {id: 7, age: 15}
    expect: {not_in: [adults]}
  - name: a month later the order is still within 90 days
    as_of: 2026-12-01
    given:
      customers: {age: 40}
      orders: [{ordered_at: 2026-10-01, amount: 1}]
    expect: {in: [adults/buyers]}
  - name: half a year later it is not
    as_of: 2027-05-01
    given:
      customers: {age: 40}
      orders: [{ordered_at: 2026-10-01, amount: 1}]
    expect: {in: [adults], not_in: [adults/buyers]}
"""
    folder = test_project(tmp_path, tests)
    builds = []
    real_build = runner.build
    monkeypatch.setattr(runner, "build", lambda plan, **kw: builds.append(plan.as_of) or real_build(plan, **kw))
    report = segdsl.load(folder).test()
    assert [r.passed for r in report.results] == [True] * 4
    assert sorted(str(b.date()) for b in builds) == ["2026-11-01", "2026-11-01", "2026-12-01", "2027-05-01"]


def test_text_keys_are_made_up_as_text(tmp_path):
    customers = {"id": ["a", "b"], "age": [30, 40], "plan": ["x", "y"]}
    orders = {"customer_id": ["a"], "ordered_at": [__import__("datetime").datetime(2026, 10, 1)], "amount": [1.0]}
    folder = shop(tmp_path / "shop", customers=customers, orders=orders, rules=RULES + SHOP_TESTS)
    report = segdsl.load(folder).test()
    assert [r.passed for r in report.results] == [True, True]


def test_a_thousand_tests_run_in_one_query(tmp_path, monkeypatch):
    tests = "\ntests:\n" + "".join(f"""\
  - name: case {i}
    given:
      customers: {{age: {i % 100}}}
    expect: {{{'in' if i % 100 >= 18 else 'not_in'}: [adults]}}
""" for i in range(1000))
    folder = test_project(tmp_path, tests)
    builds = []
    real_build = runner.build
    monkeypatch.setattr(runner, "build", lambda *a, **kw: builds.append(1) or real_build(*a, **kw))
    report = segdsl.load(folder).test(explain=False)
    assert len(report.results) == 1000 and report.ok
    assert len(builds) == 1


def test_the_entity_row_may_be_left_out_when_no_rule_under_test_reads_it(tmp_path):
    rules = RULES.replace("layers:", """\
  - name: frequent
    rule: orders_90d >= 2
layers:""", 1)
    tests = """
tests:
  - name: two orders, no customer row
    given:
      orders: [{ordered_at: 2026-10-01, amount: 1}, {ordered_at: 2026-10-02, amount: 1}]
    expect: {in: [frequent]}
"""
    report = segdsl.load(test_project(tmp_path, tests, rules=rules)).test()
    assert [r.passed for r in report.results] == [True]


def test_a_project_without_tests_says_so(tmp_path):
    folder = test_project(tmp_path, "")
    result = run("test", folder)
    assert result.exit_code == 0
    assert "no tests" in result.output


BAD = [
    ("E605", "customers: {plan: monthly}", "no `age`, which the rule of `adults` reads"),
    ("E605", "customers: {age: 40}\n      orders: [{amount: 3}]", "no `ordered_at`"),
    ("E602", "customers: {age: 40, pln: monthly}", "`customers` has no column `pln` (did you mean 'plan'?)"),
    ("E603", "customers: {age: forty}", "`age` is a number, not the text 'forty'"),
    ("E601", "custmers: {age: 40}", "unknown source `custmers` in test 'broken' (did you mean 'customers'?)"),
    ("E605", "orders: [{ordered_at: 2026-10-01, amount: 1}]", "gives no `customers` row, but its rules read `age`"),
    ("E601", "customers: [{age: 40}, {age: 50}]", "exactly one row, not 2"),
]


@pytest.mark.parametrize("code, given, message", BAD, ids=[b[0] + "-" + b[2][:20] for b in BAD])
def test_bad_given_rows_are_reported_at_their_place(tmp_path, code, given, message):
    tests = f"""
tests:
  - name: broken
    given:
      {given}
    expect:
      in: [adults/buyers]
"""
    folder = test_project(tmp_path, tests)
    result = run("check", folder, "--format", "concise")
    assert result.exit_code == 1
    assert f"error[{code}]" in result.output and message in result.output, result.output
    line = int(re.search(r"rules\.yml:(\d+):\d+", result.output).group(1))
    assert line > RULES.count("\n")  # inside the tests, not elsewhere
    test = run("test", folder)
    assert test.exit_code == 1 and f"error[{code}]" in test.output + (test.stderr if test.stderr_bytes else "")


@pytest.mark.parametrize("expect, message", [
    ("in: [adults/buyer]", "unknown segment `adults/buyer` (did you mean 'adults/buyers'?)"),
    ("layers: {band: senor}", "layer `band` has no tier `senor` (did you mean 'senior'?)"),
    ("layers: {bnd: rest}", "unknown layer `bnd`"),
    ("microsegments: {band_spend: rest}", "`rest` is not a key of microsegment `band_spend`"),
    ("microsegments: {band_spend: rest/top}", "`rest/top` is not a key of microsegment `band_spend`"),
])
def test_unknown_names_in_expectations_are_reported(tmp_path, expect, message):
    tests = f"""
tests:
  - name: broken
    given:
      customers: {{age: 40}}
    expect:
      {expect}
"""
    folder = test_project(tmp_path, tests)
    result = run("check", folder, "--format", "concise")
    assert result.exit_code == 1 and "error[E604]" in result.output and message in result.output, result.output


def test_two_tests_with_one_name_are_reported(tmp_path):
    one = """
  - name: same
    given: {customers: {age: 40}}
    expect: {in: [adults]}"""
    folder = test_project(tmp_path, "\ntests:" + one + one + "\n")
    result = run("check", folder, "--format", "concise")
    assert result.exit_code == 1 and "error[E606]" in result.output


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_a_time_with_a_zone_is_taken_in_utc_whatever_the_machine_zone(tmp_path, monkeypatch, zone):
    monkeypatch.setenv("TZ", zone)
    __import__("time").tzset()
    tests = """
tests:
  - name: 23:30 at UTC-2 is 01:30 UTC on as_of, after it
    given:
      customers: {age: 40}
      orders: [{ordered_at: "2026-10-31T23:30:00-02:00", amount: 1}]
    expect: {not_in: [adults/buyers]}
  - name: 00:30 at UTC+2 is 22:30 UTC the day before, within the window
    given:
      customers: {age: 40}
      orders: [{ordered_at: "2026-11-01T00:30:00+02:00", amount: 1}]
    expect: {in: [adults/buyers]}
  - name: the same unquoted, as YAML reads a time with a zone
    given:
      customers: {age: 40}
      orders: [{ordered_at: 2026-10-31T23:30:00-02:00, amount: 1}]
    expect: {not_in: [adults/buyers]}
"""
    folder = test_project(tmp_path, tests)
    try:
        report = segdsl.load(folder).test(explain=False)
    finally:
        monkeypatch.delenv("TZ")
        __import__("time").tzset()
    assert [r.passed for r in report.results] == [True, True, True]


@pytest.mark.parametrize("given, message", [
    ("customers: {age: 29.5}", "`age` holds whole numbers (BIGINT), not 29.5"),
    ("customers: {age: 30000000000000000000000}", "its `customers` row does not fit the columns"),
])
def test_values_an_integer_column_cannot_hold_name_the_test(tmp_path, given, message):
    tests = f"""
tests:
  - name: fine
    given: {{customers: {{age: 40}}}}
    expect: {{in: [adults]}}
  - name: odd
    given:
      {given}
    expect: {{in: [adults]}}
"""
    folder = test_project(tmp_path, tests)
    result = CliRunner().invoke(cli, ["test", str(folder)])
    assert result.exit_code == 1
    text = (folder / "rules.yml").read_text(encoding="utf-8")
    line = line_col(text, text.index(given.split(": ", 1)[1]))[0]
    assert f"rules.yml:{line}:" in result.output and "test 'odd'" in result.output and message in result.output
