MODEL (
  name intermediate.int_order_items__priced,
  kind FULL,
  grain (order_id, product_id),
  tags (
    product
  ),
  description 'Order lines priced at the unit price that was valid when the order was placed (as-of join on snapshots.products_history), with the line revenue. Lines whose order or product is unknown are kept, with NULL order fields or price, so the referential audits downstream can count them.',
  column_descriptions (
    order_id = 'Order the line belongs to.',
    product_id = 'Product ordered.',
    user_id = 'User who placed the order (NULL if the order is unknown).',
    ordered_at = 'When the order was placed, UTC (NULL if the order is unknown).',
    quantity = 'Units ordered.',
    unit_price = 'Price of one unit when the order was placed, in dollars.',
    line_revenue = 'quantity x unit_price, in dollars.'
  ),
  audits (
    unique_combination_of_columns(columns := (order_id, product_id))
  )
);

SELECT
  items.order_id::TEXT AS order_id,
  items.product_id::TEXT AS product_id,
  orders.user_id::TEXT AS user_id,
  orders.created_at::TIMESTAMP AS ordered_at,
  items.quantity::INT AS quantity,
  prices.price::DECIMAL(12, 2) AS unit_price,
  (
    items.quantity * prices.price
  )::DECIMAL(12, 2) AS line_revenue
FROM staging.stg_greenery__order_items AS items
LEFT JOIN staging.stg_greenery__orders AS orders
  ON orders.order_id = items.order_id
LEFT JOIN snapshots.products_history AS prices
  ON prices.product_id = items.product_id
  AND COALESCE(orders.created_at, CURRENT_TIMESTAMP::TIMESTAMP) >= prices.valid_from
  AND COALESCE(orders.created_at, CURRENT_TIMESTAMP::TIMESTAMP) < COALESCE(prices.valid_to, '9999-12-31'::TIMESTAMP)
