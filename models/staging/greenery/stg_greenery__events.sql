MODEL (
  name staging.stg_greenery__events,
  kind VIEW,
  grain event_id,
  tags (staging, greenery),
  ignored_rules (
    nomissingaudits
  ), /* audited on base_greenery__events, per interval */
  description 'One row per web event: the clean events of the raw export. Rows that break a staging rule are in stg_greenery__rejects instead; base_greenery__events holds both, and audits the kept rows of each interval it processes (a view has no interval: its audits would read every event in every run).',
  column_descriptions (
    event_id = 'Event key (uuid).',
    session_id = 'Browsing session; a session belongs to one user.',
    user_id = 'User who browsed.',
    page_url = 'Page the event happened on.',
    created_at = 'When the event happened (UTC).',
    event_type = 'page_view, add_to_cart, checkout or package_shipped.',
    order_id = 'Order of a checkout or package_shipped event, else NULL.',
    product_id = 'Product of a page_view or add_to_cart event, else NULL.'
  )
);

SELECT
  event_id::TEXT AS event_id,
  session_id::TEXT AS session_id,
  user_id::TEXT AS user_id,
  page_url::TEXT AS page_url,
  created_at::TIMESTAMP AS created_at,
  event_type::TEXT AS event_type,
  order_id::TEXT AS order_id,
  product_id::TEXT AS product_id
FROM staging.base_greenery__events
WHERE
  rejected_because IS NULL
