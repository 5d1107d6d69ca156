WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS count_orders_2,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-10-01 00:00:00' AS TIMESTAMP)) AS count_orders_3,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-05-01 00:00:00' AS TIMESTAMP)) AS count_orders_4,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS count_orders_5,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-09-06 00:00:00' AS TIMESTAMP)) AS count_orders_6,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2024-11-01 00:00:00' AS TIMESTAMP)) AS count_orders_7,
    MIN(ordered_at) AS min_ordered_at_orders,
    MAX(ordered_at) AS max_ordered_at_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP) AND channel = 'online') AS count_orders_8,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP) AND channel = 'store') AS count_orders_9,
    COUNT(DISTINCT category) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS count_distinct_category_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-05-05 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders_10,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-01-01 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP)) AS count_orders_11,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-05-05 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS count_orders_12,
    COUNT(*) AS count_orders_13,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)
      AND (
        channel = 'online' AND amount > 100
      )) AS count_orders_14
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), app_events_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      event_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP) AND event = 'login') AS count_app_events
  FROM app_events
  WHERE
    event_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.logins_per_week,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.count_orders_2, 0) AS count_orders_2,
    COALESCE(orders_aggregates.count_orders_3, 0) AS count_orders_3,
    COALESCE(orders_aggregates.count_orders_4, 0) AS count_orders_4,
    COALESCE(orders_aggregates.count_orders_5, 0) AS count_orders_5,
    COALESCE(orders_aggregates.count_orders_2, 0) / CAST(2.9568788501026693 AS DOUBLE) AS count_orders_2_rate,
    COALESCE(orders_aggregates.count_orders_6, 0) / CAST(8.0 AS DOUBLE) AS count_orders_6_rate,
    COALESCE(orders_aggregates.count_orders_7, 0) / CAST(1.998631074606434 AS DOUBLE) AS count_orders_7_rate,
    orders_aggregates.min_ordered_at_orders AS min_ordered_at_orders,
    orders_aggregates.max_ordered_at_orders AS max_ordered_at_orders,
    COALESCE(orders_aggregates.count_orders_8, 0) AS count_orders_8,
    COALESCE(orders_aggregates.count_orders_9, 0) AS count_orders_9,
    COALESCE(orders_aggregates.count_distinct_category_orders, 0) AS count_distinct_category_orders,
    COALESCE(orders_aggregates.count_orders_10, 0) AS count_orders_10,
    COALESCE(orders_aggregates.count_orders_11, 0) AS count_orders_11,
    COALESCE(orders_aggregates.count_orders_12, 0) AS count_orders_12,
    COALESCE(orders_aggregates.count_orders_13, 0) AS count_orders_13,
    COALESCE(orders_aggregates.count_orders_14, 0) AS count_orders_14,
    COALESCE(app_events_aggregates.count_app_events, 0) AS count_app_events
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
  LEFT JOIN app_events_aggregates
    ON entity.customer_id = app_events_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_orders_30d,
    count_orders_2 AS metric_orders_90d,
    count_orders_3 AS metric_orders_1mo,
    count_orders_4 AS metric_orders_6mo,
    count_orders_5 AS metric_orders_365d,
    count_orders_2_rate AS metric_purchase_freq,
    count_orders_6_rate AS metric_weekly_orders,
    count_orders_7_rate AS metric_yearly_orders,
    min_ordered_at_orders AS metric_first_order_at,
    max_ordered_at_orders AS metric_last_order_at,
    count_orders_8 AS metric_online_orders_365d,
    count_orders_9 AS metric_store_orders_365d,
    count_distinct_category_orders AS metric_categories_365d,
    count_app_events AS metric_logins_30d,
    COALESCE(count_orders_10 > 0 AND count_orders = 0, FALSE) AS segment_stopped_buying,
    COALESCE(count_orders_11 >= 1, FALSE) AS segment_q1_2026_buyers,
    COALESCE(count_orders_13 = 0, FALSE) AS segment_never_bought,
    COALESCE(logins_per_week >= 2, FALSE) AS segment_app_engaged,
    COALESCE(count_orders_14 >= 2, FALSE) AS segment_big_online_orders
  FROM base
), level_2 AS (
  SELECT
    *,
    COALESCE(metric_purchase_freq >= 2, FALSE) AS segment_frequent_buyers,
    COALESCE(metric_orders_1mo >= 2 AND metric_orders_6mo >= 6, FALSE) AS segment_monthly_regulars,
    COALESCE(metric_yearly_orders >= 12, FALSE) AS segment_steady_buyers,
    COALESCE(
      metric_last_order_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)
      AND metric_last_order_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_recent_buyers,
    segment_q1_2026_buyers
    AND COALESCE(metric_last_order_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP), FALSE) AS segment_q1_2026_buyers__not_since,
    COALESCE(metric_last_order_at <= CAST('2026-05-01 00:00:00' AS TIMESTAMP), FALSE) AS segment_last_order_long_ago,
    COALESCE(metric_orders_90d > count_orders_12 AND metric_orders_90d >= 2, FALSE) AS segment_high_recent_momentum,
    COALESCE(metric_orders_90d >= 1, FALSE) AS segment_active,
    COALESCE(metric_categories_365d >= 3, FALSE) AS segment_multi_category,
    segment_app_engaged AND COALESCE(metric_orders_90d = 0, FALSE) AS segment_app_engaged__app_but_no_orders,
    CASE
      WHEN COALESCE(
        DATE_DIFF('DAY', CAST(metric_last_order_at AS DATE), CAST('2026-11-01' AS DATE)) <= 30,
        FALSE
      )
      THEN 'this_month'
      WHEN COALESCE(
        DATE_DIFF('DAY', CAST(metric_last_order_at AS DATE), CAST('2026-11-01' AS DATE)) <= 90,
        FALSE
      )
      THEN 'this_quarter'
      WHEN COALESCE(
        DATE_DIFF('DAY', CAST(metric_last_order_at AS DATE), CAST('2026-11-01' AS DATE)) <= 365,
        FALSE
      )
      THEN 'this_year'
      WHEN COALESCE(
        DATE_DIFF('DAY', CAST(metric_last_order_at AS DATE), CAST('2026-11-01' AS DATE)) > 365,
        FALSE
      )
      THEN 'longer'
      WHEN metric_last_order_at IS NULL
      THEN 'never'
    END AS layer_recency,
    CASE
      WHEN COALESCE(metric_orders_365d >= 24, FALSE)
      THEN 'heavy'
      WHEN COALESCE(metric_orders_365d >= 6, FALSE)
      THEN 'medium'
      WHEN COALESCE(metric_orders_365d >= 1, FALSE)
      THEN 'light'
      ELSE 'none'
    END AS layer_frequency
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_frequent_buyers AND COALESCE(metric_weekly_orders >= 1, FALSE) AS segment_frequent_buyers__weekly_buyers,
    segment_recent_buyers
    AND COALESCE(
      metric_first_order_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)
      AND metric_first_order_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_recent_buyers__first_timers,
    segment_active AND COALESCE(metric_store_orders_365d = 0, FALSE) AS segment_active__online_only,
    segment_active
    AND COALESCE(metric_online_orders_365d = 0 AND metric_store_orders_365d >= 1, FALSE) AS segment_active__store_only,
    segment_active
    AND COALESCE(metric_online_orders_365d >= 1 AND metric_store_orders_365d >= 1, FALSE) AS segment_active__omnichannel,
    COALESCE(NOT (
      segment_active
    ) AND count_orders_13 > 0, FALSE) AS segment_inactive,
    CASE
      WHEN segment_active
      THEN CASE
        WHEN COALESCE(metric_online_orders_365d >= CAST(0.8 AS DOUBLE) * metric_orders_365d, FALSE)
        THEN 'online_first'
        WHEN COALESCE(metric_store_orders_365d >= CAST(0.8 AS DOUBLE) * metric_orders_365d, FALSE)
        THEN 'store_first'
        ELSE 'mixed'
      END
    END AS layer_channel_mix,
    CASE
      WHEN NOT layer_recency IS NULL AND NOT layer_frequency IS NULL
      THEN layer_recency || '/' || layer_frequency
    END AS microsegment_recency_frequency
  FROM level_2
), level_4 AS (
  SELECT
    *,
    CASE
      WHEN segment_active AND NOT layer_channel_mix IS NULL AND NOT layer_frequency IS NULL
      THEN layer_channel_mix || '/' || layer_frequency
    END AS microsegment_active_channel_frequency
  FROM level_3
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_frequent_buyers THEN 'frequent_buyers' END,
      CASE
        WHEN segment_frequent_buyers__weekly_buyers
        THEN 'frequent_buyers/weekly_buyers'
      END,
      CASE WHEN segment_monthly_regulars THEN 'monthly_regulars' END,
      CASE WHEN segment_steady_buyers THEN 'steady_buyers' END,
      CASE WHEN segment_recent_buyers THEN 'recent_buyers' END,
      CASE WHEN segment_recent_buyers__first_timers THEN 'recent_buyers/first_timers' END,
      CASE WHEN segment_stopped_buying THEN 'stopped_buying' END,
      CASE WHEN segment_q1_2026_buyers THEN 'q1_2026_buyers' END,
      CASE WHEN segment_q1_2026_buyers__not_since THEN 'q1_2026_buyers/not_since' END,
      CASE WHEN segment_last_order_long_ago THEN 'last_order_long_ago' END,
      CASE WHEN segment_high_recent_momentum THEN 'high_recent_momentum' END,
      CASE WHEN segment_active THEN 'active' END,
      CASE WHEN segment_active__online_only THEN 'active/online_only' END,
      CASE WHEN segment_active__store_only THEN 'active/store_only' END,
      CASE WHEN segment_active__omnichannel THEN 'active/omnichannel' END,
      CASE WHEN segment_inactive THEN 'inactive' END,
      CASE WHEN segment_never_bought THEN 'never_bought' END,
      CASE WHEN segment_multi_category THEN 'multi_category' END,
      CASE WHEN segment_app_engaged THEN 'app_engaged' END,
      CASE
        WHEN segment_app_engaged__app_but_no_orders
        THEN 'app_engaged/app_but_no_orders'
      END,
      CASE WHEN segment_big_online_orders THEN 'big_online_orders' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_recency AS recency,
  layer_frequency AS frequency,
  layer_channel_mix AS channel_mix,
  microsegment_recency_frequency AS recency_frequency,
  microsegment_active_channel_frequency AS active_channel_frequency
FROM level_4
ORDER BY
  customer_id
