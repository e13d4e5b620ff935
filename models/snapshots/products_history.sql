MODEL (
  name snapshots.products_history,
  kind SCD_TYPE_2_BY_COLUMN (
    unique_key product_id,
    columns [price, inventory]
  ),
  grain (product_id, valid_from),
  tags (product, history),
  description 'Price and inventory of every product over time (SCD type 2): a new version each time a run sees the price or inventory change. valid_from / valid_to bound each version; the current one has valid_to NULL. The first version of a product is valid from 1970-01-01, so every past order finds a price.',
  column_descriptions (
    product_id = 'Product key.',
    product_name = 'Plant name.',
    price = 'Unit price in dollars during the version.',
    inventory = 'Units in stock during the version.'
  ),
  audits (
    not_null(columns := (product_id, price))
  )
);

SELECT
  product_id::TEXT AS product_id,
  product_name::TEXT AS product_name,
  price::DECIMAL(12, 2) AS price,
  inventory::INT AS inventory
FROM staging.stg_greenery__products
