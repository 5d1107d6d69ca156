"""Static analysis of a checked project: rules that can never be true, tiers that can never
win, layers that leave rows without a tier; and, given data, segments that match nobody.

Input: the checked `typed.Project` and the `ProjectSpec` it came from (for file spans).
Output: warnings (W5xx, see docs/diagnostics.md), each at the span of the rule concerned.

`ANALYSES` are plain functions run in order over one shared `Context`; `analyse` chains them.
Every finding is sound: a rule is only called never true when no row can satisfy it on any
data and at any as_of (see `logic.py`), and a layer is only said to leave rows without a tier
with a concrete example (see `witness.py`). When unsure, the analysis says nothing.
"""

from __future__ import annotations

from segdsl.dsl import typed as t
from segdsl.dsl.analysis.context import Context
from segdsl.dsl.analysis.layers import shadowed_tiers, uncovered_layers
from segdsl.dsl.analysis.rules import contradicts_parent, never_true, never_true_filters
from segdsl.dsl.analysis.scan import scan
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.project import ProjectSpec

__all__ = ["analyse", "ANALYSES", "scan"]

ANALYSES = (never_true, never_true_filters, contradicts_parent, shadowed_tiers, uncovered_layers)


def analyse(project: t.Project, spec: ProjectSpec) -> list[Diagnostic]:
    ctx = Context(project, spec)
    out: list[Diagnostic] = []
    for run in ANALYSES:
        out += run(ctx)
    return out
