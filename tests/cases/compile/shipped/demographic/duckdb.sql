WITH orders_aggregates AS (
  SELECT
    customer_id,
    SUM(amount) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP)) AS sum_amount_orders
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.age,
    entity.education,
    entity.email,
    entity.gender,
    entity.income,
    entity.lifestyle,
    entity.marital_status,
    COALESCE(orders_aggregates.sum_amount_orders, 0) AS sum_amount_orders
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    sum_amount_orders AS metric_spend_365d,
    COALESCE(age BETWEEN 18 AND 29, FALSE) AS segment_young_adults,
    COALESCE(age >= 30 AND age <= 54, FALSE) AS segment_core_working_age,
    COALESCE(age >= 65, FALSE) AS segment_seniors,
    NOT age IS NULL AND NOT (
      age BETWEEN 30 AND 54
    ) AS segment_outside_core_age,
    age IS NULL AS segment_age_unknown,
    COALESCE(gender = 'female', FALSE) AS segment_women,
    COALESCE(gender = 'male', FALSE) AS segment_men,
    COALESCE(gender IS NULL OR LENGTH(gender) = 0, FALSE) AS segment_gender_not_given,
    COALESCE(income >= 100000, FALSE) AS segment_high_income,
    NOT (
      COALESCE(income < 30000, FALSE)
    ) AS segment_not_low_income,
    COALESCE(marital_status IN ('single', 'divorced', 'widowed'), FALSE) AS segment_single_households,
    COALESCE(
      marital_status <> 'single' AND NOT education IN ('bachelor', 'master', 'phd', ''),
      FALSE
    ) AS segment_not_single_no_degree,
    CASE
      WHEN COALESCE(age < 29, FALSE)
      THEN 'gen_z'
      WHEN COALESCE(age BETWEEN 29 AND 44, FALSE)
      THEN 'millennials'
      WHEN COALESCE(age BETWEEN 45 AND 60, FALSE)
      THEN 'gen_x'
      WHEN COALESCE(age > 60, FALSE)
      THEN 'boomers'
      ELSE 'unknown'
    END AS layer_age_band,
    CASE
      WHEN COALESCE(income < 30000, FALSE)
      THEN 'low'
      WHEN COALESCE(income < 60000, FALSE)
      THEN 'lower_middle'
      WHEN COALESCE(income < 120000, FALSE)
      THEN 'upper_middle'
      WHEN COALESCE(income >= 120000, FALSE)
      THEN 'high'
      WHEN income IS NULL
      THEN 'undisclosed'
    END AS layer_income_band
  FROM base
), level_2 AS (
  SELECT
    *,
    segment_young_adults
    AND COALESCE(lifestyle = 'student' OR ENDS_WITH(email, '.edu'), FALSE) AS segment_young_adults__students,
    segment_core_working_age
    AND COALESCE(marital_status = 'married' AND education IN ('bachelor', 'master', 'phd'), FALSE) AS segment_core_working_age__married_graduates,
    segment_seniors AND COALESCE(COALESCE(income, 0) < 30000, FALSE) AS segment_seniors__fixed_income,
    segment_high_income AND COALESCE(education IN ('master', 'phd'), FALSE) AS segment_high_income__postgraduates,
    segment_high_income AND COALESCE(metric_spend_365d >= 1000, FALSE) AS segment_high_income__big_spenders,
    CASE
      WHEN NOT layer_age_band IS NULL AND NOT layer_income_band IS NULL
      THEN layer_age_band || '/' || layer_income_band
    END AS microsegment_age_income
  FROM level_1
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_young_adults THEN 'young_adults' END,
      CASE WHEN segment_young_adults__students THEN 'young_adults/students' END,
      CASE WHEN segment_core_working_age THEN 'core_working_age' END,
      CASE
        WHEN segment_core_working_age__married_graduates
        THEN 'core_working_age/married_graduates'
      END,
      CASE WHEN segment_seniors THEN 'seniors' END,
      CASE WHEN segment_seniors__fixed_income THEN 'seniors/fixed_income' END,
      CASE WHEN segment_outside_core_age THEN 'outside_core_age' END,
      CASE WHEN segment_age_unknown THEN 'age_unknown' END,
      CASE WHEN segment_women THEN 'women' END,
      CASE WHEN segment_men THEN 'men' END,
      CASE WHEN segment_gender_not_given THEN 'gender_not_given' END,
      CASE WHEN segment_high_income THEN 'high_income' END,
      CASE WHEN segment_high_income__postgraduates THEN 'high_income/postgraduates' END,
      CASE WHEN segment_high_income__big_spenders THEN 'high_income/big_spenders' END,
      CASE WHEN segment_not_low_income THEN 'not_low_income' END,
      CASE WHEN segment_single_households THEN 'single_households' END,
      CASE WHEN segment_not_single_no_degree THEN 'not_single_no_degree' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_age_band AS age_band,
  layer_income_band AS income_band,
  microsegment_age_income AS age_income
FROM level_2
ORDER BY
  customer_id
