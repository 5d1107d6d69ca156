WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.country,
    entity.industry,
    COALESCE(orders_aggregates.count_orders, 0) / CAST(0.9856262833675564 AS DOUBLE) AS count_orders_rate
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders_rate AS metric_purchase_freq,
    COALESCE(industry IN ('software', 'saas'), FALSE) AS segment_tech,
    COALESCE(industry IN ('finance', 'healthcare') OR country = 'CA', FALSE) AS segment_regulated
  FROM base
), level_2 AS (
  SELECT
    *,
    segment_tech
    AND COALESCE(metric_purchase_freq >= 1 AND NOT (
      segment_regulated
    ), FALSE) AS segment_tech__power_buyers
  FROM level_1
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_tech THEN 'tech' END,
      CASE WHEN segment_regulated THEN 'regulated' END,
      CASE WHEN segment_tech__power_buyers THEN 'tech/power_buyers' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments
FROM level_2
ORDER BY
  customer_id
