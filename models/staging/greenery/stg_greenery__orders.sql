MODEL (
  name staging.stg_greenery__orders,
  kind VIEW,
  grain order_id,
  ignored_rules (
    nomissingaudits
  ), /* audited on base_greenery__orders, per batch */
  tags (staging, greenery),
  description 'One row per order: the clean orders of the raw export, money as DECIMAL, promo ids normalised. Rows that break a staging rule are in stg_greenery__rejects instead; base_greenery__orders holds both, and audits the kept rows of each batch it writes (a view has no batch: its audits would read every row in every run).',
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
    _loaded_at = 'When the loader landed the row (UTC); models incremental by key process the rows loaded since their last run.'
  )
);

SELECT
  order_id::TEXT AS order_id,
  user_id::TEXT AS user_id,
  promo_id::TEXT AS promo_id,
  address_id::TEXT AS address_id,
  created_at::TIMESTAMP AS created_at,
  order_cost::DECIMAL(12, 2) AS order_cost,
  shipping_cost::DECIMAL(12, 2) AS shipping_cost,
  order_total::DECIMAL(12, 2) AS order_total,
  tracking_id::TEXT AS tracking_id,
  shipping_service::TEXT AS shipping_service,
  estimated_delivery_at::TIMESTAMP AS estimated_delivery_at,
  delivered_at::TIMESTAMP AS delivered_at,
  status::TEXT AS status,
  _loaded_at::TIMESTAMP AS _loaded_at
FROM staging.base_greenery__orders
WHERE
  rejected_because IS NULL
