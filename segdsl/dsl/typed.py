"""The checked project: resolved, typed nodes with normalised quantities.

Input: produced by the checker (`segdsl.dsl.checker.check`) from the parse AST and the sources'
schemas.
Output: consumed by the reference interpreter (`segdsl.reference`) and the SQL compiler.

Nothing here carries a unit string or a name that still needs resolving: rate literals are
converted to the unit of what they are compared with, durations are `Offset`s (calendar months
plus seconds), dates compared with timestamps are wrapped in `ToTimestamp`, and every boolean
value used as a condition is wrapped in `IsTrue`. Conditions are two-valued: a predicate on a
missing value is false (SPEC §3), so condition nodes never yield missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Literal as L

from segdsl.dsl.ast import NO_SPAN, Span

# --- types ---------------------------------------------------------------------------------

TypeKind = L["number", "string", "boolean", "date", "timestamp", "rate", "list", "duration"]


@dataclass(frozen=True)
class Type:
    kind: TypeKind
    per: str | None = None
    """For rates: the unit symbol, for messages (`mo`)."""
    per_days: float | None = None
    """For rates: the unit's length in days (1 mo = 30.4375)."""
    element: Type | None = None
    """For lists: the element type, when known."""

    def __str__(self) -> str:
        if self.kind == "rate" and self.per:
            return f"rate per {self.per}"
        if self.kind == "list" and self.element:
            return f"list of {self.element}"
        return self.kind


NUMBER = Type("number")
STRING = Type("string")
BOOLEAN = Type("boolean")
DATE = Type("date")
TIMESTAMP = Type("timestamp")
DURATION = Type("duration")

UNIT_DAYS: dict[str, float] = {"h": 1 / 24, "d": 1.0, "w": 7.0, "mo": 365.25 / 12, "y": 365.25}
"""Unit lengths for rates and `per` (SPEC §3): 1 y = 365.25 d, 1 mo = 1 y / 12, 1 w = 7 d."""


def rate(unit: str) -> Type:
    return Type("rate", per=unit, per_days=UNIT_DAYS[unit])


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, hash=False, repr=False)


# --- quantities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Offset:
    """A span of time back from as_of: whole calendar months plus seconds.

    `6mo` is Offset(months=6); `1y` is Offset(months=12); `30d` is Offset(seconds=2_592_000).
    Subtracting months clamps to the month's last day (2026-03-31 − 1mo = 2026-02-28).
    """

    months: int = 0
    seconds: float = 0.0


# --- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    """A literal value: int/float, str, bool, datetime.date or datetime.datetime."""

    value: object
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class RelTime:
    """as_of − offset; `as_date` for `today` (as_of's date, type date)."""

    offset: Offset
    as_date: bool = False
    span: Span = _span()

    @property
    def type(self) -> Type:
        return DATE if self.as_date else TIMESTAMP


@dataclass(frozen=True)
class Field:
    """A column of the entity source."""

    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class EventField:
    """A column of an event source, inside an aggregate's `where` or as its measured column."""

    source: str
    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class MetricRef:
    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class SegmentRef:
    """`in_segment(p)`: p's membership as computed in p's scope."""

    path: str
    span: Span = _span()

    @property
    def type(self) -> Type:
        return BOOLEAN


@dataclass(frozen=True)
class Arith:
    """Numeric arithmetic; `/` is true division and a zero divisor gives missing."""

    op: L["+", "-", "*", "/"]
    left: TExpr
    right: TExpr
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    operand: TExpr
    type: Type
    span: Span = _span()


FunctionName = L["lower", "upper", "abs", "coalesce", "length", "year", "month", "days_since"]


@dataclass(frozen=True)
class Func:
    function: FunctionName
    args: tuple[TExpr, ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class ToTimestamp:
    """A date promoted to its midnight, to compare with a timestamp."""

    operand: TExpr
    span: Span = _span()

    @property
    def type(self) -> Type:
        return TIMESTAMP


@dataclass(frozen=True)
class Rank:
    """`ntile(tiles, arg)` or `percent_rank(arg)` over the rows of the rule's scope.

    Rows whose arg is missing are not ranked and get missing. ntile orders by (arg, key).
    """

    kind: L["ntile", "percent_rank"]
    arg: TExpr
    tiles: int | None
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Window:
    """Which events count: start ≤ t (≤ or <) end, and never t > as_of.

    `over 90d` is Window(start=RelTime(90d), end=None): as_of − 90d ≤ t ≤ as_of.
    `over A to B` is Window(start=A, end=B, end_inclusive=False): A ≤ t < B (and t ≤ as_of).
    Bounds are RelTime or a timestamp Const.
    """

    start: RelTime | Const | None
    end: RelTime | Const | None = None
    end_inclusive: bool = True


@dataclass(frozen=True)
class Aggregate:
    """One aggregate over an event source, joined to the entity on the source's key.

    Entities with no matching events get 0 for count/count_distinct/sum and missing for
    min/max/avg. `per_days` turns a count into a rate: value / (window length in days / per_days).
    `time_column` is the source's time column (required when there is a window).
    """

    function: L["count", "count_distinct", "sum", "avg", "min", "max"]
    source: str
    column: EventField | None
    where: TExpr | None
    window: Window | None
    time_column: str | None
    per_days: float | None
    type: Type
    span: Span = _span()


# --- conditions (type boolean, never missing) ---------------------------------------------


@dataclass(frozen=True)
class Compare:
    """Both sides already have comparable types (numbers, strings, booleans, timestamps…)."""

    op: L["=", "!=", "<", "<=", ">", ">="]
    left: TExpr
    right: TExpr
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class InList:
    operand: TExpr
    values: tuple[TExpr, ...]
    negated: bool = False
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class Between:
    operand: TExpr
    low: TExpr
    high: TExpr
    negated: bool = False
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class IsMissing:
    operand: TExpr
    negated: bool = False
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class TextMatch:
    """contains / starts_with / ends_with on strings; `on_list`: CONTAINS as list membership."""

    kind: L["contains", "starts_with", "ends_with"]
    operand: TExpr
    pattern: TExpr
    negated: bool = False
    on_list: bool = False
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class Within:
    """start ≤ operand ≤ as_of, operand a timestamp (dates arrive wrapped in ToTimestamp)."""

    operand: TExpr
    start: RelTime
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class IsTrue:
    """A boolean value used as a condition: true only when the value is true (not missing)."""

    operand: TExpr
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class Not:
    operand: TExpr
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class And:
    left: TExpr
    right: TExpr
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


@dataclass(frozen=True)
class Or:
    left: TExpr
    right: TExpr
    span: Span = _span()
    type: Type = field(default=BOOLEAN, repr=False)


TExpr = (
    Const | RelTime | Field | EventField | MetricRef | SegmentRef | Arith | Neg | Func
    | ToTimestamp | Rank | Aggregate
    | Compare | InList | Between | IsMissing | TextMatch | Within | IsTrue | Not | And | Or
)

Condition = Compare | InList | Between | IsMissing | TextMatch | Within | IsTrue | Not | And | Or


# --- the checked project -------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    name: str
    path: str
    """As resolved against the project folder (or overridden with --data)."""
    key: str
    time: str | None
    columns: dict[str, Type]


@dataclass(frozen=True)
class Metric:
    name: str
    expr: TExpr
    type: Type
    text: str
    """The metric as written, for explain and reports."""


@dataclass(frozen=True)
class Segment:
    path: str
    name: str
    parent: str | None
    rule: Condition
    """The segment's own rule; membership is also the parent's membership."""
    text: str
    description: str | None = None
    owner: str | None = None
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tier:
    name: str
    rule: Condition | None
    """None for the `else: true` catch-all."""
    text: str | None = None


@dataclass(frozen=True)
class Layer:
    name: str
    within: str | None
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class Microsegment:
    name: str
    layers: tuple[str, ...]
    within: str | None


@dataclass(frozen=True)
class Project:
    """A checked project. Collections are in evaluation order: dependencies first."""

    entity: str
    key: str
    as_of: dt.datetime | None
    sources: dict[str, Source]
    fields: dict[str, Type]
    metrics: tuple[Metric, ...]
    segments: tuple[Segment, ...]
    layers: tuple[Layer, ...]
    microsegments: tuple[Microsegment, ...]
    root: str = "."
    """The project folder."""

    def segment(self, path: str) -> Segment:
        return next(s for s in self.segments if s.path == path)


# --- walking ----------------------------------------------------------------------------------


def walk(node: object) -> Iterator[object]:
    """Every typed node below `node` (itself included), children before their parent.

    Stops at nothing: an aggregate's `where` and a ranking's argument are walked too.
    """
    if isinstance(node, tuple):
        for item in node:
            yield from walk(item)
        return
    names = _child_fields(type(node))
    if names is None:
        return
    for name in names:
        yield from walk(getattr(node, name))
    yield node


@cache
def _child_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a typed node class that can hold nodes; None for a non-node."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("span", "type"))
