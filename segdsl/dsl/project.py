"""The parsed project: what the YAML files say, with every rule parsed and every place kept.

Input: built by `segdsl.dsl.loader.load_project` from a project folder.
Output: consumed by the checker (`segdsl.dsl.checker.check`).

Every name and rule keeps the YAML scalar it came from (`YScalar`), so a diagnostic about a
character inside a rule points at the file, line and column where that character stands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from segdsl.dsl import ast
from segdsl.dsl.diagnostics import FileSpan
from segdsl.dsl.yaml_source import YScalar


@dataclass(frozen=True)
class Rule:
    """A rule or metric expression as written, and its AST (None when it did not parse)."""

    text: str
    expr: ast.Expr | None
    scalar: YScalar

    def span(self, node_span: ast.Span | None = None) -> FileSpan:
        """The file span of a node inside this rule (of the whole rule when None)."""
        if node_span is None or node_span == ast.NO_SPAN:
            return self.scalar.span()
        return self.scalar.span(node_span.start, node_span.end)


@dataclass(frozen=True)
class Named:
    """A name as written, with its place."""

    name: str
    span: FileSpan


@dataclass(frozen=True)
class SourceSpec:
    name: Named
    path: str | None
    path_span: FileSpan
    key: str | None
    key_span: FileSpan
    time: str | None = None
    time_span: FileSpan | None = None
    table: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class FieldSpec:
    name: Named
    type: str | None
    type_span: FileSpan | None
    per: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class MetricSpec:
    name: Named
    rule: Rule


@dataclass(frozen=True)
class SegmentSpec:
    name: Named
    path: str
    parent: str | None
    rule: Rule | None
    description: str | None = None
    owner: str | None = None
    children: tuple[SegmentSpec, ...] = ()


@dataclass(frozen=True)
class TierSpec:
    name: Named
    rule: Rule | None
    """None for the catch-all `else: true`."""
    else_span: FileSpan | None = None


@dataclass(frozen=True)
class LayerSpec:
    name: Named
    within: Named | None
    tiers: tuple[TierSpec, ...]
    description: str | None = None


@dataclass(frozen=True)
class MicrosegmentSpec:
    name: Named
    layers: tuple[Named, ...]
    within: Named | None
    description: str | None = None


@dataclass(frozen=True)
class Settings:
    entity: Named | None = None
    as_of: dt.datetime | None = None
    settings_file: str | None = None
    """The settings file as shown to the user; None when the project has none."""


@dataclass(frozen=True)
class ProjectSpec:
    root: str
    settings: Settings
    sources: tuple[SourceSpec, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    metrics: tuple[MetricSpec, ...] = ()
    segments: tuple[SegmentSpec, ...] = ()
    """Top-level segments; children nest inside."""
    layers: tuple[LayerSpec, ...] = ()
    microsegments: tuple[MicrosegmentSpec, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)
    """File texts by displayed path, for rendering diagnostics."""
    rule_files: tuple[str, ...] = ()
    tests: tuple[CaseSpec, ...] = ()
    """Rule tests of every rules file, in file order."""

    def all_segments(self) -> list[SegmentSpec]:
        """Every segment, parents before children, in file order."""
        out: list[SegmentSpec] = []

        def visit(segment: SegmentSpec) -> None:
            out.append(segment)
            for child in segment.children:
                visit(child)

        for top in self.segments:
            visit(top)
        return out


@dataclass(frozen=True)
class GivenRow:
    """One row of a rule test, as YAML read it: column → value (None for `null`)."""

    values: dict[str, object]
    spans: dict[str, FileSpan]
    """Where each column's value is written."""
    span: FileSpan


@dataclass(frozen=True)
class Given:
    """The rows a rule test gives one source: the entity's one row, or an event source's list."""

    source: Named
    rows: tuple[GivenRow, ...]


@dataclass(frozen=True)
class Expectation:
    """`in: [path]`, `not_in: [path]`, `layers: {layer: tier}` or `microsegments: {name: key}`."""

    kind: str
    """One of `in`, `not_in`, `layer`, `microsegment`."""
    target: Named
    value: str | None = None
    """The expected tier or key (None: no tier, no key); unused for `in` and `not_in`."""


@dataclass(frozen=True)
class CaseSpec:
    """A rule test written beside the segments (`tests:` in a rules file)."""

    name: Named
    given: tuple[Given, ...]
    expect: tuple[Expectation, ...]
    as_of: dt.datetime | None = None
