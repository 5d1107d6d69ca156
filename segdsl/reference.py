"""The reference interpreter: the executable meaning of SPEC §3.

Input: a checked `typed.Project`, rows given as Python values (`Data`), and as_of.
Output: one `Membership` per entity row, in entity row order: the segment paths it belongs to,
its tier in each layer and its key in each microsegment.

Every engine (the compiled SQL on DuckDB, later Spark and PostgreSQL) is tested against this
module, so it is slow on purpose and plain: one row at a time, no SQL, no dataframes. Missing
values are `None`; value nodes propagate it, condition nodes always return a bool.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from dataclasses import dataclass

from segdsl.dsl import timeline
from segdsl.dsl import typed as t

Row = dict[str, object]


@dataclass(frozen=True)
class Data:
    entity: list[Row]
    """Rows of the entity source."""
    events: dict[str, list[Row]]
    """Rows per event source name; a source absent here has no events."""


@dataclass(frozen=True)
class Membership:
    """One entity's result."""

    key: object
    segments: tuple[str, ...]
    """Paths it belongs to, in project order."""
    tiers: dict[str, str | None]
    """Layer name -> tier name, or None."""
    microsegments: dict[str, str | None]
    """Microsegment name -> key like "active/top", or None."""


# --- whole project -------------------------------------------------------------------------


def evaluate(project: t.Project, data: Data, as_of: dt.datetime) -> list[Membership]:
    """Evaluate every metric, segment, layer and microsegment for every entity row."""
    run = _Run(project, data, _timestamp(as_of))
    for metric in project.metrics:
        run.add_metric(metric)
    for segment in project.segments:
        run.member(segment.path)
    tiers = {layer.name: run.tiers(layer) for layer in project.layers}
    micro = {ms.name: run.micro_keys(ms, tiers) for ms in project.microsegments}
    return [Membership(key=run.keys[i],
                       segments=tuple(s.path for s in project.segments if run.members[s.path][i]),
                       tiers={name: labels[i] for name, labels in tiers.items()},
                       microsegments={name: labels[i] for name, labels in micro.items()})
            for i in run.everyone]


class _Run:
    """One evaluation: per-row metric values and segment memberships, filled in as computed.

    Row lists are indexed by entity row; a scope is a list of row indices.
    """

    def __init__(self, project: t.Project, data: Data, as_of: dt.datetime):
        self.project, self.as_of = project, as_of
        self.rows = data.entity
        self.keys = [row.get(project.key) for row in self.rows]
        self.events = [own_events(project, data, row) for row in self.rows]
        self.everyone = list(range(len(self.rows)))
        self.metrics: list[Row] = [{} for _ in self.rows]
        self.members: dict[str, list[bool]] = {}
        self.in_progress: set[str] = set()

    def add_metric(self, metric: t.Metric) -> None:
        # Metrics rank the whole entity and may use earlier metrics.
        [values] = self.evaluate_over(self.everyone, [metric.expr])
        for i, value in zip(self.everyone, values):
            self.metrics[i][metric.name] = value

    def member(self, path: str) -> list[bool]:
        """Membership in `path` for every row, computed on first use (any project order)."""
        if path in self.members:
            return self.members[path]
        if path in self.in_progress:
            raise ValueError(f"segment {path!r} depends on itself")
        self.in_progress.add(path)
        segment = self.project.segment(path)
        scope = self.rows_of(segment.parent)  # a child ranks its parent's members
        [verdicts] = self.evaluate_over(scope, [segment.rule])
        membership = [False] * len(self.rows)
        for i, verdict in zip(scope, verdicts):
            membership[i] = verdict
        self.members[path] = membership
        self.in_progress.discard(path)
        return membership

    def tiers(self, layer: t.Layer) -> list[str | None]:
        scope = self.rows_of(layer.within)
        rules = [tier.rule for tier in layer.tiers if tier.rule is not None]
        verdicts = iter(self.evaluate_over(scope, rules))
        # Per tier, its verdict for each scope row; `else` (rule None) takes whatever reaches it.
        columns = [[True] * len(scope) if tier.rule is None else next(verdicts)
                   for tier in layer.tiers]
        labels: list[str | None] = [None] * len(self.rows)
        for j, i in enumerate(scope):
            labels[i] = next((tier.name for tier, column in zip(layer.tiers, columns)
                              if column[j]), None)  # first matching tier wins
        return labels

    def micro_keys(self, ms: t.Microsegment, tiers: dict[str, list]) -> list[str | None]:
        inside = set(self.rows_of(ms.within))
        keys: list[str | None] = []
        for i in self.everyone:
            labels = [tiers[name][i] for name in ms.layers]
            keys.append("/".join(labels) if i in inside and None not in labels else None)
        return keys

    def rows_of(self, path: str | None) -> list[int]:
        if path is None:
            return self.everyone
        membership = self.member(path)
        return [i for i in self.everyone if membership[i]]

    def evaluate_over(self, scope: list[int], exprs: list[t.TExpr]) -> list[list[object]]:
        """Each expression's value for each scope row, rankings ranking that scope."""
        for expr in exprs:
            for path in _segment_refs(expr):
                self.member(path)
        segments = [{p: m[i] for p, m in self.members.items()} for i in self.everyone]
        ranks: list[dict[t.Rank, object]] = [{} for _ in self.rows]

        def env(i: int) -> _Env:
            return _Env(self.rows[i], self.events[i], self.as_of, self.metrics[i], segments[i],
                        ranks[i])

        # Rankings first: a ranking's value depends on every row of the scope, so each is
        # computed once for the whole scope, inner rankings before the ones that use them.
        for rank in dict.fromkeys(r for expr in exprs for r in _ranks_in(expr)):
            args = [_eval(rank.arg, env(i)) for i in scope]
            for i, value in zip(scope, rank_values(rank, args, [self.keys[i] for i in scope])):
                ranks[i][rank] = value
        return [[_eval(expr, env(i)) for i in scope] for expr in exprs]


def own_events(project: t.Project, data: Data, row: Row) -> dict[str, list[Row]]:
    """The row's events per event source: those whose key column equals the row's key."""
    key = row.get(project.key)
    return {name: [e for e in data.events.get(name, [])
                   if key is not None and e.get(source.key) == key]
            for name, source in project.sources.items() if name != project.entity}


# --- one expression ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Env:
    row: Row
    events: dict[str, list[Row]]
    as_of: dt.datetime
    metrics: Row
    segments: dict[str, bool]
    ranks: dict[t.Rank, object]
    event: Row | None = None
    """The event row, inside an aggregate's `where` or measured column."""


def evaluate_expr(expr: t.TExpr, row: Row, events: dict[str, list[Row]], as_of: dt.datetime,
                  *, metrics: Row | None = None, segments: dict[str, bool] | None = None,
                  ranks: dict[t.Rank, object] | None = None) -> object:
    """One expression for one entity row.

    `events` are this row's own events per source (see `own_events`); `metrics` and `segments`
    are this row's metric values and memberships by name and path. A ranking depends on a
    whole scope, so its value for this row must be given in `ranks`.
    """
    env = _Env(row, events, _timestamp(as_of), metrics or {}, segments or {}, ranks or {})
    return _eval(expr, env)


def _eval(expr: t.TExpr, env: _Env) -> object:
    match expr:
        # values: None propagates
        case t.Const(value=value):
            return value
        case t.RelTime():
            return _rel_time(expr, env.as_of)
        case t.Field(name=name):
            return env.row.get(name)
        case t.EventField(name=name):
            if env.event is None:
                raise ValueError(f"event field {name!r} outside an aggregate")
            return env.event.get(name)
        case t.MetricRef(name=name):
            return env.metrics[name]
        case t.SegmentRef(path=path):
            return env.segments[path]
        case t.Arith(op=op, left=left, right=right):
            return _arith(op, _eval(left, env), _eval(right, env))
        case t.Neg(operand=operand):
            value = _eval(operand, env)
            return None if value is None else -value
        case t.Func(function=function, args=args):
            return _func(function, [_eval(a, env) for a in args], env.as_of)
        case t.ToTimestamp(operand=operand):
            value = _eval(operand, env)
            return None if value is None else _timestamp(value)
        case t.Rank():
            if expr not in env.ranks:
                raise ValueError("a ranking needs its scope: pass its value in `ranks`")
            return env.ranks[expr]
        case t.Aggregate():
            return _aggregate(expr, env)
        # conditions: always a bool
        case t.Compare(op=op, left=left, right=right):
            return _compare(op, _eval(left, env), _eval(right, env))
        case t.InList(operand=operand, values=values, negated=negated):
            # `x IN (a, b)` is `x = a OR x = b` and `x NOT IN (a, b)` is `x != a AND x != b`,
            # each comparison false on a missing side: what SQL gives once NULL means false.
            x = _eval(operand, env)
            items = [_eval(v, env) for v in values]
            if negated:
                return x is not None and all(_compare("!=", x, item) for item in items)
            return any(_compare("=", x, item) for item in items)
        case t.Between(operand=operand, low=low, high=high, negated=negated):
            x, lo, hi = _eval(operand, env), _eval(low, env), _eval(high, env)
            if x is None or lo is None or hi is None:
                return False
            inside = _compare(">=", x, lo) and _compare("<=", x, hi)
            return not inside if negated else inside
        case t.IsMissing(operand=operand, negated=negated):
            return (_eval(operand, env) is not None) if negated else (_eval(operand, env) is None)
        case t.TextMatch(kind=kind, operand=operand, pattern=pattern, negated=negated,
                         on_list=on_list):
            x, p = _eval(operand, env), _eval(pattern, env)
            if x is None or p is None:
                return False
            found = _text_match(kind, x, p, on_list)
            return not found if negated else found
        case t.Within(operand=operand, start=start):
            x = _eval(operand, env)
            return x is not None and _bound(start, env.as_of) <= _timestamp(x) <= env.as_of
        case t.IsTrue(operand=operand):
            return _eval(operand, env) is True
        case t.Not(operand=operand):
            return not _eval(operand, env)
        case t.And(left=left, right=right):
            return bool(_eval(left, env)) and bool(_eval(right, env))
        case t.Or(left=left, right=right):
            return bool(_eval(left, env)) or bool(_eval(right, env))
    raise TypeError(f"not a typed expression: {expr!r}")


_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def _arith(op: str, a: object, b: object) -> object:
    if a is None or b is None or (op == "/" and b == 0):  # a zero divisor gives missing
        return None
    return _ARITH[op](a, b)


def _func(function: str, args: list[object], as_of: dt.datetime) -> object:
    if function == "coalesce":
        return next((a for a in args if a is not None), None)
    [x] = args
    if x is None:
        return None
    match function:
        case "lower":
            return x.lower()
        case "upper":
            return x.upper()
        case "abs":
            return abs(x)
        case "length":
            return len(x)
        case "year":
            return x.year
        case "month":
            return x.month
        case "days_since":
            # Calendar dates, not 24-hour periods: 23:59 yesterday is 1 day ago at 00:30.
            return (as_of.date() - _timestamp(x).date()).days
    raise ValueError(f"unknown function {function!r}")


def _compare(op: str, a: object, b: object) -> bool:
    if a is None or b is None:
        return False
    return _COMPARE[op](_comparable(a), _comparable(b))


def _text_match(kind: str, x: object, pattern: object, on_list: bool) -> bool:
    if on_list:
        return any(_compare("=", item, pattern) for item in x)
    match kind:
        case "contains":
            return pattern in x
        case "starts_with":
            return x.startswith(pattern)
        case "ends_with":
            return x.endswith(pattern)
    raise ValueError(f"unknown text match {kind!r}")


# --- time ----------------------------------------------------------------------------------

_timestamp = timeline.midnight
_comparable = timeline.midnight  # a date compared with a timestamp is its midnight (SPEC §3)
_rel_time = timeline.rel_time
_bound = timeline.bound


# --- aggregates ----------------------------------------------------------------------------


def _aggregate(agg: t.Aggregate, env: _Env) -> object:
    window = agg.window
    start = _bound(window.start, env.as_of) if window and window.start else None
    end = _bound(window.end, env.as_of) if window and window.end else None
    kept: list[Row] = []
    for event in env.events.get(agg.source, []):
        if agg.time_column is not None:
            # Events after as_of never count, with or without a window; no time, no count.
            when = _timestamp(event.get(agg.time_column))
            if when is None or when > env.as_of:
                continue
            if start is not None and when < start:
                continue
            if end is not None and (when > end if window.end_inclusive else when >= end):
                continue
        elif window is not None:
            raise ValueError(f"a window on {agg.source!r}, which has no time column")
        inner = dataclasses.replace(env, event=event)
        if agg.where is not None and not _eval(agg.where, inner):
            continue
        kept.append(event)

    if agg.column is None:  # count(S) counts the events themselves
        values: list[object] = kept
    else:
        values = [_eval(agg.column, dataclasses.replace(env, event=e)) for e in kept]
        values = [v for v in values if v is not None]  # SQL aggregates skip NULLs
    match agg.function:
        case "count":
            value = len(values)
        case "count_distinct":
            value = len(set(values))
        case "sum":
            value = sum(values)
        case "avg":
            value = sum(values) / len(values) if values else None
        case "min":
            value = min(values, key=_comparable, default=None)
        case "max":
            value = max(values, key=_comparable, default=None)
        case _:
            raise ValueError(f"unknown aggregate {agg.function!r}")

    if agg.per_days is None or value is None:
        return value
    # The window's own length, even when its end lies after as_of; a window of no length
    # has no rate (missing), as a division by zero is.
    days = timeline.window_days(window, env.as_of)
    return value / (days / agg.per_days) if days else None


# --- rankings ------------------------------------------------------------------------------


def rank_values(rank: t.Rank, args: list[object], keys: list[object]) -> list[object]:
    """The ranking's value for each scope row, given each row's arg and key."""
    ranked = [j for j, x in enumerate(args) if x is not None]  # missing args are not ranked
    values: list[object] = [None] * len(args)
    if rank.kind == "ntile":
        # NTILE(n) OVER (ORDER BY x, key): N rows into n tiles, the first N mod n tiles one
        # row larger; with fewer rows than tiles, tiles 1..N of one row each.
        ranked.sort(key=lambda j: (_comparable(args[j]), keys[j]))
        size, larger = divmod(len(ranked), rank.tiles)
        position = 0
        for tile in range(1, rank.tiles + 1):
            count = size + 1 if tile <= larger else size
            for j in ranked[position:position + count]:
                values[j] = tile
            position += count
    elif rank.kind == "percent_rank":
        # PERCENT_RANK() OVER (ORDER BY x): (rank − 1) / (N − 1), ties sharing the lowest rank.
        n = len(ranked)
        for j in ranked:
            smaller = sum(1 for k in ranked if _comparable(args[k]) < _comparable(args[j]))
            values[j] = smaller / (n - 1) if n > 1 else 0.0
    else:
        raise ValueError(f"unknown ranking {rank.kind!r}")
    return values


def _ranks_in(expr: t.TExpr) -> list[t.Rank]:
    """Distinct rankings in `expr`, inner (inside another's arg) before outer."""
    return list(dict.fromkeys(n for n in t.walk(expr) if isinstance(n, t.Rank)))


def _segment_refs(expr: t.TExpr) -> list[str]:
    return [n.path for n in t.walk(expr) if isinstance(n, t.SegmentRef)]
