MODEL (
  name product.fct_product_daily,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column activity_date
  ),
  owner product,
  cron '@daily',
  grain (product_id, activity_date),
  tags (
    product
  ),
  description 'One row per product and day with activity: page views, add-to-carts, units ordered and orders. Incremental by day: a daily run computes only the new day.',
  column_descriptions (
    product_id = 'Product.',
    activity_date = 'Day (UTC).',
    page_views = 'page_view events of the product that day.',
    add_to_carts = 'add_to_cart events of the product that day.',
    units_ordered = 'Units of the product in orders placed that day.',
    orders = 'Orders placed that day containing the product.'
  ),
  audits (
    unique_combination_of_columns(columns := (product_id, activity_date)),
    not_null(columns := (product_id, activity_date))
  )
);

WITH events AS (
  SELECT
    product_id,
    created_at::DATE AS activity_date,
    COUNT(*) FILTER(WHERE
      event_type = 'page_view') AS page_views,
    COUNT(*) FILTER(WHERE
      event_type = 'add_to_cart') AS add_to_carts
  FROM staging.stg_greenery__events
  WHERE
    created_at BETWEEN @start_ts AND @end_ts AND NOT product_id IS NULL
  GROUP BY
    product_id,
    activity_date
), sales AS (
  SELECT
    product_id,
    ordered_at::DATE AS activity_date,
    SUM(quantity) AS units_ordered,
    COUNT(DISTINCT order_id) AS orders
  FROM intermediate.int_order_items__priced
  WHERE
    ordered_at BETWEEN @start_ts AND @end_ts
  GROUP BY
    product_id,
    activity_date
)
SELECT
  COALESCE(events.product_id, sales.product_id)::TEXT AS product_id,
  COALESCE(events.activity_date, sales.activity_date)::DATE AS activity_date,
  COALESCE(events.page_views, 0)::INT AS page_views,
  COALESCE(events.add_to_carts, 0)::INT AS add_to_carts,
  COALESCE(sales.units_ordered, 0)::INT AS units_ordered,
  COALESCE(sales.orders, 0)::INT AS orders
FROM events
FULL OUTER JOIN sales
  ON sales.product_id = events.product_id AND sales.activity_date = events.activity_date
