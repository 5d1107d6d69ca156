WITH app_events_aggregates AS (
  SELECT
    customer_id,
    COUNT(*) FILTER(WHERE
      event_at >= CAST('2026-10-02 00:00:00' AS TIMESTAMP) AND event = 'login') AS count_app_events,
    MAX(event_at) FILTER(WHERE
      event = 'login') AS max_event_at_app_events,
    MIN(event_at) FILTER(WHERE
      event = 'install') AS min_event_at_app_events
  FROM app_events
  WHERE
    event_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    customer_id
), base AS (
  SELECT
    entity.customer_id,
    entity.app_installed,
    entity.device,
    entity.email,
    entity.industry,
    entity.logins_per_week,
    entity.software,
    COALESCE(app_events_aggregates.count_app_events, 0) AS count_app_events,
    app_events_aggregates.max_event_at_app_events AS max_event_at_app_events,
    app_events_aggregates.min_event_at_app_events AS min_event_at_app_events
  FROM customers AS entity
  LEFT JOIN app_events_aggregates
    ON entity.customer_id = app_events_aggregates.customer_id
), level_1 AS (
  SELECT
    *,
    count_app_events AS metric_logins_30d,
    max_event_at_app_events AS metric_last_login_at,
    min_event_at_app_events AS metric_installed_at,
    COALESCE(app_installed, FALSE) AS segment_app_users,
    COALESCE(device IN ('ios', 'android') AND app_installed = FALSE, FALSE) AS segment_mobile_without_app,
    COALESCE(device = 'ios', FALSE) AS segment_ios,
    COALESCE(device = 'android', FALSE) AS segment_android,
    COALESCE(device = 'desktop' AND NOT (
      COALESCE(app_installed, FALSE)
    ), FALSE) AS segment_desktop_only,
    COALESCE(ARRAY_CONTAINS(software, 'salesforce'), FALSE) AS segment_salesforce_shops,
    COALESCE(
      ARRAY_CONTAINS(software, 'hubspot')
      AND NOT (
        ARRAY_CONTAINS(software, 'salesforce')
      ),
      FALSE
    ) AS segment_hubspot_not_salesforce,
    COALESCE(ARRAY_CONTAINS(software, 'sap') OR ARRAY_CONTAINS(software, 'netsuite'), FALSE) AS segment_erp_users,
    COALESCE(ARRAY_CONTAINS(software, 'snowflake'), FALSE) AS segment_modern_data_stack,
    COALESCE(
      ARRAY_CONTAINS(software, 'excel')
      AND NOT (
        COALESCE(
          (
            (
              (
                ARRAY_CONTAINS(software, 'salesforce') OR ARRAY_CONTAINS(software, 'hubspot')
              )
              OR ARRAY_CONTAINS(software, 'sap')
            )
            OR ARRAY_CONTAINS(software, 'netsuite')
          )
          OR ARRAY_CONTAINS(software, 'snowflake'),
          FALSE
        )
      ),
      FALSE
    ) AS segment_spreadsheet_only,
    NOT industry IS NULL AND software IS NULL AS segment_no_software_known,
    COALESCE(
      (
        (
          (
            (
              (
                (
                  NOT email IS NULL AND LENGTH(email) > 0
                )
                AND NOT (
                  ENDS_WITH(email, '@gmail.com')
                )
              )
              AND NOT (
                ENDS_WITH(email, '@yahoo.com')
              )
            )
            AND NOT (
              ENDS_WITH(email, '@outlook.com')
            )
          )
          AND NOT (
            ENDS_WITH(email, '@icloud.com')
          )
        )
        AND NOT (
          ENDS_WITH(email, '@proton.me')
        )
      )
      AND NOT (
        ENDS_WITH(email, '.edu')
      ),
      FALSE
    ) AS segment_work_email,
    CASE
      WHEN COALESCE(device = 'ios' AND app_installed, FALSE)
      THEN 'ios_app'
      WHEN COALESCE(device = 'android' AND app_installed, FALSE)
      THEN 'android_app'
      WHEN COALESCE(device IN ('ios', 'android'), FALSE)
      THEN 'mobile_web'
      WHEN COALESCE(device = 'desktop', FALSE)
      THEN 'desktop'
    END AS layer_platform
  FROM base
), level_2 AS (
  SELECT
    *,
    segment_app_users AND COALESCE(logins_per_week >= 3, FALSE) AS segment_app_users__power_users,
    segment_app_users AND COALESCE(metric_logins_30d = 0, FALSE) AS segment_app_users__dormant,
    segment_app_users AND COALESCE(YEAR(metric_installed_at) = 2026, FALSE) AS segment_app_users__installed_in_2026,
    segment_app_users
    AND COALESCE(
      metric_last_login_at >= CAST('2026-10-31 12:00:00' AS TIMESTAMP)
      AND metric_last_login_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_app_users__logged_in_last_12h,
    segment_app_users
    AND COALESCE(
      metric_last_login_at >= CAST('2026-10-31 00:00:00' AS TIMESTAMP)
      AND metric_last_login_at <= CAST('2026-11-01 00:00:00' AS TIMESTAMP),
      FALSE
    ) AS segment_app_users__logged_in_last_day,
    COALESCE(logins_per_week IS NULL AND metric_logins_30d > 0, FALSE) AS segment_app_signal_missing,
    segment_salesforce_shops AND COALESCE(ARRAY_CONTAINS(software, 'slack'), FALSE) AS segment_salesforce_shops__with_slack,
    CASE
      WHEN segment_app_users
      THEN CASE
        WHEN COALESCE(logins_per_week >= 5, FALSE)
        THEN 'daily'
        WHEN COALESCE(logins_per_week >= 1, FALSE)
        THEN 'weekly'
        WHEN COALESCE(metric_logins_30d >= 1, FALSE)
        THEN 'monthly'
        ELSE 'lapsed'
      END
    END AS layer_app_engagement
  FROM level_1
), level_3 AS (
  SELECT
    *,
    CASE
      WHEN segment_app_users
      AND NOT layer_platform IS NULL
      AND NOT layer_app_engagement IS NULL
      THEN layer_platform || '/' || layer_app_engagement
    END AS microsegment_platform_engagement
  FROM level_2
)
SELECT
  customer_id,
  LIST_FILTER(
    [
      CASE WHEN segment_app_users THEN 'app_users' END,
      CASE WHEN segment_app_users__power_users THEN 'app_users/power_users' END,
      CASE WHEN segment_app_users__dormant THEN 'app_users/dormant' END,
      CASE
        WHEN segment_app_users__installed_in_2026
        THEN 'app_users/installed_in_2026'
      END,
      CASE
        WHEN segment_app_users__logged_in_last_12h
        THEN 'app_users/logged_in_last_12h'
      END,
      CASE
        WHEN segment_app_users__logged_in_last_day
        THEN 'app_users/logged_in_last_day'
      END,
      CASE WHEN segment_mobile_without_app THEN 'mobile_without_app' END,
      CASE WHEN segment_ios THEN 'ios' END,
      CASE WHEN segment_android THEN 'android' END,
      CASE WHEN segment_desktop_only THEN 'desktop_only' END,
      CASE WHEN segment_app_signal_missing THEN 'app_signal_missing' END,
      CASE WHEN segment_salesforce_shops THEN 'salesforce_shops' END,
      CASE
        WHEN segment_salesforce_shops__with_slack
        THEN 'salesforce_shops/with_slack'
      END,
      CASE WHEN segment_hubspot_not_salesforce THEN 'hubspot_not_salesforce' END,
      CASE WHEN segment_erp_users THEN 'erp_users' END,
      CASE WHEN segment_modern_data_stack THEN 'modern_data_stack' END,
      CASE WHEN segment_spreadsheet_only THEN 'spreadsheet_only' END,
      CASE WHEN segment_no_software_known THEN 'no_software_known' END,
      CASE WHEN segment_work_email THEN 'work_email' END
    ],
    LAMBDA _u : NOT _u IS NULL
  ) AS segments,
  layer_platform AS platform,
  layer_app_engagement AS app_engagement,
  microsegment_platform_engagement AS platform_engagement
FROM level_3
ORDER BY
  customer_id
