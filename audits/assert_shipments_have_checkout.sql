AUDIT (
  name assert_shipments_have_checkout,
  blocking FALSE
);

SELECT
  session_id,
  user_id,
  order_id,
  checkouts,
  packages_shipped
FROM @this_model
WHERE
  packages_shipped > 0 AND checkouts = 0
