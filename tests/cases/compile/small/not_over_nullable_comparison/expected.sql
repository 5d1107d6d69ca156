WITH base AS (
  SELECT
    entity.customer_id,
    entity.age,
    entity.retire_age
  FROM customers AS entity
), level_1 AS (
  SELECT
    *,
    NOT (
      COALESCE(age > 30, FALSE)
    ) AS segment_not_over_30,
    COALESCE(age <= 30, FALSE) AS segment_at_most_30,
    NOT (
      COALESCE(age > 60 OR age > retire_age, FALSE)
    ) AS segment_not_old_or_retired
  FROM base
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_not_over_30 THEN 'not_over_30' END,
      CASE WHEN segment_at_most_30 THEN 'at_most_30' END,
      CASE WHEN segment_not_old_or_retired THEN 'not_old_or_retired' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments
FROM level_1
ORDER BY
  customer_id
