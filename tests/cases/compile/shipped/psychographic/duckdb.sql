WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2026-05-05 00:00:00' AS TIMESTAMP) AND category = 'skincare') AS count_orders,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)
      AND category IN ('apparel', 'home')) AS count_orders_2,
    AVG(discount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS avg_discount_orders,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP) AND category = 'books') AS sum_amount_orders
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.interests,
    entity.lifestyle,
    entity.values_driver,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders,
    COALESCE(orders_aggregates.count_orders_2, 0) AS count_orders_2,
    orders_aggregates.avg_discount_orders AS avg_discount_orders,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_skincare_buys,
    count_orders_2 AS metric_outdoor_buys,
    avg_discount_orders AS metric_avg_discount_365d,
    sum_amount_orders AS metric_book_spend_365d,
    COALESCE(ARRAY_CONTAINS(interests, 'fitness'), FALSE) AS segment_fitness_fans,
    COALESCE(
      ARRAY_CONTAINS(interests, 'travel')
      AND NOT (
        ARRAY_CONTAINS(interests, 'parenting')
      ),
      FALSE
    ) AS segment_travelers,
    COALESCE(
      ARRAY_CONTAINS(interests, 'gaming')
      AND NOT (
        COALESCE(ARRAY_CONTAINS(interests, 'parenting'), FALSE)
      ),
      FALSE
    ) AS segment_gamers,
    interests IS NULL AS segment_no_interests_known,
    COALESCE(
      values_driver = 'sustainability' OR ARRAY_CONTAINS(interests, 'sustainability'),
      FALSE
    ) AS segment_eco_conscious,
    COALESCE(values_driver IN ('quality', 'status'), FALSE) AS condition_1,
    COALESCE(lifestyle = 'family_focused' OR ARRAY_CONTAINS(interests, 'parenting'), FALSE) AS segment_families,
    COALESCE(lifestyle = 'urban_professional', FALSE) AS segment_urban_professionals,
    COALESCE(lifestyle IN ('adventurer', 'active'), FALSE) AS segment_adventurous,
    COALESCE(lifestyle IS NULL OR LENGTH(lifestyle) = 0, FALSE) AS segment_lifestyle_unknown,
    COALESCE(values_driver = 'price', FALSE) AS condition_2
  FROM base
), level_2 AS (
  SELECT
    *,
    segment_fitness_fans
    AND COALESCE(ARRAY_CONTAINS(interests, 'outdoors') AND metric_outdoor_buys >= 1, FALSE) AS segment_fitness_fans__outdoor_athletes,
    COALESCE(ARRAY_CONTAINS(interests, 'beauty') AND metric_skincare_buys >= 2, FALSE) AS segment_beauty_enthusiasts,
    COALESCE(ARRAY_CONTAINS(interests, 'reading') AND metric_book_spend_365d >= 100, FALSE) AS segment_bookworms,
    COALESCE(
      values_driver = 'price' AND metric_avg_discount_365d >= CAST(0.15 AS DOUBLE),
      FALSE
    ) AS segment_bargain_hunters,
    condition_1 AS segment_quality_seekers,
    CASE
      WHEN COALESCE(values_driver = 'sustainability' AND ARRAY_CONTAINS(interests, 'outdoors'), FALSE)
      THEN 'eco_warrior'
      WHEN condition_2
      THEN 'deal_seeker'
      WHEN COALESCE(values_driver = 'status' OR ARRAY_CONTAINS(interests, 'fashion'), FALSE)
      THEN 'trendsetter'
      WHEN COALESCE(lifestyle IN ('homebody', 'family_focused'), FALSE)
      THEN 'homebody'
      WHEN COALESCE(ARRAY_CONTAINS(interests, 'travel') OR lifestyle = 'adventurer', FALSE)
      THEN 'explorer'
      ELSE 'undefined'
    END AS layer_persona,
    CASE
      WHEN condition_2
      THEN 'price'
      WHEN condition_1
      THEN 'quality'
      WHEN COALESCE(values_driver = 'sustainability', FALSE)
      THEN 'purpose'
      WHEN COALESCE(values_driver = 'convenience', FALSE)
      THEN 'convenience'
      ELSE 'unknown'
    END AS layer_motivation
  FROM level_1
), level_3 AS (
  SELECT
    *,
    CASE
      WHEN NOT layer_persona IS NULL AND NOT layer_motivation IS NULL
      THEN layer_persona || '/' || layer_motivation
    END AS microsegment_persona_motivation
  FROM level_2
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_fitness_fans THEN 'fitness_fans' END,
      CASE
        WHEN segment_fitness_fans__outdoor_athletes
        THEN 'fitness_fans/outdoor_athletes'
      END,
      CASE WHEN segment_travelers THEN 'travelers' END,
      CASE WHEN segment_beauty_enthusiasts THEN 'beauty_enthusiasts' END,
      CASE WHEN segment_bookworms THEN 'bookworms' END,
      CASE WHEN segment_gamers THEN 'gamers' END,
      CASE WHEN segment_no_interests_known THEN 'no_interests_known' END,
      CASE WHEN segment_eco_conscious THEN 'eco_conscious' END,
      CASE WHEN segment_bargain_hunters THEN 'bargain_hunters' END,
      CASE WHEN segment_quality_seekers THEN 'quality_seekers' END,
      CASE WHEN segment_families THEN 'families' END,
      CASE WHEN segment_urban_professionals THEN 'urban_professionals' END,
      CASE WHEN segment_adventurous THEN 'adventurous' END,
      CASE WHEN segment_lifestyle_unknown THEN 'lifestyle_unknown' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_persona AS persona,
  layer_motivation AS motivation,
  microsegment_persona_motivation AS persona_motivation
FROM level_3
ORDER BY
  customer_id
