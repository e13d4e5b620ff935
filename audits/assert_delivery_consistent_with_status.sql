AUDIT (
  name assert_delivery_consistent_with_status,
  blocking FALSE
);

SELECT
  order_id,
  status,
  tracking_id,
  shipping_service,
  delivered_at
FROM @this_model
WHERE
  (
    status = 'preparing'
    AND (
      NOT tracking_id IS NULL OR NOT shipping_service IS NULL OR NOT delivered_at IS NULL
    )
  )
  OR (
    status IN ('shipped', 'delivered') AND (
      tracking_id IS NULL OR shipping_service IS NULL
    )
  )
  OR (
    status = 'shipped' AND NOT delivered_at IS NULL
  )
  OR (
    status = 'delivered' AND delivered_at IS NULL
  )
