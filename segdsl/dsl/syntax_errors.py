"""Lark's parse errors → sentences a marketer can read.

Input: an `UnexpectedToken` or `UnexpectedCharacters` from the rule parser, the rule text, the
last token the parser accepted and the terminals that could have followed it.
Output: (message, span in the rule, hint, label) for a `RuleSyntaxError`; `invalid_date` and
`invalid_timestamp` give (message, hint) for a date-shaped token that is not a real date.

Messages name tokens as a person would (`a value`, `)`, `AND`) instead of terminal names, say
what came before (`expected a value after `>` but found `AND``), and collapse long lists of
expectations. Common mistakes get their own message or hint (see `_mistake`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from segdsl.dsl.ast import Span

_VALUE_TERMINALS = {"NUMBER", "STRING", "DATE", "DURATION", "RATE", "PERCENT", "TRUE", "FALSE"}
_ARITHMETIC = {"PLUS", "MINUS", "STAR", "SLASH"}
# After these a condition starts, so "a value" would undersell what is missing.
_CONDITION_STARTERS = {"AND", "OR", "NOT", "WHERE"}
_PREDICATE_STARTERS = {"COMPARE", "IN", "BETWEEN", "IS", "CONTAINS", "STARTS", "ENDS", "WITHIN"}

_NAMES = {
    "COMPARE": "a comparison (`=`, `!=`, `<`, `>`…)",
    "WORD": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "BACKTICKED": "a `backticked` field",
    "DATE": "a date",
    "TIMESTAMP": "a timestamp",
    "DURATION": "a duration such as `30d`",
    "RATE": "a rate such as `4/mo`",
    "PERCENT": "a percentage",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "DOT": "`.`",
    "SLASH": "`/`",
    "MINUS": "`-`",
    "PLUS": "`+`",
    "STAR": "`*`",
    "MISSING": "`MISSING`",
    "NULL": "`NULL`",
    "STARTS": "`STARTS WITH`",
    "ENDS": "`ENDS WITH`",
    # Aggregate clauses and time words are written in lower case in the SPEC and by `fmt`.
    "WHERE": "`where`",
    "OVER": "`over`",
    "TO": "`to`",
    "PER": "`per`",
    "AGO": "`ago`",
    "$END": "the end of the rule",
}

# The order in which expected items are listed: the likeliest intentions first, the end last.
_ORDER = ["RPAR", "COMMA", "COMPARE", "IN", "AND", "OR", "MISSING", "NOT", "WITH", "TO", "AGO", "DURATION",
          "ARITHMETIC", "$END"]


def _name(terminal: str) -> str:
    if terminal == "ARITHMETIC":
        return "an arithmetic operator"
    if terminal in _NAMES:
        return _NAMES[terminal]
    return f"`{terminal.replace('_', ' ')}`"


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the rule"
    return f"`{token}`"


def describe_expected(expected: set[str]) -> str:
    """A short phrase for the set of terminals the parser would have accepted."""
    if expected & _VALUE_TERMINALS and ("WORD" in expected or "BACKTICKED" in expected):
        return "a value"
    if expected == {"DURATION"}:
        return "a duration such as `30d`"
    if {"DURATION", "DATE", "NOW"} <= expected:
        return "a duration such as `90d` or a time such as `2026-01-01` or `30d ago`"
    if expected == {"WORD"}:
        return "a name"
    items = set(expected)
    if len(items) > 1:
        items.discard("LPAR")  # only ever there to make a name into a call: not what anyone meant
    if items & _ARITHMETIC and items - _ARITHMETIC:
        items = (items - _ARITHMETIC) | {"ARITHMETIC"}
    unlisted = _ORDER.index("ARITHMETIC") - 0.5  # other keywords: after the listed ones, before the end
    names = sorted(items, key=lambda t: (_ORDER.index(t) if t in _ORDER else unlisted, t))
    if len(names) > 4:
        return ", ".join(_name(n) for n in names[:3]) + " or another operator"
    if len(names) == 1:
        return _name(names[0])
    return ", ".join(_name(n) for n in names[:-1]) + " or " + _name(names[-1])


@dataclass(frozen=True)
class _Known:
    """A recognised mistake. `message` None keeps the generic sentence and adds the hint."""

    message: str | None
    hint: str
    span: Span | None = None


def _adjacent(previous: Token, token: Token) -> bool:
    return previous.end_pos == token.start_pos


def _open_parens(text: str, end: int) -> int:
    """How many `(` are open at `end`, not counting those inside strings and backticks."""
    depth, quote, chars = 0, "", iter(text[:end])
    for ch in chars:
        if quote:
            if ch == "\\" and quote != "`":
                next(chars, None)
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "()":
            depth += 1 if ch == "(" else -1
    return depth


# Words that end an unquoted multi-word value: what may follow a value in a rule.
_VALUE_ENDS = {"and", "or", "not", "in", "is", "between", "contains", "starts", "ends", "within"}


def _word_run(text: str, start: int) -> tuple[list[str], Span]:
    """The words of an unquoted value with spaces (`New York City`) from `start`, and its span."""
    words, end = [], start
    for match in re.finditer(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)", text[start:]):
        if match.start() != end - start or match.group(1).lower() in _VALUE_ENDS:
            break
        words.append(match.group(1))
        end = start + match.end()
    return words, Span(start, end)


def _digit_group(token: Token, text: str) -> str | None:
    """The three digits of a thousands group written with a space or a comma, or None."""
    if token.type == "NUMBER" and re.fullmatch(r"[0-9]{3}", str(token)):
        return str(token)
    if token.type == "COMMA" and (match := re.match(r"[0-9]{3}(?![0-9])", text[token.end_pos:])):
        return match.group()
    return None


def _mistake(token: Token, previous: Token | None, expected: set[str], wanted: str, text: str) -> _Known | None:
    """The first known mistake that matches, or None. Order matters where two could match:
    the specific (`==`, `count > 5`) before the general (a keyword where a value belongs)."""
    word = str(token)
    if token.type == "RPAR" and "RPAR" not in expected and _open_parens(text, token.start_pos) == 0:
        return _Known("`)` has no matching `(`", "remove it, or add the `(` that it closes")
    if wanted == "a condition" and token.type in _PREDICATE_STARTERS:  # `NOT IN (a)`, `= 5`
        return _Known(None, f"a field is missing before `{word}`: `industry {word} …`")
    if previous is None:
        return None
    prev = str(previous)
    if prev == "=" and word == "=":
        return _Known("`==` is not an operator", "compare with a single `=`: `industry = tech`",
                      Span(previous.start_pos, token.end_pos))
    if prev in {"<", ">"} and word == "=":  # `x < = 1`: adjacent, the lexer would have read `<=`
        return _Known(f"`{prev} =` is not an operator", f"write `{prev}=` without a space",
                      Span(previous.start_pos, token.end_pos))
    if token.type == previous.type and token.type in _CONDITION_STARTERS | {"IN", "IS", "BETWEEN"}:
        return _Known(f"`{word}` is written twice", f"remove one `{word}`")
    if previous.type == "COMPARE" and token.type == "COMPARE" and _adjacent(previous, token):  # `=<`, `>>`
        swapped = prev == "=" and word in {"<", ">"}
        hint = f"write `{word}=`" if swapped else "compare with one of `=`, `!=`, `<`, `<=`, `>`, `>=`"
        return _Known(f"`{prev}{word}` is not an operator", hint, Span(previous.start_pos, token.end_pos))
    if previous.type == "IN" and token.type != "LPAR":
        return _Known("`IN` needs a list in parentheses", "write `IN (a, b, c)`")
    if expected == {"LPAR"} and token.type != "LPAR":
        # `count > 5`, `x = min`: a reserved function name where a field or a word was meant.
        return _Known(f"`{prev}` is a function and needs `(`",
                      f"to use `{prev}` as a text value, quote it: '{prev}'; as a field name, use backticks: `{prev}`",
                      Span(previous.start_pos, previous.end_pos))
    if previous.type == "IS":
        return _Known(f"expected `MISSING`, `NULL` or `NOT` after `IS` but found {_describe_token(token)}",
                      "write `IS MISSING` or `IS NOT MISSING`; to compare, use `=`")
    if previous.type == "COMPARE" and token.type in {"NULL", "MISSING"}:
        test = "IS NOT MISSING" if prev in {"!=", "<>"} else "IS MISSING"
        return _Known(f"`{prev} {word}` does not test for a missing value", f"write `{test}`")
    if previous.type == "NOT" and token.type == "COMPARE":
        return _Known(None, "write `!=` for not equal, or put `NOT` before the whole condition: `NOT x = 1`")
    if wanted in {"a value", "a condition"} and token.type in {"AND", "OR"}:
        what = "condition" if wanted == "a condition" else "value"
        return _Known(f"expected {wanted} after `{prev}` but found `{word}`",
                      f"a {what} is missing between `{prev}` and `{word}`"
                      + ("" if what == "condition" else f"; to compare with the word itself, quote it: '{word}'"))
    if token.type != "WORD" and word[:1].isalpha() and wanted in {"a value", "a condition"}:
        return _Known(f"expected {wanted} after `{prev}` but found the keyword `{word}`",
                      f"to use `{word}` as a text value, quote it: '{word}'; as a field name, use backticks: `{word}`")
    if token.type == "WORD" and previous.type == "WORD":
        message = f"expected an operator or `AND`/`OR` between `{prev}` and `{word}`"
        if "COMPARE" in expected:  # `x LIKE 'a%'`: the left side of a condition
            return _Known(message, "a condition is a field, an operator and a value: `industry = tech`")
        words, span = _word_run(text, previous.start_pos)
        if "COMMA" in expected:  # `IN (a b)`
            return _Known(message, f"separate the values with commas: `{', '.join(words)}`; "
                                   f"a value with spaces must be quoted: \"{text[span.start:span.end]}\"", span)
        return _Known(message, f"a value with spaces must be quoted: \"{text[span.start:span.end]}\"", span)
    if token.type == "STRING" and previous.type == "STRING" and _adjacent(previous, token) and prev[0] == word[0]:
        # SQL's `'it''s'`: the lexer sees strings glued together; show the whole run as one string.
        quote, other = prev[0], "'" if prev[0] == '"' else '"'
        run = re.compile(rf"(?:{quote}(?:[^{quote}\\\n]|\\.)*{quote})+").match(text, previous.start_pos)
        inner = run.group()[1:-1].replace(quote * 2, quote).replace(other, "\\" + other)
        return _Known(f"`{quote * 2}` does not put a quote inside a string",
                      f"use the other kind of quotes: {other}{inner}{other}",
                      Span(run.start(), run.end()))
    if previous.type == "NUMBER" and token.type == "WORD":  # `3 dys ago`
        return _Known(None, f"if `{prev} {word}` is meant as a duration, its unit is unknown: "
                            f"write `{prev}d`, `{prev}w`, `{prev}mo` or `{prev}y`")
    if previous.type == "NUMBER" and (group := _digit_group(token, text)):  # `10 000`, `1,000`
        return _Known(None, f"to group digits write `_`: `{prev}_{group}`")
    if previous.type == "DURATION" and token.type == "AGO":  # `x WITHIN 30d ago`
        return _Known(None, f"`WITHIN {prev}` already means the last {prev}; "
                            f"to compare with a time, write `> {prev} ago`")
    if previous.type == "PER":
        return _Known(f"expected a time unit after `per` but found {_describe_token(token)}",
                      "write `per month`, `per week`, `per day`, `per year` or `per hour`")
    if token.type == "NUMBER" and "DURATION" in expected:
        return _Known(None, f"a duration needs a unit: `{word}d`, `{word}w`, `{word}mo` or `{word}y`")
    if expected == {"TO"}:
        return _Known(None, "a window in the past has a start and an end: `over 180d ago to 90d ago`; "
                            "the last 90 days are `over 90d`")
    if "AND" in expected and "OR" not in expected:  # only ever between BETWEEN's bounds
        return _Known(None, "`BETWEEN` takes two values: `age BETWEEN 18 AND 30`")
    if token.type == "COMMA" and "COMMA" not in expected:
        return _Known(None, "to compare with several values, write `IN (a, b)`")
    if token.type == "COMPARE" and wanted not in {"a value", "a condition"}:  # `1 < x < 5`
        return _Known(None, "a condition compares once: join two with `AND` (`x > 1 AND x < 5`) or use `BETWEEN`")
    if token.type == "RPAR" and previous.type == "LPAR" and wanted == "a value":  # `IN ()`
        return _Known(None, "write at least one value inside `( )`")
    if token.type == "$END" and "RPAR" in expected and wanted != "a value":
        return _Known("the rule ends before a `(` is closed", "add the missing `)`")
    return None


def describe_syntax_error(
    exc: UnexpectedToken | UnexpectedCharacters, text: str, previous: Token | None, expected: set[str]
) -> tuple[str, Span, str | None, str]:
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(exc, text)
    token: Token = exc.token
    expected = set(expected or exc.expected)
    if token.type == "$END":
        span = Span(len(text.rstrip()), len(text.rstrip()))
    else:
        span = Span(token.start_pos, token.end_pos)
    wanted = describe_expected(expected)
    if wanted == "a value" and (previous is None or previous.type in _CONDITION_STARTERS) and "NOT" in expected:
        wanted = "a condition"
    after = f" after {_describe_token(previous)}" if previous is not None else ""
    if token.type == "$END":
        generic = f"the rule ends too early: expected {wanted}{after}", f"expected {wanted}"
    else:
        generic = f"expected {wanted}{after} but found {_describe_token(token)}", "unexpected here"
    known = _mistake(token, previous, expected, wanted, text)
    if known is None:
        return generic[0], span, None, generic[1]
    if known.message is None:
        return generic[0], known.span or span, known.hint, generic[1]
    return known.message, known.span or span, known.hint, "here"


_CHAR_HINTS = {
    "&": ("`&` is not an operator", "write `AND`"),
    "|": ("`|` is not an operator", "write `OR`"),
    "!": ("`!` is not an operator", "write `NOT`, or `!=` for not equal"),
    '"': ("a quoted string is not closed", 'close it with `"` on the same line'),
    "'": ("a quoted string is not closed", "close it with `'` on the same line"),
    "`": ("a backticked name is not closed", "close it with a backtick"),
}


def _unexpected_character(exc: UnexpectedCharacters, text: str) -> tuple[str, Span, str | None, str]:
    pos = exc.pos_in_stream
    char = text[pos] if pos < len(text) else ""
    span = Span(pos, pos + 1)
    if char == "%" and (number := re.search(r"([0-9][0-9_.]*)[ \t]+$", text[:pos])):  # `5 %`
        return "`%` must follow its number directly", span, f"write `{number.group(1)}%`", "here"
    if char in _CHAR_HINTS:
        message, hint = _CHAR_HINTS[char]
        return message, span, hint, "here"
    if char.isdigit():
        # A digit the lexer could not take: a number glued to letters (`30dd`, `4xmo`).
        end = pos
        while end < len(text) and (text[end].isalnum() or text[end] in "._/"):
            end += 1
        return (
            f"`{text[pos:end]}` is not a number, duration or rate",
            Span(pos, end),
            "durations are written `30d`, `6mo`, `2w`, `12h`, `1y`; rates `4/mo`",
            "not understood",
        )
    return (f"unexpected character `{char}`", span,
            f"names are letters, digits and `_`: put text with `{char}` in quotes ('…{char}…'), "
            f"a field name with it in backticks (`…{char}…`)",
            "not understood")


# --- dates that have the right shape but do not exist ------------------------------------------

# Not `calendar.month_name`, which follows the process's locale.
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


def _days_in(year: int, month: int) -> int:
    return calendar.mdays[month] + (month == 2 and calendar.isleap(year))


def invalid_date(text: str) -> tuple[str, str]:
    """(message, hint) for `2024-02-30`, `2024-13-01`: the lexer's shape, not a calendar day."""
    year, month, day = (int(part) for part in text[:10].split("-"))
    what = "timestamp" if len(text) > 10 else "date"
    if year < 1:
        return f"`{text}` is not a valid {what}: there is no year 0", "years start at 0001"
    if not 1 <= month <= 12:
        return f"`{text}` is not a valid {what}: there is no month {month}", "months go from 01 to 12"
    if day < 1:
        return f"`{text}` is not a valid {what}: there is no day 0", "days start at 01"
    last, month_name = _days_in(year, month), f"{_MONTHS[month - 1]} {year}"
    return (f"`{text}` is not a valid {what}: {month_name} has {last} days",
            f"days of {month_name} go from 01 to {last}")


def invalid_timestamp(text: str) -> tuple[str, str]:
    """(message, hint) for a timestamp-shaped token with an impossible date or time of day."""
    year, month, day = (int(part) for part in text[:10].split("-"))
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= _days_in(year, month):
        return invalid_date(text)
    hour, minute = int(text[11:13]), int(text[14:16])
    second = int(text[17:19]) if len(text) >= 19 else 0
    if hour > 23:
        return f"`{text}` is not a valid timestamp: there is no hour {hour}", "hours go from 00 to 23"
    if minute > 59:
        return f"`{text}` is not a valid timestamp: there is no minute {minute}", "minutes go from 00 to 59"
    if second > 59:
        return f"`{text}` is not a valid timestamp: there is no second {second}", "seconds go from 00 to 59"
    return f"`{text}` is not a valid timestamp", "timestamps are written YYYY-MM-DDTHH:MM[:SS]"
