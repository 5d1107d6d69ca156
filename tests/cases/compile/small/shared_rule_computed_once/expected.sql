WITH base AS (
  SELECT
    entity.customer_id,
    entity.age,
    entity.country,
    entity.industry
  FROM customers AS entity
), level_1 AS (
  SELECT
    *,
    COALESCE(country IN ('DE', 'FR', 'GB', 'ES'), FALSE) AS condition_1,
    COALESCE(industry = 'software', FALSE) AS segment_software,
    CASE
      WHEN NOT age IS NULL
      THEN NTILE(2) OVER (PARTITION BY NOT age IS NULL ORDER BY age, customer_id)
    END AS ntile_2
  FROM base
), level_2 AS (
  SELECT
    *,
    condition_1 AS segment_europe,
    segment_software AND condition_1 AS segment_software__europe,
    CASE
      WHEN segment_software AND NOT age IS NULL
      THEN NTILE(2) OVER (PARTITION BY segment_software, NOT age IS NULL ORDER BY age, customer_id)
    END AS ntile_1,
    COALESCE(ntile_2 = 2, FALSE) AS segment_older_half,
    CASE WHEN condition_1 THEN 'eu' ELSE 'elsewhere' END AS layer_market
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_software AND COALESCE(ntile_1 = 2, FALSE) AS segment_software__older_half
  FROM level_2
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_europe THEN 'europe' END,
      CASE WHEN segment_software THEN 'software' END,
      CASE WHEN segment_software__europe THEN 'software/europe' END,
      CASE WHEN segment_software__older_half THEN 'software/older_half' END,
      CASE WHEN segment_older_half THEN 'older_half' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_market AS market
FROM level_3
ORDER BY
  customer_id
