"""Checks of the rules themselves: metrics, segments, layer tiers, microsegments.

Input: the checker's `State` (project spec, schemas, fields).
Output: typed metrics, segments, layers and microsegments stored on the state, and diagnostics.
"""

from __future__ import annotations

from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.checker.scope import Context, Scope
from segdsl.dsl.checker.state import State
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.suggest import suggestion_text


def _scope(state: State) -> Scope:
    if state.scope is None:
        specs = {m.name.name: m for m in state.spec.metrics}
        resolving: list[str] = []

        def metric_type(name: str) -> t.Type | None:
            if name in state.metrics:
                return state.metrics[name].type
            if name in state.metric_failed:
                return None
            if name in resolving:
                cycle = " → ".join(resolving[resolving.index(name):] + [name])
                state.diags.append(d.error("E210", f"metric '{name}' depends on itself: {cycle}",
                                           specs[name].name.span,
                                           hint="a metric cannot be computed from itself, directly or "
                                           "through other metrics"))
                state.metric_failed.add(name)
                return None
            resolving.append(name)
            try:
                _check_metric(state, specs[name])
            finally:
                resolving.pop()
            return state.metrics[name].type if name in state.metrics else None

        state.scope = Scope(
            entity=state.entity,
            entity_columns=state.fields,
            sources=state.source_infos(),
            metric_type=metric_type,
            metric_names=set(specs),
            segment_paths={s.path for s in state.spec.all_segments()},
            declared_rates=state.declared_rates,
        )
    return state.scope


def _check_metric(state: State, spec) -> None:
    name = spec.name.name
    if spec.rule.expr is None:
        state.metric_failed.add(name)
        return
    ctx = Context(_scope(state), spec.rule, "metric")
    typed = state.expressions.expr(spec.rule.expr, ctx)
    if typed is None:
        state.metric_failed.add(name)
        return
    state.metrics[name] = t.Metric(name, typed, typed.type, spec.rule.text)


def check_metrics(state: State) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    scope = _scope(state)
    for spec in state.spec.metrics:
        name = spec.name.name
        if state.fields is not None and name in state.fields:
            out.append(d.error("E012", f"metric '{name}' has the name of a field of {state.entity}",
                               spec.name.span, hint="rename the metric; rules could not tell them apart"))
            continue
        scope.metric_type(name)
    return out


def check_segments(state: State) -> list[Diagnostic]:
    scope = _scope(state)
    for segment in state.spec.all_segments():
        deps = [segment.parent] if segment.parent else []
        if segment.rule is None or segment.rule.expr is None:
            continue
        ctx = Context(scope, segment.rule, "rule")
        rule = state.expressions.condition(segment.rule.expr, ctx)
        state.segment_deps[segment.path] = deps + ctx.segment_refs
        for path, span in ctx.segment_ref_spans.items():
            state.segment_ref_spans[(segment.path, path)] = segment.rule.span(span)
        if rule is None:
            continue
        state.segments[segment.path] = t.Segment(
            path=segment.path, name=segment.name.name, parent=segment.parent, rule=rule,
            text=segment.rule.text, description=segment.description, owner=segment.owner,
            children=tuple(c.path for c in segment.children),
        )
    return []


def _within(state: State, within, what: str) -> list[Diagnostic]:
    paths = {s.path for s in state.spec.all_segments()}
    if within is None or within.name in paths:
        return []
    return [d.error("E204", f"unknown segment '{within.name}' in `within` of {what}"
                    f"{suggestion_text(within.name, paths)}", within.span, label="no segment with this path")]


def check_layers(state: State) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    scope = _scope(state)
    for layer in state.spec.layers:
        out += _within(state, layer.within, f"layer {layer.name.name}")
        if not layer.tiers:  # the loader reported why (E310, E004, or the tiers' own mistakes)
            continue
        tiers: list[t.Tier] = []
        ok = True
        catch_alls = [tier.name.name for tier in layer.tiers if tier.rule is None]
        for i, tier in enumerate(layer.tiers):
            if tier.rule is None:
                if len(catch_alls) > 1 and tier.name.name == catch_alls[0]:
                    out.append(d.error("E311", f"layer {layer.name.name} has more than one catch-all tier: "
                                       + ", ".join(catch_alls), tier.else_span or tier.name.span,
                                       hint="keep one `else: true` tier, as the last tier"))
                    ok = False
                elif len(catch_alls) == 1 and i != len(layer.tiers) - 1:
                    out.append(d.error("E311", f"the catch-all tier {tier.name.name} of layer {layer.name.name} "
                                       "must be the last tier", tier.else_span or tier.name.span,
                                       hint="tiers after `else: true` could never match; move it to the end"))
                    ok = False
                tiers.append(t.Tier(tier.name.name, None, None))
                continue
            if tier.rule.expr is None:
                ok = False
                continue
            ctx = Context(scope, tier.rule, "rule")
            rule = state.expressions.condition(tier.rule.expr, ctx)
            if rule is None:
                ok = False
                continue
            tiers.append(t.Tier(tier.name.name, rule, tier.rule.text))
        if ok:
            state.layers.append(t.Layer(layer.name.name, layer.within.name if layer.within else None, tuple(tiers)))
    return out


def check_microsegments(state: State) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    layer_names = [layer.name.name for layer in state.spec.layers]
    for micro in state.spec.microsegments:
        out += _within(state, micro.within, f"microsegment {micro.name.name}")
        missing = [n for n in micro.layers if n.name not in layer_names]
        for name in missing:
            out.append(d.error("E205", f"unknown layer '{name.name}'{suggestion_text(name.name, layer_names)}",
                               name.span, label="no layer with this name"))
        if not missing:
            state.microsegments.append(t.Microsegment(
                micro.name.name, tuple(n.name for n in micro.layers), micro.within.name if micro.within else None))
    return out
