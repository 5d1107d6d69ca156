WITH orders_aggregates AS (
  SELECT
    customer_id,
    MAX(ordered_at) AS max_ordered_at_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2024-11-01 00:00:00' AS TIMESTAMP)) AS count_orders,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2024-11-01 00:00:00' AS TIMESTAMP)) AS sum_amount_orders
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    orders_aggregates.max_ordered_at_orders AS max_ordered_at_orders,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    max_ordered_at_orders AS metric_last_order_at,
    count_orders AS metric_orders_2y,
    sum_amount_orders AS metric_spend_2y
  FROM base
), level_2 AS (
  SELECT
    *,
    COALESCE(metric_orders_2y >= 1, FALSE) AS segment_buyers
  FROM level_1
), level_3 AS (
  SELECT
    *,
    CASE
      WHEN segment_buyers AND NOT metric_spend_2y IS NULL
      THEN PERCENT_RANK() OVER (PARTITION BY segment_buyers, NOT metric_spend_2y IS NULL ORDER BY metric_spend_2y)
    END AS percent_rank_1,
    segment_buyers AND COALESCE(metric_orders_2y = 1, FALSE) AS segment_buyers__single_order,
    CASE
      WHEN segment_buyers
      AND NOT -DATE_DIFF('DAY', CAST(metric_last_order_at AS DATE), CAST('2026-11-01' AS DATE)) IS NULL
      THEN NTILE(5) OVER (
        PARTITION BY segment_buyers, NOT -DATE_DIFF('DAY', CAST(metric_last_order_at AS DATE), CAST('2026-11-01' AS DATE)) IS NULL
        ORDER BY -DATE_DIFF('DAY', CAST(metric_last_order_at AS DATE), CAST('2026-11-01' AS DATE)), customer_id
      )
    END AS ntile_2,
    CASE
      WHEN segment_buyers AND NOT metric_orders_2y IS NULL
      THEN NTILE(5) OVER (
        PARTITION BY segment_buyers, NOT metric_orders_2y IS NULL
        ORDER BY metric_orders_2y, customer_id
      )
    END AS ntile_3,
    CASE
      WHEN segment_buyers AND NOT metric_spend_2y IS NULL
      THEN NTILE(5) OVER (
        PARTITION BY segment_buyers, NOT metric_spend_2y IS NULL
        ORDER BY metric_spend_2y, customer_id
      )
    END AS ntile_4
  FROM level_2
), level_4 AS (
  SELECT
    *,
    segment_buyers AND COALESCE(percent_rank_1 >= CAST(0.8 AS DOUBLE), FALSE) AS segment_buyers__top_spenders,
    CASE
      WHEN segment_buyers
      THEN CASE
        WHEN COALESCE(ntile_2 = 5, FALSE)
        THEN 'r5'
        WHEN COALESCE(ntile_2 = 4, FALSE)
        THEN 'r4'
        WHEN COALESCE(ntile_2 = 3, FALSE)
        THEN 'r3'
        WHEN COALESCE(ntile_2 = 2, FALSE)
        THEN 'r2'
        WHEN COALESCE(ntile_2 = 1, FALSE)
        THEN 'r1'
      END
    END AS layer_recency,
    CASE
      WHEN segment_buyers
      THEN CASE
        WHEN COALESCE(ntile_3 = 5, FALSE)
        THEN 'f5'
        WHEN COALESCE(ntile_3 = 4, FALSE)
        THEN 'f4'
        WHEN COALESCE(ntile_3 = 3, FALSE)
        THEN 'f3'
        WHEN COALESCE(ntile_3 = 2, FALSE)
        THEN 'f2'
        WHEN COALESCE(ntile_3 = 1, FALSE)
        THEN 'f1'
      END
    END AS layer_frequency,
    CASE
      WHEN segment_buyers
      THEN CASE
        WHEN COALESCE(ntile_4 = 5, FALSE)
        THEN 'm5'
        WHEN COALESCE(ntile_4 = 4, FALSE)
        THEN 'm4'
        WHEN COALESCE(ntile_4 = 3, FALSE)
        THEN 'm3'
        WHEN COALESCE(ntile_4 = 2, FALSE)
        THEN 'm2'
        WHEN COALESCE(ntile_4 = 1, FALSE)
        THEN 'm1'
      END
    END AS layer_monetary,
    CASE
      WHEN segment_buyers
      THEN CASE
        WHEN COALESCE(ntile_2 = 5 AND ntile_3 >= 4, FALSE)
        THEN 'champions'
        WHEN COALESCE(ntile_2 BETWEEN 3 AND 4 AND ntile_3 >= 4, FALSE)
        THEN 'loyal'
        WHEN COALESCE(ntile_2 >= 4 AND ntile_3 BETWEEN 2 AND 3, FALSE)
        THEN 'potential_loyalists'
        WHEN COALESCE(ntile_2 = 5 AND ntile_3 = 1, FALSE)
        THEN 'new_customers'
        WHEN COALESCE(ntile_2 = 4 AND ntile_3 = 1, FALSE)
        THEN 'promising'
        WHEN COALESCE(ntile_2 = 3 AND ntile_3 = 3, FALSE)
        THEN 'need_attention'
        WHEN COALESCE(ntile_2 = 3 AND ntile_3 <= 2, FALSE)
        THEN 'about_to_sleep'
        WHEN COALESCE(ntile_2 <= 2 AND ntile_3 = 5, FALSE)
        THEN 'cant_lose_them'
        WHEN COALESCE(ntile_2 <= 2 AND ntile_3 BETWEEN 3 AND 4, FALSE)
        THEN 'at_risk'
        WHEN COALESCE((
          ntile_2 = 1 AND ntile_3 <= 2
        ) AND ntile_4 <= 2, FALSE)
        THEN 'lost'
        WHEN COALESCE(ntile_2 <= 2 AND ntile_3 <= 2, FALSE)
        THEN 'hibernating'
      END
    END AS layer_rfm_segment
  FROM level_3
), level_5 AS (
  SELECT
    *,
    CASE
      WHEN segment_buyers
      AND NOT layer_recency IS NULL
      AND NOT layer_frequency IS NULL
      AND NOT layer_monetary IS NULL
      THEN layer_recency || '/' || layer_frequency || '/' || layer_monetary
    END AS microsegment_rfm_cell,
    CASE
      WHEN NOT layer_rfm_segment IS NULL AND NOT layer_monetary IS NULL
      THEN layer_rfm_segment || '/' || layer_monetary
    END AS microsegment_segment_by_value
  FROM level_4
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_buyers THEN 'buyers' END,
      CASE WHEN segment_buyers__top_spenders THEN 'buyers/top_spenders' END,
      CASE WHEN segment_buyers__single_order THEN 'buyers/single_order' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_recency AS recency,
  layer_frequency AS frequency,
  layer_monetary AS monetary,
  layer_rfm_segment AS rfm_segment,
  microsegment_rfm_cell AS rfm_cell,
  microsegment_segment_by_value AS segment_by_value
FROM level_5
ORDER BY
  customer_id
