WITH orders_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      ordered_at >= CAST('2025-11-01 00:00:00' AS TIMESTAMP) AND channel = 'store') AS count_orders
  FROM orders
  WHERE
    ordered_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.area,
    entity.city,
    entity.country,
    entity.region,
    COALESCE(orders_aggregates.count_orders, 0) AS count_orders
  FROM customers AS entity
  LEFT JOIN orders_aggregates
    ON entity.customer_id = orders_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_orders AS metric_store_orders_365d,
    COALESCE(UPPER(country) IN ('US', 'CA'), FALSE) AS segment_north_america,
    COALESCE(UPPER(country) IN ('DE', 'FR', 'GB', 'ES'), FALSE) AS segment_europe,
    COALESCE(UPPER(country) IN ('BR', 'IN'), FALSE) AS condition_1,
    COALESCE(UPPER(country) IN ('ES', 'PT'), FALSE) AS segment_iberia,
    COALESCE(UPPER(country) = 'JP', FALSE) AS segment_japan,
    COALESCE(NOT UPPER(country) IN ('US', 'CA', 'DE', 'FR', 'GB', 'ES', 'BR', 'IN'), FALSE) AS segment_rest_of_world,
    COALESCE(country <> UPPER(country), FALSE) AS segment_lowercase_country_code,
    COALESCE(city IN ('New York', 'London', 'Paris', 'Berlin', 'São Paulo', 'Mumbai'), FALSE) AS segment_flagship_cities,
    COALESCE(city = 'New York', FALSE) AS segment_new_york,
    COALESCE(area = 'rural', FALSE) AS condition_2,
    COALESCE(UPPER(country) = 'US', FALSE) AS condition_3,
    COALESCE(area <> 'rural', FALSE) AS segment_urban_or_suburban,
    COALESCE(STRPOS(region, '-') > 0, FALSE) AS segment_hyphenated_regions,
    COALESCE(region IS NULL OR LENGTH(region) = 0, FALSE) AS segment_region_unknown
  FROM base
), level_2 AS (
  SELECT
    *,
    segment_north_america
    AND COALESCE(UPPER(country) = 'US' AND region = 'Northeast', FALSE) AS segment_north_america__us_northeast,
    segment_north_america
    AND COALESCE(STARTS_WITH(city, 'San ') OR STARTS_WITH(city, 'Los '), FALSE) AS segment_north_america__california_cities,
    segment_europe AND COALESCE(UPPER(country) IN ('DE', 'AT', 'CH'), FALSE) AS segment_europe__dach,
    segment_europe AND COALESCE(UPPER(country) = 'GB', FALSE) AS segment_europe__uk,
    condition_1 AS segment_growth_markets,
    segment_flagship_cities AND COALESCE(metric_store_orders_365d >= 2, FALSE) AS segment_flagship_cities__store_goers,
    condition_2 AS segment_rural,
    CASE
      WHEN condition_3
      THEN 'home'
      WHEN COALESCE(UPPER(country) IN ('DE', 'FR', 'GB'), FALSE)
      THEN 'core_europe'
      WHEN condition_1
      THEN 'growth'
      ELSE 'other'
    END AS layer_market,
    CASE
      WHEN COALESCE(area = 'urban', FALSE)
      THEN 'urban'
      WHEN COALESCE(area = 'suburban', FALSE)
      THEN 'suburban'
      WHEN condition_2
      THEN 'rural'
    END AS layer_urbanicity
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_europe__uk AND COALESCE(region = 'Scotland', FALSE) AS segment_europe__uk__scotland,
    segment_growth_markets AND COALESCE(region = 'São Paulo', FALSE) AS segment_growth_markets__sao_paulo_state,
    segment_rural AND condition_3 AS segment_rural__rural_us,
    CASE
      WHEN NOT layer_market IS NULL AND NOT layer_urbanicity IS NULL
      THEN layer_market || '/' || layer_urbanicity
    END AS microsegment_market_area
  FROM level_2
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_north_america THEN 'north_america' END,
      CASE WHEN segment_north_america__us_northeast THEN 'north_america/us_northeast' END,
      CASE
        WHEN segment_north_america__california_cities
        THEN 'north_america/california_cities'
      END,
      CASE WHEN segment_europe THEN 'europe' END,
      CASE WHEN segment_europe__dach THEN 'europe/dach' END,
      CASE WHEN segment_europe__uk THEN 'europe/uk' END,
      CASE WHEN segment_europe__uk__scotland THEN 'europe/uk/scotland' END,
      CASE WHEN segment_growth_markets THEN 'growth_markets' END,
      CASE
        WHEN segment_growth_markets__sao_paulo_state
        THEN 'growth_markets/sao_paulo_state'
      END,
      CASE WHEN segment_iberia THEN 'iberia' END,
      CASE WHEN segment_japan THEN 'japan' END,
      CASE WHEN segment_rest_of_world THEN 'rest_of_world' END,
      CASE WHEN segment_lowercase_country_code THEN 'lowercase_country_code' END,
      CASE WHEN segment_flagship_cities THEN 'flagship_cities' END,
      CASE
        WHEN segment_flagship_cities__store_goers
        THEN 'flagship_cities/store_goers'
      END,
      CASE WHEN segment_new_york THEN 'new_york' END,
      CASE WHEN segment_rural THEN 'rural' END,
      CASE WHEN segment_rural__rural_us THEN 'rural/rural_us' END,
      CASE WHEN segment_urban_or_suburban THEN 'urban_or_suburban' END,
      CASE WHEN segment_hyphenated_regions THEN 'hyphenated_regions' END,
      CASE WHEN segment_region_unknown THEN 'region_unknown' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_market AS market,
  layer_urbanicity AS urbanicity,
  microsegment_market_area AS market_area
FROM level_3
ORDER BY
  customer_id
