MODEL (
  name product.product_conversion,
  kind FULL,
  owner product,
  grain product_id,
  tags (
    product
  ),
  description 'One row per product: sessions that viewed it, sessions in which it was bought, and the conversion rate (the second divided by the first). Which plants turn interest into sales. Products never viewed have a NULL rate.',
  column_descriptions (
    product_id = 'Product.',
    product_name = 'Plant name.',
    sessions_viewed = 'Sessions with a page view of the product.',
    sessions_added_to_cart = 'Sessions that added the product to the cart.',
    sessions_purchased = 'Sessions whose order contains the product.',
    conversion_rate = 'sessions_purchased / sessions_viewed.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      product_id
    )),
    not_null(columns := (product_id, sessions_viewed, sessions_purchased))
  )
);

WITH per_product AS (
  SELECT
    product_id,
    COUNT(*) FILTER(WHERE
      was_viewed) AS sessions_viewed,
    COUNT(*) FILTER(WHERE
      was_added_to_cart) AS sessions_added_to_cart,
    COUNT(*) FILTER(WHERE
      was_purchased) AS sessions_purchased
  FROM intermediate.int_sessions__product_interactions
  GROUP BY
    product_id
)
SELECT
  products.product_id::TEXT AS product_id,
  products.product_name::TEXT AS product_name,
  COALESCE(per_product.sessions_viewed, 0)::INT AS sessions_viewed,
  COALESCE(per_product.sessions_added_to_cart, 0)::INT AS sessions_added_to_cart,
  COALESCE(per_product.sessions_purchased, 0)::INT AS sessions_purchased,
  @SAFE_DIV(per_product.sessions_purchased, per_product.sessions_viewed)::DOUBLE AS conversion_rate
FROM core.dim_products AS products
LEFT JOIN per_product
  ON per_product.product_id = products.product_id
