MODEL (
  name core.fct_sessions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column started_at,
    lookback 1 /* sessions run past midnight: each run recomputes the day before too */
  ),
  owner data_team,
  cron '@daily',
  grain session_id,
  tags (
    core
  ),
  description 'One row per browsing session: who, when it started and ended, how long it lasted, what happened in it (page views, add-to-carts, checkouts, shipments, distinct products viewed) and the order placed, if any. Incremental by session start: a daily run processes only the new day (and the day before, for sessions that ran past midnight).',
  column_descriptions (
    session_id = 'Session key.',
    user_id = 'User of the session.',
    started_at = 'First event of the session (UTC).',
    ended_at = 'Last event of the session (UTC).',
    duration_minutes = 'Minutes from the first to the last event.',
    page_views = 'page_view events.',
    add_to_carts = 'add_to_cart events.',
    checkouts = 'checkout events.',
    packages_shipped = 'package_shipped events.',
    products_viewed = 'Distinct products viewed.',
    order_id = 'Order checked out in the session, NULL if none.',
    is_converted = 'The session checked out an order.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      session_id
    )),
    not_null(columns := (session_id, user_id, started_at, ended_at)),
    assert_not_before("column" := ended_at, earliest := started_at)
  )
);

SELECT
  session_id::TEXT AS session_id,
  MIN(user_id)::TEXT AS user_id,
  MIN(created_at)::TIMESTAMP AS started_at,
  MAX(created_at)::TIMESTAMP AS ended_at,
  (
    DATE_DIFF('SECOND', MIN(created_at), MAX(created_at)) / 60.0
  )::DOUBLE AS duration_minutes,
  COUNT(*) FILTER(WHERE
    event_type = 'page_view')::INT AS page_views,
  COUNT(*) FILTER(WHERE
    event_type = 'add_to_cart')::INT AS add_to_carts,
  COUNT(*) FILTER(WHERE
    event_type = 'checkout')::INT AS checkouts,
  COUNT(*) FILTER(WHERE
    event_type = 'package_shipped')::INT AS packages_shipped,
  COUNT(DISTINCT product_id) FILTER(WHERE
    event_type = 'page_view')::INT AS products_viewed,
  MIN(order_id) FILTER(WHERE
    event_type = 'checkout')::TEXT AS order_id,
  (
    COUNT(*) FILTER(WHERE
      event_type = 'checkout') > 0
  )::BOOLEAN AS is_converted
FROM intermediate.int_events__sessionized
WHERE
  session_started_at BETWEEN @start_ts AND @end_ts
GROUP BY
  session_id
