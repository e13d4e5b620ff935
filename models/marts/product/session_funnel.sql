MODEL (
  name product.session_funnel,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date,
    lookback 1 /* follows core.fct_sessions, which revises the day before */
  ),
  owner product,
  cron '@daily',
  grain session_date,
  tags (
    product
  ),
  description 'One row per day of session start: sessions with a page view, with an add-to-cart, with a checkout, and the conversion and drop-off between steps. Where in the funnel visitors are lost.',
  column_descriptions (
    session_date = 'Day the sessions started (UTC).',
    sessions = 'Sessions that started that day.',
    sessions_with_page_view = 'Sessions with at least one page view.',
    sessions_with_add_to_cart = 'Sessions with at least one add-to-cart.',
    sessions_with_checkout = 'Sessions with a checkout.',
    view_to_cart_rate = 'sessions_with_add_to_cart / sessions_with_page_view.',
    cart_to_checkout_rate = 'sessions_with_checkout / sessions_with_add_to_cart.',
    view_to_checkout_rate = 'sessions_with_checkout / sessions_with_page_view.',
    view_to_cart_drop_off = '1 - view_to_cart_rate.',
    cart_to_checkout_drop_off = '1 - cart_to_checkout_rate.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      session_date
    )),
    not_null(columns := (session_date, sessions)),
    forall(
      criteria := (
        sessions_with_add_to_cart <= sessions
        AND sessions_with_page_view <= sessions
        AND sessions_with_checkout <= sessions
      )
    ) /* Blocks: each funnel step is a subset of the one before; otherwise the counts are wrong. */
  )
);

WITH daily AS (
  SELECT
    started_at::DATE AS session_date,
    COUNT(*) AS sessions,
    COUNT(*) FILTER(WHERE
      page_views > 0) AS sessions_with_page_view,
    COUNT(*) FILTER(WHERE
      add_to_carts > 0) AS sessions_with_add_to_cart,
    COUNT(*) FILTER(WHERE
      checkouts > 0) AS sessions_with_checkout
  FROM core.fct_sessions
  WHERE
    started_at BETWEEN @start_ts AND @end_ts
  GROUP BY
    session_date
)
SELECT
  session_date::DATE AS session_date,
  sessions::INT AS sessions,
  sessions_with_page_view::INT AS sessions_with_page_view,
  sessions_with_add_to_cart::INT AS sessions_with_add_to_cart,
  sessions_with_checkout::INT AS sessions_with_checkout,
  @SAFE_DIV(sessions_with_add_to_cart, sessions_with_page_view)::DOUBLE AS view_to_cart_rate,
  @SAFE_DIV(sessions_with_checkout, sessions_with_add_to_cart)::DOUBLE AS cart_to_checkout_rate,
  @SAFE_DIV(sessions_with_checkout, sessions_with_page_view)::DOUBLE AS view_to_checkout_rate,
  (
    1 - @SAFE_DIV(sessions_with_add_to_cart, sessions_with_page_view)
  )::DOUBLE AS view_to_cart_drop_off,
  (
    1 - @SAFE_DIV(sessions_with_checkout, sessions_with_add_to_cart)
  )::DOUBLE AS cart_to_checkout_drop_off
FROM daily
