"""Rules that can never be true: alone (W501), inside their parent (W502), aggregate filters.

Input: the analysis `Context` (checked project, rule places, DNFs).
Output: warnings pointing at the rule's span in its YAML file.
"""

from __future__ import annotations

from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.analysis.context import Context, Form, conjoin
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.project import Rule

MAX_REASONS = 3


def explain(form: Form) -> str:
    reasons = form.reasons()
    shown = "; ".join(reasons[:MAX_REASONS])
    return shown + (f"; and {len(reasons) - MAX_REASONS} more" if len(reasons) > MAX_REASONS else "")


def quoted(text: str) -> str:
    text = " ".join(text.split())
    return f"`{text}`" if len(text) <= 70 else "this rule"


def never_true(ctx: Context) -> list[Diagnostic]:
    """W501: a segment or tier rule that no row can satisfy, whatever the data."""
    out: list[Diagnostic] = []
    for segment in ctx.project.segments:
        out += _never_true(ctx, segment.rule, segment.text, ctx.segment_rule(segment.path))
    for layer in ctx.project.layers:
        for tier in layer.tiers:
            if tier.rule is not None:
                out += _never_true(ctx, tier.rule, tier.text or "", ctx.tier_rule(layer.name, tier.name))
    return out


def _never_true(ctx: Context, rule: t.TExpr, text: str, place: Rule | None) -> list[Diagnostic]:
    form = ctx.form(rule, text)
    if place is None or form is None or not form.empty:
        return []
    return [d.warning("W501", f"{quoted(text)} can never be true: {explain(form)}", place.span(),
                      label="no row can match this rule",
                      hint="check the bounds and values; as written, this rule matches nobody on any data")]


def never_true_filters(ctx: Context) -> list[Diagnostic]:
    """W501 for an aggregate's `where` that no event can satisfy (the aggregate sees nothing)."""
    places: list[tuple[t.TExpr, Rule | None]] = []
    specs = {m.name.name: m.rule for m in ctx.spec.metrics}
    places += [(metric.expr, specs.get(metric.name)) for metric in ctx.project.metrics]
    places += [(s.rule, ctx.segment_rule(s.path)) for s in ctx.project.segments]
    places += [(tier.rule, ctx.tier_rule(layer.name, tier.name))
               for layer in ctx.project.layers for tier in layer.tiers if tier.rule is not None]
    out: list[Diagnostic] = []
    for expr, place in places:
        if place is None:
            continue
        for node in t.walk(expr):
            if not isinstance(node, t.Aggregate) or node.where is None:
                continue
            text = place.text[node.where.span.start:node.where.span.end]
            form = ctx.form(node.where, place.text)
            if form is None or not form.empty:
                continue
            out.append(d.warning(
                "W501", f"the filter {quoted(text)} can never be true: {explain(form)}",
                place.span(node.where.span), label="no event can pass this filter",
                hint=f"as written, no {node.source} event passes it, so the aggregate sees none"))
    return out


def contradicts_parent(ctx: Context) -> list[Diagnostic]:
    """W502: a child whose rule can be true alone but never together with its ancestors'."""
    out: list[Diagnostic] = []
    for segment in ctx.project.segments:
        if segment.parent is None:
            continue
        found = _contradiction(ctx, segment.rule, segment.text, segment.parent)
        place = ctx.segment_rule(segment.path)
        if found is None or place is None:
            continue
        ancestor, form = found
        out.append(_contradiction_warning(ctx, place, segment.text, f"inside its parent {ancestor}",
                                          ancestor, form))
    for layer in ctx.project.layers:
        if layer.within is None:
            continue
        for tier in layer.tiers:
            place = ctx.tier_rule(layer.name, tier.name)
            if tier.rule is None or place is None:
                continue
            found = _contradiction(ctx, tier.rule, tier.text or "", layer.within)
            if found is not None:
                ancestor, form = found
                out.append(_contradiction_warning(ctx, place, tier.text or "",
                                                  f"within {ancestor}, the layer's rows", ancestor, form))
    return out


def _contradiction(ctx: Context, rule: t.TExpr, text: str, parent: str) -> tuple[str, Form] | None:
    """The nearest ancestor whose rule, with the ones between, leaves `rule` empty."""
    own = ctx.form(rule, text)
    scope = ctx.chain(parent)
    if own is None or own.empty or scope is None or scope.empty:
        return None  # empty alone is W501; an empty parent is reported on the parent
    acc, path = own, parent
    while path is not None:
        acc = conjoin(acc, ctx.segment_form(path))
        if acc is None:
            return None
        if acc.empty:
            return path, acc
        path = ctx.project.segment(path).parent
    return None


def _contradiction_warning(ctx: Context, place: Rule, text: str, where: str, ancestor: str,
                           form: Form) -> Diagnostic:
    parent = ctx.project.segment(ancestor)
    parent_place = ctx.segment_rule(ancestor)
    notes = ()
    if parent_place is not None:
        notes = (f"the rule of {ancestor} ({ctx.where(parent_place.span())}): {' '.join(parent.text.split())}",)
    return d.warning("W502", f"{quoted(text)} can never be true {where}: {explain(form)}", place.span(),
                     label=f"contradicts the rule of {ancestor}", notes=notes,
                     hint=f"the rule of {ancestor} is ANDed into this one; fix either rule, or move this one "
                     "elsewhere")
