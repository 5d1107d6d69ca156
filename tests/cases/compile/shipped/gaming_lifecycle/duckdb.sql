WITH app_events_aggregates AS (
  SELECT
    customer_id,
    MIN(event_at) FILTER(WHERE
      event = 'deposit') AS min_event_at_app_events,
    COUNT(*) FILTER(WHERE
      event_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP) AND event = 'deposit') AS count_app_events,
    SUM(value) FILTER(WHERE
      event_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP) AND event = 'deposit') AS sum_value_app_events,
    SUM(value) FILTER(WHERE
      event_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP) AND event = 'deposit') AS sum_value_app_events_2,
    COUNT(*) FILTER(WHERE
      event_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP) AND event = 'bonus_claim') AS count_app_events_2,
    COUNT(*) FILTER(WHERE
      event = 'deposit') AS count_app_events_3,
    MAX(value) FILTER(WHERE
      event_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP) AND event = 'deposit') AS max_value_app_events,
    SUM(value) FILTER(WHERE
      event_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP) AND event = 'withdrawal') AS sum_value_app_events_3,
    COUNT(*) FILTER(WHERE
      event_at >= CAST('2026-10-25 00:00:00' AS TIMESTAMP) AND event = 'level_up') AS count_app_events_4,
    COUNT(*) FILTER(WHERE
      event = 'install') AS count_app_events_5
  FROM app_events
  WHERE
    event_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), sessions_aggregates AS (
  SELECT
    customer_id,
    MIN(started_at) AS min_started_at_sessions,
    MAX(started_at) AS max_started_at_sessions,
    COUNT(*) FILTER(WHERE
      started_at >= CAST('2026-10-18 00:00:00' AS TIMESTAMP)) AS count_sessions,
    COUNT(*) FILTER(WHERE
      started_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_sessions_2,
    SUM(minutes) FILTER(WHERE
      started_at >= CAST('2026-10-25 00:00:00' AS TIMESTAMP)) AS sum_minutes_sessions,
    COUNT(DISTINCT game) FILTER(WHERE
      started_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS count_distinct_game_sessions,
    COUNT(*) FILTER(WHERE
      started_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP) AND game = 'poker') AS count_sessions_3,
    SUM(minutes) FILTER(WHERE
      started_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)) AS sum_minutes_sessions_2,
    COUNT(*) FILTER(WHERE
      started_at >= CAST('2026-07-04 00:00:00' AS TIMESTAMP)
      AND started_at < CAST('2026-10-18 00:00:00' AS TIMESTAMP)) AS count_sessions_4
  FROM sessions
  WHERE
    started_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.interests,
    app_events_aggregates.min_event_at_app_events AS min_event_at_app_events,
    COALESCE(app_events_aggregates.count_app_events, 0) AS count_app_events,
    COALESCE(app_events_aggregates.sum_value_app_events, 0) AS sum_value_app_events,
    COALESCE(app_events_aggregates.sum_value_app_events_2, 0) AS sum_value_app_events_2,
    COALESCE(app_events_aggregates.count_app_events_2, 0) AS count_app_events_2,
    COALESCE(app_events_aggregates.count_app_events_3, 0) AS count_app_events_3,
    app_events_aggregates.max_value_app_events AS max_value_app_events,
    COALESCE(app_events_aggregates.sum_value_app_events_3, 0) AS sum_value_app_events_3,
    COALESCE(app_events_aggregates.count_app_events_4, 0) AS count_app_events_4,
    COALESCE(app_events_aggregates.count_app_events_5, 0) AS count_app_events_5,
    sessions_aggregates.min_started_at_sessions AS min_started_at_sessions,
    sessions_aggregates.max_started_at_sessions AS max_started_at_sessions,
    COALESCE(sessions_aggregates.count_sessions, 0) AS count_sessions,
    COALESCE(sessions_aggregates.count_sessions_2, 0) AS count_sessions_2,
    COALESCE(sessions_aggregates.sum_minutes_sessions, 0) AS sum_minutes_sessions,
    COALESCE(sessions_aggregates.count_distinct_game_sessions, 0) AS count_distinct_game_sessions,
    COALESCE(sessions_aggregates.count_sessions, 0) / CAST(14.0 AS DOUBLE) AS count_sessions_rate,
    COALESCE(sessions_aggregates.count_sessions_3, 0) AS count_sessions_3,
    COALESCE(sessions_aggregates.sum_minutes_sessions_2, 0) AS sum_minutes_sessions_2,
    COALESCE(sessions_aggregates.count_sessions_4, 0) AS count_sessions_4
  FROM customers AS entity
  LEFT JOIN app_events_aggregates
    ON entity.customer_id = app_events_aggregates.customer_id
  LEFT JOIN sessions_aggregates
    ON entity.customer_id = sessions_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    min_started_at_sessions AS metric_first_played_at,
    max_started_at_sessions AS metric_last_played_at,
    count_sessions AS metric_sessions_14d,
    count_sessions_2 AS metric_sessions_30d,
    sum_minutes_sessions AS metric_minutes_7d,
    count_distinct_game_sessions AS metric_games_30d,
    count_sessions_rate AS metric_daily_play_rate,
    min_event_at_app_events AS metric_first_deposit_at,
    count_app_events AS metric_deposits_30d,
    sum_value_app_events AS metric_deposit_amount_30d,
    sum_value_app_events_2 AS metric_deposit_amount_90d,
    count_app_events_2 AS metric_bonus_claims_90d,
    COALESCE(sum_minutes_sessions_2 >= CAST(12 AS DOUBLE) * 60, FALSE) AS segment_vip_session_hours
  FROM base
), level_2 AS (
  SELECT
    *,
    NOT metric_last_played_at IS NULL AS segment_players,
    CASE
      WHEN COALESCE(
        (
          metric_sessions_14d >= 1 AND count_sessions_4 = 0
        )
        AND metric_first_played_at < CAST('2026-07-04 00:00:00' AS TIMESTAMP),
        FALSE
      )
      THEN 'reactivated'
      WHEN COALESCE(
        metric_first_deposit_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP)
        AND metric_first_deposit_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
        FALSE
      )
      THEN 'novice'
      WHEN COALESCE(metric_deposit_amount_30d >= 750 AND metric_deposits_30d >= 3, FALSE)
      THEN 'star'
      WHEN COALESCE(metric_sessions_30d >= 1 AND NOT metric_first_deposit_at IS NULL, FALSE)
      THEN 'active'
      WHEN COALESCE(metric_sessions_30d >= 1 AND metric_first_deposit_at IS NULL, FALSE)
      THEN 'fun'
      WHEN COALESCE(
        metric_last_played_at BETWEEN CAST('2026-08-03 00:00:00' AS TIMESTAMP) AND CAST('2026-10-02 00:00:00' AS TIMESTAMP),
        FALSE
      )
      THEN 'churning'
      WHEN COALESCE(metric_last_played_at < CAST('2026-08-03 00:00:00' AS TIMESTAMP), FALSE)
      THEN 'churned'
      ELSE 'non_player'
    END AS layer_stage
  FROM level_1
), level_3 AS (
  SELECT
    *,
    segment_players AND COALESCE(count_app_events_3 >= 1, FALSE) AS segment_players__depositors,
    segment_players AND COALESCE(metric_games_30d >= 3, FALSE) AS segment_players__multi_game,
    segment_players
    AND COALESCE(metric_bonus_claims_90d >= 3 AND metric_deposits_30d = 0, FALSE) AS segment_players__bonus_hunters,
    segment_players
    AND COALESCE(
      metric_last_played_at >= CAST('2026-10-31 12:00:00' AS TIMESTAMP)
      AND metric_last_played_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_players__online_now,
    segment_players AND COALESCE(metric_minutes_7d / NULLIF(7, 0) >= 60, FALSE) AS segment_players__hour_a_day,
    segment_players AND COALESCE(count_app_events_4 >= 1, FALSE) AS segment_players__levelled_up_this_week,
    segment_players AND COALESCE(count_sessions_3 >= 5, FALSE) AS segment_players__poker_regulars,
    CASE
      WHEN segment_players AND NOT metric_deposit_amount_90d IS NULL
      THEN PERCENT_RANK() OVER (
        PARTITION BY segment_players, NOT metric_deposit_amount_90d IS NULL
        ORDER BY metric_deposit_amount_90d
      )
    END AS percent_rank_1,
    COALESCE(count_app_events_5 >= 1 AND NOT (
      segment_players
    ), FALSE) AS segment_installed_never_played,
    COALESCE(ARRAY_CONTAINS(interests, 'gaming') AND NOT (
      segment_players
    ), FALSE) AS segment_gamers_not_playing,
    CASE
      WHEN segment_players
      THEN CASE
        WHEN COALESCE(metric_deposit_amount_90d >= 2500, FALSE)
        THEN 'vip'
        WHEN COALESCE(metric_deposit_amount_90d >= 500, FALSE)
        THEN 'high'
        WHEN COALESCE(metric_deposit_amount_90d >= 100, FALSE)
        THEN 'mid'
        WHEN COALESCE(metric_deposit_amount_90d > 0, FALSE)
        THEN 'low'
        ELSE 'free'
      END
    END AS layer_value,
    CASE
      WHEN segment_players
      THEN CASE
        WHEN COALESCE(metric_minutes_7d >= CAST(5 AS DOUBLE) * 60, FALSE)
        THEN 'hardcore'
        WHEN COALESCE(metric_daily_play_rate >= 1, FALSE)
        THEN 'daily'
        WHEN COALESCE(metric_sessions_30d >= 8, FALSE)
        THEN 'regular'
        WHEN COALESCE(metric_sessions_30d >= 1, FALSE)
        THEN 'casual'
        ELSE 'idle'
      END
    END AS layer_engagement
  FROM level_2
), level_4 AS (
  SELECT
    *,
    segment_players__depositors AND COALESCE(max_value_app_events >= 500, FALSE) AS segment_players__depositors__high_rollers,
    segment_players__depositors
    AND COALESCE(sum_value_app_events_3 > sum_value_app_events_2, FALSE) AS segment_players__depositors__net_winners,
    segment_players AND COALESCE(percent_rank_1 >= CAST(0.95 AS DOUBLE), FALSE) AS segment_players__top_depositors,
    CASE
      WHEN segment_players AND NOT layer_stage IS NULL AND NOT layer_value IS NULL
      THEN layer_stage || '/' || layer_value
    END AS microsegment_stage_value,
    CASE
      WHEN segment_players AND NOT layer_stage IS NULL AND NOT layer_engagement IS NULL
      THEN layer_stage || '/' || layer_engagement
    END AS microsegment_stage_engagement,
    CASE
      WHEN segment_players
      AND NOT layer_stage IS NULL
      AND NOT layer_value IS NULL
      AND NOT layer_engagement IS NULL
      THEN layer_stage || '/' || layer_value || '/' || layer_engagement
    END AS microsegment_stage_value_engagement
  FROM level_3
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_players THEN 'players' END,
      CASE WHEN segment_players__depositors THEN 'players/depositors' END,
      CASE
        WHEN segment_players__depositors__high_rollers
        THEN 'players/depositors/high_rollers'
      END,
      CASE
        WHEN segment_players__depositors__net_winners
        THEN 'players/depositors/net_winners'
      END,
      CASE WHEN segment_players__multi_game THEN 'players/multi_game' END,
      CASE WHEN segment_players__bonus_hunters THEN 'players/bonus_hunters' END,
      CASE WHEN segment_players__online_now THEN 'players/online_now' END,
      CASE WHEN segment_players__hour_a_day THEN 'players/hour_a_day' END,
      CASE
        WHEN segment_players__levelled_up_this_week
        THEN 'players/levelled_up_this_week'
      END,
      CASE WHEN segment_players__poker_regulars THEN 'players/poker_regulars' END,
      CASE WHEN segment_players__top_depositors THEN 'players/top_depositors' END,
      CASE WHEN segment_installed_never_played THEN 'installed_never_played' END,
      CASE WHEN segment_gamers_not_playing THEN 'gamers_not_playing' END,
      CASE WHEN segment_vip_session_hours THEN 'vip_session_hours' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_stage AS stage,
  layer_value AS value,
  layer_engagement AS engagement,
  microsegment_stage_value AS stage_value,
  microsegment_stage_engagement AS stage_engagement,
  microsegment_stage_value_engagement AS stage_value_engagement
FROM level_4
ORDER BY
  customer_id
