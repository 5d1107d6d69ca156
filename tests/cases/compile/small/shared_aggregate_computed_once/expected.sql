WITH orders_aggregates AS (
  SELECT
    customer_id,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS sum_amount_orders,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS sum_amount_orders_2,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP) AND category = 'books') AS count_orders
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders,
    COALESCE(orders_aggregates.sum_amount_orders_2, 0) AS sum_amount_orders_2,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    sum_amount_orders AS metric_spend_90d,
    sum_amount_orders AS metric_spend_quarter,
    sum_amount_orders_2 AS metric_spend_30d,
    count_orders AS metric_book_orders_90d
  FROM base
), level_2 AS (
  SELECT
    *,
    COALESCE(metric_spend_90d >= 200, FALSE) AS segment_big_spenders,
    COALESCE(sum_amount_orders >= 200 AND metric_spend_quarter > 0, FALSE) AS segment_big_spenders_again,
    COALESCE(metric_spend_30d > 100, FALSE) AS segment_recent_spenders,
    COALESCE(metric_book_orders_90d >= 2 OR count_orders >= 3, FALSE) AS segment_book_lovers
  FROM level_1
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_big_spenders THEN 'big_spenders' END,
      CASE WHEN segment_big_spenders_again THEN 'big_spenders_again' END,
      CASE WHEN segment_recent_spenders THEN 'recent_spenders' END,
      CASE WHEN segment_book_lovers THEN 'book_lovers' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments
FROM level_2
ORDER BY
  customer_id
