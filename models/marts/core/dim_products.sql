MODEL (
  name core.dim_products,
  kind FULL,
  owner data_team,
  grain product_id,
  tags (
    core
  ),
  description 'One row per product with its current price and inventory, and since when that price has held (from snapshots.products_history).',
  column_descriptions (
    product_id = 'Product key.',
    product_name = 'Plant name.',
    price = 'Current unit price in dollars.',
    inventory = 'Units in stock at the latest load.',
    price_valid_from = 'Since when the current price and inventory have held (1970-01-01 for the first version seen).'
  ),
  audits (
    unique_combination_of_columns(columns := (
      product_id
    )),
    not_null(columns := (product_id, product_name, price)),
    accepted_range("column" := price, min_v := 0)
  )
);

SELECT
  products.product_id::TEXT AS product_id,
  products.product_name::TEXT AS product_name,
  products.price::DECIMAL(12, 2) AS price,
  products.inventory::INT AS inventory,
  history.valid_from::TIMESTAMP AS price_valid_from
FROM staging.stg_greenery__products AS products
LEFT JOIN snapshots.products_history AS history
  ON history.product_id = products.product_id AND history.valid_to IS NULL
