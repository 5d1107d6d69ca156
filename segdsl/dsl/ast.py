"""The parse AST of a rule expression.

Input: produced by `segdsl.dsl.parser.parse_rule` from a rule string.
Output: consumed by the canonical printer (`printer.py`) and the checker (`checker/`).

Nodes are frozen dataclasses and form a closed union (`Expr`), so a `match` can cover every
case. Literals keep the text as written (`30d`, `4/mo`, `'b2b'`) next to their parsed value:
the printer prints the text back, and the checker normalises units. Every node has a `span`:
character offsets into the rule string. Spans take no part in equality, so two rules that
differ only in spacing or keyword case parse to equal trees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal as L


@dataclass(frozen=True)
class Span:
    """Half-open range of character offsets [start, end) in the rule string."""

    start: int
    end: int


NO_SPAN = Span(0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, hash=False, repr=False)


# --- units ---------------------------------------------------------------------------------

TimeUnit = L["h", "d", "w", "mo", "y"]
"""Canonical unit symbols. Words (`days`, `month`) are normalised to these by the parser."""


# --- literals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """`42`, `1_000`, `2.5k`, `1M`, `-3.5` (a negated literal is folded into the literal)."""

    value: float | int
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Percent:
    """`20%`; value is the fraction (0.2)."""

    value: float
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class String:
    """`"New York"`, `'b2b'`, or a bare word on the value side of a predicate (`tech`)."""

    value: str
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Boolean:
    """`true` / `false`, in any case; printed in lower case."""

    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class Date:
    value: dt.date
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Timestamp:
    value: dt.datetime
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Duration:
    """`30d`, `6mo`, `2 weeks`: an amount of a unit, in the unit as written."""

    amount: float | int
    unit: TimeUnit
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Ago:
    """`30d ago`: as_of minus the duration (calendar months and years)."""

    duration: Duration
    span: Span = _span()


@dataclass(frozen=True)
class Now:
    """`now` (as_of itself) or `today` (as_of's date)."""

    kind: L["now", "today"]
    span: Span = _span()


@dataclass(frozen=True)
class Rate:
    """`4/mo`: events per unit."""

    amount: float | int
    unit: TimeUnit
    text: str
    span: Span = _span()


# --- references ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """A field of the entity source or a metric; `quoted` when written in backticks."""

    name: str
    quoted: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class InSegment:
    """`in_segment(tech/power_buyers)`: membership of another segment."""

    path: str
    span: Span = _span()


# --- value expressions ---------------------------------------------------------------------

ArithOp = L["+", "-", "*", "/"]


@dataclass(frozen=True)
class Arith:
    op: ArithOp
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    """Unary minus on anything but a number literal."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """A function or ranking call: `lower(x)`, `days_since(x)`, `ntile(5, spend)`."""

    function: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class LastWindow:
    """`over 90d`: as_of − 90d ≤ t ≤ as_of."""

    length: Duration
    span: Span = _span()


TimePoint = "Ago | Now | Date | Timestamp"


@dataclass(frozen=True)
class RangeWindow:
    """`over 180d ago to 90d ago`, `over 2026-01-01 to 2026-03-31`: start ≤ t < end."""

    start: Ago | Now | Date | Timestamp
    end: Ago | Now | Date | Timestamp
    span: Span = _span()


Window = LastWindow | RangeWindow

AggregateFunction = L["count", "count_distinct", "sum", "avg", "min", "max"]


@dataclass(frozen=True)
class Aggregate:
    """`count(orders where amount > 100) over 30d per month`, `sum(orders.amount)`.

    `column` is None only for `count(S)`. `where` is evaluated on the event source's rows.
    """

    function: AggregateFunction
    source: str
    column: str | None = None
    where: Expr | None = None
    window: Window | None = None
    per: TimeUnit | None = None
    span: Span = _span()


# --- conditions ----------------------------------------------------------------------------

CompareOp = L["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class InList:
    operand: Expr
    values: tuple[Expr, ...]
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Between:
    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class IsMissing:
    operand: Expr
    negated: bool = False
    span: Span = _span()


TextMatchKind = L["contains", "starts_with", "ends_with"]


@dataclass(frozen=True)
class TextMatch:
    """`CONTAINS`, `STARTS WITH`, `ENDS WITH`; `CONTAINS` on a list tests membership."""

    kind: TextMatchKind
    operand: Expr
    pattern: Expr
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Within:
    """`signup_date WITHIN 30d`: as_of − 30d ≤ t ≤ as_of."""

    operand: Expr
    length: Duration
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class And:
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Or:
    left: Expr
    right: Expr
    span: Span = _span()


Literal = Number | Percent | String | Boolean | Date | Timestamp | Duration | Ago | Now | Rate

Expr = (
    Number | Percent | String | Boolean | Date | Timestamp | Duration | Ago | Now | Rate
    | Name | InSegment | Arith | Neg | Call | Aggregate
    | Compare | InList | Between | IsMissing | TextMatch | Within | Not | And | Or
)


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node, in source order (windows are not expressions)."""
    match node:
        case Arith(left=a, right=b) | Compare(left=a, right=b) | And(left=a, right=b) | Or(left=a, right=b):
            return (a, b)
        case Neg(operand=a) | Not(operand=a) | IsMissing(operand=a) | Within(operand=a):
            return (a,)
        case Call(args=args):
            return args
        case InList(operand=a, values=vs):
            return (a, *vs)
        case Between(operand=a, low=lo, high=hi):
            return (a, lo, hi)
        case TextMatch(operand=a, pattern=p):
            return (a, p)
        case Aggregate(where=w):
            return (w,) if w is not None else ()
        case Ago(duration=d):
            return (d,)
        case _:
            return ()


def walk(node: Expr):
    """Every node of the tree, parents before children (aggregate filters included)."""
    yield node
    for child in children(node):
        yield from walk(child)
