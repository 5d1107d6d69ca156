WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS count_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS count_orders_2,
    AVG(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS avg_amount_orders,
    MAX(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS max_amount_orders,
    MAX(quantity) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS max_quantity_orders,
    AVG(discount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS avg_discount_orders,
    MAX(ordered_at) AS max_ordered_at_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-15 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-01-01 00:00:00' AS TIMESTAMP)) AS count_orders_3,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP) AND quantity >= 4) AS count_orders_4
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.email,
    entity.plan,
    entity.signup_date,
    entity.urgency,
    entity.use_case,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.count_orders_2, 0) / CAST(2.9568788501026693 AS DOUBLE) AS count_orders_2_rate,
    orders_aggregates.avg_amount_orders AS avg_amount_orders,
    orders_aggregates.max_amount_orders AS max_amount_orders,
    orders_aggregates.max_quantity_orders AS max_quantity_orders,
    orders_aggregates.avg_discount_orders AS avg_discount_orders,
    orders_aggregates.max_ordered_at_orders AS max_ordered_at_orders,
    COALESCE(orders_aggregates.count_orders_3, 0) AS count_orders_3,
    COALESCE(orders_aggregates.count_orders_4, 0) AS count_orders_4
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_orders_365d,
    count_orders_2_rate AS metric_purchase_freq,
    avg_amount_orders AS metric_avg_order_365d,
    max_amount_orders AS metric_max_order_365d,
    max_quantity_orders AS metric_max_quantity_365d,
    avg_discount_orders AS metric_avg_discount_365d,
    max_ordered_at_orders AS metric_last_order_at,
    count_orders_3 AS metric_holiday_orders,
    COALESCE(urgency = 'high', FALSE) AS condition_1,
    COALESCE(urgency IN ('low', 'medium'), FALSE) AS segment_not_urgent,
    COALESCE(use_case IN ('small_business', 'enterprise'), FALSE) AS segment_team_buyers,
    COALESCE(use_case = 'education' OR ENDS_WITH(email, '.edu'), FALSE) AS segment_students_and_teachers,
    COALESCE(use_case IS NULL OR use_case = '', FALSE) AS segment_use_case_unknown,
    COALESCE(plan = 'monthly', FALSE) AS condition_2,
    COALESCE(plan = 'annual', FALSE) AS condition_3,
    COALESCE(plan = 'none', FALSE) AS condition_4
  FROM base
), level_2 AS (
  SELECT
    *,
    condition_1 AS segment_urgent,
    COALESCE(metric_max_order_365d >= 1000, FALSE) AS segment_large_orders,
    COALESCE(metric_avg_order_365d > 250, FALSE) AS segment_big_baskets,
    COALESCE(metric_max_quantity_365d >= 4 AND count_orders_4 >= 3, FALSE) AS segment_bulk_buyers,
    COALESCE(metric_avg_order_365d < 30, FALSE) AS segment_small_baskets,
    COALESCE(metric_avg_discount_365d >= CAST(0.2 AS DOUBLE), FALSE) AS segment_discount_driven,
    COALESCE(use_case = 'gifting' OR metric_holiday_orders >= 2, FALSE) AS segment_gift_shoppers,
    condition_2 AS segment_monthly_plan,
    condition_3 AS segment_annual_plan,
    condition_4 AS segment_no_plan,
    CASE
      WHEN condition_1
      THEN 'urgent'
      WHEN COALESCE(metric_max_quantity_365d >= 4 AND metric_avg_order_365d > 100, FALSE)
      THEN 'bulk'
      WHEN COALESCE(use_case = 'gifting', FALSE)
      THEN 'gifting'
      WHEN COALESCE(metric_purchase_freq >= 1, FALSE)
      THEN 'routine'
      ELSE 'browsing'
    END AS layer_need_state,
    CASE
      WHEN condition_2
      THEN 'monthly'
      WHEN condition_3
      THEN 'annual'
      WHEN condition_4
      THEN 'none'
    END AS layer_plan_type
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_urgent
    AND COALESCE(
      metric_last_order_at >= CAST('2026-10-25 00:00:00' AS TIMESTAMP)
      AND metric_last_order_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_urgent__ordered_this_week,
    segment_monthly_plan
    AND COALESCE(
      CAST(signup_date AS TIMESTAMP) <= CAST('2026-05-01 00:00:00' AS TIMESTAMP)
      AND metric_purchase_freq >= 1,
      FALSE
    ) AS segment_monthly_plan__annual_upgrade_candidates,
    segment_annual_plan
    AND COALESCE(
      MONTH(signup_date) IN (11, 12)
      AND CAST(signup_date AS TIMESTAMP) < CAST('2025-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_annual_plan__renewal_soon,
    segment_no_plan AND COALESCE(metric_orders_365d >= 6, FALSE) AS segment_no_plan__subscription_prospects,
    CASE
      WHEN NOT layer_plan_type IS NULL AND NOT layer_need_state IS NULL
      THEN layer_plan_type || '/' || layer_need_state
    END AS microsegment_plan_need
  FROM level_2
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_urgent THEN 'urgent' END,
      CASE WHEN segment_urgent__ordered_this_week THEN 'urgent/ordered_this_week' END,
      CASE WHEN segment_not_urgent THEN 'not_urgent' END,
      CASE WHEN segment_large_orders THEN 'large_orders' END,
      CASE WHEN segment_big_baskets THEN 'big_baskets' END,
      CASE WHEN segment_bulk_buyers THEN 'bulk_buyers' END,
      CASE WHEN segment_small_baskets THEN 'small_baskets' END,
      CASE WHEN segment_discount_driven THEN 'discount_driven' END,
      CASE WHEN segment_gift_shoppers THEN 'gift_shoppers' END,
      CASE WHEN segment_team_buyers THEN 'team_buyers' END,
      CASE WHEN segment_students_and_teachers THEN 'students_and_teachers' END,
      CASE WHEN segment_use_case_unknown THEN 'use_case_unknown' END,
      CASE WHEN segment_monthly_plan THEN 'monthly_plan' END,
      CASE
        WHEN segment_monthly_plan__annual_upgrade_candidates
        THEN 'monthly_plan/annual_upgrade_candidates'
      END,
      CASE WHEN segment_annual_plan THEN 'annual_plan' END,
      CASE WHEN segment_annual_plan__renewal_soon THEN 'annual_plan/renewal_soon' END,
      CASE WHEN segment_no_plan THEN 'no_plan' END,
      CASE
        WHEN segment_no_plan__subscription_prospects
        THEN 'no_plan/subscription_prospects'
      END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_need_state AS need_state,
  layer_plan_type AS plan_type,
  microsegment_plan_need AS plan_need
FROM level_3
ORDER BY
  customer_id
