"""Why one entity is or is not in each segment, computed by one SQL query on DuckDB.

Input: a checked `typed.Project`, a DuckDB connection, the relation to read each source from
(as `segdsl.compiler.build.build` takes them), as_of, the entity's key value, and optionally
the segments, layers or microsegments to explain.
Output: an `Explanation` (`segdsl.explain.model`).

The query is the one-pass evaluation itself — the same plan, the same common table expressions
(aggregations, base, one projection per level), so a ranking sees every row of its scope as in
`eval` — with one last projection instead of the members list: a column per value an atom reads
and per verdict, every rule's node built by the compiler's own `Builder`, filtered to the one
key. Verdicts therefore agree with `eval` by construction; Python only formats what comes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence

import duckdb
from sqlglot import exp

from segdsl.compiler import build, plan
from segdsl.compiler import plan as p
from segdsl.compiler.expressions import Builder, Columns, timestamp
from segdsl.compiler.names import column, identifier, table
from segdsl.dsl import ast, timeline
from segdsl.dsl import typed as t
from segdsl.engine.local import DataError
from segdsl.explain import model as m
from segdsl.explain.lookup import UnknownId, key_hint, key_match, selection
from segdsl.explain.values import number_text, offset_text, show, value_operand, window_text

Row = Sequence[object]
Thunk = Callable[[Row], object]
"""Turns the query's one row into a piece of the explanation, once the row is there."""


def explain(project: t.Project, con: duckdb.DuckDBPyConnection, relations: Mapping[str, exp.Expression],
            as_of: dt.datetime, key_value: object, paths: Sequence[str] | None = None) -> m.Explanation:
    """Explain every segment, layer and microsegment (or only `paths` and their parents) for
    the entity whose key is `key_value` (a text is read as the key column's type)."""
    chosen = selection(project, paths)
    the_plan = plan(project, as_of)
    entity = relations.get(project.entity) or table(project.entity)
    number = project.sources[project.entity].columns.get(project.key, t.STRING).kind == "number"
    match = key_match(project, key_value)
    if match is None:
        raise UnknownId(project.entity, project.key, key_value,
                        f"{project.key} is a number in {project.entity}, and {key_value!r} is not one",
                        number=number)
    query = _Query(the_plan)
    key_slot = query.slot(column(project.key))
    segments = [query.segment(s) for s in project.segments if s.path in chosen]
    layers = [query.layer(layer) for layer in project.layers if layer.name in chosen]
    micros = [query.microsegment(ms) for ms in project.microsegments if ms.name in chosen]
    rows = con.execute(query.statement(build(the_plan, relations), match).sql(dialect="duckdb")).fetchall()
    if not rows:
        raise UnknownId(project.entity, project.key, key_value, key_hint(con, project, entity), number=number)
    if len(rows) > 1:
        shown = key_value if number else show(key_value, t.STRING)
        raise DataError(f"source {project.entity}: {len(rows)} rows have {project.key} = {shown}",
                        "the entity source must have one row per key")
    [row] = rows
    return m.Explanation(project.entity, project.key, row[key_slot], as_of, tuple(s(row) for s in segments),
                         tuple(layer(row) for layer in layers), tuple(ms(row) for ms in micros))


# --- the query -----------------------------------------------------------------------------------


class _Query:
    """Collects the final projection's columns; each method returns a thunk for the model."""

    def __init__(self, the_plan: p.Plan):
        self.plan = the_plan
        self.columns = Columns(the_plan.aggregates, the_plan.ranks, the_plan.metrics, the_plan.segments)
        self.selects: list[exp.Expression] = []
        self.slots: dict[str, int] = {}
        self.metric_text = {metric.name: metric for metric in the_plan.project.metrics}

    def slot(self, expression: exp.Expression) -> int:
        """The index of `expression` in the row; one column for equal expressions."""
        sql = expression.sql(dialect="duckdb")
        if sql not in self.slots:
            self.slots[sql] = len(self.selects)
            self.selects.append(exp.alias_(expression, identifier(f"explain_{len(self.selects)}")))
        return self.slots[sql]

    def statement(self, evaluation: exp.Select, match: exp.Expression) -> exp.Select:
        """The evaluation's common table expressions, then our projection of the one row."""
        levels = self.plan.levels
        last = self.plan.relation_names[f"level_{levels}"] if levels else self.plan.relation_names["base"]
        query = exp.select(*self.selects, copy=False).from_(table(last), copy=False).where(match, copy=False)
        for cte in evaluation.ctes:
            query = query.with_(cte.args["alias"].this, as_=cte.this, copy=False)
        return query

    # --- segments, layers, microsegments ---------------------------------------------------

    def segment(self, segment: t.Segment) -> Thunk:
        check = self.check(segment.rule, segment.text, segment.parent)
        member = self.slot(column(self.plan.segments[segment.path]))
        parent = self._membership(segment.parent)
        return lambda row: m.SegmentExplanation(segment.path, segment.text, check(row), segment.parent,
                                                parent(row), bool(row[member]))

    def layer(self, layer: t.Layer) -> Thunk:
        tiers = []
        for tier in layer.tiers:
            check = self.check(tier.rule, tier.text or "", layer.within) if tier.rule is not None else None
            tiers.append((tier, check))
        winner = self.slot(column(self.plan.layers[layer.name]))
        within = self._membership(layer.within)
        return lambda row: m.LayerExplanation(
            layer.name, layer.within, within(row),
            tuple(m.TierExplanation(tier.name, tier.text, None) if check is None
                  else m.TierExplanation(tier.name, tier.text, check(row)) for tier, check in tiers),
            row[winner])

    def microsegment(self, ms: t.Microsegment) -> Thunk:
        key = self.slot(column(self.plan.microsegments[ms.name]))
        labels = [(name, self.slot(column(self.plan.layers[name]))) for name in ms.layers]
        within = self._membership(ms.within)
        return lambda row: m.MicrosegmentExplanation(ms.name, tuple((name, row[i]) for name, i in labels),
                                                     ms.within, within(row), row[key])

    def _membership(self, path: str | None) -> Thunk:
        if path is None:
            return lambda row: None
        slot = self.slot(column(self.plan.segments[path]))
        return lambda row: bool(row[slot])

    # --- a rule's boolean structure ------------------------------------------------------------

    def check(self, node: t.TExpr, text: str, scope: str | None) -> Thunk:
        """The rule's AND/OR/NOT structure down to its atoms, every verdict a column."""
        builder = Builder(self.columns, self.plan.as_of, scope)
        verdict = self.slot(builder.condition(node))
        label = _text(node, text)
        match node:
            case t.And() | t.Or():
                parts = [self.check(part, text, scope) for part in _chain(node, type(node))]
                op = "AND" if isinstance(node, t.And) else "OR"
                return lambda row: m.Combination(op, label, bool(row[verdict]), tuple(part(row) for part in parts))
            case t.Not(operand=operand):
                inner = self.check(operand, text, scope)
                return lambda row: m.Combination("NOT", label, bool(row[verdict]), (inner(row),))
        operands = self._operands(node, text, scope)
        return lambda row: m.Atom(label, bool(row[verdict]), tuple(o(row) for o in operands))

    def _operands(self, atom: t.TExpr, text: str, scope: str | None) -> list[Thunk]:
        match atom:
            case t.Compare(left=left, right=right):
                tops = [left, right]
            case t.InList(operand=operand, values=values):
                tops = [operand, *values]
            case t.Between(operand=operand, low=low, high=high):
                tops = [operand, low, high]
            case t.IsMissing(operand=operand) | t.IsTrue(operand=operand) | t.Within(operand=operand):
                tops = [operand]
            case t.TextMatch(operand=operand, pattern=pattern):
                tops = [operand, pattern]
            case _:
                tops = []
        rate = next((top.type for top in tops if top.type.kind == "rate"), None)
        written = _written_unit(tops, text)
        out: list[Thunk] = []
        seen: set[str] = set()
        for top in tops:
            if isinstance(top, t.Const):
                converted = _converted_literal(top, text, rate)
                if converted is not None and converted.text not in seen:
                    seen.add(converted.text)
                    out.append(lambda row, c=converted: c)
                continue
            for node in _named(top):
                label = _text(node, text)
                if isinstance(node, t.SegmentRef) and label == _text(atom, text):
                    continue  # `in_segment(p)` alone: its value is its verdict
                if label in seen:
                    continue
                seen.add(label)
                if _is_scaled(node) and rate is not None:  # the checker's unit conversion of a rate
                    inner = self._note(node.left, scope)
                    note = f"converted to per {rate.per}, as compared" + (f"; {inner}" if inner else "")
                    out.append(self._operand(node, label, scope, written, rate, note))
                else:
                    out.append(self._operand(node, label, scope, written))
        if isinstance(atom, t.Within):
            start = self.slot(timestamp(timeline.bound(atom.start, self.plan.as_of)))
            as_of = self.slot(timestamp(self.plan.as_of))
            note = f"as_of − {offset_text(atom.start.offset)}"
            out.append(lambda row: value_operand("window start", row[start], t.TIMESTAMP, note))
            out.append(lambda row: value_operand("as_of", row[as_of], t.TIMESTAMP))
        return out

    def _operand(self, node: t.TExpr, label: str, scope: str | None, written: str | None,
                 kind: t.Type | None = None, note: str | None = None) -> Thunk:
        slot = self.slot(Builder(self.columns, self.plan.as_of, scope).value(node))
        note = note or self._note(node, scope)
        kind = kind or node.type
        if written and kind.kind == "rate" and kind.per and written != kind.per:
            factor = t.UNIT_DAYS[written] / kind.per_days

            def in_written(value: object) -> str | None:
                if value is None:
                    return note
                extra = f"{number_text(float(value) * factor)}/{written} in the unit of the rule's literal"
                return f"{note}; {extra}" if note else extra
            return lambda row: value_operand(label, row[slot], kind, in_written(row[slot]))
        return lambda row: value_operand(label, row[slot], kind, note)

    def _note(self, node: t.TExpr, scope: str | None) -> str | None:
        """What a value is, when its text does not say it all."""
        as_of = self.plan.as_of
        match node:
            case t.MetricRef(name=name):
                metric = self.metric_text[name]
                window = window_text(metric.expr, as_of) if isinstance(metric.expr, t.Aggregate) else None
                return f"metric: {metric.text}" + (f"; {window}" if window else "")
            case t.Aggregate():
                return window_text(node, as_of)
            case t.Rank():
                among = f"the members of {scope}" if scope else f"every {self.plan.project.entity} row"
                return f"ranked among {among}"
            case t.RelTime(offset=offset, as_date=as_date):
                if as_date and not offset.months and not offset.seconds:
                    return "the date of as_of"
                return f"as_of − {offset_text(offset)}" + (", its date" if as_date else "")
            case t.SegmentRef(path=path):
                return f"membership of {path}"
        return None


# --- rule structure helpers ----------------------------------------------------------------------


def _chain(node: t.TExpr, kind: type) -> Iterator[t.TExpr]:
    """`a AND b AND c` as its three parts (nested the same way on either side)."""
    if isinstance(node, kind):
        yield from _chain(node.left, kind)
        yield from _chain(node.right, kind)
    else:
        yield node


def _named(node: t.TExpr) -> Iterator[t.TExpr]:
    """An operand and the values it is made of, outermost first; literals left out.

    `upper(country)` gives itself and `country`; a date promoted to a timestamp is shown as
    the date it is; aggregates, metrics and rankings are one value (a ranking also shows what
    it ranks by).
    """
    match node:
        case t.Const():
            return
        case t.ToTimestamp(operand=operand):
            yield from _named(operand)
            return
    yield node
    match node:
        case t.Arith(left=left, right=right):
            yield from _named(left)
            yield from _named(right)
        case t.Neg(operand=operand):
            yield from _named(operand)
        case t.Func(args=args):
            for arg in args:
                yield from _named(arg)
        case t.Rank(arg=arg):
            yield from _named(arg)


def _is_scaled(node: t.TExpr) -> bool:
    """A rate the checker multiplied into another unit: `Arith('*')` spanning only its rate.

    Its type is still the rate's own unit; its value is in the unit it is compared with.
    """
    return (isinstance(node, t.Arith) and node.op == "*" and isinstance(node.right, t.Const)
            and node.type.kind == "rate" and node.span == getattr(node.left, "span", None))


def _text(node: t.TExpr, text: str) -> str:
    """The node as written in the rule, from its span; a readable stand-in when it has none."""
    span = getattr(node, "span", ast.NO_SPAN)
    if span.end > span.start and span.end <= len(text):
        return text[span.start:span.end]
    match node:
        case t.Field(name=name) | t.MetricRef(name=name):
            return name
        case t.SegmentRef(path=path):
            return f"in_segment({path})"
        case t.RelTime(offset=offset, as_date=as_date):
            return "today" if as_date and not offset.months and not offset.seconds else f"{offset_text(offset)} ago"
    return type(node).__name__.lower()


def _written_unit(tops: list[t.TExpr], text: str) -> str | None:
    """The unit of the rate literal an atom compares with, as written (`w` for `1/w`)."""
    for top in tops:
        if isinstance(top, t.Const):
            written = _rate_literal(top, text)
            if written is not None:
                return written.unit
    return None


def _rate_literal(const: t.Const, text: str) -> ast.Rate | None:
    from segdsl.dsl.parser import parse_rule

    span = const.span
    if span.end <= span.start:
        return None
    try:
        parsed = parse_rule(text[span.start:span.end])
    except Exception:  # noqa: BLE001 - not a literal of its own: nothing to say about units
        return None
    return parsed if isinstance(parsed, ast.Rate) else None


def _converted_literal(const: t.Const, text: str, rate: t.Type | None) -> m.Operand | None:
    """A rate literal the checker converted to the unit it is compared with (`1/w` = 4.35/mo)."""
    written = _rate_literal(const, text)
    if written is None or rate is None or rate.per is None or written.unit == rate.per:
        return None
    return m.Operand(written.text, const.value, f"{number_text(const.value)}/{rate.per}",
                     f"{written.text} in the unit of what it is compared with")
