"""The rule diff: what changed between two versions of a rules project, item by item.

Input: the parsed base project (`ProjectSpec`, or None when the folder did not exist then) and
the parsed current one.
Output: a `RuleDiff`: one `Change` per segment, layer, tier, microsegment, metric, source and
setting (unchanged ones included, so that every item has a status), and the renames, which the
effect stage needs to pair base items with current ones.

Rules are compared on their canonical printed form (`printer.to_text` of the parsed rule), so
whitespace, line breaks, redundant parentheses and keyword case are not changes. A removed and
an added item are one renamed item when their canonical rules (and, for segments, their parent
and their children's names) are the same; a child of a renamed segment follows its parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from segdsl.dsl import ast
from segdsl.dsl.printer import to_text
from segdsl.dsl.project import LayerSpec, ProjectSpec, Rule, SegmentSpec

Status = Literal["added", "removed", "renamed", "changed", "unchanged"]
Kind = Literal["setting", "source", "metric", "segment", "layer", "tier", "microsegment"]
ELSE = "else: true"


@dataclass(frozen=True)
class Change:
    kind: Kind
    name: str
    """The current name (a segment's path); the base name for a removed item."""
    status: Status
    layer: str | None = None
    """For tiers: the layer's current name."""
    old_name: str | None = None
    """For renamed items: the name at the base revision."""
    old: str | None = None
    """The base definition in canonical form, when it differs from `new` (or the item is removed)."""
    new: str | None = None
    """The current definition in canonical form, when it differs from `old` (or the item is added)."""
    reasons: tuple[str, ...] = ()
    """Other differences, in words: a metric it uses changed, `within`, tier order."""

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


@dataclass(frozen=True)
class RuleDiff:
    changes: tuple[Change, ...]
    segments: dict[str, str] = field(default_factory=dict)
    """Current segment path → its base path, for every segment that existed at the base."""
    layers: dict[str, str] = field(default_factory=dict)
    """Current layer name → base layer name."""
    tiers: dict[str, dict[str, str]] = field(default_factory=dict)
    """Base layer name → {base tier name → current tier name} for tiers that still exist."""
    microsegments: dict[str, str] = field(default_factory=dict)
    """Current microsegment name → base name."""

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.changes)


def canonical(rule: Rule | None) -> str | None:
    if rule is None:
        return None
    return to_text(rule.expr) if rule.expr is not None else rule.text.strip()


def rule_diff(base: ProjectSpec | None, head: ProjectSpec) -> RuleDiff:
    """Every difference between the base and the current project, in file order."""
    base = base or ProjectSpec(root=head.root, settings=type(head.settings)())
    out = RuleDiff(())
    changes: list[Change] = []
    changes += _settings(base, head)
    changes += _sources(base, head)
    metric_changes = _metrics(base, head)
    changes += metric_changes
    touched = _touched_metrics(metric_changes, head)
    segment_changes = _segments(base, head, out.segments, touched)
    segments = _touched_segments(segment_changes, head)
    rules = {s.path: s.rule for s in head.all_segments()}
    changes += [_with_reasons(c, _segment_reasons(rules.get(c.name), segments, skip=c.name))
                if c.status == "unchanged" else c for c in segment_changes]
    changes += _layers(base, head, out, touched, segments)
    changes += _microsegments(base, head, out)
    return RuleDiff(tuple(changes), out.segments, out.layers, out.tiers, out.microsegments)


# --- pairing ---------------------------------------------------------------------------------


def _pair(base: dict[str, object], head: dict[str, object], same) -> dict[str, str]:
    """current name → base name: same names first, then removed/added pairs that `same` says
    are one item renamed (first come, first paired)."""
    pairs = {name: name for name in head if name in base}
    removed = [b for b in base if b not in head]
    for name in head:
        if name in pairs:
            continue
        match = next((b for b in removed if same(base[b], head[name])), None)
        if match is not None:
            pairs[name] = match
            removed.remove(match)
    return pairs


def _status(old_name: str | None, name: str, old: str | None, new: str | None, reasons: list[str]) -> Status:
    if old_name is None:
        return "added"
    if old_name != name:
        return "renamed"
    return "changed" if old != new or reasons else "unchanged"


def _item(kind: Kind, name: str, old_name: str | None, old: str | None, new: str | None,
          reasons: list[str] | tuple[str, ...] = (), layer: str | None = None) -> Change:
    status = _status(old_name, name, old, new, list(reasons))
    same = old == new and old_name is not None
    return Change(kind, name, status, layer, old_name if status == "renamed" else None,
                  None if same else old, None if same else new, tuple(reasons))


def _removed(kind: Kind, name: str, old: str | None, layer: str | None = None) -> Change:
    return Change(kind, name, "removed", layer, old=old)


# --- settings, sources, metrics --------------------------------------------------------------


def _settings(base: ProjectSpec, head: ProjectSpec) -> list[Change]:
    def entity(spec: ProjectSpec) -> str | None:
        return spec.settings.entity.name if spec.settings.entity else None

    out = []
    for name, old, new in (("entity", entity(base), entity(head)),
                           ("as_of", _text(base.settings.as_of), _text(head.settings.as_of))):
        if old != new and base.settings.settings_file is not None:
            out.append(Change("setting", name, "changed", old=old, new=new))
    return out


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _sources(base: ProjectSpec, head: ProjectSpec) -> list[Change]:
    def describe(s) -> str:
        parts = [f"path: {s.path}", f"key: {s.key}"]
        parts += [f"{k}: {v}" for k, v in (("time", s.time), ("table", s.table), ("format", s.format)) if v]
        return ", ".join(parts)

    old = {s.name.name: describe(s) for s in base.sources}
    new = {s.name.name: describe(s) for s in head.sources}
    out = [_item("source", n, n if n in old else None, old.get(n), text) for n, text in new.items()]
    out += [_removed("source", n, text) for n, text in old.items() if n not in new]
    return [c for c in out if c.changed]


def _metrics(base: ProjectSpec, head: ProjectSpec) -> list[Change]:
    old = {m.name.name: canonical(m.rule) for m in base.metrics}
    new = {m.name.name: canonical(m.rule) for m in head.metrics}
    pairs = _pair(old, new, lambda a, b: a == b)
    out = [_item("metric", n, pairs.get(n), old.get(pairs.get(n, "")), text) for n, text in new.items()]
    out += [_removed("metric", n, text) for n, text in old.items() if n not in pairs.values()]
    # A metric whose definition is the same but that reads a changed metric means something else.
    touched = _touched_metrics(out, head)
    rules = {m.name.name: m.rule for m in head.metrics}
    return [_with_reasons(c, _metric_reasons(rules.get(c.name), touched, skip=c.name))
            if c.status == "unchanged" else c for c in out]


def _with_reasons(change: Change, reasons: list[str]) -> Change:
    if not reasons:
        return change
    return Change(change.kind, change.name, "changed", change.layer, reasons=tuple(reasons))


def _touched_metrics(metric_changes: list[Change], head: ProjectSpec) -> dict[str, str]:
    """Current metric name → why its meaning changed, following metrics that read metrics."""
    touched = {c.name: "changed" for c in metric_changes if c.kind == "metric" and c.status == "changed"}
    rules = {m.name.name: m.rule for m in head.metrics}
    grew = True
    while grew:
        grew = False
        for name, rule in rules.items():
            if name not in touched and (used := _metric_names(rule, rules) & touched.keys()):
                touched[name] = f"reads {', '.join(sorted(used))}"
                grew = True
    return touched


def _metric_names(rule: Rule | None, metrics) -> set[str]:
    if rule is None or rule.expr is None:
        return set()
    return {n.name for n in ast.walk(rule.expr) if isinstance(n, ast.Name) and n.name in metrics}


def _metric_reasons(rule: Rule | None, touched: dict[str, str], skip: str | None = None) -> list[str]:
    used = sorted(_metric_names(rule, touched) - {skip})
    return [f"uses metric {name}, which changed" for name in used]


def _segment_refs(rule: Rule | None) -> set[str]:
    if rule is None or rule.expr is None:
        return set()
    return {n.path for n in ast.walk(rule.expr) if isinstance(n, ast.InSegment)}


def _touched_segments(segment_changes: list[Change], head: ProjectSpec) -> set[str]:
    """Current paths whose membership rule changed, directly or through `in_segment` or a parent."""
    touched = {c.name for c in segment_changes if c.status == "changed"}
    segments = head.all_segments()
    grew = True
    while grew:
        grew = False
        for segment in segments:
            if segment.path not in touched and (segment.parent in touched or _segment_refs(segment.rule) & touched):
                touched.add(segment.path)
                grew = True
    return touched


def _segment_reasons(rule: Rule | None, touched: set[str], skip: str | None = None) -> list[str]:
    """`in_segment(p)` of a p whose meaning changed; a changed parent is shown by the figures."""
    return [f"uses segment {path}, which changed" for path in sorted(_segment_refs(rule) & touched - {skip})]


# --- segments ----------------------------------------------------------------------------------


def _segments(base: ProjectSpec, head: ProjectSpec, pairs: dict[str, str], touched: dict[str, str]) -> list[Change]:
    old = {s.path: s for s in base.all_segments()}
    new = head.all_segments()
    new_paths = {s.path for s in new}
    removed = [p for p in old if p not in new_paths]
    out: list[Change] = []
    for segment in new:  # parents before children, so a child can follow its renamed parent
        match = segment.path if segment.path in old else None
        if match is None and segment.parent in pairs and pairs[segment.parent] != segment.parent:
            followed = f"{pairs[segment.parent]}/{segment.name.name}"
            match = followed if followed in removed else None
        if match is None:
            match = next((p for p in removed if _same_segment(old[p], segment, pairs)), None)
        if match is not None:
            pairs[segment.path] = match
            if match in removed:
                removed.remove(match)
        before = canonical(old[match].rule) if match else None
        out.append(_item("segment", segment.path, match, before, canonical(segment.rule),
                         _metric_reasons(segment.rule, touched) if match else ()))
    out += [_removed("segment", p, canonical(old[p].rule)) for p in removed]
    return out


def _same_segment(old: SegmentSpec, new: SegmentSpec, pairs: dict[str, str]) -> bool:
    parent = pairs.get(new.parent) if new.parent is not None else None
    if new.parent is not None and parent is None:
        return False
    return (canonical(old.rule) == canonical(new.rule) and old.parent == parent
            and {c.name.name for c in old.children} == {c.name.name for c in new.children})


# --- layers and tiers ----------------------------------------------------------------------------


def _tiers(layer: LayerSpec) -> dict[str, str]:
    return {t.name.name: canonical(t.rule) or ELSE for t in layer.tiers}


def _layers(base: ProjectSpec, head: ProjectSpec, diff: RuleDiff, touched: dict[str, str],
            segments: set[str]) -> list[Change]:
    old = {layer.name.name: layer for layer in base.layers}
    new = {layer.name.name: layer for layer in head.layers}
    seg = diff.segments

    def within(layer: LayerSpec) -> str | None:
        return layer.within.name if layer.within else None

    def same(a: LayerSpec, b: LayerSpec) -> bool:
        return list(_tiers(a).values()) == list(_tiers(b).values()) and within(a) == was_within(b)

    def was_within(layer: LayerSpec) -> str | None:
        """The current layer's `within`, as the base revision named that segment."""
        return seg.get(within(layer), within(layer)) if layer.within else None

    diff.layers.update(_pair(old, new, same))
    out: list[Change] = []
    for name, layer in new.items():
        base_name = diff.layers.get(name)
        if base_name is None:
            out.append(_item("layer", name, None, None, _describe_layer(layer)))
            out += [_item("tier", t, None, None, text, layer=name) for t, text in _tiers(layer).items()]
            continue
        before = old[base_name]
        old_tiers, new_tiers = _tiers(before), _tiers(layer)
        tier_pairs = _pair(old_tiers, new_tiers, lambda a, b: a == b)
        diff.tiers[base_name] = {b: n for n, b in tier_pairs.items()}
        reasons = []
        if within(before) != was_within(layer):
            reasons.append(f"within: {within(before) or '(all rows)'} → {within(layer) or '(all rows)'}")
        kept_old = [diff.tiers[base_name][t] for t in old_tiers if t in diff.tiers[base_name]]
        kept_new = [t for t in new_tiers if t in tier_pairs]
        if kept_old != kept_new:
            reasons.append(f"tier order: {', '.join(kept_old)} → {', '.join(kept_new)}")
        out.append(_item("layer", name, base_name, None, None, reasons))
        rules = {t.name.name: t.rule for t in layer.tiers}
        for tier, text in new_tiers.items():
            was = tier_pairs.get(tier)
            why = _metric_reasons(rules[tier], touched) + _segment_reasons(rules[tier], segments) if was else []
            out.append(_item("tier", tier, was, old_tiers.get(was or ""), text, why, layer=name))
        out += [_removed("tier", t, text, layer=name) for t, text in old_tiers.items()
                if t not in tier_pairs.values()]
    for name, layer in old.items():
        if name not in diff.layers.values():
            out.append(_removed("layer", name, _describe_layer(layer)))
            out += [_removed("tier", t, text, layer=name) for t, text in _tiers(layer).items()]
    return out


def _describe_layer(layer: LayerSpec) -> str:
    tiers = ", ".join(t.name.name for t in layer.tiers)
    return f"tiers: {tiers}" + (f"; within: {layer.within.name}" if layer.within else "")


# --- microsegments ---------------------------------------------------------------------------------


def _microsegments(base: ProjectSpec, head: ProjectSpec, diff: RuleDiff) -> list[Change]:
    def describe(ms, layers: dict[str, str], segments: dict[str, str]) -> str:
        names = [layers.get(x.name, x.name) for x in ms.layers]
        within = segments.get(ms.within.name, ms.within.name) if ms.within else None
        return f"layers: [{', '.join(names)}]" + (f"; within: {within}" if within else "")

    # Base descriptions in current names, so a renamed layer or segment is not a change here.
    to_new_layer = {b: n for n, b in diff.layers.items()}
    to_new_segment = {b: n for n, b in diff.segments.items()}
    old = {m.name.name: describe(m, to_new_layer, to_new_segment) for m in base.microsegments}
    new = {m.name.name: describe(m, {}, {}) for m in head.microsegments}
    diff.microsegments.update(_pair(old, new, lambda a, b: a == b))
    out = [_item("microsegment", n, diff.microsegments.get(n), old.get(diff.microsegments.get(n, "")), text)
           for n, text in new.items()]
    out += [_removed("microsegment", n, text) for n, text in old.items() if n not in diff.microsegments.values()]
    return out
