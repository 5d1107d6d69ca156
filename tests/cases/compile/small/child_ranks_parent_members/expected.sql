WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS count_orders,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS sum_amount_orders
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_orders_365d,
    sum_amount_orders AS metric_spend_365d
  FROM base
), level_2 AS (
  SELECT
    *,
    COALESCE(metric_orders_365d >= 1, FALSE) AS segment_buyers,
    CASE
      WHEN NOT metric_spend_365d IS NULL
      THEN NTILE(4) OVER (
        PARTITION BY NOT metric_spend_365d IS NULL
        ORDER BY metric_spend_365d, customer_id
      )
    END AS ntile_2
  FROM level_1
), level_3 AS (
  SELECT
    *,
    CASE
      WHEN segment_buyers AND NOT metric_spend_365d IS NULL
      THEN NTILE(4) OVER (
        PARTITION BY segment_buyers, NOT metric_spend_365d IS NULL
        ORDER BY metric_spend_365d, customer_id
      )
    END AS ntile_1,
    COALESCE(ntile_2 = 4, FALSE) AS segment_top_spenders_overall
  FROM level_2
), level_4 AS (
  SELECT
    *,
    segment_buyers AND COALESCE(ntile_1 = 4, FALSE) AS segment_buyers__top_spenders
  FROM level_3
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_buyers THEN 'buyers' END,
      CASE WHEN segment_buyers__top_spenders THEN 'buyers/top_spenders' END,
      CASE WHEN segment_top_spenders_overall THEN 'top_spenders_overall' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments
FROM level_4
ORDER BY
  customer_id
