"""SPEC §3 predicates, keywords, precedence, bare words and functions, with missing values.

Conventions (the front end used, the default as_of): see `spec_helpers.py`.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from harness import AS_OF, matches, rule_project, value
from segdsl.dsl import typed as t
from spec_helpers import DATE_AND_TS, DAY, FREQ, LOGINS, S, SECOND, TS, X, at, orders, recent_orders


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
