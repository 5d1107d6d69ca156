"""SPEC §2 and §3, example by example: each parses, checks and means what the SPEC says.

Every test runs the real front end (YAML text → `load_project` → `check`, with schemas given in
Python) and the reference interpreter, through `tests/harness.py`, on small hand-made rows that
include missing values. There is a test per row of the literal table and per predicate; each
expected result is worked out by hand in a comment beside it.

Unless a test says otherwise as_of is 2026-11-01T00:00, so `30d ago` is 2026-10-02,
`90d ago` 2026-08-03, `180d ago` 2026-05-05 and `365d ago` 2025-11-01 (all at midnight).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from harness import AS_OF, ORDERS as ORDER_COLUMNS, checked, codes, diagnostics, matches, rule_project, run, value
from segdsl.dsl import typed as t

SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
LATE = dt.datetime(2026, 3, 31, 12)
"""An as_of at the end of a 31-day month, for calendar clamping: `1mo ago` = 2026-02-28T12:00."""

X = {"x": "number"}
S = {"s": "string"}
TS = {"ts": "timestamp"}


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)


def orders(key, *times, amount=1, category="books") -> list[dict]:
    """One order of customer `key` at each time."""
    return [{"customer_id": key, "ordered_at": when, "amount": amount, "category": category}
            for when in times]


def recent_orders(key, count: int) -> list[dict]:
    """`count` (up to 90) orders of customer `key`, hourly from 2026-10-01: all in the last 90 days."""
    return orders(key, *(at(2026, 10, 1) + i * dt.timedelta(hours=1) for i in range(count)))


def members(result, path: str) -> list:
    return [m.key for m in result if path in m.segments]


# --- literals: numbers, percents, strings, booleans -----------------------------------------


@pytest.mark.parametrize("literal, meaning", [
    ("42", 42),
    ("-3.5", -3.5),
    ("1_000", 1000),
    ("2.5k", 2500),       # k = 1e3
    ("1M", 1_000_000),    # M = 1e6
])
def test_number_literal(literal, meaning):
    assert value(literal) == meaning
    rows = {1: {"x": meaning}, 2: {"x": meaning + 1}, 3: {"x": None}}
    assert matches(f"x = {literal}", rows, columns=X) == [1]
    assert matches(f"x > {literal}", rows, columns=X) == [2]


def test_percent_literal_is_a_fraction():
    assert value("20%") == 0.2
    rows = {1: {"x": 0.2}, 2: {"x": 20}, 3: {"x": 0.19}, 4: {"x": None}}
    assert matches("x = 20%", rows, columns=X) == [1]
    assert matches("x < 20%", rows, columns=X) == [3]


@pytest.mark.parametrize("literal, meaning", [
    ('"New York"', "New York"),
    ("'b2b'", "b2b"),
    ("tech", "tech"),     # a bare word right of an operator is a string
])
def test_string_literal(literal, meaning):
    if literal != "tech":  # (a bare word on its own is a name, not a value)
        assert value(literal) == meaning
    rows = {1: {"s": meaning}, 2: {"s": meaning.upper()}, 3: {"s": meaning + " "}, 4: {"s": None}}
    assert matches(f"s = {literal}", rows, columns=S) == [1]
    assert matches(f"s IN ({literal})", rows, columns=S) == [1]


@pytest.mark.parametrize("rule, expected", [
    ("flag = true", [1]),
    ("flag = false", [2]),
    ("flag != true", [2]),    # missing is neither true nor false
    ("flag != false", [1]),
    ("flag = TRUE", [1]),
    ("flag = False", [2]),
])
def test_boolean_literal(rule, expected):
    assert value("true") is True and value("false") is False
    rows = {1: {"flag": True}, 2: {"flag": False}, 3: {"flag": None}}
    assert matches(rule, rows, columns={"flag": "boolean"}) == expected


# --- literals: dates and timestamps -----------------------------------------------------------


def test_date_literal():
    assert value("2024-01-31") == dt.date(2024, 1, 31)
    rows = {1: {"d": dt.date(2024, 1, 31)}, 2: {"d": dt.date(2024, 2, 1)}, 3: {"d": None}}
    assert matches("d = 2024-01-31", rows, columns={"d": "date"}) == [1]
    assert matches("d > 2024-01-31", rows, columns={"d": "date"}) == [2]


def test_timestamp_literal():
    assert value("2024-01-31T12:00:00") == at(2024, 1, 31, 12)
    rows = {1: {"ts": at(2024, 1, 31, 12)}, 2: {"ts": at(2024, 1, 31, 12, 0, 1)}, 3: {"ts": None}}
    assert matches("ts = 2024-01-31T12:00:00", rows, columns=TS) == [1]
    assert matches("ts > 2024-01-31T12:00:00", rows, columns=TS) == [2]
    assert matches("ts = 2024-01-31T12:00", rows, columns=TS) == [1]   # seconds optional


DATE_AND_TS = {"d": "date", "ts": "timestamp"}
DATE_AND_TS_ROWS = {
    1: {"d": dt.date(2024, 1, 31), "ts": at(2024, 1, 31)},
    2: {"d": dt.date(2024, 2, 1), "ts": at(2024, 1, 31, 12)},
    3: {"d": dt.date(2024, 1, 30), "ts": at(2024, 2, 1)},
    4: {"d": None, "ts": at(2024, 1, 30, 23, 59, 59)},
    5: {"d": None, "ts": None},
}


@pytest.mark.parametrize("rule, expected", [
    # A date compared with a timestamp is its midnight, whichever side each is on.
    ("ts = 2024-01-31", [1]),
    ("ts > 2024-01-31", [2, 3]),
    ("ts BETWEEN 2024-01-30 AND 2024-01-31", [1, 4]),   # up to the 31st's midnight only
    ("d = 2024-01-31T00:00:00", [1]),
    ("d < 2024-01-31T12:00:00", [1, 3]),
    ("d > 2024-01-30T23:59:59", [1, 2]),
    ("d = `ts`", [1]),
    ("ts >= `d`", [1, 3]),
])
def test_date_compared_with_timestamp_is_its_midnight(rule, expected):
    assert matches(rule, DATE_AND_TS_ROWS, columns=DATE_AND_TS) == expected


# --- literals: durations, in every form and every place a duration goes -----------------------

# (as written, as_of − it for as_of = LATE = 2026-03-31T12:00)
DURATIONS = [
    ("12h", at(2026, 3, 31, 0)),
    ("30d", at(2026, 3, 1, 12)),
    ("2w", at(2026, 3, 17, 12)),
    ("6mo", at(2025, 9, 30, 12)),     # calendar months, clamped: September has 30 days
    ("1y", at(2025, 3, 31, 12)),
    ("1mo", at(2026, 2, 28, 12)),     # SPEC: 2026-03-31 − 1mo = 2026-02-28
    ("12 hours", at(2026, 3, 31, 0)),
    ("1 hour", at(2026, 3, 31, 11)),
    ("30 days", at(2026, 3, 1, 12)),
    ("1 day", at(2026, 3, 30, 12)),
    ("2 weeks", at(2026, 3, 17, 12)),
    ("1 week", at(2026, 3, 24, 12)),
    ("1 month", at(2026, 2, 28, 12)),
    ("6 months", at(2025, 9, 30, 12)),
    ("1 year", at(2025, 3, 31, 12)),
    ("2 years", at(2024, 3, 31, 12)),
]


@pytest.mark.parametrize("duration, start", DURATIONS)
def test_duration_in_ago(duration, start):
    assert value(f"{duration} ago", as_of=LATE) == start
    rows = {1: {"ts": start}, 2: {"ts": start - SECOND}, 3: {"ts": None}}
    assert matches(f"ts >= {duration} ago", rows, columns=TS, as_of=LATE) == [1]
    assert matches(f"ts < {duration} ago", rows, columns=TS, as_of=LATE) == [2]


@pytest.mark.parametrize("duration, start", DURATIONS)
def test_duration_in_within(duration, start):
    # start ≤ ts ≤ as_of, both ends included; after as_of is not within.
    rows = {1: {"ts": start}, 2: {"ts": start - SECOND}, 3: {"ts": LATE},
            4: {"ts": LATE + SECOND}, 5: {"ts": None}}
    assert matches(f"ts WITHIN {duration}", rows, columns=TS, as_of=LATE) == [1, 3]


@pytest.mark.parametrize("duration, start", DURATIONS)
def test_duration_in_window(duration, start):
    # `over D` counts as_of − D ≤ t ≤ as_of; customer 2's orders fall just outside.
    events = {"orders": orders(1, start, start - SECOND, LATE, LATE + SECOND)
              + orders(2, start - SECOND, LATE + SECOND)}
    assert value(f"count(orders) over {duration}", events=events, as_of=LATE) == 2
    rows = {1: {}, 2: {}, 3: {}}
    assert matches(f"count(orders) over {duration} = 2", rows, columns={}, events=events, as_of=LATE) == [1]
    assert matches(f"count(orders) over {duration} = 0", rows, columns={}, events=events, as_of=LATE) == [2, 3]


# 14 orders in the last 28 days, per unit: 14 / (28 days / the unit's days).
PER = {"h": 14 / (28 * 24), "d": 0.5, "w": 3.5, "mo": 14 / (28 / 30.4375), "y": 14 / (28 / 365.25)}


@pytest.mark.parametrize("unit, symbol", [
    ("hour", "h"), ("hours", "h"), ("h", "h"),
    ("day", "d"), ("days", "d"), ("d", "d"),
    ("week", "w"), ("weeks", "w"), ("w", "w"),
    ("month", "mo"), ("months", "mo"), ("mo", "mo"),
    ("year", "y"), ("years", "y"), ("y", "y"),
])
def test_duration_in_per(unit, symbol):
    events = {"orders": orders(1, *(at(2026, 10, 5) + i * DAY for i in range(14)))}
    rate = value(f"count(orders) over 28d per {unit}", events=events)
    assert round(rate, 9) == round(PER[symbol], 9)
    # The result is a rate in that unit: a rate literal in the same unit compares as is.
    rows = {1: {}, 2: {}}
    assert matches(f"count(orders) over 28d per {unit} > {PER[symbol] * 0.99}/{symbol}",
                   rows, columns={}, events=events) == [1]
    assert matches(f"count(orders) over 28d per {unit} < {PER[symbol] * 1.01}/{symbol}",
                   rows, columns={}, events=events) == [1, 2]


def test_per_divides_by_the_calendar_length_of_a_month_window():
    # `over 1mo` at 2026-10-21 starts 2026-09-21: 30 days; `over 6mo`: 183 days; `over 1y`: 365.
    events = {"orders": orders(1, *(at(2026, 10, 20) + i * dt.timedelta(hours=1) for i in range(15)))}
    as_of = at(2026, 10, 21)
    assert value("count(orders) over 1mo per d", events=events, as_of=as_of) == 15 / 30
    assert value("count(orders) over 6mo per d", events=events, as_of=as_of) == 15 / 183
    assert value("count(orders) over 1y per d", events=events, as_of=as_of) == 15 / 365


# --- literals: relative time ------------------------------------------------------------------


def test_ago_is_as_of_minus_the_duration():
    assert value("30d ago") == at(2026, 10, 2)
    assert value("6mo ago") == at(2026, 5, 1)
    assert value("30d ago", as_of=at(2026, 11, 1, 15, 30)) == at(2026, 10, 2, 15, 30)


@pytest.mark.parametrize("as_of, expression, meaning", [
    (at(2026, 3, 31), "1mo ago", at(2026, 2, 28)),       # the SPEC's example
    (at(2024, 3, 31), "1mo ago", at(2024, 2, 29)),       # a leap year
    (at(2026, 5, 31), "1mo ago", at(2026, 4, 30)),
    (at(2026, 3, 31), "6mo ago", at(2025, 9, 30)),
    (at(2026, 1, 31), "2mo ago", at(2025, 11, 30)),      # across a year
    (at(2024, 2, 29), "1y ago", at(2023, 2, 28)),
    (at(2024, 2, 29), "12mo ago", at(2023, 2, 28)),
    (at(2026, 3, 15, 8), "1mo ago", at(2026, 2, 15, 8)),  # the time of day stays
])
def test_calendar_months_and_years_clamp_to_the_last_day(as_of, expression, meaning):
    assert value(expression, as_of=as_of) == meaning


def test_one_month_ago_is_not_thirty_days():
    # as_of 2026-03-31: 1mo ago = 2026-02-28, 30d ago = 2026-03-01.
    rows = {1: {"ts": at(2026, 2, 27, 23, 59, 59)}, 2: {"ts": at(2026, 2, 28)},
            3: {"ts": at(2026, 3, 1)}, 4: {"ts": None}}
    assert matches("ts < 1mo ago", rows, columns=TS, as_of=at(2026, 3, 31)) == [1]
    assert matches("ts < 30d ago", rows, columns=TS, as_of=at(2026, 3, 31)) == [1, 2]


def test_today_is_a_date_and_now_a_timestamp():
    as_of = at(2026, 11, 1, 12)
    assert value("today", as_of=as_of) == dt.date(2026, 11, 1)
    assert value("now", as_of=as_of) == as_of
    rows = {1: {"d": dt.date(2026, 11, 1), "ts": at(2026, 11, 1, 6)},
            2: {"d": dt.date(2026, 10, 31), "ts": at(2026, 11, 1, 12)},
            3: {"d": None, "ts": None}}
    columns = DATE_AND_TS
    assert matches("d = today", rows, columns=columns, as_of=as_of) == [1]
    assert matches("d = now", rows, columns=columns, as_of=as_of) == []       # midnight ≠ 12:00
    assert matches("d < now", rows, columns=columns, as_of=as_of) == [1, 2]
    assert matches("ts >= today", rows, columns=columns, as_of=as_of) == [1, 2]  # today's midnight
    assert matches("ts < now", rows, columns=columns, as_of=as_of) == [1]
    assert matches("ts = now", rows, columns=columns, as_of=as_of) == [2]


def test_as_of_given_as_a_date_is_its_midnight():
    project = checked({"segdsl.yml": "entity: customers\nas_of: 2026-11-01\nsources:\n"
                       "  customers: {path: c.parquet, key: id}\n",
                       "rules.yml": "segments:\n  - name: s\n    rule: ts = now\n"},
                      {"customers": {"id": "number", "ts": "timestamp"}})
    assert project.as_of == at(2026, 11, 1)
    rows = {1: {"ts": at(2026, 11, 1)}, 2: {"ts": at(2026, 11, 1, 0, 0, 1)}}
    assert members(run(project, rows, as_of=dt.date(2026, 11, 1)), "s") == [1]


# --- literals: rates --------------------------------------------------------------------------

FREQ = {"purchase_freq": "count(orders) over 90d per month"}
"""purchase_freq = n / (90 / 30.4375) per month for n orders in the last 90 days."""


@pytest.mark.parametrize("rule, counts, expected", [
    ("purchase_freq > 4/mo", (12, 11), [1]),     # n > 11.83
    ("purchase_freq > 1/w", (13, 12), [1]),      # 1/w = 4.348…/mo: n > 12.86
    ("purchase_freq >= 2/w", (26, 25), [1]),     # n ≥ 25.71
    ("purchase_freq >= 1/d", (90, 89), [1]),     # 1/d = 30.4375/mo: n ≥ 90
    ("purchase_freq > 12/y", (3, 2), [1]),       # 12/y = 1/mo: n > 2.96
    ("purchase_freq < 4/mo", (12, 11), [2, 3]),  # no orders: 0 per month
    ("purchase_freq BETWEEN 1/w AND 2/w", (13, 26), [1]),  # 12.86 ≤ n ≤ 25.71
    ("purchase_freq BETWEEN 1/w AND 2/w", (25, 12), [1]),
])
def test_rate_literal_against_a_per_month_metric(rule, counts, expected):
    events = {"orders": recent_orders(1, counts[0]) + recent_orders(2, counts[1])}
    rows = {1: {}, 2: {}, 3: {}}
    assert matches(rule, rows, columns={}, events=events, metrics=FREQ) == expected


def test_rate_literal_is_converted_to_the_unit_of_what_it_is_compared_with():
    project = rule_project("purchase_freq > 1/w", columns={}, metrics=FREQ)
    assert project.segment("s").rule == t.Compare(
        ">", t.MetricRef("purchase_freq", t.rate("mo")), t.Const(30.4375 / 7, t.NUMBER))
    assert 30.4375 / 7 == 4.348214285714286
    assert codes("purchase_freq > 1/w", {}, metrics=FREQ) == []


LOGINS = {"logins_per_week": {"type": "rate", "per": "week"}}
LOGIN_ROWS = {1: {"logins_per_week": 7}, 2: {"logins_per_week": 3}, 3: {"logins_per_week": 0.92},
              4: {"logins_per_week": 0.91}, 5: {"logins_per_week": None}}


@pytest.mark.parametrize("rule, expected", [
    ("logins_per_week >= 1/d", [1]),              # 7 per week
    ("logins_per_week >= 2/w", [1, 2]),
    ("logins_per_week > 4/mo", [1, 2, 3]),        # 4 × 7 / 30.4375 = 0.9199… per week
    ("logins_per_week < 4/mo", [4]),
    ("logins_per_week > 52/y", [1, 2]),           # 52 × 7 / 365.25 = 0.9966 per week
])
def test_rate_literal_against_a_field_declared_as_a_rate(rule, expected):
    columns = {"logins_per_week": "number"}
    assert matches(rule, LOGIN_ROWS, columns=columns, fields=LOGINS) == expected
    assert codes(rule, columns, fields=LOGINS) == []


def test_rate_against_a_rate_of_another_unit():
    # 12 orders in 90 days = 4.058/mo; 0.9/w = 3.913/mo, 0.95/w = 4.131/mo.
    events = {"orders": recent_orders(1, 12) + recent_orders(2, 12) + recent_orders(3, 12)}
    rows = {1: {"logins_per_week": 0.9}, 2: {"logins_per_week": 0.95}, 3: {"logins_per_week": None}}
    assert matches("purchase_freq > `logins_per_week`", rows, columns={"logins_per_week": "number"},
                   events=events, metrics=FREQ, fields=LOGINS) == [1]


def test_undeclared_number_against_a_rate_literal_uses_the_number_and_warns():
    rows = {1: {"x": 5}, 2: {"x": 4}, 3: {"x": None}}
    assert matches("x > 4/mo", rows, columns=X) == [1]
    assert matches("x > 1/w", rows, columns=X) == [1, 2]   # 1, not 4.348
    assert codes("x > 4/mo", X) == ["W301"]


# --- predicates -------------------------------------------------------------------------------

X_ROWS = {1: {"x": 4}, 2: {"x": 5}, 3: {"x": 6}, 4: {"x": None}}


@pytest.mark.parametrize("rule, expected", [
    ("x = 5", [2]),
    ("x != 5", [1, 3]),            # false on missing, `!=` included
    ("x <> 5", [1, 3]),
    ("x < 5", [1]),
    ("x <= 5", [1, 2]),
    ("x > 5", [3]),
    ("x >= 5", [2, 3]),
    ("x = 5.0", [2]),
])
def test_comparison(rule, expected):
    assert matches(rule, X_ROWS, columns=X) == expected


@pytest.mark.parametrize("rule, expected", [
    ("x IN (4, 6)", [1, 3]),
    ("x IN (5)", [2]),
    ("x IN (4, 6,)", [1, 3]),       # a trailing comma is allowed
    ("x NOT IN (4, 6)", [2]),      # false on missing, `NOT IN` included
    ("x NOT IN (7)", [1, 2, 3]),
])
def test_in_list(rule, expected):
    assert matches(rule, X_ROWS, columns=X) == expected


@pytest.mark.parametrize("rule, expected", [
    ("x BETWEEN 4 AND 5", [1, 2]),         # inclusive at both ends
    ("x BETWEEN 5 AND 5", [2]),
    ("x BETWEEN 6 AND 4", []),
    ("x NOT BETWEEN 4 AND 5", [3]),        # false on missing
    ("x NOT BETWEEN 5 AND 5", [1, 3]),
])
def test_between(rule, expected):
    assert matches(rule, X_ROWS, columns=X) == expected


@pytest.mark.parametrize("rule, expected", [
    ("x IS MISSING", [4]),
    ("x IS NOT MISSING", [1, 2, 3]),
    ("x IS NULL", [4]),
    ("x IS NOT NULL", [1, 2, 3]),
])
def test_is_missing(rule, expected):
    assert matches(rule, X_ROWS, columns=X) == expected


@pytest.mark.parametrize("rule, expected", [
    ("NOT (x > 4)", [1, 4]),       # the SPEC's example: true for a missing x…
    ("x <= 4", [1]),               # …while this is false for it
    ("NOT x > 4", [1, 4]),         # comparison binds tighter than NOT
    ("NOT (x != 5)", [2, 4]),
    ("NOT (x IN (4, 6))", [2, 4]),
    ("NOT (x NOT IN (4, 6))", [1, 3, 4]),
    ("NOT (x BETWEEN 4 AND 5)", [3, 4]),
    ("NOT (x IS MISSING)", [1, 2, 3]),
    ("NOT NOT (x > 4)", [2, 3]),
    ("x > 4 OR x IS MISSING", [2, 3, 4]),
])
def test_not_negates_the_result_of_what_it_applies_to(rule, expected):
    assert matches(rule, X_ROWS, columns=X) == expected


def test_spec_missing_age_example():
    rows = {1: {"age": 25}, 2: {"age": 40}, 3: {"age": None}}
    columns = {"age": "number"}
    assert matches("NOT (age > 30)", rows, columns=columns) == [1, 3]
    assert matches("age <= 30", rows, columns=columns) == [1]


def test_spec_first_example_rule():
    # SPEC §1: `industry = tech AND purchase_freq > 4/mo` (n > 11.83 orders in 90 days).
    events = {"orders": recent_orders(1, 12) + recent_orders(2, 11) + recent_orders(3, 12)}
    rows = {1: {"industry": "tech"}, 2: {"industry": "tech"}, 3: {"industry": "Tech"}, 4: {"industry": None}}
    assert matches("industry = tech AND purchase_freq > 4/mo", rows, columns={"industry": "string"},
                   events=events, metrics=FREQ) == [1]


TEXT_ROWS = {1: {"s": "Acme Corp"}, 2: {"s": "acme corp"}, 3: {"s": "Corp Acme"}, 4: {"s": ""},
             5: {"s": None}}


@pytest.mark.parametrize("rule, expected", [
    ("s CONTAINS Acme", [1, 3]),                  # case-sensitive
    ("s CONTAINS acme", [2]),
    ('s CONTAINS "me Co"', [1]),
    ("s NOT CONTAINS Acme", [2, 4]),             # false on missing
    ("s STARTS WITH Acme", [1]),
    ("s NOT STARTS WITH Acme", [2, 3, 4]),
    ("s ENDS WITH Acme", [3]),
    ("s NOT ENDS WITH Acme", [1, 2, 4]),
    ("s ENDS WITH 'Corp'", [1]),
    ("s = 'Acme Corp'", [1]),
    ("s != 'Acme Corp'", [2, 3, 4]),
    ("s IN ('Acme Corp', acme)", [1]),
    ("s IN ('ACME CORP', 'Corp acme')", []),
    ("NOT (s CONTAINS Acme)", [2, 4, 5]),
])
def test_text_predicates(rule, expected):
    assert matches(rule, TEXT_ROWS, columns=S) == expected


LIST_ROWS = {1: {"tags": ["salesforce", "hubspot"]}, 2: {"tags": ["Salesforce"]},
             3: {"tags": ["salesforce cloud"]}, 4: {"tags": []}, 5: {"tags": None}}


@pytest.mark.parametrize("rule, expected", [
    ("tags CONTAINS salesforce", [1]),            # membership, exact: no case folding, no substrings
    ("tags NOT CONTAINS salesforce", [2, 3, 4]),  # false on missing
    ("NOT (tags CONTAINS salesforce)", [2, 3, 4, 5]),
    ("tags CONTAINS 'salesforce cloud'", [3]),
    ("tags CONTAINS salesforce OR tags CONTAINS hubspot", [1]),
    ("length(tags) = 0", [4]),
])
def test_contains_on_a_list_column(rule, expected):
    assert matches(rule, LIST_ROWS, columns={"tags": "list"}) == expected


def test_within():
    # `ts WITHIN 30d`: 2026-10-02T00:00 ≤ ts ≤ 2026-11-01T00:00.
    rows = {1: {"ts": at(2026, 10, 2)}, 2: {"ts": at(2026, 10, 1, 23, 59, 59)}, 3: {"ts": AS_OF},
            4: {"ts": AS_OF + SECOND}, 5: {"ts": None}}
    assert matches("ts WITHIN 30d", rows, columns=TS) == [1, 3]
    assert matches("NOT (ts WITHIN 30d)", rows, columns=TS) == [2, 4, 5]


def test_within_on_a_date_field_takes_its_midnight():
    rows = {1: {"d": dt.date(2026, 10, 2)}, 2: {"d": dt.date(2026, 10, 1)}, 3: {"d": dt.date(2026, 11, 1)},
            4: {"d": dt.date(2026, 11, 2)}, 5: {"d": None}}
    assert matches("d WITHIN 30d", rows, columns={"d": "date"}) == [1, 3]
    # At noon the window starts at 2026-10-02T12:00, after the 2nd's midnight.
    assert matches("d WITHIN 30d", rows, columns={"d": "date"}, as_of=at(2026, 11, 1, 12)) == [3]


def test_a_boolean_field_alone():
    rows = {1: {"newsletter": True}, 2: {"newsletter": False}, 3: {"newsletter": None}}
    columns = {"newsletter": "boolean"}
    assert matches("newsletter", rows, columns=columns) == [1]
    assert matches("NOT newsletter", rows, columns=columns) == [2, 3]
    assert matches("newsletter OR newsletter IS MISSING", rows, columns=columns) == [1, 3]


# --- keywords, precedence, bare words ---------------------------------------------------------

KEYWORDS = re.compile(r"\b(and|or|not|in|between|is|missing|null|contains|starts|ends|with|within|"
                      r"ago|true|false|today|now|over|to|per|where|count|sum)\b")
KEYWORD_ROWS = {
    1: {"x": 5, "s": "abc", "ts": AS_OF - DAY, "flag": True},
    2: {"x": 3, "s": "xyz", "ts": AS_OF - 60 * DAY, "flag": False},
    3: {"x": None, "s": None, "ts": None, "flag": None},
}
KEYWORD_EVENTS = {"orders": orders(1, AS_OF - DAY, amount=20) + orders(2, AS_OF - DAY, amount=5)}


@pytest.mark.parametrize("rule, expected", [
    ("x > 4 and s in (abc, def) or x is missing", [1, 3]),
    ("not x between 1 and 4", [1, 3]),
    ("x not in (3) and x not between 1 and 2", [1]),
    ("s contains b or s starts with x or s ends with q", [1, 2]),
    ("s not contains b and s not starts with q and s not ends with q", [2]),
    ("x is not null and ts within 30d", [1]),
    ("ts > 30 days ago and ts <= now and ts < today", [1]),
    ("flag = true or flag = false and x is null", [1]),
    ("count(orders where amount > 10) over 90d > 0", [1]),
    ("sum(orders.amount) over 180d ago to now per month > 0/mo", [1, 2]),
])
def test_keywords_are_case_insensitive(rule, expected):
    upper = KEYWORDS.sub(lambda m: m.group().upper(), rule)
    mixed = KEYWORDS.sub(lambda m: m.group().capitalize(), rule)
    assert upper != rule and mixed != rule
    columns = {"x": "number", "s": "string", "ts": "timestamp", "flag": "boolean"}
    for written in (rule, upper, mixed):
        assert matches(written, KEYWORD_ROWS, columns=columns, events=KEYWORD_EVENTS) == expected, written


# Keys 0..7 spell (a, b, c) in binary: key 6 is a and b true, c false.
ABC_ROWS = {k: {"a": bool(k & 4), "b": bool(k & 2), "c": bool(k & 1)} for k in range(8)}
ABC = {"a": "boolean", "b": "boolean", "c": "boolean"}


@pytest.mark.parametrize("rule, expected", [
    ("a OR b AND c", [3, 4, 5, 6, 7]),        # a OR (b AND c)
    ("(a OR b) AND c", [3, 5, 7]),
    ("a AND b OR c", [1, 3, 5, 6, 7]),        # (a AND b) OR c
    ("NOT a AND b", [2, 3]),                  # (NOT a) AND b
    ("NOT (a AND b)", [0, 1, 2, 3, 4, 5]),
    ("NOT a OR b", [0, 1, 2, 3, 6, 7]),
    ("a OR b AND NOT c", [2, 4, 5, 6, 7]),
    ("a = true AND b = false", [4, 5]),       # comparison binds tighter than AND
])
def test_boolean_precedence(rule, expected):
    assert matches(rule, ABC_ROWS, columns=ABC) == expected


@pytest.mark.parametrize("rule, expected", [
    ("x + 1 * 2 = 5", [1]),         # x + (1 * 2)
    ("(x + 1) * 2 = 8", [1]),
    ("x - 1 - 1 = 1", [1]),         # (x - 1) - 1
    ("x / 2 * 3 = 4.5", [1]),       # (x / 2) * 3
    ("-x + 5 = 2", [1]),
    ("x = 1 + 2", [1]),             # arithmetic on the value side
    ("x = 9 - 3 * 2", [1]),
    ("x * 2 > 7 AND x - 1 < 4", [2]),
    ("x / 0 IS MISSING", [1, 2, 3]),  # a zero divisor gives missing
])
def test_arithmetic_precedence(rule, expected):
    rows = {1: {"x": 3}, 2: {"x": 4}, 3: {"x": None}}
    assert matches(rule, rows, columns=X) == expected


BARE_ROWS = {1: {"industry": "tech", "tech": "media"}, 2: {"industry": "media", "tech": "media"},
             3: {"industry": None, "tech": None}}
BARE = {"industry": "string", "tech": "string"}


@pytest.mark.parametrize("rule, expected", [
    ("industry = tech", [1]),               # the string 'tech', though a field `tech` exists
    ("industry = `tech`", [2]),             # the field
    ("`industry` = tech", [1]),
    ("industry IN (tech, fintech)", [1]),
    ("industry IN (`tech`, fintech)", [2]),
    ("industry != `tech`", [1]),
    ("industry CONTAINS tech", [1]),
])
def test_bare_words_are_strings_and_backticks_name_fields(rule, expected):
    assert matches(rule, BARE_ROWS, columns=BARE) == expected


def test_backticked_field_compared_with_a_metric():
    metrics = {"last_order_at": "max(orders.ordered_at)"}
    events = {"orders": orders(1, at(2026, 10, 1)) + orders(2, at(2026, 9, 1))}
    rows = {1: {"last_email_at": at(2026, 9, 15)}, 2: {"last_email_at": at(2026, 9, 15)},
            3: {"last_email_at": at(2026, 9, 15)}, 4: {"last_email_at": None}}
    assert matches("last_order_at > `last_email_at`", rows, columns={"last_email_at": "timestamp"},
                   events=events, metrics=metrics) == [1]


def test_checker_reads_bare_words_as_strings_and_backticks_as_fields():
    project = rule_project("industry = tech", columns=BARE)
    assert project.segment("s").rule == t.Compare("=", t.Field("industry", t.STRING), t.Const("tech", t.STRING))
    metrics = {"last_order_at": "max(orders.ordered_at)"}
    project = rule_project("last_order_at > `last_email_at`", columns={"last_email_at": "timestamp"},
                           metrics=metrics)
    assert project.segment("s").rule == t.Compare(
        ">", t.MetricRef("last_order_at", t.TIMESTAMP), t.Field("last_email_at", t.TIMESTAMP))


# --- functions ---------------------------------------------------------------------------------


def test_lower_compares_without_case():
    rows = {1: {"s": "Tech"}, 2: {"s": "TECH"}, 3: {"s": "tech"}, 4: {"s": "fintech"}, 5: {"s": None}}
    assert matches("lower(s) = tech", rows, columns=S) == [1, 2, 3]
    assert matches("s = tech", rows, columns=S) == [3]
    assert matches("lower(s) CONTAINS tech", rows, columns=S) == [1, 2, 3, 4]


def test_upper():
    rows = {1: {"s": "de"}, 2: {"s": "De"}, 3: {"s": "us"}, 4: {"s": None}}
    assert matches("upper(s) IN (DE, FR)", rows, columns=S) == [1, 2]
    assert value("upper(s)", {"s": "ab"}, columns=S) == "AB"


def test_abs():
    rows = {1: {"x": -150}, 2: {"x": 150}, 3: {"x": 50}, 4: {"x": None}}
    assert matches("abs(x) > 100", rows, columns=X) == [1, 2]
    assert value("abs(x)", {"x": -2.5}, columns=X) == 2.5


def test_coalesce():
    columns = {"nickname": "string", "name": "string", "x": "number"}
    rows = {1: {"nickname": None, "name": "Bob", "x": None}, 2: {"nickname": "Rob", "name": "Bob", "x": 3},
            3: {"nickname": None, "name": None, "x": 0}}
    assert matches("coalesce(nickname, name) = Bob", rows, columns=columns) == [1]
    assert matches("coalesce(nickname, name) IS MISSING", rows, columns=columns) == [3]
    assert matches("coalesce(x, 0) = 0", rows, columns=columns) == [1, 3]


def test_coalesce_of_a_date_and_a_timestamp_is_a_timestamp():
    # Its type is timestamp, so a date taken from it is that day's midnight.
    columns = DATE_AND_TS
    assert value("coalesce(d, ts)", {"d": dt.date(2024, 1, 31), "ts": None}, columns=columns) == at(2024, 1, 31)
    assert value("coalesce(d, ts)", {"d": None, "ts": at(2024, 1, 31, 12)}, columns=columns) == at(2024, 1, 31, 12)
    assert value("coalesce(ts, d)", {"d": dt.date(2024, 1, 31), "ts": None}, columns=columns) == at(2024, 1, 31)


def test_coalesce_of_rates_converts_units():
    # The result has the first argument's unit: 12 orders in 90 days = 4.058/mo = 0.9333/w.
    events = {"orders": recent_orders(1, 12) + recent_orders(2, 12)}
    rows = {1: {"logins_per_week": None}, 2: {"logins_per_week": 0.5}}
    rate = value("coalesce(logins_per_week, purchase_freq)", rows[1], columns={"logins_per_week": "number"},
                 events=events, metrics=FREQ, fields=LOGINS)
    assert round(rate, 9) == round(12 / (90 / 7), 9)
    assert matches("coalesce(logins_per_week, purchase_freq) < 1/w", rows, columns={"logins_per_week": "number"},
                   events=events, metrics=FREQ, fields=LOGINS) == [1, 2]


def test_length():
    rows = {1: {"s": "Bob"}, 2: {"s": ""}, 3: {"s": None}}
    assert matches("length(s) = 3", rows, columns=S) == [1]
    assert matches("length(s) = 0", rows, columns=S) == [2]
    assert value("length(tags)", {"tags": ["a", "b"]}, columns={"tags": "list"}) == 2


def test_year_and_month():
    rows = {1: {"d": dt.date(2024, 2, 29), "ts": at(2024, 2, 1, 23)},
            2: {"d": dt.date(2025, 2, 1), "ts": at(2024, 12, 31)},
            3: {"d": None, "ts": None}}
    assert matches("year(d) = 2024 AND month(d) = 2", rows, columns=DATE_AND_TS) == [1]
    assert matches("year(ts) = 2024", rows, columns=DATE_AND_TS) == [1, 2]
    assert matches("month(ts) = 12", rows, columns=DATE_AND_TS) == [2]
    assert value("month(d)", {"d": None}, columns=DATE_AND_TS) is None


@pytest.mark.parametrize("when, days", [
    (at(2026, 10, 31, 23, 59), 1),     # 31 minutes before as_of, but yesterday
    (at(2026, 10, 31, 0, 31), 1),      # 23h59m before as_of
    (at(2026, 10, 30, 23, 59), 2),
    (at(2026, 11, 1), 0),
    (at(2026, 11, 1, 0, 29), 0),
    (dt.date(2026, 10, 1), 31),
    (None, None),
])
def test_days_since_counts_calendar_days(when, days):
    as_of = at(2026, 11, 1, 0, 30)
    columns = {"when": "date" if type(when) is dt.date else "timestamp"}
    assert value("days_since(when)", {"when": when}, columns=columns, as_of=as_of) == days


def test_days_since_in_a_rule():
    rows = {1: {"ts": at(2026, 10, 31, 23, 59)}, 2: {"ts": at(2026, 10, 31, 0, 31)},
            3: {"ts": at(2026, 11, 1, 0, 10)}, 4: {"ts": None}}
    assert matches("days_since(ts) = 1", rows, columns=TS, as_of=at(2026, 11, 1, 0, 30)) == [1, 2]
    assert matches("days_since(ts) < 1", rows, columns=TS, as_of=at(2026, 11, 1, 0, 30)) == [3]


# --- metrics and aggregates (SPEC §2 segdsl.yml) ------------------------------------------------

SPEC_METRICS = {
    "orders_90d": "count(orders) over 90d",
    "purchase_freq": "count(orders) over 90d per month",
    "spend_365d": "sum(orders.amount) over 365d",
    "last_order_at": "max(orders.ordered_at)",
    "skincare_buys": "count(orders where category = skincare) over 180d",
}
SPEC_ORDERS = (
    orders(1, at(2026, 8, 3), amount=10, category="skincare")               # exactly 90d ago
    + orders(1, at(2026, 8, 2, 23, 59, 59), amount=20, category="skincare")  # just before
    + orders(1, at(2026, 10, 31), amount=30, category="Skincare")           # not 'skincare'
    + orders(1, AS_OF, amount=None, category="skincare")                    # at as_of; no amount
    + orders(1, AS_OF + SECOND, amount=1000, category="skincare")           # after as_of: never
    + orders(1, at(2025, 11, 1), amount=40)                                 # exactly 365d ago
    + orders(1, at(2025, 10, 31, 23, 59, 59), amount=50)                    # just before
    + orders(1, at(2026, 5, 5), amount=5, category="skincare")              # exactly 180d ago
    + orders(1, at(2026, 5, 4, 23, 59, 59), amount=7, category="skincare")  # just before
)


@pytest.mark.parametrize("metric, with_orders, without", [
    ("orders_90d", 3, 0),                          # 08-03, 10-31, as_of
    ("purchase_freq", 3 / (90 / 30.4375), 0),
    ("spend_365d", 10 + 20 + 30 + 40 + 5 + 7, 0),  # the missing amount is skipped
    ("last_order_at", AS_OF, None),                # not the order after as_of
    ("skincare_buys", 4, 0),                       # 08-03, 08-02, as_of, 05-05
])
def test_spec_metrics(metric, with_orders, without):
    events = {"orders": SPEC_ORDERS}
    assert value(metric, metrics=SPEC_METRICS, events=events) == with_orders
    assert value(metric, metrics=SPEC_METRICS, events={"orders": []}) == without


def test_an_entity_with_no_events():
    metrics = {**SPEC_METRICS, "first_order_at": "min(orders.ordered_at)",
               "avg_amount": "avg(orders.amount)", "categories": "count_distinct(orders.category)"}
    events = {"orders": orders(1, at(2026, 10, 1), amount=10)}
    rows = {1: {}, 2: {}}
    rule = ("orders_90d = 0 AND purchase_freq = 0/mo AND spend_365d = 0 AND skincare_buys = 0 "
            "AND categories = 0 AND last_order_at IS MISSING AND first_order_at IS MISSING "
            "AND avg_amount IS MISSING")
    assert matches(rule, rows, columns={}, events=events, metrics=metrics) == [2]


def test_a_metric_may_use_a_metric_defined_after_it():
    metrics = {"spend_per_order": "spend / n", "spend": "sum(orders.amount)", "n": "count(orders)"}
    events = {"orders": orders(1, at(2026, 10, 1), at(2026, 10, 2), amount=30)}
    rows = {1: {}, 2: {}}
    assert matches("spend_per_order = 30", rows, columns={}, events=events, metrics=metrics) == [1]
    assert matches("spend_per_order IS MISSING", rows, columns={}, events=events, metrics=metrics) == [2]  # 0 / 0


def test_event_time_given_as_a_date_is_its_midnight():
    # At noon `over 30d` starts at 2026-10-02T12:00: an order dated 2026-10-02 is before it.
    columns = {**ORDER_COLUMNS, "ordered_at": "date"}
    events = {"orders": orders(1, dt.date(2026, 10, 2)) + orders(2, dt.date(2026, 10, 3))
              + orders(3, dt.date(2026, 11, 1)) + orders(4, dt.date(2026, 11, 2))}
    rows = {k: {} for k in range(1, 6)}
    assert matches("count(orders) over 30d = 1", rows, columns={}, events=events, event_columns=columns,
                   as_of=at(2026, 11, 1, 12)) == [2, 3]


def test_other_aggregates():
    events = {"orders": orders(1, at(2026, 10, 1), amount=10, category="a")
              + orders(1, at(2026, 10, 2), amount=30, category="b")
              + orders(1, at(2026, 10, 3), amount=None, category="a")}
    assert value("avg(orders.amount)", events=events) == 20
    assert value("min(orders.amount)", events=events) == 10
    assert value("min(orders.ordered_at)", events=events) == at(2026, 10, 1)
    assert value("count_distinct(orders.category)", events=events) == 2
    assert value("count(orders where amount IS MISSING)", events=events) == 1
    assert value("sum(orders.amount where category = a) over 31d", events=events) == 10


def test_events_after_as_of_never_count():
    events = {"orders": orders(1, AS_OF + SECOND, at(2027, 1, 1), amount=5)}
    rows = {1: {}}
    rule = "count(orders) = 0 AND sum(orders.amount) = 0 AND max(orders.ordered_at) IS MISSING"
    assert matches(rule, rows, columns={}, events=events) == [1]
    assert matches("count(orders) over 2026-10-01 to 2027-12-31 = 0", rows, columns={}, events=events) == [1]


def test_no_window_means_all_history_up_to_as_of():
    events = {"orders": orders(1, at(2001, 1, 1), at(2026, 10, 31), AS_OF + DAY)}
    assert value("count(orders)", events=events) == 2


def test_an_inline_aggregate_in_a_rule():
    # The SPEC's `count(orders where amount > 100) over 30d`.
    events = {"orders": orders(1, at(2026, 10, 15), amount=150) + orders(2, at(2026, 10, 15), amount=100)
              + orders(3, at(2026, 9, 15), amount=150)}
    rows = {1: {}, 2: {}, 3: {}, 4: {}}
    assert matches("count(orders where amount > 100) over 30d >= 1", rows, columns={}, events=events) == [1]


def test_window_between_two_agos():
    # `over 180d ago to 90d ago`: 2026-05-05 ≤ t < 2026-08-03.
    events = {"orders": orders(1, at(2026, 5, 5), at(2026, 8, 2, 23, 59, 59), at(2026, 8, 3),
                               at(2026, 5, 4, 23, 59, 59))}
    assert value("count(orders) over 180d ago to 90d ago", events=events) == 2


def test_window_between_two_dates():
    # `over 2026-01-01 to 2026-03-31`: start inclusive, end exclusive.
    events = {"orders": orders(1, at(2026, 1, 1), at(2026, 3, 30, 23, 59, 59), at(2026, 3, 31),
                               at(2025, 12, 31, 23, 59, 59))}
    assert value("count(orders) over 2026-01-01 to 2026-03-31", events=events) == 2
    # A window reaching past as_of still stops at as_of.
    assert value("count(orders) over 2026-01-01 to 2026-03-31", events=events, as_of=at(2026, 2, 1)) == 1


def test_window_in_months_is_a_calendar_window():
    # as_of 2026-03-31: `over 6mo` starts at `6mo ago` = 2025-09-30, not 182.6 days back
    # (2025-09-29T09:00).
    events = {"orders": orders(1, at(2025, 9, 30), at(2025, 9, 29, 23, 59, 59))}
    assert value("count(orders) over 6mo", events=events, as_of=at(2026, 3, 31)) == 1
    assert value("count(orders) over 1y", events={"orders": orders(1, at(2023, 2, 28), at(2023, 2, 27))},
                 as_of=at(2024, 2, 29)) == 1


def test_stopped_buying():
    rule = "count(orders) over 180d ago to 30d ago > 0 AND count(orders) over 30d = 0"
    events = {"orders": orders(1, at(2026, 7, 24))                      # 100 days ago: stopped
              + orders(2, at(2026, 7, 24), at(2026, 10, 22))            # still buying
              + orders(4, at(2026, 4, 15))                              # 200 days ago: long gone
              + orders(5, at(2026, 10, 2))                              # exactly 30d ago: recent
              + orders(6, at(2026, 5, 5))                               # exactly 180d ago: stopped
              + orders(7, at(2026, 7, 24), AS_OF + DAY)}                # the future does not count
    rows = {k: {} for k in range(1, 8)}                                 # 3 never bought
    assert matches(rule, rows, columns={}, events=events) == [1, 6, 7]


# --- the SPEC §2 example project -----------------------------------------------------------------

SPEC_SETTINGS = """\
entity: customers              # the source whose rows are segmented
as_of: 2026-11-01              # reference time for windows and `ago`; default: now; --as-of overrides
sources:
  customers: {path: data/customers.parquet, key: customer_id}
  orders:    {path: "data/orders/*.parquet", key: customer_id, time: ordered_at}
fields:                        # optional declarations of entity fields: types, units, descriptions
  logins_per_week: {type: rate, per: week, description: from the product-usage export}
metrics:                       # per-entity values derived from event sources
  orders_90d:    count(orders) over 90d
  purchase_freq: count(orders) over 90d per month
  spend_365d:    sum(orders.amount) over 365d
  last_order_at: max(orders.ordered_at)
  skincare_buys: count(orders where category = skincare) over 180d
"""

SPEC_B2B = """\
segments:
  - name: tech                              # a macro segment
    description: Software and IT companies
    owner: growth-team
    rule: industry IN (software, saas, it_services)
    segments:                               # micro segments: the parent's rule is ANDed in
      - name: power_buyers
        rule: purchase_freq > 4/mo
      - name: dormant
        rule: last_order_at < 90d ago OR last_order_at IS MISSING

layers:                                     # exclusive groupings: first matching tier wins
  - name: lifecycle
    tiers:
      - name: new
        rule: signup_date WITHIN 30d
      - name: active
        rule: orders_90d >= 1
      - name: churned
        rule: last_order_at < 365d ago
      - name: other
        else: true                          # catch-all; without one, unmatched rows get NULL
  - name: value
    within: tech/power_buyers               # optional: only that segment's rows get a tier
    tiers:
      - name: top
        rule: ntile(5, spend_365d) = 5      # ranked among the layer's rows (see ranking)
      - name: rest
        else: true

microsegments:                              # Optimove style: the combination of layer labels
  - name: lifecycle_value
    layers: [lifecycle, value]
    within: tech                            # optional: only rows of that segment
"""

SPEC_SCHEMAS = {
    "customers": {"customer_id": "number", "industry": "string", "signup_date": "date",
                  "logins_per_week": "number"},
    "orders": {"customer_id": "number", "ordered_at": "timestamp", "amount": "number",
               "category": "string"},
}


def test_spec_example_project():
    project = checked({"segdsl.yml": SPEC_SETTINGS, "rules/b2b.yml": SPEC_B2B}, SPEC_SCHEMAS)
    assert project.as_of == AS_OF
    old = dt.date(2020, 1, 1)
    rows = [
        # Five tech power buyers (12+ orders in 90 days = 4.06+/mo), spends 120 … 600.
        {"customer_id": 1, "industry": "software", "signup_date": dt.date(2026, 10, 15)},
        {"customer_id": 2, "industry": "saas", "signup_date": old},
        {"customer_id": 3, "industry": "it_services", "signup_date": old},
        {"customer_id": 4, "industry": "software", "signup_date": old},
        {"customer_id": 5, "industry": "saas", "signup_date": old},
        # Tech, 11 orders (3.72/mo): not a power buyer, though the biggest spender of tech.
        {"customer_id": 6, "industry": "software", "signup_date": old},
        # Not tech: 20 orders and a huge spend.
        {"customer_id": 7, "industry": "retail", "signup_date": old},
        # Tech, last order a second before 90d ago: dormant; neither active nor churned.
        {"customer_id": 8, "industry": "software", "signup_date": old},
        # Tech, last order 2025-06-01 (plus one after as_of, which does not count): churned.
        {"customer_id": 9, "industry": "saas", "signup_date": old},
        # Tech, never ordered, signup unknown: dormant (no last order), lifecycle other.
        {"customer_id": 10, "industry": "software", "signup_date": None},
        # Industry unknown, signed up yesterday: not tech, new.
        {"customer_id": 11, "industry": None, "signup_date": dt.date(2026, 10, 31)},
        # "Software" is not "software": not tech.
        {"customer_id": 12, "industry": "Software", "signup_date": old},
        # Tech, signed up exactly 30 days ago (2026-10-02, midnight), never ordered: new, dormant.
        {"customer_id": 13, "industry": "saas", "signup_date": dt.date(2026, 10, 2)},
    ]
    events = []
    for key, count, amount in ((1, 12, 10), (2, 12, 20), (3, 13, 30), (4, 12, 40), (5, 12, 50),
                               (6, 11, 1000), (7, 20, 1000), (12, 12, 10)):
        events += orders(key, *(at(2026, 10, 1) + i * DAY for i in range(count)), amount=amount)
    events += orders(8, at(2026, 8, 2, 23, 59, 59), amount=5)
    events += orders(9, at(2025, 6, 1), AS_OF + DAY, amount=5)
    result = run(project, rows, {"orders": events}, project.as_of)

    got = {m.key: (m.segments, m.tiers["lifecycle"], m.tiers["value"], m.microsegments["lifecycle_value"])
           for m in result}
    buyer, dormant = ("tech", "tech/power_buyers"), ("tech", "tech/dormant")
    assert got == {
        # spend_365d among the power buyers: 120, 240, 390, 480, 600 → tiles 1..5.
        1: (buyer, "new", "rest", "new/rest"),          # new wins over active: first tier
        2: (buyer, "active", "rest", "active/rest"),
        3: (buyer, "active", "rest", "active/rest"),
        4: (buyer, "active", "rest", "active/rest"),
        5: (buyer, "active", "top", "active/top"),
        6: (("tech",), "active", None, None),           # no value tier: no key
        7: ((), "active", None, None),                  # outside `within: tech`
        8: (dormant, "other", None, None),
        9: (dormant, "churned", None, None),
        10: (dormant, "other", None, None),
        11: ((), "new", None, None),
        12: ((), "active", None, None),
        13: (dormant, "new", None, None),               # WITHIN 30d from the 2nd's midnight
    }


# --- rankings -----------------------------------------------------------------------------------

RANK_SETTINGS = """\
entity: customers
sources:
  customers: {path: customers.parquet, key: id}
metrics:
  spend_tile: ntile(2, spend)                # a metric ranks the whole entity
"""

RANK_RULES = """\
segments:
  - name: eu
    rule: region = eu
    segments:
      - name: top
        rule: ntile(2, spend) = 2            # ranks eu's members only
      - name: by_metric
        rule: spend_tile = 2                 # the metric's whole-entity tiles
  - name: top_overall
    rule: ntile(2, spend) = 2                # a top-level rule ranks the whole entity
  - name: eu_top_again
    rule: in_segment(eu/top)                 # eu/top as computed in eu's scope
  - name: top_half
    rule: ntile(2, spend) = 2
    segments:
      - name: top_quarter
        rule: ntile(2, spend) = 2            # ranks top_half's members
layers:
  - name: eu_rank
    within: eu                               # ranks eu's members only
    tiers:
      - name: high
        rule: percent_rank(spend) >= 0.5
      - name: low
        else: true
"""


def test_ranking_scopes():
    project = checked({"segdsl.yml": RANK_SETTINGS, "rules.yml": RANK_RULES},
                      {"customers": {"id": "number", "region": "string", "spend": "number"}})
    rows = {1: {"region": "eu", "spend": 10}, 2: {"region": "eu", "spend": 20},
            3: {"region": "eu", "spend": 30}, 4: {"region": "eu", "spend": 40},
            5: {"region": "us", "spend": 100}, 6: {"region": "us", "spend": 200},
            7: {"region": "us", "spend": 300}, 8: {"region": "us", "spend": 400},
            9: {"region": "eu", "spend": None}}          # not ranked: missing
    result = run(project, rows)
    assert members(result, "eu") == [1, 2, 3, 4, 9]
    assert members(result, "eu/top") == [3, 4]            # the top half of 10, 20, 30, 40
    assert members(result, "eu/by_metric") == []          # all of eu is in the entity's lower half
    assert members(result, "top_overall") == [5, 6, 7, 8]
    assert members(result, "eu_top_again") == [3, 4]
    assert members(result, "top_half") == [5, 6, 7, 8]
    assert members(result, "top_half/top_quarter") == [7, 8]
    # percent_rank among eu's ranked rows 10, 20, 30, 40: 0, 1/3, 2/3, 1.
    assert [m.tiers["eu_rank"] for m in result] == ["low", "low", "high", "high", None, None, None, None, "low"]


TILE_RULES = """\
layers:
  - name: tile
    tiers:
      - {name: t1, rule: "ntile(5, x) = 1"}
      - {name: t2, rule: "ntile(5, x) = 2"}
      - {name: t3, rule: "ntile(5, x) = 3"}
      - {name: t4, rule: "ntile(5, x) = 4"}
      - {name: t5, rule: "ntile(5, x) = 5"}
      - {name: unranked, else: true}
  - name: prank
    tiers:
      - {name: zero, rule: percent_rank(x) = 0}
      - {name: quarter, rule: percent_rank(x) = 0.25}
      - {name: three_quarters, rule: percent_rank(x) = 0.75}
      - {name: one, rule: percent_rank(x) = 1}
      - {name: other, else: true}
"""


def tile_project():
    settings = "entity: customers\nsources:\n  customers: {path: c.parquet, key: id}\n"
    return checked({"segdsl.yml": settings, "rules.yml": TILE_RULES},
                   {"customers": {"id": "number", "x": "number"}})


def test_ntile_is_sql_ntile():
    # Ordered by (x, key): 2(10) 3(20) 6(20) 4(30) 7(40) 1(50) 8(60); 7 rows into 5 tiles of
    # 2, 2, 1, 1, 1. The tie at 20 is broken by key; 5 has no x and is not ranked.
    rows = {1: {"x": 50}, 2: {"x": 10}, 3: {"x": 20}, 4: {"x": 30}, 5: {"x": None}, 6: {"x": 20},
            7: {"x": 40}, 8: {"x": 60}}
    result = run(tile_project(), rows)
    assert [m.tiers["tile"] for m in result] == ["t4", "t1", "t1", "t2", "unranked", "t2", "t3", "t5"]


def test_ntile_with_fewer_rows_than_tiles():
    result = run(tile_project(), {1: {"x": 3}, 2: {"x": 1}, 3: {"x": 2}})
    assert [m.tiers["tile"] for m in result] == ["t3", "t1", "t2"]


def test_percent_rank():
    # 10, 20, 20, 30, 40: (rank − 1) / (N − 1) with ties sharing the lower rank.
    rows = {1: {"x": 10}, 2: {"x": 20}, 3: {"x": 20}, 4: {"x": 30}, 5: {"x": 40}, 6: {"x": None}}
    result = run(tile_project(), rows)
    assert [m.tiers["prank"] for m in result] == ["zero", "quarter", "quarter", "three_quarters", "one", "other"]
    assert [m.tiers["prank"] for m in run(tile_project(), {1: {"x": 7}})] == ["zero"]


# --- project structure ----------------------------------------------------------------------------

NESTED_RULES = """\
segments:
  - name: a
    rule: x >= 1
    segments:
      - name: b
        rule: x >= 2
        segments:
          - name: c
            rule: x <= 2 OR y = true
  - name: d
    rule: in_segment(a/b/c) AND NOT in_segment(a/b)
  - {name: e, rule: "x IN (1, 3)"}
"""


def test_nested_segments_and_in_segment():
    settings = "entity: customers\nsources:\n  customers: {path: c.parquet, key: id}\n"
    project = checked({"segdsl.yml": settings, "rules.yml": NESTED_RULES},
                      {"customers": {"id": "number", "x": "number", "y": "boolean"}})
    rows = {1: {"x": 1, "y": True}, 2: {"x": 2, "y": None}, 3: {"x": 3, "y": True}, 4: {"x": 3, "y": False},
            5: {"x": None, "y": True}}
    result = run(project, rows)
    assert members(result, "a") == [1, 2, 3, 4]
    assert members(result, "a/b") == [2, 3, 4]
    assert members(result, "a/b/c") == [2, 3]     # every ancestor's rule is ANDed in
    assert members(result, "d") == []
    assert members(result, "e") == [1, 3, 4]      # a quoted rule in a flow mapping


LAYER_RULES = """\
segments:
  - name: big
    rule: x >= 10
layers:
  - name: size                 # no catch-all: unmatched rows get no tier
    tiers:
      - name: large
        rule: x >= 100
      - name: medium
        rule: x >= 10
  - name: kind
    tiers:
      - name: pro
        rule: >
          plan = pro
          OR plan = team
      - name: free
        rule: |
          plan = free
      - name: other
        else: true
microsegments:
  - name: size_kind            # no `within`: every row
    layers: [size, kind]
  - name: big_kind
    layers: [kind]
    within: big
"""


def test_layers_and_microsegment_keys():
    settings = "entity: customers\nsources:\n  customers: {path: c.parquet, key: id}\n"
    project = checked({"segdsl.yml": settings, "rules.yml": LAYER_RULES},
                      {"customers": {"id": "number", "x": "number", "plan": "string"}})
    rows = {1: {"x": 150, "plan": "pro"}, 2: {"x": 50, "plan": "free"}, 3: {"x": 5, "plan": "team"},
            4: {"x": None, "plan": None}, 5: {"x": 100, "plan": "Pro"}}
    got = {m.key: (m.tiers["size"], m.tiers["kind"], m.microsegments["size_kind"], m.microsegments["big_kind"])
           for m in run(project, rows)}
    assert got == {
        1: ("large", "pro", "large/pro", "pro"),
        2: ("medium", "free", "medium/free", "free"),
        3: (None, "pro", None, None),          # no size tier: no key; not big
        4: (None, "other", None, None),
        5: ("large", "other", "large/other", "other"),
    }


# --- errors found by check ------------------------------------------------------------------------

TYPED = {"industry": "string", "signup_date": "date", "newsletter": "boolean", "x": "number",
         "tags": "list"}


@pytest.mark.parametrize("rule", [
    "signup_date > 5",                 # a date with a number
    "signup_date = 2024",
    "signup_date IN (1, 2)",
    "signup_date BETWEEN 1 AND 2",
    "purchase_freq > tech",            # a rate with a string
    "purchase_freq = 'b2b'",
    "purchase_freq < 2024-01-01",      # a rate with a date
    "industry = 5",                    # a string with a number
    "industry > 2024-01-01",
    "newsletter = 1",                  # a boolean with a number
    "x = true",
    "signup_date = last_order_at",     # a bare word is a string, never a field
])
def test_comparing_across_types_is_an_error(rule):
    found = diagnostics(rule, TYPED, metrics={**FREQ, "last_order_at": "max(orders.ordered_at)"})
    # (one E301 per mismatched value of an IN list or BETWEEN)
    assert {x.code for x in found if x.is_error} == {"E301"}


def test_a_segment_that_uses_itself_is_an_error():
    assert [x.code for x in diagnostics("in_segment(s) OR x > 1", X) if x.is_error] == ["E210"]


def test_coalesce_of_a_rate_and_a_number_keeps_the_rate():
    # The 0 stands for "no logins" in the rate's own unit, and the result stays a rate per week,
    # so comparing it with a per-month literal converts units (8/mo = 1.84/w).
    rows = {1: {"logins_per_week": 3.0}, 2: {"logins_per_week": None}}
    columns = {"logins_per_week": "number"}
    assert matches("coalesce(logins_per_week, 0) < 2/w", rows, columns=columns, fields=LOGINS) == [2]
    assert matches("coalesce(logins_per_week, 0) > 8/mo", rows, columns=columns, fields=LOGINS) == [1]
    assert matches("coalesce(0, logins_per_week) = 0", rows, columns=columns, fields=LOGINS) == [1, 2]
