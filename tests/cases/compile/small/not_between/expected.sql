WITH base AS (
  SELECT
    entity.customer_id,
    entity.age,
    entity.retire_age
  FROM customers AS entity
), level_1 AS (
  SELECT
    *,
    NOT age IS NULL AND NOT (
      age BETWEEN 30 AND 50
    ) AS segment_outside_30_to_50,
    NOT (
      COALESCE(age BETWEEN 30 AND 50, FALSE)
    ) AS segment_not_inside_30_to_50,
    NOT age IS NULL
    AND NOT retire_age IS NULL
    AND NOT (
      age BETWEEN 18 AND retire_age
    ) AS segment_outside_working_life
  FROM base
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_outside_30_to_50 THEN 'outside_30_to_50' END,
      CASE WHEN segment_not_inside_30_to_50 THEN 'not_inside_30_to_50' END,
      CASE WHEN segment_outside_working_life THEN 'outside_working_life' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments
FROM level_1
ORDER BY
  customer_id
