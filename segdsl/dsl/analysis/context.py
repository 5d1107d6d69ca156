"""What the analyses share: the checked project, where each rule stands in its file, the DNFs.

Input: a checked `typed.Project` and the `ProjectSpec` it was checked from (for file spans).
Output: `Context`, with each rule's DNF computed once (`rule_dnf`), the DNF of a segment and
all its ancestors (`chain`), and helpers that turn a node of a rule into a file span.
"""

from __future__ import annotations

from dataclasses import dataclass

from segdsl.dsl import typed as t
from segdsl.dsl.analysis.logic import Builder, Conflict, Dnf, Term, TooBig, both, conflict
from segdsl.dsl.diagnostics import FileSpan
from segdsl.dsl.project import LayerSpec, ProjectSpec, Rule, SegmentSpec
from segdsl.dsl.render import line_col


@dataclass(frozen=True)
class Form:
    """A rule in DNF with the conflicts of the alternatives that dropped out on the way."""

    dnf: Dnf
    dropped: tuple[Conflict, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.dnf

    def reasons(self) -> list[str]:
        found = list(self.dropped) + [c for c in map(conflict, self.dnf) if c is not None]
        return list(dict.fromkeys(c.reason() for c in found))


class Context:
    def __init__(self, project: t.Project, spec: ProjectSpec):
        self.project, self.spec = project, spec
        self.builder = Builder({m.name: m for m in project.metrics})
        self.segment_specs: dict[str, SegmentSpec] = {s.path: s for s in spec.all_segments()}
        self.layer_specs: dict[str, LayerSpec] = {layer.name.name: layer for layer in spec.layers}
        self._forms: dict[tuple[int, bool], Form | None] = {}
        self._chains: dict[str, Form | None] = {}

    # --- normal forms -------------------------------------------------------------------------

    def form(self, rule: t.TExpr, text: str, positive: bool = True) -> Form | None:
        """The rule (or its negation) in DNF; None when it is too large to reason about."""
        key = (id(rule), positive)
        if key not in self._forms:
            self.builder.dropped = []
            try:
                dnf = self.builder.dnf(rule, text, positive)
                # A lone atom can be empty by itself (`x BETWEEN 10 AND 5`): drop it too.
                found = [(term, conflict(term)) for term in dnf]
                dropped = self.builder.dropped + [c for _, c in found if c is not None]
                form = Form([term for term, c in found if c is None], tuple(dropped))
            except TooBig:
                form = None
            self._forms[key] = form
        return self._forms[key]

    def segment_form(self, path: str) -> Form | None:
        segment = self.project.segment(path)
        return self.form(segment.rule, segment.text)

    def chain(self, path: str | None) -> Form | None:
        """Membership of `path`: its rule AND every ancestor's; TRUE for None (everyone)."""
        if path is None:
            return Form([Term()])
        if path not in self._chains:
            segment = self.project.segment(path)
            own = self.segment_form(path)
            parent = self.chain(segment.parent)
            self._chains[path] = conjoin(own, parent)
        return self._chains[path]

    # --- places -------------------------------------------------------------------------------

    def segment_rule(self, path: str) -> Rule | None:
        spec = self.segment_specs.get(path)
        return spec.rule if spec is not None else None

    def tier_rule(self, layer: str, tier: str) -> Rule | None:
        spec = self.layer_specs.get(layer)
        found = next((x for x in spec.tiers if x.name.name == tier), None) if spec else None
        return found.rule if found is not None else None

    def where(self, span: FileSpan) -> str:
        """`file:line:col` of a span, for notes that point at another rule."""
        text = self.spec.texts.get(span.file)
        if text is None:
            return span.file
        line, col = line_col(text, span.start)
        return f"{span.file}:{line}:{col}"

    def entity_word(self) -> str:
        """`a customer` for the entity `customers`."""
        name = self.project.entity
        if name.endswith("ies"):
            name = name[:-3] + "y"
        elif name.endswith("s") and not name.endswith("ss"):
            name = name[:-1]
        return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def conjoin(a: Form | None, b: Form | None) -> Form | None:
    if a is None or b is None:
        return None
    dropped: list[Conflict] = []
    try:
        dnf = both(a.dnf, b.dnf, dropped)
    except TooBig:
        return None
    return Form(dnf, tuple(dropped))
