MODEL (
  name snapshots.order_status_history,
  kind SCD_TYPE_2_BY_COLUMN (
    unique_key order_id,
    columns [status, tracking_id, shipping_service, estimated_delivery_at, delivered_at]
  ),
  grain (order_id, valid_from),
  tags (core, history),
  description 'Fulfilment status of every order over time (SCD type 2): a new version each time a run sees an order move from preparing to shipped to delivered, or its tracking and delivery fields change. Answers "how long did orders wait in each status" once daily runs have accumulated history.',
  column_descriptions (
    order_id = 'Order key.',
    status = 'preparing, shipped or delivered during the version.',
    tracking_id = 'Carrier tracking id during the version.',
    shipping_service = 'Carrier during the version.',
    estimated_delivery_at = 'Promised delivery (UTC) during the version.',
    delivered_at = 'Delivery time (UTC) during the version.'
  ),
  audits (
    not_null(columns := (order_id, status))
  )
);

SELECT
  order_id::TEXT AS order_id,
  status::TEXT AS status,
  tracking_id::TEXT AS tracking_id,
  shipping_service::TEXT AS shipping_service,
  estimated_delivery_at::TIMESTAMP AS estimated_delivery_at,
  delivered_at::TIMESTAMP AS delivered_at
FROM staging.stg_greenery__orders
