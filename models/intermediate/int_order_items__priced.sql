MODEL (
  name intermediate.int_order_items__priced,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (order_id, product_id)
  ),
  grain (order_id, product_id),
  tags (
    product
  ),
  description 'Order lines priced at the unit price that was valid when the order was placed (as-of join on snapshots.products_history), with the line revenue. Lines whose order or product is unknown are kept, with NULL order fields or price, so the referential audits downstream can count them. Incremental by key: a daily run prices again only the lines of the orders whose order row or lines were loaded since its last run, and of the orders a product version loaded since then may price otherwise (placed from the version''s as-of time on, or at any time when it is the product''s first version, and orders unknown to staging, whose lines are priced now); a first build or a restatement prices every line. A line that leaves staging (redelivered and rejected) keeps its last row until the model is restated.',
  column_descriptions (
    order_id = 'Order the line belongs to.',
    product_id = 'Product ordered.',
    user_id = 'User who placed the order (NULL if the order is unknown).',
    ordered_at = 'When the order was placed, UTC (NULL if the order is unknown).',
    quantity = 'Units ordered.',
    unit_price = 'Price of one unit when the order was placed, in dollars.',
    line_revenue = 'quantity x unit_price, in dollars.',
    _loaded_at = 'Newest load time (UTC) of the line and its order: the watermark of the daily runs.',
    _processed_after = 'The newest load the table held when the run that wrote this row began (1970-01-01 on a full build): the rows of one batch share it, and the audit judges the newest batch (@in_newest_batch).'
  ),
  audits (
    unique_combination_of_columns(columns := (order_id, product_id), condition := @in_newest_batch()) /* Blocks: the grain is (order_id, product_id), not order_id (the write-up's lesson); product.fct_order_products, a projection of this table, is held by it. A daily run's merge keeps one row per key of its batch, so the newest batch is where a duplicate can be. */
  )
);

WITH touched_orders AS (
  SELECT
    order_id
  FROM staging.stg_greenery__order_items
  WHERE
    _loaded_at > @processed_until()
  UNION
  /* Every order row loaded, rejected ones too: the lines of an order now rejected lose its fields. */
  SELECT
    order_id
  FROM staging.base_greenery__orders
  WHERE
    _loaded_at > @processed_until()
), new_versions AS (
  SELECT
    product_id,
    _export_as_of,
    _loaded_at,
    MIN(_export_as_of) OVER (PARTITION BY product_id) AS first_as_of
  FROM staging.stg_greenery__product_versions
), repriced_products AS (
  /* A version prices the orders placed from its as-of time on; a product's first version is valid from 1970-01-01 (snapshots.products_history). */
  SELECT
    product_id,
    MIN(CASE WHEN _export_as_of <= first_as_of THEN '1970-01-01 00:00:00'::TIMESTAMP ELSE _export_as_of END) AS repriced_from
  FROM new_versions
  WHERE
    _loaded_at > @processed_until()
  GROUP BY
    product_id
), repriced_orders AS (
  /* Orders placed since a newly loaded version of one of their products (the first bound lets DuckDB filter the orders before the join), and orders unknown to staging, whose lines are priced now. */
  SELECT
    items.order_id
  FROM staging.stg_greenery__orders AS orders
  JOIN staging.stg_greenery__order_items AS items
    ON items.order_id = orders.order_id
  JOIN repriced_products
    ON repriced_products.product_id = items.product_id
  WHERE
    orders.created_at >= (
      SELECT
        MIN(repriced_from)
      FROM repriced_products
    )
    AND orders.created_at >= repriced_products.repriced_from
  UNION
  SELECT
    items.order_id
  FROM staging.stg_greenery__order_items AS items
  LEFT JOIN staging.stg_greenery__orders AS orders
    ON orders.order_id = items.order_id
  WHERE
    orders.order_id IS NULL AND items.product_id IN (
      SELECT
        product_id
      FROM repriced_products
    )
), items AS (
  SELECT
    order_id,
    product_id,
    quantity,
    _loaded_at
  FROM staging.stg_greenery__order_items
  WHERE
    @full_rebuild()
    OR order_id IN (
      SELECT
        order_id
      FROM touched_orders
    )
    OR order_id IN (
      SELECT
        order_id
      FROM repriced_orders
    )
)
SELECT
  items.order_id::TEXT AS order_id,
  items.product_id::TEXT AS product_id,
  orders.user_id::TEXT AS user_id,
  orders.created_at::TIMESTAMP AS ordered_at,
  items.quantity::INT AS quantity,
  prices.price::DECIMAL(12, 2) AS unit_price,
  (
    items.quantity * prices.price
  )::DECIMAL(12, 2) AS line_revenue,
  GREATEST(items._loaded_at, COALESCE(orders._loaded_at, items._loaded_at))::TIMESTAMP AS _loaded_at,
  @processed_until()::TIMESTAMP AS _processed_after
FROM items
LEFT JOIN staging.stg_greenery__orders AS orders
  ON orders.order_id = items.order_id
LEFT JOIN snapshots.products_history AS prices
  ON prices.product_id = items.product_id
  AND COALESCE(orders.created_at, CURRENT_TIMESTAMP::TIMESTAMP) >= prices.valid_from
  AND COALESCE(orders.created_at, CURRENT_TIMESTAMP::TIMESTAMP) < COALESCE(prices.valid_to, '9999-12-31'::TIMESTAMP)
