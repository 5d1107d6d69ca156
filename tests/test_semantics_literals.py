"""SPEC §3 literals, row by row: each parses, checks and means what the SPEC says.

Conventions (the front end used, the default as_of): see `spec_helpers.py`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from harness import checked, codes, matches, rule_project, run, value
from segdsl.dsl import typed as t
from spec_helpers import DATE_AND_TS, DAY, FREQ, LATE, LOGINS, S, SECOND, TS, X, at, members, orders, recent_orders


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
