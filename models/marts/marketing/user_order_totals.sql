MODEL (
  name marketing.user_order_totals,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key user_id
  ),
  owner marketing,
  grain user_id,
  tags (
    marketing
  ),
  description 'One row per buyer (user_id, every user with an order in core.fct_orders, known to core.dim_users or not): first and last order, order count, spend, units, products, promo use and deliveries, summed over all the user''s orders. marketing.fct_user_orders adds the non-buyers, the buyer segment and the high-value flag, which compares each buyer with all the others and so is computed there, over this table, on every run. Incremental by key: a daily run computes again only the buyers of the orders core.fct_orders computed again (an order''s row, lines or promo loaded since this model''s last run); a first build or a restatement computes every buyer. A buyer whose every order left staging, or an order moved to another user, keeps the old figures until the model is restated.',
  column_descriptions (
    user_id = 'User key.',
    first_order_at = 'First order (UTC).',
    last_order_at = 'Latest order (UTC).',
    order_count = 'Orders placed.',
    total_spend = 'Sum of order totals, in dollars.',
    avg_units_per_order = 'Average units per order.',
    distinct_products_bought = 'Different products ever bought.',
    promo_orders = 'Orders that used a promo.',
    avg_days_to_deliver = 'Average days from order to delivery, over delivered orders; NULL when none was delivered.',
    late_deliveries = 'Delivered orders that arrived after the promised date.',
    _loaded_at = 'Newest load time (UTC) of the user''s orders (core.fct_orders._loaded_at): the watermark of the daily runs.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      user_id
    )),
    not_null(columns := (user_id, order_count, first_order_at, last_order_at)),
    assert_not_before("column" := last_order_at, earliest := first_order_at) /* The write-up's assumption; min <= max can only break through a bug here. */
  )
);

WITH touched_users AS (
  /* core.fct_orders._loaded_at covers an order's lines too, so a changed line shows here. */
  SELECT DISTINCT
    user_id
  FROM core.fct_orders
  WHERE
    _loaded_at > @processed_until()
), orders AS (
  SELECT
    *
  FROM core.fct_orders
  WHERE
    @full_rebuild() OR user_id IN (
      SELECT
        user_id
      FROM touched_users
    )
), orders_per_user AS (
  SELECT
    user_id,
    MIN(ordered_at) AS first_order_at,
    MAX(ordered_at) AS last_order_at,
    COUNT(*) AS order_count,
    SUM(order_total) AS total_spend,
    AVG(units) AS avg_units_per_order,
    COUNT(*) FILTER(WHERE
      NOT promo_id IS NULL) AS promo_orders,
    AVG(days_to_deliver) AS avg_days_to_deliver,
    COUNT(*) FILTER(WHERE
      is_late) AS late_deliveries,
    MAX(_loaded_at) AS _loaded_at
  FROM orders
  GROUP BY
    user_id
), products_per_user AS (
  SELECT
    user_id,
    COUNT(DISTINCT product_id) AS distinct_products_bought
  FROM intermediate.int_order_items__priced
  WHERE
    @full_rebuild() OR user_id IN (
      SELECT
        user_id
      FROM touched_users
    )
  GROUP BY
    user_id
)
SELECT
  orders_per_user.user_id::TEXT AS user_id,
  orders_per_user.first_order_at::TIMESTAMP AS first_order_at,
  orders_per_user.last_order_at::TIMESTAMP AS last_order_at,
  orders_per_user.order_count::INT AS order_count,
  orders_per_user.total_spend::DECIMAL(14, 2) AS total_spend,
  orders_per_user.avg_units_per_order::DOUBLE AS avg_units_per_order,
  COALESCE(products_per_user.distinct_products_bought, 0)::INT AS distinct_products_bought,
  orders_per_user.promo_orders::INT AS promo_orders,
  orders_per_user.avg_days_to_deliver::DOUBLE AS avg_days_to_deliver,
  orders_per_user.late_deliveries::INT AS late_deliveries,
  orders_per_user._loaded_at::TIMESTAMP AS _loaded_at
FROM orders_per_user
LEFT JOIN products_per_user
  ON products_per_user.user_id = orders_per_user.user_id
