"""The plan as one SQL statement, built with sqlglot's expression builders.

Input: a `Plan` and the relation to read each source from (a table named after the source by
default; the DuckDB engine passes `read_parquet(...)` and friends).
Output: a sqlglot `Select`:

    WITH orders_aggregates AS (        -- one grouped scan per event source,
      SELECT customer_id, COUNT(*) FILTER (WHERE ...) AS count_orders, ...   -- a FILTER per window
      FROM orders WHERE ordered_at <= as_of GROUP BY customer_id),
    base AS (                          -- one join to the entity
      SELECT c.customer_id, c.industry, COALESCE(o.count_orders, 0) AS count_orders, ...
      FROM customers AS c LEFT JOIN orders_aggregates AS o ON ...),
    level_1 AS (SELECT *, <metrics, segments, ...> FROM base),   -- a projection per level
    ...
    SELECT customer_id, <segments list>, <layers>, <microsegments> FROM level_n ORDER BY customer_id
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from segdsl.compiler import plan as p
from segdsl.compiler.expressions import Builder, Columns, literal, timestamp
from segdsl.compiler.names import column, identifier, table
from segdsl.dsl import timeline
from segdsl.dsl import typed as t

SEGMENTS_COLUMN = "segments"
"""The output column with the list of a row's segment paths (SPEC §5)."""

_ZERO_WHEN_EMPTY = ("count", "count_distinct", "sum")


def build(plan: p.Plan, relations: Mapping[str, exp.Expression] | None = None,
          partition: str | None = None) -> exp.Select:
    """The whole evaluation as one statement; rows in key order.

    `partition` names an entity column that splits the rows into independent populations
    (`segdsl test` runs every test case in one query): rankings then rank within each.
    """
    relations = dict(relations or {})
    source = lambda name: relations.get(name) or table(name)  # noqa: E731
    columns = Columns(plan.aggregates, plan.ranks, plan.metrics, plan.segments)
    ctes = [(agg.name, _aggregation(agg, plan, columns, source(agg.source))) for agg in plan.aggregations]
    ctes.append((plan.relation_names["base"], _base(plan, source(plan.project.entity), partition)))
    previous = plan.relation_names["base"]
    for level in range(1, plan.levels + 1):
        name = plan.relation_names[f"level_{level}"]
        computed = [derived(c, plan, columns, partition) for c in plan.derived if c.level == level]
        ctes.append((name, exp.select(exp.Star(), *computed, copy=False).from_(table(previous), copy=False)))
        previous = name
    query = exp.select(*outputs(plan), copy=False).from_(table(previous), copy=False)
    query = query.order_by(column(plan.project.key), copy=False)
    for name, body in ctes:  # copy=False: building stays linear in the number of columns
        query = query.with_(identifier(name), as_=body, copy=False)
    return query


def _aggregation(agg: p.Aggregation, plan: p.Plan, columns: Columns, relation: exp.Expression) -> exp.Select:
    """One scan of the source: a FILTER per aggregate, events after as_of dropped up front."""
    selects: list[exp.Expression] = [column(agg.key)]
    for out in agg.columns:
        selects.append(exp.alias_(aggregate(out.aggregate, plan, columns), identifier(out.name)))
    query = exp.select(*selects, copy=False).from_(relation, copy=False).group_by(column(agg.key), copy=False)
    if agg.time is not None:  # events after as_of never count; nor do events with no time
        query = query.where(exp.LTE(this=column(agg.time), expression=timestamp(plan.as_of)), copy=False)
    return query


def aggregate(agg: t.Aggregate, plan: p.Plan, columns: Columns,
               upto: exp.Expression | None = None) -> exp.Expression:
    """The aggregate with a FILTER for its window and `where`; `upto` is a further condition
    first (a multi-point scan's `time <= point`)."""
    measured = Builder(columns, plan.as_of).value(agg.column) if agg.column is not None else None
    match agg.function:
        case "count":
            value: exp.Expression = exp.Count(this=exp.Star())
        case "count_distinct":
            value = exp.Count(this=exp.Distinct(expressions=[measured]))
        case "sum":
            value = exp.Sum(this=measured)
        case "avg":
            value = exp.Avg(this=measured)
        case "min":
            value = exp.Min(this=measured)
        case "max":
            value = exp.Max(this=measured)
        case _:
            raise ValueError(f"unknown aggregate {agg.function!r}")
    keep: list[exp.Expression] = [] if upto is None else [upto]
    if agg.window is not None:
        time = column(agg.time_column)
        window = agg.window
        if window.start is not None:
            keep.append(exp.GTE(this=time, expression=timestamp(timeline.bound(window.start, plan.as_of))))
        if window.end is not None:
            end = timestamp(timeline.bound(window.end, plan.as_of))
            keep.append((exp.LTE if window.end_inclusive else exp.LT)(this=time.copy(), expression=end))
    if agg.where is not None:
        keep.append(Builder(columns, plan.as_of).cond(agg.where).node)
    if keep:
        value = exp.Filter(this=value, expression=exp.Where(this=exp.and_(*keep, copy=False)))
    return value


def _base(plan: p.Plan, relation: exp.Expression, partition: str | None = None) -> exp.Select:
    """The entity's fields and every aggregate, joined on the key."""
    entity = "entity"
    names = [*plan.entity_columns, *([partition] if partition is not None else [])]
    selects: list[exp.Expression] = [column(name, entity) for name in names]
    query = exp.select().from_(exp.alias_(relation, identifier(entity), table=True), copy=False)
    for out in plan.joined:
        selects.append(exp.alias_(joined_value(out, plan, column(out.scan.name, out.relation)),
                                  identifier(out.name)))
    for agg in plan.aggregations:
        on = exp.EQ(this=column(plan.project.key, entity), expression=column(agg.key, agg.name))
        query = query.join(table(agg.name), on=on, join_type="left", copy=False)
    return query.select(*selects, copy=False)


def joined_value(out: p.JoinedColumn, plan: p.Plan, scanned: exp.Expression) -> exp.Expression:
    """An aggregate as the rules read it, from its scan's column: 0 for no events, divided for `per`."""
    value = scanned
    if out.aggregate.function in _ZERO_WHEN_EMPTY:
        value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
    if out.aggregate.per_days is not None:
        days = timeline.window_days(out.aggregate.window, plan.as_of)
        if days:
            value = exp.Div(this=value, expression=literal(days / out.aggregate.per_days), typed=False)
        else:  # a window of no length has no rate, as a division by zero has no value
            value = exp.Null()
    return value


def derived(c: p.Derived, plan: p.Plan, columns: Columns, partition: str | None = None) -> exp.Expression:
    match c:
        case p.RankColumn(rank=rank, scope=scope):
            value = _rank(rank, scope, plan, columns, partition)
        case p.MetricColumn(metric=metric):
            value = Builder(columns, plan.as_of).value(metric.expr)
        case p.ConditionColumn(rule=rule, scope=scope):
            value = Builder(columns, plan.as_of, scope).condition(rule)
        case p.SegmentColumn(segment=segment):
            value = _rule(segment.rule, segment.parent, plan, columns)
            if segment.parent is not None:  # the parent's membership, computed once
                value = exp.and_(column(plan.segments[segment.parent]), value, copy=False)
        case p.LayerColumn(layer=layer):
            value = _layer(layer, plan, columns)
        case p.MicrosegmentColumn(microsegment=ms):
            value = _microsegment(ms, plan)
        case _:
            raise TypeError(f"unknown column {c!r}")
    return exp.alias_(value, identifier(c.name))


def _rule(rule: t.TExpr, scope: str | None, plan: p.Plan, columns: Columns) -> exp.Expression:
    """A rule's verdict: its shared condition column, or the condition itself."""
    shared = plan.conditions.get(p.rule_key(rule, scope))
    if shared is not None:
        return column(shared)
    return Builder(columns, plan.as_of, scope).condition(rule)


def _rank(rank: t.Rank, scope: str | None, plan: p.Plan, columns: Columns,
          partition: str | None = None) -> exp.Expression:
    """A window over the scope's rows with a value; other rows get NULL.

    Partitioning by the scope and by `arg IS NULL` ranks exactly the rows the SPEC ranks.
    """
    arg = Builder(columns, plan.as_of, scope).value(rank.arg)
    ranked = exp.Not(this=exp.Is(this=arg.copy(), expression=exp.Null()))
    partition_by: list[exp.Expression] = [ranked.copy()]
    order = [exp.Ordered(this=arg.copy())]
    if scope is not None:
        partition_by.insert(0, column(plan.segments[scope]))
        ranked = exp.and_(column(plan.segments[scope]), ranked, copy=False)
    if partition is not None:
        partition_by.insert(0, column(partition))
    if rank.kind == "ntile":
        function: exp.Expression = exp.Anonymous(this="NTILE", expressions=[exp.Literal.number(rank.tiles)])
        order.append(exp.Ordered(this=column(plan.project.key)))  # ties broken by key
    else:
        function = exp.Anonymous(this="PERCENT_RANK", expressions=[])
    window = exp.Window(this=function, partition_by=partition_by, order=exp.Order(expressions=order))
    return exp.Case(ifs=[exp.If(this=ranked, true=window)])


def _layer(layer: t.Layer, plan: p.Plan, columns: Columns) -> exp.Expression:
    """First matching tier wins; `else` takes the rest; rows outside `within` get NULL."""
    case = exp.Case()
    for tier in layer.tiers:
        if tier.rule is None:
            case = case.else_(exp.Literal.string(tier.name))
            break
        case = case.when(_rule(tier.rule, layer.within, plan, columns), exp.Literal.string(tier.name))
    if layer.within is None:
        return case
    return exp.Case(ifs=[exp.If(this=column(plan.segments[layer.within]), true=case)])


def _microsegment(ms: t.Microsegment, plan: p.Plan) -> exp.Expression:
    """The layers' tiers joined by `/`, when the row has a tier in each (and is within)."""
    labels = [column(plan.layers[name]) for name in ms.layers]
    present: list[exp.Expression] = [exp.Not(this=exp.Is(this=label.copy(), expression=exp.Null()))
                                     for label in labels]
    if ms.within is not None:
        present.insert(0, column(plan.segments[ms.within]))
    key = labels[0]
    for label in labels[1:]:
        key = exp.DPipe(this=exp.DPipe(this=key, expression=exp.Literal.string("/")), expression=label)
    return exp.Case(ifs=[exp.If(this=exp.and_(*present, copy=False), true=key)])


def outputs(plan: p.Plan) -> list[exp.Expression]:
    """SPEC §5: the key, the list of segment paths, a column per layer and per microsegment."""
    project = plan.project
    paths = [exp.Case(ifs=[exp.If(this=column(plan.segments[s.path]), true=exp.Literal.string(s.path))])
             for s in project.segments]
    if paths:
        segments: exp.Expression = exp.ArrayCompact(this=exp.Array(expressions=paths))
    else:
        segments = exp.cast(exp.Array(expressions=[]), exp.DataType.build("ARRAY<VARCHAR>"))
    outputs = [column(project.key), exp.alias_(segments, identifier(SEGMENTS_COLUMN))]
    outputs += [exp.alias_(column(plan.layers[layer.name]), identifier(layer.name)) for layer in project.layers]
    outputs += [exp.alias_(column(plan.microsegments[ms.name]), identifier(ms.name))
                for ms in project.microsegments]
    return outputs
