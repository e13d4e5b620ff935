MODEL (
  name staging.stg_greenery__order_states, /* raw.orders_versions, as stg_greenery__product_versions is raw.products_versions: each row is an order's state as of an export. Not named _order_versions: PostgreSQL cuts identifiers at 63 characters, and that name made the temporary table SQLMesh writes a keyed batch into 64 long */
  kind INCREMENTAL_BY_PARTITION, /* by order key: a daily run replaces every version of the orders with a version loaded since its last run, so the duplicate ranking below runs over those orders alone */
  partitioned_by order_id,
  grain (order_id, _export_as_of),
  tags (staging, greenery, history),
  description 'Every version of every order an export delivered (raw.orders_versions), with its fulfilment fields renamed and cast: one row per order and export as-of time. A version that breaks an order value rule says which in rejected_because, and the history leaves it out, as staging leaves out such a current row (which stg_greenery__rejects shows); it stays here because it replaced what the export delivered before, so the history of its order must be rebuilt. Of duplicated rows in one export, a valid one is kept first, then the first line. Incremental by key: a daily run reads every raw version of the orders with a version loaded since its last run, so that its ranking of duplicates sees what a full build would, and replaces their rows; a first build or a restatement reads all of raw.orders_versions. snapshots.order_status_history is built from it.',
  column_descriptions (
    order_id = 'Order key (uuid).',
    status = 'preparing, shipped or delivered in this version.',
    tracking_id = 'Carrier tracking id in this version.',
    shipping_service = 'Carrier in this version.',
    estimated_delivery_at = 'Promised delivery (UTC) in this version.',
    delivered_at = 'Delivery time (UTC) in this version.',
    _export_as_of = 'As-of time of the export that delivered the version (UTC).',
    rejected_because = 'The order value rule the version breaks (invalid_status, missing_user, missing_created_at), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the version (UTC).'
  ),
  audits (
    not_null(columns := (order_id, status, _export_as_of), condition := rejected_because IS NULL)
  )
);

SELECT
  order_id::TEXT AS order_id,
  LOWER(TRIM(status))::TEXT AS status,
  tracking_id::TEXT AS tracking_id,
  LOWER(TRIM(shipping_service))::TEXT AS shipping_service,
  estimated_delivery_at::TIMESTAMP AS estimated_delivery_at,
  delivered_at::TIMESTAMP AS delivered_at,
  _export_as_of::TIMESTAMP AS _export_as_of,
  @order_value_rule(LOWER(TRIM(status)), user_id, created_at)::TEXT AS rejected_because,
  _loaded_at::TIMESTAMP AS _loaded_at
FROM @rows_of_keys_loaded_since(raw.orders_versions, order_id) AS versions
WHERE
  NOT order_id IS NULL
QUALIFY
  ROW_NUMBER() OVER (
    PARTITION BY order_id, _export_as_of
    ORDER BY @order_value_rule(LOWER(TRIM(status)), user_id, created_at) IS NULL DESC, _loaded_at DESC, _source_line
  ) = 1
