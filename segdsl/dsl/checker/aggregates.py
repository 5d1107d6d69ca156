"""Typing of inline aggregates and their windows (`count(orders where ...) over 90d per month`).

Input: an `ast.Aggregate` and its `Context`.
Output: a `typed.Aggregate` (window bounds as `RelTime` or constants, `per` as a divisor in
days), or None with a diagnostic pointing at the source, column or clause at fault.

A mixin of `ExpressionChecker`: it uses the checker's reporting and sub-expression typing.
"""

from __future__ import annotations

import re

from segdsl.dsl import ast
from segdsl.dsl import typed as t
from segdsl.dsl.checker.scope import Context
from segdsl.dsl.suggest import suggestion_text
from segdsl.dsl.checker.types import ORDERED, UNIT_WORDS, type_words

# `sum ( orders . amount`: the start of an aggregate, up to its source and column (see _source_spans).
_SOURCE_REF = re.compile(r"\w+\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*))?")


class AggregateChecks:
    def _aggregate(self, node: ast.Aggregate, ctx: Context) -> t.TExpr | None:
        scope = ctx.scope
        if ctx.kind == "where":
            self.error(ctx, node, "E306", "an aggregate cannot be used inside another aggregate's `where`")
            return None
        source = scope.sources.get(node.source)
        source_span, column_span = self._source_spans(node, ctx)
        if source is None or node.source == scope.entity:
            events = [s for s in scope.sources if s != scope.entity]
            if node.source == scope.entity:
                message = f"`{node.source}` is the entity source; aggregates count event sources"
                label = "the entity source"
            else:
                message = f"unknown source '{node.source}'{suggestion_text(node.source, events)}"
                label = "not a source in segdsl.yml"
            self.error_at(ctx, source_span, "E203", message, label=label,
                          hint="event sources: " + (", ".join(events) or "none declared"))
            return None
        if source.columns is None:
            return None
        column = None
        if node.column is not None:
            if node.column not in source.columns:
                self.error_at(ctx, column_span, "E206", f"unknown column '{node.column}' of {source.name}"
                              f"{suggestion_text(node.column, source.columns)}",
                              label=f"not a column of {source.name}")
                return None
            column = t.EventField(source.name, node.column, source.columns[node.column], node.span)
        fn = node.function
        if fn == "count" and column is not None:
            self.error(ctx, node, "E302", "count() counts events: write `count(orders)`; for distinct values "
                       "of a column use `count_distinct(orders.column)`")
            return None
        if fn != "count" and column is None:
            self.error(ctx, node, "E302", f"{fn}() needs a column, e.g. `{fn}({source.name}.amount)`")
            return None
        if fn in ("sum", "avg") and column.type.kind != "number":
            self.error(ctx, node, "E302", f"{fn}() needs a numeric column, but {source.name}.{column.name} "
                       f"is a {type_words(column.type)}")
            return None
        if fn in ("min", "max") and column.type.kind not in ORDERED:
            self.error(ctx, node, "E302", f"{fn}() needs numbers, text or times, not a {type_words(column.type)}")
            return None
        where = None
        if node.where is not None:
            where = self.condition(node.where, ctx.inside_where(source.name))
            if where is None:
                return None
        window = self._window(node, source, ctx) if node.window is not None else None
        if node.window is not None and window is None:
            return None
        if node.window is None and node.per is None and source.time is None:
            pass  # without a time column every event counts; nothing can be after as_of
        result = t.NUMBER if fn in ("count", "count_distinct", "sum", "avg") else column.type
        per_days = None
        if node.per is not None:
            if node.window is None:
                unit = UNIT_WORDS.get(node.per, node.per)
                self.error(ctx, node, "E305", f"`per {unit}` needs a window to divide by",
                           hint=f"add a window before `per`, e.g. `over 90d per {unit}`")
                return None
            if fn not in ("count", "count_distinct", "sum"):
                self.error(ctx, node, "E305", f"`per` turns a count or a sum into a rate; {fn}() is not one")
                return None
            result = t.rate(node.per)
            per_days = t.UNIT_DAYS[node.per]
        return t.Aggregate(fn, source.name, column, where, window, source.time, per_days, result, node.span)

    @staticmethod
    def _source_spans(node: ast.Aggregate, ctx: Context) -> tuple[ast.Span, ast.Span]:
        """Where the source and the column are written in `sum(orders.amount ...)`.

        The AST keeps the aggregate's span only; the grammar fixes what comes after its start
        (a function name, `(`, the source, `.` and the column), so they are found from there.
        Falls back to the whole aggregate.
        """
        match = _SOURCE_REF.match(ctx.rule.text, node.span.start)
        if match is None or match.group(1) != node.source:
            return node.span, node.span
        source = ast.Span(match.start(1), match.end(1))
        column = ast.Span(match.start(2), match.end(2)) if match.group(2) else node.span
        return source, column

    def _window(self, node: ast.Aggregate, source, ctx: Context) -> t.Window | None:
        if source.time is None:
            self.error(ctx, node, "E307", f"source {source.name} has no time column, so it has no windows",
                       hint=f"declare it in segdsl.yml: `{source.name}: {{..., time: <column>}}`")
            return None
        match node.window:
            case ast.LastWindow(length=dur):
                offset = self._offset(dur, ctx)
                return None if offset is None else t.Window(t.RelTime(offset), None, True)
            case ast.RangeWindow(start=a, end=b):
                start, end = self.expr(a, ctx), self.expr(b, ctx)
                if start is None or end is None:
                    return None
                return t.Window(start, end, False)
        return None

    # --- predicates ------------------------------------------------------------------------
