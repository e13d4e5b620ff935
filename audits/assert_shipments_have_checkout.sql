-- The write-up's first assumption: every shipped package follows a checkout in the same
-- session (a session with a package_shipped event also has a checkout event).
-- Warns: a shipment without its checkout means the web events lost the checkout (tracking
-- outage) or the shipment belongs to another session; the order itself is in fct_orders, so
-- the funnel under-counts but nothing downstream is corrupted.
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
