MODEL (
  name staging.base_greenery__order_items,
  kind FULL, /* a table: its ROW_NUMBER over the whole raw table is computed once per run, not once per reader */
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery),
  description 'Every raw order line, renamed and cast, with the first staging rule it breaks. A line repeated for the same (order_id, product_id) is a duplicate: the first is kept, the others rejected. stg_greenery__order_items keeps the rows that break no rule; stg_greenery__rejects shows the others.',
  column_descriptions (
    order_id = 'Order the line belongs to.',
    product_id = 'Product ordered.',
    quantity = 'Units of the product in the order.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, non_positive_quantity), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line))
  )
);

SELECT
  order_id::TEXT AS order_id,
  product_id::TEXT AS product_id,
  quantity::INT AS quantity,
  CASE
    WHEN order_id IS NULL OR product_id IS NULL
    THEN 'missing_key'
    WHEN ROW_NUMBER() OVER (PARTITION BY order_id, product_id ORDER BY _loaded_at DESC, _source_line) > 1
    THEN 'duplicate_key'
    WHEN quantity IS NULL OR quantity <= 0
    THEN 'non_positive_quantity'
  END::TEXT AS rejected_because,
  _loaded_at::TIMESTAMP AS _loaded_at,
  _source_file::TEXT AS _source_file,
  _source_line::BIGINT AS _source_line
FROM raw.order_items
