"""Rule text → parse AST.

Input: one rule or metric expression as a string (`industry = tech AND purchase_freq > 4/mo`).
Output: a `segdsl.dsl.ast.Expr` whose spans are offsets into that string, or a
`RuleSyntaxError` carrying a message a marketer can read, the span at fault and a hint.

This is the only parser of rule expressions; Lark's `Tree` never leaves this module.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedToken, VisitError

from segdsl.dsl import ast
from segdsl.dsl.ast import Span
from segdsl.dsl.syntax_errors import describe_syntax_error, invalid_date, invalid_timestamp


@dataclass(frozen=True)
class RuleSyntaxError(Exception):
    """A rule that does not parse. `span` is in the rule string."""

    message: str
    span: Span
    hint: str | None = None
    label: str = ""

    def __str__(self) -> str:
        return self.message


@functools.cache
def _lark() -> Lark:
    grammar = resources.files("segdsl.dsl").joinpath("rules.lark").read_text(encoding="utf-8")
    # The basic lexer reserves keywords everywhere: `x > and` is an error, not the string "and".
    # cache=True keeps the LALR tables in the temporary folder (keyed by the grammar's hash):
    # building them is most of a short `segdsl eval`'s start-up.
    return Lark(grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=True,
                cache=True)


def parse_rule(text: str) -> ast.Expr:
    """Parse one rule or metric expression; raise RuleSyntaxError when it does not parse."""
    if not text.strip():
        raise RuleSyntaxError("the rule is empty", Span(0, len(text)), hint="write a condition such as `industry = tech`")
    try:
        tree = _lark().parse(text)
    except (UnexpectedToken, UnexpectedCharacters):
        tree = None  # parsed again, token by token, to say what was expected where
    if tree is None:
        _raise_syntax_error(text)
    try:
        return _ToAst().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, RuleSyntaxError):
            raise exc.orig_exc from None
        raise


def _raise_syntax_error(text: str) -> None:
    interactive = _lark().parse_interactive(text)
    accepted: list[Token] = []  # iter_parse yields each token before feeding it
    try:
        for token in interactive.iter_parse():
            accepted.append(token)
        interactive.feed_eof(accepted[-1] if accepted else None)
    except (UnexpectedToken, UnexpectedCharacters) as exc:
        failing = getattr(exc, "token", None)
        if accepted and failing is not None and accepted[-1] is failing:
            accepted.pop()
        expected = _accepts_after(text, accepted) if isinstance(exc, UnexpectedToken) else set()
        previous = accepted[-1] if accepted else None
        message, span, hint, label = describe_syntax_error(exc, text, previous, expected)
        raise RuleSyntaxError(message, span, hint, label) from None
    raise AssertionError(f"the parser rejected {text!r} once and accepted it token by token")


def _accepts_after(text: str, tokens: list[Token]) -> set[str]:
    """The terminals that may follow `tokens`.

    The LALR state's lookahead set merges contexts, so it is not asked; and the state at the
    error is no good either: the failing token has already driven reductions that narrow it
    (in `(x > 1` the end of the rule reduces `x > 1` to a condition, after which only `)` or
    `OR` may follow, and `AND` would go missing). So the accepted tokens are replayed into a
    fresh parser and it is asked before the failing token.
    """
    probe = _lark().parse_interactive(text)
    for token in tokens:
        probe.feed_token(token)
    return probe.accepts()


# --- literal decoding -----------------------------------------------------------------------

_UNITS = {
    "h": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "week": "w", "weeks": "w",
    "mo": "mo", "month": "mo", "months": "mo",
    "y": "y", "year": "y", "years": "y",
}

_SUFFIX = {"k": Decimal(1000), "M": Decimal(1_000_000)}


def _number(text: str) -> int | float:
    """`1_000`, `2.5k`, `1M`, `-3.5` → int when the value is whole and written without a point."""
    body = text.replace("_", "")
    scale = Decimal(1)
    if body[-1:] in _SUFFIX:
        scale, body = _SUFFIX[body[-1]], body[:-1]
    value = Decimal(body) * scale
    if value == value.to_integral_value() and ("." not in body and "e" not in body.lower() or scale != 1):
        return int(value)
    return float(value)


def _split_quantity(text: str) -> tuple[int | float, str]:
    """`30d`, `2 weeks`, `4/mo` → (amount, canonical unit)."""
    body = text.replace("/", " ").strip()
    i = 0
    while i < len(body) and (body[i].isdigit() or body[i] in "._"):
        i += 1
    return _number(body[:i]), _UNITS[body[i:].strip().lower()]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


def _unquote(text: str) -> str:
    out, chars = [], iter(text[1:-1])
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "\\")
            out.append(_ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def _span(meta_or_token) -> Span:
    if isinstance(meta_or_token, Token):
        return Span(meta_or_token.start_pos, meta_or_token.end_pos)
    return Span(meta_or_token.start_pos, meta_or_token.end_pos)


def _is_keyword(token) -> bool:
    return isinstance(token, Token)


@v_args(meta=True)
class _ToAst(Transformer):
    """Lark tree → AST. The grammar shapes the tree, so each method is a constructor call."""

    # literals
    def number(self, meta, children):
        (tok,) = children
        return ast.Number(_number(tok), str(tok), _span(tok))

    def percent(self, meta, children):
        (tok,) = children
        return ast.Percent(float(Decimal(str(tok)[:-1].replace("_", "")) / 100), str(tok), _span(tok))

    def string(self, meta, children):
        (tok,) = children
        return ast.String(_unquote(str(tok)), str(tok), _span(tok))

    def bare_string(self, meta, children):
        (tok,) = children
        return ast.String(str(tok), str(tok), _span(tok))

    def true(self, meta, children):
        return ast.Boolean(True, _span(children[0]))

    def false(self, meta, children):
        return ast.Boolean(False, _span(children[0]))

    def date(self, meta, children):
        (tok,) = children
        try:
            return ast.Date(dt.date.fromisoformat(str(tok)), str(tok), _span(tok))
        except ValueError:
            message, hint = invalid_date(str(tok))
            raise RuleSyntaxError(message, _span(tok), hint, "not a real date") from None

    def timestamp(self, meta, children):
        (tok,) = children
        try:
            return ast.Timestamp(dt.datetime.fromisoformat(str(tok)), str(tok), _span(tok))
        except ValueError:
            message, hint = invalid_timestamp(str(tok))
            raise RuleSyntaxError(message, _span(tok), hint, "not a real time") from None

    def duration(self, meta, children):
        (tok,) = children
        amount, unit = _split_quantity(str(tok))
        return ast.Duration(amount, unit, str(tok), _span(tok))

    def rate(self, meta, children):
        (tok,) = children
        amount, unit = _split_quantity(str(tok))
        return ast.Rate(amount, unit, str(tok), _span(tok))

    def ago(self, meta, children):
        return ast.Ago(children[0], _span(meta))

    def now(self, meta, children):
        return ast.Now("now", _span(meta))

    def today(self, meta, children):
        return ast.Now("today", _span(meta))

    # references
    def name(self, meta, children):
        (tok,) = children
        return ast.Name(str(tok), False, _span(tok))

    def quoted_name(self, meta, children):
        (tok,) = children
        return ast.Name(str(tok)[1:-1].strip(), True, _span(tok))

    def in_segment(self, meta, children):
        return ast.InSegment(children[1], _span(meta))

    def segment_path(self, meta, children):
        return "".join(str(c) for c in children)

    # value expressions
    def arith(self, meta, children):
        left, (op,), right = children
        return ast.Arith(str(op), left, right, _span(meta))

    def add_op(self, meta, children):
        return children

    def mul_op(self, meta, children):
        return children

    def neg(self, meta, children):
        operand = children[1]
        # `-3.5` is one literal, so that printing a negative number parses back to itself.
        if isinstance(operand, ast.Number) and not operand.text.startswith("-"):
            return ast.Number(-operand.value, "-" + operand.text, _span(meta))
        return ast.Neg(operand, _span(meta))

    def call(self, meta, children):
        function, args = children
        return ast.Call(str(function).lower(), tuple(args or ()), _span(meta))

    def args(self, meta, children):
        return children

    def aggregate(self, meta, children):
        function, (source, column), _where_kw, where, window, _per_kw, per = children
        return ast.Aggregate(function, source, column, where, window, per, _span(meta))

    def agg_func(self, meta, children):
        return str(children[0]).lower()

    def source_only(self, meta, children):
        return (str(children[0]), None)

    def source_column(self, meta, children):
        return (str(children[0]), str(children[1]))

    def last_window(self, meta, children):
        return ast.LastWindow(children[1], _span(meta))

    def range_window(self, meta, children):
        return ast.RangeWindow(children[1], children[3], _span(meta))

    def unit(self, meta, children):
        (tok,) = children
        unit = _UNITS.get(str(tok).lower())
        if unit is None:
            raise RuleSyntaxError(
                f"`{tok}` is not a time unit",
                _span(tok),
                hint="write `per month`, `per week`, `per day`, `per year` or `per hour`",
                label="not a time unit",
            )
        return unit

    # conditions
    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare("!=" if op == "<>" else str(op), left, right, _span(meta))

    def in_list(self, meta, children):
        return ast.InList(children[0], tuple(children[2]), False, _span(meta))

    def not_in_list(self, meta, children):
        return ast.InList(children[0], tuple(children[3]), True, _span(meta))

    def value_list(self, meta, children):
        return [c for c in children if not _is_keyword(c)]

    def between(self, meta, children):
        return ast.Between(children[0], children[2], children[4], False, _span(meta))

    def not_between(self, meta, children):
        return ast.Between(children[0], children[3], children[5], True, _span(meta))

    def is_missing(self, meta, children):
        return ast.IsMissing(children[0], False, _span(meta))

    def is_not_missing(self, meta, children):
        return ast.IsMissing(children[0], True, _span(meta))

    def missing(self, meta, children):
        return children[0]

    def text_match(self, meta, children):
        operand, kind, pattern = children
        return ast.TextMatch(kind, operand, pattern, False, _span(meta))

    def not_text_match(self, meta, children):
        operand, _not, kind, pattern = children
        return ast.TextMatch(kind, operand, pattern, True, _span(meta))

    def contains(self, meta, children):
        return "contains"

    def starts_with(self, meta, children):
        return "starts_with"

    def ends_with(self, meta, children):
        return "ends_with"

    def within(self, meta, children):
        return ast.Within(children[0], children[2], _span(meta))

    def not_(self, meta, children):
        return ast.Not(children[1], _span(meta))

    def and_(self, meta, children):
        return ast.And(children[0], children[2], _span(meta))

    def or_(self, meta, children):
        return ast.Or(children[0], children[2], _span(meta))
