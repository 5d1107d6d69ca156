"""`segdsl compile --emit STAGE`: any stage's output as indented text, for debugging.

Input: the loaded spec (parse ASTs), the checked project (typed nodes) or the plan.
Output: text, one block per rule or column; spans and types are left out of node dumps.
"""

from __future__ import annotations

import dataclasses
import enum

STAGES = ("ast", "typed", "plan", "sql")


def pretty(value: object, indent: int = 0) -> str:
    """A dataclass tree as indented text: `Compare(op='>', left=Field(name='age'), ...)`."""
    pad = "  " * indent
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)
                  if f.name not in ("span", "type") and f.repr]
        simple = all(not _nested(v) for _, v in fields)
        if simple:
            return f"{type(value).__name__}(" + ", ".join(f"{k}={v!r}" for k, v in fields) + ")"
        inner = ",\n".join(f"{pad}  {k}={pretty(v, indent + 1)}" for k, v in fields)
        return f"{type(value).__name__}(\n{inner})"
    if isinstance(value, (list, tuple)) and any(_nested(v) for v in value):
        inner = ",\n".join(f"{pad}  {pretty(v, indent + 1)}" for v in value)
        return f"[\n{inner}]"
    if isinstance(value, enum.Enum):
        return value.name
    return repr(value)


def _nested(value: object) -> bool:
    return (dataclasses.is_dataclass(value) and not isinstance(value, type)) or (
        isinstance(value, (list, tuple)) and any(_nested(v) for v in value))


def ast_stage(spec) -> str:
    """Every rule's parse AST, named by where it is written."""
    blocks = [f"metric {m.name.name}:\n{pretty(m.rule.expr)}" for m in spec.metrics if m.rule]
    blocks += [f"segment {s.path}:\n{pretty(s.rule.expr)}" for s in spec.all_segments() if s.rule]
    blocks += [f"layer {layer.name.name} tier {tier.name.name}:\n{pretty(tier.rule.expr)}"
               for layer in spec.layers for tier in layer.tiers if tier.rule]
    return "\n\n".join(blocks) + "\n"


def typed_stage(project) -> str:
    blocks = [f"metric {m.name}: {m.type}\n{pretty(m.expr)}" for m in project.metrics]
    blocks += [f"segment {s.path}" + (f" (within {s.parent})" if s.parent else "") + f":\n{pretty(s.rule)}"
               for s in project.segments]
    blocks += [f"layer {layer.name} tier {tier.name}:\n{pretty(tier.rule) if tier.rule else 'else'}"
               for layer in project.layers for tier in layer.tiers]
    return "\n\n".join(blocks) + "\n"


def plan_stage(plan) -> str:
    lines = [f"as_of {plan.as_of.isoformat()}", f"entity {plan.project.entity}: " + ", ".join(plan.entity_columns)]
    for agg in plan.aggregations:
        lines.append(f"aggregation {agg.name} over {agg.source} by {agg.key}"
                     + (f", events up to as_of by {agg.time}" if agg.time else ""))
        lines += [f"  {c.name} = {pretty(c.aggregate)}".replace("\n", "\n  ") for c in agg.columns]
    for level in range(1, plan.levels + 1):
        lines.append(f"level {level}")
        for c in plan.derived:
            if c.level == level:
                what = type(c).__name__.removesuffix("Column").lower()
                lines.append(f"  {c.name}: {what}")
    return "\n".join(lines) + "\n"
