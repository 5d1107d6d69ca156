"""The effect of a rule change: who enters, leaves and stays in each segment, tier and microsegment.

Input: the checked base and current projects (`typed.Project`), the renames of the rule diff,
where each source's data is, and as_of.
Output: one `Cell` per segment, per tier of each layer and per microsegment key: how many
entities enter (in it now, not at the base), leave (the other way round) and stay, with the
three smallest ids of those who enter and of those who leave.

Both versions are evaluated in one pass over the data: the base project's items are renamed
under a root no rules name can take (`@base/…`) and merged into the current project, so the
planner shares every aggregate and condition the two versions have in common and each source
is scanned once. One more statement then groups the members by (current label, base label)
for every item at once; enter/leave/stay are sums over those groups.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

from segdsl.compiler.build import SEGMENTS_COLUMN
from segdsl.compiler.names import column, table
from segdsl.diff.rules import RuleDiff
from segdsl.dsl import typed as t
from segdsl.engine import local
from segdsl.engine.sources import Location

BASE = "@base/"
"""Prefix of the base version's names in the merged project: `@` starts no rules name."""
EXAMPLES = 3
_IN = "in"


@dataclass(frozen=True)
class Cell:
    kind: str
    """segment, tier or microsegment."""
    name: str
    """Segment path, layer name or microsegment name (current, or base name when removed)."""
    label: str | None
    """The tier, or the microsegment key; None for segments."""
    enter: int
    leave: int
    stay: int
    entered: tuple[object, ...] = ()
    """Up to three ids that enter, smallest first."""
    left: tuple[object, ...] = ()


class NotComparable(Exception):
    """The two versions segment different entities; the message says why."""


def merge(base: t.Project, head: t.Project) -> tuple[t.Project, dict[str, str]]:
    """One project holding both versions; the base's sources that differ are renamed too.

    Returns the merged project and base source name → its name in the merged project.
    """
    if (base.entity, base.key) != (head.entity, head.key):
        raise NotComparable(f"the entity changed ({base.entity} keyed by {base.key} → {head.entity} keyed by "
                            f"{head.key}), so members cannot be matched")
    if base.sources[base.entity] != head.sources[head.entity]:
        raise NotComparable(f"the entity source {head.entity} is read differently at the two revisions")
    sources = {name: name if head.sources.get(name) == source else BASE + name
               for name, source in base.sources.items()}
    names = _Names(sources)
    merged_sources = dict(head.sources)
    for name, source in base.sources.items():
        merged_sources[sources[name]] = dataclasses.replace(source, name=sources[name])
    project = dataclasses.replace(
        head,
        sources=merged_sources,
        fields={**base.fields, **head.fields},
        metrics=tuple(dataclasses.replace(m, name=BASE + m.name, expr=names.rename(m.expr)) for m in base.metrics)
        + head.metrics,
        segments=tuple(dataclasses.replace(s, path=BASE + s.path, parent=_prefixed(s.parent), rule=names.rename(s.rule),
                                           children=tuple(BASE + c for c in s.children)) for s in base.segments)
        + head.segments,
        layers=tuple(dataclasses.replace(
            layer, name=BASE + layer.name, within=_prefixed(layer.within),
            tiers=tuple(dataclasses.replace(tier, rule=names.rename(tier.rule)) for tier in layer.tiers))
            for layer in base.layers) + head.layers,
        microsegments=tuple(dataclasses.replace(ms, name=BASE + ms.name, layers=tuple(BASE + x for x in ms.layers),
                                                within=_prefixed(ms.within)) for ms in base.microsegments)
        + head.microsegments,
    )
    return project, sources


def _prefixed(name: str | None) -> str | None:
    return None if name is None else BASE + name


class _Names:
    """Renames the base's references inside typed rules: metrics, segments, changed sources."""

    def __init__(self, sources: dict[str, str]):
        self.sources = sources

    def rename(self, node):
        if isinstance(node, tuple):
            return tuple(self.rename(x) for x in node)
        if not dataclasses.is_dataclass(node) or isinstance(node, (t.Type, t.Offset)):
            return node
        changes = {f.name: self.rename(getattr(node, f.name)) for f in dataclasses.fields(node)
                   if f.name not in ("span", "type")}
        match node:
            case t.MetricRef():
                changes["name"] = BASE + node.name
            case t.SegmentRef():
                changes["path"] = BASE + node.path
            case t.Aggregate() | t.EventField():
                changes["source"] = self.sources[node.source]
        return dataclasses.replace(node, **changes)


@dataclass(frozen=True)
class _Item:
    """One comparison: a current and a base column expression giving each row's label."""

    kind: str
    name: str
    head: exp.Expression
    base: exp.Expression
    relabel: dict[str, str]
    """base label → current label (renamed tiers)."""
    layers: tuple[dict[str, str], ...] = ()
    """For microsegments: per position of the key, base tier → current tier."""
    labels: tuple[str, ...] = ()
    """Labels that get a cell even when nobody has them (a segment, every tier), in order."""


def cells(base: t.Project | None, head: t.Project, diff: RuleDiff, locations: dict[str, Location],
          base_locations: dict[str, Location], as_of: dt.datetime, **settings) -> tuple[list[Cell], list[str]]:
    """Evaluate both versions in one pass and count, for every item, who enters, leaves, stays.

    Also returns the evaluation's warnings (an event source matching no entity, …).
    """
    if base is None:
        merged, renamed = head, {}
    else:
        merged, renamed = merge(base, head)
    all_locations = dict(locations)
    all_locations.update({renamed[name]: loc for name, loc in base_locations.items() if renamed[name] != name})
    all_locations = {name: all_locations[name] for name in merged.sources}
    items = _items(base, head, diff)
    evaluation = local.evaluate(merged, all_locations, as_of, **settings)
    try:
        rows = evaluation.con.execute(_statement(items, head.key).sql(dialect="duckdb")).fetchall()
    finally:
        evaluation.close()
    return _count(items, rows), list(evaluation.warnings)


def _items(base: t.Project | None, head: t.Project, diff: RuleDiff) -> list[_Item]:
    null = exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))
    base_segments = {s.path for s in base.segments} if base else set()
    items: list[_Item] = []

    def member(path: str) -> exp.Expression:
        inside = exp.Anonymous(this="list_contains", expressions=[column(SEGMENTS_COLUMN), exp.Literal.string(path)])
        return exp.Case(ifs=[exp.If(this=inside, true=exp.Literal.string(_IN))])

    for segment in head.segments:
        was = diff.segments.get(segment.path)
        items.append(_Item("segment", segment.path, member(segment.path),
                           member(BASE + was) if was in base_segments else null.copy(), {}, labels=(_IN,)))
    for path in sorted(base_segments - set(diff.segments.values())):
        items.append(_Item("segment", path, null.copy(), member(BASE + path), {}, labels=(_IN,)))
    base_layers = {layer.name: layer for layer in base.layers} if base else {}
    for layer in head.layers:
        was = diff.layers.get(layer.name)
        tiers = diff.tiers.get(was or "", {})
        gone = tuple(t.name for t in base_layers[was].tiers if t.name not in tiers) if was in base_layers else ()
        items.append(_Item("tier", layer.name, column(layer.name),
                           column(BASE + was) if was in base_layers else null.copy(), tiers,
                           labels=tuple(t.name for t in layer.tiers) + gone))
    for name in [n for n in base_layers if n not in diff.layers.values()]:
        items.append(_Item("tier", name, null.copy(), column(BASE + name), {},
                           labels=tuple(t.name for t in base_layers[name].tiers)))
    base_micro = {ms.name: ms for ms in base.microsegments} if base else {}
    for ms in head.microsegments:
        was = diff.microsegments.get(ms.name)
        tiers = tuple(diff.tiers.get(x, {}) for x in base_micro[was].layers) if was in base_micro else ()
        items.append(_Item("microsegment", ms.name, column(ms.name),
                           column(BASE + was) if was in base_micro else null.copy(), {}, tiers))
    for name in sorted(set(base_micro) - set(diff.microsegments.values())):
        items.append(_Item("microsegment", name, null.copy(), column(BASE + name), {}))
    return items


def _statement(items: list[_Item], key: str) -> exp.Expression:
    """For every item: rows grouped by (current label, base label), with a count and examples."""
    branches = []
    for i, item in enumerate(items):
        either = exp.or_(exp.Not(this=exp.Is(this=item.head.copy(), expression=exp.Null())),
                         exp.Not(this=exp.Is(this=item.base.copy(), expression=exp.Null())))
        branch = (exp.select(exp.alias_(exp.Literal.number(i), "item"), exp.alias_(item.head.copy(), "head"),
                             exp.alias_(item.base.copy(), "base"), exp.alias_(exp.Count(this=exp.Star()), "n"),
                             exp.alias_(exp.Anonymous(this="min", expressions=[column(key),
                                                                                exp.Literal.number(EXAMPLES)]),
                                        "examples"))
                  .from_(table(local.MEMBERS_TABLE)).where(either)
                  .group_by(exp.Literal.number(2), exp.Literal.number(3)))
        branches.append(branch)
    if not branches:
        return exp.select(exp.Literal.number(0), exp.Null(), exp.Null(), exp.Literal.number(0),
                          exp.Null()).where(exp.false())
    statement = branches[0]
    for branch in branches[1:]:
        statement = exp.union(statement, branch, distinct=False)
    return statement


def _count(items: list[_Item], rows: list[tuple]) -> list[Cell]:
    """Per item and label: enter, leave, stay, from the (current, base) groups."""
    groups: dict[int, list[tuple]] = {}
    for i, head, base, n, examples in rows:
        groups.setdefault(i, []).append((head, _relabel(items[i], base), n, examples or []))
    out = []
    for i, item in enumerate(items):
        found = groups.get(i, [])
        seen = {x for head, base, _, _ in found for x in (head, base) if x is not None}
        labels = list(item.labels) + sorted(seen - set(item.labels))
        for label in labels:
            enter = [(n, ex) for head, base, n, ex in found if head == label and base != label]
            leave = [(n, ex) for head, base, n, ex in found if base == label and head != label]
            stay = sum(n for head, base, n, _ in found if head == label and base == label)
            out.append(Cell(item.kind, item.name, None if item.kind == "segment" else label,
                            sum(n for n, _ in enter), sum(n for n, _ in leave), stay,
                            _smallest(enter), _smallest(leave)))
    return out


def _relabel(item: _Item, label: str | None) -> str | None:
    if label is None:
        return None
    if item.layers:
        parts = label.split("/")
        return "/".join(tiers.get(part, part) for tiers, part in zip(item.layers, parts))
    return item.relabel.get(label, label)


def _smallest(groups: list[tuple[int, list]]) -> tuple[object, ...]:
    return tuple(sorted(x for _, examples in groups for x in examples)[:EXAMPLES])


__all__ = ["BASE", "Cell", "NotComparable", "cells", "merge"]
