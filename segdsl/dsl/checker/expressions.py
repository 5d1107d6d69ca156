"""Parse AST → typed IR for one expression: names resolved, types and units checked.

Input: an `ast.Expr` from a rule or metric and its `Context` (what names can mean there).
Output: a `typed.TExpr`, or None where a problem was found; every problem becomes a
diagnostic pointing into the rule's YAML scalar. A failing sub-expression yields None and its
parents stay quiet, so one mistake gives one message.
"""

from __future__ import annotations

import re

from segdsl.dsl import ast
from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.checker.aggregates import AggregateChecks
from segdsl.dsl.checker.scope import Context
from segdsl.dsl.checker.types import NUMERIC, ORDERED, TEMPORAL, UNIT_WORDS, _a, type_words
from segdsl.dsl.checker.units import offset_of, rate_factor
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.printer import to_text
from segdsl.dsl.suggest import suggestion_text


_UNSET = object()

_NUMBER_TEXT = re.compile(r"[+-]?([0-9][0-9_]*(\.[0-9]+)?|\.[0-9]+)")

FUNCTIONS = ("lower", "upper", "abs", "coalesce", "length", "year", "month", "days_since")
RANKINGS = ("ntile", "percent_rank")


class ExpressionChecker(AggregateChecks):
    def __init__(self, diags: list[Diagnostic]):
        self.diags = diags
        self._unit_warned: set[tuple[int, int, int]] = set()

    # --- reporting -------------------------------------------------------------------------

    def error(self, ctx: Context, node: ast.Expr, code: str, message: str, **kw) -> None:
        self.diags.append(d.error(code, message, ctx.rule.span(node.span), **kw))

    def warn(self, ctx: Context, node: ast.Expr, code: str, message: str, **kw) -> None:
        self.diags.append(d.warning(code, message, ctx.rule.span(node.span), **kw))

    def error_at(self, ctx: Context, span: ast.Span, code: str, message: str, **kw) -> None:
        self.diags.append(d.error(code, message, ctx.rule.span(span), **kw))

    @staticmethod
    def _written(node: ast.Expr, ctx: Context) -> str:
        """The node's text as the user wrote it in the rule."""
        return ctx.rule.text[node.span.start:node.span.end]

    @staticmethod
    def _is_name(word: str, ctx: Context) -> bool:
        """Whether a bare word on the value side is also the name of a field or metric."""
        if ctx.kind == "where":
            return word in (ctx.scope.sources[ctx.event_source].columns or {})
        return word in (ctx.scope.entity_columns or {}) or word in ctx.scope.metric_names

    # --- entry points ----------------------------------------------------------------------

    def condition(self, node: ast.Expr, ctx: Context) -> t.TExpr | None:
        """A rule: must be a condition; a boolean value stands for `value is true`."""
        typed = self.expr(node, ctx)
        if typed is None:
            return None
        return self._as_condition(typed, node, ctx)

    def _as_condition(self, typed: t.TExpr, node: ast.Expr, ctx: Context) -> t.TExpr | None:
        if isinstance(typed, t.Condition):
            return typed
        if typed.type.kind == "boolean":
            return t.IsTrue(typed, span=node.span)
        self.error(
            ctx, node, "E303", f"expected a condition, but `{to_text(node)}` is a {type_words(typed.type)}",
            label="not true or false", hint=f"compare it with something, e.g. `{to_text(node)} > 0`",
        )
        return None

    def expr(self, node: ast.Expr, ctx: Context) -> t.TExpr | None:
        match node:
            case ast.Number(value=v):
                return t.Const(v, t.NUMBER, node.span)
            case ast.Percent(value=v):
                return t.Const(v, t.NUMBER, node.span)
            case ast.String(value=v):
                return t.Const(v, t.STRING, node.span)
            case ast.Boolean(value=v):
                return t.Const(v, t.BOOLEAN, node.span)
            case ast.Date(value=v):
                return t.Const(v, t.DATE, node.span)
            case ast.Timestamp(value=v):
                return t.Const(v, t.TIMESTAMP, node.span)
            case ast.Rate(amount=a, unit=u):
                return t.Const(a, t.rate(u), node.span)
            case ast.Duration():
                self.error(ctx, node, "E301", f"`{node.text}` is a length of time, not a point in time",
                           hint=f"for a time in the past write `{node.text} ago`; for recency use `WITHIN {node.text}`")
                return None
            case ast.Ago(duration=dur):
                offset = self._offset(dur, ctx)
                return None if offset is None else t.RelTime(offset, span=node.span)
            case ast.Now(kind=kind):
                return t.RelTime(t.Offset(), as_date=kind == "today", span=node.span)
            case ast.Name():
                return self._name(node, ctx)
            case ast.InSegment(path=path):
                return self._in_segment(node, path, ctx)
            case ast.Arith():
                return self._arith(node, ctx)
            case ast.Neg(operand=a):
                operand = self.expr(a, ctx)
                if operand is None:
                    return None
                if operand.type.kind not in NUMERIC:
                    self.error(ctx, node, "E302", f"cannot negate a {type_words(operand.type)}")
                    return None
                return t.Neg(operand, operand.type, node.span)
            case ast.Call():
                return self._call(node, ctx)
            case ast.Aggregate():
                return self._aggregate(node, ctx)
            case ast.Compare(op=op, left=a, right=b):
                pair = self._comparable(a, b, node, ctx)
                return None if pair is None else t.Compare(op, pair[0], pair[1], node.span)
            case ast.InList(operand=a, values=vs, negated=neg):
                operand = self.expr(a, ctx)
                values = [self._comparable(a, v, v, ctx, left=operand) for v in vs]
                if operand is None or any(p is None for p in values):
                    return None
                return t.InList(values[0][0], tuple(p[1] for p in values), neg, node.span)
            case ast.Between(operand=a, low=lo, high=hi, negated=neg):
                operand = self.expr(a, ctx)
                low = self._comparable(a, lo, lo, ctx, left=operand)
                high = self._comparable(a, hi, hi, ctx, left=operand)
                if operand is None or low is None or high is None:
                    return None
                return t.Between(low[0], low[1], high[1], neg, node.span)
            case ast.IsMissing(operand=a, negated=neg):
                operand = self.expr(a, ctx)
                return None if operand is None else t.IsMissing(operand, neg, node.span)
            case ast.TextMatch():
                return self._text_match(node, ctx)
            case ast.Within(operand=a, length=dur):
                return self._within(node, a, dur, ctx)
            case ast.Not(operand=a):
                operand = self.condition(a, ctx)
                return None if operand is None else t.Not(operand, node.span)
            case ast.And(left=a, right=b) | ast.Or(left=a, right=b):
                left, right = self.condition(a, ctx), self.condition(b, ctx)
                if left is None or right is None:
                    return None
                cls = t.And if isinstance(node, ast.And) else t.Or
                return cls(left, right, node.span)
        raise TypeError(f"unhandled node {node!r}")

    # --- names -----------------------------------------------------------------------------

    def _name(self, node: ast.Name, ctx: Context) -> t.TExpr | None:
        scope, name = ctx.scope, node.name
        if ctx.kind == "where":
            source = scope.sources[ctx.event_source]
            if source.columns is None:
                return None
            if name in source.columns:
                return t.EventField(source.name, name, source.columns[name], node.span)
            self.error(ctx, node, "E206", f"unknown column '{name}' of {source.name}"
                       f"{suggestion_text(name, source.columns)}", label=f"not a column of {source.name}",
                       hint="inside `where`, names are the event source's columns")
            return None
        if name in scope.metric_names and not node.quoted or (node.quoted and name in scope.metric_names
                                                                and name not in (scope.entity_columns or {})):
            ctx.metric_refs.append(name)
            mtype = scope.metric_type(name)
            return None if mtype is None else t.MetricRef(name, mtype, node.span)
        if scope.entity_columns is None:
            return None
        if name in scope.entity_columns:
            return t.Field(name, scope.entity_columns[name], node.span)
        candidates = set(scope.entity_columns) | scope.metric_names
        hint = None
        if name in scope.sources:
            hint = f"`{name}` is an event source: aggregate it, e.g. `count({name}) over 90d`"
        self.error(ctx, node, "E201", f"unknown field '{name}'{suggestion_text(name, candidates)}",
                   label=f"not a field of {scope.entity} or a metric", hint=hint)
        return None

    def _in_segment(self, node: ast.InSegment, path: str, ctx: Context) -> t.TExpr | None:
        if ctx.kind != "rule":
            self.error(ctx, node, "E211", "in_segment() can only be used in segment and tier rules")
            return None
        if path not in ctx.scope.segment_paths:
            self.error(ctx, node, "E204", f"unknown segment '{path}'{suggestion_text(path, ctx.scope.segment_paths)}",
                       label="no segment with this path")
            return None
        ctx.segment_refs.append(path)
        ctx.segment_ref_spans.setdefault(path, node.span)
        return t.SegmentRef(path, node.span)

    # --- value expressions -----------------------------------------------------------------

    def _offset(self, dur: ast.Duration, ctx: Context) -> t.Offset | None:
        offset = offset_of(dur)
        if offset is None:
            days = round(dur.amount * t.UNIT_DAYS[dur.unit])
            self.error(ctx, dur, "E305", f"`{dur.text}` is not a whole number of months",
                       hint=f"months and years are calendar units and must come to whole months; "
                       f"in days, `{dur.text}` is about `{days}d`")
        return offset

    def _arith(self, node: ast.Arith, ctx: Context) -> t.TExpr | None:
        left, right = self.expr(node.left, ctx), self.expr(node.right, ctx)
        if left is None or right is None:
            return None
        lk, rk = left.type.kind, right.type.kind
        if lk not in NUMERIC or rk not in NUMERIC:
            bad, bad_node = (left, node.left) if lk not in NUMERIC else (right, node.right)
            hint = None
            word = bad_node.value if isinstance(bad_node, ast.String) else None
            if word is not None and bad_node.text == word and self._is_name(word, ctx):
                hint = f"`{word}` is read as text here; to use the field, write `{word}` in backticks"
            elif bad.type.kind in TEMPORAL:
                hint = "for times use `30d ago`, `WITHIN 30d` or days_since(x)"
            self.error(ctx, bad_node, "E302",
                       f"`{node.op}` needs numbers, but `{to_text(bad_node)}` is a {type_words(bad.type)}", hint=hint)
            return None
        if lk == "rate" and rk == "rate" and node.op in "+-":
            right = _scaled(right, rate_factor(right.type, left.type))
            return t.Arith(node.op, left, right, left.type, node.span)
        if lk == "rate" and rk == "rate":
            return t.Arith(node.op, left, right, t.NUMBER, node.span)
        if "rate" in (lk, rk) and (node.op == "*" or (node.op == "/" and lk == "rate")):
            return t.Arith(node.op, left, right, left.type if lk == "rate" else right.type, node.span)
        if "rate" in (lk, rk):
            self.error(ctx, node, "E305",
                       f"cannot `{node.op}` a {type_words(left.type)} and a {type_words(right.type)}",
                       hint="add or subtract rates with rates; multiply or divide them by numbers")
            return None
        return t.Arith(node.op, left, right, t.NUMBER, node.span)

    def _call(self, node: ast.Call, ctx: Context) -> t.TExpr | None:
        name = node.function
        if name in RANKINGS:
            return self._ranking(node, ctx)
        if name not in FUNCTIONS:
            self.error(ctx, node, "E207", f"unknown function '{name}'"
                       f"{suggestion_text(name, FUNCTIONS + RANKINGS + ('count', 'sum', 'avg', 'min', 'max'))}",
                       hint="functions: " + ", ".join(FUNCTIONS + RANKINGS))
            return None
        args = [self.expr(a, ctx) for a in node.args]
        if any(a is None for a in args):
            return None
        arity = {"coalesce": None}.get(name, 1)
        if (arity is not None and len(args) != arity) or (arity is None and len(args) < 2):
            wanted = "one argument" if arity == 1 else "two or more arguments"
            self.error(ctx, node, "E304", f"{name}() takes {wanted}, got {len(args)}")
            return None
        kinds = [a.type.kind for a in args]
        accepts = {
            "lower": {"string"}, "upper": {"string"}, "abs": NUMERIC, "length": {"string", "list"},
            "year": TEMPORAL, "month": TEMPORAL, "days_since": TEMPORAL,
        }
        if name == "coalesce":
            first = args[0].type
            for arg, a_node in zip(args[1:], node.args[1:]):
                if _family(arg.type) != _family(first):
                    self.error(ctx, a_node, "E302",
                               f"coalesce() mixes a {type_words(first)} and a {type_words(arg.type)}")
                    return None
            # Every argument in the result's type: dates as midnights when any is a timestamp,
            # rates in the first one's unit.
            result = _widest(a.type for a in args)
            args = [_unify_temporal(a, result) if a.type.kind != "rate" or a.type == result
                    else _scaled(a, rate_factor(a.type, result)) for a in args]
            return t.Func(name, tuple(args), result, node.span)
        if kinds[0] not in accepts[name]:
            wanted = " or ".join(sorted(accepts[name]))
            self.error(ctx, node.args[0], "E302",
                       f"{name}() needs a {wanted}, but `{to_text(node.args[0])}` is a {type_words(args[0].type)}")
            return None
        result = {"lower": t.STRING, "upper": t.STRING, "abs": args[0].type}.get(name, t.NUMBER)
        return t.Func(name, tuple(args), result, node.span)

    def _ranking(self, node: ast.Call, ctx: Context) -> t.TExpr | None:
        name = node.function
        if ctx.kind == "where":
            self.error(ctx, node, "E306", f"{name}() cannot be used inside `where`",
                       hint="rank entities in a segment, tier or metric rule instead")
            return None
        wanted = 2 if name == "ntile" else 1
        if len(node.args) != wanted:
            usage = "ntile(5, spend_365d)" if name == "ntile" else "percent_rank(spend_365d)"
            self.error(ctx, node, "E304", f"{name}() takes {wanted} argument{'s' * (wanted > 1)}, e.g. `{usage}`")
            return None
        tiles = None
        if name == "ntile":
            first = node.args[0]
            if not (isinstance(first, ast.Number) and isinstance(first.value, int) and first.value >= 1):
                self.error(ctx, first, "E302", "the number of tiles must be a whole number of at least 1, e.g. 5")
                return None
            tiles = first.value
        arg = self.expr(node.args[-1], ctx)
        if arg is None:
            return None
        if arg.type.kind not in ORDERED:
            self.error(ctx, node.args[-1], "E302",
                       f"{name}() ranks numbers, text or times, not a {type_words(arg.type)}")
            return None
        return t.Rank(name, arg, tiles, t.NUMBER, node.span)

    def _comparable(self, left_node, right_node, node, ctx: Context, left=_UNSET):
        """Both operands typed and made comparable (units converted, dates promoted).

        `left` is passed when the operand is already typed (IN lists, BETWEEN), so that a
        mistake in it is reported once, not once per value.
        """
        if left is _UNSET:
            left = self.expr(left_node, ctx)
        right = self.expr(right_node, ctx)
        if left is None or right is None:
            return None
        lt, rt = left.type, right.type
        if lt.kind == "rate" and rt.kind == "rate":
            return left, _scaled(right, rate_factor(rt, lt))
        if lt.kind == "number" and rt.kind == "rate" and isinstance(right, t.Const):
            # One warning per operand: `x BETWEEN 1/w AND 5/w` is one mistake.
            key = (id(ctx.rule), left_node.span.start, left_node.span.end)
            declared = isinstance(left, t.Field) and left.name in ctx.scope.declared_rates
            if not declared and key not in self._unit_warned:
                self._unit_warned.add(key)
                self.warn(ctx, right_node, "W301", f"`{to_text(left_node)}` has no unit, so `{to_text(right_node)}` "
                          f"is compared as the number {right.value}", hint=_unit_hint(left, rt))
            return left, t.Const(right.value, t.NUMBER, right.span)
        if {lt.kind, rt.kind} <= NUMERIC:
            return left, right
        if lt.kind in TEMPORAL and rt.kind in TEMPORAL:
            return _unify_temporal(left, rt), _unify_temporal(right, lt)
        if lt.kind == rt.kind and lt.kind in ("string", "boolean"):
            if lt.kind == "boolean" and isinstance(node, ast.Compare) and node.op not in ("=", "!="):
                self.error(ctx, node, "E301", "true and false can only be compared with `=` or `!=`")
                return None
            return left, right
        self._mismatch(left_node, right_node, left, right, node, ctx)
        return None

    def _mismatch(self, left_node, right_node, left, right, node, ctx: Context) -> None:
        hint = None
        word = right_node.value if isinstance(right_node, ast.String) else None
        lt_numeric = left.type.kind in NUMERIC
        if left.type.kind == "list":
            hint = (f"to test whether the list holds a value, write "
                    f"`{self._written(left_node, ctx)} CONTAINS {self._written(right_node, ctx)}`")
        elif word is not None and right_node.text == word and self._is_name(word, ctx):
            example = f"`{word}`"
            if isinstance(node, ast.Compare):
                example = f"{self._written(left_node, ctx)} {node.op} `{word}`"
            hint = f"`{word}` is read as text; to compare with the field, write it in backticks: {example}"
        elif word is not None and word != right_node.text and _NUMBER_TEXT.fullmatch(word) and lt_numeric:
            hint = f"{right_node.text} is text because of its quotes; write the number without them: {word}"
        elif isinstance(right_node, ast.Number) and left.type.kind in TEMPORAL:
            hint = "compare times with a date (2026-01-31), `30d ago`, `today` or `now`"
        self.diags.append(d.error(
            "E301", f"cannot compare {_a(left.type)} with {_a(right.type)}: "
            f"`{to_text(left_node)}` and `{to_text(right_node)}`",
            ctx.rule.span(node.span), label=f"{type_words(left.type)} vs {type_words(right.type)}", hint=hint,
        ))

    def _text_match(self, node: ast.TextMatch, ctx: Context) -> t.TExpr | None:
        operand, pattern = self.expr(node.operand, ctx), self.expr(node.pattern, ctx)
        if operand is None or pattern is None:
            return None
        kind = operand.type.kind
        if kind == "list" and node.kind == "contains":
            element = operand.type.element
            if element is not None and element.kind != pattern.type.kind:
                self.error(ctx, node.pattern, "E301",
                           f"the list holds {type_words(element)} values, not {type_words(pattern.type)}")
                return None
            return t.TextMatch(node.kind, operand, pattern, node.negated, True, node.span)
        if kind != "string" or pattern.type.kind != "string":
            bad, bad_node = (operand, node.operand) if kind != "string" else (pattern, node.pattern)
            words = node.kind.replace("_", " ").upper()
            self.error(ctx, bad_node, "E302",
                       f"{words} works on text, but `{to_text(bad_node)}` is a {type_words(bad.type)}")
            return None
        return t.TextMatch(node.kind, operand, pattern, node.negated, False, node.span)

    def _within(self, node: ast.Within, operand_node, dur: ast.Duration, ctx: Context) -> t.TExpr | None:
        operand = self.expr(operand_node, ctx)
        offset = self._offset(dur, ctx)
        if operand is None or offset is None:
            return None
        if operand.type.kind not in TEMPORAL:
            self.error(ctx, operand_node, "E302", f"WITHIN needs a date or time, but `{to_text(operand_node)}` "
                       f"is a {type_words(operand.type)}")
            return None
        return t.Within(_unify_temporal(operand, t.TIMESTAMP), t.RelTime(offset), node.span)




def _unit_hint(left: t.TExpr, rate: t.Type) -> str:
    unit = UNIT_WORDS.get(rate.per or "", rate.per)
    if isinstance(left, t.Field):
        return f"declare its unit in segdsl.yml: `fields: {{{left.name}: {{type: rate, per: {unit}}}}}`"
    if isinstance(left, t.MetricRef):
        return f"make the metric {left.name} a rate: end its definition with `per {unit}`"
    return f"compare with a plain number, or make the left side a rate with `per {unit}`"


def _family(type_: t.Type) -> str:
    """Types coalesce() may mix: dates with timestamps, numbers with rates (taken in its unit)."""
    if type_.kind in TEMPORAL:
        return "temporal"
    return "numeric" if type_.kind in NUMERIC else type_.kind


def _widest(types) -> t.Type:
    """coalesce()'s result type: a timestamp if any argument is one, else the first rate's type."""
    types = list(types)
    if any(x.kind == "timestamp" for x in types):
        return t.TIMESTAMP
    return next((x for x in types if x.kind == "rate"), types[0])


def _unify_temporal(value: t.TExpr, other: t.Type) -> t.TExpr:
    """A date meeting a timestamp becomes its midnight (SPEC §3)."""
    if value.type.kind == "date" and other.kind == "timestamp":
        return t.ToTimestamp(value, span=getattr(value, "span", ast.NO_SPAN))
    return value


def _scaled(value: t.TExpr, factor: float) -> t.TExpr:
    """A rate expressed in another unit; constants are folded (`1/w` → 4.348… per month)."""
    if factor == 1:
        return value if not isinstance(value, t.Const) else t.Const(value.value, t.NUMBER, value.span)
    if isinstance(value, t.Const):
        return t.Const(value.value * factor, t.NUMBER, value.span)
    return t.Arith("*", value, t.Const(factor, t.NUMBER), value.type, getattr(value, "span", ast.NO_SPAN))
