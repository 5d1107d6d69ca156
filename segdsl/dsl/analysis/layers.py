"""Layers: tiers that can never win (W503) and layers that leave rows without a tier (W504).

Input: the analysis `Context` (checked project, rule places, DNFs).
Output: warnings at the shadowed tier's rule, or at the name of a layer without `else`.

A tier is shadowed when its rule, within the layer's rows, implies some earlier tier's: its
rule AND NOT(every earlier tier) is empty. A layer without `else` leaves a row without a tier
when the layer's rows AND NOT(every tier) is not empty; since that claim is the opposite of
"empty", it is only made with a concrete example (`witness.py`), checked with the reference
interpreter, and never when an atom had to be ignored.
"""

from __future__ import annotations

from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.analysis.context import Context, Form, conjoin
from segdsl.dsl.analysis.witness import find_witness
from segdsl.dsl.diagnostics import Diagnostic


def shadowed_tiers(ctx: Context) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for layer in ctx.project.layers:
        scope = ctx.chain(layer.within)
        if scope is None or scope.empty:
            continue
        earlier: list[t.Tier] = []
        for tier in layer.tiers:
            if tier.rule is None:
                out += _unreachable_else(ctx, layer, tier, scope, earlier)
                break
            found = _shadowed(ctx, layer, tier, scope, earlier)
            if found is not None:
                out.append(found)
            earlier.append(tier)
    return out


def _none_of(ctx: Context, form: Form | None, tiers: list[t.Tier]) -> Form | None:
    for tier in tiers:
        form = conjoin(form, ctx.form(tier.rule, tier.text or "", positive=False))
        if form is None or form.empty:
            return form
    return form


def _shadowed(ctx: Context, layer: t.Layer, tier: t.Tier, scope: Form, earlier: list[t.Tier]):
    own = conjoin(ctx.form(tier.rule, tier.text or ""), scope)
    place = ctx.tier_rule(layer.name, tier.name)
    if own is None or own.empty or not earlier or place is None:
        return None  # empty on its own or within the scope: W501/W502
    rest = _none_of(ctx, own, earlier)
    if rest is None or not rest.empty:
        return None
    overlapping = [x for x in earlier if (f := conjoin(own, ctx.form(x.rule, x.text or ""))) is None or not f.empty]
    names = ", ".join(x.name for x in overlapping) or ", ".join(x.name for x in earlier)
    notes = tuple(f"tier {x.name} ({ctx.where(p.span())}): {' '.join((x.text or '').split())}"
                  for x in overlapping if (p := ctx.tier_rule(layer.name, x.name)) is not None)
    return d.warning("W503", f"tier {tier.name} of layer {layer.name} can never win: every row it matches "
                     f"is already taken by {'tier' if len(overlapping) == 1 else 'tiers'} {names}",
                     place.span(), label="shadowed by earlier tiers", notes=notes,
                     hint="the first matching tier wins: move this tier up, or narrow the earlier ones")


def _unreachable_else(ctx: Context, layer: t.Layer, tier: t.Tier, scope: Form, earlier: list[t.Tier]):
    if not earlier:
        return []
    rest = _none_of(ctx, scope, earlier)
    spec = ctx.layer_specs.get(layer.name)
    tier_spec = next((x for x in spec.tiers if x.name.name == tier.name), None) if spec else None
    if rest is None or not rest.empty or tier_spec is None:
        return []
    return [d.warning("W503", f"the else tier {tier.name} of layer {layer.name} can never be reached: "
                      "the tiers before it cover every row", tier_spec.else_span or tier_spec.name.span,
                      label="no row is left for this tier",
                      hint="remove the catch-all tier, or narrow the tiers before it")]


def uncovered_layers(ctx: Context) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for layer in ctx.project.layers:
        if any(tier.rule is None for tier in layer.tiers):
            continue
        spec = ctx.layer_specs.get(layer.name)
        scope = ctx.chain(layer.within)
        if spec is None or scope is None or scope.empty:
            continue
        rest = _none_of(ctx, scope, list(layer.tiers))
        if rest is None or rest.empty:
            continue
        example = find_witness(ctx, layer, rest)
        if example is None:
            continue  # rows may well be left out, but we cannot name one for sure: stay silent
        within = f" of {layer.within}" if layer.within else ""
        out.append(d.warning(
            "W504", f"layer {layer.name} has no `else` tier and some rows{within} match none of its tiers: "
            f"e.g. {ctx.entity_word()} with {example} gets no tier", spec.name.span,
            label="some rows get no tier",
            hint="add a last tier `- {name: other, else: true}` if every row should get one; "
            "without it, such rows get no tier (NULL)"))
    return out
