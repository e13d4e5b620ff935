MODEL (
  name snapshots.order_status_history,
  kind INCREMENTAL_BY_PARTITION, /* by order key: a daily run rebuilds the whole history of the orders with a version loaded since its last run */
  partitioned_by order_id,
  grain (order_id, valid_from),
  tags (core, history),
  description 'Fulfilment status of every order over time (type 2 history): a new version each time an export delivered an order that moved from preparing to shipped to delivered, or whose tracking and delivery fields changed. Answers "how long did orders wait in each status" once daily exports have accumulated. Built from the versions the loader kept (staging.stg_greenery__order_states). Incremental by key: a daily run rebuilds the history of every order with a version loaded since its last run (a version staging rejects included), from all of its valid versions, so a corrected export of a past day corrects the history as a clean load would have; a first build or a restatement rebuilds every order. An order left with no valid version keeps its last history until the model is restated (SQLMesh replaces only the orders the run writes), as fct_orders keeps the last row of an order that leaves staging.',
  column_descriptions (
    order_id = 'Order key.',
    status = 'preparing, shipped or delivered during the version.',
    tracking_id = 'Carrier tracking id during the version.',
    shipping_service = 'Carrier during the version.',
    estimated_delivery_at = 'Promised delivery (UTC) during the version.',
    delivered_at = 'Delivery time (UTC) during the version.',
    valid_from = 'When the version began: the as-of time of the export that delivered it (1970-01-01 for the first).',
    valid_to = 'When the next version began; NULL for the current version.',
    _loaded_at = 'When the loader landed the version (UTC).'
  ),
  audits (
    not_null(columns := (order_id, status, valid_from)),
    unique_combination_of_columns(columns := (order_id, valid_from))
  )
);

WITH versions AS (
  SELECT
    order_id,
    status,
    tracking_id,
    shipping_service,
    estimated_delivery_at,
    delivered_at,
    _export_as_of,
    _loaded_at,
    @changed_since_previous_version(order_id, _export_as_of, status, tracking_id, shipping_service, estimated_delivery_at, delivered_at) AS starts_version
  FROM staging.stg_greenery__order_states
  WHERE
    rejected_because IS NULL
    AND (
      @full_rebuild()
      OR order_id IN (
        SELECT
          order_id
        FROM staging.stg_greenery__order_states
        WHERE
          _loaded_at > @processed_until()
      )
    )
)
SELECT
  order_id::TEXT AS order_id,
  status::TEXT AS status,
  tracking_id::TEXT AS tracking_id,
  shipping_service::TEXT AS shipping_service,
  estimated_delivery_at::TIMESTAMP AS estimated_delivery_at,
  delivered_at::TIMESTAMP AS delivered_at,
  CASE
    WHEN ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY _export_as_of) = 1
    THEN '1970-01-01 00:00:00'::TIMESTAMP
    ELSE _export_as_of
  END::TIMESTAMP AS valid_from,
  LEAD(_export_as_of) OVER (PARTITION BY order_id ORDER BY _export_as_of)::TIMESTAMP AS valid_to,
  _loaded_at::TIMESTAMP AS _loaded_at
FROM versions
WHERE
  starts_version
