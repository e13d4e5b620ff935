MODEL (
  name staging.stg_greenery__products,
  kind VIEW,
  grain product_id,
  tags (staging, greenery),
  description 'One row per product with its current price and inventory. Rows that break a staging rule are in stg_greenery__rejects instead; base_greenery__products holds both.',
  column_descriptions (
    product_id = 'Product key (uuid).',
    product_name = 'Plant name.',
    price = 'Current unit price in dollars.',
    inventory = 'Units in stock when the file was exported.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      product_id
    )),
    not_null(columns := (product_id, price)),
    accepted_range("column" := price, min_v := 0)
  )
);

SELECT
  product_id::TEXT AS product_id,
  product_name::TEXT AS product_name,
  price::DECIMAL(12, 2) AS price,
  inventory::INT AS inventory
FROM staging.base_greenery__products
WHERE
  rejected_because IS NULL
