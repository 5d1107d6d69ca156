"""The reference interpreter on rankings, and on scopes: segments, layers and microsegments.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.dsl import typed as t
from segdsl.reference import Membership, rank_values
from test_reference import AGE, TAGS, at, cmp, fld, layer, ntile, num, prank, project, run, seg, text, tiers_of, value


# --- rankings ------------------------------------------------------------------------------


@pytest.mark.parametrize("args, keys, tiles, expected", [
    ([5, 1, 3, 2, 4], [1, 2, 3, 4, 5], 5, [5, 1, 3, 2, 4]),
    ([1, 2, 3, 4, 5, 6, 7], list(range(7)), 5, [1, 1, 2, 2, 3, 4, 5]),   # sizes 2,2,1,1,1
    ([7, 7, 7, 7], [4, 3, 2, 1], 2, [2, 2, 1, 1]),                        # ties broken by key
    ([10, 20, 30], [1, 2, 3], 5, [1, 2, 3]),                              # fewer rows than tiles
    ([None, 3, None, 1], [1, 2, 3, 4], 2, [None, 2, None, 1]),            # missing: unranked
    ([None, None], [1, 2], 4, [None, None]),
    ([], [], 3, []),
    ([dt.date(2026, 1, 2), at(2026, 1, 1, 12)], [1, 2], 2, [2, 1]),       # date is midnight
])
def test_ntile(args, keys, tiles, expected):
    assert rank_values(ntile(tiles, AGE), args, keys) == expected


@pytest.mark.parametrize("args, expected", [
    ([10, 20, 20, 30], [0.0, 1 / 3, 1 / 3, 1.0]),    # ties share the lowest rank
    ([5], [0.0]),                                    # a single row
    ([5, 5, 5], [0.0, 0.0, 0.0]),
    ([None, 2, 1], [None, 1.0, 0.0]),
])
def test_percent_rank(args, expected):
    assert rank_values(prank(AGE), args, list(range(len(args)))) == expected


def _duckdb_ranks(xs, tiles):
    rows = ", ".join(f"({k}, {'NULL' if x is None else x})" for k, x in enumerate(xs))
    got = duckdb.sql(f"""
        SELECT k, NTILE({tiles}) OVER (ORDER BY x, k), PERCENT_RANK() OVER (ORDER BY x)
        FROM (VALUES (-1, 0), {rows}) AS v(k, x) WHERE x IS NOT NULL AND k >= 0""").fetchall()
    ntiles, pranks = [None] * len(xs), [None] * len(xs)
    for k, n, p in got:
        ntiles[k], pranks[k] = n, p
    return ntiles, pranks


@settings(max_examples=150, deadline=None)
@given(xs=st.lists(st.none() | st.integers(-3, 3) | st.sampled_from([0.5, -1.5]), max_size=12),
       tiles=st.integers(1, 6), keys=st.randoms(use_true_random=False))
def test_rankings_equal_duckdb(xs, tiles, keys):
    order = list(range(len(xs)))
    keys.shuffle(order)                          # key order independent of row order
    ntiles, pranks = _duckdb_ranks([xs[i] for i in order], tiles)
    by_row = {i: j for j, i in enumerate(order)}
    assert rank_values(ntile(tiles, AGE), xs, [by_row[i] for i in range(len(xs))]) \
        == [ntiles[by_row[i]] for i in range(len(xs))]
    assert rank_values(prank(AGE), xs, list(range(len(xs)))) \
        == pytest.approx([pranks[by_row[i]] for i in range(len(xs))])


# --- scopes, segments, layers, microsegments -----------------------------------------------

SPEND = fld("spend")
# Ten customers, spend 0..90; ids run opposite to spend so order by key is not order by spend.
CUSTOMERS = [{"id": 100 - i, "spend": 10 * i, "tags": ["x"] if i % 2 else []} for i in range(10)]


def members(result, path):
    return [m.key for m in result if path in m.segments]


def test_child_ranks_among_its_parents_members():
    top_half = cmp("=", ntile(2, SPEND), num(2))
    proj = project(segments=[seg("big", cmp(">=", SPEND, num(20))),     # 8 rows: 20..90
                             seg("big/top", top_half),                  # top 4 of those 8
                             seg("top", top_half)])                     # top 5 of all 10
    result = run(proj, CUSTOMERS)
    assert members(result, "big/top") == [94, 93, 92, 91]
    assert members(result, "top") == [95, 94, 93, 92, 91]


def test_parent_condition_keeps_its_own_scope():
    top_half = cmp("=", ntile(2, SPEND), num(2))
    proj = project(segments=[seg("top", top_half), seg("top/top", top_half)])
    result = run(proj, CUSTOMERS)
    assert members(result, "top") == [95, 94, 93, 92, 91]
    assert members(result, "top/top") == [92, 91]          # the 5 split into tiles of 3 and 2
    assert [m.segments for m in result][-1] == ("top", "top/top")


def test_segment_refs_work_in_any_order():
    proj = project(segments=[seg("rich_and_tagged", t.And(t.SegmentRef("rich"),
                                                          t.SegmentRef("tagged"))),
                             seg("tagged", t.TextMatch("contains", TAGS, text("x"),
                                                       on_list=True)),
                             seg("rich", cmp(">", SPEND, num(50)))])
    result = run(proj, CUSTOMERS)
    assert members(result, "rich_and_tagged") == [93, 91]
    assert result[9].segments == ("rich_and_tagged", "tagged", "rich")   # project order


def test_segment_ref_is_membership_in_its_own_scope():
    top_half = cmp("=", ntile(2, SPEND), num(2))
    proj = project(segments=[seg("big", cmp(">=", SPEND, num(20))), seg("big/top", top_half),
                             seg("ref", t.SegmentRef("big/top"))])
    result = run(proj, CUSTOMERS)
    assert members(result, "ref") == members(result, "big/top") == [94, 93, 92, 91]


def test_metrics_rank_the_whole_entity_and_chain():
    double = t.Metric("double", t.Arith("*", SPEND, num(2), t.NUMBER), t.NUMBER, "")
    tile = t.Metric("tile", ntile(5, t.MetricRef("double", t.NUMBER)), t.NUMBER, "")
    proj = project(metrics=[double, tile],
                   segments=[seg("big", cmp(">=", SPEND, num(50))),
                             seg("big/top", cmp("=", t.MetricRef("tile", t.NUMBER), num(5))),
                             seg("big/top_here", cmp("=", ntile(5, SPEND), num(5)))])
    result = run(proj, CUSTOMERS)
    assert members(result, "big/top") == [92, 91]     # the metric ranked all ten
    assert members(result, "big/top_here") == [91]    # the rule ranks big's five


def test_nested_rankings_are_computed_inner_first():
    inner = ntile(5, SPEND)                           # 1,1,2,2,3,3,4,4,5,5
    proj = project(segments=[seg("s", cmp("=", ntile(2, inner), num(2)))])
    # Ties on the inner tile go by key, and keys run opposite to spend: within tile 3
    # (spend 40 and 50, ids 96 and 95) id 95 sorts first and falls in the lower half.
    assert members(run(proj, CUSTOMERS), "s") == [96, 94, 93, 92, 91]


def test_layer_first_match_wins_and_else_catches_the_rest():
    proj = project(layers=[
        layer("value", [("top", cmp(">=", SPEND, num(70))),
                        ("high", cmp(">=", SPEND, num(40))),    # also true for the top rows
                        ("rest", None)]),
        layer("strict", [("top", cmp(">=", SPEND, num(70))), ("low", cmp("<", SPEND, num(20)))]),
    ])
    result = run(proj, CUSTOMERS)
    assert tiers_of(result, "value") == ["rest"] * 4 + ["high"] * 3 + ["top"] * 3
    assert tiers_of(result, "strict") == ["low"] * 2 + [None] * 5 + ["top"] * 3


def test_layer_within_ranks_and_labels_only_its_segment():
    proj = project(segments=[seg("buyers", cmp(">", SPEND, num(0)))],
                   layers=[layer("value", [("top", cmp("=", ntile(3, SPEND), num(3))),
                                           ("rest", None)], within="buyers")])
    result = run(proj, CUSTOMERS)
    # Nine buyers in three tiles of three: spend 70, 80, 90 are the top.
    assert tiers_of(result, "value") == [None] + ["rest"] * 6 + ["top"] * 3


def test_microsegment_keys_join_tiers_in_listed_order():
    proj = project(
        segments=[seg("buyers", cmp(">", SPEND, num(0)))],
        layers=[layer("life", [("new", cmp("<", SPEND, num(30))), ("old", None)]),
                layer("value", [("top", cmp(">=", SPEND, num(80)))])],
        microsegments=[t.Microsegment("value_life", ("value", "life"), None),
                       t.Microsegment("life_only", ("life",), "buyers")])
    result = run(proj, CUSTOMERS)
    assert [m.microsegments["value_life"] for m in result] == [None] * 8 + ["top/old"] * 2
    assert [m.microsegments["life_only"] for m in result] \
        == [None, "new", "new"] + ["old"] * 7
    assert result[9] == Membership(key=91, segments=("buyers",),
                                   tiers={"life": "old", "value": "top"},
                                   microsegments={"value_life": "top/old", "life_only": "old"})


def test_empty_project_gives_one_membership_per_row():
    assert run(project(), [{"id": 2}, {"id": 1}]) == [
        Membership(2, (), {}, {}), Membership(1, (), {}, {})]


def test_a_ranking_alone_needs_its_value_from_the_scope():
    rank = ntile(4, AGE)
    with pytest.raises(ValueError, match="scope"):
        value(cmp("=", rank, num(4)), {"age": 1})
    assert value(cmp("=", rank, num(4)), {"age": 1}, ranks={rank: 4}) is True


def test_a_segment_cycle_is_an_error_not_a_hang():
    proj = project(segments=[seg("a", t.SegmentRef("b")), seg("b", t.SegmentRef("a"))])
    with pytest.raises(ValueError, match="depends on itself"):
        run(proj, CUSTOMERS)
