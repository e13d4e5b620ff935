MODEL (
  name staging.base_greenery__orders,
  kind INCREMENTAL_BY_PARTITION, /* by order key: a daily run replaces the rows of the keys the loader replaced (a key's rows are replaced whole, duplicates included, so merging by key could not drop a row that left raw.orders) */
  partitioned_by COALESCE(order_id, ''), /* the loader treats a NULL key as one key; so does the replacement */
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery),
  description 'Every raw order row, renamed and cast, with the first staging rule it breaks. Incremental by key: a daily run reads the raw rows of the orders loaded since its last run (the loader stamps each row it writes with _loaded_at), ranks duplicates within those keys and replaces their rows; a first build or a restatement reads all of raw.orders. stg_greenery__orders keeps the rows that break none; stg_greenery__rejects shows the others.',
  column_descriptions (
    order_id = 'Order key (uuid).',
    user_id = 'User who placed the order.',
    promo_id = 'Normalised promo key, NULL when no promo was used.',
    address_id = 'Shipping address of the order.',
    created_at = 'When the order was placed (UTC).',
    order_cost = 'Sum of quantity x unit price, in dollars.',
    shipping_cost = 'Shipping charged, in dollars.',
    order_total = 'What the user paid: order_cost + shipping_cost - promo discount.',
    tracking_id = 'Carrier tracking id, NULL until shipped.',
    shipping_service = 'Carrier (ups, fedex, usps, dhl), NULL until shipped.',
    estimated_delivery_at = 'Delivery date promised at shipping (UTC); sometimes missing.',
    delivered_at = 'When the package was delivered (UTC), NULL until delivered.',
    status = 'preparing, shipped or delivered.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, invalid_status, missing_user, missing_created_at), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).',
    _processed_after = 'The newest load the table held when the run that wrote this row began (1970-01-01 on a full build): the rows of one batch share it, and the audits judge the newest batch (@in_newest_batch).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line), condition := @in_newest_batch()),
    unique_combination_of_columns(columns := (
      order_id
    ), condition := rejected_because IS NULL AND @in_newest_batch()),
    not_null(
      columns := (order_id, user_id, created_at, status),
      condition := rejected_because IS NULL AND @in_newest_batch()
    ),
    accepted_values(
      "column" := status,
      is_in := ('preparing', 'shipped', 'delivered'),
      condition := rejected_because IS NULL AND @in_newest_batch()
    )
  )
);

SELECT
  order_id::TEXT AS order_id,
  user_id::TEXT AS user_id,
  @normalize_promo_id(promo_id)::TEXT AS promo_id,
  address_id::TEXT AS address_id,
  created_at::TIMESTAMP AS created_at,
  order_cost::DECIMAL(12, 2) AS order_cost,
  shipping_cost::DECIMAL(12, 2) AS shipping_cost,
  order_total::DECIMAL(12, 2) AS order_total,
  tracking_id::TEXT AS tracking_id,
  LOWER(TRIM(shipping_service))::TEXT AS shipping_service,
  estimated_delivery_at::TIMESTAMP AS estimated_delivery_at,
  delivered_at::TIMESTAMP AS delivered_at,
  LOWER(TRIM(status))::TEXT AS status,
  CASE
    WHEN order_id IS NULL
    THEN 'missing_key'
    WHEN ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY _loaded_at DESC, _source_line) > 1
    THEN 'duplicate_key'
    ELSE @order_value_rule(LOWER(TRIM(status)), user_id, created_at)
  END::TEXT AS rejected_because,
  _loaded_at::TIMESTAMP AS _loaded_at,
  _source_file::TEXT AS _source_file,
  _source_line::BIGINT AS _source_line,
  @processed_until()::TIMESTAMP AS _processed_after
FROM @rows_of_keys_loaded_since(raw.orders, order_id) AS orders
