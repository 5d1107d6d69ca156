"""Checks of the project's structure: unique names and paths, no `in_segment` cycles.

Input: the checker's `State`.
Output: diagnostics (E007 duplicate path or name, E011 an output column name clash,
E210 a cycle between segments).
"""

from __future__ import annotations

from segdsl.dsl import diagnostics as d
from segdsl.dsl.checker.state import State
from segdsl.dsl.diagnostics import Diagnostic, FileSpan


def _duplicates(named, what: str) -> list[Diagnostic]:
    """One error per repeated name, at the repeat, naming where the first one is."""
    out: list[Diagnostic] = []
    first: dict[str, FileSpan] = {}
    for name, span in named:
        if name in first:
            out.append(d.error("E007", f"duplicate {what} '{name}'", span, label="defined again here",
                               notes=(f"first defined in {first[name].file}",),
                               hint=f"each {what} needs a unique name"))
        else:
            first[name] = span
    return out


def check_names(state: State) -> list[Diagnostic]:
    spec = state.spec
    out = _duplicates(((s.path, s.name.span) for s in spec.all_segments()), "segment path")
    out += _duplicates(((m.name.name, m.name.span) for m in spec.metrics), "metric")
    for layer in spec.layers:
        out += _duplicates(((tier.name.name, tier.name.span) for tier in layer.tiers), f"tier in layer {layer.name.name}")
    # Layers and microsegments each become a column of members; they share one namespace.
    columns = [(x.name.name, x.name.span) for x in (*spec.layers, *spec.microsegments)]
    out += _duplicates(columns, "layer or microsegment name")
    key = next((s.key for s in spec.sources if state.entity and s.name.name == state.entity), None)
    for name, span in columns:
        if name in ("segments", key):
            out.append(d.error("E011", f"'{name}' is taken by a column of the members output", span,
                               hint="choose another name for this layer or microsegment"))
    return out


def check_cycles(state: State) -> list[Diagnostic]:
    """A segment may not depend on itself through `in_segment` (parents count as dependencies)."""
    out: list[Diagnostic] = []
    spans = {s.path: s.name.span for s in state.spec.all_segments()}
    reported: set[frozenset[str]] = set()
    visiting: list[str] = []
    done: set[str] = set()

    def visit(path: str) -> None:
        if path in done:
            return
        if path in visiting:
            cycle = visiting[visiting.index(path):] + [path]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                out.append(d.error("E210", f"segment '{path}' depends on itself: " + " → ".join(cycle),
                                   spans.get(path), hint="in_segment() must not lead back to the segment "
                                   "(a parent cannot use its own child)"))
            return
        visiting.append(path)
        for dep in state.segment_deps.get(path, []):
            visit(dep)
        visiting.pop()
        done.add(path)

    for path in spans:
        visit(path)
    for path in {p for p in state.segments if p in {x for c in reported for x in c}}:
        del state.segments[path]
    return out
