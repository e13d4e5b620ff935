MODEL (
  name staging.base_greenery__events,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column created_at,
    lookback 1 /* events landing a day late are still placed */
  ),
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery),
  description 'Every raw web event, renamed and cast, with the first staging rule it breaks. Incremental by event time: a daily run reads the new day of raw.events (and the day before), not its history; the loader refuses an event without a time, so every row has a day. stg_greenery__events keeps the rows that break none; stg_greenery__rejects shows the others. The audits on event_id and the event''s fields judge the rows stg_greenery__events keeps, on each interval processed (as a view, it has no interval to audit on); an event delivered again with a later day, after its first day was processed, leaves its older row behind as a duplicate, which the blocking audit of quality.staging_reconciliation counts.',
  column_descriptions (
    event_id = 'Event key (uuid).',
    session_id = 'Browsing session; a session belongs to one user.',
    user_id = 'User who browsed.',
    page_url = 'Page the event happened on.',
    created_at = 'When the event happened (UTC).',
    event_type = 'page_view, add_to_cart, checkout or package_shipped.',
    order_id = 'Order of a checkout or package_shipped event, else NULL.',
    product_id = 'Product of a page_view or add_to_cart event, else NULL.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, invalid_event_type, missing_session), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line)),
    unique_combination_of_columns(columns := (
      event_id
    ), condition := rejected_because IS NULL),
    not_null(
      columns := (event_id, session_id, user_id, created_at, event_type),
      condition := rejected_because IS NULL
    ),
    accepted_values(
      "column" := event_type,
      is_in := ('page_view', 'add_to_cart', 'checkout', 'package_shipped'),
      condition := rejected_because IS NULL
    )
  )
);

/* The loader replaces a key's rows when the key arrives again, so a repeated key comes from one
   file, yet its rows may fall on other days: keys of this interval are ranked over all of
   raw.events. Only repeated keys get a rank (ranking every key cost more than the rest of the
   model at 3.5M events, bench/). */
WITH events AS (
  SELECT
    *
  FROM raw.events
  WHERE
    created_at BETWEEN @start_ts AND @end_ts
), repeated_keys AS (
  SELECT
    event_id
  FROM raw.events
  WHERE
    event_id IN (
      SELECT
        event_id
      FROM events
    )
  GROUP BY
    event_id
  HAVING
    COUNT(*) > 1
), repeats AS (
  SELECT
    _source_file,
    _source_line,
    _loaded_at,
    ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY _loaded_at DESC, _source_line) AS key_rank
  FROM raw.events
  WHERE
    event_id IN (
      SELECT
        event_id
      FROM repeated_keys
    )
)
SELECT
  events.event_id::TEXT AS event_id,
  events.session_id::TEXT AS session_id,
  events.user_id::TEXT AS user_id,
  events.page_url::TEXT AS page_url,
  events.created_at::TIMESTAMP AS created_at,
  LOWER(TRIM(events.event_type))::TEXT AS event_type,
  events.order_id::TEXT AS order_id,
  events.product_id::TEXT AS product_id,
  CASE
    WHEN events.event_id IS NULL
    THEN 'missing_key'
    WHEN repeats.key_rank > 1
    THEN 'duplicate_key'
    WHEN NOT COALESCE(LOWER(TRIM(events.event_type)) IN ('page_view', 'add_to_cart', 'checkout', 'package_shipped'), FALSE)
    THEN 'invalid_event_type'
    WHEN events.session_id IS NULL OR events.user_id IS NULL
    THEN 'missing_session'
  END::TEXT AS rejected_because,
  events._loaded_at::TIMESTAMP AS _loaded_at,
  events._source_file::TEXT AS _source_file,
  events._source_line::BIGINT AS _source_line
FROM events
LEFT JOIN repeats
  ON repeats._source_file = events._source_file
  AND repeats._source_line = events._source_line
  AND repeats._loaded_at = events._loaded_at
