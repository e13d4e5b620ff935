MODEL (
  name staging.base_greenery__order_items,
  kind INCREMENTAL_BY_PARTITION, /* by order: a daily run replaces every line of the orders with a line the loader replaced (it reads all their rows, duplicates included, so merging by key could not drop a row that left raw.order_items); one partition column keeps SQLMesh's delete a plain IN, not a concatenation of every row's key */
  partitioned_by COALESCE(order_id, ''), /* the loader treats NULL key parts as equal; so does the replacement */
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery),
  description 'Every raw order line, renamed and cast, with the first staging rule it breaks. A line repeated for the same (order_id, product_id) is a duplicate: the first is kept, the others rejected. Incremental by key: a daily run reads the raw rows of the orders with a line loaded since its last run (the loader stamps each row it writes with _loaded_at), ranks duplicates within those keys and replaces their rows; a first build or a restatement reads all of raw.order_items. stg_greenery__order_items keeps the rows that break no rule; stg_greenery__rejects shows the others.',
  column_descriptions (
    order_id = 'Order the line belongs to.',
    product_id = 'Product ordered.',
    quantity = 'Units of the product in the order.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, non_positive_quantity), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).',
    _processed_after = 'The newest load the table held when the run that wrote this row began (1970-01-01 on a full build): the rows of one batch share it, and the audits judge the newest batch (@in_newest_batch).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line), condition := @in_newest_batch()),
    unique_combination_of_columns(columns := (order_id, product_id), condition := rejected_because IS NULL AND @in_newest_batch()),
    not_null(
      columns := (order_id, product_id, quantity),
      condition := rejected_because IS NULL AND @in_newest_batch()
    ),
    accepted_range("column" := quantity, min_v := 1, condition := rejected_because IS NULL AND @in_newest_batch())
  )
);

/* The raw rows of every order with a line loaded since the last run: each key (order_id, product_id) of those orders comes with all its rows, so its duplicates are ranked as over the whole table, and keys left as they were are written again unchanged. One key column keeps the filter a plain semi-join. */
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
  _source_line::BIGINT AS _source_line,
  @processed_until()::TIMESTAMP AS _processed_after
FROM @rows_of_keys_loaded_since(raw.order_items, order_id) AS order_items
