WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)) AS count_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS count_orders_2,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS sum_amount_orders,
    MAX(ordered_at) AS max_ordered_at_orders
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
    entity.company_revenue,
    entity.company_size,
    entity.country,
    entity.industry,
    entity.job_role,
    entity.logins_per_week,
    entity.software,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.count_orders_2, 0) AS count_orders_2,
    COALESCE(orders_aggregates.count_orders, 0) / CAST(2.9568788501026693 AS DOUBLE) AS count_orders_rate,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders,
    orders_aggregates.max_ordered_at_orders AS max_ordered_at_orders,
    COALESCE(app_events_aggregates.count_app_events, 0) AS count_app_events
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
  LEFT JOIN app_events_aggregates
    ON entity.customer_id = app_events_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_orders_90d,
    count_orders_2 AS metric_orders_365d,
    count_orders_rate AS metric_purchase_freq,
    sum_amount_orders AS metric_spend_365d,
    max_ordered_at_orders AS metric_last_order_at,
    count_app_events AS metric_logins_30d,
    NOT industry IS NULL AS segment_business,
    COALESCE(industry IN ('software', 'saas', 'it_services'), FALSE) AS segment_tech,
    COALESCE(company_size >= 1000 AND company_revenue >= 50000000, FALSE) AS segment_enterprise,
    COALESCE(company_size BETWEEN 100 AND 999, FALSE) AS segment_mid_market,
    COALESCE(company_size < 100 OR company_revenue < 1000000, FALSE) AS segment_small_business,
    COALESCE(industry IN ('finance', 'healthcare'), FALSE) AS segment_regulated,
    COALESCE(NOT industry IN ('software', 'saas', 'it_services'), FALSE) AS segment_traditional_industries,
    industry IS NULL AS segment_consumers,
    COALESCE(
      (
        job_role IN ('CTO', 'CEO', 'Founder & CEO') OR STARTS_WITH(job_role, 'VP')
      )
      OR STARTS_WITH(job_role, 'Head of'),
      FALSE
    ) AS segment_decision_makers,
    COALESCE(STRPOS(LOWER(job_role), 'engineer') > 0 OR ENDS_WITH(job_role, 'Analyst'), FALSE) AS segment_technical_buyers,
    COALESCE(
      ENDS_WITH(job_role, 'Manager') AND NOT (
        STARTS_WITH(job_role, 'Office')
      ),
      FALSE
    ) AS segment_managers,
    COALESCE(
      ARRAY_CONTAINS(software, 'salesforce') OR ARRAY_CONTAINS(software, 'hubspot'),
      FALSE
    ) AS segment_crm_users,
    CASE
      WHEN COALESCE(company_size >= 1000, FALSE)
      THEN 'enterprise'
      WHEN COALESCE(company_size >= 100, FALSE)
      THEN 'mid_market'
      WHEN COALESCE(company_size >= 10, FALSE)
      THEN 'small'
      WHEN COALESCE(company_size >= 1, FALSE)
      THEN 'micro'
      ELSE 'consumer'
    END AS layer_company_tier
  FROM base
), level_2 AS (
  SELECT
    *,
    COALESCE(metric_purchase_freq > 4, FALSE) AS condition_1,
    segment_tech
    AND COALESCE(metric_purchase_freq >= 1 AND metric_purchase_freq <= 4, FALSE) AS segment_tech__regular_buyers,
    segment_tech
    AND COALESCE(
      metric_last_order_at < CAST('2026-08-03 00:00:00' AS TIMESTAMP)
      OR metric_last_order_at IS NULL,
      FALSE
    ) AS segment_tech__dormant,
    segment_tech
    AND COALESCE(logins_per_week > CAST(2.299794661190965 AS DOUBLE), FALSE) AS segment_tech__heavy_app_users,
    segment_enterprise
    AND COALESCE(UPPER(country) IN ('DE', 'FR', 'GB', 'ES'), FALSE) AS segment_enterprise__emea,
    segment_enterprise
    AND COALESCE(UPPER(country) IN ('US', 'CA', 'MX', 'BR'), FALSE) AS segment_enterprise__amer,
    segment_small_business AND COALESCE(metric_logins_30d >= 4, FALSE) AS segment_small_business__engaged
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_tech AND condition_1 AS segment_tech__power_buyers,
    segment_enterprise__emea
    AND COALESCE(
      metric_last_order_at >= CAST('2026-09-02 00:00:00' AS TIMESTAMP)
      AND metric_last_order_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_enterprise__emea__recently_ordered,
    CASE
      WHEN segment_business
      THEN CASE
        WHEN condition_1
        THEN 'power'
        WHEN COALESCE(metric_purchase_freq >= 1, FALSE)
        THEN 'regular'
        WHEN COALESCE(metric_orders_365d >= 1, FALSE)
        THEN 'occasional'
        ELSE 'lapsed'
      END
    END AS layer_buying_rhythm
  FROM level_2
), level_4 AS (
  SELECT
    *,
    CASE
      WHEN segment_business
      AND NOT layer_company_tier IS NULL
      AND NOT layer_buying_rhythm IS NULL
      THEN layer_company_tier || '/' || layer_buying_rhythm
    END AS microsegment_tier_rhythm
  FROM level_3
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_business THEN 'business' END,
      CASE WHEN segment_tech THEN 'tech' END,
      CASE WHEN segment_tech__power_buyers THEN 'tech/power_buyers' END,
      CASE WHEN segment_tech__regular_buyers THEN 'tech/regular_buyers' END,
      CASE WHEN segment_tech__dormant THEN 'tech/dormant' END,
      CASE WHEN segment_tech__heavy_app_users THEN 'tech/heavy_app_users' END,
      CASE WHEN segment_enterprise THEN 'enterprise' END,
      CASE WHEN segment_enterprise__emea THEN 'enterprise/emea' END,
      CASE
        WHEN segment_enterprise__emea__recently_ordered
        THEN 'enterprise/emea/recently_ordered'
      END,
      CASE WHEN segment_enterprise__amer THEN 'enterprise/amer' END,
      CASE WHEN segment_mid_market THEN 'mid_market' END,
      CASE WHEN segment_small_business THEN 'small_business' END,
      CASE WHEN segment_small_business__engaged THEN 'small_business/engaged' END,
      CASE WHEN segment_regulated THEN 'regulated' END,
      CASE WHEN segment_traditional_industries THEN 'traditional_industries' END,
      CASE WHEN segment_consumers THEN 'consumers' END,
      CASE WHEN segment_decision_makers THEN 'decision_makers' END,
      CASE WHEN segment_technical_buyers THEN 'technical_buyers' END,
      CASE WHEN segment_managers THEN 'managers' END,
      CASE WHEN segment_crm_users THEN 'crm_users' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_company_tier AS company_tier,
  layer_buying_rhythm AS buying_rhythm,
  microsegment_tier_rhythm AS tier_rhythm
FROM level_4
ORDER BY
  customer_id
