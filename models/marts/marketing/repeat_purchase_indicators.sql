MODEL (
  name marketing.repeat_purchase_indicators,
  kind FULL,
  owner marketing,
  grain buyer_segment,
  tags (
    marketing
  ),
  description 'What indicates a user who will buy again, and one who will not: one row per buyer segment (repeat, one-time, none) with, side by side, the features the write-up names as signals: time on the platform and location; order size, spend and products bought; promo use; browsing (sessions, page views, add-to-cart and checkout rates); delivery time and lateness. How to read it: compare the repeat row with the one-time row, feature by feature. A feature clearly higher (or lower) for repeat buyers is a candidate signal of buying again; where one-time buyers stand out (slow or late deliveries, promo-only first orders) is a candidate signal of not buying again. These are associations over the users in the data, not causes, and a one-time buyer who joined recently may still return; check users per segment before trusting a difference. The none row shows who never bought at all.',
  column_descriptions (
    buyer_segment = 'repeat, one-time or none (see marketing.fct_user_orders).',
    users = 'Users in the segment.',
    share_of_users = 'Segment users / all users.',
    avg_account_age_days = 'Average days from account creation to the latest event in the data (time on the platform).',
    avg_days_signup_to_first_order = 'Average days from account creation to the first order.',
    top_state = 'Most common state of the default address.',
    top_state_share = 'Share of the segment living in top_state.',
    states = 'Distinct states the segment lives in.',
    avg_orders = 'Average orders per user.',
    avg_order_value = 'Average order total, in dollars.',
    avg_total_spend = 'Average spend per user, in dollars.',
    avg_units_per_order = 'Average units per order.',
    avg_distinct_products_bought = 'Average different products bought per user.',
    promo_order_share = 'Orders with a promo / orders.',
    promo_user_share = 'Users who used a promo at least once / users.',
    avg_sessions = 'Average sessions per user.',
    avg_page_views = 'Average page views per user.',
    add_to_cart_rate = 'Sessions with an add-to-cart / sessions.',
    checkout_rate = 'Sessions with a checkout / sessions.',
    avg_days_to_deliver = 'Average over users of their average days from order to delivery.',
    late_delivery_share = 'Late deliveries / delivered orders with a promised date.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      buyer_segment
    )),
    not_null(columns := (buyer_segment, users)),
    accepted_values("column" := buyer_segment, is_in := ('none', 'one-time', 'repeat')),
    accepted_range("column" := share_of_users, min_v := 0, max_v := 1)
  )
);

WITH data_as_of AS (
  SELECT
    MAX(ended_at) AS latest_event_at
  FROM core.fct_sessions
), sessions_per_user AS (
  SELECT
    user_id,
    COUNT(*) AS sessions,
    SUM(page_views) AS page_views,
    COUNT(*) FILTER(WHERE
      add_to_carts > 0) AS sessions_with_add_to_cart,
    COUNT(*) FILTER(WHERE
      checkouts > 0) AS sessions_with_checkout
  FROM core.fct_sessions
  GROUP BY
    user_id
), deliveries_per_user AS (
  SELECT
    user_id,
    COUNT(*) FILTER(WHERE
      NOT is_late IS NULL) AS deliveries_with_promise
  FROM core.fct_orders
  GROUP BY
    user_id
), users AS (
  SELECT
    buyers.*,
    dim_users.state,
    DATE_DIFF('DAY', dim_users.created_at::DATE, data_as_of.latest_event_at::DATE) AS account_age_days,
    DATE_DIFF('DAY', dim_users.created_at::DATE, buyers.first_order_at::DATE) AS days_signup_to_first_order,
    COALESCE(sessions_per_user.sessions, 0) AS sessions,
    COALESCE(sessions_per_user.page_views, 0) AS page_views,
    COALESCE(sessions_per_user.sessions_with_add_to_cart, 0) AS sessions_with_add_to_cart,
    COALESCE(sessions_per_user.sessions_with_checkout, 0) AS sessions_with_checkout,
    COALESCE(deliveries_per_user.deliveries_with_promise, 0) AS deliveries_with_promise
  FROM marketing.fct_user_orders AS buyers
  LEFT JOIN core.dim_users AS dim_users
    ON dim_users.user_id = buyers.user_id
  LEFT JOIN sessions_per_user
    ON sessions_per_user.user_id = buyers.user_id
  LEFT JOIN deliveries_per_user
    ON deliveries_per_user.user_id = buyers.user_id
  CROSS JOIN data_as_of
), top_states AS (
  /* The state with most users, ties to the first by name; a window, because BigQuery cannot order FIRST(... ORDER BY) the way DuckDB does. */
  SELECT
    buyer_segment,
    state AS top_state,
    users AS top_state_users
  FROM (
    SELECT
      buyer_segment,
      state,
      COUNT(*) AS users
    FROM users
    WHERE
      NOT state IS NULL
    GROUP BY
      buyer_segment,
      state
  )
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY buyer_segment ORDER BY users DESC, state) = 1
)
SELECT
  users.buyer_segment::TEXT AS buyer_segment,
  COUNT(*)::INT AS users,
  (
    COUNT(*) / SUM(COUNT(*)) OVER ()
  )::DOUBLE AS share_of_users,
  AVG(account_age_days)::DOUBLE AS avg_account_age_days,
  AVG(days_signup_to_first_order)::DOUBLE AS avg_days_signup_to_first_order,
  MIN(top_states.top_state)::TEXT AS top_state,
  @SAFE_DIV(MIN(top_states.top_state_users), COUNT(*))::DOUBLE AS top_state_share,
  COUNT(DISTINCT state)::INT AS states,
  AVG(order_count)::DOUBLE AS avg_orders,
  @SAFE_DIV(SUM(total_spend), SUM(order_count))::DOUBLE AS avg_order_value,
  AVG(total_spend)::DOUBLE AS avg_total_spend,
  @SAFE_DIV(SUM(avg_units_per_order * order_count), SUM(order_count))::DOUBLE AS avg_units_per_order,
  AVG(distinct_products_bought)::DOUBLE AS avg_distinct_products_bought,
  @SAFE_DIV(SUM(promo_orders), SUM(order_count))::DOUBLE AS promo_order_share,
  @SAFE_DIV(COUNT(*) FILTER(WHERE
    promo_orders > 0), COUNT(*))::DOUBLE AS promo_user_share,
  AVG(sessions)::DOUBLE AS avg_sessions,
  AVG(page_views)::DOUBLE AS avg_page_views,
  @SAFE_DIV(SUM(sessions_with_add_to_cart), SUM(sessions))::DOUBLE AS add_to_cart_rate,
  @SAFE_DIV(SUM(sessions_with_checkout), SUM(sessions))::DOUBLE AS checkout_rate,
  AVG(avg_days_to_deliver)::DOUBLE AS avg_days_to_deliver,
  @SAFE_DIV(SUM(late_deliveries), SUM(deliveries_with_promise))::DOUBLE AS late_delivery_share
FROM users
LEFT JOIN top_states
  ON top_states.buyer_segment = users.buyer_segment
GROUP BY
  users.buyer_segment
