"""Golden tests of `parse_rule`: every example of SPEC §2 and §3 → the expected AST.

Expected trees are written with the AST constructors; spans take no part in equality, so a
few tests check them on their own.
"""

from __future__ import annotations

import datetime as dt

import pytest

from segdsl.dsl.ast import (
    Ago,
    Aggregate,
    And,
    Arith,
    Between,
    Boolean,
    Call,
    Compare,
    Date,
    Duration,
    InList,
    InSegment,
    IsMissing,
    LastWindow,
    Name,
    Neg,
    Not,
    Now,
    Number,
    Or,
    Percent,
    RangeWindow,
    Rate,
    Span,
    String,
    TextMatch,
    Timestamp,
    Within,
)
from segdsl.dsl.parser import RuleSyntaxError, parse_rule


def field(name: str) -> Name:
    return Name(name)


def backticked(name: str) -> Name:
    return Name(name, quoted=True)


def word(text: str) -> String:
    """A bare word on the value side: a string whose text is the word itself."""
    return String(text, text)


def num(value: int | float, text: str | None = None) -> Number:
    return Number(value, str(value) if text is None else text)


def dur(amount: int | float, unit: str, text: str | None = None) -> Duration:
    return Duration(amount, unit, text or f"{amount}{unit}")


def ago(amount: int | float, unit: str, text: str | None = None) -> Ago:
    return Ago(dur(amount, unit, text))


def x_is(value) -> Compare:
    return Compare("=", field("x"), value)


def count(source: str, where=None, window=None, per=None) -> Aggregate:
    return Aggregate("count", source, None, where, window, per)


def over(amount: int, unit: str) -> LastWindow:
    return LastWindow(dur(amount, unit))


def check(text: str, expected) -> None:
    assert parse_rule(text) == expected


# --- literals (SPEC §3, the literal table) ---------------------------------------------------

LITERALS = [
    # numbers: k = 1e3, M = 1e6
    ("x = 42", x_is(num(42))),
    ("x = -3.5", x_is(num(-3.5, "-3.5"))),
    ("x = 1_000", x_is(num(1000, "1_000"))),
    ("x = 2.5k", x_is(num(2500, "2.5k"))),
    ("x = 1M", x_is(num(1_000_000, "1M"))),
    ("x = .5", x_is(num(0.5, ".5"))),
    # percent
    ("x = 20%", x_is(Percent(0.2, "20%"))),
    ("x = 12.5%", x_is(Percent(0.125, "12.5%"))),
    # strings: double, single quotes, bare words
    ('city = "New York"', Compare("=", field("city"), String("New York", '"New York"'))),
    ("segment = 'b2b'", Compare("=", field("segment"), String("b2b", "'b2b'"))),
    ("industry = tech", Compare("=", field("industry"), word("tech"))),
    ("x = 'it\\'s'", x_is(String("it's", "'it\\'s'"))),
    ('x = "a\\\\b\\n"', x_is(String("a\\b\n", '"a\\\\b\\n"'))),
    # booleans, in any case
    ("x = true", x_is(Boolean(True))),
    ("x = false", x_is(Boolean(False))),
    ("x = TRUE", x_is(Boolean(True))),
    ("x = False", x_is(Boolean(False))),
    ("x = fAlSe", x_is(Boolean(False))),
    # dates and timestamps
    ("x = 2024-01-31", x_is(Date(dt.date(2024, 1, 31), "2024-01-31"))),
    ("x = 2024-01-31T12:00:00", x_is(Timestamp(dt.datetime(2024, 1, 31, 12), "2024-01-31T12:00:00"))),
    ("x = 2024-01-31T12:30", x_is(Timestamp(dt.datetime(2024, 1, 31, 12, 30), "2024-01-31T12:30"))),
    # durations, symbols and words → canonical units; the text stays as written
    ("x WITHIN 12h", Within(field("x"), dur(12, "h"))),
    ("x WITHIN 30d", Within(field("x"), dur(30, "d"))),
    ("x WITHIN 2w", Within(field("x"), dur(2, "w"))),
    ("x WITHIN 6mo", Within(field("x"), dur(6, "mo"))),
    ("x WITHIN 1y", Within(field("x"), dur(1, "y"))),
    ("x WITHIN 30 days", Within(field("x"), dur(30, "d", "30 days"))),
    ("x WITHIN 1 day", Within(field("x"), dur(1, "d", "1 day"))),
    ("x WITHIN 2 weeks", Within(field("x"), dur(2, "w", "2 weeks"))),
    ("x WITHIN 12 hours", Within(field("x"), dur(12, "h", "12 hours"))),
    ("x WITHIN 1 month", Within(field("x"), dur(1, "mo", "1 month"))),
    ("x WITHIN 1 year", Within(field("x"), dur(1, "y", "1 year"))),
    ("x WITHIN 3 Months", Within(field("x"), dur(3, "mo", "3 Months"))),
    ("x WITHIN 2years", Within(field("x"), dur(2, "y", "2years"))),
    ("x WITHIN 1.5d", Within(field("x"), dur(1.5, "d", "1.5d"))),
    ("x = 30d", x_is(dur(30, "d"))),
    # relative times
    ("x > 30d ago", Compare(">", field("x"), ago(30, "d"))),
    ("x > 6mo ago", Compare(">", field("x"), ago(6, "mo"))),
    ("x > 2 weeks ago", Compare(">", field("x"), ago(2, "w", "2 weeks"))),
    ("x < today", Compare("<", field("x"), Now("today"))),
    ("x < now", Compare("<", field("x"), Now("now"))),
    ("x < NOW", Compare("<", field("x"), Now("now"))),
    # rates
    ("x > 4/mo", Compare(">", field("x"), Rate(4, "mo", "4/mo"))),
    ("x > 2/w", Compare(">", field("x"), Rate(2, "w", "2/w"))),
    ("x > 1/d", Compare(">", field("x"), Rate(1, "d", "1/d"))),
    ("x > 12/y", Compare(">", field("x"), Rate(12, "y", "12/y"))),
    ("x > 1/week", Compare(">", field("x"), Rate(1, "w", "1/week"))),
    ("x > 0.5/Month", Compare(">", field("x"), Rate(0.5, "mo", "0.5/Month"))),
]


@pytest.mark.parametrize(("text", "expected"), LITERALS, ids=[t for t, _ in LITERALS])
def test_literal(text, expected):
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [("42", 42, int), ("1_000", 1000, int), ("2.5k", 2500, int), ("1M", 1_000_000, int),
     ("-3.5", -3.5, float), ("1.0", 1.0, float), ("1e3", 1000.0, float)],
)
def test_number_value_and_type(text, value, kind):
    """Whole values written without a point (or with a suffix) are ints; equality alone
    would not tell 2500 from 2500.0."""
    number = parse_rule(f"x = {text}").right
    assert (number.value, type(number.value), number.text) == (value, kind, text)


# --- predicates ----------------------------------------------------------------------------

PREDICATES = [
    ("age = 30", Compare("=", field("age"), num(30))),
    ("age != 30", Compare("!=", field("age"), num(30))),
    ("age <> 30", Compare("!=", field("age"), num(30))),
    ("age < 30", Compare("<", field("age"), num(30))),
    ("age <= 30", Compare("<=", field("age"), num(30))),
    ("age > 30", Compare(">", field("age"), num(30))),
    ("age >= 30", Compare(">=", field("age"), num(30))),
    ("age>=30", Compare(">=", field("age"), num(30))),
    ("industry IN (software, saas, it_services)",
     InList(field("industry"), (word("software"), word("saas"), word("it_services"))),),
    ("industry NOT IN (retail, 'b2b', 3)",
     InList(field("industry"), (word("retail"), String("b2b", "'b2b'"), num(3)), negated=True)),
    ("industry IN (tech,)", InList(field("industry"), (word("tech"),))),
    ("age BETWEEN 18 AND 30", Between(field("age"), num(18), num(30))),
    ("age NOT BETWEEN 18 AND 30", Between(field("age"), num(18), num(30), negated=True)),
    ("last_order_at IS MISSING", IsMissing(field("last_order_at"))),
    ("last_order_at IS NOT MISSING", IsMissing(field("last_order_at"), negated=True)),
    ("last_order_at IS NULL", IsMissing(field("last_order_at"))),
    ("last_order_at IS NOT NULL", IsMissing(field("last_order_at"), negated=True)),
    ("interests CONTAINS hiking", TextMatch("contains", field("interests"), word("hiking"))),
    ("interests NOT CONTAINS 'golf'",
     TextMatch("contains", field("interests"), String("golf", "'golf'"), negated=True)),
    ("email STARTS WITH admin", TextMatch("starts_with", field("email"), word("admin"))),
    ("email NOT STARTS WITH admin", TextMatch("starts_with", field("email"), word("admin"), negated=True)),
    ('email ENDS WITH "@acme.com"', TextMatch("ends_with", field("email"), String("@acme.com", '"@acme.com"'))),
    ("email NOT ENDS WITH '.edu'", TextMatch("ends_with", field("email"), String(".edu", "'.edu'"), negated=True)),
    ("signup_date WITHIN 30d", Within(field("signup_date"), dur(30, "d"))),
    ("newsletter", field("newsletter")),
    ("NOT newsletter", Not(field("newsletter"))),
    ("NOT (age > 30)", Not(Compare(">", field("age"), num(30)))),
    ("age <= 30", Compare("<=", field("age"), num(30))),
]


@pytest.mark.parametrize(("text", "expected"), PREDICATES, ids=[t for t, _ in PREDICATES])
def test_predicate(text, expected):
    check(text, expected)


# --- precedence: OR < AND < NOT < comparison < + - < * / -----------------------------------

a, b, c = field("a"), field("b"), field("c")

PRECEDENCE = [
    ("a OR b AND c", Or(a, And(b, c))),
    ("a AND b OR c", Or(And(a, b), c)),
    ("a OR b OR c", Or(Or(a, b), c)),
    ("a AND b AND c", And(And(a, b), c)),
    ("NOT a AND b", And(Not(a), b)),
    ("NOT a OR NOT b", Or(Not(a), Not(b))),
    ("NOT NOT a", Not(Not(a))),
    ("NOT a = 1", Not(Compare("=", a, num(1)))),
    ("a = 1 AND b = 2 OR c = 3",
     Or(And(Compare("=", a, num(1)), Compare("=", b, num(2))), Compare("=", c, num(3)))),
    ("a + 1 > b", Compare(">", Arith("+", a, num(1)), word("b"))),
    ("a + b * c = 1", Compare("=", Arith("+", a, Arith("*", b, c)), num(1))),
    ("a * b + c = 1", Compare("=", Arith("+", Arith("*", a, b), c), num(1))),
    ("a - b - c = 1", Compare("=", Arith("-", Arith("-", a, b), c), num(1))),
    ("a / b * c = 1", Compare("=", Arith("*", Arith("/", a, b), c), num(1))),
    ("x = 1 + 2 * 3", x_is(Arith("+", num(1), Arith("*", num(2), num(3))))),
    ("-a * 2 > 1", Compare(">", Arith("*", Neg(a), num(2)), num(1))),
    ("x = -3 * 2", x_is(Arith("*", num(-3, "-3"), num(2)))),
    ("x = - 3", x_is(num(-3, "-3"))),
    ("x = --3", x_is(Neg(num(-3, "-3")))),
    ("x = -y", x_is(Neg(word("y")))),
    # parentheses
    ("(a OR b) AND c", And(Or(a, b), c)),
    ("a AND (b OR c)", And(a, Or(b, c))),
    ("a OR (b OR c)", Or(a, Or(b, c))),
    ("NOT (a AND b)", Not(And(a, b))),
    ("(a + b) * c = 1", Compare("=", Arith("*", Arith("+", a, b), c), num(1))),
    ("x = (1 + 2) * 3", x_is(Arith("*", Arith("+", num(1), num(2)), num(3)))),
    ("x = -(1 + 2)", x_is(Neg(Arith("+", num(1), num(2))))),
    ("x = (tech)", x_is(word("tech"))),
    ("(a > 1) = true", Compare("=", Compare(">", a, num(1)), Boolean(True))),
    ("((a))", a),
]


@pytest.mark.parametrize(("text", "expected"), PRECEDENCE, ids=[t for t, _ in PRECEDENCE])
def test_precedence(text, expected):
    check(text, expected)


# --- keyword case, backticks, bare words ------------------------------------------------------


def test_keywords_are_case_insensitive():
    upper = "industry IN (a) AND NOT x IS MISSING OR y BETWEEN 1 AND 2 OR z NOT STARTS WITH q"
    expected = Or(
        Or(
            And(InList(field("industry"), (word("a"),)), Not(IsMissing(field("x")))),
            Between(field("y"), num(1), num(2)),
        ),
        TextMatch("starts_with", field("z"), word("q"), negated=True),
    )
    assert parse_rule(upper) == expected
    assert parse_rule(upper.lower()) == expected
    assert parse_rule("industry In (a) aNd NoT x Is MiSsInG oR y BeTwEeN 1 AnD 2 Or z nOt StArTs WiTh q") == expected


def test_aggregate_keywords_are_case_insensitive():
    expected = count("orders", Compare(">", field("amount"), num(100)), over(30, "d"), "mo")
    assert parse_rule("COUNT(orders WHERE amount > 100) OVER 30d PER MONTH") == expected
    assert parse_rule("count(orders where amount > 100) over 30d per month") == expected


BACKTICKS_AND_BARE_WORDS = [
    ("last_order_at > `last_email_at`", Compare(">", field("last_order_at"), backticked("last_email_at"))),
    ("`industry` = tech", Compare("=", backticked("industry"), word("tech"))),
    ("x IN (tech, `industry`, Tech)", InList(field("x"), (word("tech"), backticked("industry"), word("Tech")))),
    ("x BETWEEN `lo` AND hi", Between(field("x"), backticked("lo"), word("hi"))),
    ("x = `min`", x_is(backticked("min"))),
    ("`order count` > 1", Compare(">", backticked("order count"), num(1))),
    ("` padded ` > 1", Compare(">", backticked("padded"), num(1))),
    ("x CONTAINS `y`", TextMatch("contains", field("x"), backticked("y"))),
    ("x = notable", x_is(word("notable"))),
    ("orders > 1 OR Isx = notin", Or(Compare(">", field("orders"), num(1)), Compare("=", field("Isx"), word("notin")))),
]


@pytest.mark.parametrize(
    ("text", "expected"), BACKTICKS_AND_BARE_WORDS, ids=[t for t, _ in BACKTICKS_AND_BARE_WORDS]
)
def test_backticks_and_bare_words(text, expected):
    check(text, expected)


RESERVED = [
    "or", "and", "not", "in", "between", "is", "missing", "null", "contains", "starts", "ends", "with",
    "within", "where", "over", "to", "per", "ago", "in_segment", "count", "count_distinct", "sum", "avg",
    "min", "max",
]


@pytest.mark.parametrize("keyword", RESERVED)
def test_keywords_are_reserved_on_the_value_side(keyword):
    with pytest.raises(RuleSyntaxError):
        parse_rule(f"x = {keyword}")
    assert parse_rule(f"x = `{keyword}`") == x_is(backticked(keyword))
    assert parse_rule(f"x = '{keyword}'") == x_is(String(keyword, f"'{keyword}'"))


# --- functions, segments, aggregates -----------------------------------------------------------

CALLS = [
    ("lower(x) = tech", Compare("=", Call("lower", (field("x"),)), word("tech"))),
    ("LOWER(x) = tech", Compare("=", Call("lower", (field("x"),)), word("tech"))),
    ("upper(city) = NYC", Compare("=", Call("upper", (field("city"),)), word("NYC"))),
    ("abs(x - 3) < 1", Compare("<", Call("abs", (Arith("-", field("x"), num(3)),)), num(1))),
    ("coalesce(spend, 0) > 100", Compare(">", Call("coalesce", (field("spend"), num(0))), num(100))),
    ("length(name) > 3", Compare(">", Call("length", (field("name"),)), num(3))),
    ("year(signup_date) = 2024", Compare("=", Call("year", (field("signup_date"),)), num(2024))),
    ("month(signup_date) = 12", Compare("=", Call("month", (field("signup_date"),)), num(12))),
    ("days_since(last_order_at) > 30", Compare(">", Call("days_since", (field("last_order_at"),)), num(30))),
    ("ntile(5, spend_365d) = 5", Compare("=", Call("ntile", (num(5), field("spend_365d"))), num(5))),
    ("percent_rank(spend) >= 0.9", Compare(">=", Call("percent_rank", (field("spend"),)), num(0.9, "0.9"))),
    ("x = lower(`y`)", x_is(Call("lower", (backticked("y"),)))),
    ("x = coalesce(y, tech)", x_is(Call("coalesce", (field("y"), field("tech"))))),
    ("f() > 1", Compare(">", Call("f", ()), num(1))),
    ("in_segment(tech/power_buyers)", InSegment("tech/power_buyers")),
    ("in_segment(tech)", InSegment("tech")),
    ("in_segment(a / b / c)", InSegment("a/b/c")),
    ("NOT in_segment(tech/dormant)", Not(InSegment("tech/dormant"))),
    ("in_segment(tech) AND vip", And(InSegment("tech"), field("vip"))),
]


@pytest.mark.parametrize(("text", "expected"), CALLS, ids=[t for t, _ in CALLS])
def test_call(text, expected):
    check(text, expected)


AGGREGATES = [
    ("count(orders where amount > 100) over 30d",
     count("orders", Compare(">", field("amount"), num(100)), over(30, "d"))),
    ("count(orders)", count("orders")),
    ("count(orders) over 90d", count("orders", window=over(90, "d"))),
    ("count(orders) over 6mo", count("orders", window=over(6, "mo"))),
    ("count(orders) over 30 days", count("orders", window=LastWindow(dur(30, "d", "30 days")))),
    ("count(orders) over 180d ago to 90d ago",
     count("orders", window=RangeWindow(ago(180, "d"), ago(90, "d")))),
    ("count(orders) over 2026-01-01 to 2026-03-31",
     count("orders", window=RangeWindow(Date(dt.date(2026, 1, 1), "2026-01-01"),
                                         Date(dt.date(2026, 3, 31), "2026-03-31")))),
    ("count(orders) over 30d ago to now", count("orders", window=RangeWindow(ago(30, "d"), Now("now")))),
    ("count(orders) over 2026-01-01T08:00 to today",
     count("orders", window=RangeWindow(Timestamp(dt.datetime(2026, 1, 1, 8), "2026-01-01T08:00"), Now("today")))),
    ("count(orders) over 90d per month", count("orders", window=over(90, "d"), per="mo")),
    ("count(orders) over 90d per w", count("orders", window=over(90, "d"), per="w")),
    ("count(orders) over 90d per d", count("orders", window=over(90, "d"), per="d")),
    ("count(orders) over 90d per y", count("orders", window=over(90, "d"), per="y")),
    ("count(orders) over 90d per hours", count("orders", window=over(90, "d"), per="h")),
    ("count(orders) over 90d per Week", count("orders", window=over(90, "d"), per="w")),
    ("sum(orders.amount)", Aggregate("sum", "orders", "amount")),
    ("avg(orders.amount where channel = web) over 1y",
     Aggregate("avg", "orders", "amount", Compare("=", field("channel"), word("web")), over(1, "y"))),
    ("min(orders.ordered_at)", Aggregate("min", "orders", "ordered_at")),
    ("max(orders.ordered_at)", Aggregate("max", "orders", "ordered_at")),
    ("count_distinct(orders.product_id) over 30d",
     Aggregate("count_distinct", "orders", "product_id", window=over(30, "d"))),
    ("count(orders where category IN (skincare, makeup) AND NOT refunded)",
     count("orders", And(InList(field("category"), (word("skincare"), word("makeup"))), Not(field("refunded"))))),
    ("count(orders) over 30d >= 2 * count(orders) over 30d ago to now",
     Compare(">=", count("orders", window=over(30, "d")),
             Arith("*", num(2), count("orders", window=RangeWindow(ago(30, "d"), Now("now")))))),
]


@pytest.mark.parametrize(("text", "expected"), AGGREGATES, ids=[t for t, _ in AGGREGATES])
def test_aggregate(text, expected):
    check(text, expected)


# --- the SPEC's own rules and metrics ------------------------------------------------------------

SPEC_RULES = [
    # §1
    ("industry = tech AND purchase_freq > 4/mo",
     And(Compare("=", field("industry"), word("tech")), Compare(">", field("purchase_freq"), Rate(4, "mo", "4/mo")))),
    # §2, segdsl.yml metrics
    ("count(orders) over 90d", count("orders", window=over(90, "d"))),
    ("count(orders) over 90d per month", count("orders", window=over(90, "d"), per="mo")),
    ("sum(orders.amount) over 365d", Aggregate("sum", "orders", "amount", window=over(365, "d"))),
    ("max(orders.ordered_at)", Aggregate("max", "orders", "ordered_at")),
    ("count(orders where category = skincare) over 180d",
     count("orders", Compare("=", field("category"), word("skincare")), over(180, "d"))),
    # §2, rules/b2b.yml
    ("industry IN (software, saas, it_services)",
     InList(field("industry"), (word("software"), word("saas"), word("it_services")))),
    ("purchase_freq > 4/mo", Compare(">", field("purchase_freq"), Rate(4, "mo", "4/mo"))),
    ("last_order_at < 90d ago OR last_order_at IS MISSING",
     Or(Compare("<", field("last_order_at"), ago(90, "d")), IsMissing(field("last_order_at")))),
    ("signup_date WITHIN 30d", Within(field("signup_date"), dur(30, "d"))),
    ("orders_90d >= 1", Compare(">=", field("orders_90d"), num(1))),
    ("last_order_at < 365d ago", Compare("<", field("last_order_at"), ago(365, "d"))),
    ("ntile(5, spend_365d) = 5", Compare("=", Call("ntile", (num(5), field("spend_365d"))), num(5))),
    # §3
    ("count(orders) over 180d ago to 30d ago > 0 AND count(orders) over 30d = 0",
     And(Compare(">", count("orders", window=RangeWindow(ago(180, "d"), ago(30, "d"))), num(0)),
         Compare("=", count("orders", window=over(30, "d")), num(0)))),
    ("purchase_freq > 1/w", Compare(">", field("purchase_freq"), Rate(1, "w", "1/w"))),
    ("t WITHIN 90d", Within(field("t"), dur(90, "d"))),
    ("lower(x) = tech", Compare("=", Call("lower", (field("x"),)), word("tech"))),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_RULES, ids=[t for t, _ in SPEC_RULES])
def test_spec_example(text, expected):
    check(text, expected)


def test_multi_line_rule():
    """Block scalars in YAML keep line breaks; they are whitespace."""
    text = "industry = tech\n  AND (purchase_freq > 4/mo\n       OR vip)\n"
    assert parse_rule(text) == And(
        Compare("=", field("industry"), word("tech")),
        Or(Compare(">", field("purchase_freq"), Rate(4, "mo", "4/mo")), field("vip")),
    )


# --- spans ----------------------------------------------------------------------------------


def test_spans_of_an_unknown_name_candidate():
    tree = parse_rule("industy IN (a, b)")
    assert tree.span == Span(0, 17)
    assert tree.operand.span == Span(0, 7)
    assert [v.span for v in tree.values] == [Span(12, 13), Span(15, 16)]


def test_spans_of_aggregate_and_window():
    text = "count(orders) over 30d = 0 OR x > 30d ago"
    tree = parse_rule(text)
    aggregate = tree.left.left
    assert (tree.span, tree.left.span, aggregate.span, aggregate.window.span, aggregate.window.length.span) == (
        Span(0, 41), Span(0, 26), Span(0, 22), Span(14, 22), Span(19, 22)
    )
    assert text[aggregate.window.span.start:aggregate.window.span.end] == "over 30d"
    agos = tree.right.right
    assert (agos.span, agos.duration.span) == (Span(34, 41), Span(34, 37))


def test_spans_of_backticked_name_and_folded_negative_number():
    tree = parse_rule("`last email` > - 3")
    assert tree.left.span == Span(0, 12)  # the backticks included
    assert tree.right == num(-3, "-3")
    assert tree.right.span == Span(15, 18)  # from the minus to the end of the number


def test_spans_are_offsets_in_the_rule_string_with_leading_space():
    tree = parse_rule("  NOT x")
    assert (tree.span, tree.operand.span) == (Span(2, 7), Span(6, 7))


def test_spans_take_no_part_in_equality():
    spaced, tight = parse_rule("a   AND   b"), parse_rule("a AND b")
    assert spaced == tight
    assert (spaced.right.span, tight.right.span) == (Span(10, 11), Span(6, 7))
