MODEL (
  name staging.stg_greenery__order_items,
  kind VIEW,
  grain (order_id, product_id),
  ignored_rules (
    nomissingaudits
  ), /* audited on base_greenery__order_items, per batch */
  tags (staging, greenery),
  description 'One row per order line (order_id, product_id): the clean order items of the raw export. Rows that break a staging rule are in stg_greenery__rejects instead; base_greenery__order_items holds both, and audits the kept rows of each batch it writes (a view has no batch: its audits would read every row in every run).',
  column_descriptions (
    order_id = 'Order the line belongs to.',
    product_id = 'Product ordered.',
    quantity = 'Units of the product in the order.',
    _loaded_at = 'When the loader landed the row (UTC); models incremental by key process the rows loaded since their last run.'
  )
);

SELECT
  order_id::TEXT AS order_id,
  product_id::TEXT AS product_id,
  quantity::INT AS quantity,
  _loaded_at::TIMESTAMP AS _loaded_at
FROM staging.base_greenery__order_items
WHERE
  rejected_because IS NULL
