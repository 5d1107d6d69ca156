"""Lark's parse errors → sentences a marketer can read.

Input: an `UnexpectedToken` or `UnexpectedCharacters` from the rule parser, the rule text and
the last token the parser accepted.
Output: (message, span in the rule, hint, label) for a `RuleSyntaxError`.

Messages name tokens as a person would (`a value`, `)`, `AND`) instead of terminal names, say
what came before (`expected a value after `>` but found `AND``), and collapse long lists of
expectations. Common mistakes get their own hint (see `_MISTAKES`).
"""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from segdsl.dsl.ast import Span

_VALUE_TERMINALS = {"NUMBER", "STRING", "DATE", "DURATION", "RATE", "PERCENT", "TRUE", "FALSE"}

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
    "$END": "the end of the rule",
}

# The order in which expected items are listed: the likeliest intentions first.
_ORDER = ["RPAR", "COMMA", "COMPARE", "IN", "AND", "OR", "MISSING", "NOT", "WITH", "TO", "AGO", "DURATION"]


def _name(terminal: str) -> str:
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
    names = sorted(expected, key=lambda t: (_ORDER.index(t) if t in _ORDER else len(_ORDER), t))
    if len(names) > 4:
        return ", ".join(_name(n) for n in names[:3]) + " or another operator"
    if len(names) == 1:
        return _name(names[0])
    return ", ".join(_name(n) for n in names[:-1]) + " or " + _name(names[-1])


def _mistake(token: Token, previous: Token | None, expected: set[str]) -> tuple[str, str] | None:
    """Known mistakes: (message, hint) or None."""
    prev = str(previous) if previous is not None else ""
    if previous is not None and previous.type == "COMPARE" and str(token) == "=" and prev in {"=", "!", "<", ">"}:
        return ("`==` is not an operator", "compare with a single `=`: `industry = tech`")
    if previous is not None and previous.type == "IN" and token.type != "LPAR":
        return ("`IN` needs a list in parentheses", "write `IN (a, b, c)`")
    if previous is not None and expected == {"LPAR"} and token.type != "LPAR":
        word = str(previous)
        return (f"`{word}` is a function and needs `(`",
                f"to use `{word}` as a text value, quote it: '{word}'; as a field name, use backticks: `{word}`")
    if previous is not None and previous.type == "IS":
        return (f"expected `MISSING`, `NULL` or `NOT` after `IS` but found {_describe_token(token)}",
                "write `IS MISSING` or `IS NOT MISSING`; to compare, use `=`")
    if token.type not in _NAMES and token.type != "WORD" and describe_expected(expected) == "a value":
        word = str(token)
        return (f"expected a value after {_describe_token(previous) if previous else 'the start'} but found the keyword `{word}`",
                f"to use `{word}` as a text value, quote it: '{word}'; as a field name, use backticks: `{word}`")
    if token.type == "WORD" and previous is not None and previous.type == "WORD":
        return (f"expected an operator or `AND`/`OR` between `{previous}` and `{token}`",
                "a value with spaces must be quoted: `city = \"New York\"`")
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
    known = _mistake(token, previous, expected)
    if known:
        return known[0], span, known[1], "here"
    after = f" after {_describe_token(previous)}" if previous is not None else ""
    wanted = describe_expected(expected)
    if token.type == "$END":
        return f"the rule ends too early: expected {wanted}{after}", span, None, f"expected {wanted}"
    return f"expected {wanted}{after} but found {_describe_token(token)}", span, None, "unexpected here"


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
    return f"unexpected character `{char}`", span, None, "not understood"
