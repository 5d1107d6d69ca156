"""Rules as sets of values per operand: disjunctive normal form and satisfiability.

Input: typed conditions (`typed.Condition`) and the text of the rule they come from.
Output: a `Dnf` (a list of `Term`s, each a conjunction of `Prim`s on operands) and, for one
term, either `None` (satisfiable as far as we can tell) or the `Conflict` that makes it empty.

The logic is SPEC §3's two-valued one: every predicate on a missing value is false, `NOT`
negates the result, so `NOT (age > 30)` is "age is missing or age <= 30". Each operand's
domain is its values plus "missing"; each primitive is a subset of that domain, and a
conjunction on one operand is empty when those subsets do not meet. Everything here errs on
one side: a term is only called empty when it is empty for every row and every as_of
(values are reasoned about in a dense order, so an integer column cannot fool it, and
relative times are only compared with relative times whose order never depends on as_of).
An atom we do not understand (a ranking, `in_segment`, two columns compared) is dropped from
its term, which can only make the term larger; such a term is marked inexact, so it is never
used as proof that something *can* happen.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal as L

from segdsl.dsl import typed as t
from segdsl.dsl.timeline import midnight

MAX_TERMS = 256
"""Past this many alternatives the analysis gives up on a rule (and says nothing)."""

Kind = L["missing", "present", "lower", "upper", "in", "not_in"]


@dataclass(frozen=True)
class Prim:
    """One constraint on one operand: missing, present, a bound, a set of values or exclusions.

    Every kind but `missing` implies the value is present. `value` is a bound (a concrete value
    or a `RelTime`) or, for `in`/`not_in`, a frozenset of concrete values.
    """

    operand: object
    kind: Kind
    value: object = None
    strict: bool = False
    text: str = field(default="", compare=False)
    """The operand as written in the rule."""
    desc: str = field(default="", compare=False)
    """The constraint as written or as implied (`> 50`, `missing`, `<= 30`)."""


@dataclass(frozen=True)
class Term:
    prims: tuple[Prim, ...] = ()
    exact: bool = True
    """False when an atom we do not understand was dropped from it."""


Dnf = list[Term]
TRUE: Dnf = [Term()]
FALSE: Dnf = []


class TooBig(Exception):
    """The normal form would pass MAX_TERMS alternatives."""


@dataclass(frozen=True)
class Conflict:
    operand_text: str
    descs: tuple[str, ...]

    def reason(self) -> str:
        descs = list(dict.fromkeys(self.descs))
        if len(descs) == 1:
            return f"{self.operand_text} cannot be {descs[0]}"
        if len(descs) == 2:
            return f"{self.operand_text} cannot be both {descs[0]} and {descs[1]}"
        return f"{self.operand_text} cannot be {', '.join(descs[:-1])} and {descs[-1]} at once"


# --- building the normal form ---------------------------------------------------------------


class Builder:
    """Turns conditions of one project into DNF; `metrics` lets a metric stand for its definition."""

    def __init__(self, metrics: dict[str, t.Metric]):
        self.metrics = metrics
        self.dropped: list[Conflict] = []
        """Conflicts of the alternatives dropped while building, for messages."""
        self.metric_names: dict[object, str] = {}
        """Operand → the metric it came from, when a metric stood for its definition."""

    def dnf(self, node: t.TExpr, text: str, positive: bool = True) -> Dnf:
        """The rule `node` (written as `text`) in DNF; raises `TooBig`."""
        match node:
            case t.Not(operand=operand):
                return self.dnf(operand, text, not positive)
            case t.And(left=left, right=right) | t.Or(left=left, right=right):
                conjunction = isinstance(node, t.And) == positive
                a, b = self.dnf(left, text, positive), self.dnf(right, text, positive)
                return both(a, b, self.dropped) if conjunction else either(a, b)
        return self.atom(node, text, positive)

    # --- atoms --------------------------------------------------------------------------------

    def atom(self, node: t.TExpr, text: str, positive: bool) -> Dnf:
        """One predicate as alternatives of primitives; an atom not understood is unknown."""
        found = self._atom(node, text)
        if found is None:
            return [Term((), exact=False)]
        positives, negatives = found
        return positives if positive else negatives

    def _atom(self, node: t.TExpr, text: str) -> tuple[Dnf, Dnf] | None:
        match node:
            case t.Compare(op=op, left=left, right=right):
                key, value = self.operand(left), _value(right)
                if key is None or value is None:
                    key, value, op = self.operand(right), _value(left), _FLIP[op]
                    left, right = right, left
                if key is None or value is None:
                    return None
                return self._compare(key, _slice(text, left), op, value, _slice(text, right))
            case t.InList(operand=operand, values=values, negated=negated):
                key = self.operand(operand)
                items = [_value(v) for v in values]
                if key is None or any(v is None or isinstance(v, t.RelTime) for v in items):
                    return None
                shown = [_slice(text, v) for v in values]
                inside = _one(Prim(key, "in", frozenset(items), text=_slice(text, operand),
                                   desc=_set_desc("=", "IN", shown)))
                outside = _one(Prim(key, "not_in", frozenset(items), text=_slice(text, operand),
                                    desc=_set_desc("!=", "NOT IN", shown)))
                missing = _one(Prim(key, "missing", text=_slice(text, operand), desc="missing"))
                yes, no = inside, either(missing, outside)
                return (outside, either(missing, inside)) if negated else (yes, no)
            case t.Between(operand=operand, low=low, high=high, negated=negated):
                key, lo, hi = self.operand(operand), _value(low), _value(high)
                if key is None or lo is None or hi is None:
                    return None
                shown, lo_text, hi_text = _slice(text, operand), _slice(text, low), _slice(text, high)
                inside = [Term((Prim(key, "lower", lo, False, shown, f">= {lo_text}"),
                                Prim(key, "upper", hi, False, shown, f"<= {hi_text}")))]
                outside = [Term((Prim(key, "upper", lo, True, shown, f"< {lo_text}"),)),
                           Term((Prim(key, "lower", hi, True, shown, f"> {hi_text}"),))]
                missing = _one(Prim(key, "missing", text=shown, desc="missing"))
                # NOT BETWEEN is false on a missing value too (SPEC §3), and NOT of it true.
                if negated:
                    return outside, either(missing, inside)
                return inside, either(missing, outside)
            case t.IsMissing(operand=operand, negated=negated):
                key = self.operand(operand)
                if key is None:
                    return None
                shown = _slice(text, operand)
                missing = _one(Prim(key, "missing", text=shown, desc="missing"))
                present = _one(Prim(key, "present", text=shown, desc="present (IS NOT MISSING)"))
                return (present, missing) if negated else (missing, present)
            case t.TextMatch(operand=operand):
                # True or false, a text match needs its operand present; its negation does not.
                key = self.operand(operand)
                if key is None:
                    return None
                desc = text[operand.span.end:node.span.end].strip() or "matched"
                return [Term((Prim(key, "present", text=_slice(text, operand), desc=desc),), exact=False)], \
                    [Term((), exact=False)]
            case t.Within(operand=operand, start=start):
                key = self.operand(operand)
                if key is None:
                    return None
                shown = _slice(text, operand)
                desc = text[operand.span.end:node.span.end].strip()
                now = t.RelTime(t.Offset())
                inside = [Term((Prim(key, "lower", start, False, shown, desc),
                                Prim(key, "upper", now, False, shown, desc)))]
                outside = [Term((Prim(key, "missing", text=shown, desc="missing"),)),
                           Term((Prim(key, "upper", start, True, shown, f"not {desc}"),)),
                           Term((Prim(key, "lower", now, True, shown, "after now"),))]
                return inside, outside
            case t.IsTrue(operand=operand):
                key = self.operand(operand)
                if key is None:
                    return None
                shown = _slice(text, operand)
                yes = _one(Prim(key, "in", frozenset([True]), text=shown, desc="true"))
                no = either(_one(Prim(key, "missing", text=shown, desc="missing")),
                            _one(Prim(key, "in", frozenset([False]), text=shown, desc="false")))
                return yes, no
        return None

    def _compare(self, key, shown: str, op: str, value, value_text: str) -> tuple[Dnf, Dnf]:
        missing = _one(Prim(key, "missing", text=shown, desc="missing"))

        def prim(kind_op: str) -> Dnf:
            desc = f"{kind_op} {value_text}"
            match kind_op:
                case "=":
                    if isinstance(value, t.RelTime):
                        return [Term((Prim(key, "lower", value, False, shown, desc),
                                      Prim(key, "upper", value, False, shown, desc)))]
                    return _one(Prim(key, "in", frozenset([value]), text=shown, desc=desc))
                case "!=":
                    if isinstance(value, t.RelTime):  # only "present" is sure
                        return [Term((Prim(key, "present", text=shown, desc=desc),), exact=False)]
                    return _one(Prim(key, "not_in", frozenset([value]), text=shown, desc=desc))
                case "<" | "<=":
                    return _one(Prim(key, "upper", value, kind_op == "<", shown, desc))
                case _:
                    return _one(Prim(key, "lower", value, kind_op == ">", shown, desc))

        return prim(op), either(missing, prim(_NEGATE[op]))

    # --- operands -----------------------------------------------------------------------------

    def operand(self, node: t.TExpr):
        """The key an operand's atoms share, or None when its value is not one per row.

        A date compared with a timestamp is its midnight, so `ToTimestamp` is looked through
        and values are compared as midnights. A metric stands for its definition, so
        `orders_90d` and `count(orders) over 90d` are one operand.
        """
        while isinstance(node, t.ToTimestamp):
            node = node.operand
        if isinstance(node, (t.Const, t.RelTime)):
            return None
        if isinstance(node, t.MetricRef) and node.name in self.metrics:
            definition = self.metrics[node.name].expr
            if not any(isinstance(n, (t.Rank, t.SegmentRef)) for n in t.walk(definition)):
                key = self.operand(definition)
                if key is not None:
                    self.metric_names.setdefault(key, node.name)
                return key
            return node
        if any(isinstance(n, (t.Rank, t.SegmentRef)) for n in t.walk(node)):
            return None  # a ranking's value depends on the scope, in_segment on another rule
        return node


_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATE = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _value(node: t.TExpr):
    """A literal's value as compared: dates as midnights; None when not a literal."""
    while isinstance(node, t.ToTimestamp):
        node = node.operand
    if isinstance(node, t.RelTime):
        return node
    if isinstance(node, t.Const):
        return midnight(node.value)
    return None


def _slice(text: str, node) -> str:
    span = getattr(node, "span", None)
    if span is None or span.end <= span.start or span.end > len(text):
        return "it"
    return text[span.start:span.end]


def _set_desc(one: str, many: str, shown: list[str]) -> str:
    return f"{one} {shown[0]}" if len(shown) == 1 else f"{many} ({', '.join(shown)})"


def _one(prim: Prim) -> Dnf:
    return [Term((prim,))]


def either(a: Dnf, b: Dnf) -> Dnf:
    out = a + b
    if len(out) > MAX_TERMS:
        raise TooBig
    return out


def both(a: Dnf, b: Dnf, dropped: list[Conflict] | None = None) -> Dnf:
    """The conjunction; alternatives found empty drop out at once (their conflict goes to
    `dropped`), which keeps the form small."""
    if len(a) * len(b) > MAX_TERMS * 4:
        raise TooBig
    out = []
    for x in a:
        for y in b:
            term = Term(x.prims + y.prims, x.exact and y.exact)
            found = conflict(term)
            if found is None:
                out.append(term)
            elif dropped is not None:
                dropped.append(found)
    if len(out) > MAX_TERMS:
        raise TooBig
    return out


# --- satisfiability ---------------------------------------------------------------------------


def never_missing(key) -> bool:
    """Counts and sums are 0 for an entity without events, never missing."""
    return isinstance(key, t.Aggregate) and key.function in ("count", "count_distinct", "sum") \
        and key.per_days is None


_COUNT_FLOOR = "negative (a count never is)"
"""How the implicit bound `count >= 0` reads in a message."""


def never_negative(key) -> bool:
    return isinstance(key, t.Aggregate) and key.function in ("count", "count_distinct")


def conflict(term: Term) -> Conflict | None:
    """Why the conjunction is empty for every row, or None when it may be satisfied."""
    groups: dict[object, list[Prim]] = {}
    for prim in term.prims:
        groups.setdefault(prim.operand, []).append(prim)
    for key, prims in groups.items():
        found = _operand_conflict(key, prims)
        if found is not None:
            return Conflict(prims[0].text, tuple(p.desc for p in found))
    return None


def _operand_conflict(key, prims: list[Prim]) -> list[Prim] | None:
    missing = [p for p in prims if p.kind == "missing"]
    others = [p for p in prims if p.kind != "missing"]
    if missing and never_missing(key):
        return [Prim(key, "missing", desc="missing: a count or sum is 0 without events")]
    if missing and others:
        return [missing[0], others[0]]
    if missing:
        return None
    lowers = [p for p in prims if p.kind == "lower"]
    uppers = [p for p in prims if p.kind == "upper"]
    if never_negative(key):
        lowers.append(Prim(key, "lower", 0, False, desc=_COUNT_FLOOR))
    for low in lowers:
        for high in uppers:
            order = compare(low.value, high.value)
            if order is not None and (order > 0 or (order == 0 and (low.strict or high.strict))):
                if low.desc == _COUNT_FLOOR:
                    return [low]
                return [low, high]
    ins = [p for p in prims if p.kind == "in"]
    outs = [p for p in prims if p.kind == "not_in"]
    excluded = frozenset().union(*(p.value for p in outs)) if outs else frozenset()
    if not ins and getattr(key, "type", None) == t.BOOLEAN and outs:
        ins_values, used = {True, False}, []
    elif ins:
        ins_values, used = set(ins[0].value), [ins[0]]
        for p in ins[1:]:
            used.append(p)
            ins_values &= p.value
            if not ins_values:
                return used
    else:
        ins_values = None
    if ins_values is not None:
        left = {v for v in ins_values if v not in excluded and (not integral(key) or _whole(v))}
        if not left:
            return used + outs
        bounds_used: list[Prim] = []
        for p in lowers + uppers:
            kept = {v for v in left if not _outside(v, p)}
            if kept != left:
                bounds_used.append(p)
            left = kept
            if not left:
                return used + [o for o in outs if o.value & ins_values] + bounds_used
        return None
    if integral(key):
        return _integer_conflict(lowers, uppers, outs, excluded)
    # A single point excluded: `x >= 3 AND x <= 3 AND x != 3`.
    for low in lowers:
        for high in uppers:
            if not low.strict and not high.strict and compare(low.value, high.value) == 0 \
                    and not isinstance(low.value, t.RelTime) and low.value in excluded:
                return [low, high] + [o for o in outs if low.value in o.value]
    return None


_ENUMERABLE = 64


def _integer_conflict(lowers: list[Prim], uppers: list[Prim], outs: list[Prim], excluded) -> list[Prim] | None:
    """Counts are whole numbers: `n > 0 AND n < 1` is empty, and so is `n >= 0 AND n < 2 AND
    n NOT IN (0, 1)` (a short range is enumerated)."""
    low = max((_ceil(p) for p in lowers if _number(p.value)), default=None)
    high = min((_floor(p) for p in uppers if _number(p.value)), default=None)
    if low is None or high is None or high - low > _ENUMERABLE:
        return None
    if any(v not in excluded for v in range(low, high + 1)):
        return None
    used = [p for p in lowers + uppers if p.desc != _COUNT_FLOOR]
    return used + [o for o in outs if any(low <= v <= high for v in o.value if _number(v))]


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value) -> bool:
    return _number(value) and float(value).is_integer()


def _ceil(p: Prim) -> int:
    n = math.ceil(p.value)
    return n + 1 if p.strict and n == p.value else n


def _floor(p: Prim) -> int:
    n = math.floor(p.value)
    return n - 1 if p.strict and n == p.value else n


def integral(key) -> bool:
    """Counts are whole numbers (a count turned into a rate is not)."""
    return never_negative(key) and key.per_days is None


def _outside(value, bound: Prim) -> bool:
    """True only when `value` surely violates the bound."""
    order = compare(value, bound.value)
    if order is None:
        return False
    if bound.kind == "lower":
        return order < 0 or (order == 0 and bound.strict)
    return order > 0 or (order == 0 and bound.strict)


def compare(a, b) -> int | None:
    """-1, 0 or 1 when a's order with b is the same for every as_of; None when it may vary."""
    if isinstance(a, t.RelTime) or isinstance(b, t.RelTime):
        if not (isinstance(a, t.RelTime) and isinstance(b, t.RelTime)):
            return None
        if a == b:
            return 0
        if a.as_date or b.as_date:
            return None
        # as_of − m months − s seconds falls earlier as m and s grow (calendar months are
        # monotonic even with clamping to the month's last day).
        (ma, sa), (mb, sb) = (a.offset.months, a.offset.seconds), (b.offset.months, b.offset.seconds)
        if ma >= mb and sa >= sb:
            return -1
        if ma <= mb and sa <= sb:
            return 1
        return None
    if isinstance(a, bool) != isinstance(b, bool):
        return None
    if isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
        return None
    try:
        return -1 if a < b else (1 if a > b else 0)
    except TypeError:
        return None


def unsatisfiable(dnf: Dnf) -> list[Conflict] | None:
    """The conflicts of every alternative when none can be true, else None."""
    conflicts = []
    for term in dnf:
        found = conflict(term)
        if found is None:
            return None
        conflicts.append(found)
    return conflicts
