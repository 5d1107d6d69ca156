"""The messages of rules that do not parse, pinned word for word.

Each row is a bad rule with the exact message, span (offsets in the rule), hint and label
`parse_rule` gives. A message judged still poor goes into `KNOWN_BAD_MESSAGES`, the backlog in
plain sight, until it is fixed.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from segdsl.dsl.ast import Span
from segdsl.dsl.parser import RuleSyntaxError, parse_rule


class Bad(NamedTuple):
    rule: str
    message: str
    span: tuple[int, int]
    hint: str | None
    label: str


BAD_RULES = [
    # nothing to parse
    Bad("", "the rule is empty", (0, 0), "write a condition such as `industry = tech`", ""),
    Bad("   ", "the rule is empty", (0, 3), "write a condition such as `industry = tech`", ""),
    # a missing or misplaced value
    Bad("x >", "the rule ends too early: expected a value after `>`", (3, 3), None, "expected a value"),
    Bad(
        "x > AND y",
        "expected a value after `>` but found `AND`",
        (4, 7),
        "a value is missing between `>` and `AND`; to compare with the word itself, quote it: 'AND'",
        "here",
    ),
    Bad(
        "x = and",
        "expected a value after `=` but found `and`",
        (4, 7),
        "a value is missing between `=` and `and`; to compare with the word itself, quote it: 'and'",
        "here",
    ),
    Bad(
        "x = where",
        "expected a value after `=` but found the keyword `where`",
        (4, 9),
        "to use `where` as a text value, quote it: 'where'; as a field name, use backticks: `where`",
        "here",
    ),
    Bad(
        "x = min",
        "`min` is a function and needs `(`",
        (4, 7),
        "to use `min` as a text value, quote it: 'min'; as a field name, use backticks: `min`",
        "here",
    ),
    Bad(
        "count > 5",
        "`count` is a function and needs `(`",
        (0, 5),
        "to use `count` as a text value, quote it: 'count'; as a field name, use backticks: `count`",
        "here",
    ),
    Bad(
        "in_segment = true",
        "`in_segment` is a function and needs `(`",
        (0, 10),
        "to use `in_segment` as a text value, quote it: 'in_segment'; as a field name, use backticks: `in_segment`",
        "here",
    ),
    Bad(
        "x IN ()",
        "expected a value after `(` but found `)`",
        (6, 7),
        "write at least one value inside `( )`",
        "unexpected here",
    ),
    Bad(
        "x > 1 AND",
        "the rule ends too early: expected a condition after `AND`",
        (9, 9),
        None,
        "expected a condition",
    ),
    Bad("NOT", "the rule ends too early: expected a condition after `NOT`", (3, 3), None, "expected a condition"),
    Bad(
        "industry = tech AND OR y",
        "expected a condition after `AND` but found `OR`",
        (20, 22),
        "a condition is missing between `AND` and `OR`",
        "here",
    ),
    Bad(
        "NOT IN (a)",
        "expected a condition after `NOT` but found `IN`",
        (4, 6),
        "a field is missing before `IN`: `industry IN …`",
        "unexpected here",
    ),
    Bad(
        "= 5",
        "expected a condition but found `=`",
        (0, 1),
        "a field is missing before `=`: `industry = …`",
        "unexpected here",
    ),
    Bad(
        "count(orders where) > 1",
        "expected a condition after `where` but found `)`",
        (18, 19),
        None,
        "unexpected here",
    ),
    Bad("count(orders.) > 1", "expected a name after `.` but found `)`", (13, 14), None, "unexpected here"),
    # operators from other languages
    Bad("x == 1", "`==` is not an operator", (2, 4), "compare with a single `=`: `industry = tech`", "here"),
    Bad("x = = 1", "`==` is not an operator", (2, 5), "compare with a single `=`: `industry = tech`", "here"),
    Bad("x =< 1", "`=<` is not an operator", (2, 4), "write `<=`", "here"),
    Bad("x => 1", "`=>` is not an operator", (2, 4), "write `>=`", "here"),
    Bad("x < = 1", "`< =` is not an operator", (2, 5), "write `<=` without a space", "here"),
    Bad(
        "age >> 30",
        "`>>` is not an operator",
        (4, 6),
        "compare with one of `=`, `!=`, `<`, `<=`, `>`, `>=`",
        "here",
    ),
    Bad("x > 1 && y", "`&` is not an operator", (6, 7), "write `AND`", "here"),
    Bad("x > 1 || y", "`|` is not an operator", (6, 7), "write `OR`", "here"),
    Bad("x = !y", "`!` is not an operator", (4, 5), "write `NOT`, or `!=` for not equal", "here"),
    Bad(
        "x NOT = 1",
        "expected `IN`, `BETWEEN`, `CONTAINS` or another operator after `NOT` but found `=`",
        (6, 7),
        "write `!=` for not equal, or put `NOT` before the whole condition: `NOT x = 1`",
        "unexpected here",
    ),
    Bad(
        "x > 1 = true",
        "expected `AND`, `OR`, an arithmetic operator or the end of the rule after `1` but found `=`",
        (6, 7),
        "a condition compares once: join two with `AND` (`x > 1 AND x < 5`) or use `BETWEEN`",
        "unexpected here",
    ),
    Bad(
        "x LIKE 'a%'",
        "expected an operator or `AND`/`OR` between `x` and `LIKE`",
        (2, 6),
        "a condition is a field, an operator and a value: `industry = tech`",
        "here",
    ),
    Bad("x > 1 AND AND y", "`AND` is written twice", (10, 13), "remove one `AND`", "here"),
    # predicates written incompletely
    Bad("x IN a", "`IN` needs a list in parentheses", (5, 6), "write `IN (a, b, c)`", "here"),
    Bad(
        "x IS empty",
        "expected `MISSING`, `NULL` or `NOT` after `IS` but found `empty`",
        (5, 10),
        "write `IS MISSING` or `IS NOT MISSING`; to compare, use `=`",
        "here",
    ),
    Bad(
        "x IS",
        "expected `MISSING`, `NULL` or `NOT` after `IS` but found the end of the rule",
        (4, 4),
        "write `IS MISSING` or `IS NOT MISSING`; to compare, use `=`",
        "here",
    ),
    Bad(
        "x IS NOT",
        "the rule ends too early: expected `MISSING` or `NULL` after `NOT`",
        (8, 8),
        None,
        "expected `MISSING` or `NULL`",
    ),
    Bad("x = null", "`= null` does not test for a missing value", (4, 8), "write `IS MISSING`", "here"),
    Bad("x != NULL", "`!= NULL` does not test for a missing value", (5, 9), "write `IS NOT MISSING`", "here"),
    Bad(
        "x BETWEEN 1",
        "the rule ends too early: expected `AND` or an arithmetic operator after `1`",
        (11, 11),
        "`BETWEEN` takes two values: `age BETWEEN 18 AND 30`",
        "expected `AND` or an arithmetic operator",
    ),
    Bad(
        "x BETWEEN 1, 5",
        "expected `AND` or an arithmetic operator after `1` but found `,`",
        (11, 12),
        "`BETWEEN` takes two values: `age BETWEEN 18 AND 30`",
        "unexpected here",
    ),
    Bad("x STARTS 'a'", "expected `WITH` after `STARTS` but found `'a'`", (9, 12), None, "unexpected here"),
    # values with spaces, quotes and other characters
    Bad(
        "city = New York",
        "expected an operator or `AND`/`OR` between `New` and `York`",
        (7, 15),
        'a value with spaces must be quoted: "New York"',
        "here",
    ),
    Bad(
        "city = New York City AND vip",
        "expected an operator or `AND`/`OR` between `New` and `York`",
        (7, 20),
        'a value with spaces must be quoted: "New York City"',
        "here",
    ),
    Bad(
        "x IN (a b)",
        "expected an operator or `AND`/`OR` between `a` and `b`",
        (6, 9),
        'separate the values with commas: `a, b`; a value with spaces must be quoted: "a b"',
        "here",
    ),
    Bad(
        "x = 1,2",
        "expected `AND`, `OR`, an arithmetic operator or the end of the rule after `1` but found `,`",
        (5, 6),
        "to compare with several values, write `IN (a, b)`",
        "unexpected here",
    ),
    Bad('city = "New York', "a quoted string is not closed", (7, 8), 'close it with `"` on the same line', "here"),
    Bad("city = 'New York", "a quoted string is not closed", (7, 8), "close it with `'` on the same line", "here"),
    Bad("x = `abc", "a backticked name is not closed", (4, 5), "close it with a backtick", "here"),
    Bad(
        "x = 'it''s'",
        "`''` does not put a quote inside a string",
        (4, 11),
        'use the other kind of quotes: "it\'s"',
        "here",
    ),
    Bad(
        'x = "say ""hi"""',
        '`""` does not put a quote inside a string',
        (4, 16),
        'use the other kind of quotes: \'say "hi"\'',
        "here",
    ),
    Bad(
        "x = @",
        "unexpected character `@`",
        (4, 5),
        "names are letters, digits and `_`: put text with `@` in quotes ('…@…'), "
        "a field name with it in backticks (`…@…`)",
        "not understood",
    ),
    Bad("x = 5 %", "`%` must follow its number directly", (6, 7), "write `5%`", "here"),
    # numbers, durations, windows
    Bad(
        "x > 30dd",
        "`30dd` is not a number, duration or rate",
        (4, 8),
        "durations are written `30d`, `6mo`, `2w`, `12h`, `1y`; rates `4/mo`",
        "not understood",
    ),
    Bad(
        "x > 3 dys ago",
        "expected `AND`, `OR`, an arithmetic operator or the end of the rule after `3` but found `dys`",
        (6, 9),
        "if `3 dys` is meant as a duration, its unit is unknown: write `3d`, `3w`, `3mo` or `3y`",
        "unexpected here",
    ),
    Bad(
        "x = 10 000",
        "expected `AND`, `OR`, an arithmetic operator or the end of the rule after `10` but found `000`",
        (7, 10),
        "to group digits write `_`: `10_000`",
        "unexpected here",
    ),
    Bad(
        "x = 1,000",
        "expected `AND`, `OR`, an arithmetic operator or the end of the rule after `1` but found `,`",
        (5, 6),
        "to group digits write `_`: `1_000`",
        "unexpected here",
    ),
    Bad(
        "count(orders) over 30 > 1",
        "expected a duration such as `90d` or a time such as `2026-01-01` or `30d ago` after `over` but found `30`",
        (19, 21),
        "a duration needs a unit: `30d`, `30w`, `30mo` or `30y`",
        "unexpected here",
    ),
    Bad(
        "x WITHIN 30",
        "expected a duration such as `30d` after `WITHIN` but found `30`",
        (9, 11),
        "a duration needs a unit: `30d`, `30w`, `30mo` or `30y`",
        "unexpected here",
    ),
    Bad(
        "x WITHIN",
        "the rule ends too early: expected a duration such as `30d` after `WITHIN`",
        (8, 8),
        None,
        "expected a duration such as `30d`",
    ),
    Bad(
        "x WITHIN 30d ago",
        "expected `AND`, `OR` or the end of the rule after `30d` but found `ago`",
        (13, 16),
        "`WITHIN 30d` already means the last 30d; to compare with a time, write `> 30d ago`",
        "unexpected here",
    ),
    Bad(
        "count(orders) over 30d ago > 1",
        "expected `to` after `ago` but found `>`",
        (27, 28),
        "a window in the past has a start and an end: `over 180d ago to 90d ago`; the last 90 days are `over 90d`",
        "unexpected here",
    ),
    Bad(
        "count(orders) over 30d per fortnight > 1",
        "`fortnight` is not a time unit",
        (27, 36),
        "write `per month`, `per week`, `per day`, `per year` or `per hour`",
        "not a time unit",
    ),
    Bad(
        "count(orders) over 30d per > 1",
        "expected a time unit after `per` but found `>`",
        (27, 28),
        "write `per month`, `per week`, `per day`, `per year` or `per hour`",
        "here",
    ),
    # parentheses
    Bad("(x > 1", "the rule ends before a `(` is closed", (6, 6), "add the missing `)`", "here"),
    Bad("x IN (a, b", "the rule ends before a `(` is closed", (10, 10), "add the missing `)`", "here"),
    Bad("x = 1)", "`)` has no matching `(`", (5, 6), "remove it, or add the `(` that it closes", "here"),
    Bad("x = ')' AND y)", "`)` has no matching `(`", (13, 14), "remove it, or add the `(` that it closes", "here"),
    # dates and times that do not exist
    Bad(
        "x = 2024-02-30",
        "`2024-02-30` is not a valid date: February 2024 has 29 days",
        (4, 14),
        "days of February 2024 go from 01 to 29",
        "not a real date",
    ),
    Bad(
        "x = 2023-02-29",
        "`2023-02-29` is not a valid date: February 2023 has 28 days",
        (4, 14),
        "days of February 2023 go from 01 to 28",
        "not a real date",
    ),
    Bad(
        "x = 2024-13-01",
        "`2024-13-01` is not a valid date: there is no month 13",
        (4, 14),
        "months go from 01 to 12",
        "not a real date",
    ),
    Bad(
        "x = 2024-04-00",
        "`2024-04-00` is not a valid date: there is no day 0",
        (4, 14),
        "days start at 01",
        "not a real date",
    ),
    Bad(
        "x = 0000-01-01",
        "`0000-01-01` is not a valid date: there is no year 0",
        (4, 14),
        "years start at 0001",
        "not a real date",
    ),
    Bad(
        "x = 2024-01-01T24:00",
        "`2024-01-01T24:00` is not a valid timestamp: there is no hour 24",
        (4, 20),
        "hours go from 00 to 23",
        "not a real time",
    ),
    Bad(
        "x = 2024-01-01T23:60",
        "`2024-01-01T23:60` is not a valid timestamp: there is no minute 60",
        (4, 20),
        "minutes go from 00 to 59",
        "not a real time",
    ),
    Bad(
        "x = 2024-01-01T23:59:60",
        "`2024-01-01T23:59:60` is not a valid timestamp: there is no second 60",
        (4, 23),
        "seconds go from 00 to 59",
        "not a real time",
    ),
    Bad(
        "x = 2023-02-29T10:00",
        "`2023-02-29T10:00` is not a valid timestamp: February 2023 has 28 days",
        (4, 20),
        "days of February 2023 go from 01 to 28",
        "not a real time",
    ),
]


@pytest.mark.parametrize("case", BAD_RULES, ids=[case.rule or "<empty>" for case in BAD_RULES])
def test_bad_rule(case: Bad):
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(case.rule)
    error = caught.value
    assert (error.message, error.span, error.hint, error.label) == (
        case.message, Span(*case.span), case.hint, case.label
    )
    assert str(error) == case.message


def test_every_span_lies_inside_the_rule():
    for case in BAD_RULES:
        start, end = case.span
        assert 0 <= start <= end <= len(case.rule), case.rule


def test_the_rules_are_distinct():
    rules = [case.rule for case in BAD_RULES]
    assert len(rules) == len(set(rules))


# The backlog: messages judged still poor, with what is wrong with each. They must still be
# errors; when one is fixed, move it to BAD_RULES with its new text.
KNOWN_BAD_MESSAGES = [
    ("x = $100", "a currency sign gets the generic hint to quote or backtick; the fix is to drop it: `x = 100`"),
    ("in_segment(a/) = true", "says `expected a name` where a segment name is meant"),
    ("x IN (a,", "says a value is expected after `,` but not that the list's `)` is missing too"),
    ("x = 1 1", "lists `AND`, `OR`, operators and the end with no hint; a missing `AND` or a stray space is likelier"),
    ("x 5", "the expectations are cut to three and `or another operator`; no hint that `=` is likely missing"),
    ('x = "a" "b"', "two strings in a row: offers an arithmetic operator; a missing `,` or `AND` is likelier"),
    ("x IS NOT empty", "no hint, unlike `x IS empty`"),
]


@pytest.mark.parametrize(("rule", "note"), KNOWN_BAD_MESSAGES, ids=[rule for rule, _ in KNOWN_BAD_MESSAGES])
def test_known_bad_message_is_still_an_error(rule, note):
    with pytest.raises(RuleSyntaxError):
        parse_rule(rule)


def test_known_bad_rules_are_not_pinned_twice():
    assert not {rule for rule, _ in KNOWN_BAD_MESSAGES} & {case.rule for case in BAD_RULES}
