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
      ordered_at >= CAST('2026-05-05 00:00:00' AS TIMESTAMP) AND category = 'skincare') AS count_orders_4,
    COUNT(*) AS count_orders_5,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-05-05 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders_6,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-03-06 00:00:00' AS TIMESTAMP)
      AND ordered_at < CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_orders_7
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
    entity.company_size,
    entity.country,
    entity.industry,
    entity.job_role,
    entity.lifetime_value,
    entity.logins_per_week,
    entity.plan,
    entity.signup_date,
    entity.software,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.count_orders_2, 0) AS count_orders_2,
    COALESCE(orders_aggregates.count_orders_3, 0) AS count_orders_3,
    COALESCE(orders_aggregates.count_orders_2, 0) / CAST(2.9568788501026693 AS DOUBLE PRECISION) AS count_orders_2_rate,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders,
    orders_aggregates.min_ordered_at_orders AS min_ordered_at_orders,
    orders_aggregates.max_ordered_at_orders AS max_ordered_at_orders,
    COALESCE(orders_aggregates.count_orders_4, 0) AS count_orders_4,
    COALESCE(orders_aggregates.count_orders_5, 0) AS count_orders_5,
    COALESCE(orders_aggregates.count_orders_6, 0) AS count_orders_6,
    COALESCE(orders_aggregates.count_orders_7, 0) AS count_orders_7,
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
    count_orders_3 AS metric_orders_365d,
    count_orders_2_rate AS metric_purchase_freq,
    sum_amount_orders AS metric_spend_365d,
    min_ordered_at_orders AS metric_first_order_at,
    max_ordered_at_orders AS metric_last_order_at,
    count_orders_4 AS metric_skincare_buys,
    count_app_events AS metric_logins_30d,
    COALESCE(industry IN ('software', 'saas', 'it_services'), FALSE) AS segment_tech,
    COALESCE(company_size >= 1000, FALSE) AS segment_enterprise,
    COALESCE(company_size BETWEEN 10 AND 999, FALSE) AS segment_smb,
    COALESCE(industry IN ('finance', 'healthcare'), FALSE) AS segment_regulated,
    COALESCE(count_orders_5 >= 1, FALSE) AS segment_buyers,
    COALESCE(lifetime_value >= 5000, FALSE) AS segment_high_value,
    CASE
      WHEN COALESCE(lifetime_value >= 10000, FALSE)
      THEN 'platinum'
      WHEN COALESCE(lifetime_value >= 2500, FALSE)
      THEN 'gold'
      WHEN COALESCE(lifetime_value >= 500, FALSE)
      THEN 'silver'
      WHEN COALESCE(lifetime_value > 0, FALSE)
      THEN 'bronze'
      ELSE 'none'
    END AS layer_value
  FROM base
), level_2 AS (
  SELECT
    *,
    segment_tech AND COALESCE(metric_purchase_freq > 4, FALSE) AS segment_tech__power_buyers,
    segment_tech
    AND COALESCE(
      metric_last_order_at < CAST('2026-08-03 00:00:00' AS TIMESTAMP)
      OR metric_last_order_at IS NULL,
      FALSE
    ) AS segment_tech__dormant,
    segment_tech
    AND COALESCE(
      CASE
        WHEN software IS NULL
        THEN NULL
        ELSE CASE
          WHEN 'salesforce' IS NULL
          THEN NULL
          ELSE COALESCE('salesforce' = ANY(
            software
          ), FALSE)
        END
      END
      OR CASE
        WHEN software IS NULL
        THEN NULL
        ELSE CASE
          WHEN 'hubspot' IS NULL
          THEN NULL
          ELSE COALESCE('hubspot' = ANY(
            software
          ), FALSE)
        END
      END,
      FALSE
    ) AS segment_tech__crm_stack,
    segment_enterprise
    AND COALESCE(
      (
        TRANSLATE(UPPER(country COLLATE "C.utf8"), 'ß', 'ẞ') COLLATE "C"
      ) IN ('DE', 'FR', 'GB', 'ES'),
      FALSE
    ) AS segment_enterprise__europe,
    segment_enterprise
    AND COALESCE(
      (
        TRANSLATE(UPPER(country COLLATE "C.utf8"), 'ß', 'ẞ') COLLATE "C"
      ) IN ('US', 'CA'),
      FALSE
    ) AS segment_enterprise__north_america,
    segment_enterprise
    AND COALESCE(
      (
        job_role IN ('CTO', 'CEO', 'Founder & CEO') OR STARTS_WITH(job_role, 'VP')
      )
      OR STARTS_WITH(job_role, 'Head of'),
      FALSE
    ) AS segment_enterprise__decision_makers,
    segment_smb
    AND COALESCE((
      plan = 'monthly' AND logins_per_week >= 1
    ) AND metric_orders_90d >= 1, FALSE) AS segment_smb__self_serve_ready,
    segment_buyers AND COALESCE(count_orders_6 > 0 AND count_orders = 0, FALSE) AS segment_buyers__stopped_buying,
    segment_buyers
    AND COALESCE(
      count_orders_5 = 1
      AND metric_first_order_at < CAST('2026-09-02 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_buyers__one_and_done,
    COALESCE(NOT (
      segment_buyers
    ) AND signup_date <= CAST('2026-11-01' AS DATE), FALSE) AS segment_prospects,
    segment_high_value
    AND COALESCE(metric_last_order_at < CAST('2026-09-02 00:00:00' AS TIMESTAMP), FALSE) AS segment_high_value__at_risk,
    COALESCE(metric_skincare_buys >= 2, FALSE) AS segment_skincare_regulars,
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
          metric_orders_30d >= 1 AND count_orders_7 = 0
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
      ELSE 'other'
    END AS layer_lifecycle
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_prospects
    AND COALESCE(
      CAST(signup_date AS TIMESTAMP) >= CAST('2026-10-18 00:00:00' AS TIMESTAMP)
      AND CAST(signup_date AS TIMESTAMP) <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_prospects__fresh_signups,
    CASE
      WHEN segment_tech__power_buyers AND NOT metric_spend_365d IS NULL
      THEN NTILE(5) OVER (
        PARTITION BY segment_tech__power_buyers, NOT metric_spend_365d IS NULL
        ORDER BY metric_spend_365d, customer_id
      )
    END AS ntile_1,
    CASE
      WHEN segment_tech AND NOT layer_lifecycle IS NULL AND NOT layer_value IS NULL
      THEN layer_lifecycle || '/' || layer_value
    END AS microsegment_tech_lifecycle_value,
    CASE
      WHEN NOT layer_lifecycle IS NULL AND NOT layer_value IS NULL
      THEN layer_lifecycle || '/' || layer_value
    END AS microsegment_lifecycle_value
  FROM level_2
), level_4 AS (
  SELECT
    *,
    CASE
      WHEN segment_tech__power_buyers
      THEN CASE WHEN COALESCE(ntile_1 = 5, FALSE) THEN 'top' ELSE 'rest' END
    END AS layer_account_value
  FROM level_3
)
SELECT
  customer_id,
  ARRAY_REMOVE(
    ARRAY[
      CASE WHEN segment_tech THEN 'tech' END,
      CASE WHEN segment_tech__power_buyers THEN 'tech/power_buyers' END,
      CASE WHEN segment_tech__dormant THEN 'tech/dormant' END,
      CASE WHEN segment_tech__crm_stack THEN 'tech/crm_stack' END,
      CASE WHEN segment_enterprise THEN 'enterprise' END,
      CASE WHEN segment_enterprise__europe THEN 'enterprise/europe' END,
      CASE WHEN segment_enterprise__north_america THEN 'enterprise/north_america' END,
      CASE WHEN segment_enterprise__decision_makers THEN 'enterprise/decision_makers' END,
      CASE WHEN segment_smb THEN 'smb' END,
      CASE WHEN segment_smb__self_serve_ready THEN 'smb/self_serve_ready' END,
      CASE WHEN segment_regulated THEN 'regulated' END,
      CASE WHEN segment_buyers THEN 'buyers' END,
      CASE WHEN segment_buyers__stopped_buying THEN 'buyers/stopped_buying' END,
      CASE WHEN segment_buyers__one_and_done THEN 'buyers/one_and_done' END,
      CASE WHEN segment_prospects THEN 'prospects' END,
      CASE WHEN segment_prospects__fresh_signups THEN 'prospects/fresh_signups' END,
      CASE WHEN segment_high_value THEN 'high_value' END,
      CASE WHEN segment_high_value__at_risk THEN 'high_value/at_risk' END,
      CASE WHEN segment_skincare_regulars THEN 'skincare_regulars' END
    ],
    NULL
  ) AS segments,
  layer_account_value AS account_value,
  layer_lifecycle AS lifecycle,
  layer_value AS value,
  microsegment_tech_lifecycle_value AS tech_lifecycle_value,
  microsegment_lifecycle_value AS lifecycle_value
FROM level_4
ORDER BY
  customer_id
