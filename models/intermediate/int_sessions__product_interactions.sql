MODEL (
  name intermediate.int_sessions__product_interactions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_started_at,
    lookback 1 /* sessions run past midnight: each run recomputes the day before too */
  ),
  grain (session_id, product_id),
  tags (
    product
  ),
  description 'One row per session and product the session touched: whether the product was viewed, added to cart, and bought in that session (it is among the items of the order checked out in the session). Incremental by session start, like core.fct_sessions.',
  column_descriptions (
    session_id = 'Browsing session.',
    product_id = 'Product touched in the session.',
    session_started_at = 'First event of the session (UTC).',
    was_viewed = 'The session has a page_view of the product.',
    was_added_to_cart = 'The session has an add_to_cart of the product.',
    was_purchased = 'The order checked out in the session contains the product.'
  ),
  audits (
    unique_combination_of_columns(columns := (session_id, product_id))
  )
);

WITH session_events AS (
  SELECT
    *
  FROM intermediate.int_events__sessionized
  WHERE
    session_started_at BETWEEN @start_ts AND @end_ts
), product_events AS (
  SELECT
    session_id,
    session_started_at,
    product_id,
    event_type = 'page_view' AS is_view,
    event_type = 'add_to_cart' AS is_add_to_cart,
    FALSE AS is_purchase
  FROM session_events
  WHERE
    event_type IN ('page_view', 'add_to_cart')
), purchases AS (
  SELECT DISTINCT
    checkouts.session_id,
    checkouts.session_started_at,
    items.product_id,
    FALSE AS is_view,
    FALSE AS is_add_to_cart,
    TRUE AS is_purchase
  FROM session_events AS checkouts
  JOIN staging.stg_greenery__order_items AS items
    ON items.order_id = checkouts.order_id
  WHERE
    checkouts.event_type = 'checkout'
), interactions AS (
  SELECT
    *
  FROM product_events
  UNION ALL
  SELECT
    *
  FROM purchases
)
SELECT
  session_id::TEXT AS session_id,
  product_id::TEXT AS product_id,
  BOOL_OR(is_view::BOOLEAN)::BOOLEAN AS was_viewed,
  BOOL_OR(is_add_to_cart::BOOLEAN)::BOOLEAN AS was_added_to_cart,
  BOOL_OR(is_purchase::BOOLEAN)::BOOLEAN AS was_purchased,
  MIN(session_started_at)::TIMESTAMP AS session_started_at
FROM interactions
GROUP BY
  session_id,
  product_id
