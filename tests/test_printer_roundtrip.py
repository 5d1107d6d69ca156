"""Property tests of the canonical printer against the parser.

Random ASTs of the shapes the parser can produce (see `trees`) must survive
`parse_rule(to_text(tree)) == tree`; printing is idempotent; and neither extra whitespace nor
the case of keywords changes the tree.

The generated trees follow the grammar's contexts (SPEC §3, `rules.lark`):
- the left side of a predicate, function arguments and aggregate filters are *condition*
  context: any node may stand there (conditions inside arithmetic get parentheses);
- the value side (right of a comparison, `IN` items, `BETWEEN` bounds, text patterns) holds
  only arithmetic over atoms: no conditions; a name there is backticked (`quoted=True`); a
  string may be a bare word, which must be a valid word that is not a keyword;
- a negative `Number` has text starting with `-`, and a `Neg` never wraps a number whose text
  lacks that `-` (the parser folds `-3` into the literal);
- `Boolean` has no text; literal values are computed here from their text, independently of
  the parser.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark

from segdsl.dsl import ast
from segdsl.dsl.parser import parse_rule
from segdsl.dsl.printer import to_text

KEYWORDS = {
    "or", "and", "not", "in", "between", "is", "missing", "null", "contains", "starts", "ends",
    "with", "within", "where", "over", "to", "per", "ago", "now", "today", "true", "false",
    "in_segment", "count", "count_distinct", "sum", "avg", "min", "max",
}

# The file stays under 10 s: the round trip gets the most examples, the properties that
# mostly re-check it fewer.
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=200)

# --- words ---------------------------------------------------------------------------------

# Words that sit next to keywords, units and number suffixes, where a lexer slip would show.
_TRICKY_WORDS = [
    "d", "h", "w", "y", "mo", "days", "Month", "k", "M", "e", "e5", "_", "_1", "ago_", "nowhere",
    "orders", "ORDERS", "notable", "isx", "in_segments", "counted", "minimum", "Tech", "b2b",
]

words = st.one_of(
    st.sampled_from(_TRICKY_WORDS),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True),
).filter(lambda w: w.lower() not in KEYWORDS)

function_names = words.map(str.lower).filter(lambda w: w not in KEYWORDS)

# --- literals, each with the value its text means -------------------------------------------

_AMOUNT = r"([0-9][0-9_]{0,4}(\.[0-9]{1,3})?|\.[0-9]{1,3})"


def _amount_value(text: str) -> int | float:
    """SPEC §3 numbers: `_` separates digits, k = 1e3, M = 1e6; whole values written without a
    point or exponent (or with a suffix) are ints."""
    body = text.replace("_", "")
    scale = 1
    if body[-1] in "kM":
        scale, body = (1000 if body[-1] == "k" else 1_000_000), body[:-1]
    exact = Fraction(Decimal(body)) * scale
    written_whole = scale != 1 or not re.search(r"[.eE]", body)
    return int(exact) if exact.denominator == 1 and written_whole else float(exact)


def _number(text: str, negative: bool) -> ast.Number:
    value = _amount_value(text)
    return ast.Number(-value, "-" + text) if negative else ast.Number(value, text)


numbers = st.builds(
    _number, st.from_regex(_AMOUNT + r"([eE][+-]?[0-9]{1,2})?[kM]?", fullmatch=True), st.booleans()
)
percents = st.from_regex(_AMOUNT + "%", fullmatch=True).map(
    lambda t: ast.Percent(float(Fraction(Decimal(t[:-1].replace("_", ""))) / 100), t)
)
booleans = st.builds(ast.Boolean, st.booleans())
dates = st.dates().map(lambda d: ast.Date(d, d.isoformat()))


@st.composite
def timestamps(draw) -> ast.Timestamp:
    day = draw(st.dates())
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    text = f"{day.isoformat()}T{hour:02}:{minute:02}"
    second = draw(st.none() | st.integers(0, 59))
    fraction = draw(st.none() | st.from_regex(r"[0-9]{1,6}", fullmatch=True)) if second is not None else None
    if second is not None:
        text += f":{second:02}"
    if fraction is not None:
        text += "." + fraction
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    value = dt.datetime(day.year, day.month, day.day, hour, minute, second or 0, micro)
    return ast.Timestamp(value, text)


_UNIT_WORDS = {
    "h": ["h", "hour", "hours"], "d": ["d", "day", "days"], "w": ["w", "week", "weeks"],
    "mo": ["mo", "month", "months"], "y": ["y", "year", "years"],
}
_RATE_UNITS = {"h": ["h", "hour"], "d": ["d", "day"], "w": ["w", "week"], "mo": ["mo", "month"], "y": ["y", "year"]}


def _random_case(draw, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(word, flips))


@st.composite
def durations(draw) -> ast.Duration:
    amount = draw(st.from_regex(_AMOUNT, fullmatch=True))
    unit = draw(st.sampled_from(sorted(_UNIT_WORDS)))
    word = _random_case(draw, draw(st.sampled_from(_UNIT_WORDS[unit])))
    gap = draw(st.sampled_from(["", "", " ", "  ", "\t"]))
    return ast.Duration(_amount_value(amount), unit, amount + gap + word)


@st.composite
def rates(draw) -> ast.Rate:
    amount = draw(st.from_regex(_AMOUNT, fullmatch=True))
    unit = draw(st.sampled_from(sorted(_RATE_UNITS)))
    word = _random_case(draw, draw(st.sampled_from(_RATE_UNITS[unit])))
    return ast.Rate(_amount_value(amount), unit, f"{amount}/{word}")


agos = st.builds(ast.Ago, durations())
nows = st.builds(ast.Now, st.sampled_from(["now", "today"]))
time_points = st.one_of(agos, nows, dates, timestamps())

_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


@st.composite
def quoted_strings(draw) -> ast.String:
    """A quoted string with its value; each character written in one of its valid spellings:
    as is, as a named escape (`\\n`) or escaped with a backslash (`\\'`, `\\x`)."""
    value = draw(st.text(st.characters(blacklist_categories=["Cs"]), max_size=8))
    quote = draw(st.sampled_from(["'", '"']))
    body = []
    for c in value:
        spellings = []
        if c not in (quote, "\\", "\n"):
            spellings.append(c)
        if c in _NAMED_ESCAPES:
            spellings.append(_NAMED_ESCAPES[c])
        elif c != "\n" and c not in "ntr0":
            spellings.append("\\" + c)
        body.append(draw(st.sampled_from(spellings)))
    return ast.String(value, quote + "".join(body) + quote)


bare_strings = words.map(lambda w: ast.String(w, w))

# A backticked name: any text on one line without backticks; the parser strips its ends.
quoted_names = (
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="`\n"), min_size=1, max_size=8)
    .filter(lambda s: s == s.strip() and s != "")
    .map(lambda s: ast.Name(s, True))
)
left_names = st.one_of(words.map(lambda w: ast.Name(w, False)), quoted_names)

literals = st.one_of(
    numbers, percents, booleans, dates, timestamps(), durations(), rates(), time_points, quoted_strings()
)
in_segments = st.lists(words, min_size=1, max_size=3).map(lambda ws: ast.InSegment("/".join(ws)))

left_leaves = st.one_of(literals, left_names, in_segments)
value_leaves = st.one_of(literals, quoted_names, bare_strings, in_segments)


def _negatable(node: ast.Expr) -> bool:
    return not (isinstance(node, ast.Number) and not node.text.startswith("-"))


def aggregates(where: st.SearchStrategy) -> st.SearchStrategy:
    function = st.sampled_from(["count", "count_distinct", "sum", "avg", "min", "max"])
    window = st.one_of(
        st.none(), st.builds(ast.LastWindow, durations()), st.builds(ast.RangeWindow, time_points, time_points)
    )
    per = st.none() | st.sampled_from(["h", "d", "w", "mo", "y"])
    return st.builds(ast.Aggregate, function, words, st.none() | words, st.none() | where, window, per)


# Function arguments and aggregate filters inside value-side nodes: condition context, kept
# small so that the two recursions do not feed each other without bound.
small_conditions = st.one_of(
    left_leaves,
    st.builds(ast.Compare, st.sampled_from(["=", "!=", "<", ">="]), left_leaves, value_leaves),
    st.builds(ast.Or, left_leaves, left_leaves),
    st.builds(ast.Not, left_leaves),
)


def _value_extend(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(ast.Arith, st.sampled_from(["+", "-", "*", "/"]), inner, inner),
        st.builds(ast.Neg, inner.filter(_negatable)),
        st.builds(ast.Call, function_names, st.lists(small_conditions, max_size=3).map(tuple)),
        aggregates(small_conditions),
    )


values = st.recursive(value_leaves, _value_extend, max_leaves=6)
compare_ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
text_kinds = st.sampled_from(["contains", "starts_with", "ends_with"])


def _extend(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(ast.Or, inner, inner),
        st.builds(ast.And, inner, inner),
        st.builds(ast.Not, inner),
        st.builds(ast.Compare, compare_ops, inner, values),
        st.builds(ast.InList, inner, st.lists(values, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(ast.Between, inner, values, values, st.booleans()),
        st.builds(ast.IsMissing, inner, st.booleans()),
        st.builds(ast.TextMatch, text_kinds, inner, values, st.booleans()),
        st.builds(ast.Within, inner, durations()),
        st.builds(ast.Arith, st.sampled_from(["+", "-", "*", "/"]), inner, inner),
        st.builds(ast.Neg, inner.filter(_negatable)),
        st.builds(ast.Call, function_names, st.lists(inner, max_size=3).map(tuple)),
        aggregates(inner),
    )


trees = st.recursive(left_leaves, _extend, max_leaves=12)


# --- (a) round trip, (b) idempotence ----------------------------------------------------------


@SETTINGS
@given(trees)
def test_printed_tree_parses_back_to_itself(tree):
    assert parse_rule(to_text(tree)) == tree


@FEWER
@given(trees)
def test_canonical_form_is_idempotent(tree):
    text = to_text(tree)
    assert to_text(parse_rule(text)) == text


# --- (c) whitespace and keyword case -----------------------------------------------------------


def _lexer() -> Lark:
    grammar = resources.files("segdsl.dsl").joinpath("rules.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic")


LEXER = _lexer()
KEYWORD_TERMINALS = {
    t.name for t in LEXER.terminals if t.pattern.type == "str" and "i" in t.pattern.flags
}
_SPACE = st.lists(st.sampled_from([" ", "\t", "\n", "\r\n", "\f"]), max_size=2).map("".join)


def test_keyword_list_matches_the_grammar():
    reserved = {t.pattern.value for t in LEXER.terminals if t.name in KEYWORD_TERMINALS}
    assert reserved == KEYWORDS


@st.composite
def respelled(draw, text: str) -> str:
    """`text` with every keyword re-cased at random and whitespace added between tokens."""
    out, end = [draw(_SPACE)], 0
    for token in LEXER.lex(text):
        out.append(text[end:token.start_pos] + draw(_SPACE))
        word = str(token)
        out.append(_random_case(draw, word) if token.type in KEYWORD_TERMINALS else word)
        end = token.end_pos
    out.append(draw(_SPACE))
    return "".join(out)


@FEWER
@given(st.data(), trees)
def test_whitespace_and_keyword_case_do_not_change_the_tree(data, tree):
    text = data.draw(respelled(to_text(tree)))
    assert parse_rule(text) == tree


# --- the canonical form itself, on hand-written rules ------------------------------------------

CANONICAL = [
    ("industry in (software,saas)", "industry IN (software, saas)"),
    ("a or b and c", "a OR b AND c"),
    ("(a or b) and c", "(a OR b) AND c"),
    ("a and (b and c)", "a AND (b AND c)"),
    ("NOT (a > 1)", "NOT a > 1"),
    ("NOT NOT a", "NOT NOT a"),
    ("x = 1 + (2 * 3)", "x = 1 + 2 * 3"),
    ("x = (1 + 2) * 3", "x = (1 + 2) * 3"),
    ("x = 1 - (2 - 3)", "x = 1 - (2 - 3)"),
    ("-(a + b) > 1", "-(a + b) > 1"),
    ("(x > 1) = true", "(x > 1) = true"),
    ("x = - 3", "x = -3"),
    ("x = TRUE", "x = true"),
    ("x = (tech)", "x = tech"),
    ("x <> 1", "x != 1"),
    ("x is null", "x IS MISSING"),
    ("x is not NULL", "x IS NOT MISSING"),
    ("x not starts with 'a'", "x NOT STARTS WITH 'a'"),
    ("`y` = `x`", "`y` = `x`"),
    ("Lower(x) = 'Tech'", "lower(x) = 'Tech'"),
    ("x WITHIN 30 DAYS", "x WITHIN 30 DAYS"),
    ("last_order_at<90d AGO or last_order_at is missing", "last_order_at < 90d ago OR last_order_at IS MISSING"),
    ("COUNT(orders WHERE amount>100) OVER 30d PER mo > 1", "count(orders where amount > 100) over 30d per month > 1"),
    (
        "count(orders) over 180d ago to 30d ago > 0 and count(orders) over 30d = 0",
        "count(orders) over 180d ago to 30d ago > 0 AND count(orders) over 30d = 0",
    ),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL, ids=[t for t, _ in CANONICAL])
def test_canonical_form(text, canonical):
    assert to_text(parse_rule(text)) == canonical
