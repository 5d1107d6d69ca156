"""Several evaluation points as one SQL statement, built with sqlglot's expression builders.

Input: one `Plan` per point (the same project planned at each as_of: the plans differ only in
their time literals, so their column names are the same) and the source relations.
Output: `PointsQuery`: a sqlglot query whose rows are every point's members, with a column
holding the point's as_of:

    WITH orders_aggregates AS MATERIALIZED (   -- still ONE grouped scan per event source:
      SELECT customer_id,
             COUNT(*) FILTER (WHERE ordered_at <= T1 AND <window at T1>) AS count_orders_at_1,
             COUNT(*) FILTER (WHERE <window at T2>) AS count_orders_at_2, ... -- per (aggregate, point)
      FROM orders WHERE ordered_at <= max(T) GROUP BY customer_id),
    base AS MATERIALIZED (SELECT entity fields, every point's raw aggregates   -- one join
      FROM customers LEFT JOIN orders_aggregates ...),
    point_1 AS (SELECT fields, COALESCE(count_orders_at_1, 0) AS count_orders, ... FROM base),
    point_1_level_1 AS (SELECT *, <derived columns at T1> FROM point_1), ...  -- rankings rank
    ...                                                                        -- within the point
    SELECT T1 AS as_of, <outputs> FROM point_1_level_n UNION ALL SELECT T2 AS as_of, ...
    ORDER BY as_of, key

Shared by all points: the scan of each source, the entity read and the join. Per point: the
aggregates' FILTERs (the window and "events after the point never count" are per point) and the
derived levels, whose literals (`30d ago`, window bounds) are the point's. The two shared
relations are `MATERIALIZED` so that every point reads them rather than recomputing them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from segdsl.compiler import plan as p
from segdsl.compiler.build import aggregate, derived, joined_value, outputs
from segdsl.compiler.expressions import Columns, timestamp
from segdsl.compiler.names import Names, column, identifier, table


@dataclass(frozen=True)
class PointsQuery:
    statement: exp.Query
    as_of_column: str
    """The output column with the point's as_of (`as_of` unless an output column has that name)."""
    output_columns: tuple[str, ...]
    """The members' columns of each point (SPEC §5), in order, without the as_of column."""


def build_points(plans: Sequence[p.Plan], relations: Mapping[str, exp.Expression] | None = None) -> PointsQuery:
    """Every point's members in one statement; rows ordered by point, then key."""
    if not plans:
        raise ValueError("no evaluation point")
    first = plans[0]
    project = first.project
    relations = dict(relations or {})
    source = lambda name: relations.get(name) or table(name)  # noqa: E731
    latest = max(plan.as_of for plan in plans)

    names = Names(reserved=[*project.sources, *first.relation_names.values(),
                            *(agg.name for agg in first.aggregations)])
    columns = Names(reserved=[*first.entity_columns, *(c.name for c in first.joined),
                              *(s.name for agg in first.aggregations for s in agg.columns),
                              *(c.name for c in first.derived)])
    # (point index, scan column name) -> the column holding that scan at that point
    scanned: dict[tuple[int, str], str] = {}
    for agg in first.aggregations:
        for scan in agg.columns:
            for i in range(len(plans)):
                scanned[i, scan.name] = columns.new(f"{scan.name}_at_{i + 1}")

    ctes: list[tuple[str, exp.Expression, bool]] = []
    for index, agg in enumerate(first.aggregations):
        ctes.append((agg.name, _aggregation(plans, index, scanned, latest, source(agg.source)), True))
    base = first.relation_names["base"]
    ctes.append((base, _base(first, scanned, len(plans), source(project.entity)), True))

    selects = []
    output_names = [o.alias_or_name for o in outputs(first)]
    as_of_column = Names(reserved=output_names).new("as_of")
    for i, plan in enumerate(plans):
        plan_columns = Columns(plan.aggregates, plan.ranks, plan.metrics, plan.segments)
        previous = names.new(f"point_{i + 1}")
        ctes.append((previous, _point_base(plan, i, scanned, base), False))
        for level in range(1, plan.levels + 1):
            name = names.new(f"point_{i + 1}_level_{level}")
            computed = [derived(c, plan, plan_columns) for c in plan.derived if c.level == level]
            ctes.append((name, exp.select(exp.Star(), *computed, copy=False).from_(table(previous), copy=False),
                         False))
            previous = name
        at = exp.alias_(timestamp(plan.as_of), identifier(as_of_column))
        selects.append(exp.select(at, *outputs(plan), copy=False).from_(table(previous), copy=False))

    query: exp.Query = selects[0]
    for select in selects[1:]:
        query = exp.union(query, select, distinct=False, copy=False)
    query = query.order_by(column(as_of_column), column(project.key), copy=False)
    for name, body, shared in ctes:  # copy=False: building stays linear in the number of columns
        query = query.with_(identifier(name), as_=body, materialized=True if shared else None, copy=False)
    return PointsQuery(query, as_of_column, tuple(output_names))


def _aggregation(plans: Sequence[p.Plan], index: int, scanned: dict[tuple[int, str], str], latest,
                 relation: exp.Expression) -> exp.Select:
    """One scan of the source for every point: a FILTER per (aggregate, point)."""
    agg = plans[0].aggregations[index]
    selects: list[exp.Expression] = [column(agg.key)]
    for scan in agg.columns:
        for i, plan in enumerate(plans):
            columns = Columns(plan.aggregates, plan.ranks, plan.metrics, plan.segments)
            upto = None
            if agg.time is not None and plan.as_of < latest:  # the scan's WHERE covers the latest point
                upto = exp.LTE(this=column(agg.time), expression=timestamp(plan.as_of))
            value = aggregate(scan.aggregate, plan, columns, upto)
            selects.append(exp.alias_(value, identifier(scanned[i, scan.name])))
    query = exp.select(*selects, copy=False).from_(relation, copy=False).group_by(column(agg.key), copy=False)
    if agg.time is not None:  # events after the latest point never count; nor do events with no time
        query = query.where(exp.LTE(this=column(agg.time), expression=timestamp(latest)), copy=False)
    return query


def _base(plan: p.Plan, scanned: dict[tuple[int, str], str], points: int, relation: exp.Expression) -> exp.Select:
    """The entity's fields and every point's scanned aggregates, joined on the key once."""
    entity = "entity"
    selects: list[exp.Expression] = [column(name, entity) for name in plan.entity_columns]
    query = exp.select().from_(exp.alias_(relation, identifier(entity), table=True), copy=False)
    for agg in plan.aggregations:
        for scan in agg.columns:
            selects += [column(scanned[i, scan.name], agg.name) for i in range(points)]
        on = exp.EQ(this=column(plan.project.key, entity), expression=column(agg.key, agg.name))
        query = query.join(table(agg.name), on=on, join_type="left", copy=False)
    return query.select(*selects, copy=False)


def _point_base(plan: p.Plan, i: int, scanned: dict[tuple[int, str], str], base: str) -> exp.Select:
    """One point's view of `base`, with the column names the single-point statement has."""
    selects: list[exp.Expression] = [column(name) for name in plan.entity_columns]
    for out in plan.joined:
        value = joined_value(out, plan, column(scanned[i, out.scan.name]))
        selects.append(exp.alias_(value, identifier(out.name)))
    return exp.select(*selects, copy=False).from_(table(base), copy=False)
