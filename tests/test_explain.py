"""`segdsl explain`: one entity's verdicts, atoms and operand values, agreeing with `eval`.

The agreement tests run the shipped `rules/` project and every example project on the example
data and compare, for sample ids, explain's final verdicts with the members `evaluate` wrote.
The precise tests use a small project whose values are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

import segdsl
from eval_projects import clean, segdsl as run_segdsl, write_parquet, write_project
from segdsl.api import UsageError, resolve_as_of
from segdsl.engine.local import DataError
from segdsl.explain import Atom, Combination, UnknownId, explain, render_text
from segdsl.explain.render import to_dict

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT / "rules"] + sorted(p.parent for p in (ROOT / "examples").glob("*/segdsl.yml"))


# --- agreement with eval ---------------------------------------------------------------------


def _parquet_relations(project) -> dict:
    """Each source read from its Parquet file, as `build` takes relations."""
    return {name: exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(s.path)]))
            for name, s in project.sources.items()}


def _sample_ids(members: dict, project) -> list:
    """Five ids at random (fixed seed), then one member of each segment not yet covered."""
    keys = sorted(members)
    ids = random.Random(2026).sample(keys, 5)
    covered = {path for key in ids for path in members[key]["segments"]}
    for segment in project.segments:
        if segment.path not in covered:
            key = next((k for k in keys if segment.path in members[k]["segments"]), None)
            if key is not None:
                ids.append(key)
                covered |= set(members[key]["segments"])
    return ids


@pytest.mark.parametrize("project_dir", PROJECTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_explain_agrees_with_eval_for_sample_ids(project_dir):
    loaded = segdsl.load(project_dir)
    project = loaded.checked()
    with loaded.evaluate() as result:
        rel = result.members
        members = {row[0]: dict(zip(rel.columns, row)) for row in rel.fetchall()}
    ids = _sample_ids(members, project)
    # The first id as the command asks (text, through Project.explain); the others through the
    # core on one connection, which saves checking the project again for each.
    explanations = [loaded.explain(str(ids[0]))]
    relations = _parquet_relations(project)
    with duckdb.connect() as con:
        as_of = resolve_as_of(None, project)
        explanations += [explain(project, con, relations, as_of, key) for key in ids[1:]]
    for key, explanation in zip(ids, explanations, strict=True):
        row = members[key]
        assert explanation.id == key
        assert {s.path for s in explanation.segments} == {s.path for s in project.segments}
        assert sorted(s.path for s in explanation.segments if s.member) == sorted(row["segments"]), key
        for segment in explanation.segments:
            # The final verdict is the parent's and the rule's, as SPEC §2 defines membership.
            assert segment.member == (segment.check.verdict and segment.parent_member is not False), \
                (key, segment.path)
        for layer in project.layers:
            assert explanation.layer(layer.name).tier == row[layer.name], (key, layer.name)
        for ms in project.microsegments:
            assert explanation.microsegment(ms.name).key == row[ms.name], (key, ms.name)


def test_every_segment_of_the_shipped_rules_has_a_member_among_the_sample_ids():
    """The agreement test above is only as good as its ids: they must reach every segment."""
    loaded = segdsl.load(ROOT / "rules")
    with loaded.evaluate() as result:
        rel = result.members
        members = {row[0]: dict(zip(rel.columns, row)) for row in rel.fetchall()}
    ids = _sample_ids(members, loaded.checked())
    reached = {path for key in ids for path in members[key]["segments"]}
    everyone = {path for row in members.values() for path in row["segments"]}
    assert reached == everyone


# --- precise cases on a small project ----------------------------------------------------------

SETTINGS = """\
entity: customers
as_of: 2026-11-01
sources:
  customers: {path: data/customers.parquet, key: id}
  orders: {path: data/orders.parquet, key: customer_id, time: ordered_at}
fields:
  age: {type: number}
metrics:
  orders_90d: count(orders) over 90d
  freq: count(orders) over 90d per month
  last_order_at: max(orders.ordered_at)
  weekly: count(orders) over 28d per week
"""

RULES = """\
segments:
  - name: adults
    rule: age >= 18
    segments:
      - name: buyers
        rule: orders_90d >= 1
  - name: no_age
    rule: age IS MISSING
  - name: frequent
    rule: freq > 1/w
  - name: recent
    rule: last_order_at >= 30d ago AND NOT plan = annual
  - name: speeding_up
    rule: weekly > `freq`
layers:
  - name: band
    tiers:
      - name: senior
        rule: age >= 65
      - name: adult
        rule: age >= 18
      - name: rest
        else: true
  - name: spend_rank
    within: adults
    tiers:
      - name: top
        rule: ntile(2, orders_90d) = 2
      - name: other
        else: true
  - name: grown
    tiers:
      - name: of_age
        rule: age >= 18
microsegments:
  - name: band_micro
    layers: [band]
    within: adults
"""

CUSTOMERS = {"id": [1, 2, 3, 4], "age": [34, 71, 17, None], "plan": ["monthly", "annual", "monthly", None]}
ORDERS = {
    # 1: two orders in the last 90 days (from 2026-08-03); 2: one order in 2025; 3: one in October.
    "customer_id": [1, 1, 2, 3],
    "ordered_at": [dt.datetime(2026, 10, 20), dt.datetime(2026, 9, 1), dt.datetime(2025, 1, 5),
                   dt.datetime(2026, 10, 25)],
}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("explain")
    write_parquet(folder / "data" / "customers.parquet", CUSTOMERS)
    write_parquet(folder / "data" / "orders.parquet", ORDERS)
    return write_project(folder, SETTINGS, RULES)


def _atoms(check) -> list[Atom]:
    if isinstance(check, Atom):
        return [check]
    return [atom for part in check.parts for atom in _atoms(part)]


def _operand(atom: Atom, text: str):
    return next(o for o in atom.operands if o.text == text)


def test_a_field_compared(small):
    segment = segdsl.load(small).explain(3).segment("adults")
    assert isinstance(segment.check, Atom)
    assert (segment.check.text, segment.check.verdict, segment.member) == ("age >= 18", False, False)
    age = _operand(segment.check, "age")
    assert (age.value, age.shown) == (17, "17")


def test_a_child_whose_parent_fails_is_not_a_member_though_its_own_rule_holds(small):
    # Customer 3 is 17 and ordered on 2026-10-25: a buyer, but not an adult.
    segment = segdsl.load(small).explain(3).segment("adults/buyers")
    assert (segment.parent, segment.parent_member, segment.check.verdict, segment.member) == \
        ("adults", False, True, False)
    assert _operand(segment.check, "orders_90d").value == 1
    assert "metric: count(orders) over 90d" in _operand(segment.check, "orders_90d").note


def test_a_metric_count(small):
    segment = segdsl.load(small).explain(1).segment("adults/buyers")
    orders = _operand(segment.check, "orders_90d")
    assert (orders.value, segment.member) == (2, True)
    assert "events from 2026-08-03T00:00:00 up to 2026-11-01T00:00:00" in orders.note  # as_of − 90 days


def test_is_missing_on_null(small):
    explanation = segdsl.load(small).explain(4)
    segment = explanation.segment("no_age")
    assert (segment.check.verdict, segment.member) == (True, True)
    assert (_operand(segment.check, "age").value, _operand(segment.check, "age").shown) == (None, "missing")
    # And a comparison on the missing age is false.
    assert explanation.segment("adults").check.verdict is False


def test_a_rate_metric_against_a_literal_in_another_unit(small):
    atom = segdsl.load(small).explain(1).segment("frequent").check
    assert atom.verdict is False
    # Two orders in 90 days is 2 / (90 / 30.4375) per month, and 2 / (90 / 7) per week.
    freq = _operand(atom, "freq")
    assert freq.value == pytest.approx(2 * 30.4375 / 90)
    assert freq.shown == f"{2 * 30.4375 / 90:.6g}/mo"
    assert f"{2 * 7 / 90:.6g}/w" in freq.note
    # `1/w` was compared as 30.4375 / 7 per month.
    literal = _operand(atom, "1/w")
    assert literal.value == pytest.approx(30.4375 / 7)
    assert literal.shown == f"{30.4375 / 7:.6g}/mo"


def test_a_rate_metric_converted_to_the_unit_of_the_other_side(small):
    atom = segdsl.load(small).explain(1).segment("speeding_up").check
    # One order since 2026-10-04 is 1 / (28 / 7) = 0.25 per week; `freq` (two orders in 90 days,
    # per month) is compared in per week: 2 / (90 / 7).
    assert _operand(atom, "weekly").shown == "0.25/w"
    freq = _operand(atom, "`freq`")  # as written: a field or metric right of `>` is in backticks
    assert freq.value == pytest.approx(2 * 7 / 90)
    assert freq.shown == f"{2 * 7 / 90:.6g}/w"
    assert freq.note.startswith("converted to per w, as compared; metric: count(orders) over 90d per month")
    assert atom.verdict is True


def test_ago_resolves_from_the_as_of_given(small):
    as_of = dt.datetime(2026, 11, 15, 12, 0)
    explanation = segdsl.load(small).explain(1, as_of=as_of.isoformat())
    assert explanation.as_of == as_of
    segment = explanation.segment("recent")
    assert isinstance(segment.check, Combination) and segment.check.op == "AND"
    compare, negation = segment.check.parts
    bound = _operand(compare, "30d ago")
    assert bound.value == (as_of - dt.timedelta(days=30)).isoformat()  # 2026-10-16T12:00:00
    assert _operand(compare, "last_order_at").value == "2026-10-20T00:00:00"
    assert compare.verdict is True
    assert isinstance(negation, Combination) and negation.op == "NOT"
    assert (negation.verdict, negation.parts[0].text, negation.parts[0].verdict) == (True, "plan = annual", False)
    assert segment.member is True


def test_not_of_a_comparison_on_a_missing_value_is_true(small):
    # Customer 4 has no plan: `plan = annual` is false, so `NOT plan = annual` is true (SPEC §3).
    negation = segdsl.load(small).explain(4).segment("recent").check.parts[1]
    assert (negation.verdict, negation.parts[0].verdict) == (True, False)
    assert _operand(negation.parts[0], "plan").value is None


def test_a_layer_where_the_first_tier_fails_and_the_second_wins(small):
    explanation = segdsl.load(small).explain(1)
    layer = explanation.layer("band")
    assert layer.tier == "adult"
    senior, adult, rest = layer.tiers
    assert (senior.name, senior.check.verdict, _operand(senior.check, "age").value) == ("senior", False, 34)
    assert (adult.name, adult.check.verdict) == ("adult", True)
    assert (rest.name, rest.check) == ("rest", None)
    text = render_text(explanation)
    assert "layer band: adult" in text and "not tried: rest" in text
    assert explanation.microsegment("band_micro").key == "adult"


def test_else_wins_and_within_keeps_rows_out(small):
    explanation = segdsl.load(small).explain(4)
    assert explanation.layer("band").tier == "rest"
    spend = explanation.layer("spend_rank")
    assert (spend.within_member, spend.tier) == (False, None)
    micro = explanation.microsegment("band_micro")
    assert (micro.within_member, micro.layers, micro.key) == (False, (("band", "rest"),), None)
    assert "not a member of adults" in render_text(explanation)


def test_a_layer_without_else_leaves_unmatched_rows_without_a_tier(small):
    explanation = segdsl.load(small).explain(3, segment="grown")
    layer = explanation.layer("grown")
    assert (layer.tier, [t.check.verdict for t in layer.tiers]) == (None, [False])
    assert "layer grown: no tier" in render_text(explanation)
    assert "no tier matched and the layer has no else" in render_text(explanation)


def test_a_ranking_sees_every_row_of_its_scope(small):
    # Adults are 1 (two orders in 90 days) and 2 (none): ntile(2) ranks 2 first, then 1.
    project = segdsl.load(small)
    first, second = (project.explain(k).layer("spend_rank") for k in (1, 2))
    rank_of = lambda layer: _operand(layer.tiers[0].check, "ntile(2, orders_90d)")  # noqa: E731
    assert (rank_of(first).value, first.tier) == (2, "top")
    assert (rank_of(second).value, second.tier) == (1, "other")
    assert rank_of(first).note == "ranked among the members of adults"


def test_paths_narrow_to_what_was_asked_and_its_parents(small):
    project = segdsl.load(small)
    explanation = project.explain(1, segment="adults/buyers")
    assert [s.path for s in explanation.segments] == ["adults", "adults/buyers"]
    assert (explanation.layers, explanation.microsegments) == ((), ())
    micro = project.explain(1, segment="band_micro")
    assert [s.path for s in micro.segments] == ["adults"]
    assert [layer.name for layer in micro.layers] == ["band"]
    assert [ms.name for ms in micro.microsegments] == ["band_micro"]


def test_unknown_id_and_unknown_segment(small):
    project = segdsl.load(small)
    with pytest.raises(UnknownId) as caught:
        project.explain("99")
    assert isinstance(caught.value, DataError)
    assert "source customers" in str(caught.value) and "id = 99" in str(caught.value)
    assert "customers.parquet" in str(caught.value)
    assert caught.value.hint == "id runs from 1 to 4 in customers (4 rows)"
    with pytest.raises(UnknownId, match="no row has id = one") as caught:
        project.explain("one")
    assert caught.value.hint == "id is a number in customers, and 'one' is not one"
    with pytest.raises(UsageError, match="did you mean 'adults/buyers'"):
        project.explain(1, segment="adults/buyer")


def test_the_core_runs_on_any_connection_and_relations():
    """What `segdsl test` needs: rows loaded into DuckDB tables, no files, a text key."""
    from harness import checked

    project = checked({"segdsl.yml": SETTINGS, "rules.yml": RULES},
                      {"customers": {"id": "string", "age": "number", "plan": "string"},
                       "orders": {"customer_id": "string", "ordered_at": "timestamp"}})
    con = duckdb.connect()
    try:
        con.register("given_customers", pa.table({"id": ["a", "b"], "age": [70, 20], "plan": ["x", "y"]}))
        con.register("given_orders", pa.table({"customer_id": ["b"], "ordered_at": [dt.datetime(2026, 10, 30)]}))
        relations = {"customers": exp.to_table("given_customers"), "orders": exp.to_table("given_orders")}
        as_of = dt.datetime(2026, 11, 1)
        explanation = explain(project, con, relations, as_of, "b", ["adults/buyers"])
        assert [(s.path, s.member) for s in explanation.segments] == [("adults", True), ("adults/buyers", True)]
        with pytest.raises(UnknownId) as caught:
            explain(project, con, relations, as_of, "c")
        assert caught.value.hint == 'the first id values of customers are "a", "b"'
    finally:
        con.close()


def test_a_key_on_two_rows_is_a_data_error(tmp_path):
    folder = tmp_path / "twice"
    write_parquet(folder / "data" / "customers.parquet", {"id": [1, 1], "age": [20, 30], "plan": ["a", "b"]})
    write_parquet(folder / "data" / "orders.parquet", ORDERS)
    write_project(folder, SETTINGS, RULES)
    with pytest.raises(DataError, match=r"customers\.parquet\): 1 id value\(s\) occur on more than one row"):
        segdsl.load(folder).explain("1")
    # The core, without the API's check of the whole source, still refuses to pick one.
    project = segdsl.load(folder).checked()
    relations = _parquet_relations(project)
    with duckdb.connect() as con, pytest.raises(DataError, match="2 rows have id = 1$"):
        explain(project, con, relations, dt.datetime(2026, 11, 1), "1")


def test_a_project_without_layers_or_microsegments(tmp_path):
    folder = tmp_path / "plain"
    write_parquet(folder / "data" / "customers.parquet", CUSTOMERS)
    write_parquet(folder / "data" / "orders.parquet", ORDERS)
    write_project(folder, SETTINGS, "segments:\n  - name: seniors\n    rule: age >= 65\n")
    explanation = segdsl.load(folder).explain("2")
    assert [(s.path, s.member) for s in explanation.segments] == [("seniors", True)]
    assert (explanation.layers, explanation.microsegments) == ((), ())


def test_json_has_the_same_content(small):
    explanation = segdsl.load(small).explain(1, segment="recent")
    document = to_dict(explanation)
    assert json.loads(json.dumps(document)) == document
    check = document["segments"][0]["check"]
    assert check["kind"] == "AND" and [p["kind"] for p in check["parts"]] == ["atom", "NOT"]
    micro = to_dict(segdsl.load(small).explain(1, segment="band_micro"))
    assert micro["key"] == "id" and micro["layers"][0]["tier"] == "adult"
    assert micro["microsegments"] == [{"name": "band_micro", "layers": {"band": "adult"}, "within": "adults",
                                       "within_member": True, "key": "adult"}]


# --- the command -------------------------------------------------------------------------------


def test_cli_unknown_id_exits_1_naming_the_source_and_key(small):
    result = run_segdsl("explain", small, "--id", "99")
    assert result.returncode == 1 and clean(result) and result.stdout == ""
    assert "source customers" in result.stderr and "no row has id = 99" in result.stderr
    assert "hint: id runs from 1 to 4" in result.stderr


def test_cli_unknown_segment_exits_2(small):
    result = run_segdsl("explain", small, "--id", "1", "--segment", "adult")
    assert result.returncode == 2 and clean(result)
    assert "no segment 'adult'" in result.stderr


def test_cli_rule_errors_exit_1_with_the_diagnostics(tmp_path):
    folder = tmp_path / "broken"
    write_parquet(folder / "data" / "customers.parquet", CUSTOMERS)
    write_parquet(folder / "data" / "orders.parquet", ORDERS)
    write_project(folder, SETTINGS, "segments:\n  - name: old\n    rule: agee >= 65\n")
    result = run_segdsl("explain", folder, "--id", "1")
    assert result.returncode == 1 and clean(result) and result.stdout == ""
    assert "unknown field 'agee' (did you mean 'age'?)" in result.stderr


def test_cli_missing_id_exits_2(small):
    result = run_segdsl("explain", small)
    assert result.returncode == 2 and clean(result) and "--id" in result.stderr


def test_cli_json_parses_and_text_shows_the_atoms():
    result = run_segdsl("explain", "rules", "--id", "10002", "--segment", "tech/power_buyers", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [s["path"] for s in document["segments"]] == ["tech", "tech/power_buyers"]
    assert document["id"] == 10002 and document["as_of"] == "2026-11-01T00:00:00"
    text = run_segdsl("explain", "rules", "--id", "10002", "--segment", "tech/power_buyers")
    assert text.returncode == 0
    assert "segment tech/power_buyers:" in text.stdout and "purchase_freq > 4/mo" in text.stdout


def test_the_examples_in_the_docs_are_what_the_command_prints():
    """docs/explain.md shows real output: each `segdsl explain rules ...` example, run again."""
    import re

    docs = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    examples = re.findall(r"`segdsl explain (rules [^`]+)`[^`]*?```text\n(.*?)```", docs, flags=re.DOTALL)
    assert len(examples) == 2
    for args, shown in examples:
        result = run_segdsl("explain", *args.split())
        assert result.returncode == 0, result.stderr
        assert result.stdout == shown, args
