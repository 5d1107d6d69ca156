"""Rule tests (`tests:` in rules files) checked against the project (E6xx).

Input: the checker's state after the segments, layers and microsegments were checked.
Output: diagnostics: unknown sources, columns, segments, layers, tiers and microsegments in a
test; values of the wrong type for their column; a given row without a column that the rules
under test read (a missing value would make the test pass or fail for the wrong reason: write
`column: null` to test a missing value).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.checker.state import State
from segdsl.dsl.diagnostics import Diagnostic, FileSpan
from segdsl.dsl.project import CaseSpec, Given, GivenRow
from segdsl.dsl.suggest import suggestion_text


def check_cases(state: State) -> list[Diagnostic]:
    # Which columns a test must give is known only from checked rules.
    rules_ok = not d.has_errors(state.diags)
    out: list[Diagnostic] = []
    seen: dict[str, FileSpan] = {}
    for case in state.spec.tests:
        if case.name.name in seen:
            out.append(d.error("E606", f"two tests are named {case.name.name!r}", case.name.span,
                               hint="give each test of a project its own name: reports name tests by it"))
        seen.setdefault(case.name.name, case.name.span)
        out += _case(state, case, rules_ok)
    return out


def _case(state: State, case: CaseSpec, rules_ok: bool) -> list[Diagnostic]:
    out = _expectations(state, case)
    sources = {s.name.name: s for s in state.spec.sources}
    entity = state.entity
    for given in case.given:
        name = given.source.name
        if name not in sources:
            out.append(d.error("E601", f"unknown source `{name}` in test {case.name.name!r}"
                               f"{suggestion_text(name, sources)}", given.source.span))
            continue
        if name == entity and len(given.rows) != 1:
            out.append(d.error("E601", f"a test gives the entity `{name}` exactly one row, not {len(given.rows)}",
                               given.source.span, hint="write the row as a mapping: `customers: {industry: saas}`"))
        columns = _columns(state, name)
        if columns is None:  # the source could not be read: reported at its `path:`
            continue
        for row in given.rows:
            out += _row(row, name, columns)
    if not out and rules_ok:
        out += _needed(state, case)
    return out


def _columns(state: State, source: str) -> dict[str, t.Type] | None:
    columns = state.schemas.get(source)
    if columns is None:
        return None
    if source == state.entity and state.fields:
        return {**columns, **state.fields}  # declared types (rates) over the file's
    return columns


def _row(row: GivenRow, source: str, columns: dict[str, t.Type]) -> Iterator[Diagnostic]:
    for column, value in row.values.items():
        span = row.spans[column]
        if column not in columns:
            yield d.error("E602", f"`{source}` has no column `{column}`{suggestion_text(column, columns)}", span,
                          label="not a column of this source")
        elif value is not None and not _fits(value, columns[column]):
            wanted = columns[column]
            yield d.error("E603", f"`{column}` is {_a(wanted)}, not {_described(value)}", span,
                          hint=_EXAMPLES.get(wanted.kind))


_EXAMPLES = {
    "number": "write a number such as 42 or 3.5",
    "rate": "write the number per the field's unit, such as 4.5",
    "string": "quote it to make it text: \"123\"",
    "boolean": "write true or false",
    "date": "write a date such as 2026-10-01",
    "timestamp": "write a date or a time such as 2026-10-01 or 2026-10-01T09:30:00",
    "list": "write a list such as [gaming, travel]",
}


def _fits(value: object, type_: t.Type) -> bool:
    match type_.kind:
        case "number" | "rate":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        case "string":
            return isinstance(value, str)
        case "boolean":
            return isinstance(value, bool)
        case "date":
            return isinstance(value, dt.date) and not isinstance(value, dt.datetime) or _iso(value, date=True)
        case "timestamp":
            return isinstance(value, dt.date) or _iso(value, date=False)
        case "list":
            return isinstance(value, list) and (type_.element is None or all(
                v is None or _fits(v, type_.element) for v in value))
    return True


def _iso(value: object, date: bool) -> bool:
    if not isinstance(value, str):
        return False
    try:
        (dt.date if date else dt.datetime).fromisoformat(value)
    except ValueError:
        return False
    return True


def _a(type_: t.Type) -> str:
    words = {"number": "a number", "rate": "a rate", "string": "text", "boolean": "true or false",
             "date": "a date", "timestamp": "a timestamp", "list": "a list"}
    return words.get(type_.kind, str(type_))


def _described(value: object) -> str:
    match value:
        case bool():
            return f"the boolean {str(value).lower()}"
        case int() | float():
            return f"the number {value}"
        case list():
            return "a list"
        case dt.date():
            return f"the date {value.isoformat()}"
    return f"the text {value!r}"


# --- expectations --------------------------------------------------------------------------


def _expectations(state: State, case: CaseSpec) -> list[Diagnostic]:
    """Names in `expect` against the names the files define (checked or not, so that a rule
    error elsewhere does not make a test's segment look unknown)."""
    spec = state.spec
    segments = [s.path for s in spec.all_segments()]
    layers = {layer.name.name: [tier.name.name for tier in layer.tiers] for layer in spec.layers}
    micros = {ms.name.name: [x.name for x in ms.layers] for ms in spec.microsegments}
    out: list[Diagnostic] = []
    for expect in case.expect:
        name, span = expect.target.name, expect.target.span
        if expect.kind in ("in", "not_in") and name not in segments:
            out.append(d.error("E604", f"unknown segment `{name}`{suggestion_text(name, segments)}", span))
        elif expect.kind == "layer":
            if name not in layers:
                out.append(d.error("E604", f"unknown layer `{name}`{suggestion_text(name, layers)}", span))
            elif expect.value is not None and expect.value not in layers[name]:
                out.append(d.error("E604", f"layer `{name}` has no tier `{expect.value}`"
                                   f"{suggestion_text(expect.value, layers[name])}", span,
                                   hint="its tiers: " + ", ".join(layers[name]) + " (null: no tier)"))
        elif expect.kind == "microsegment":
            if name not in micros:
                out.append(d.error("E604", f"unknown microsegment `{name}`{suggestion_text(name, micros)}", span))
            elif expect.value is not None and not _is_key(expect.value, micros[name], layers):
                parts = " / ".join(f"a tier of {layer}" for layer in micros[name])
                out.append(d.error("E604", f"`{expect.value}` is not a key of microsegment `{name}`", span,
                                   hint=f"a key is {parts}, joined by `/` (null: no key)"))
    return out


def _is_key(value: str, layer_names: list[str], layers: dict[str, list[str]]) -> bool:
    parts = value.split("/")
    return len(parts) == len(layer_names) and all(
        part in layers.get(layer, ()) for part, layer in zip(parts, layer_names))


# --- the columns a test's rules read -------------------------------------------------------


def _needed(state: State, case: CaseSpec) -> list[Diagnostic]:
    """A given row must name every column that the rules under test read."""
    entity_reads, event_reads = reads(state, _rules_under_test(state, case))
    out: list[Diagnostic] = []
    if entity_reads and not any(g.source.name == state.entity for g in case.given):
        columns = ", ".join(f"`{c}`" for c in entity_reads)
        out.append(d.error("E605", f"test {case.name.name!r} gives no `{state.entity}` row, but its rules read "
                           f"{columns}", case.name.span,
                           hint=f"add `{state.entity}: {{{next(iter(entity_reads))}: ...}}` under `given:`"))
    for given in case.given:
        wanted = entity_reads if given.source.name == state.entity else event_reads.get(given.source.name, {})
        for column, reader in wanted.items():
            lacking = [row for row in given.rows if column not in row.values]
            if lacking:
                out.append(_lacks(case, given, lacking, column, reader))
    return out


def _lacks(case: CaseSpec, given: Given, lacking: list[GivenRow], column: str, reader: str) -> Diagnostic:
    """One diagnostic per column, at the first row without it."""
    rows = "row" if len(given.rows) == 1 else f"rows ({len(lacking)} of {len(given.rows)})"
    return d.error("E605", f"the `{given.source.name}` {rows} of test {case.name.name!r} "
                   f"{'has' if len(lacking) == 1 else 'have'} no `{column}`, which {reader} reads",
                   lacking[0].span, label=f"no `{column}` here",
                   hint=f"add `{column}: ...` to the row (`{column}: null` tests a missing value)")


def _rules_under_test(state: State, case: CaseSpec) -> list[tuple[str, t.TExpr]]:
    """(who, rule) for every rule an expectation depends on: the segment and its ancestors,
    segments it uses through `in_segment`, a layer's tiers and `within`, a microsegment's layers."""
    layers = {layer.name: layer for layer in state.layers}
    micros = {ms.name: ms for ms in state.microsegments}
    out: list[tuple[str, t.TExpr]] = []
    done: set[str] = set()

    def segment(path: str | None) -> None:
        while path is not None and path not in done and path in state.segments:
            done.add(path)
            seg = state.segments[path]
            out.append((f"the rule of `{path}`", seg.rule))
            for node in t.walk(seg.rule):
                if isinstance(node, t.SegmentRef):
                    segment(node.path)
            path = seg.parent

    def layer(name: str) -> None:
        if name in layers and name not in done:
            done.add(name)
            segment(layers[name].within)
            out.extend((f"tier `{tier.name}` of `{name}`", tier.rule) for tier in layers[name].tiers if tier.rule)
            for tier in layers[name].tiers:
                for node in t.walk(tier.rule):
                    if isinstance(node, t.SegmentRef):
                        segment(node.path)

    for expect in case.expect:
        if expect.kind in ("in", "not_in"):
            segment(expect.target.name)
        elif expect.kind == "layer":
            layer(expect.target.name)
        elif expect.kind == "microsegment" and expect.target.name in micros:
            ms = micros[expect.target.name]
            segment(ms.within)
            for name in ms.layers:
                layer(name)
    return out


def reads(state: State, rules: Iterable[tuple[str, t.TExpr]]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The entity columns and the event columns (per source) that `rules` read, each with the
    first reader's description. An event source with a `time:` column always reads it: events
    without a time never count."""
    entity: dict[str, str] = {}
    events: dict[str, dict[str, str]] = {}
    times = {s.name.name: s.time for s in state.spec.sources if s.time}
    metrics_seen: set[str] = set()

    def visit(who: str, expr: t.TExpr) -> None:
        for node in t.walk(expr):
            match node:
                case t.Field(name=name):
                    entity.setdefault(name, who)
                case t.MetricRef(name=name) if name not in metrics_seen and name in state.metrics:
                    metrics_seen.add(name)
                    visit(f"metric `{name}` (used by {who})", state.metrics[name].expr)
                case t.EventField(source=source, name=name):
                    events.setdefault(source, {}).setdefault(name, who)
                case t.Aggregate(source=source):
                    if source in times:
                        events.setdefault(source, {}).setdefault(times[source], who)

    for who, rule in rules:
        visit(who, rule)
    return entity, events
