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
    entity.country,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_orders_365d,
    sum_amount_orders AS metric_spend_365d,
    CASE
      WHEN COALESCE(country IN ('DE', 'FR', 'GB', 'ES'), FALSE)
      THEN 'europe'
      WHEN COALESCE(country IN ('US', 'CA'), FALSE)
      THEN 'north_america'
    END AS layer_region
  FROM base
), level_2 AS (
  SELECT
    *,
    COALESCE(metric_orders_365d >= 1, FALSE) AS segment_buyers
  FROM level_1
), level_3 AS (
  SELECT
    *,
    CASE
      WHEN segment_buyers AND NOT metric_spend_365d IS NULL
      THEN PERCENT_RANK() OVER (
        PARTITION BY segment_buyers, NOT metric_spend_365d IS NULL
        ORDER BY metric_spend_365d
      )
    END AS percent_rank_1
  FROM level_2
), level_4 AS (
  SELECT
    *,
    CASE
      WHEN segment_buyers
      THEN CASE
        WHEN COALESCE(percent_rank_1 >= CAST(0.75 AS DOUBLE), FALSE)
        THEN 'top'
        WHEN COALESCE(percent_rank_1 >= CAST(0.25 AS DOUBLE), FALSE)
        THEN 'middle'
        ELSE 'rest'
      END
    END AS layer_buyer_value
  FROM level_3
), level_5 AS (
  SELECT
    *,
    CASE
      WHEN segment_buyers AND NOT layer_region IS NULL AND NOT layer_buyer_value IS NULL
      THEN layer_region || '/' || layer_buyer_value
    END AS microsegment_buyer_value_by_region
  FROM level_4
)
SELECT
  customer_id,
  LIST_FILTER([CASE WHEN segment_buyers THEN 'buyers' END], LAMBDA _u : NOT _u IS NULL) AS segments,
  layer_buyer_value AS buyer_value,
  layer_region AS region,
  microsegment_buyer_value_by_region AS buyer_value_by_region
FROM level_5
ORDER BY
  customer_id
