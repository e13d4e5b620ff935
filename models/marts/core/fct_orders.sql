MODEL (
  name core.fct_orders,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key order_id
  ),
  owner data_team,
  grain order_id,
  tags (
    core
  ),
  description 'One row per order: who ordered, promo and discount, costs, items, shipping service, estimated and actual delivery, days to deliver and whether the delivery was late. Incremental by key: a daily run computes again only the orders whose order row, lines or promo were loaded since its last run; a first build or a restatement computes every order. An order that leaves staging (redelivered and rejected) keeps its last row until the model is restated.',
  column_descriptions (
    order_id = 'Order key.',
    user_id = 'User who ordered.',
    address_id = 'Shipping address.',
    ordered_at = 'When the order was placed (UTC).',
    status = 'preparing, shipped or delivered.',
    promo_id = 'Normalised promo key, NULL without promo.',
    discount = 'Promo discount in dollars (0 without promo).',
    order_cost = 'Sum of quantity x unit price, in dollars.',
    shipping_cost = 'Shipping charged, in dollars.',
    order_total = 'What the user paid, in dollars.',
    distinct_products = 'Number of different products in the order.',
    units = 'Units across all lines.',
    tracking_id = 'Carrier tracking id, NULL until shipped.',
    shipping_service = 'Carrier, NULL until shipped.',
    estimated_delivery_at = 'Promised delivery (UTC), sometimes missing.',
    delivered_at = 'Actual delivery (UTC), NULL until delivered.',
    days_to_deliver = 'Calendar days from the order date to the delivery date, NULL until delivered.',
    is_late = 'Delivered after the promised date; NULL when not delivered or no promise was recorded.',
    _loaded_at = 'Newest load time (UTC) of the order, its lines and its promo: the watermark of the daily runs.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      order_id
    )),
    not_null(columns := (order_id, user_id, ordered_at, status, order_total)),
    accepted_values("column" := status, is_in := ('preparing', 'shipped', 'delivered'))
  )
);

WITH touched_orders AS (
  SELECT
    order_id
  FROM staging.stg_greenery__orders
  WHERE
    _loaded_at > @processed_until()
  UNION
  SELECT
    order_id
  FROM intermediate.int_order_items__priced
  WHERE
    _loaded_at > @processed_until()
  UNION
  SELECT
    orders.order_id
  FROM staging.stg_greenery__orders AS orders
  JOIN staging.stg_greenery__promos AS promos
    ON promos.promo_id = orders.promo_id
  WHERE
    promos._loaded_at > @processed_until()
), orders AS (
  SELECT
    *
  FROM staging.stg_greenery__orders
  WHERE
    @full_rebuild() OR order_id IN (
      SELECT
        order_id
      FROM touched_orders
    )
), items AS (
  SELECT
    order_id,
    COUNT(*) AS distinct_products,
    SUM(quantity) AS units,
    MAX(_loaded_at) AS _loaded_at
  FROM intermediate.int_order_items__priced
  WHERE
    @full_rebuild() OR order_id IN (
      SELECT
        order_id
      FROM touched_orders
    )
  GROUP BY
    order_id
)
SELECT
  orders.order_id::TEXT AS order_id,
  orders.user_id::TEXT AS user_id,
  orders.address_id::TEXT AS address_id,
  orders.created_at::TIMESTAMP AS ordered_at,
  orders.status::TEXT AS status,
  orders.promo_id::TEXT AS promo_id,
  COALESCE(promos.discount, 0)::DECIMAL(12, 2) AS discount,
  orders.order_cost::DECIMAL(12, 2) AS order_cost,
  orders.shipping_cost::DECIMAL(12, 2) AS shipping_cost,
  orders.order_total::DECIMAL(12, 2) AS order_total,
  COALESCE(items.distinct_products, 0)::INT AS distinct_products,
  COALESCE(items.units, 0)::INT AS units,
  orders.tracking_id::TEXT AS tracking_id,
  orders.shipping_service::TEXT AS shipping_service,
  orders.estimated_delivery_at::TIMESTAMP AS estimated_delivery_at,
  orders.delivered_at::TIMESTAMP AS delivered_at,
  DATE_DIFF('DAY', orders.created_at::DATE, orders.delivered_at::DATE)::INT AS days_to_deliver,
  (
    orders.delivered_at > orders.estimated_delivery_at
  )::BOOLEAN AS is_late,
  GREATEST(
    orders._loaded_at,
    COALESCE(items._loaded_at, orders._loaded_at),
    COALESCE(promos._loaded_at, orders._loaded_at)
  )::TIMESTAMP AS _loaded_at
FROM orders
LEFT JOIN staging.stg_greenery__promos AS promos
  ON promos.promo_id = orders.promo_id
LEFT JOIN items
  ON items.order_id = orders.order_id
