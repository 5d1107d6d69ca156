"""The `tests:` list of a rules file → `CaseSpec`s (rule tests, run by `segdsl test`).

Input: the `tests:` node of a rules file.
Output: one `CaseSpec` per well-formed test; every shape problem (unknown keys, a row that is
not a mapping, an expectation that is not a list of paths) as a diagnostic. Names of sources,
segments, layers and columns are resolved later, by the checker (`checker/cases.py`).

    tests:
      - name: a software company ordering weekly is a power buyer
        as_of: 2026-11-01                       # optional
        given:
          customers: {industry: software}       # the entity's row
          orders:                               # events, per source
            - {ordered_at: 2026-10-01, amount: 120}
        expect:
          in: [tech, tech/power_buyers]
          not_in: [tech/dormant]
          layers: {lifecycle: active}
          microsegments: {lifecycle_value: active/top}
"""

from __future__ import annotations

from segdsl.dsl.diagnostics import FileSpan
from segdsl.dsl.project import CaseSpec, Expectation, Given, GivenRow, Named
from segdsl.dsl.shapes import Shapes
from segdsl.dsl.yaml_source import YMap, YNode, YScalar, YSeq

CASE_KEYS = {"name", "description", "as_of", "given", "expect"}
EXPECT_KEYS = {"in", "not_in", "layers", "microsegments"}


def load_cases(node: YNode | None, shapes: Shapes) -> list[CaseSpec]:
    """Every test of one rules file's `tests:` list."""
    cases: list[CaseSpec] = []
    for item in shapes.items(node, "tests"):
        case = _case(item, shapes)
        if case is not None:
            cases.append(case)
    return cases


def _case(node: YNode, shapes: Shapes) -> CaseSpec | None:
    body = shapes.mapping(node, "a test")
    if body is None:
        return None
    shapes.keys(body, CASE_KEYS, "a test", required=("name", "given", "expect"))
    name_node = body.get("name")
    name = shapes.string(name_node, "name")
    given = [g for key, value in shapes.entries(body.get("given"), "given") if (g := _given(key, value, shapes))]
    expect = _expect(body.get("expect"), shapes)
    if name is None or body.get("given") is None or body.get("expect") is None:
        return None
    return CaseSpec(Named(name, _span(name_node)), tuple(given), tuple(expect), shapes.as_of(body.get("as_of")))


def _given(key: YScalar, value: YNode, shapes: Shapes) -> Given | None:
    """`source: {row}` or `source: [{row}, ...]`."""
    source = shapes.name(key, "source name")
    nodes = list(value.items) if isinstance(value, YSeq) else [value]
    rows = [row for node in nodes if (row := _row(node, key.text, shapes)) is not None]
    return None if source is None else Given(source, tuple(rows))


def _row(node: YNode, source: str, shapes: Shapes) -> GivenRow | None:
    body = shapes.mapping(node, f"a row of `{source}`", allow_empty=True)
    if body is None:
        if isinstance(node, YScalar) and node.value is None:  # `customers: {}` or an empty row
            return GivenRow({}, {}, _span(node))
        return None
    values: dict[str, object] = {}
    spans: dict[str, FileSpan] = {}
    for key, value in body.items:
        column = shapes.name(key, "column name", strict=False)
        if column is None:
            continue
        plain = _value(value, shapes)
        if plain is not _BAD:
            values[column.name] = plain
            spans[column.name] = _span(value) if value is not None else column.span
    return GivenRow(values, spans, _span(body))


_BAD = object()


def _value(node: YNode | None, shapes: Shapes) -> object:
    """A cell: a scalar as YAML reads it, or a list of scalars (for list columns)."""
    if node is None:
        return None
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq) and all(isinstance(item, YScalar) for item in node.items):
        return [item.value for item in node.items]
    shapes.report("E002", f"a value in a test row must be a single value or a list, found {shapes.describe(node)}",
                  node, hint="write a mapping's columns as `column: value`")
    return _BAD


def _expect(node: YNode | None, shapes: Shapes) -> list[Expectation]:
    body = shapes.mapping(node, "`expect`")
    if body is None:
        return []
    shapes.keys(body, EXPECT_KEYS, "`expect`")
    out: list[Expectation] = []
    for kind in ("in", "not_in"):
        value = body.get(kind)
        items = [value] if isinstance(value, YScalar) and value.value is not None else shapes.items(value, kind)
        out += [Expectation(kind, path) for item in items if (path := shapes.path(item, "segment path"))]
    for key, kind, what in (("layers", "layer", "layer name"), ("microsegments", "microsegment", "microsegment name")):
        for name_node, value in shapes.entries(body.get(key), key):
            name = shapes.name(name_node, what)
            if name is None:
                continue
            if value is not None and not isinstance(value, YScalar):
                shapes.report("E002", f"the expected value of `{name.name}` must be text or null, "
                              f"found {shapes.describe(value)}", value)
                continue
            expected = shapes.string(value, name.name)
            out.append(Expectation(kind, name, expected))
    return out


def _span(node: YNode) -> FileSpan:
    return FileSpan(node.file, node.start, node.end)
