"""What `segdsl explain` says about one entity: frozen data, filled from one SQL query.

Input: built by `segdsl.explain.query.explain` from the row the query returned.
Output: read by the renderers (`segdsl.explain.render`) and by other commands that show why a
row is or is not in a segment (the failure output of `segdsl test`).

Every verdict here was computed by the database; nothing is recomputed in Python. Values are
kept twice: `value` as plain JSON data (timestamps as ISO text), `shown` as people read it
(`5.2/mo`, `"saas"`, `missing`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Operand:
    """One value an atom read: a field, a metric, an aggregate, a ranking, a resolved time."""

    text: str
    """As written in the rule (`purchase_freq`, `90d ago`, `upper(country)`)."""
    value: object
    """JSON data: None, bool, int, float, str (timestamps and dates as ISO text), list."""
    shown: str
    """For people: `5.2/mo`, `2026-08-03T00:00:00`, `"saas"`, `missing`."""
    note: str | None = None
    """What it is: a metric's definition, an aggregate's window, a ranking's scope, a rate in
    the unit of the literal it is compared with."""


@dataclass(frozen=True)
class Atom:
    """A leaf of a rule's boolean structure: a comparison, IN, BETWEEN, IS MISSING, WITHIN,
    CONTAINS, in_segment(...) or a boolean field."""

    text: str
    verdict: bool
    operands: tuple[Operand, ...]


@dataclass(frozen=True)
class Combination:
    """AND, OR (chains flattened: `a AND b AND c` has three parts) or NOT (one part)."""

    op: Literal["AND", "OR", "NOT"]
    text: str
    verdict: bool
    parts: tuple[Check, ...]


Check = Atom | Combination


@dataclass(frozen=True)
class SegmentExplanation:
    path: str
    rule: str
    """The rule as written."""
    check: Check
    """The segment's own rule; `check.verdict` is its verdict, the parent's left out."""
    parent: str | None
    parent_member: bool | None
    member: bool
    """The final verdict: the parent's membership and the rule's."""


@dataclass(frozen=True)
class TierExplanation:
    name: str
    rule: str | None
    """As written; None for the `else: true` catch-all."""
    check: Check | None


@dataclass(frozen=True)
class LayerExplanation:
    name: str
    within: str | None
    within_member: bool | None
    tiers: tuple[TierExplanation, ...]
    """Every tier in order; the renderers show them up to the one that won."""
    tier: str | None
    """The winning tier (None: outside `within`, or no tier matched and there is no else)."""


@dataclass(frozen=True)
class MicrosegmentExplanation:
    name: str
    layers: tuple[tuple[str, str | None], ...]
    """Each layer of the key with the entity's tier in it."""
    within: str | None
    within_member: bool | None
    key: str | None


@dataclass(frozen=True)
class Explanation:
    entity: str
    key: str
    id: object
    """The key value the entity was looked up by, as the database returned it."""
    as_of: dt.datetime
    segments: tuple[SegmentExplanation, ...]
    layers: tuple[LayerExplanation, ...]
    microsegments: tuple[MicrosegmentExplanation, ...]

    def segment(self, path: str) -> SegmentExplanation:
        return next(s for s in self.segments if s.path == path)

    def layer(self, name: str) -> LayerExplanation:
        return next(layer for layer in self.layers if layer.name == name)

    def microsegment(self, name: str) -> MicrosegmentExplanation:
        return next(m for m in self.microsegments if m.name == name)
