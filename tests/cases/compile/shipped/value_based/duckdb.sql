WITH orders_aggregates AS (
  SELECT
    customer_id,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS sum_amount_orders,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2026-05-05 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS sum_amount_orders_2,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS sum_amount_orders_3,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2024-11-01 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS sum_amount_orders_4,
    SUM(amount) AS sum_amount_orders_5,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS count_orders,
    AVG(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS avg_amount_orders,
    MIN(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS min_amount_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-09-17 00:00:00' AS TIMESTAMP)) AS count_orders_2
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.income,
    entity.lifetime_value,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders,
    COALESCE(orders_aggregates.sum_amount_orders_2, 0) AS sum_amount_orders_2,
    COALESCE(orders_aggregates.sum_amount_orders_3, 0) AS sum_amount_orders_3,
    COALESCE(orders_aggregates.sum_amount_orders_4, 0) AS sum_amount_orders_4,
    COALESCE(orders_aggregates.sum_amount_orders_5, 0) AS sum_amount_orders_5,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    orders_aggregates.avg_amount_orders AS avg_amount_orders,
    orders_aggregates.min_amount_orders AS min_amount_orders,
    COALESCE(orders_aggregates.count_orders_2, 0) AS count_orders_2
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    sum_amount_orders AS metric_spend_90d,
    sum_amount_orders_2 AS metric_spend_prior_90d,
    sum_amount_orders_3 AS metric_spend_365d,
    sum_amount_orders_4 AS metric_spend_prev_365d,
    sum_amount_orders_5 AS metric_spend_all_time,
    count_orders AS metric_orders_365d,
    avg_amount_orders AS metric_aov_365d,
    min_amount_orders AS metric_smallest_order,
    CASE
      WHEN NOT sum_amount_orders_3 IS NULL
      THEN PERCENT_RANK() OVER (PARTITION BY NOT sum_amount_orders_3 IS NULL ORDER BY sum_amount_orders_3)
    END AS percent_rank_1,
    COALESCE(lifetime_value >= 10000, FALSE) AS condition_1,
    COALESCE(lifetime_value > 0 AND lifetime_value < 100, FALSE) AS segment_low_value,
    COALESCE(lifetime_value = 0, FALSE) AS segment_zero_value,
    COALESCE(lifetime_value > CAST(0.05 AS DOUBLE) * COALESCE(income, 1000000), FALSE) AS segment_ltv_over_5pct_of_income
  FROM base
), level_2 AS (
  SELECT
    *,
    percent_rank_1 AS metric_spend_rank,
    condition_1 AS segment_vip,
    COALESCE(metric_spend_365d >= 2500, FALSE) AS segment_whales,
    COALESCE(metric_spend_365d > 0, FALSE) AS segment_spenders_365d,
    COALESCE(CAST(metric_spend_90d AS DOUBLE) + metric_spend_prior_90d >= 1000, FALSE) AS segment_half_year_1k,
    COALESCE(metric_spend_90d < CAST(0.5 AS DOUBLE) * metric_spend_prior_90d, FALSE) AS segment_halved_spend,
    COALESCE(metric_aov_365d >= 150 AND metric_smallest_order >= 20, FALSE) AS segment_premium_basket,
    COALESCE(metric_spend_all_time > lifetime_value, FALSE) AS segment_spend_exceeds_ltv,
    CASE
      WHEN condition_1
      THEN 'platinum'
      WHEN COALESCE(lifetime_value >= 2500, FALSE)
      THEN 'gold'
      WHEN COALESCE(lifetime_value >= 500, FALSE)
      THEN 'silver'
      WHEN COALESCE(lifetime_value > 0, FALSE)
      THEN 'bronze'
      ELSE 'none'
    END AS layer_value_tier
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_vip AND COALESCE(count_orders_2 = 0, FALSE) AS segment_vip__quiet_vips,
    COALESCE(metric_spend_rank >= CAST(0.9 AS DOUBLE), FALSE) AS segment_top_decile,
    CASE
      WHEN segment_spenders_365d AND NOT metric_spend_365d IS NULL
      THEN NTILE(5) OVER (
        PARTITION BY segment_spenders_365d, NOT metric_spend_365d IS NULL
        ORDER BY metric_spend_365d, customer_id
      )
    END AS ntile_2,
    CASE
      WHEN segment_spenders_365d AND NOT metric_spend_365d IS NULL
      THEN PERCENT_RANK() OVER (
        PARTITION BY segment_spenders_365d, NOT metric_spend_365d IS NULL
        ORDER BY metric_spend_365d
      )
    END AS percent_rank_3,
    segment_spenders_365d
    AND COALESCE(
      metric_spend_365d > CAST(1.5 AS DOUBLE) * metric_spend_prev_365d
      AND metric_spend_prev_365d > 0,
      FALSE
    ) AS segment_spenders_365d__growing,
    segment_spenders_365d
    AND COALESCE(CAST(metric_spend_90d AS DOUBLE) - metric_spend_prior_90d < -250, FALSE) AS segment_spenders_365d__sharp_decline,
    segment_spenders_365d
    AND COALESCE(
      ABS(CAST(metric_spend_90d AS DOUBLE) - metric_spend_prior_90d) < 50
      AND metric_spend_90d > 0,
      FALSE
    ) AS segment_spenders_365d__stable,
    CASE
      WHEN segment_spenders_365d
      THEN CASE
        WHEN COALESCE(metric_spend_90d > metric_spend_prior_90d, FALSE)
        THEN 'up'
        WHEN COALESCE(metric_spend_90d < metric_spend_prior_90d, FALSE)
        THEN 'down'
        ELSE 'flat'
      END
    END AS layer_trend
  FROM level_2
), level_4 AS (
  SELECT
    *,
    COALESCE(ntile_2 = 5, FALSE) AS condition_2,
    segment_spenders_365d AND COALESCE(percent_rank_3 >= CAST(0.5 AS DOUBLE), FALSE) AS segment_spenders_365d__above_median,
    CASE
      WHEN segment_spenders_365d AND NOT layer_value_tier IS NULL AND NOT layer_trend IS NULL
      THEN layer_value_tier || '/' || layer_trend
    END AS microsegment_tier_trend
  FROM level_3
), level_5 AS (
  SELECT
    *,
    segment_spenders_365d AND condition_2 AS segment_spenders_365d__top_fifth,
    CASE
      WHEN segment_spenders_365d
      THEN CASE
        WHEN condition_2
        THEN 'q5'
        WHEN COALESCE(ntile_2 = 4, FALSE)
        THEN 'q4'
        WHEN COALESCE(ntile_2 = 3, FALSE)
        THEN 'q3'
        WHEN COALESCE(ntile_2 = 2, FALSE)
        THEN 'q2'
        WHEN COALESCE(ntile_2 = 1, FALSE)
        THEN 'q1'
      END
    END AS layer_spend_quintile
  FROM level_4
), level_6 AS (
  SELECT
    *,
    CASE
      WHEN NOT layer_spend_quintile IS NULL AND NOT layer_trend IS NULL
      THEN layer_spend_quintile || '/' || layer_trend
    END AS microsegment_quintile_trend
  FROM level_5
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_vip THEN 'vip' END,
      CASE WHEN segment_vip__quiet_vips THEN 'vip/quiet_vips' END,
      CASE WHEN segment_low_value THEN 'low_value' END,
      CASE WHEN segment_zero_value THEN 'zero_value' END,
      CASE WHEN segment_ltv_over_5pct_of_income THEN 'ltv_over_5pct_of_income' END,
      CASE WHEN segment_whales THEN 'whales' END,
      CASE WHEN segment_top_decile THEN 'top_decile' END,
      CASE WHEN segment_spenders_365d THEN 'spenders_365d' END,
      CASE WHEN segment_spenders_365d__top_fifth THEN 'spenders_365d/top_fifth' END,
      CASE WHEN segment_spenders_365d__above_median THEN 'spenders_365d/above_median' END,
      CASE WHEN segment_spenders_365d__growing THEN 'spenders_365d/growing' END,
      CASE
        WHEN segment_spenders_365d__sharp_decline
        THEN 'spenders_365d/sharp_decline'
      END,
      CASE WHEN segment_spenders_365d__stable THEN 'spenders_365d/stable' END,
      CASE WHEN segment_half_year_1k THEN 'half_year_1k' END,
      CASE WHEN segment_halved_spend THEN 'halved_spend' END,
      CASE WHEN segment_premium_basket THEN 'premium_basket' END,
      CASE WHEN segment_spend_exceeds_ltv THEN 'spend_exceeds_ltv' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_value_tier AS value_tier,
  layer_spend_quintile AS spend_quintile,
  layer_trend AS trend,
  microsegment_tier_trend AS tier_trend,
  microsegment_quintile_trend AS quintile_trend
FROM level_6
ORDER BY
  customer_id
