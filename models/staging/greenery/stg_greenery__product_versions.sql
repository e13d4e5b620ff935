MODEL (
  name staging.stg_greenery__product_versions,
  kind VIEW,
  grain (product_id, _export_as_of),
  tags (staging, greenery, history),
  description 'Every version of every product an export delivered (raw.products_versions), renamed and cast: one row per product and export as-of time. A version that breaks a product value rule is left out, as staging leaves out such a current row (which stg_greenery__rejects shows); of duplicated rows in one export, the first line is kept. snapshots.products_history is built from it.',
  column_descriptions (
    product_id = 'Product key (uuid).',
    product_name = 'Plant name.',
    price = 'Unit price in dollars in this version.',
    inventory = 'Units in stock in this version.',
    _export_as_of = 'As-of time of the export that delivered the version (UTC).',
    _loaded_at = 'When the loader landed the row (UTC); models incremental by key process the rows loaded since their last run.'
  ),
  audits (
    not_null(columns := (product_id, price, _export_as_of))
  )
);

SELECT
  product_id::TEXT AS product_id,
  name::TEXT AS product_name,
  price::DECIMAL(12, 2) AS price,
  inventory::INT AS inventory,
  _export_as_of::TIMESTAMP AS _export_as_of,
  _loaded_at::TIMESTAMP AS _loaded_at
FROM raw.products_versions
WHERE
  NOT product_id IS NULL AND @product_value_rule(price, inventory) IS NULL
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY product_id, _export_as_of ORDER BY _loaded_at DESC, _source_line) = 1
