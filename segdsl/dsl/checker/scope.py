"""What a name can refer to while checking one rule.

Input: the project's sources (with their columns' types), declared fields, metrics and segments.
Output: lookups for the expression checker, each with the candidates for did-you-mean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from segdsl.dsl import ast
from segdsl.dsl import typed as t
from segdsl.dsl.project import Rule


@dataclass
class SourceInfo:
    name: str
    key: str | None
    time: str | None
    columns: dict[str, t.Type] | None
    """None when the schema could not be read: names in it are then not checked."""


@dataclass
class Scope:
    entity: str | None
    entity_columns: dict[str, t.Type] | None
    """The entity's fields (schema merged with declarations); None when unreadable."""
    sources: dict[str, SourceInfo]
    metric_type: Callable[[str], t.Type | None]
    """Resolves a metric's type on demand (metrics may use metrics defined later)."""
    metric_names: set[str]
    segment_paths: set[str]
    declared_rates: set[str] = field(default_factory=set)
    """Fields whose unit is declared (`type: rate`): no unit warning for them."""


@dataclass
class Context:
    """Where an expression stands: in a rule, a metric, or an aggregate's `where`."""

    scope: Scope
    rule: Rule
    kind: Literal["rule", "metric", "where"] = "rule"
    event_source: str | None = None
    """For `where`: the event source whose columns the names refer to."""
    segment_refs: list[str] = field(default_factory=list)
    segment_ref_spans: dict[str, ast.Span] = field(default_factory=dict)
    """Where each `in_segment(path)` is written (the first, when one path is used twice)."""
    metric_refs: list[str] = field(default_factory=list)

    def inside_where(self, source: str) -> Context:
        return Context(self.scope, self.rule, "where", source, self.segment_refs, self.segment_ref_spans,
                       self.metric_refs)
