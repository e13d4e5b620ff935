MODEL (
  name marketing.repeat_rate,
  kind FULL,
  owner marketing,
  grain latest_order_at,
  tags (
    marketing
  ),
  description 'One row: how many users have bought, how many bought again, and the repeat rate (users with 2 or more orders / users with 1 or more). The write-up''s first question; on the course''s reference export it is 99 / 124 = 0.798387.',
  column_descriptions (
    latest_order_at = 'The latest order in the data (UTC): what the figures are as of.',
    purchasers = 'Users with at least one order.',
    repeat_purchasers = 'Users with two or more orders.',
    one_time_purchasers = 'Users with exactly one order.',
    users_without_orders = 'Known users who never ordered.',
    repeat_rate = 'repeat_purchasers / purchasers (NULL without purchasers).'
  ),
  audits (
    at_least_one("column" := purchasers),
    not_null(columns := (purchasers, repeat_purchasers)),
    accepted_range("column" := repeat_rate, min_v := 0, max_v := 1),
    forall(criteria := (
      repeat_purchasers + one_time_purchasers = purchasers
    ))
  )
);

SELECT
  MAX(last_order_at)::TIMESTAMP AS latest_order_at,
  COUNT(*) FILTER(WHERE
    order_count >= 1)::INT AS purchasers,
  COUNT(*) FILTER(WHERE
    order_count >= 2)::INT AS repeat_purchasers,
  COUNT(*) FILTER(WHERE
    order_count = 1)::INT AS one_time_purchasers,
  COUNT(*) FILTER(WHERE
    order_count = 0)::INT AS users_without_orders,
  @SAFE_DIV(COUNT(*) FILTER(WHERE
    order_count >= 2), COUNT(*) FILTER(WHERE
    order_count >= 1))::DOUBLE AS repeat_rate
FROM marketing.fct_user_orders
