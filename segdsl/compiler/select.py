"""Narrowing a project to one segment, for `segdsl compile --segment PATH`.

Input: a checked `typed.Project` and a segment path.
Output: the same project with only that segment, its ancestors, the segments it reads
(`in_segment`) with theirs, and the metrics they read; no layers or microsegments.
"""

from __future__ import annotations

import dataclasses

from segdsl.compiler.plan import walk
from segdsl.dsl import typed as t


class UnknownSegment(ValueError):
    def __init__(self, path: str, known: list[str]):
        from segdsl.dsl.suggest import suggestion_text

        super().__init__(f"no segment {path!r}{suggestion_text(path, known)}")


def only_segment(project: t.Project, path: str) -> t.Project:
    paths = {s.path for s in project.segments}
    if path not in paths:
        raise UnknownSegment(path, sorted(paths))
    metrics = {m.name: m for m in project.metrics}
    keep_segments: set[str] = set()
    keep_metrics: set[str] = set()
    pending: list[object] = [project.segment(path)]
    while pending:
        item = pending.pop()
        if isinstance(item, t.Segment):
            if item.path in keep_segments:
                continue
            keep_segments.add(item.path)
            if item.parent:
                pending.append(project.segment(item.parent))
            pending.append(item.rule)
            continue
        for node in walk(item):
            if isinstance(node, t.SegmentRef):
                pending.append(project.segment(node.path))
            elif isinstance(node, t.MetricRef) and node.name not in keep_metrics:
                keep_metrics.add(node.name)
                pending.append(metrics[node.name].expr)
    segments = tuple(dataclasses.replace(s, children=tuple(c for c in s.children if c in keep_segments))
                     for s in project.segments if s.path in keep_segments)
    return dataclasses.replace(project, segments=segments, layers=(), microsegments=(),
                               metrics=tuple(m for m in project.metrics if m.name in keep_metrics))
