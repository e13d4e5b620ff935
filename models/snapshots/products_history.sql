MODEL (
  name snapshots.products_history,
  kind FULL,
  grain (product_id, valid_from),
  tags (product, history),
  description 'Price and inventory of every product over time (type 2 history): a new version each time an export delivered another price or inventory. valid_from / valid_to bound each version; the current one has valid_to NULL. The first version of a product is valid from 1970-01-01, so every past order finds a price. Rebuilt on every run from the versions the loader kept (staging.stg_greenery__product_versions), so a corrected export of a past day corrects the history as a clean load would have.',
  column_descriptions (
    product_id = 'Product key.',
    product_name = 'Plant name when the version began.',
    price = 'Unit price in dollars during the version.',
    inventory = 'Units in stock during the version.',
    valid_from = 'When the version began: the as-of time of the export that delivered it (1970-01-01 for the first).',
    valid_to = 'When the next version began; NULL for the current version.'
  ),
  audits (
    not_null(columns := (product_id, price, valid_from)),
    unique_combination_of_columns(columns := (product_id, valid_from))
  )
);

WITH versions AS (
  SELECT
    product_id,
    product_name,
    price,
    inventory,
    _export_as_of,
    @changed_since_previous_version(product_id, _export_as_of, price, inventory) AS starts_version
  FROM staging.stg_greenery__product_versions
)
SELECT
  product_id::TEXT AS product_id,
  product_name::TEXT AS product_name,
  price::DECIMAL(12, 2) AS price,
  inventory::INT AS inventory,
  CASE
    WHEN ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY _export_as_of) = 1
    THEN '1970-01-01 00:00:00'::TIMESTAMP
    ELSE _export_as_of
  END::TIMESTAMP AS valid_from,
  LEAD(_export_as_of) OVER (PARTITION BY product_id ORDER BY _export_as_of)::TIMESTAMP AS valid_to
FROM versions
WHERE
  starts_version
