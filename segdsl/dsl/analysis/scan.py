"""Segments and tiers that match nobody on the given data (W505), for `segdsl check --data`.

Input: the checked `typed.Project`, its `ProjectSpec`, the summary of one evaluation (what
`segments.json` holds: counts per segment and per tier) and the findings so far.
Output: one warning per segment or tier with a count of 0, at its rule (or `else`) span.

A rule already reported as never true (W501/W502/W503) is not reported again, nor is a child
of an empty segment or a tier of a layer whose rows are empty: the first empty one says it.
"""

from __future__ import annotations

from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.project import ProjectSpec


def scan(project: t.Project, spec: ProjectSpec, tree: dict, found: list[Diagnostic]) -> list[Diagnostic]:
    total = tree["count"]
    known = {x.span for x in found if x.code in ("W501", "W502", "W503") and x.span is not None}
    evaluated = f"{total} row{'s' if total != 1 else ''} of {project.entity} evaluated"
    hint = "the data may lack such rows (check the data's values), or the rule may be too strict"
    out: list[Diagnostic] = []
    segment_specs = {s.path: s for s in spec.all_segments()}

    def visit(node: dict) -> None:
        segment = segment_specs.get(node["path"])
        if node["count"] == 0:
            if segment is not None and segment.rule is not None and segment.rule.span() not in known:
                out.append(d.warning("W505", f"segment {node['path']} matches nobody on this data "
                                     f"({evaluated})", segment.rule.span(), label="0 rows", hint=hint))
            return  # its children are empty because it is
        for child in node["segments"]:
            visit(child)

    if total:
        for node in tree["segments"]:
            visit(node)
    layer_specs = {layer.name.name: layer for layer in spec.layers}
    for layer in tree["layers"]:
        layer_spec = layer_specs.get(layer["name"])
        if layer_spec is None or not layer["count"]:
            continue
        for tier in layer["tiers"]:
            tier_spec = next((x for x in layer_spec.tiers if x.name.name == tier["name"]), None)
            if tier["count"] or tier_spec is None:
                continue
            span = tier_spec.rule.span() if tier_spec.rule is not None else (tier_spec.else_span or
                                                                           tier_spec.name.span)
            if span in known:
                continue
            among = f"among the {layer['count']} rows of {layer['within']}" if layer["within"] else "on this data"
            out.append(d.warning("W505", f"tier {tier['name']} of layer {layer['name']} matches nobody "
                                 f"{among} ({evaluated})", span, label="0 rows", hint=hint))
    return out
