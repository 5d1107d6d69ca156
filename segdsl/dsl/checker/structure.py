"""Checks of the project's structure: unique names and paths, no `in_segment` cycles.

Input: the checker's `State`.
Output: diagnostics (E007 duplicate path or name, E011 an output column name clash,
E210 a cycle between segments).
"""

from __future__ import annotations

from segdsl.dsl import diagnostics as d
from segdsl.dsl.checker.state import State
from segdsl.dsl.diagnostics import Diagnostic, FileSpan
from segdsl.dsl.render import line_col


def _duplicates(named, what: str, where: str, texts: dict[str, str]) -> list[Diagnostic]:
    """One error per repeated name, at the repeat, naming where the first one is.

    `what` names the thing (`segment path`), `where` adds its container (` in layer value`).
    """
    out: list[Diagnostic] = []
    first: dict[str, FileSpan] = {}
    for name, span in named:
        if name in first:
            out.append(d.error("E007", f"duplicate {what} '{name}'{where}", span, label="defined again here",
                               notes=(f"first defined at {_place(first[name], texts)}",),
                               hint=f"each {what}{where} must be unique; rename or remove one"))
        else:
            first[name] = span
    return out


def _place(span: FileSpan, texts: dict[str, str]) -> str:
    """`file:line:column`, as in the diagnostic headers (just the file when its text is unknown)."""
    text = texts.get(span.file)
    if text is None or not 0 <= span.start <= len(text):
        return span.file
    line, column = line_col(text, span.start)
    return f"{span.file}:{line}:{column}"


def check_names(state: State) -> list[Diagnostic]:
    spec = state.spec
    texts = spec.texts
    out = _duplicates(((s.path, s.name.span) for s in spec.all_segments()), "segment path", "", texts)
    out += _duplicates(((m.name.name, m.name.span) for m in spec.metrics), "metric", "", texts)
    for layer in spec.layers:
        out += _duplicates(((tier.name.name, tier.name.span) for tier in layer.tiers), "tier",
                           f" in layer {layer.name.name}", texts)
    # Layers and microsegments each become a column of members; they share one namespace.
    columns = [(x.name.name, x.name.span) for x in (*spec.layers, *spec.microsegments)]
    out += _duplicates(columns, "layer or microsegment name", "", texts)
    entity = next((s for s in spec.sources if state.entity and s.name.name == state.entity), None)
    key = entity.key if entity else None
    # Column names are compared without case: DuckDB and most warehouses fold it.
    taken = {"segments", key.lower() if key else None}
    for name, span in columns:
        if name.lower() in taken:
            out.append(d.error("E011", f"'{name}' is taken by a column of the members output", span,
                               hint="choose another name for this layer or microsegment"))
    if key and key.lower() == "segments":
        out.append(d.error("E011", f"the entity's key '{key}' has the name of the members output's "
                           "`segments` column", entity.key_span,
                           hint="rename the column in the data, or export it under another name"))
    return out


def check_cycles(state: State) -> list[Diagnostic]:
    """A segment may not depend on itself through `in_segment` (parents count as dependencies)."""
    out: list[Diagnostic] = []
    segments = {s.path: s for s in state.spec.all_segments()}
    reported: set[frozenset[str]] = set()
    visiting: list[str] = []
    done: set[str] = set()

    def visit(path: str) -> None:
        if path in done:
            return
        if path in visiting:
            cycle = visiting[visiting.index(path):] + [path]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                out.append(_cycle_error(cycle, segments, state))
            return
        visiting.append(path)
        for dep in state.segment_deps.get(path, []):
            visit(dep)
        visiting.pop()
        done.add(path)

    for path in segments:
        visit(path)
    for path in {p for p in state.segments if p in {x for c in reported for x in c}}:
        del state.segments[path]
    return out


def _cycle_error(cycle: list[str], segments: dict, state: State) -> Diagnostic:
    """E210 at the first `in_segment(...)` of the cycle: the reference to remove or rewrite.

    A child depends on its parent without writing it, so a cycle holds at least one written
    `in_segment`; the error points at the segment's name only if, unexpectedly, it has none.
    """
    edges = list(zip(cycle, cycle[1:]))
    written = [(a, b) for a, b in edges if (a, b) in state.segment_ref_spans]
    start = cycle[0]
    if not written:
        return d.error("E210", f"segment '{start}' depends on itself: " + " → ".join(cycle),
                       segments[start].name.span)
    user, used = written[0]
    span = state.segment_ref_spans[(user, used)]
    chain = " → ".join(cycle)
    if used.startswith(user + "/"):  # a parent using its own child, which includes the parent's rule
        child = segments[used]
        condition = f"; write the condition instead: `{child.rule.text.strip()}`" if child.rule else ""
        return d.error("E210", f"segment '{user}' uses its own child '{used}': {chain}", span,
                       label="a child includes its parent's rule",
                       hint=f"a parent cannot depend on its child{condition}")
    return d.error("E210", f"segment '{start}' depends on itself: {chain}", span,
                   label=f"leads back to '{start}'" if used != start else "uses itself",
                   hint="in_segment() must not lead back to the segment; remove one of the references")
