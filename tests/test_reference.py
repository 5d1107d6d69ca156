"""The reference interpreter (SPEC §3), on typed IR built by hand.

The checker is not used here: each test builds the nodes it needs with the helpers below, so a
failure points at the interpreter alone.
"""

from __future__ import annotations

import datetime as dt

import pytest

from segdsl.dsl import typed as t
from segdsl.reference import Data, evaluate, evaluate_expr, own_events

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
