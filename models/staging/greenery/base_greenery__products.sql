MODEL (
  name staging.base_greenery__products,
  kind FULL, /* a table: its ROW_NUMBER over the whole raw table is computed once per run, not once per reader */
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery),
  description 'Every raw product row, renamed and cast, with the first staging rule it breaks. stg_greenery__products keeps the rows that break none; stg_greenery__rejects shows the others.',
  column_descriptions (
    product_id = 'Product key (uuid).',
    product_name = 'Plant name.',
    price = 'Current unit price in dollars.',
    inventory = 'Units in stock when the file was exported.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, invalid_price, invalid_inventory), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line))
  )
);

SELECT
  product_id::TEXT AS product_id,
  name::TEXT AS product_name,
  price::DECIMAL(12, 2) AS price,
  inventory::INT AS inventory,
  CASE
    WHEN product_id IS NULL
    THEN 'missing_key'
    WHEN ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY _loaded_at DESC, _source_line) > 1
    THEN 'duplicate_key'
    ELSE @product_value_rule(price, inventory)
  END::TEXT AS rejected_because,
  _loaded_at::TIMESTAMP AS _loaded_at,
  _source_file::TEXT AS _source_file,
  _source_line::BIGINT AS _source_line
FROM raw.products
