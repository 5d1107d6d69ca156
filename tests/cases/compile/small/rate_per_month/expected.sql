WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-10-18 00:00:00' AS TIMESTAMP)) AS count_orders_2
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.count_orders, 0) / CAST(0.9856262833675564 AS DOUBLE) AS count_orders_rate,
    COALESCE(orders_aggregates.count_orders_2, 0) / CAST(2.0 AS DOUBLE) AS count_orders_2_rate
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_orders_30d,
    count_orders_rate AS metric_purchase_freq,
    count_orders_2_rate AS metric_weekly_orders
  FROM base
), level_2 AS (
  SELECT
    *,
    COALESCE(metric_purchase_freq >= 2, FALSE) AS segment_twice_a_month,
    COALESCE(metric_purchase_freq > CAST(2.174107142857143 AS DOUBLE), FALSE) AS segment_every_other_day_or_so,
    COALESCE(metric_weekly_orders >= 1, FALSE) AS segment_weekly
  FROM level_1
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_twice_a_month THEN 'twice_a_month' END,
      CASE WHEN segment_every_other_day_or_so THEN 'every_other_day_or_so' END,
      CASE WHEN segment_weekly THEN 'weekly' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments
FROM level_2
ORDER BY
  customer_id
