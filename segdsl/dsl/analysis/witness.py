"""A concrete row that gets no tier in a layer without `else`, for W504's message.

Input: the analysis `Context`, the layer, and the DNF of "in the layer's rows and no tier".
Output: a short description (`plan = free and age is missing`), or None.

Naming an uncovered row is a claim that one exists, so this module is strict where the rest
of the analysis is lenient: only alternatives in which no atom was ignored; only operands a
row can set on its own (an entity field, or a metric that is one plain aggregate, at most one
per event source so that two windows over the same events cannot disagree); whole numbers for
numbers (the column may hold integers), no relative times (their value depends on as_of). The
row found is then run through the reference interpreter, and kept only if it really is in
the layer's rows and matches no tier.
"""

from __future__ import annotations

import datetime as dt
import math

from segdsl import reference
from segdsl.dsl import typed as t
from segdsl.dsl.analysis.context import Context, Form
from segdsl.dsl.analysis.logic import Prim, Term, compare, conflict, never_missing, never_negative

_FALLBACK_AS_OF = dt.datetime(2026, 1, 1)


def find_witness(ctx: Context, layer: t.Layer, rest: Form) -> str | None:
    # A value the tiers forgot says more than a missing one: try those alternatives first.
    terms = sorted(rest.dnf, key=lambda term: sum(p.kind == "missing" for p in term.prims))
    for term in terms:
        if not term.exact or conflict(term) is not None:
            continue
        found = _row(ctx, term)
        if found is None:
            continue
        row, metrics, shown = found
        if _verify(ctx, layer, row, metrics):
            return " and ".join(shown) if shown else "any value"
    return None


def _row(ctx: Context, term: Term) -> tuple[dict, dict, list[str]] | None:
    groups: dict[object, list[Prim]] = {}
    for prim in term.prims:
        groups.setdefault(prim.operand, []).append(prim)
    row: dict = {}
    metrics: dict = {m.name: (0 if never_missing(m.expr) else None) for m in ctx.project.metrics}
    shown: list[str] = []
    sources: set[str] = set()
    for key, prims in groups.items():
        if isinstance(key, t.Field) and key.name != ctx.project.key:  # a key is never missing
            slot = ("field", key.name)
        elif key in ctx.builder.metric_names and isinstance(key, t.Aggregate) and key.per_days is None:
            if key.source in sources:
                return None
            sources.add(key.source)
            slot = ("metric", ctx.builder.metric_names[key])
        else:
            return None
        found = _value(key, prims)
        if found is None:
            return None
        value, words = found
        if slot[0] == "field":
            if key.type == t.DATE and value is not None:
                if value != dt.datetime.combine(value.date(), dt.time()):
                    return None
                value = value.date()
            row[slot[1]] = value
        else:
            metrics[slot[1]] = value
        shown.append(f"{prims[0].text} {words}")
    return row, metrics, shown


def _value(key, prims: list[Prim]) -> tuple[object, str] | None:
    """A value meeting every primitive, and how to say it; None when none is easy to name."""
    if any(p.kind == "missing" for p in prims):
        return None, "missing"
    kind = key.type.kind
    lowers = [p for p in prims if p.kind == "lower"]
    uppers = [p for p in prims if p.kind == "upper"]
    if any(isinstance(p.value, t.RelTime) for p in lowers + uppers):
        return None
    excluded = set().union(*(p.value for p in prims if p.kind == "not_in"))
    ins = [p.value for p in prims if p.kind == "in"]
    if kind == "boolean" and not ins:
        ins = [frozenset([True, False])]
    if ins:
        candidates = set(ins[0]).intersection(*ins[1:]) - excluded
        fits = sorted((v for v in candidates if _fits(v, lowers, uppers)), key=repr)
        return (fits[0], f"= {_show(fits[0])}") if fits else None
    if kind == "string":
        if lowers or uppers:
            return None
        value = next(v for v in (f"other{i or ''}" for i in range(len(excluded) + 1)) if v not in excluded)
        if excluded:
            names = sorted(map(str, excluded))
            listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
            return value, f"other than {listed}"
        return value, "present"
    if kind in ("number", "rate"):
        if never_negative(key):
            lowers = lowers + [Prim(key, "lower", 0)]
        return _number(lowers, uppers, excluded)
    if kind in ("date", "timestamp"):
        return _time(lowers, uppers, excluded)
    return None


def _fits(value, lowers: list[Prim], uppers: list[Prim]) -> bool:
    for p in lowers:
        order = compare(value, p.value)
        if order is None or order < 0 or (order == 0 and p.strict):
            return False
    for p in uppers:
        order = compare(value, p.value)
        if order is None or order > 0 or (order == 0 and p.strict):
            return False
    return True


def _number(lowers, uppers, excluded) -> tuple[object, str] | None:
    low = max(lowers, key=lambda p: (p.value, p.strict), default=None)
    high = min(uppers, key=lambda p: (p.value, not p.strict), default=None)
    if low is not None:
        start, step = math.ceil(low.value), 1
        if low.strict and start == low.value:
            start += 1
    elif high is not None:
        start, step = math.floor(high.value), -1
        if high.strict and start == high.value:
            start -= 1
    else:
        start, step = 0, 1
    for i in range(len(excluded) + 1):
        value = start + i * step
        if value not in excluded and _fits(value, lowers, uppers):
            return value, f"= {value}"
    return None


def _time(lowers, uppers, excluded) -> tuple[object, str] | None:
    """Midnights only (the column may hold dates), counted from the nearest bound."""
    day = dt.timedelta(days=1)
    if lowers:
        base, step = max(p.value for p in lowers), day
    elif uppers:
        base, step = min(p.value for p in uppers), -day
    else:
        base, step = dt.datetime(2020, 1, 1), day
    base = dt.datetime.combine(base.date(), dt.time())
    for i in range(len(excluded) + 3):
        value = base + i * step
        if value not in excluded and _fits(value, lowers, uppers):
            return value, f"= {_show(value)}"
    return None


def _show(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _verify(ctx: Context, layer: t.Layer, row: dict, metrics: dict) -> bool:
    as_of = ctx.project.as_of or _FALLBACK_AS_OF
    try:
        path = layer.within
        while path is not None:
            segment = ctx.project.segment(path)
            if not reference.evaluate_expr(segment.rule, row, {}, as_of, metrics=metrics):
                return False
            path = segment.parent
        return not any(reference.evaluate_expr(tier.rule, row, {}, as_of, metrics=metrics)
                       for tier in layer.tiers if tier.rule is not None)
    except Exception:  # noqa: BLE001 - a ranking or in_segment has no value here: no example
        return False
