"""The evaluation plan: every column one pass computes, in the order it can compute them.

Input: a checked `typed.Project` and as_of.
Output: a `Plan`: per event source its distinct aggregates (to become one grouped scan with a
`FILTER` per aggregate), then the derived columns — rankings, metrics, shared conditions,
segments, layers, microsegments — each at a level one above everything it reads, so that each
level can be one projection over the one before.

Sharing (SPEC §6): an aggregate written twice (same canonical form, wherever it appears) is
one column; a ranking is one column per scope it ranks; a rule that several segments or tiers
share is one condition column; a parent's membership is a column its children read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from segdsl.compiler.names import Names
from segdsl.dsl import typed as t
from segdsl.dsl.typed import walk


@dataclass(frozen=True)
class AggregateColumn:
    """One aggregate of a scan; a rate's scan computes the count it divides."""

    name: str
    aggregate: t.Aggregate


@dataclass(frozen=True)
class JoinedColumn:
    """An aggregate as the rules read it, in `base`: 0 for no events, divided for `per`."""

    name: str
    aggregate: t.Aggregate
    scan: AggregateColumn
    relation: str


@dataclass(frozen=True)
class Aggregation:
    """One grouped scan of an event source, joined to the entity on `key`."""

    source: str
    key: str
    time: str | None
    name: str
    """The name of the scan's result (a common table expression)."""
    columns: tuple[AggregateColumn, ...]


@dataclass(frozen=True)
class RankColumn:
    name: str
    rank: t.Rank
    scope: str | None
    """The segment whose members it ranks; None ranks every row."""
    level: int


@dataclass(frozen=True)
class MetricColumn:
    name: str
    metric: t.Metric
    level: int


@dataclass(frozen=True)
class ConditionColumn:
    """A rule shared by several segments or tiers of one scope."""

    name: str
    rule: t.TExpr
    scope: str | None
    level: int


@dataclass(frozen=True)
class SegmentColumn:
    name: str
    segment: t.Segment
    level: int


@dataclass(frozen=True)
class LayerColumn:
    name: str
    layer: t.Layer
    level: int


@dataclass(frozen=True)
class MicrosegmentColumn:
    name: str
    microsegment: t.Microsegment
    level: int


Derived = RankColumn | MetricColumn | ConditionColumn | SegmentColumn | LayerColumn | MicrosegmentColumn


@dataclass(frozen=True)
class Plan:
    project: t.Project
    as_of: dt.datetime
    entity_columns: tuple[str, ...]
    """The entity's columns the rules read (the key first)."""
    aggregations: tuple[Aggregation, ...]
    joined: tuple[JoinedColumn, ...]
    """Every distinct aggregate of the rules, as `base` holds it."""
    derived: tuple[Derived, ...]
    """In dependency order; `level` groups them into projections."""
    aggregates: dict[t.Aggregate, str]
    ranks: dict[tuple[t.Rank, str | None], str]
    metrics: dict[str, str]
    conditions: dict[tuple[t.TExpr, str | None], str]
    segments: dict[str, str]
    layers: dict[str, str]
    microsegments: dict[str, str]
    relation_names: dict[str, str]
    """Names of the common table expressions: `base`, one per level, one per aggregation."""

    @property
    def levels(self) -> int:
        return max((column.level for column in self.derived), default=0)


def plan(project: t.Project, as_of: dt.datetime) -> Plan:
    """Decide every column of the one-pass evaluation of `project` at `as_of`."""
    return _Planner(project, as_of).run()


class _Planner:
    def __init__(self, project: t.Project, as_of: dt.datetime):
        self.project, self.as_of = project, as_of
        self.columns = Names()
        self.tables = Names(reserved=project.sources)
        self.level: dict[str, int] = {}  # column name -> level; entity and aggregate columns are 0
        self.derived: list[Derived] = []
        self.aggregates: dict[t.Aggregate, str] = {}
        self.joined: list[JoinedColumn] = []
        self.ranks: dict[tuple[t.Rank, str | None], str] = {}
        self.metrics: dict[str, str] = {}
        self.conditions: dict[tuple[t.TExpr, str | None], str] = {}
        self.segments: dict[str, str] = {}
        self.layers: dict[str, str] = {}
        self.microsegments: dict[str, str] = {}

    def run(self) -> Plan:
        project = self.project
        fields = [project.key] + sorted({node.name for node in self._all_nodes() if isinstance(node, t.Field)}
                                        - {project.key})
        for name in fields:
            self.columns.reserve(name)
            self.level[name] = 0
        aggregations = self._aggregations()
        shared = self._shared_rules()
        for metric in project.metrics:
            self._metric(metric)
        for segment in project.segments:
            self._segment(segment, shared)
        for layer in project.layers:
            self._layer(layer, shared)
        for ms in project.microsegments:
            self._microsegment(ms)
        relation_names = {"base": self.tables.new("base")}
        for level in range(1, max(self.level.values(), default=0) + 1):
            relation_names[f"level_{level}"] = self.tables.new(f"level_{level}")
        return Plan(project, self.as_of, tuple(fields), aggregations, tuple(self.joined), tuple(self.derived),
                    self.aggregates, self.ranks, self.metrics, self.conditions, self.segments,
                    self.layers, self.microsegments, relation_names)

    # --- level 0: the entity's fields and one aggregation per event source ----------------

    def _aggregations(self) -> tuple[Aggregation, ...]:
        found: dict[str, list[t.Aggregate]] = {}
        for node in self._all_nodes():
            if isinstance(node, t.Aggregate) and node not in found.setdefault(node.source, []):
                found[node.source].append(node)
        out = []
        for name, source in self.project.sources.items():
            if name not in found:
                continue
            relation = self.tables.new(f"{name}_aggregates")
            scans: dict[t.Aggregate, AggregateColumn] = {}
            for aggregate in found[name]:
                # `count(orders) over 90d` and the same `... per month` share one count.
                counted = dataclasses.replace(aggregate, per_days=None, type=t.NUMBER) \
                    if aggregate.per_days is not None else aggregate
                if counted not in scans:
                    scans[counted] = AggregateColumn(self.columns.new(f"{_short(counted)}_{name}"), counted)
                scan = scans[counted]
                column = scan.name if counted is aggregate else self.columns.new(f"{scan.name}_rate")
                self.aggregates[aggregate] = column
                self.level[column] = 0
                self.joined.append(JoinedColumn(column, aggregate, scan, relation))
            out.append(Aggregation(name, source.key, source.time, relation, tuple(scans.values())))
        return tuple(out)

    def _all_nodes(self) -> Iterator[object]:
        project = self.project
        roots: list[object] = [m.expr for m in project.metrics] + [s.rule for s in project.segments]
        roots += [tier.rule for layer in project.layers for tier in layer.tiers if tier.rule is not None]
        for root in roots:
            yield from walk(root)

    # --- derived columns -----------------------------------------------------------------

    def _shared_rules(self) -> set[tuple[t.TExpr, str | None]]:
        """Rules written more than once in one scope (or anywhere, when they rank nothing)."""
        keys = [rule_key(s.rule, s.parent) for s in self.project.segments]
        keys += [rule_key(tier.rule, layer.within) for layer in self.project.layers
                 for tier in layer.tiers if tier.rule is not None]
        return {key for key, n in Counter(keys).items() if n > 1}

    def _metric(self, metric: t.Metric) -> None:
        level = self._prepare(metric.expr, None)
        name = self.columns.new(f"metric_{metric.name}")
        self._add(MetricColumn(name, metric, level))
        self.metrics[metric.name] = name

    def _rule_column(self, rule: t.TExpr, scope: str | None, shared: set) -> int:
        """Prepare a rule's dependencies; share it as a column when it is written twice."""
        level = self._prepare(rule, scope)
        key = rule_key(rule, scope)
        if key not in shared:
            return level
        if key not in self.conditions:
            name = self.columns.new(f"condition_{len(self.conditions) + 1}")
            self._add(ConditionColumn(name, rule, scope, level))
            self.conditions[key] = name
        return self.level[self.conditions[key]] + 1

    def _segment(self, segment: t.Segment, shared: set) -> None:
        level = self._rule_column(segment.rule, segment.parent, shared)
        if segment.parent is not None:
            level = max(level, self.level[self.segments[segment.parent]] + 1)
        name = self.columns.new("segment_" + segment.path.replace("/", "__"))
        self._add(SegmentColumn(name, segment, level))
        self.segments[segment.path] = name

    def _layer(self, layer: t.Layer, shared: set) -> None:
        level = 1
        for tier in layer.tiers:
            if tier.rule is not None:
                level = max(level, self._rule_column(tier.rule, layer.within, shared))
        if layer.within is not None:
            level = max(level, self.level[self.segments[layer.within]] + 1)
        name = self.columns.new(f"layer_{layer.name}")
        self._add(LayerColumn(name, layer, level))
        self.layers[layer.name] = name

    def _microsegment(self, ms: t.Microsegment) -> None:
        reads = [self.layers[name] for name in ms.layers]
        if ms.within is not None:
            reads.append(self.segments[ms.within])
        name = self.columns.new(f"microsegment_{ms.name}")
        self._add(MicrosegmentColumn(name, ms, 1 + max(self.level[c] for c in reads)))
        self.microsegments[ms.name] = name

    def _prepare(self, expr: t.TExpr, scope: str | None) -> int:
        """Add the rankings `expr` needs in `scope`; the level at which `expr` can be computed."""
        level = 1
        for node in walk(expr):
            match node:
                case t.MetricRef(name=metric):
                    level = max(level, self.level[self.metrics[metric]] + 1)
                case t.SegmentRef(path=path):
                    level = max(level, self.level[self.segments[path]] + 1)
                case t.Rank():
                    level = max(level, self._rank(node, scope) + 1)
        return level

    def _rank(self, rank: t.Rank, scope: str | None) -> int:
        if (rank, scope) in self.ranks:
            return self.level[self.ranks[rank, scope]]
        level = self._prepare(rank.arg, scope)  # inner rankings, metrics and segments first
        if scope is not None:
            level = max(level, self.level[self.segments[scope]] + 1)
        name = self.columns.new(f"{rank.kind}_{len(self.ranks) + 1}")
        self._add(RankColumn(name, rank, scope, level))
        self.ranks[rank, scope] = name
        return level

    def _add(self, column: Derived) -> None:
        self.level[column.name] = column.level
        self.derived.append(column)


def rule_key(rule: t.TExpr, scope: str | None) -> tuple[t.TExpr, str | None]:
    """What makes two rules one shared condition: the same rule, and the same scope if it ranks."""
    ranks = any(isinstance(node, t.Rank) for node in walk(rule))
    return rule, scope if ranks else None


def _short(aggregate: t.Aggregate) -> str:
    """A readable stem for an aggregate's column: `count`, `sum_amount`."""
    return aggregate.function + ("" if aggregate.column is None else f"_{aggregate.column.name}")
