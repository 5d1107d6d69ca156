"""`segdsl explain`: for one entity of real data, every atom of every rule, its values and verdict.

Stages (each a public function):

| stage   | function                                   | input → output                                  |
|---------|--------------------------------------------|-------------------------------------------------|
| select  | `lookup.selection`                         | `typed.Project`, paths asked → names to explain |
| explain | `query.explain`                            | project, DuckDB, relations, as_of, key → `Explanation` |
| render  | `render.render_text`, `render.render_json` | `Explanation` → text or JSON                    |
"""

from __future__ import annotations

from segdsl.explain.model import (
    Atom,
    Check,
    Combination,
    Explanation,
    LayerExplanation,
    MicrosegmentExplanation,
    Operand,
    SegmentExplanation,
    TierExplanation,
)
from segdsl.explain.lookup import UnknownId, selection
from segdsl.explain.query import explain
from segdsl.explain.render import render_json, render_text, to_dict

__all__ = [
    "Atom", "Check", "Combination", "Explanation", "LayerExplanation", "MicrosegmentExplanation", "Operand",
    "SegmentExplanation", "TierExplanation", "UnknownId", "explain", "render_json", "render_text", "selection",
    "to_dict",
]
