WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS count_orders_2,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS count_orders_3,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS sum_amount_orders,
    MIN(ordered_at) AS min_ordered_at_orders,
    MAX(ordered_at) AS max_ordered_at_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-03-06 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders_4,
    COUNT(*) AS count_orders_5,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-08-03 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS count_orders_6
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.email,
    entity.last_email_at,
    entity.lifetime_value,
    entity.newsletter,
    entity.signup_date,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.count_orders_2, 0) AS count_orders_2,
    COALESCE(orders_aggregates.count_orders_3, 0) AS count_orders_3,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders,
    orders_aggregates.min_ordered_at_orders AS min_ordered_at_orders,
    orders_aggregates.max_ordered_at_orders AS max_ordered_at_orders,
    COALESCE(orders_aggregates.count_orders_4, 0) AS count_orders_4,
    COALESCE(orders_aggregates.count_orders_5, 0) AS count_orders_5,
    COALESCE(orders_aggregates.count_orders_6, 0) AS count_orders_6
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_orders_30d,
    count_orders_2 AS metric_orders_90d,
    count_orders_3 AS metric_orders_365d,
    sum_amount_orders AS metric_spend_365d,
    min_ordered_at_orders AS metric_first_order_at,
    max_ordered_at_orders AS metric_last_order_at,
    count_orders_4 AS metric_gap_orders,
    COALESCE(count_orders_5 >= 1, FALSE) AS segment_buyers,
    COALESCE(signup_date = CAST('2026-11-01' AS DATE), FALSE) AS segment_signed_up_today,
    COALESCE(signup_date > CAST('2026-11-01' AS DATE), FALSE) AS segment_signup_after_as_of,
    COALESCE(YEAR(signup_date) = 2025, FALSE) AS segment_cohort_2025,
    COALESCE(CAST(signup_date AS TIMESTAMP) < CAST('2024-11-01 00:00:00' AS TIMESTAMP), FALSE) AS segment_long_tenure,
    COALESCE(signup_date < CAST('2023-01-01' AS DATE), FALSE) AS segment_early_adopters,
    COALESCE(last_email_at < CAST(CAST('2026-06-01' AS DATE) AS TIMESTAMP), FALSE) AS segment_not_emailed_since_june,
    NOT email IS NULL AND last_email_at IS NULL AS segment_never_emailed,
    CASE
      WHEN COALESCE(lifetime_value >= 2500, FALSE)
      THEN 'high'
      WHEN COALESCE(lifetime_value >= 500, FALSE)
      THEN 'medium'
      WHEN COALESCE(lifetime_value > 0, FALSE)
      THEN 'low'
      ELSE 'none'
    END AS layer_value,
    CASE
      WHEN COALESCE(
        newsletter
        AND last_email_at BETWEEN CAST('2026-10-18 00:00:00' AS TIMESTAMP) AND CAST('2026-11-01 00:00:00' AS TIMESTAMP),
        FALSE
      )
      THEN 'reachable'
      WHEN COALESCE(newsletter = TRUE, FALSE)
      THEN 'opted_in'
      WHEN COALESCE(newsletter = FALSE, FALSE)
      THEN 'opted_out'
      ELSE 'unknown'
    END AS layer_email_engagement
  FROM base
), level_2 AS (
  SELECT
    *,
    segment_buyers
    AND COALESCE(
      count_orders_5 = 1
      AND metric_first_order_at BETWEEN CAST('2026-09-06 00:00:00' AS TIMESTAMP) AND CAST('2026-10-18 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_buyers__second_order_pending,
    segment_buyers AND COALESCE(count_orders_6 >= 6 AND metric_orders_90d = 0, FALSE) AS segment_buyers__lapsing_loyals,
    (
      segment_buyers AND NOT email IS NULL
    )
    AND NOT (
      COALESCE(newsletter = FALSE, FALSE)
    ) AS segment_reachable_buyers,
    segment_cohort_2025 AND COALESCE(MONTH(signup_date) >= 11, FALSE) AS segment_cohort_2025__holiday_cohort,
    CASE
      WHEN COALESCE(
        (
          metric_first_order_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)
          AND metric_first_order_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
        )
        OR (
          (
            CAST(signup_date AS TIMESTAMP) >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)
            AND CAST(signup_date AS TIMESTAMP) <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
          )
          AND metric_first_order_at IS NULL
        ),
        FALSE
      )
      THEN 'new'
      WHEN COALESCE(
        (
          metric_orders_30d >= 1 AND metric_gap_orders = 0
        )
        AND metric_first_order_at < CAST('2026-03-06 00:00:00' AS TIMESTAMP),
        FALSE
      )
      THEN 'reactivated'
      WHEN COALESCE(
        (
          metric_orders_365d >= 12 AND metric_spend_365d >= 1500
        )
        AND metric_orders_90d >= 1,
        FALSE
      )
      THEN 'star'
      WHEN COALESCE(metric_orders_90d >= 1, FALSE)
      THEN 'active'
      WHEN COALESCE(
        metric_last_order_at BETWEEN CAST('2025-11-01 00:00:00' AS TIMESTAMP) AND CAST('2026-08-03 00:00:00' AS TIMESTAMP),
        FALSE
      )
      THEN 'churning'
      WHEN COALESCE(metric_last_order_at < CAST('2025-11-01 00:00:00' AS TIMESTAMP), FALSE)
      THEN 'churned'
      ELSE 'prospect'
    END AS layer_stage
  FROM level_1
), level_3 AS (
  SELECT
    *,
    CASE
      WHEN NOT layer_stage IS NULL AND NOT layer_value IS NULL
      THEN layer_stage || '/' || layer_value
    END AS microsegment_stage_value,
    CASE
      WHEN segment_reachable_buyers
      AND NOT layer_stage IS NULL
      AND NOT layer_value IS NULL
      AND NOT layer_email_engagement IS NULL
      THEN layer_stage || '/' || layer_value || '/' || layer_email_engagement
    END AS microsegment_stage_value_email
  FROM level_2
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_buyers THEN 'buyers' END,
      CASE
        WHEN segment_buyers__second_order_pending
        THEN 'buyers/second_order_pending'
      END,
      CASE WHEN segment_buyers__lapsing_loyals THEN 'buyers/lapsing_loyals' END,
      CASE WHEN segment_reachable_buyers THEN 'reachable_buyers' END,
      CASE WHEN segment_signed_up_today THEN 'signed_up_today' END,
      CASE WHEN segment_signup_after_as_of THEN 'signup_after_as_of' END,
      CASE WHEN segment_cohort_2025 THEN 'cohort_2025' END,
      CASE WHEN segment_cohort_2025__holiday_cohort THEN 'cohort_2025/holiday_cohort' END,
      CASE WHEN segment_long_tenure THEN 'long_tenure' END,
      CASE WHEN segment_early_adopters THEN 'early_adopters' END,
      CASE WHEN segment_not_emailed_since_june THEN 'not_emailed_since_june' END,
      CASE WHEN segment_never_emailed THEN 'never_emailed' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_stage AS stage,
  layer_value AS value,
  layer_email_engagement AS email_engagement,
  microsegment_stage_value AS stage_value,
  microsegment_stage_value_email AS stage_value_email
FROM level_3
ORDER BY
  customer_id
