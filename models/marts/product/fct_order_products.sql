MODEL (
  name product.fct_order_products,
  kind VIEW, /* a projection of intermediate.int_order_items__priced, which is incremental by key: as a view it costs nothing per run and cannot disagree with it */
  owner product,
  grain (order_id, product_id),
  tags (
    product
  ),
  ignored_rules (
    nomissingaudits
  ), /* a projection of an audited table: its grain is audited on intermediate.int_order_items__priced, its required fields and quantities on staging.base_greenery__order_items, for the rows stg_greenery__order_items keeps */
  description 'One row per order line (order_id, product_id): quantity, the unit price when the order was placed, and the line revenue. Which products sell, in what quantities, and for how much. order_id alone is not unique here (an order holds several products): the write-up''s lesson, kept as the grain audit of intermediate.int_order_items__priced, whose rows these are. A view of intermediate.int_order_items__priced (incremental by key), with its load time, by which the monitor''s checks judge the lines loaded since their last scan.',
  column_descriptions (
    order_id = 'Order.',
    product_id = 'Product.',
    user_id = 'User who ordered.',
    ordered_at = 'When the order was placed (UTC).',
    quantity = 'Units ordered.',
    unit_price = 'Unit price when the order was placed, in dollars.',
    line_revenue = 'quantity x unit_price, in dollars.',
    _loaded_at = 'Newest load time (UTC) of the line and its order: the monitor''s Soda checks judge the lines loaded since their last scan.'
  )
);

SELECT
  order_id::TEXT AS order_id,
  product_id::TEXT AS product_id,
  user_id::TEXT AS user_id,
  ordered_at::TIMESTAMP AS ordered_at,
  quantity::INT AS quantity,
  unit_price::DECIMAL(12, 2) AS unit_price,
  line_revenue::DECIMAL(12, 2) AS line_revenue,
  _loaded_at::TIMESTAMP AS _loaded_at
FROM intermediate.int_order_items__priced
