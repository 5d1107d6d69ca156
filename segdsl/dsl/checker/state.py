"""What the checks build up while they run, and the checked project made from it at the end.

Input: the ProjectSpec and the sources' schemas.
Output: `State.build()` → `typed.Project`, with segments in dependency order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from segdsl.dsl import typed as t
from segdsl.dsl.checker.expressions import ExpressionChecker
from segdsl.dsl.checker.scope import Scope, SourceInfo
from segdsl.dsl.diagnostics import Diagnostic, FileSpan
from segdsl.dsl.project import ProjectSpec


@dataclass
class State:
    spec: ProjectSpec
    schemas: dict[str, dict[str, t.Type] | None]
    diags: list[Diagnostic] = field(default_factory=list)
    expressions: ExpressionChecker | None = None
    entity: str | None = None
    fields: dict[str, t.Type] | None = None
    declared_rates: set[str] = field(default_factory=set)
    metrics: dict[str, t.Metric] = field(default_factory=dict)
    metric_failed: set[str] = field(default_factory=set)
    segments: dict[str, t.Segment] = field(default_factory=dict)
    segment_deps: dict[str, list[str]] = field(default_factory=dict)
    segment_ref_spans: dict[tuple[str, str], FileSpan] = field(default_factory=dict)
    """(segment, path it uses) → where its rule says `in_segment(path)`."""
    layers: list[t.Layer] = field(default_factory=list)
    microsegments: list[t.Microsegment] = field(default_factory=list)
    scope: Scope | None = None

    def source_infos(self) -> dict[str, SourceInfo]:
        return {
            s.name.name: SourceInfo(s.name.name, s.key, s.time, self.schemas.get(s.name.name))
            for s in self.spec.sources
        }

    def build(self) -> t.Project:
        spec = self.spec
        entity_spec = next(s for s in spec.sources if s.name.name == self.entity)
        root = Path(spec.root)
        sources = {
            s.name.name: t.Source(s.name.name, str(root / s.path) if s.path else "", s.key or "", s.time,
                                  dict(self.schemas.get(s.name.name) or {}))
            for s in spec.sources
        }
        return t.Project(
            entity=self.entity,
            key=entity_spec.key or "",
            as_of=spec.settings.as_of,
            sources=sources,
            fields=dict(self.fields or {}),
            # Stored as checked, and a metric is checked after the metrics it uses: dependencies first.
            metrics=tuple(self.metrics.values()),
            segments=tuple(self.segments[p] for p in self.segment_order()),
            layers=tuple(self.layers),
            microsegments=tuple(self.microsegments),
            root=spec.root,
        )

    def segment_order(self) -> list[str]:
        """Segments with every dependency (parent, in_segment) before its dependents, else file order."""
        order: list[str] = []
        done: set[str] = set()

        def visit(path: str) -> None:
            if path in done:
                return
            done.add(path)
            for dep in self.segment_deps.get(path, []):
                visit(dep)
            order.append(path)

        for segment in self.spec.all_segments():
            if segment.path in self.segments:
                visit(segment.path)
        return [p for p in order if p in self.segments]
