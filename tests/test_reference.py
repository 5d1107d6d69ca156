"""The reference interpreter (SPEC §3), on typed IR built by hand.

The checker is not used here: each test builds the nodes it needs with the helpers below, so a
failure points at the interpreter alone.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.dsl import typed as t
from segdsl.reference import Data, Membership, evaluate, evaluate_expr, own_events, rank_values

AS_OF = dt.datetime(2026, 11, 1)
DAY = 86_400

# --- helpers -------------------------------------------------------------------------------


def num(value):
    return t.Const(value, t.NUMBER)


def text(value):
    return t.Const(value, t.STRING)


def fld(name, type_=t.NUMBER):
    return t.Field(name, type_)


def ts_field(name):
    return t.Field(name, t.TIMESTAMP)


def ago(days=0, months=0):
    return t.RelTime(t.Offset(months=months, seconds=days * DAY))


def cmp(op, left, right):
    return t.Compare(op, left, right)


def ntile(tiles, arg):
    return t.Rank("ntile", arg, tiles, t.NUMBER)


def prank(arg):
    return t.Rank("percent_rank", arg, None, t.NUMBER)


def order_col(name, type_=t.NUMBER):
    return t.EventField("orders", name, type_)


def agg(function="count", column=None, where=None, window=None, per_days=None):
    column = order_col(column) if isinstance(column, str) else column
    return t.Aggregate(function, "orders", column, where, window, "ordered_at", per_days, t.NUMBER)


def last(days):
    """`over Nd`."""
    return t.Window(start=ago(days))


def value(expr, row=None, events=None, as_of=AS_OF, **kw):
    return evaluate_expr(expr, row or {}, {"orders": events or []}, as_of, **kw)


def seg(path, rule):
    parent = path.rpartition("/")[0] or None
    return t.Segment(path=path, name=path.rpartition("/")[2], parent=parent, rule=rule, text="")


def layer(name, tiers, within=None):
    return t.Layer(name, within, tuple(t.Tier(n, r) for n, r in tiers))


def project(segments=(), layers=(), microsegments=(), metrics=()):
    sources = {
        "customers": t.Source("customers", "c.parquet", "id", None, {}),
        "orders": t.Source("orders", "o.parquet", "customer_id", "ordered_at", {}),
    }
    return t.Project(entity="customers", key="id", as_of=None, sources=sources, fields={},
                     metrics=tuple(metrics), segments=tuple(segments), layers=tuple(layers),
                     microsegments=tuple(microsegments))


def run(proj, rows, orders=()):
    return evaluate(proj, Data(entity=rows, events={"orders": list(orders)}), AS_OF)


def tiers_of(result, name):
    return [m.tiers[name] for m in result]


def at(*args):
    return dt.datetime(*args)


# --- conditions and missing values ---------------------------------------------------------

AGE = fld("age")


@pytest.mark.parametrize("expr, row, expected", [
    (cmp(">", AGE, num(30)), {"age": 40}, True),
    (cmp(">", AGE, num(30)), {"age": None}, False),
    (cmp("<=", AGE, num(30)), {"age": None}, False),
    (t.Not(cmp(">", AGE, num(30))), {"age": None}, True),   # SPEC: NOT (age > 30)
    (t.Not(cmp(">", AGE, num(30))), {"age": 40}, False),
    (cmp("=", AGE, num(30)), {"age": None}, False),
    (cmp("!=", AGE, num(30)), {"age": None}, False),
    (cmp("!=", AGE, num(30)), {"age": 31}, True),
    (cmp("=", num(30), AGE), {}, False),                    # an absent column is missing
    (cmp("=", AGE, num(1.0)), {"age": 1}, True),            # ints and floats numerically
    (cmp("<", AGE, num(30)), {"age": 29.5}, True),
    (cmp(">=", AGE, num(30)), {"age": 30}, True),
    (t.InList(AGE, (num(1), num(2))), {"age": 2}, True),
    (t.InList(AGE, (num(1), num(2))), {"age": None}, False),
    (t.InList(AGE, (num(1), num(2)), negated=True), {"age": 3}, True),
    (t.InList(AGE, (num(1), num(2)), negated=True), {"age": 2}, False),
    (t.InList(AGE, (num(1), num(2)), negated=True), {"age": None}, False),
    (t.InList(AGE, (num(1), fld("other"))), {"age": 1}, True),          # missing item
    (t.InList(AGE, (num(1), fld("other"))), {"age": 3}, False),
    (t.InList(AGE, (num(1), fld("other")), negated=True), {"age": 3}, False),
    (t.Between(AGE, num(18), num(30)), {"age": 18}, True),  # inclusive both ends
    (t.Between(AGE, num(18), num(30)), {"age": 30}, True),
    (t.Between(AGE, num(18), num(30)), {"age": 31}, False),
    (t.Between(AGE, num(18), num(30)), {"age": None}, False),
    (t.Between(AGE, num(18), num(30), negated=True), {"age": 31}, True),
    (t.Between(AGE, num(18), num(30), negated=True), {"age": 20}, False),
    (t.Between(AGE, num(18), num(30), negated=True), {"age": None}, False),
    (t.Between(AGE, num(18), fld("cap")), {"age": 20}, False),          # missing bound
    (t.Between(AGE, num(18), fld("cap"), negated=True), {"age": 5}, False),
    (t.IsMissing(AGE), {"age": None}, True),
    (t.IsMissing(AGE), {"age": 0}, False),
    (t.IsMissing(AGE, negated=True), {"age": None}, False),
    (t.IsMissing(AGE, negated=True), {"age": 0}, True),
    (t.IsTrue(fld("vip", t.BOOLEAN)), {"vip": True}, True),
    (t.IsTrue(fld("vip", t.BOOLEAN)), {"vip": False}, False),
    (t.IsTrue(fld("vip", t.BOOLEAN)), {"vip": None}, False),
    (t.Not(t.IsTrue(fld("vip", t.BOOLEAN))), {"vip": None}, True),
    (t.And(t.IsMissing(AGE), cmp(">", AGE, num(1))), {"age": None}, False),
    (t.Or(t.IsMissing(AGE), cmp(">", AGE, num(1))), {"age": None}, True),
    (t.Or(cmp("<", AGE, num(1)), cmp(">", AGE, num(1))), {"age": 1}, False),
])
def test_conditions_are_two_valued(expr, row, expected):
    assert value(expr, row) is expected


CITY = fld("city", t.STRING)


@pytest.mark.parametrize("expr, city, expected", [
    (cmp("=", CITY, text("tech")), "Tech", False),
    (cmp("=", t.Func("lower", (CITY,), t.STRING), text("tech")), "Tech", True),
    (t.InList(CITY, (text("tech"), text("saas"))), "SaaS", False),
    (t.TextMatch("contains", CITY, text("York")), "New York", True),
    (t.TextMatch("contains", CITY, text("york")), "New York", False),
    (t.TextMatch("starts_with", CITY, text("New")), "New York", True),
    (t.TextMatch("starts_with", CITY, text("new")), "New York", False),
    (t.TextMatch("ends_with", CITY, text("York")), "New York", True),
    (t.TextMatch("ends_with", CITY, text("New")), "New York", False),
    (t.TextMatch("contains", CITY, text("York"), negated=True), "Boston", True),
    (t.TextMatch("contains", CITY, text("York"), negated=True), "New York", False),
    (t.TextMatch("contains", CITY, text("York")), None, False),
    (t.TextMatch("contains", CITY, text("York"), negated=True), None, False),
    (t.TextMatch("starts_with", CITY, text("N"), negated=True), None, False),
    (t.TextMatch("contains", CITY, fld("missing", t.STRING)), "New York", False),
])
def test_strings_match_exactly(expr, city, expected):
    assert value(expr, {"city": city}) is expected


TAGS = fld("tags", t.Type("list", element=t.STRING))


@pytest.mark.parametrize("tags, negated, expected", [
    (["golf", "wine"], False, True),
    (["Golf", "wine"], False, False),   # list membership is case-sensitive too
    ([], False, False),
    (None, False, False),
    (["wine"], True, True),
    (["golf"], True, False),
    (None, True, False),                # NOT CONTAINS on a missing list is still false
])
def test_contains_on_a_list_tests_membership(tags, negated, expected):
    expr = t.TextMatch("contains", TAGS, text("golf"), negated=negated, on_list=True)
    assert value(expr, {"tags": tags}) is expected


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize("expr, row, expected", [
    (t.Arith("+", AGE, num(1), t.NUMBER), {"age": 2}, 3),
    (t.Arith("-", AGE, num(1), t.NUMBER), {"age": None}, None),
    (t.Arith("*", num(2), AGE, t.NUMBER), {"age": None}, None),
    (t.Arith("/", num(7), AGE, t.NUMBER), {"age": 2}, 3.5),       # true division
    (t.Arith("/", num(7), AGE, t.NUMBER), {"age": 0}, None),      # zero divisor: missing
    (t.Arith("/", num(7), AGE, t.NUMBER), {"age": 0.0}, None),
    (t.Neg(AGE, t.NUMBER), {"age": 4}, -4),
    (t.Neg(AGE, t.NUMBER), {"age": None}, None),
    (t.Func("lower", (CITY,), t.STRING), {"city": "New York"}, "new york"),
    (t.Func("upper", (CITY,), t.STRING), {"city": "New York"}, "NEW YORK"),
    (t.Func("lower", (CITY,), t.STRING), {"city": None}, None),
    (t.Func("abs", (AGE,), t.NUMBER), {"age": -3}, 3),
    (t.Func("abs", (AGE,), t.NUMBER), {"age": None}, None),
    (t.Func("coalesce", (AGE, fld("b"), num(9)), t.NUMBER), {"age": None, "b": 0}, 0),
    (t.Func("coalesce", (AGE, fld("b")), t.NUMBER), {"age": None, "b": None}, None),
    (t.Func("length", (CITY,), t.NUMBER), {"city": "Paris"}, 5),
    (t.Func("length", (TAGS,), t.NUMBER), {"tags": ["a", "b"]}, 2),
    (t.Func("length", (TAGS,), t.NUMBER), {"tags": None}, None),
    (t.Func("year", (fld("d", t.DATE),), t.NUMBER), {"d": dt.date(2024, 2, 29)}, 2024),
    (t.Func("month", (fld("d", t.DATE),), t.NUMBER), {"d": dt.date(2024, 2, 29)}, 2),
    (t.Func("month", (ts_field("d"),), t.NUMBER), {"d": at(2024, 7, 1, 9)}, 7),
    (t.Func("year", (ts_field("d"),), t.NUMBER), {"d": None}, None),
])
def test_values_propagate_missing(expr, row, expected):
    got = value(expr, row)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("as_of, x, days", [
    (at(2026, 11, 1, 0, 30), at(2026, 10, 31, 23, 59), 1),   # calendar days, not 24 h
    (at(2026, 11, 1, 23, 59), at(2026, 11, 1, 0, 0), 0),
    (at(2026, 11, 1), dt.date(2026, 10, 2), 30),
    (at(2026, 11, 1), at(2026, 11, 3, 12), -2),
    (at(2026, 11, 1), None, None),
])
def test_days_since_counts_calendar_dates(as_of, x, days):
    assert value(t.Func("days_since", (ts_field("x"),), t.NUMBER), {"x": x}, as_of=as_of) == days


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of, months, seconds, expected", [
    (at(2026, 3, 31), 1, 0, at(2026, 2, 28)),       # clamped to the month's last day
    (at(2024, 3, 31), 1, 0, at(2024, 2, 29)),       # leap year
    (at(2026, 3, 31), 12, 0, at(2025, 3, 31)),
    (at(2026, 1, 15, 8), 2, 0, at(2025, 11, 15, 8)),  # across a year, time kept
    (at(2026, 5, 31), 6, 0, at(2025, 11, 30)),
    (at(2026, 3, 31), 1, DAY, at(2026, 2, 27)),     # months first, then seconds
    (at(2026, 11, 1), 0, 90 * DAY, at(2026, 8, 3)),
    (at(2026, 11, 1, 6), 0, 12 * 3600, at(2026, 10, 31, 18)),
])
def test_relative_time_uses_calendar_months(as_of, months, seconds, expected):
    rel = t.RelTime(t.Offset(months=months, seconds=seconds))
    assert value(rel, as_of=as_of) == expected


def test_today_is_the_date_and_now_the_timestamp():
    as_of = at(2026, 11, 1, 15, 30)
    today = value(t.RelTime(t.Offset(), as_date=True), as_of=as_of)
    now = value(t.RelTime(t.Offset()), as_of=as_of)
    assert type(today) is dt.date and today == dt.date(2026, 11, 1)
    assert now == as_of
    assert value(t.ToTimestamp(t.RelTime(t.Offset(), as_date=True)), as_of=as_of) == at(2026, 11, 1)
    assert value(t.RelTime(t.Offset(months=1), as_date=True), as_of=as_of) == dt.date(2026, 10, 1)


def test_dates_compare_as_their_midnight():
    d = fld("d", t.DATE)
    assert value(t.ToTimestamp(d), {"d": dt.date(2026, 1, 2)}) == at(2026, 1, 2)
    assert value(t.ToTimestamp(d), {"d": None}) is None
    assert value(t.ToTimestamp(ts_field("d")), {"d": at(2026, 1, 2, 5)}) == at(2026, 1, 2, 5)
    # Unwrapped dates never reach a comparison from the checker, but they still mean midnight.
    assert value(cmp("=", d, t.Const(at(2026, 1, 2), t.TIMESTAMP)), {"d": dt.date(2026, 1, 2)})
    assert value(cmp("<", ts_field("x"), d), {"x": at(2026, 1, 1, 23), "d": dt.date(2026, 1, 2)})


@pytest.mark.parametrize("x, expected", [
    (at(2026, 10, 2), True),            # exactly at the start: included
    (at(2026, 10, 1, 23, 59), False),
    (at(2026, 11, 1), True),            # exactly at as_of: included
    (at(2026, 11, 1, 0, 0, 1), False),  # after as_of: excluded
    (dt.date(2026, 10, 2), True),       # a date is its midnight
    (None, False),
])
def test_within_is_start_to_as_of(x, expected):
    assert value(t.Within(ts_field("x"), ago(30)), {"x": x}) is expected


# --- aggregates ----------------------------------------------------------------------------


def order(when, amount=10, **more):
    return {"customer_id": 1, "ordered_at": when, "amount": amount, **more}


def test_window_over_last_days_is_inclusive_and_stops_at_as_of():
    events = [order(at(2026, 8, 3)),          # exactly 90d ago: in
              order(at(2026, 8, 2, 23)),      # before the window
              order(at(2026, 10, 1)),
              order(AS_OF),                   # exactly as_of: in
              order(at(2026, 11, 1, 0, 1)),   # after as_of: never counts
              order(None)]                    # no time: never counts
    assert value(agg(window=last(90)), events=events) == 3


def test_window_between_two_times_excludes_its_end():
    window = t.Window(start=ago(180), end=ago(90), end_inclusive=False)
    events = [order(at(2026, 5, 5)),          # exactly 180d ago: in
              order(at(2026, 6, 1)),
              order(at(2026, 8, 3))]          # exactly 90d ago: the end, out
    assert value(agg(window=window), events=events) == 2
    inclusive = t.Window(start=ago(180), end=ago(90), end_inclusive=True)
    assert value(agg(window=inclusive), events=events) == 3


def test_window_with_date_bounds_means_their_midnight():
    window = t.Window(start=t.Const(dt.date(2026, 1, 1), t.DATE),
                      end=t.Const(dt.date(2026, 3, 31), t.DATE), end_inclusive=False)
    events = [order(at(2026, 1, 1)), order(at(2026, 3, 30, 23, 59)), order(at(2026, 3, 31)),
              order(dt.date(2026, 2, 1)), order(at(2025, 12, 31, 23))]
    assert value(agg(window=window), events=events) == 3


def test_no_window_counts_all_history_up_to_as_of():
    events = [order(at(2001, 1, 1)), order(AS_OF), order(at(2027, 1, 1))]
    assert value(agg(), events=events) == 2


def test_where_filters_on_the_event_row():
    where = t.And(cmp("=", order_col("category", t.STRING), text("skincare")),
                  cmp(">", order_col("amount"), num(100)))
    events = [order(at(2026, 10, 1), 150, category="skincare"),
              order(at(2026, 10, 2), 50, category="skincare"),
              order(at(2026, 10, 3), 150, category="Skincare"),
              order(at(2026, 10, 4), None, category="skincare")]
    assert value(agg(where=where), events=events) == 1
    assert value(agg("sum", "amount", where=where), events=events) == 150


@pytest.mark.parametrize("function, column, expected", [
    ("count", None, 4),
    ("count_distinct", "amount", 2),     # 10 and 10.0 are one value; None is not counted
    ("sum", "amount", 50),
    ("avg", "amount", 50 / 3),
    ("min", "amount", 10),
    ("max", "amount", 30),
    ("max", "ordered_at", at(2026, 10, 4)),
])
def test_aggregate_functions_skip_missing(function, column, expected):
    events = [order(at(2026, 10, 1), 10), order(at(2026, 10, 2), 10.0),
              order(at(2026, 10, 3), 30), order(at(2026, 10, 4), None)]
    got = value(agg(function, column), events=events)
    assert got == (pytest.approx(expected) if isinstance(expected, float) else expected)


@pytest.mark.parametrize("function, column, expected", [
    ("count", None, 0), ("count_distinct", "amount", 0), ("sum", "amount", 0),
    ("avg", "amount", None), ("min", "amount", None), ("max", "amount", None),
])
def test_entity_without_events(function, column, expected):
    assert value(agg(function, column, window=last(30)), events=[]) == expected
    # Events that all fall outside the window count as none.
    assert value(agg(function, column, window=last(30)), events=[order(at(2020, 1, 1))]) \
        == expected


def test_per_days_divides_by_window_length_in_units():
    events = [order(at(2026, 10, d)) for d in range(1, 10)]
    rate = value(agg(window=last(90), per_days=30.4375), events=events)
    assert rate == pytest.approx(9 / (90 / 30.4375))
    assert value(agg(window=last(90), per_days=30.4375), events=[]) == 0


def test_per_days_uses_the_window_length_even_past_as_of():
    window = t.Window(start=t.Const(at(2026, 10, 1), t.TIMESTAMP),
                      end=t.Const(at(2026, 12, 30), t.TIMESTAMP), end_inclusive=False)
    events = [order(at(2026, 10, 5)), order(at(2026, 11, 5))]   # the second is after as_of
    assert value(agg(window=window, per_days=7.0), events=events) == pytest.approx(1 / (90 / 7))


def test_per_days_over_calendar_months():
    # `over 6mo per month` from 2026-11-01: 2026-05-01 .. 2026-11-01 is 184 days.
    window = t.Window(start=ago(months=6))
    events = [order(at(2026, 6, 1))] * 6
    assert value(agg(window=window, per_days=30.4375), events=events) \
        == pytest.approx(6 / (184 / 30.4375))


def test_events_join_on_each_sources_key_column():
    proj = project(segments=[seg("buyer", cmp(">", agg(), num(0)))])
    rows = [{"id": 1}, {"id": 2}, {"id": None}]
    orders = [order(at(2026, 1, 1)), {"customer_id": 3, "ordered_at": at(2026, 1, 1)},
              {"customer_id": None, "ordered_at": at(2026, 1, 1)}]
    assert [m.segments for m in run(proj, rows, orders)] == [("buyer",), (), ()]
    data = Data(entity=rows, events={"orders": orders})
    assert own_events(proj, data, rows[0]) == {"orders": [orders[0]]}
    assert own_events(proj, Data(rows, {}), rows[0]) == {"orders": []}


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
