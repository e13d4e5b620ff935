MODEL (
  name intermediate.int_events__sessionized,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_started_at,
    lookback 1 /* sessions run past midnight: each run recomputes the day before too */
  ),
  grain event_id,
  tags (
    core
  ),
  description 'One row per clean event, with the start of its session. A session belongs to the day it starts, and its events may fall on the next day; incremental by session start, so that each interval holds whole sessions and the session models read one interval of it instead of every event.',
  column_descriptions (
    event_id = 'Event key.',
    session_id = 'Session of the event.',
    user_id = 'User of the event.',
    created_at = 'When the event happened (UTC).',
    event_type = 'page_view, add_to_cart, checkout or package_shipped.',
    order_id = 'Order of a checkout or package_shipped event, else NULL.',
    product_id = 'Product of a page_view or add_to_cart event, else NULL.',
    session_started_at = 'First event of the session (UTC).'
  ),
  audits (
    unique_combination_of_columns(columns := (
      event_id
    )),
    not_null(columns := (event_id, session_id, session_started_at))
  )
);

WITH window_events AS (
  /* A session starting in the interval may run past its end: look a day either side. */
  SELECT
    *
  FROM staging.stg_greenery__events
  WHERE
    created_at BETWEEN @start_ts::TIMESTAMP - INTERVAL '1' DAY AND @end_ts::TIMESTAMP + INTERVAL '1' DAY
), sessions_in_range AS (
  SELECT
    session_id,
    MIN(created_at) AS session_started_at
  FROM window_events
  GROUP BY
    session_id
  HAVING
    MIN(created_at) BETWEEN @start_ts AND @end_ts
)
SELECT
  events.event_id::TEXT AS event_id,
  events.session_id::TEXT AS session_id,
  events.user_id::TEXT AS user_id,
  events.created_at::TIMESTAMP AS created_at,
  events.event_type::TEXT AS event_type,
  events.order_id::TEXT AS order_id,
  events.product_id::TEXT AS product_id,
  sessions_in_range.session_started_at::TIMESTAMP AS session_started_at
FROM window_events AS events
JOIN sessions_in_range
  ON sessions_in_range.session_id = events.session_id
