"""One typed expression as a sqlglot expression.

Input: a typed node (`segdsl.dsl.typed`), the plan's column names for what is computed
elsewhere (aggregates, rankings, metrics, segments), the scope of the rule, and as_of.
Output: a sqlglot expression, built with sqlglot's builders only.

SQL's three-valued logic meets the SPEC's two-valued conditions here. A condition is built
as an SQL boolean that may be NULL where the SPEC says false; NULL and false behave the same
under AND, OR, WHERE, FILTER and CASE WHEN, so the NULL is only turned into false where it
would not: under NOT (`NOT COALESCE(c, FALSE)`) and where a condition becomes a column.
`BETWEEN` with a missing bound is the one predicate whose SQL result disagrees without a NOT
(`5 NOT BETWEEN 6 AND NULL` is TRUE in SQL), so its negation checks its operands.

Relative times (`30d ago`, window bounds, `today`) become timestamp literals computed from
as_of, so a calendar month means the same in every dialect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

from segdsl.compiler.names import column, identifier
from segdsl.dsl import timeline
from segdsl.dsl import typed as t


@dataclass(frozen=True)
class Sql:
    """A built expression and whether it may be NULL where the SPEC means false."""

    node: exp.Expression
    nullable: bool = True


@dataclass(frozen=True)
class Columns:
    """Where the values computed elsewhere live, by what they are."""

    aggregates: dict[t.Aggregate, str]
    ranks: dict[tuple[t.Rank, str | None], str]
    metrics: dict[str, str]
    segments: dict[str, str]


class Builder:
    """Builds the expressions of one scope: a rule, a metric, or an aggregate's `where`."""

    def __init__(self, columns: Columns, as_of: dt.datetime, scope: str | None = None):
        self.columns, self.as_of, self.scope = columns, as_of, scope

    # --- conditions ----------------------------------------------------------------------

    def condition(self, node: t.TExpr) -> exp.Expression:
        """A condition as a boolean column: never NULL."""
        return _definite(self.cond(node))

    def cond(self, node: t.TExpr) -> Sql:
        match node:
            case t.Compare(op=op, left=left, right=right):
                return Sql(_COMPARE[op](this=self.value(left), expression=self.value(right)))
            case t.InList(operand=operand, values=values, negated=negated):
                # `x NOT IN (a, NULL)` is NULL, false for the SPEC: each `!=` on a missing value is false.
                inside = exp.In(this=self.value(operand), expressions=[self.value(v) for v in values])
                return Sql(exp.Not(this=inside) if negated else inside)
            case t.Between(operand=operand, low=low, high=high, negated=negated):
                x, lo, hi = self.value(operand), self.value(low), self.value(high)
                between = exp.Between(this=x, low=lo, high=hi)
                if not negated:
                    return Sql(between)
                present = [exp.Not(this=exp.Is(this=v.copy(), expression=exp.Null()))
                           for v, typed in ((x, operand), (lo, low), (hi, high))
                           if not isinstance(typed, t.Const)]
                return Sql(exp.and_(*present, exp.Not(this=exp.Paren(this=between)), copy=False), nullable=False)
            case t.IsMissing(operand=operand, negated=negated):
                missing = exp.Is(this=self.value(operand), expression=exp.Null())
                return Sql(exp.Not(this=missing) if negated else missing, nullable=False)
            case t.TextMatch(kind=kind, operand=operand, pattern=pattern, negated=negated, on_list=on_list):
                x, p = self.value(operand), self.value(pattern)
                if on_list:
                    found = exp.ArrayContains(this=x, expression=p)
                elif kind == "contains":
                    found = exp.GT(this=exp.StrPosition(this=x, substr=p), expression=exp.Literal.number(0))
                elif kind == "starts_with":
                    found = exp.StartsWith(this=x, expression=p)
                else:
                    found = exp.EndsWith(this=x, expression=p)
                # NULL exactly when the text or the pattern is missing, negated or not: false.
                return Sql(exp.Not(this=exp.Paren(this=found)) if negated else found)
            case t.Within(operand=operand, start=start):
                x = self.value(operand)
                return Sql(exp.and_(exp.GTE(this=x, expression=self.value(start)),
                                    exp.LTE(this=x.copy(), expression=timestamp(self.as_of)), copy=False))
            case t.IsTrue(operand=operand):
                value = self.value(operand)
                return Sql(value, nullable=not isinstance(operand, t.SegmentRef))
            case t.Not(operand=operand):
                return Sql(exp.Not(this=exp.Paren(this=_definite(self.cond(operand)))), nullable=False)
            case t.And(left=left, right=right) | t.Or(left=left, right=right):
                a, b = self.cond(left), self.cond(right)
                builder = exp.and_ if isinstance(node, t.And) else exp.or_
                return Sql(builder(a.node, b.node, copy=False), nullable=a.nullable or b.nullable)
        raise TypeError(f"not a condition: {node!r}")

    # --- values --------------------------------------------------------------------------

    def value(self, node: t.TExpr) -> exp.Expression:
        match node:
            case t.Const(value=value):
                return literal(value)
            case t.RelTime():
                when = timeline.rel_time(node, self.as_of)
                return literal(when)
            case t.Field(name=name) | t.EventField(name=name):
                return column(name)
            case t.MetricRef(name=name):
                return column(self.columns.metrics[name])
            case t.SegmentRef(path=path):
                return column(self.columns.segments[path])
            case t.Aggregate():
                return column(self.columns.aggregates[node])
            case t.Rank():
                return column(self.columns.ranks[node, self.scope])
            case t.Arith(op=op, left=left, right=right):
                a, b = _paren(self.value(left)), _paren(self.value(right))
                if op == "/":  # true division; a zero divisor gives missing
                    return exp.Div(this=a, expression=b, typed=False, safe=True)
                if not _is_double(left) and not _is_double(right):
                    # Databases raise on integer overflow (a TINYINT age * 100 fails in DuckDB);
                    # numbers are exact in DOUBLE up to 2^53, so the sum or product is too.
                    a = exp.cast(a, exp.DataType.Type.DOUBLE)
                return _ARITH[op](this=a, expression=b)
            case t.Neg(operand=operand):
                return exp.Neg(this=_paren(self._wide(operand)))
            case t.Func(function="abs", args=(arg,)):
                return exp.Abs(this=self._wide(arg))
            case t.Func(function="length", args=(arg,)) if arg.type.kind == "list":
                # A list's length is its own construct: PostgreSQL's LENGTH takes only text.
                return exp.ArraySize(this=self.value(arg))
            case t.Func(function=function, args=args):
                return self._function(function, [self.value(a) for a in args])
            case t.ToTimestamp(operand=operand):
                return exp.cast(self.value(operand), exp.DataType.Type.TIMESTAMP)
            case (t.Compare() | t.InList() | t.Between() | t.IsMissing() | t.TextMatch() | t.Within()
                  | t.IsTrue() | t.Not() | t.And() | t.Or()):
                return exp.Paren(this=self.condition(node))
        raise TypeError(f"not a typed value: {node!r}")

    def _wide(self, node: t.TExpr) -> exp.Expression:
        """A number that negating cannot overflow: a column may be a TINYINT or unsigned."""
        value = self.value(node)
        if isinstance(node, (t.Field, t.EventField)) and node.type.kind == "number":
            return exp.cast(value, exp.DataType.Type.DOUBLE)
        return value

    def _function(self, function: str, args: list[exp.Expression]) -> exp.Expression:
        if function == "coalesce":
            return exp.Coalesce(this=args[0], expressions=args[1:])
        [x] = args
        match function:
            case "lower":
                return exp.Lower(this=x)
            case "upper":
                return exp.Upper(this=x)
            case "abs":
                return exp.Abs(this=x)
            case "length":
                return exp.Length(this=x)
            case "year":
                return exp.Year(this=x)
            case "month":
                return exp.Month(this=x)
            case "days_since":
                # Calendar dates, not 24-hour periods: whole days between the two dates.
                return exp.DateDiff(this=literal(self.as_of.date()), expression=exp.cast(x, exp.DataType.Type.DATE),
                                    unit=exp.var("DAY"))
        raise ValueError(f"unknown function {function!r}")


def literal(value: object) -> exp.Expression:
    """A Python value as an SQL literal. Fractions are DOUBLE, as the reference computes them."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.Type.DOUBLE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if value is None:
        return exp.Null()
    raise TypeError(f"no SQL literal for {value!r}")


def timestamp(value: dt.datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)


def _is_double(node: t.TExpr) -> bool:
    """Whether the SQL for `node` is already DOUBLE: a fraction, a division, or arithmetic."""
    match node:
        case t.Const(value=float()):
            return True
        case t.Arith():
            return True
    return False


def _definite(sql: Sql) -> exp.Expression:
    """The condition with NULL read as false."""
    if not sql.nullable:
        return sql.node
    return exp.Coalesce(this=sql.node, expressions=[exp.false()])


def _paren(node: exp.Expression) -> exp.Expression:
    """Arithmetic operands keep their grouping (sqlglot prints the tree as built)."""
    if isinstance(node, (exp.Binary, exp.Neg)) and not isinstance(node, exp.Dot):
        return exp.Paren(this=node)
    return node


_COMPARE = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_ARITH = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}

__all__ = ["Builder", "Columns", "Sql", "identifier", "literal", "timestamp"]
