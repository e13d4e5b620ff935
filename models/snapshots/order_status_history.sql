MODEL (
  name snapshots.order_status_history,
  kind FULL,
  grain (order_id, valid_from),
  tags (core, history),
  description 'Fulfilment status of every order over time (type 2 history): a new version each time an export delivered an order that moved from preparing to shipped to delivered, or whose tracking and delivery fields changed. Answers "how long did orders wait in each status" once daily exports have accumulated. Rebuilt on every run from the versions the loader kept (staging.stg_greenery__order_versions), so a corrected export of a past day corrects the history as a clean load would have.',
  column_descriptions (
    order_id = 'Order key.',
    status = 'preparing, shipped or delivered during the version.',
    tracking_id = 'Carrier tracking id during the version.',
    shipping_service = 'Carrier during the version.',
    estimated_delivery_at = 'Promised delivery (UTC) during the version.',
    delivered_at = 'Delivery time (UTC) during the version.',
    valid_from = 'When the version began: the as-of time of the export that delivered it (1970-01-01 for the first).',
    valid_to = 'When the next version began; NULL for the current version.'
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
    @changed_since_previous_version(order_id, _export_as_of, status, tracking_id, shipping_service, estimated_delivery_at, delivered_at) AS starts_version
  FROM staging.stg_greenery__order_versions
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
  LEAD(_export_as_of) OVER (PARTITION BY order_id ORDER BY _export_as_of)::TIMESTAMP AS valid_to
FROM versions
WHERE
  starts_version
